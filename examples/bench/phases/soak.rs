//! Memory of `latchkey serve` under load across the whole large vault: its peak during a timed
//! load, and its growth across the soak (a fixed number of requests).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::anyhow;

use crate::loadgen::{filter_path, get_request, load, LoadResult, MakeRequest, Stop};
use crate::options::Plan;
use crate::procfs::{read_memory, Memory, RssSampler};
use crate::report::{mib, ms, thousands, Report};
use crate::seedgen::{big_vault_id, item_id, item_title, mix};
use crate::server::Server;

/// Random items across the whole vault, one request in eight a filter.
pub fn mixed_requests(plan: &Plan, token: &str) -> MakeRequest {
    let token = token.to_string();
    let big = big_vault_id();
    let items = plan.items;
    Arc::new(move |i: u64| {
        let r = mix(i ^ 0x5555);
        let k = (r % items as u64) as usize;
        if r % 8 == 0 {
            get_request(&filter_path(&big, &item_title(k)), &token)
        } else {
            get_request(&format!("/v1/vaults/{big}/items/{}", item_id(k)), &token)
        }
    })
}

/// The peak RSS during twice `plan.duration` of the mixed load; `peak_during_throughput` is the
/// reading taken right after the throughput comparison.
pub async fn memory_under_load(
    plan: &Plan,
    server: &Server,
    mixed: &MakeRequest,
    peak_during_throughput: Option<Memory>,
    report: &mut Report,
) {
    let label = thousands(plan.items as u64);
    eprintln!("\n[memory] load over all {label} items (GET, 1 in 8 a title filter)");
    let sampler = RssSampler::start(server.pid());
    let result = load(
        server.addr,
        plan.connections,
        Stop::For(plan.duration * 2),
        mixed.clone(),
        None,
    )
    .await;
    let peak_sampled = sampler.stop();
    match result {
        Ok(r) => {
            let hwm = server.memory().map_or(0, |m| m.hwm_kb);
            let peak = peak_sampled.max(peak_during_throughput.map_or(0, |m| m.rss_kb));
            report.check(
                &format!(
                    "RSS peak under load, {label} items, {} connections",
                    plan.connections
                ),
                format!("{} (VmHWM {}; {:.0} req/s)", mib(peak), mib(hwm), r.rate()),
                "< 128 MiB",
                peak > 0 && peak < 128 * 1024 && hwm < 128 * 1024,
            );
        }
        Err(err) => report.failed("RSS under load", "< 128 MiB", &err),
    }
}

/// `plan.soak_requests` of the mixed load, the server's RSS read after each tenth of them.
pub async fn soak(plan: &Plan, server: &Server, mixed: MakeRequest, report: &mut Report) {
    eprintln!(
        "\n[soak] {} requests (GET, 1 in 8 a title filter)",
        thousands(plan.soak_requests)
    );
    let done = Arc::new(AtomicU64::new(0));
    let checkpoints: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let watcher = tokio::spawn(watch_tenths(
        done.clone(),
        checkpoints.clone(),
        server.pid(),
        plan.soak_requests,
    ));
    let result = load(
        server.addr,
        plan.connections,
        Stop::Count(plan.soak_requests),
        mixed,
        Some(done.clone()),
    )
    .await;
    let _ = tokio::time::timeout(Duration::from_secs(5), watcher).await;
    let points = checkpoints
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    match result {
        Ok(r) if points.len() >= 2 => report_soak(&r, &points, report),
        Ok(_) => report.failed(
            "RSS growth across the soak",
            "< 5%",
            &anyhow!("could not read RSS during the soak"),
        ),
        Err(err) => report.failed("RSS growth across the soak", "< 5%", &err),
    }
}

/// Records (requests done, RSS in KB) each time another tenth of `total` requests is done.
async fn watch_tenths(
    done: Arc<AtomicU64>,
    checkpoints: Arc<Mutex<Vec<(u64, u64)>>>,
    pid: u32,
    total: u64,
) {
    let mut next = 1;
    while next <= 10 {
        let count = done.load(Ordering::Relaxed);
        if count >= total * next / 10 {
            if let Some(m) = read_memory(pid) {
                checkpoints
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((count, m.rss_kb));
            }
            next += 1;
        } else {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn report_soak(r: &LoadResult, points: &[(u64, u64)], report: &mut Report) {
    // Growth is the highest later reading against the first (after a tenth of the run),
    // so that a high point in the middle is not hidden by a lower final reading.
    let (first_n, first) = points[0];
    let (peak_n, peak) = points[1..]
        .iter()
        .copied()
        .max_by_key(|p| p.1)
        .unwrap_or(points[0]);
    let (_, last) = points[points.len() - 1];
    let growth = (peak as f64 - first as f64) / first as f64 * 100.0;
    let trace: Vec<String> = points
        .iter()
        .map(|(_, kb)| format!("{:.1}", *kb as f64 / 1024.0))
        .collect();
    report.check(
        &format!("RSS growth across a {}-request soak", thousands(r.requests)),
        format!(
            "{growth:+.1}% ({} at request {} -> peak {} at {}; {} at the end)",
            mib(first),
            thousands(first_n),
            mib(peak),
            thousands(peak_n),
            mib(last)
        ),
        "< 5%",
        growth < 5.0 && r.errors == 0,
    );
    report.info("soak RSS at each tenth (MiB)", trace.join(" "));
    report.info(
        "soak throughput",
        format!(
            "{:.0} req/s, p99 {}, {} errors",
            r.rate(),
            ms(r.percentile(99.0)),
            r.errors
        ),
    );
    if r.requests < 1_000_000 {
        report.note(format!(
            "the soak ran {} requests, not the one million of docs/design.md §9 (the full run's default)",
            thousands(r.requests)
        ));
    }
}
