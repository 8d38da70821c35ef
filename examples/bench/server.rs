//! The processes under load: the release `latchkey serve` on the benchmark's store, and the bare
//! axum baseline (this program started with `--bare-server`); starting, waiting for and stopping
//! them.

use std::collections::VecDeque;
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use serde_json::Value;

use crate::loadgen::Client;
use crate::procfs::{read_memory, Memory};

/// The variables of the caller's environment that would change how `latchkey serve` runs.
const CLEARED_ENV: [&str; 10] = [
    "OP_SESSION",
    "OP_HTTP_PORT",
    "OP_HTTPS_PORT",
    "OP_TLS_CERT_FILE",
    "OP_TLS_KEY_FILE",
    "OP_LOG_LEVEL",
    "LATCHKEY_DATA_DIR",
    "LATCHKEY_BIND",
    "XDG_DATA_HOME",
    "LATCHKEY_SYNC_INTERVAL",
];

/// A spawned `latchkey serve`.
pub struct Server {
    child: Mutex<Child>,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts the binary and waits for `/health` to answer 200 with the account data available;
    /// returns the time from spawn to that answer.
    pub async fn start(
        bin: &Path,
        credentials: &Path,
        data_dir: &Path,
        env: &[(&str, &str)],
    ) -> anyhow::Result<(Server, Duration)> {
        Self::launch(bin, credentials, data_dir, env, true).await
    }

    /// Starts the binary and waits only for `/health` to answer 200 (a first sync may still be
    /// running); returns the time from spawn to that answer.
    pub async fn start_listening(
        bin: &Path,
        credentials: &Path,
        data_dir: &Path,
        env: &[(&str, &str)],
    ) -> anyhow::Result<(Server, Duration)> {
        Self::launch(bin, credentials, data_dir, env, false).await
    }

    async fn launch(
        bin: &Path,
        credentials: &Path,
        data_dir: &Path,
        env: &[(&str, &str)],
        need_account_data: bool,
    ) -> anyhow::Result<(Server, Duration)> {
        let port = free_port()?;
        let mut command = serve_command(bin, credentials, data_dir, port, env);
        let started = Instant::now();
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let tail = child.stderr.take().map(drain).unwrap_or_default();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let health = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_vec();
        let deadline = started + Duration::from_secs(180);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                bail!("latchkey serve exited with {status}: {}", tail_text(&tail));
            }
            if let Ok(mut client) = Client::connect(addr).await {
                if let Ok((200, body)) = client.send(&health).await {
                    if !need_account_data || account_data_available(client.body(&body)) {
                        let took = started.elapsed();
                        return Ok((
                            Server {
                                child: Mutex::new(child),
                                addr,
                            },
                            took,
                        ));
                    }
                }
            }
            if Instant::now() > deadline {
                stop_child(&mut child);
                bail!(
                    "latchkey serve was not healthy within 180 s: {}",
                    tail_text(&tail)
                );
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .id()
    }

    pub fn memory(&self) -> Option<Memory> {
        read_memory(self.pid())
    }

    pub fn stop(self) {
        let mut child = self
            .child
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        stop_child(&mut child);
    }
}

/// `latchkey serve` on the given store and port, with only `env` of the settings variables set.
fn serve_command(
    bin: &Path,
    credentials: &Path,
    data_dir: &Path,
    port: u16,
    env: &[(&str, &str)],
) -> Command {
    let mut command = Command::new(bin);
    command
        .arg("serve")
        .arg("--credentials")
        .arg(credentials)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for var in CLEARED_ENV {
        command.env_remove(var);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    command
}

fn account_data_available(body: &[u8]) -> bool {
    let Ok(health) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    health["dependencies"].as_array().is_some_and(|deps| {
        deps.iter()
            .any(|d| d["service"] == "account_data" && d["status"] == "AVAILABLE")
    })
}

/// This program started with `--bare-server`.
pub struct BareServer {
    child: Child,
    pub addr: SocketAddr,
}

impl BareServer {
    pub async fn start(body_bytes: usize) -> anyhow::Result<BareServer> {
        let mut child = Command::new(std::env::current_exe()?)
            .args([
                "--bare-server",
                "--bare-body-bytes",
                &body_bytes.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let line = tokio::task::spawn_blocking(move || {
            let mut text = Vec::new();
            let mut byte = [0u8; 1];
            while stdout.read(&mut byte).ok() == Some(1) && byte[0] != b'\n' {
                text.push(byte[0]);
            }
            String::from_utf8_lossy(&text).to_string()
        })
        .await?;
        let port: u16 = match line.trim().parse() {
            Ok(p) => p,
            Err(_) => {
                stop_child(&mut child);
                bail!("the bare server did not report its port (got {line:?})");
            }
        };
        Ok(BareServer {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stop(mut self) {
        stop_child(&mut self.child);
    }
}

/// The baseline: axum, one route, a constant JSON body as large as latchkey's item response.
pub async fn bare_server(body_bytes: usize) -> anyhow::Result<()> {
    use axum::routing::get;
    let prefix = "{\"constant\":\"";
    let suffix = "\"}";
    let pad = body_bytes.saturating_sub(prefix.len() + suffix.len());
    let body = axum::body::Bytes::from(format!("{prefix}{}{suffix}", "x".repeat(pad)));
    let app = axum::Router::new().route(
        "/v1/vaults/{vault}/items/{item}",
        get(move || {
            let body = body.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    body,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    axum::serve(listener, app).await?;
    Ok(())
}

/// Keeps the last few KB a child wrote to stderr (for error messages), without ever blocking it.
fn drain(mut pipe: impl std::io::Read + Send + 'static) -> Arc<Mutex<VecDeque<u8>>> {
    let tail: Arc<Mutex<VecDeque<u8>>> = Arc::default();
    let keep = tail.clone();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut t = keep
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            t.extend(&buf[..n]);
            let excess = t.len().saturating_sub(4096);
            t.drain(..excess);
        }
    });
    tail
}

fn tail_text(tail: &Arc<Mutex<VecDeque<u8>>>) -> String {
    let t = tail
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let bytes: Vec<u8> = t.iter().copied().collect();
    String::from_utf8_lossy(&bytes).trim().to_string()
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Stops a child: SIGTERM (graceful), then SIGKILL after 10 s.
fn stop_child(child: &mut Child) {
    let pid = child.id().to_string();
    let _ = Command::new("kill")
        .args(["-TERM", &pid])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}
