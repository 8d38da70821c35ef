//! The sync figures, in this process on a fresh store: parsing the generated seed file alone, the
//! initial sync, re-syncs of the untouched and of the rewritten file; then the small vault, and
//! the change-visible figure ([`super::change`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use serde_json::json;

use latchkey::app::open_store;
use latchkey::credentials::Credentials;
use latchkey::model::{build_item, BuildMode, ItemInput, Limits, VaultType};
use latchkey::store::Store;
use latchkey::sync::{seed_source, Engine};

use super::{change, Shared};
use crate::options::Plan;
use crate::procfs::read_memory;
use crate::report::{mib, ms, secs, thousands, Report};
use crate::seedgen::{small_item, small_vault_id, write_seed};

pub async fn sync_phase(plan: &Plan, dir: &Path, report: &mut Report) -> anyhow::Result<Shared> {
    let n = plan.items;
    let label = thousands(n as u64);
    let (seed_path, size) = generate_seed(dir, n, &label)?;

    let credentials = Credentials::generate(json!({"kind": "none"}));
    let credentials_path = dir.join("credentials.json");
    credentials
        .write_new(&credentials_path, None, false)
        .map_err(|e| anyhow!("{e}"))?;
    let data_dir = dir.join("data");
    let store = open_store(&credentials, &data_dir).await?;

    parse_alone(&store, &seed_path, size, n, &label, report).await?;

    let source = Arc::new(seed_source(
        seed_path.clone(),
        store.keys(),
        Default::default(),
    ));
    let engine = Arc::new(Engine::new(
        store.clone(),
        source,
        credentials.server_id.clone(),
    ));
    sync_figures(&engine, &seed_path, n, &label, report).await?;
    create_small_vault(plan, &store, &credentials.server_id).await?;

    let tokens =
        change::change_phase(plan, &credentials, &store, &engine, &seed_path, report).await?;
    Ok(Shared {
        dir: dir.to_path_buf(),
        credentials_path,
        data_dir,
        seed_path,
        token: tokens.read,
        write_token: tokens.read_write,
    })
}

/// Writes the seed file of `n` items; returns its path and size.
fn generate_seed(dir: &Path, n: usize, label: &str) -> anyhow::Result<(PathBuf, u64)> {
    eprintln!("\n[sync] generating a seed file of {label} items");
    let seed_path = dir.join("seed.json");
    let started = Instant::now();
    write_seed(&seed_path, n, None)?;
    let size = std::fs::metadata(&seed_path)?.len();
    eprintln!(
        "  wrote {} ({:.1} MB) in {}",
        seed_path.display(),
        size as f64 / 1e6,
        secs(started.elapsed())
    );
    Ok((seed_path, size))
}

/// Parsing alone, to tell the parser's share of the sync time from the engine's.
async fn parse_alone(
    store: &Store,
    seed_path: &Path,
    size: u64,
    n: usize,
    label: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    let generation_key = store.keys().blind_index("seed-generation-key", "");
    // Its memory too: this is the first large allocation of this process, so VmHWM shows the
    // parse's peak; VmRSS with the snapshot still held shows what a file source keeps.
    let path = seed_path.to_path_buf();
    let before = read_memory(std::process::id());
    let started = Instant::now();
    let parsed = tokio::task::spawn_blocking(move || {
        latchkey::sync::sources::seed::parse_file(&path, &generation_key, &Default::default())
    })
    .await?;
    let took = started.elapsed();
    let held = read_memory(std::process::id());
    match parsed {
        Ok(snapshot) => {
            let items: usize = snapshot.vaults.iter().map(|v| v.items.len()).sum();
            drop(snapshot);
            let dropped = read_memory(std::process::id());
            let mut figure = secs(took);
            if let (Some(b), Some(h), Some(d)) = (before, held, dropped) {
                let _ = write!(
                    figure,
                    " (RSS +{} peak, +{} with the snapshot held, +{} after dropping it)",
                    mib(h.hwm_kb.saturating_sub(b.rss_kb)),
                    mib(h.rss_kb.saturating_sub(b.rss_kb)),
                    mib(d.rss_kb.saturating_sub(b.rss_kb))
                );
            }
            report.info(
                &format!(
                    "seed file parse alone ({label} items, {:.0} MB)",
                    size as f64 / 1e6
                ),
                figure,
            );
            if items != n {
                bail!("the seed file parsed into {items} items, expected {n}");
            }
        }
        Err(err) => bail!("the generated seed file does not parse: {err}"),
    }
    Ok(())
}

/// The initial sync, a re-sync of the untouched file and one of the file rewritten.
async fn sync_figures(
    engine: &Engine,
    seed_path: &Path,
    n: usize,
    label: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    eprintln!("\n[sync] initial sync");
    let started = Instant::now();
    let outcome = engine.sync_once().await.context("initial sync")?;
    let took = started.elapsed();
    if outcome.items_added != n {
        bail!(
            "the initial sync added {} items, expected {n}",
            outcome.items_added
        );
    }
    report.check(
        &format!("initial sync of {label} items, seed file (engine in this process)"),
        secs(took),
        "< 20 s",
        took < Duration::from_secs(20),
    );

    let started = Instant::now();
    let outcome = engine.sync_once().await.context("re-sync")?;
    let took = started.elapsed();
    if outcome.changed() {
        bail!("a re-sync of an unchanged file changed something: {outcome:?}");
    }
    report.check(
        "re-sync, seed file untouched (in process)",
        ms(took),
        "< 1 s",
        took < Duration::from_secs(1),
    );

    // The same content written again (new modification time): the engine must re-read the file
    // and compare every item; this is also what every restart of a seed-sourced server does.
    write_seed(seed_path, n, None)?;
    let started = Instant::now();
    let outcome = engine
        .sync_once()
        .await
        .context("re-sync of a rewritten file")?;
    let took = started.elapsed();
    if outcome.changed() || outcome.items_unchanged != n {
        bail!("a re-sync of identical content reported {outcome:?}");
    }
    report.check(
        "re-sync, seed file rewritten with identical content (in process)",
        secs(took),
        "< 1 s",
        took < Duration::from_secs(1),
    );
    Ok(())
}

/// The small vault (for the filter comparison), written through the store as the API would.
async fn create_small_vault(plan: &Plan, store: &Store, server_id: &str) -> anyhow::Result<()> {
    let small = store
        .create_vault(
            Some(&small_vault_id()),
            "Small",
            "benchmark vault",
            VaultType::UserCreated,
        )
        .await?;
    for i in 0..plan.small_items {
        let input: ItemInput = serde_json::from_value(small_item(i))?;
        let (category, data) =
            build_item(input, &BuildMode::Create, &Limits::default()).map_err(|e| anyhow!(e))?;
        store
            .create_item(
                &small.id,
                &format!("s{i:025}"),
                category,
                &data,
                server_id,
                &[],
            )
            .await?;
    }
    Ok(())
}
