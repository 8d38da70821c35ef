//! The phases of a run, in order: the sync figures in this process ([`sync`], [`change`]), then
//! the spawned `latchkey serve` ([`serve`]: cold start, idle memory, and under it [`filter`],
//! [`throughput`], [`soak`]), then a restart with the seed file as its source ([`seeded`]).

mod change;
mod filter;
mod seeded;
mod serve;
mod soak;
mod sync;
mod throughput;

use std::path::{Path, PathBuf};

use crate::options::Plan;
use crate::report::Report;

/// What the phases share.
pub struct Shared {
    credentials_path: PathBuf,
    data_dir: PathBuf,
    seed_path: PathBuf,
    token: String,
}

pub async fn run(
    plan: &Plan,
    dir: &Path,
    sync_only: bool,
    report: &mut Report,
) -> anyhow::Result<()> {
    let shared = sync::sync_phase(plan, dir, report).await?;
    if sync_only {
        return Ok(());
    }
    serve::server_phases(plan, &shared, report).await;
    seeded::seeded_server_phase(plan, &shared, report).await;
    Ok(())
}
