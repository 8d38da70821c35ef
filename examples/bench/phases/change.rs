//! The time from an edit of the seed file to the API serving it: the API served in this process,
//! `run_until_stopped` watching the file, one edit at a time.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;

use latchkey::app::{serve, state};
use latchkey::auth::{VaultClaim, ACL_READ, ACL_READ_WRITE};
use latchkey::credentials::Credentials;
use latchkey::http::HttpConfig;
use latchkey::store::Store;
use latchkey::sync::{run_until_stopped, Engine};

use crate::loadgen::{contains, get_request, Client};
use crate::options::Plan;
use crate::report::{ms, thousands, Report};
use crate::seedgen::{big_vault_id, item_id, mix, pseudo_text, small_vault_id, write_seed};

/// How long the change test waits for an edit to show.
const CHANGE_TIMEOUT: Duration = Duration::from_secs(300);

/// What the edit rounds saw.
#[derive(Default)]
struct Rounds {
    times: Vec<Duration>,
    timed_out: bool,
    skipped: usize,
}

/// The benchmark's tokens, both for the two vaults.
pub struct Tokens {
    /// What the load phases send.
    pub read: String,
    /// The `connect` replica's upstream token, and the edit sent to that upstream.
    pub read_write: String,
}

/// Runs the rounds and closes the store; returns the tokens (issued by this server's key, so
/// valid on every store opened with the same credentials file).
pub async fn change_phase(
    plan: &Plan,
    credentials: &Credentials,
    store: &Store,
    engine: &Arc<Engine>,
    seed_path: &Path,
    report: &mut Report,
) -> anyhow::Result<Tokens> {
    let app = state(credentials, store.clone(), HttpConfig::default(), None)?;
    let claims = |a: u32| {
        vec![
            VaultClaim {
                u: big_vault_id(),
                a,
            },
            VaultClaim {
                u: small_vault_id(),
                a,
            },
        ]
    };
    let (token, _) = app.auth.issue("bench", claims(ACL_READ), None).await?;
    let (read_write, _) = app
        .auth
        .issue("bench-upstream", claims(ACL_READ_WRITE), None)
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let server = tokio::spawn(serve(
        listener,
        app,
        latchkey::http::serve::ServeLimits::default(),
        stopped(stop_rx.clone()),
    ));
    let watcher = tokio::spawn(run_until_stopped(
        engine.clone(),
        Duration::from_secs(30),
        stopped(stop_rx),
    ));
    eprintln!(
        "\n[sync] one changed item, visible through the API ({} rounds)",
        plan.change_rounds
    );
    let mut rounds = Rounds::default();
    let result = edit_rounds(plan, addr, &token, seed_path, &mut rounds).await;
    eprintln!("  stopping the watcher (it finishes its current run first)");
    let _ = stop_tx.send(true);
    let _ = watcher.await;
    match server.await {
        Ok(Err(err)) => eprintln!("  the in-process server stopped with {err:#}"),
        Err(err) => eprintln!("  the in-process server panicked: {err}"),
        Ok(Ok(())) => {}
    }
    store.close().await;
    report_rounds(plan, result, rounds, report);
    Ok(Tokens {
        read: token,
        read_write,
    })
}

/// Each round edits one item's password in the file and polls its GET until the new value shows;
/// rounds stop after one that took over 10 s.
async fn edit_rounds(
    plan: &Plan,
    addr: SocketAddr,
    token: &str,
    seed_path: &Path,
    rounds: &mut Rounds,
) -> anyhow::Result<()> {
    let n = plan.items;
    // Let the watcher's first (no-op) run finish and its file watch begin.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut client = Client::connect(addr).await?;
    for round in 0..plan.change_rounds {
        if rounds
            .times
            .last()
            .is_some_and(|t: &Duration| *t > Duration::from_secs(10))
        {
            rounds.skipped = plan.change_rounds - round;
            break;
        }
        let k = (mix(round as u64 + 99) % n as u64) as usize;
        let marker = format!("changed-{round}-{}", pseudo_text(round as u64 + 1000, 12));
        let request = get_request(
            &format!("/v1/vaults/{}/items/{}", big_vault_id(), item_id(k)),
            token,
        );
        write_seed(seed_path, n, Some((k, &marker)))?;
        let written = Instant::now();
        let deadline = written + CHANGE_TIMEOUT;
        loop {
            let (status, body) = client.send(&request).await?;
            if status != 200 {
                bail!("GET of the changed item answered {status}");
            }
            if contains(client.body(&body), marker.as_bytes()) {
                rounds.times.push(written.elapsed());
                break;
            }
            if Instant::now() > deadline {
                rounds.timed_out = true;
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        eprintln!(
            "  round {round}: {}",
            ms(*rounds.times.last().unwrap_or(&Duration::ZERO))
        );
    }
    Ok(())
}

fn report_rounds(plan: &Plan, result: anyhow::Result<()>, mut rounds: Rounds, report: &mut Report) {
    let label = thousands(plan.items as u64);
    let metric = format!("one changed item visible through the API ({label} items)");
    match result {
        Ok(()) if rounds.timed_out => report.check(
            &metric,
            format!("> {} s (not visible yet)", CHANGE_TIMEOUT.as_secs()),
            "< 1 s",
            false,
        ),
        Ok(()) => {
            let times = &mut rounds.times;
            times.sort();
            let worst = *times.last().unwrap_or(&Duration::ZERO);
            let mut figure = if times.len() > 1 {
                format!(
                    "{} (worst of {}; median {})",
                    ms(worst),
                    times.len(),
                    ms(times[times.len() / 2])
                )
            } else {
                ms(worst)
            };
            if rounds.skipped > 0 {
                let _ = write!(
                    figure,
                    "; {} more rounds skipped (over 10 s)",
                    rounds.skipped
                );
            }
            report.check(&metric, figure, "< 1 s", worst < Duration::from_secs(1));
        }
        Err(err) => report.failed(&metric, "< 1 s", &err),
    }
}
