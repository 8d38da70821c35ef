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

/// `plan.soak_requests` of the mixed load, the server's RSS read every [`SAMPLE_EVERY`] and after
/// each tenth of them.
pub async fn soak(plan: &Plan, server: &Server, mixed: MakeRequest, report: &mut Report) {
    eprintln!(
        "\n[soak] {} requests (GET, 1 in 8 a title filter)",
        thousands(plan.soak_requests)
    );
    let done = Arc::new(AtomicU64::new(0));
    let samples: Arc<Mutex<Samples>> = Arc::default();
    let watcher = tokio::spawn(watch(
        done.clone(),
        samples.clone(),
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
    let samples = std::mem::take(
        &mut *samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    match result {
        Ok(r) if samples.tenths.len() >= 2 => report_soak(&r, &samples, plan.soak_requests, report),
        Ok(_) => report.failed(
            "RSS growth across the soak",
            "< 5%",
            &anyhow!("could not read RSS during the soak"),
        ),
        Err(err) => report.failed("RSS growth across the soak", "< 5%", &err),
    }
}

/// How often RSS is read during the soak, beside the reading at each tenth.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// (requests done, RSS in KB) readings.
#[derive(Default)]
struct Samples {
    /// Every [`SAMPLE_EVERY`].
    all: Vec<(u64, u64)>,
    /// When each tenth of the requests was done.
    tenths: Vec<(u64, u64)>,
}

/// Reads the server's RSS every [`SAMPLE_EVERY`] and when each tenth of `total` is done.
async fn watch(done: Arc<AtomicU64>, samples: Arc<Mutex<Samples>>, pid: u32, total: u64) {
    let mut next = 1;
    let mut sampled = std::time::Instant::now();
    let lock = || {
        samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    while next <= 10 {
        let count = done.load(Ordering::Relaxed);
        if count >= total * next / 10 {
            if let Some(m) = read_memory(pid) {
                let mut samples = lock();
                samples.tenths.push((count, m.rss_kb));
                samples.all.push((count, m.rss_kb));
            }
            next += 1;
            continue;
        }
        if sampled.elapsed() >= SAMPLE_EVERY {
            sampled = std::time::Instant::now();
            if let Some(m) = read_memory(pid) {
                lock().all.push((count, m.rss_kb));
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The highest reading among `samples` with requests done in `from..to`.
fn highest(samples: &[(u64, u64)], from: u64, to: u64) -> Option<(u64, u64)> {
    samples
        .iter()
        .copied()
        .filter(|&(n, _)| n >= from && n < to)
        .max_by_key(|&(_, kb)| kb)
}

fn report_soak(r: &LoadResult, samples: &Samples, total: u64, report: &mut Report) {
    // Growth is the highest reading after the second tenth against the highest of the second
    // tenth (once the working set is built): peaks against peaks. RSS swings by a few MiB
    // within a second (the activity log's flushes, the periodic malloc_trim), so a single
    // reading as the base could land in a trough and show growth that no later part of the run
    // has (one run: 56.6 MiB at request 100,000, 63.7–66.3 MiB at every later tenth).
    let points = &samples.tenths;
    let base = highest(&samples.all, total / 10, total / 5).unwrap_or(points[0]);
    let (peak_n, peak) = highest(&samples.all, total / 5, u64::MAX).unwrap_or(base);
    let (_, last) = points[points.len() - 1];
    let growth = (peak as f64 - base.1 as f64) / base.1 as f64 * 100.0;
    let trace: Vec<String> = points
        .iter()
        .map(|(_, kb)| format!("{:.1}", *kb as f64 / 1024.0))
        .collect();
    report.check(
        &format!("RSS growth across a {}-request soak", thousands(r.requests)),
        format!(
            "{growth:+.1}% (highest {} over requests {}-{} -> highest {} later, at {}; {} at the end)",
            mib(base.1),
            thousands(total / 10),
            thousands(total / 5),
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
