//! The phases of a run, in order: the sync figures in this process ([`sync`], [`change`]), then
//! the spawned `latchkey serve` on the store they built ([`serve`]: cold start, idle memory, and
//! under it [`filter`], [`throughput`], [`soak`]), then real `latchkey serve` processes syncing
//! from a source ([`source_process`]: the seed file and a `.1pux` export, each on an empty store
//! and after a restart; [`connect`]: a replica of a `latchkey serve` upstream).

mod change;
mod connect;
mod filter;
mod serve;
mod soak;
mod source_process;
mod sync;
mod throughput;

use std::path::{Path, PathBuf};

use crate::options::Plan;
use crate::report::Report;

/// What the phases share.
pub struct Shared {
    /// The run's temporary directory.
    dir: PathBuf,
    credentials_path: PathBuf,
    data_dir: PathBuf,
    seed_path: PathBuf,
    /// Reads both vaults.
    token: String,
    /// Reads and writes both vaults.
    write_token: String,
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
    if plan.seed_source {
        source_process::seed_phase(plan, &shared, report).await;
    }
    if plan.onepux {
        source_process::onepux_phase(plan, &shared, report).await;
    }
    if plan.connect {
        connect::connect_phase(plan, &shared, report).await;
    }
    Ok(())
}

/// Writes a copy of the run's credentials file (same keys, so the run's tokens are valid) whose
/// source is `source`; returns its path.
fn credentials_with_source(
    shared: &Shared,
    source: serde_json::Value,
    name: &str,
) -> anyhow::Result<PathBuf> {
    let mut credentials = latchkey::credentials::Credentials::load(
        &shared.credentials_path.display().to_string(),
        None,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    credentials.source = source;
    let path = shared.dir.join(format!("credentials-{name}.json"));
    credentials
        .write_new(&path, None, true)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(path)
}

/// Sends a GET of item `n` of the large vault and fails unless it answers 200 (the sync brought
/// the items, not only ended).
async fn check_item(addr: std::net::SocketAddr, token: &str, n: usize) -> anyhow::Result<()> {
    let mut client = crate::loadgen::Client::connect(addr).await?;
    let path = format!(
        "/v1/vaults/{}/items/{}",
        crate::seedgen::big_vault_id(),
        crate::seedgen::item_id(n)
    );
    let (status, body) = client
        .send(&crate::loadgen::get_request(&path, token))
        .await?;
    if status != 200 {
        anyhow::bail!(
            "after the sync, GET {path} answered {status}: {}",
            String::from_utf8_lossy(client.body(&body))
        );
    }
    Ok(())
}
