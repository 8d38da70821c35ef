//! `latchkey dev`: api and sync in one process on a throwaway (or given) store, a seed file or
//! a demo vault, a known token, and the two `export` lines (docs/design.md §7).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::app::{self, Service};
use crate::auth::{VaultClaim, ACL_READ_WRITE};
use crate::config::args::DevArgs;
use crate::config::Config;
use crate::credentials::Credentials;
use crate::sync::Engine;

use super::progress::Reports;

pub async fn run(args: DevArgs) -> anyhow::Result<()> {
    super::init_logging(false, &args.http.log_level);
    let started = std::time::Instant::now();
    let (data_dir, _throwaway) = match &args.data_dir {
        Some(dir) => (dir.clone(), None),
        None => {
            let dir = tempdir()?;
            (dir.clone(), Some(RemoveOnDrop(dir)))
        }
    };
    std::fs::create_dir_all(&data_dir)?;
    let config = Config::for_dev(&args, &data_dir)?;
    create_credentials_if_missing(&data_dir)?;
    let service = app::build(&config).await?;
    let (engine, _reports) = first_sync(&service, &args).await?.unzip();
    let token = dev_token(&service, args.token.as_deref()).await?;
    let listener = app::bind(SocketAddr::new(args.bind, args.http.port)).await?;
    print_exports(&listener, &token, started, &data_dir)?;
    let shutdown = app::shutdown_channel();
    let watcher = engine.map(|engine| {
        let stop = app::stopped(shutdown.clone());
        tokio::spawn(crate::sync::run_until_stopped(
            engine,
            config.sync_interval,
            stop,
        ))
    });
    let result = app::serve(
        listener,
        service.state,
        service.limits,
        app::stopped(shutdown),
    )
    .await;
    if let Some(watcher) = watcher {
        let _ = watcher.await;
    }
    result
}

fn create_credentials_if_missing(data_dir: &std::path::Path) -> anyhow::Result<()> {
    let path = crate::config::dev_credentials_path(data_dir);
    if !path.exists() {
        Credentials::generate(crate::config::SourceSpec::None.to_json())
            .write_new(&path, None, false)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(())
}

/// The first sync of a seed file completes before the server answers, so that a bad seed file
/// fails the command at once with the reason; without one, an empty store gets the demo vault.
/// Its runs are reported from the first on (a bar on a terminal, log lines otherwise) for as long
/// as the returned [`Reports`] lives, and in `/health` and `/metrics`.
async fn first_sync(
    service: &Service,
    args: &DevArgs,
) -> anyhow::Result<Option<(Arc<Engine>, Reports)>> {
    let (Some(source), Some(path)) = (&service.source, &args.seed) else {
        if service.store.list_vaults().await?.is_empty() {
            crate::demo::seed(&service.store, &service.credentials.server_id).await?;
        }
        return Ok(None);
    };
    let engine = Arc::new(Engine::new(
        service.store.clone(),
        source.clone(),
        service.credentials.server_id.clone(),
    ));
    service.state.metrics.watch_sync(engine.progress().clone());
    let reports = Reports::start(engine.progress().clone());
    let synced = engine.sync_once().await;
    reports.flush();
    synced.map_err(|e| anyhow::anyhow!("seed file {}: {e}", path.display()))?;
    Ok(Some((engine, reports)))
}

/// The fixed `--token`, or a full-access JWT for every vault.
async fn dev_token(service: &Service, fixed: Option<&str>) -> anyhow::Result<String> {
    if let Some(token) = fixed {
        return Ok(token.to_string());
    }
    let vts = service
        .store
        .list_vaults()
        .await?
        .into_iter()
        .map(|v| VaultClaim {
            u: v.id,
            a: ACL_READ_WRITE,
        })
        .collect();
    Ok(service.state.auth.issue("dev", vts, None).await?.0)
}

fn print_exports(
    listener: &tokio::net::TcpListener,
    token: &str,
    started: std::time::Instant,
    data_dir: &std::path::Path,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let host = if addr.ip().is_unspecified() {
        format!("http://127.0.0.1:{}", addr.port())
    } else {
        format!("http://{addr}")
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "# latchkey dev: ready in {} ms; data in {}",
        started.elapsed().as_millis(),
        data_dir.display()
    )?;
    writeln!(out, "export OP_CONNECT_HOST={host}")?;
    writeln!(out, "export OP_CONNECT_TOKEN={token}")?;
    out.flush()?;
    Ok(())
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("latchkey-dev-{}", crate::ids::new_id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
