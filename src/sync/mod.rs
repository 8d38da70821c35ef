//! The sync worker: fills the encrypted store from the source named in the credentials file.

pub mod connect;
pub mod engine;
pub mod onepux;
pub mod seed;
pub mod snapshot;
pub mod source;
pub mod worker;

pub use engine::{run_until_stopped, Engine, Outcome, SyncError};
pub use worker::{build_source, run_worker, seed_source};
