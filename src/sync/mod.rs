//! The sync worker: fills the encrypted store from the source named in the credentials file.

pub mod engine;
pub mod forward;
pub mod source;
pub mod sources;
pub mod status;
pub mod worker;

pub use engine::{run_until_stopped, Engine, Outcome, SyncError};
pub use worker::{build_source, run_worker, seed_source};
