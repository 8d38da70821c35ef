//! The sync worker: fills the encrypted store from the source named in the credentials file.

pub mod engine;
pub mod forward;
pub mod progress;
pub mod run;
pub mod schedule;
pub mod source;
pub mod sources;
pub mod status;
pub mod worker;

pub use engine::{Engine, Outcome, SyncError};
pub use progress::{Progress, ProgressSnapshot};
pub use run::run_until_stopped;
pub use worker::{build_source, run_worker, seed_source};
