//! A `connect` replica: the release `latchkey serve` on the run's store (source `none`) is the
//! upstream; a second `latchkey serve`, on an empty store, names it as its `connect` source. Its
//! first sync, its memory, and the time from one PUT to the upstream to the replica serving it.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use serde_json::{json, Value};

use super::{check_item, credentials_with_source, Shared};
use crate::loadgen::{get_request, put_request, Client};
use crate::options::Plan;
use crate::probe::{wait_for_sync, wait_visible, SyncCount};
use crate::procfs::RssSampler;
use crate::report::{mib, secs, thousands, took, Report};
use crate::seedgen::{big_vault_id, item_id, mix, pseudo_text};
use crate::server::Server;

const SYNC_TIMEOUT: Duration = Duration::from_secs(900);

pub async fn connect_phase(plan: &Plan, shared: &Shared, report: &mut Report) {
    eprintln!(
        "\n[connect] a replica of `latchkey serve` holding the {}-item store (LATCHKEY_SYNC_INTERVAL {} s)",
        thousands(plan.items as u64),
        plan.connect_interval.as_secs()
    );
    let upstream = match Server::start(
        &plan.latchkey,
        &shared.credentials_path,
        &shared.data_dir,
        &[],
    )
    .await
    {
        Ok((server, _)) => server,
        Err(err) => {
            report.failed("connect replica: the upstream `latchkey serve`", "", &err);
            return;
        }
    };
    if let Err(err) = replica(plan, shared, &upstream, report).await {
        report.failed("connect replica", "", &err);
    }
    upstream.stop();
}

async fn replica(
    plan: &Plan,
    shared: &Shared,
    upstream: &Server,
    report: &mut Report,
) -> anyhow::Result<()> {
    let spec = json!({
        "kind": "connect",
        "url": format!("http://{}", upstream.addr),
        "token": shared.write_token,
    });
    let credentials = credentials_with_source(shared, spec, "connect")?;
    let data_dir = shared.dir.join("data-replica");
    let _ = std::fs::remove_dir_all(&data_dir);
    let interval = format!("{}s", plan.connect_interval.as_secs());
    let (replica, listening) = Server::start_listening(
        &plan.latchkey,
        &credentials,
        &data_dir,
        &[("LATCHKEY_SYNC_INTERVAL", &interval)],
    )
    .await?;
    let spawned = Instant::now()
        .checked_sub(listening)
        .unwrap_or_else(Instant::now);
    let result = replica_figures(plan, shared, upstream, &replica, spawned, report).await;
    replica.stop();
    result
}

async fn replica_figures(
    plan: &Plan,
    shared: &Shared,
    upstream: &Server,
    replica: &Server,
    spawned: Instant,
    report: &mut Report,
) -> anyhow::Result<()> {
    let label = thousands(plan.items as u64);
    let sampler = RssSampler::start(replica.pid());
    let seen = wait_for_sync(replica.addr, SyncCount::default(), SYNC_TIMEOUT).await;
    let sampled = sampler.stop();
    let first = seen?.duration_since(spawned);
    check_item(replica.addr, &shared.token, plan.items - 1).await?;
    report.check(
        &format!("connect replica: first sync of {label} items (from spawn)"),
        secs(first),
        "< 60 s",
        first < Duration::from_secs(60),
    );
    let memory = replica
        .memory()
        .ok_or_else(|| anyhow!("cannot read the replica's memory"))?;
    report.check(
        &format!("connect replica: peak RSS through its first sync of {label} items"),
        format!("{} (VmHWM; sampled {})", mib(memory.hwm_kb), mib(sampled)),
        "< 128 MiB",
        memory.hwm_kb.max(sampled) < 128 * 1024,
    );
    followed_edit(plan, shared, upstream, replica, report).await
}

/// One item's password changed by a PUT to the upstream: the time from the upstream's answer to
/// the replica serving the new value.
async fn followed_edit(
    plan: &Plan,
    shared: &Shared,
    upstream: &Server,
    replica: &Server,
    report: &mut Report,
) -> anyhow::Result<()> {
    let k = (mix(0xC0EC) % plan.items as u64) as usize;
    let marker = format!("upstream-{}", pseudo_text(0xC0EC, 12));
    let path = format!("/v1/vaults/{}/items/{}", big_vault_id(), item_id(k));
    put_password(upstream, &path, &shared.write_token, &marker).await?;
    let put = Instant::now();
    let interval = plan.connect_interval;
    let timeout = (interval * 4).max(Duration::from_secs(300));
    let request = get_request(&path, &shared.token);
    let seen = wait_visible(replica.addr, &request, &marker, put, timeout).await?;
    let metric = "connect replica: one PUT to the upstream served by the replica";
    let target = format!("<= one sync interval ({} s)", interval.as_secs());
    match seen {
        Some(d) => report.check(
            metric,
            format!(
                "{} (LATCHKEY_SYNC_INTERVAL {} s)",
                took(d),
                interval.as_secs()
            ),
            &target,
            d <= interval,
        ),
        None => report.check(
            metric,
            format!("> {} s (not served yet)", timeout.as_secs()),
            &target,
            false,
        ),
    }
    Ok(())
}

/// GETs the item from the upstream, sets its PASSWORD field to `value` and PUTs it back.
async fn put_password(
    upstream: &Server,
    path: &str,
    token: &str,
    value: &str,
) -> anyhow::Result<()> {
    let mut client = Client::connect(upstream.addr).await?;
    let (status, body) = client.send(&get_request(path, token)).await?;
    if status != 200 {
        bail!("GET {path} on the upstream answered {status}");
    }
    let mut item: Value = serde_json::from_slice(client.body(&body))?;
    let field = item["fields"]
        .as_array_mut()
        .and_then(|fields| fields.iter_mut().find(|f| f["purpose"] == "PASSWORD"))
        .ok_or_else(|| anyhow!("the upstream's item has no PASSWORD field"))?;
    field["value"] = Value::String(value.to_string());
    let body = serde_json::to_vec(&item)?;
    let (status, answer) = client.send(&put_request(path, token, &body)).await?;
    if status != 200 {
        bail!(
            "PUT {path} on the upstream answered {status}: {}",
            String::from_utf8_lossy(client.body(&answer))
        );
    }
    Ok(())
}
