//! Choosing the source from the credentials file and running the worker.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::engine::{run_until_stopped, Engine};
use super::sources::file::FileSource;
use super::source::Source;
use crate::crypto::KeyRing;
use crate::store::Store;

/// The source described by the credentials file's `source` object; `None` for `none`.
pub fn build_source(
    spec: &serde_json::Value,
    keys: &KeyRing,
) -> anyhow::Result<Option<Arc<dyn Source>>> {
    let kind = spec
        .get("kind")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("none");
    let path = || -> anyhow::Result<PathBuf> {
        spec.get("path")
            .and_then(serde_json::Value::as_str)
            .map(PathBuf::from)
            .ok_or_else(|| {
                anyhow::anyhow!("the {kind} source in the credentials file has no \"path\"")
            })
    };
    match kind {
        "none" => Ok(None),
        "seed" => Ok(Some(Arc::new(seed_source(path()?, keys)))),
        "1pux" => Ok(Some(Arc::new(FileSource::new(
            "1pux",
            path()?,
            super::sources::onepux::parse_file,
        )))),
        "connect" => Ok(Some(Arc::new(connect_source(spec)?))),
        other => anyhow::bail!("unknown source kind \"{other}\" in the credentials file"),
    }
}

/// A seed file source. Generated values are derived from a key of this store, so they stay the
/// same across re-syncs and restarts.
pub fn seed_source(path: PathBuf, keys: &KeyRing) -> FileSource {
    let generation_key = keys.blind_index("seed-generation-key", "");
    FileSource::new("seed", path, move |p| {
        super::sources::seed::parse_file(p, &generation_key)
    })
}

/// Runs the worker until `shutdown`. With no source the store is the source of truth: the state
/// is recorded as synced once, so `/health` reports the account data as available.
pub async fn run_worker(
    store: Store,
    source: Option<Arc<dyn Source>>,
    editor: String,
    interval: Duration,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    match source {
        None => {
            store.record_sync_attempt("none").await?;
            store.record_sync_result(Ok(store.counts().await?)).await?;
            shutdown.await;
        }
        Some(source) => {
            tracing::info!(source = %source.describe(), "sync worker started");
            let engine = Arc::new(Engine::new(store, source, editor));
            run_until_stopped(engine, interval, shutdown).await;
        }
    }
    Ok(())
}

/// The `connect` source of a credentials file: `{"kind": "connect", "url": …, "token": …}`.
pub fn connect_source(spec: &serde_json::Value) -> anyhow::Result<super::sources::connect::ConnectSource> {
    let field = |name: &str| {
        spec.get(name)
            .and_then(serde_json::Value::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                anyhow::anyhow!("the connect source in the credentials file has no \"{name}\"")
            })
    };
    super::sources::connect::ConnectSource::new(field("url")?, field("token")?)
}
