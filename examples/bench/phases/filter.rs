//! `title eq` filter latency on one connection, sequential requests: the small vault against the
//! large one.

use std::time::{Duration, Instant};

use anyhow::bail;

use crate::loadgen::{contains, filter_path, get_request, Client};
use crate::options::Plan;
use crate::report::{ms, thousands, Report};
use crate::seedgen::{big_vault_id, item_title, mix, small_title, small_vault_id};

/// Requests sent before the measured ones.
const WARMUP_REQUESTS: usize = 50;

pub async fn filter_phase(
    plan: &Plan,
    client: &mut Client,
    token: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    eprintln!(
        "\n[filter] title eq, {} sequential requests per vault",
        plan.filter_requests
    );
    let mut medians = Vec::new();
    for (vault, count, title) in [
        (
            small_vault_id(),
            plan.small_items,
            small_title as fn(usize) -> String,
        ),
        (
            big_vault_id(),
            plan.items,
            item_title as fn(usize) -> String,
        ),
    ] {
        let (median, p99) = latencies(plan, client, token, &vault, count, title).await?;
        medians.push((count, median, p99));
    }
    let (small_n, small_median, small_p99) = medians[0];
    let (big_n, big_median, big_p99) = medians[1];
    report.info(
        &format!(
            "filter title eq, median at {} items",
            thousands(small_n as u64)
        ),
        format!("{} (p99 {})", ms(small_median), ms(small_p99)),
    );
    report.check(
        &format!(
            "filter title eq, median at {} items",
            thousands(big_n as u64)
        ),
        format!("{} (p99 {})", ms(big_median), ms(big_p99)),
        "< 1 ms",
        big_median < Duration::from_millis(1),
    );
    let ratio = big_median.as_secs_f64() / small_median.as_secs_f64().max(1e-9);
    report.check(
        &format!(
            "filter median, {} vs {} items",
            thousands(big_n as u64),
            thousands(small_n as u64)
        ),
        format!("{ratio:.2}x"),
        "<= 2x",
        ratio <= 2.0,
    );
    Ok(())
}

/// The median and p99 of `title eq` requests for random titles of one vault.
async fn latencies(
    plan: &Plan,
    client: &mut Client,
    token: &str,
    vault: &str,
    count: usize,
    title: fn(usize) -> String,
) -> anyhow::Result<(Duration, Duration)> {
    let mut latencies = Vec::with_capacity(plan.filter_requests);
    for i in 0..(plan.filter_requests + WARMUP_REQUESTS) {
        let k = (mix(i as u64 * 7 + count as u64) % count as u64) as usize;
        let request = get_request(&filter_path(vault, &title(k)), token);
        let started = Instant::now();
        let (status, body) = client.send(&request).await?;
        let took = started.elapsed();
        if status != 200 || !contains(client.body(&body), item_title_needle(&title(k)).as_bytes()) {
            bail!(
                "filter request answered {status}: {}",
                String::from_utf8_lossy(client.body(&body))
            );
        }
        if i >= WARMUP_REQUESTS {
            latencies.push(took);
        }
    }
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    let p99 = latencies[(latencies.len() * 99).div_ceil(100) - 1];
    Ok((median, p99))
}

fn item_title_needle(title: &str) -> String {
    format!("\"title\":\"{title}\"")
}
