//! Against the spawned `latchkey serve` on the store the sync built: cold starts, idle memory,
//! then the loaded phases ([`super::filter`], [`super::throughput`], [`super::soak`]) and one
//! unfiltered list of the large vault.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};

use super::{filter, soak, throughput, Shared};
use crate::loadgen::{get_request, Client};
use crate::options::Plan;
use crate::procfs::reset_peak;
use crate::report::{mib, ms, thousands, Report};
use crate::seedgen::{big_vault_id, item_id};
use crate::server::Server;

pub async fn server_phases(plan: &Plan, shared: &Shared, report: &mut Report) {
    let label = thousands(plan.items as u64);
    let Some(server) = cold_starts(plan, shared, report).await else {
        return;
    };

    // Idle memory.
    tokio::time::sleep(Duration::from_secs(if plan.quick { 1 } else { 2 })).await;
    match server.memory() {
        Some(m) => report.check(
            &format!("RSS idle (`latchkey serve`, {label}-item store, no requests yet)"),
            mib(m.rss_kb),
            "< 30 MB",
            m.rss_kb * 1024 < 30_000_000,
        ),
        None => report.failed(
            "RSS idle",
            "< 30 MB",
            &anyhow!("cannot read /proc/{}/status", server.pid()),
        ),
    }

    if let Err(err) = loaded_phases(plan, shared, &server, report).await {
        report.failed("load phases", "", &err);
    }
    server.stop();
}

/// Cold start: spawn on the existing store, time to the first healthy /health; returns the
/// server of the last start, still running.
async fn cold_starts(plan: &Plan, shared: &Shared, report: &mut Report) -> Option<Server> {
    let label = thousands(plan.items as u64);
    eprintln!(
        "\n[cold start] {} starts of `latchkey serve` on the {label}-item store",
        plan.cold_starts
    );
    let mut starts = Vec::new();
    let mut running = None;
    for i in 0..plan.cold_starts {
        match Server::start(
            &plan.latchkey,
            &shared.credentials_path,
            &shared.data_dir,
            &[],
        )
        .await
        {
            Ok((server, took)) => {
                eprintln!("  start {i}: {}", ms(took));
                starts.push(took);
                if i + 1 == plan.cold_starts {
                    running = Some(server);
                } else {
                    server.stop();
                }
            }
            Err(err) => {
                report.failed("cold start to healthy /health", "< 200 ms", &err);
                return None;
            }
        }
    }
    starts.sort();
    let median = starts[starts.len() / 2];
    report.check(
        &format!(
            "cold start to healthy /health, {label} items (median of {})",
            starts.len()
        ),
        format!(
            "{} (max {})",
            ms(median),
            ms(*starts.last().unwrap_or(&median))
        ),
        "< 200 ms",
        median < Duration::from_millis(200),
    );
    running
}

async fn loaded_phases(
    plan: &Plan,
    shared: &Shared,
    server: &Server,
    report: &mut Report,
) -> anyhow::Result<()> {
    let token = shared.token.clone();

    // The size of one item response (the throughput baseline returns as many bytes).
    let mut client = Client::connect(server.addr).await?;
    let (status, body) = client
        .send(&get_request(
            &format!("/v1/vaults/{}/items/{}", big_vault_id(), item_id(0)),
            &token,
        ))
        .await?;
    if status != 200 {
        bail!(
            "GET of an item answered {status}: {}",
            String::from_utf8_lossy(client.body(&body))
        );
    }
    let item_bytes = body.len();
    report.info(
        "size of one item response (GET /v1/vaults/{v}/items/{i})",
        format!("{item_bytes} bytes"),
    );

    let mut peak_during_throughput = None;
    if plan.throughput {
        filter::filter_phase(plan, &mut client, &token, report).await?;
    }
    drop(client);
    if plan.throughput {
        peak_during_throughput =
            throughput::throughput_phases(plan, shared, server, item_bytes, report).await;
    }
    let mixed = soak::mixed_requests(plan, &token);
    soak::memory_under_load(plan, server, &mixed, peak_during_throughput, report).await;
    soak::soak(plan, server, mixed, report).await;
    full_list(plan, server, &token, "source `none`", report).await
}

/// One unfiltered listing of the large vault; its peak RSS alone when the kernel lets VmHWM be
/// reset, else the process's peak so far.
pub async fn full_list(
    plan: &Plan,
    server: &Server,
    token: &str,
    source: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    let label = thousands(plan.items as u64);
    let reset = reset_peak(server.pid());
    let mut client = Client::connect(server.addr).await?;
    let started = Instant::now();
    let (status, body) = client
        .send(&get_request(
            &format!("/v1/vaults/{}/items", big_vault_id()),
            token,
        ))
        .await?;
    let took = started.elapsed();
    let length = body.len();
    drop(client);
    if status != 200 {
        bail!("listing the large vault answered {status}");
    }
    let hwm = server.memory().map_or(0, |m| m.hwm_kb);
    report.check(
        &format!("peak RSS of one unfiltered list of {label} items, {source}"),
        format!(
            "{} ({}; list took {}, {:.1} MB)",
            mib(hwm),
            if reset {
                "VmHWM reset before the list"
            } else {
                "VmHWM since start"
            },
            ms(took),
            length as f64 / 1e6
        ),
        "< 128 MiB",
        hwm > 0 && hwm < 128 * 1024,
    );
    Ok(())
}
