//! The sources the sync worker reads (docs/design.md §6): file sources parse a whole file into a
//! snapshot; the `connect` source asks another Connect-compatible server.

pub mod connect;
pub mod file;
pub(crate) mod json_head;
pub(crate) mod json_scan;
pub mod onepux;
pub(crate) mod read_ahead;
pub mod regular_file;
pub mod seed;
