//! Watching a running latchkey from outside: its sync runs (the counters of `/metrics`, kept in
//! its store) and the moment an edit shows through its API.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::Value;

use crate::loadgen::{contains, Client};

/// The sync counters of `/metrics`: runs and failed runs so far (0 before the first run).
#[derive(Clone, Copy, Debug, Default)]
pub struct SyncCount {
    pub runs: i64,
    pub failures: i64,
}

pub async fn sync_count(client: &mut Client) -> anyhow::Result<SyncCount> {
    let metrics = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    let (status, body) = client.send(metrics).await?;
    if status != 200 {
        bail!("/metrics answered {status}");
    }
    let text = String::from_utf8_lossy(client.body(&body));
    let counter = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    Ok(SyncCount {
        runs: counter("latchkey_sync_runs_total"),
        failures: counter("latchkey_sync_failures_total"),
    })
}

/// Polls `/metrics` until a sync run after `before` has finished; returns when it was seen. A
/// failed run is an error carrying `/health`'s sync message.
pub async fn wait_for_sync(
    addr: SocketAddr,
    before: SyncCount,
    timeout: Duration,
) -> anyhow::Result<Instant> {
    let mut client = Client::connect(addr).await?;
    let deadline = Instant::now() + timeout;
    loop {
        let now = sync_count(&mut client).await?;
        if now.failures > before.failures {
            bail!("a sync run failed: {}", sync_message(&mut client).await);
        }
        if now.runs > before.runs {
            return Ok(Instant::now());
        }
        if Instant::now() > deadline {
            bail!("no sync run finished within {} s", timeout.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The `sync` dependency's message in `/health` (the source's last error).
async fn sync_message(client: &mut Client) -> String {
    let health = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    let Ok((_, body)) = client.send(health).await else {
        return "(no /health)".into();
    };
    serde_json::from_slice::<Value>(client.body(&body))
        .ok()
        .and_then(|h| {
            h["dependencies"].as_array().and_then(|deps| {
                deps.iter()
                    .find(|d| d["service"] == "sync")
                    .map(|d| d["message"].as_str().unwrap_or_default().to_string())
            })
        })
        .unwrap_or_else(|| "(no sync status in /health)".into())
}

/// Sends `request` (a GET) until the answer contains `marker`; returns the time since `since`,
/// or `None` when it did not show within `timeout`.
pub async fn wait_visible(
    addr: SocketAddr,
    request: &[u8],
    marker: &str,
    since: Instant,
    timeout: Duration,
) -> anyhow::Result<Option<Duration>> {
    let mut client = Client::connect(addr).await?;
    loop {
        let (status, body) = client.send(request).await?;
        if status != 200 {
            bail!(
                "GET of the edited item answered {status}: {}",
                String::from_utf8_lossy(client.body(&body))
            );
        }
        if contains(client.body(&body), marker.as_bytes()) {
            return Ok(Some(since.elapsed()));
        }
        if since.elapsed() > timeout {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
