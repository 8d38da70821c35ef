//! One integration test binary (one link, one shared target dir): handler tests through the real
//! router on a real encrypted store, and process tests that start the `latchkey` binary.

mod helpers;

mod auth;
mod bad_input;
mod bounds;
mod connections;
mod deploy;
mod docs;
mod encryption;
mod files;
mod filters;
mod fuzz_corpus;
mod item_cache;
mod items;
mod layout;
mod listing;
mod openapi;
mod patch_limits;
mod paths;
mod process;
mod progress;
mod replay;
mod revocation;
mod secret_refs;
mod sync;
mod sync_first;
mod sync_processes;
mod sync_retry;
mod sync_upstream;
mod token_claims;
mod vaults;
mod write_only;
