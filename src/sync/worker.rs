//! Choosing the source from the credentials file and running the worker.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::engine::Engine;
use super::run::run_until_stopped;
use super::source::Source;
use super::sources::connect::ConnectSource;
use super::sources::file::FileSource;
use crate::config::{SourceKind, SourceLimits, SourceSpec, UpstreamLimits};
use crate::crypto::KeyRing;
use crate::store::Store;

/// The source a credentials file (or `latchkey dev --seed`) names; `None` for `none`. `limits`
/// bound what a `connect` source takes from its upstream; file sources read within `bounds`.
pub fn build_source(
    spec: &SourceSpec,
    keys: &KeyRing,
    limits: UpstreamLimits,
    bounds: &SourceLimits,
) -> anyhow::Result<Option<Arc<dyn Source>>> {
    let bounds = *bounds;
    Ok(match spec {
        SourceSpec::None => None,
        SourceSpec::Seed { path } => Some(Arc::new(seed_source(path.clone(), keys, bounds))),
        SourceSpec::OnePux { path } => Some(Arc::new(FileSource::streaming(
            SourceKind::OnePux,
            path.clone(),
            // An export holds everything it is built from: the same bytes, the same content.
            move |p, sink| super::sources::onepux::read_file(p, &bounds, sink),
        ))),
        SourceSpec::Connect { url, token } => {
            Some(Arc::new(ConnectSource::new(url, token, limits)?))
        }
    })
}

/// A seed file source. Generated values are derived from a key of this store, so they stay the
/// same across re-syncs and restarts.
pub fn seed_source(path: PathBuf, keys: &KeyRing, bounds: SourceLimits) -> FileSource {
    let generation_key = keys.blind_index("seed-generation-key", "");
    FileSource::streaming(SourceKind::Seed, path, move |p, sink| {
        super::sources::seed::read_file(p, &generation_key, &bounds, sink)
    })
}

/// Runs the worker until `shutdown`: `engine` syncs its source; without one the store is the
/// source of truth, and the state is recorded as synced once, so `/health` reports the account
/// data as available.
pub async fn run_worker(
    store: Store,
    engine: Option<Arc<Engine>>,
    interval: Duration,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    match engine {
        None => {
            store.record_sync_attempt(SourceKind::None.as_str()).await?;
            store.record_sync_result(Ok(store.counts().await?)).await?;
            shutdown.await;
        }
        Some(engine) => {
            tracing::info!(source = %engine.source().describe(), "sync worker started");
            run_until_stopped(engine, interval, shutdown).await;
        }
    }
    Ok(())
}
