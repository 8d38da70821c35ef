//! One integration test binary (one link, one shared target dir): handler tests through the real
//! router on a real encrypted store, and process tests that start the `latchkey` binary.

mod helpers;

mod auth;
mod bad_input;
mod deploy;
mod docs;
mod encryption;
mod files;
mod filters;
mod fuzz_corpus;
mod items;
mod layout;
mod openapi;
mod paths;
mod process;
mod replay;
mod sync;
mod sync_processes;
mod vaults;
