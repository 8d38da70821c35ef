//! Warm `GET /v1/vaults/{v}/items/{i}` throughput and latency: latchkey against the bare axum
//! baseline (same generator, alternating rounds), and latchkey without its access log.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;

use super::Shared;
use crate::loadgen::{get_request, measure, merge, LoadResult, MakeRequest};
use crate::options::Plan;
use crate::procfs::Memory;
use crate::report::{ms, thousands, Report};
use crate::seedgen::{big_vault_id, item_id, mix};
use crate::server::{BareServer, Server};

/// Measures and reports the throughput figures; returns the server's memory right after the
/// comparison (the memory figure under load takes the higher of it and its own peak).
pub async fn throughput_phases(
    plan: &Plan,
    shared: &Shared,
    server: &Server,
    item_bytes: usize,
    report: &mut Report,
) -> Option<Memory> {
    eprintln!(
        "\n[throughput] {} connections, {} s each after {} s of warm-up",
        plan.connections,
        plan.duration.as_secs_f64(),
        plan.warmup.as_secs_f64()
    );
    let make = warm_requests(plan, &shared.token);
    let (bare_result, latchkey_result) = compare(plan, server, item_bytes, &make).await;
    let peak_during_throughput = server.memory();
    report_comparison(plan, &bare_result, &latchkey_result, report);
    without_access_log(plan, shared, &make, &bare_result, report).await;
    peak_during_throughput
}

/// GETs of random items among the first 1,000 of the large vault.
fn warm_requests(plan: &Plan, token: &str) -> MakeRequest {
    let warm_set = plan.items.min(1000);
    let token = token.to_string();
    let big = big_vault_id();
    Arc::new(move |i: u64| {
        get_request(
            &format!(
                "/v1/vaults/{big}/items/{}",
                item_id((mix(i) % warm_set as u64) as usize)
            ),
            &token,
        )
    })
}

/// The bare server's and latchkey's results; without a bare server, latchkey alone in one run.
async fn compare(
    plan: &Plan,
    server: &Server,
    item_bytes: usize,
    make: &MakeRequest,
) -> (anyhow::Result<LoadResult>, anyhow::Result<LoadResult>) {
    match BareServer::start(item_bytes).await {
        Ok(bare) => {
            let mut b_total: Option<LoadResult> = None;
            let mut l_total: Option<LoadResult> = None;
            let outcome = alternate(plan, &bare, server, make, &mut b_total, &mut l_total).await;
            bare.stop();
            match outcome {
                Ok(()) => (
                    b_total.ok_or_else(|| anyhow!("no round ran")),
                    l_total.ok_or_else(|| anyhow!("no round ran")),
                ),
                Err(err) => {
                    let text = format!("{err:#}");
                    (Err(anyhow!("{text}")), Err(anyhow!("{text}")))
                }
            }
        }
        Err(err) => (
            Err(anyhow!("the bare server did not start: {err:#}")),
            measure(
                server.addr,
                plan.connections,
                plan.warmup,
                plan.duration,
                make.clone(),
                Some(server.pid()),
            )
            .await,
        ),
    }
}

/// Alternating rounds (bare, latchkey, bare, latchkey, …) so that a slow spell of a shared
/// machine weighs on both alike; each side gets `plan.duration` in all.
async fn alternate(
    plan: &Plan,
    bare: &BareServer,
    server: &Server,
    make: &MakeRequest,
    b_total: &mut Option<LoadResult>,
    l_total: &mut Option<LoadResult>,
) -> anyhow::Result<()> {
    let rounds = plan.rounds;
    let slice = plan.duration / rounds as u32;
    for round in 0..rounds {
        let warmup = if round == 0 {
            plan.warmup
        } else {
            Duration::ZERO
        };
        let b = measure(
            bare.addr,
            plan.connections,
            warmup,
            slice,
            make.clone(),
            Some(bare.pid()),
        )
        .await?;
        merge(b_total, b);
        let l = measure(
            server.addr,
            plan.connections,
            warmup,
            slice,
            make.clone(),
            Some(server.pid()),
        )
        .await?;
        merge(l_total, l);
    }
    Ok(())
}

