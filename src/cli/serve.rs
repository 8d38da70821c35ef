//! `latchkey serve | api | sync`: Connect's two containers, or both in one process.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::app::{self, Service};
use crate::config::{Config, Role};
use crate::sync::Engine;

pub async fn run(config: Config) -> anyhow::Result<()> {
    super::init_logging(true, &config.log_level);
    if config.bus_configured {
        tracing::info!("OP_BUS_PORT or OP_BUS_PEERS is set; latchkey processes share the database and need no bus, so it is ignored");
    }
    let service = app::build(&config).await?;
    let shutdown = app::shutdown_channel();
    let worker = spawn_worker(&service, &config, shutdown.clone());
    let https = spawn_https(&service, &config, shutdown.clone()).await?;
    let listener = app::bind(SocketAddr::new(config.http.bind, config.http.port)).await?;
    let what = match config.role {
        Role::Sync => "latchkey sync listening",
        _ => "latchkey api listening",
    };
    tracing::info!(address = %listener.local_addr()?, "{what}");
    let router = if config.role == Role::Sync {
        crate::http::sync_routes(service.state.clone())
    } else {
        crate::http::routes(service.state.clone())
    };
    let result = app::serve_router(
        listener,
        service.state.clone(),
        router,
        service.limits,
        app::stopped(shutdown),
    )
    .await;
    if let Some(https) = https {
        if let Ok(Err(err)) = https.await {
            tracing::error!(error = %err, "the HTTPS listener failed");
        }
    }
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    result
}

/// The sync worker, in every role but `api`. Its runs are reported on stderr (a progress bar on a
/// terminal, log lines otherwise) and in this process's `/health` and `/metrics`.
fn spawn_worker(
    service: &Service,
    config: &Config,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    if config.role == Role::Api {
        return None;
    }
    let store = service.store.clone();
    let engine = service.source.clone().map(|source| {
        let editor = service.credentials.server_id.clone();
        Arc::new(Engine::new(store.clone(), source, editor))
    });
    if let Some(engine) = &engine {
        service.state.metrics.watch_sync(engine.progress().clone());
    }
    let reports = engine
        .as_ref()
        .map(|engine| super::progress::Reports::start(engine.progress().clone()));
    let interval = config.sync_interval.max(std::time::Duration::from_secs(1));
    Some(tokio::spawn(async move {
        let stop = app::stopped(shutdown);
        if let Err(err) = crate::sync::run_worker(store, engine, interval, stop).await {
            tracing::error!(error = %err, "the sync worker stopped");
        }
        drop(reports);
    }))
}

/// The HTTPS listener, when a certificate and key are configured (never in the sync role).
async fn spawn_https(
    service: &Service,
    config: &Config,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Option<tokio::task::JoinHandle<anyhow::Result<()>>>> {
    let Some((cert, key)) = config
        .http
        .tls
        .as_ref()
        .filter(|_| config.role != Role::Sync)
    else {
        return Ok(None);
    };
    let tls = crate::tls::server_config(cert, key)?;
    let tcp = app::bind(SocketAddr::new(config.http.bind, config.http.https_port)).await?;
    tracing::info!(address = %tcp.local_addr()?, "latchkey api listening for HTTPS");
    let router = crate::http::routes(service.state.clone());
    Ok(Some(tokio::spawn(app::serve_tls(
        tcp,
        tls,
        router,
        service.limits,
        app::stopped(shutdown),
    ))))
}
