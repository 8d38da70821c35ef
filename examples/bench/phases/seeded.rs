//! `latchkey serve` with a seed source: after a restart it serves the stored items at once and
//! re-reads the whole file in its first sync (nothing changed since the last sync).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use serde_json::json;

use latchkey::app::open_store;
use latchkey::credentials::Credentials;

use super::Shared;
use crate::loadgen::Client;
use crate::options::Plan;
use crate::procfs::RssSampler;
use crate::report::{mib, ms, secs, thousands, Report};
use crate::server::Server;

pub async fn seeded_server_phase(plan: &Plan, shared: &Shared, report: &mut Report) {
    let label = thousands(plan.items as u64);
    eprintln!(
        "\n[seed source] `latchkey serve` restarted with the {label}-item seed file as its source"
    );
    if let Err(err) = restart_with_seed_source(plan, shared, &label, report).await {
        report.failed("seed-sourced server", "", &err);
    }
}

async fn restart_with_seed_source(
    plan: &Plan,
    shared: &Shared,
    label: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    let (path, runs_before) = seed_sourced_credentials(shared).await?;
    let (server, took) = Server::start(&plan.latchkey, &path, &shared.data_dir, &[]).await?;
    let spawned = Instant::now()
        .checked_sub(took)
        .unwrap_or_else(Instant::now);
    report.check(
        &format!("cold start to healthy /health, seed source of {label} items"),
        ms(took),
        "< 200 ms",
        took < Duration::from_millis(200),
    );
    let sampler = RssSampler::start(server.pid());
    let synced = first_sync(server.addr, runs_before, spawned).await?;
    let peak = sampler.stop();
    report.check(
        &format!("first sync after a restart, seed source of {label} items, nothing changed"),
        secs(synced),
        "< 1 s",
        synced < Duration::from_secs(1),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    match server.memory() {
        Some(m) => {
            report.check(
                &format!("RSS idle after that sync, seed source of {label} items"),
                mib(m.rss_kb),
                "< 30 MB",
                m.rss_kb * 1024 < 30_000_000,
            );
            report.check(
                &format!("peak RSS during that sync, seed source of {label} items"),
                format!("{} (VmHWM {})", mib(peak.max(m.rss_kb)), mib(m.hwm_kb)),
                "< 128 MiB",
                m.hwm_kb < 128 * 1024,
            );
        }
        None => bail!("cannot read the server's memory"),
    }
    server.stop();
    Ok(())
}

/// Writes a copy of the credentials with the seed file as the source; returns its path and the
/// sync runs the store has recorded so far.
async fn seed_sourced_credentials(shared: &Shared) -> anyhow::Result<(PathBuf, i64)> {
    let mut credentials = Credentials::load(&shared.credentials_path.display().to_string(), None)
        .map_err(|e| anyhow!("{e}"))?;
    let store = open_store(&credentials, &shared.data_dir).await?;
    let runs_before = store.sync_state().await?.map_or(0, |s| s.runs);
    store.close().await;
    credentials.source = json!({"kind": "seed", "path": shared.seed_path.display().to_string()});
    let path = shared
        .credentials_path
        .with_file_name("credentials-seed.json");
    credentials
        .write_new(&path, None, true)
        .map_err(|e| anyhow!("{e}"))?;
    Ok((path, runs_before))
}

/// Polls `/metrics` until the sync run counter passes `runs_before`; returns the time since
/// `spawned`.
async fn first_sync(
    addr: SocketAddr,
    runs_before: i64,
    spawned: Instant,
) -> anyhow::Result<Duration> {
    let mut client = Client::connect(addr).await?;
    let metrics = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_vec();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let (status, body) = client.send(&metrics).await?;
        if status != 200 {
            bail!("/metrics answered {status}");
        }
        let text = String::from_utf8_lossy(client.body(&body)).to_string();
        let counter = |name: &str| {
            text.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse::<i64>().ok())
        };
        if counter("latchkey_sync_runs_total").is_some_and(|r| r > runs_before) {
            if counter("latchkey_sync_failures_total").unwrap_or(0) > 0 {
                bail!("the first sync after the restart failed");
            }
            return Ok(spawned.elapsed());
        }
        if Instant::now() > deadline {
            bail!("no sync completed within 300 s of the restart");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