fn report_comparison(
    plan: &Plan,
    bare_result: &anyhow::Result<LoadResult>,
    latchkey_result: &anyhow::Result<LoadResult>,
    report: &mut Report,
) {
    let label = thousands(plan.items as u64);
    match bare_result {
        Ok(r) => report.info(
            "bare axum constant handler: requests/s",
            format!(
                "{:.0} (p50 {}, p99 {}; {})",
                r.rate(),
                ms(r.percentile(50.0)),
                ms(r.percentile(99.0)),
                r.cpu_text()
            ),
        ),
        Err(err) => report.failed("bare axum constant handler", "", err),
    }
    match latchkey_result {
        Ok(r) => {
            report.info(
                &format!("latchkey warm GET item (1,000-item warm set of {label}): requests/s"),
                format!("{:.0} ({} errors; {})", r.rate(), r.errors, r.cpu_text()),
            );
            if let Ok(b) = bare_result {
                let ratio = r.rate() / b.rate().max(1e-9);
                report.check(
                    "latchkey / bare axum requests/s",
                    format!("{:.0}%", ratio * 100.0),
                    ">= 50%",
                    ratio >= 0.5 && r.errors == 0,
                );
            }
            report.info("latchkey GET item p50 latency", ms(r.percentile(50.0)));
            report_p99(plan, r, bare_result.as_ref().ok(), report);
        }
        Err(err) => report.failed("latchkey warm GET item", ">= 50% of bare", err),
    }
}

/// The p99 against both its targets: under 5 ms, and at most 2.5 times the bare handler's p99
/// in the same run (no bare figure: missed, as the ratio cannot be shown).
fn report_p99(plan: &Plan, r: &LoadResult, bare: Option<&LoadResult>, report: &mut Report) {
    let p99 = r.percentile(99.0);
    let metric = format!(
        "latchkey GET item p99 latency, {} connections",
        plan.connections
    );
    let target = "< 5 ms and <= 2.5x bare p99";
    let under = p99 < Duration::from_millis(5) && r.errors == 0;
    match bare {
        Some(b) => {
            let bare_p99 = b.percentile(99.0);
            let ratio = p99.as_secs_f64() / bare_p99.as_secs_f64().max(1e-9);
            report.check(
                &metric,
                format!("{} ({ratio:.1}x bare p99 {})", ms(p99), ms(bare_p99)),
                target,
                under && ratio <= 2.5,
            );
        }
        None => report.check(&metric, format!("{} (no bare p99)", ms(p99)), target, false),
    }
}

/// The same with the per-request access log line switched off, to show what logging costs.
async fn without_access_log(
    plan: &Plan,
    shared: &Shared,
    make: &MakeRequest,
    bare_result: &anyhow::Result<LoadResult>,
    report: &mut Report,
) {
    match Server::start(
        &plan.latchkey,
        &shared.credentials_path,
        &shared.data_dir,
        &[("OP_LOG_LEVEL", "error")],
    )
    .await
    {
        Ok((quiet, _)) => {
            match measure(
                quiet.addr,
                plan.connections,
                plan.warmup,
                plan.duration,
                make.clone(),
                Some(quiet.pid()),
            )
            .await
            {
                Ok(r) => {
                    let mut figure = format!(
                        "{:.0} (p99 {}; {})",
                        r.rate(),
                        ms(r.percentile(99.0)),
                        r.cpu_text()
                    );
                    if let Ok(b) = bare_result {
                        let _ = write!(
                            figure,
                            ", {:.0}% of bare",
                            r.rate() / b.rate().max(1e-9) * 100.0
                        );
                    }
                    report.info(
                        "latchkey with OP_LOG_LEVEL=error (no access log): requests/s",
                        figure,
                    );
                }
                Err(err) => report.failed("latchkey with OP_LOG_LEVEL=error", "", &err),
            }
            quiet.stop();
        }
        Err(err) => report.failed("latchkey with OP_LOG_LEVEL=error", "", &err),
    }
}
