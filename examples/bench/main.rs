//! The performance benchmark of design §9: one run measures every target and prints a table with
//! the target next to each figure. Run it with `bash scripts/bench.sh` (add `--quick` for a short
//! run); `--help` lists the flags.
//!
//! What runs where:
//! - the sync figures run in this process, on a store in a temporary directory, with
//!   `latchkey::sync::Engine` and a generated JSON seed file;
//! - the "change visible through the API" figure serves the API in this process
//!   (`latchkey::server::serve`) while `latchkey::sync::run_until_stopped` watches the file;
//! - everything else runs against separate processes: the release `latchkey serve` binary on the
//!   store built above, and a bare axum server (this program started with `--bare-server`) that
//!   answers every request with a constant body of the same size as latchkey's item response.
//!   Both are loaded by the same small HTTP/1.1 keep-alive load generator below.
//!
//! A figure that misses its target is reported as MISSED; a phase that fails is reported as
//! FAILED with the reason, and the run goes on with the next phase.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{BufWriter, Read as _, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use clap::Parser;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use latchkey::app::{open_store, serve, state};
use latchkey::auth::{VaultClaim, ACL_READ};
use latchkey::credentials::Credentials;
use latchkey::http::HttpConfig;
use latchkey::model::{build_item, BuildMode, ItemInput, Limits, VaultType};
use latchkey::sync::{run_until_stopped, seed_source, Engine};

#[derive(Parser, Debug)]
#[command(about = "latchkey performance benchmark (design §9)")]
struct Opts {
    /// A short run (10,000 items, 2 s per load phase, 20,000-request soak): about a minute
    #[arg(long)]
    quick: bool,
    /// Items in the large vault [default: 100000, or 10000 with --quick]
    #[arg(long)]
    items: Option<usize>,
    /// Items in the small vault (the filter comparison)
    #[arg(long, default_value_t = 1000)]
    small_items: usize,
    /// Requests of the memory soak [default: 200000, or 20000 with --quick]
    #[arg(long)]
    soak_requests: Option<u64>,
    /// Seconds of each throughput measurement [default: 5, or 2 with --quick]
    #[arg(long)]
    duration: Option<f64>,
    /// Concurrent connections of the load phases
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// The latchkey release binary [default: ../latchkey next to this program]
    #[arg(long)]
    latchkey: Option<PathBuf>,
    /// Keep the temporary directory (seed file, store) and print its path
    #[arg(long)]
    keep: bool,
    /// Only the sync figures (no server process is started)
    #[arg(long)]
    sync_only: bool,
    /// Internal: serve the bare axum baseline and print its port
    #[arg(long, hide = true)]
    bare_server: bool,
    /// Internal: size of the bare server's constant body
    #[arg(long, hide = true, default_value_t = 1024)]
    bare_body_bytes: usize,
}

/// The settings of one run, resolved from the flags.
struct Plan {
    quick: bool,
    items: usize,
    small_items: usize,
    soak_requests: u64,
    duration: Duration,
    warmup: Duration,
    connections: usize,
    change_rounds: usize,
    cold_starts: usize,
    filter_requests: usize,
    /// Alternating bare/latchkey rounds of the throughput comparison.
    rounds: usize,
    latchkey: PathBuf,
}

fn main() -> std::process::ExitCode {
    let opts = Opts::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("bench: cannot start the runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = if opts.bare_server {
        runtime.block_on(bare_server(opts.bare_body_bytes))
    } else {
        runtime.block_on(run(opts))
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Met,
    Missed,
    Info,
    Failed,
}

struct Row {
    metric: String,
    figure: String,
    target: String,
    status: Status,
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    notes: Vec<String>,
}

impl Report {
    fn push(&mut self, metric: &str, figure: String, target: &str, status: Status) {
        let label = match status {
            Status::Met => "ok",
            Status::Missed => "MISSED",
            Status::Info => "",
            Status::Failed => "FAILED",
        };
        eprintln!("  {metric}: {figure}  {target} {label}");
        self.rows.push(Row {
            metric: metric.to_string(),
            figure,
            target: target.to_string(),
            status,
        });
    }

    fn check(&mut self, metric: &str, figure: String, target: &str, met: bool) {
        let status = if met { Status::Met } else { Status::Missed };
        self.push(metric, figure, target, status);
    }

    fn info(&mut self, metric: &str, figure: String) {
        self.push(metric, figure, "", Status::Info);
    }

    fn failed(&mut self, metric: &str, target: &str, err: &anyhow::Error) {
        let text = format!("{err:#}").replace('\n', " ");
        self.push(metric, text, target, Status::Failed);
    }

    fn note(&mut self, text: String) {
        eprintln!("  note: {text}");
        self.notes.push(text);
    }

    fn print(&self, header: &str) {
        let w0 = self
            .rows
            .iter()
            .map(|r| r.metric.chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        let w1 = self
            .rows
            .iter()
            .map(|r| r.figure.chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        let w2 = self
            .rows
            .iter()
            .map(|r| r.target.chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        let mut out = String::new();
        let _ = writeln!(out, "\n{header}\n");
        let _ = writeln!(
            out,
            "| {:<w0$} | {:>w1$} | {:<w2$} | result |",
            "metric", "figure", "target"
        );
        let _ = writeln!(
            out,
            "|{}|{}|{}|--------|",
            "-".repeat(w0 + 2),
            "-".repeat(w1 + 2),
            "-".repeat(w2 + 2)
        );
        for r in &self.rows {
            let status = match r.status {
                Status::Met => "ok",
                Status::Missed => "MISSED",
                Status::Info => "",
                Status::Failed => "FAILED",
            };
            let _ = writeln!(
                out,
                "| {:<w0$} | {:>w1$} | {:<w2$} | {:<6} |",
                r.metric, r.figure, r.target, status
            );
        }
        for n in &self.notes {
            let _ = writeln!(out, "\n- {n}");
        }
        let missed = self
            .rows
            .iter()
            .filter(|r| r.status == Status::Missed)
            .count();
        let failed = self
            .rows
            .iter()
            .filter(|r| r.status == Status::Failed)
            .count();
        let met = self.rows.iter().filter(|r| r.status == Status::Met).count();
        let _ = writeln!(out, "\n{met} targets met, {missed} missed, {failed} failed");
        print!("{out}");
        let _ = std::io::stdout().flush();
    }
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.3} ms")
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn mib(kb: u64) -> String {
    format!("{:.1} MiB", kb as f64 / 1024.0)
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

async fn run(opts: Opts) -> anyhow::Result<()> {
    let latchkey = match &opts.latchkey {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .and_then(Path::parent)
            .map(|d| d.join("latchkey"))
            .ok_or_else(|| anyhow!("cannot locate the latchkey binary; pass --latchkey"))?,
    };
    if !latchkey.is_file() {
        bail!(
            "no latchkey binary at {}; build it with `cargo build --release --bin latchkey` or pass --latchkey",
            latchkey.display()
        );
    }
    let quick = opts.quick;
    let plan = Plan {
        quick,
        items: opts
            .items
            .unwrap_or(if quick { 10_000 } else { 100_000 })
            .max(10),
        small_items: opts.small_items.max(10),
        soak_requests: opts
            .soak_requests
            .unwrap_or(if quick { 20_000 } else { 200_000 })
            .max(100),
        duration: Duration::from_secs_f64(
            opts.duration
                .unwrap_or(if quick { 2.0 } else { 5.0 })
                .max(0.2),
        ),
        warmup: Duration::from_secs_f64(if quick { 0.5 } else { 1.0 }),
        connections: opts.connections.max(1),
        change_rounds: if quick { 1 } else { 3 },
        cold_starts: if quick { 3 } else { 5 },
        filter_requests: if quick { 300 } else { 2000 },
        rounds: if quick { 2 } else { 4 },
        latchkey,
    };

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let command: Vec<String> = std::env::args().collect();
    let mut header = String::new();
    let _ = writeln!(
        header,
        "latchkey benchmark{}",
        if quick { " (--quick)" } else { "" }
    );
    let _ = writeln!(header, "command: {}", command.join(" "));
    let _ = writeln!(header, "machine: {cores} cores ({cpu})");
    let _ = writeln!(header, "latchkey binary: {}", plan.latchkey.display());
    let _ = write!(
        header,
        "run: {} items in the large vault, {} in the small one; {} connections; {} s per load phase; soak of {} requests",
        thousands(plan.items as u64),
        thousands(plan.small_items as u64),
        plan.connections,
        plan.duration.as_secs_f64(),
        thousands(plan.soak_requests)
    );
    eprintln!("{header}");
    if quick || plan.items != 100_000 {
        eprintln!(
            "(the targets are stated for 100,000 items; this run uses {})",
            plan.items
        );
    }

    let dir = tempfile::Builder::new()
        .prefix("latchkey-bench-")
        .tempdir()?;
    let mut report = Report::default();
    let outcome = phases(&plan, dir.path(), opts.sync_only, &mut report).await;
    if let Err(err) = &outcome {
        report.failed("benchmark setup", "", err);
    }
    if plan.items != 100_000 {
        report.note(format!(
            "this run used {} items; the targets are stated for 100,000 (run without --quick)",
            thousands(plan.items as u64)
        ));
    }
    report.print(&header);
    if opts.keep {
        let kept = dir.keep();
        eprintln!("kept {}", kept.display());
    }
    Ok(())
}

/// Ids of the benchmark's vaults and items (26 lowercase letters and digits).
fn big_vault_id() -> String {
    format!("bench{:0>21}", "big")
}

fn small_vault_id() -> String {
    format!("bench{:0>21}", "small")
}

fn item_id(n: usize) -> String {
    format!("i{n:025}")
}

fn item_title(n: usize) -> String {
    format!("Item {n:06}")
}

fn small_title(n: usize) -> String {
    format!("Small {n:05}")
}

/// A deterministic pseudo-random sequence (splitmix64).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn pseudo_text(seed: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..len)
        .map(|i| {
            ALPHABET[(mix(seed.wrapping_mul(131).wrapping_add(i as u64)) % ALPHABET.len() as u64)
                as usize] as char
        })
        .collect()
}

/// One seed item: a login with a URL, tags, notes and a section of four fields; its full item
/// response is about 1.3 KB.
fn seed_item(n: usize, password: &str) -> Value {
    json!({
        "id": item_id(n),
        "title": item_title(n),
        "category": "LOGIN",
        "tags": ["bench", format!("group-{}", n % 50)],
        "urls": [{"href": format!("https://service-{n}.example.com/login"), "label": "website"}],
        "username": format!("user{n}@example.com"),
        "password": password,
        "notes": format!("Benchmark item {n}; rotated quarterly by the platform team."),
        "sections": [{"label": "Connection", "fields": [
            {"label": "host", "value": format!("db-{n}.internal.example.com")},
            {"label": "port", "value": "5432"},
            {"label": "database", "value": format!("app_{n}")},
            {"label": "api key", "type": "CONCEALED", "value": pseudo_text(n as u64 ^ 0xA5A5, 40)}
        ]}]
    })
}

fn item_password(n: usize) -> String {
    pseudo_text(n as u64, 32)
}

/// Writes the seed file atomically (temporary file, then rename), so that the watcher never sees
/// half a file. `changed` replaces one item's password.
fn write_seed(path: &Path, items: usize, changed: Option<(usize, &str)>) -> anyhow::Result<()> {
    let tmp = path.with_extension("json.tmp");
    {
        let file = std::fs::File::create(&tmp)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        write!(
            w,
            "{{\"version\":1,\"vaults\":[{{\"id\":\"{}\",\"name\":\"Bench\",\"description\":\"benchmark vault\",\"items\":[",
            big_vault_id()
        )?;
        for n in 0..items {
            if n > 0 {
                w.write_all(b",\n")?;
            }
            let password = match changed {
                Some((k, value)) if k == n => value.to_string(),
                _ => item_password(n),
            };
            serde_json::to_writer(&mut w, &seed_item(n, &password))?;
        }
        w.write_all(b"]}]}\n")?;
        w.into_inner().map_err(|e| anyhow!("{e}"))?.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// What the phases share.
struct Shared {
    credentials_path: PathBuf,
    data_dir: PathBuf,
    seed_path: PathBuf,
    token: String,
}

async fn phases(
    plan: &Plan,
    dir: &Path,
    sync_only: bool,
    report: &mut Report,
) -> anyhow::Result<()> {
    let shared = sync_phase(plan, dir, report).await?;
    if sync_only {
        return Ok(());
    }
    server_phases(plan, &shared, report).await;
    seeded_server_phase(plan, &shared, report).await;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Sync: initial, unchanged, one change visible through the API
// ---------------------------------------------------------------------------------------------

async fn sync_phase(plan: &Plan, dir: &Path, report: &mut Report) -> anyhow::Result<Shared> {
    let n = plan.items;
    let label = thousands(n as u64);
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

    let credentials = Credentials::generate(json!({"kind": "none"}));
    let credentials_path = dir.join("credentials.json");
    credentials
        .write_new(&credentials_path, None, false)
        .map_err(|e| anyhow!("{e}"))?;
    let data_dir = dir.join("data");
    let store = open_store(&credentials, &data_dir).await?;

    // Parsing alone, to tell the parser's share of the sync time from the engine's.
    let generation_key = store.keys().blind_index("seed-generation-key", "");
    // Its memory too: this is the first large allocation of this process, so VmHWM shows the
    // parse's peak; VmRSS with the snapshot still held shows what a file source keeps.
    let path = seed_path.clone();
    let before = read_memory(std::process::id());
    let started = Instant::now();
    let parsed = tokio::task::spawn_blocking(move || {
        latchkey::sync::sources::seed::parse_file(&path, &generation_key)
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

    let source = Arc::new(seed_source(seed_path.clone(), store.keys()));
    let engine = Arc::new(Engine::new(
        store.clone(),
        source,
        credentials.server_id.clone(),
    ));
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
        &format!("initial sync of {label} items (seed file)"),
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
        "re-sync, file untouched (same process)",
        ms(took),
        "< 1 s",
        took < Duration::from_secs(1),
    );

    // The same content written again (new modification time): the engine must re-read the file
    // and compare every item; this is also what every restart of a seed-sourced server does.
    write_seed(&seed_path, n, None)?;
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
        "re-sync, file rewritten with identical content",
        secs(took),
        "< 1 s",
        took < Duration::from_secs(1),
    );

    // The small vault (for the filter comparison), written through the store as the API would.
    let small = store
        .create_vault(
            Some(&small_vault_id()),
            "Small",
            "benchmark vault",
            VaultType::UserCreated,
        )
        .await?;
    for i in 0..plan.small_items {
        let input: ItemInput = serde_json::from_value(json!({
            "title": small_title(i),
            "category": "LOGIN",
            "tags": ["bench"],
            "urls": [{"href": format!("https://small-{i}.example.com/"), "primary": true}],
            "fields": [
                {"purpose": "USERNAME", "value": format!("small{i}@example.com")},
                {"purpose": "PASSWORD", "value": pseudo_text(i as u64 + 7, 32)}
            ]
        }))?;
        let (category, data) =
            build_item(input, &BuildMode::Create, &Limits::default()).map_err(|e| anyhow!(e))?;
        store
            .create_item(
                &small.id,
                &format!("s{i:025}"),
                category,
                &data,
                &credentials.server_id,
                &[],
            )
            .await?;
    }

    // The API in this process, the watcher alongside it, and one edit of the file at a time.
    let app = state(&credentials, store.clone(), HttpConfig::default(), None)?;
    let (token, _) = app
        .auth
        .issue(
            "bench",
            vec![
                VaultClaim {
                    u: big_vault_id(),
                    a: ACL_READ,
                },
                VaultClaim {
                    u: small_vault_id(),
                    a: ACL_READ,
                },
            ],
            None,
        )
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let server = tokio::spawn(serve(listener, app, stopped(stop_rx.clone())));
    let watcher = tokio::spawn(run_until_stopped(
        engine.clone(),
        Duration::from_secs(30),
        stopped(stop_rx),
    ));
    eprintln!(
        "\n[sync] one changed item, visible through the API ({} rounds)",
        plan.change_rounds
    );
    let mut times = Vec::new();
    let mut timed_out = false;
    let mut skipped = 0;
    let result: anyhow::Result<()> = async {
        // Let the watcher's first (no-op) run finish and its file watch begin.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut client = Client::connect(addr).await?;
        for round in 0..plan.change_rounds {
            if times
                .last()
                .is_some_and(|t: &Duration| *t > Duration::from_secs(10))
            {
                skipped = plan.change_rounds - round;
                break;
            }
            let k = (mix(round as u64 + 99) % n as u64) as usize;
            let marker = format!("changed-{round}-{}", pseudo_text(round as u64 + 1000, 12));
            let request = get_request(
                &format!("/v1/vaults/{}/items/{}", big_vault_id(), item_id(k)),
                &token,
            );
            write_seed(&seed_path, n, Some((k, &marker)))?;
            let written = Instant::now();
            let deadline = written + CHANGE_TIMEOUT;
            loop {
                let (status, body) = client.send(&request).await?;
                if status != 200 {
                    bail!("GET of the changed item answered {status}");
                }
                if contains(client.body(&body), marker.as_bytes()) {
                    times.push(written.elapsed());
                    break;
                }
                if Instant::now() > deadline {
                    timed_out = true;
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            eprintln!(
                "  round {round}: {}",
                ms(*times.last().unwrap_or(&Duration::ZERO))
            );
        }
        Ok(())
    }
    .await;
    eprintln!("  stopping the watcher (it finishes its current run first)");
    let _ = stop_tx.send(true);
    let _ = watcher.await;
    match server.await {
        Ok(Err(err)) => eprintln!("  the in-process server stopped with {err:#}"),
        Err(err) => eprintln!("  the in-process server panicked: {err}"),
        Ok(Ok(())) => {}
    }
    store.close().await;
    let metric = format!("one changed item visible through the API ({label} items)");
    match result {
        Ok(()) if timed_out => report.check(
            &metric,
            format!("> {} s (not visible yet)", CHANGE_TIMEOUT.as_secs()),
            "< 1 s",
            false,
        ),
        Ok(()) => {
            times.sort();
            let worst = *times.last().unwrap_or(&Duration::ZERO);
            let mut figure = if times.len() > 1 {
                format!(
                    "{} (worst of {}; median {})",
                    ms(worst),
                    times.len(),
                    ms(times[times.len() / 2])
                )
            } else {
                ms(worst)
            };
            if skipped > 0 {
                let _ = write!(figure, "; {skipped} more rounds skipped (over 10 s)");
            }
            report.check(&metric, figure, "< 1 s", worst < Duration::from_secs(1));
        }
        Err(err) => report.failed(&metric, "< 1 s", &err),
    }
    Ok(Shared {
        credentials_path,
        data_dir,
        seed_path,
        token,
    })
}

/// How long the change test waits for an edit to show.
const CHANGE_TIMEOUT: Duration = Duration::from_secs(300);

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// Against the spawned `latchkey serve`
// ---------------------------------------------------------------------------------------------

async fn server_phases(plan: &Plan, shared: &Shared, report: &mut Report) {
    let label = thousands(plan.items as u64);

    // Cold start: spawn on the existing store, time to the first healthy /health.
    eprintln!(
        "\n[cold start] {} starts of `latchkey serve` on the {label}-item store",
        plan.cold_starts
    );
    let mut starts = Vec::new();
    let mut running = None;
    for i in 0..plan.cold_starts {
        match Server::start(
            &plan.latchkey,
            &shared.credentials_path,
            &shared.data_dir,
            &[],
        )
        .await
        {
            Ok((server, took)) => {
                eprintln!("  start {i}: {}", ms(took));
                starts.push(took);
                if i + 1 == plan.cold_starts {
                    running = Some(server);
                } else {
                    server.stop();
                }
            }
            Err(err) => {
                report.failed("cold start to healthy /health", "< 200 ms", &err);
                return;
            }
        }
    }
    starts.sort();
    let median = starts[starts.len() / 2];
    report.check(
        &format!(
            "cold start to healthy /health, {label} items (median of {})",
            starts.len()
        ),
        format!(
            "{} (max {})",
            ms(median),
            ms(*starts.last().unwrap_or(&median))
        ),
        "< 200 ms",
        median < Duration::from_millis(200),
    );
    let Some(server) = running else { return };

    // Idle memory.
    tokio::time::sleep(Duration::from_secs(if plan.quick { 1 } else { 2 })).await;
    match server.memory() {
        Some(m) => report.check(
            &format!("RSS idle (`latchkey serve`, {label}-item store, no requests yet)"),
            mib(m.rss_kb),
            "< 30 MB",
            m.rss_kb * 1024 < 30_000_000,
        ),
        None => report.failed(
            "RSS idle",
            "< 30 MB",
            &anyhow!("cannot read /proc/{}/status", server.pid()),
        ),
    }

    if let Err(err) = loaded_phases(plan, shared, &server, report).await {
        report.failed("load phases", "", &err);
    }
    server.stop();
}

fn get_request(path: &str, token: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nUser-Agent: latchkey-bench\r\n\r\n"
    )
    .into_bytes()
}

/// Percent-encodes a query value.
fn encode_query(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn filter_path(vault: &str, title: &str) -> String {
    format!(
        "/v1/vaults/{vault}/items?filter={}",
        encode_query(&format!("title eq \"{title}\""))
    )
}

async fn loaded_phases(
    plan: &Plan,
    shared: &Shared,
    server: &Server,
    report: &mut Report,
) -> anyhow::Result<()> {
    let label = thousands(plan.items as u64);
    let addr = server.addr;
    let token = shared.token.clone();
    let big = big_vault_id();

    // The size of one item response (the throughput baseline returns as many bytes).
    let mut client = Client::connect(addr).await?;
    let (status, body) = client
        .send(&get_request(
            &format!("/v1/vaults/{big}/items/{}", item_id(0)),
            &token,
        ))
        .await?;
    if status != 200 {
        bail!(
            "GET of an item answered {status}: {}",
            String::from_utf8_lossy(client.body(&body))
        );
    }
    let item_bytes = body.len();
    report.info(
        "size of one item response (GET /v1/vaults/{v}/items/{i})",
        format!("{item_bytes} bytes"),
    );

    // Filter latency, one connection, sequential requests.
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
        (big.clone(), plan.items, item_title as fn(usize) -> String),
    ] {
        let mut latencies = Vec::with_capacity(plan.filter_requests);
        for i in 0..(plan.filter_requests + 50) {
            let k = (mix(i as u64 * 7 + count as u64) % count as u64) as usize;
            let request = get_request(&filter_path(&vault, &title(k)), &token);
            let started = Instant::now();
            let (status, body) = client.send(&request).await?;
            let took = started.elapsed();
            if status != 200
                || !contains(client.body(&body), item_title_needle(&title(k)).as_bytes())
            {
                bail!(
                    "filter request answered {status}: {}",
                    String::from_utf8_lossy(client.body(&body))
                );
            }
            if i >= 50 {
                latencies.push(took);
            }
        }
        latencies.sort();
        let median = latencies[latencies.len() / 2];
        let p99 = latencies[(latencies.len() * 99).div_ceil(100) - 1];
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
    drop(client);

    // Throughput: bare axum vs latchkey, same generator, same run.
    eprintln!(
        "\n[throughput] {} connections, {} s each after {} s of warm-up",
        plan.connections,
        plan.duration.as_secs_f64(),
        plan.warmup.as_secs_f64()
    );
    let warm_set = plan.items.min(1000);
    let item_request = {
        let token = token.clone();
        let big = big.clone();
        move |i: u64| {
            get_request(
                &format!(
                    "/v1/vaults/{big}/items/{}",
                    item_id((mix(i) % warm_set as u64) as usize)
                ),
                &token,
            )
        }
    };
    // Alternating rounds (bare, latchkey, bare, latchkey, …) so that a slow spell of a shared
    // machine weighs on both alike; each side gets `plan.duration` in all.
    let make: Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync> = Arc::new(item_request.clone());
    let rounds = plan.rounds;
    let slice = plan.duration / rounds as u32;
    let bare_result: anyhow::Result<LoadResult>;
    let latchkey_result: anyhow::Result<LoadResult>;
    match BareServer::start(item_bytes).await {
        Ok(bare) => {
            let mut b_total: Option<LoadResult> = None;
            let mut l_total: Option<LoadResult> = None;
            let outcome: anyhow::Result<()> = async {
                for round in 0..rounds {
                    let warmup = if round == 0 {
                        plan.warmup
                    } else {
                        Duration::ZERO
                    };
                    let b = measure(
                        bare.addr,
                        plan.connections,
                        warmup,
                        slice,
                        make.clone(),
                        Some(bare.child.id()),
                    )
                    .await?;
                    merge(&mut b_total, b);
                    let l = measure(
                        addr,
                        plan.connections,
                        warmup,
                        slice,
                        make.clone(),
                        Some(server.pid()),
                    )
                    .await?;
                    merge(&mut l_total, l);
                }
                Ok(())
            }
            .await;
            bare.stop();
            match outcome {
                Ok(()) => {
                    bare_result = b_total.ok_or_else(|| anyhow!("no round ran"));
                    latchkey_result = l_total.ok_or_else(|| anyhow!("no round ran"));
                }
                Err(err) => {
                    let text = format!("{err:#}");
                    bare_result = Err(anyhow!("{text}"));
                    latchkey_result = Err(anyhow!("{text}"));
                }
            }
        }
        Err(err) => {
            bare_result = Err(anyhow!("the bare server did not start: {err:#}"));
            latchkey_result = measure(
                addr,
                plan.connections,
                plan.warmup,
                plan.duration,
                make.clone(),
                Some(server.pid()),
            )
            .await;
        }
    }
    let peak_during_throughput = server.memory();
    match &bare_result {
        Ok(r) => report.info(
            "bare axum constant handler: requests/s",
            format!(
                "{:.0} (p50 {}, p99 {}; {})",
                r.rate(),
                ms(r.percentile(50.0)),
                ms(r.percentile(99.0)),
                r.cpu_text()
            ),
        ),
        Err(err) => report.failed("bare axum constant handler", "", err),
    }
    match &latchkey_result {
        Ok(r) => {
            report.info(
                &format!("latchkey warm GET item (1,000-item warm set of {label}): requests/s"),
                format!("{:.0} ({} errors; {})", r.rate(), r.errors, r.cpu_text()),
            );
            if let Ok(b) = &bare_result {
                let ratio = r.rate() / b.rate().max(1e-9);
                report.check(
                    "latchkey / bare axum requests/s",
                    format!("{:.0}%", ratio * 100.0),
                    ">= 50%",
                    ratio >= 0.5,
                );
            }
            report.info("latchkey GET item p50 latency", ms(r.percentile(50.0)));
            let p99 = r.percentile(99.0);
            report.check(
                &format!(
                    "latchkey GET item p99 latency, {} connections",
                    plan.connections
                ),
                ms(p99),
                "< 5 ms",
                p99 < Duration::from_millis(5) && r.errors == 0,
            );
        }
        Err(err) => report.failed("latchkey warm GET item", ">= 50% of bare", err),
    }

    // The same with the per-request access log line switched off, to show what logging costs.
    match Server::start(
        &plan.latchkey,
        &shared.credentials_path,
        &shared.data_dir,
        &[("OP_LOG_LEVEL", "error")],
    )
    .await
    {
        Ok((quiet, _)) => {
            match measure(
                quiet.addr,
                plan.connections,
                plan.warmup,
                plan.duration,
                make.clone(),
                Some(quiet.pid()),
            )
            .await
            {
                Ok(r) => {
                    let mut figure = format!(
                        "{:.0} (p99 {}; {})",
                        r.rate(),
                        ms(r.percentile(99.0)),
                        r.cpu_text()
                    );
                    if let Ok(b) = &bare_result {
                        let _ = write!(
                            figure,
                            ", {:.0}% of bare",
                            r.rate() / b.rate().max(1e-9) * 100.0
                        );
                    }
                    report.info(
                        "latchkey with OP_LOG_LEVEL=error (no access log): requests/s",
                        figure,
                    );
                }
                Err(err) => report.failed("latchkey with OP_LOG_LEVEL=error", "", &err),
            }
            quiet.stop();
        }
        Err(err) => report.failed("latchkey with OP_LOG_LEVEL=error", "", &err),
    }

    // Memory under load: random items across the whole vault, one request in eight a filter.
    let mixed = {
        let token = token.clone();
        let big = big.clone();
        let items = plan.items;
        move |i: u64| {
            let r = mix(i ^ 0x5555);
            let k = (r % items as u64) as usize;
            if r % 8 == 0 {
                get_request(&filter_path(&big, &item_title(k)), &token)
            } else {
                get_request(&format!("/v1/vaults/{big}/items/{}", item_id(k)), &token)
            }
        }
    };
    let mixed: Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync> = Arc::new(mixed);
    eprintln!("\n[memory] load over all {label} items (GET, 1 in 8 a title filter)");
    let sampler = RssSampler::start(server.pid());
    let result = load(
        addr,
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

    // The soak.
    eprintln!(
        "\n[soak] {} requests (GET, 1 in 8 a title filter)",
        thousands(plan.soak_requests)
    );
    let done = Arc::new(AtomicU64::new(0));
    let checkpoints: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let watcher = {
        let done = done.clone();
        let checkpoints = checkpoints.clone();
        let pid = server.pid();
        let total = plan.soak_requests;
        tokio::spawn(async move {
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
        })
    };
    let result = load(
        addr,
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
        Ok(r) if points.len() >= 2 => {
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
            report.note(format!(
                "the soak ran {} requests, not the one million of design §9; use --soak-requests 1000000 for the full figure",
                thousands(r.requests)
            ));
        }
        Ok(_) => report.failed(
            "RSS growth across the soak",
            "< 5%",
            &anyhow!("could not read RSS during the soak"),
        ),
        Err(err) => report.failed("RSS growth across the soak", "< 5%", &err),
    }

    // One unfiltered listing of the large vault: every summary decrypted and rendered at once.
    let mut client = Client::connect(addr).await?;
    let started = Instant::now();
    let (status, body) = client
        .send(&get_request(&format!("/v1/vaults/{big}/items"), &token))
        .await?;
    let took = started.elapsed();
    let length = body.len();
    drop(client);
    if status != 200 {
        bail!("listing the large vault answered {status}");
    }
    let hwm = server.memory().map_or(0, |m| m.hwm_kb);
    report.check(
        &format!("peak RSS (VmHWM) after one unfiltered list of {label} items"),
        format!(
            "{} (list took {}, {:.1} MB)",
            mib(hwm),
            ms(took),
            length as f64 / 1e6
        ),
        "< 128 MiB",
        hwm > 0 && hwm < 128 * 1024,
    );
    Ok(())
}

fn item_title_needle(title: &str) -> String {
    format!("\"title\":\"{title}\"")
}

/// `warmup`, then one measured run of `duration`; with `pid`, also the server's CPU time.
async fn measure(
    addr: SocketAddr,
    connections: usize,
    warmup: Duration,
    duration: Duration,
    make: Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>,
    pid: Option<u32>,
) -> anyhow::Result<LoadResult> {
    if !warmup.is_zero() {
        load(addr, connections, Stop::For(warmup), make.clone(), None).await?;
    }
    let cpu_before = pid.and_then(read_cpu);
    let mut result = load(addr, connections, Stop::For(duration), make, None).await?;
    if let (Some(before), Some(after)) = (cpu_before, pid.and_then(read_cpu)) {
        result.cpu = Some(after.saturating_sub(before));
    }
    if result.requests == 0 {
        bail!("no request completed ({} errors)", result.errors);
    }
    Ok(result)
}

fn merge(total: &mut Option<LoadResult>, part: LoadResult) {
    match total {
        None => *total = Some(part),
        Some(t) => {
            t.requests += part.requests;
            t.errors += part.errors;
            t.elapsed += part.elapsed;
            t.cpu = match (t.cpu, part.cpu) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
            t.latencies.extend(part.latencies);
            t.latencies.sort_unstable();
        }
    }
}

/// User + system CPU time of a process, from /proc/<pid>/stat (clock ticks of 1/100 s).
fn read_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// `latchkey serve` with a seed source: after a restart it serves the stored items at once and
/// re-reads the whole file in its first sync (nothing changed since the last sync).
async fn seeded_server_phase(plan: &Plan, shared: &Shared, report: &mut Report) {
    let label = thousands(plan.items as u64);
    eprintln!(
        "\n[seed source] `latchkey serve` restarted with the {label}-item seed file as its source"
    );
    let result: anyhow::Result<()> = async {
        let mut credentials =
            Credentials::load(&shared.credentials_path.display().to_string(), None)
                .map_err(|e| anyhow!("{e}"))?;
        let store = open_store(&credentials, &shared.data_dir).await?;
        let runs_before = store.sync_state().await?.map_or(0, |s| s.runs);
        store.close().await;
        credentials.source =
            json!({"kind": "seed", "path": shared.seed_path.display().to_string()});
        let path = shared
            .credentials_path
            .with_file_name("credentials-seed.json");
        credentials
            .write_new(&path, None, true)
            .map_err(|e| anyhow!("{e}"))?;
        let (server, took) = Server::start(&plan.latchkey, &path, &shared.data_dir, &[]).await?;
        let spawned = Instant::now()
            .checked_sub(took)
            .unwrap_or_else(Instant::now);
        report.check(
            &format!("cold start to healthy /health, seed source of {label} items"),
            ms(took),
            "< 200 ms",
            took < Duration::from_millis(200),
        );
        let sampler = RssSampler::start(server.pid());
        let mut client = Client::connect(server.addr).await?;
        let metrics = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_vec();
        let deadline = Instant::now() + Duration::from_secs(300);
        let synced = loop {
            let (status, body) = client.send(&metrics).await?;
            if status != 200 {
                bail!("/metrics answered {status}");
            }
            let text = String::from_utf8_lossy(client.body(&body)).to_string();
            let counter = |name: &str| {
                text.lines()
                    .find(|l| l.starts_with(name))
                    .and_then(|l| l.rsplit(' ').next())
                    .and_then(|v| v.parse::<i64>().ok())
            };
            if counter("latchkey_sync_runs_total").is_some_and(|r| r > runs_before) {
                if counter("latchkey_sync_failures_total").unwrap_or(0) > 0 {
                    bail!("the first sync after the restart failed");
                }
                break spawned.elapsed();
            }
            if Instant::now() > deadline {
                bail!("no sync completed within 300 s of the restart");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        drop(client);
        let peak = sampler.stop();
        report.check(
            &format!("first sync after a restart, seed source of {label} items, nothing changed"),
            secs(synced),
            "< 1 s",
            synced < Duration::from_secs(1),
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        match server.memory() {
            Some(m) => {
                report.check(
                    &format!("RSS idle after that sync, seed source of {label} items"),
                    mib(m.rss_kb),
                    "< 30 MB",
                    m.rss_kb * 1024 < 30_000_000,
                );
                report.check(
                    &format!("peak RSS during that sync, seed source of {label} items"),
                    format!("{} (VmHWM {})", mib(peak.max(m.rss_kb)), mib(m.hwm_kb)),
                    "< 128 MiB",
                    m.hwm_kb < 128 * 1024,
                );
            }
            None => bail!("cannot read the server's memory"),
        }
        server.stop();
        Ok(())
    }
    .await;
    if let Err(err) = result {
        report.failed("seed-sourced server", "", &err);
    }
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct Memory {
    rss_kb: u64,
    hwm_kb: u64,
}

fn read_memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some(Memory {
        rss_kb: field("VmRSS:")?,
        hwm_kb: field("VmHWM:")?,
    })
}

/// Samples a process's RSS every 50 ms and keeps the highest.
struct RssSampler {
    stop: Arc<std::sync::atomic::AtomicBool>,
    peak: Arc<AtomicU64>,
    handle: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let handle = {
            let stop = stop.clone();
            let peak = peak.clone();
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(m) = read_memory(pid) {
                        peak.fetch_max(m.rss_kb, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        RssSampler { stop, peak, handle }
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.abort();
        self.peak.load(Ordering::Relaxed)
    }
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

/// A spawned `latchkey serve`.
struct Server {
    child: Mutex<Child>,
    addr: SocketAddr,
}

impl Server {
    /// Starts the binary and waits for `/health` to answer 200 with the account data available;
    /// returns the time from spawn to that answer.
    async fn start(
        bin: &Path,
        credentials: &Path,
        data_dir: &Path,
        env: &[(&str, &str)],
    ) -> anyhow::Result<(Server, Duration)> {
        let port = free_port()?;
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
        for var in [
            "OP_SESSION",
            "OP_HTTP_PORT",
            "OP_HTTPS_PORT",
            "OP_TLS_CERT_FILE",
            "OP_TLS_KEY_FILE",
            "OP_LOG_LEVEL",
            "LATCHKEY_DATA_DIR",
            "LATCHKEY_BIND",
            "XDG_DATA_HOME",
        ] {
            command.env_remove(var);
        }
        for (k, v) in env {
            command.env(k, v);
        }
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
                    if account_data_available(client.body(&body)) {
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

    fn pid(&self) -> u32 {
        self.child
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .id()
    }

    fn memory(&self) -> Option<Memory> {
        read_memory(self.pid())
    }

    fn stop(self) {
        let mut child = self
            .child
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        stop_child(&mut child);
    }
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
struct BareServer {
    child: Child,
    addr: SocketAddr,
}

impl BareServer {
    async fn start(body_bytes: usize) -> anyhow::Result<BareServer> {
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

    fn stop(mut self) {
        stop_child(&mut self.child);
    }
}

/// The baseline: axum, one route, a constant JSON body as large as latchkey's item response.
async fn bare_server(body_bytes: usize) -> anyhow::Result<()> {
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

// ---------------------------------------------------------------------------------------------
// The load generator: HTTP/1.1 keep-alive over plain TCP, one request in flight per connection
// ---------------------------------------------------------------------------------------------

struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> std::io::Result<Client> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Sends one request and reads the whole response; returns the status and the body's range
    /// in [`Client::body`]. Responses must carry a Content-Length (axum's do).
    async fn send(&mut self, request: &[u8]) -> std::io::Result<(u16, std::ops::Range<usize>)> {
        use std::io::{Error, ErrorKind};
        self.stream.write_all(request).await?;
        self.buf.clear();
        let mut scanned: usize = 0;
        let header_end = loop {
            if self.buf.capacity() - self.buf.len() < 4096 {
                self.buf.reserve(16 * 1024);
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(Error::new(
                    ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ));
            }
            let from = scanned.saturating_sub(3);
            if let Some(pos) = self.buf[from..].windows(4).position(|w| w == b"\r\n\r\n") {
                break from + pos + 4;
            }
            scanned = self.buf.len();
        };
        let head = std::str::from_utf8(&self.buf[..header_end])
            .map_err(|_| Error::new(ErrorKind::InvalidData, "non-UTF-8 response head"))?;
        let status: u16 = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Error::new(ErrorKind::InvalidData, "no status in the response"))?;
        let mut length = None;
        for line in head.split("\r\n").skip(1) {
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    return Err(Error::new(
                        ErrorKind::InvalidData,
                        "chunked responses are not supported",
                    ));
                }
            }
        }
        let total = header_end
            + length.ok_or_else(|| Error::new(ErrorKind::InvalidData, "no Content-Length"))?;
        if self.buf.capacity() < total {
            self.buf.reserve(total - self.buf.len());
        }
        while self.buf.len() < total {
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(Error::new(
                    ErrorKind::UnexpectedEof,
                    "the server closed the connection mid-body",
                ));
            }
        }
        Ok((status, header_end..total))
    }

    fn body(&self, range: &std::ops::Range<usize>) -> &[u8] {
        &self.buf[range.clone()]
    }
}

#[derive(Clone, Copy)]
enum Stop {
    For(Duration),
    Count(u64),
}

struct LoadResult {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    /// Microseconds, sorted.
    latencies: Vec<u32>,
    /// The server's CPU time during the run, when known.
    cpu: Option<Duration>,
}

impl LoadResult {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The server's CPU time per request and the cores it kept busy, e.g. "142 µs CPU/request, 1.71 cores".
    fn cpu_text(&self) -> String {
        match self.cpu {
            Some(cpu) if self.requests > 0 => format!(
                "{:.0} µs CPU/request, {:.2} cores",
                cpu.as_secs_f64() * 1e6 / self.requests as f64,
                cpu.as_secs_f64() / self.elapsed.as_secs_f64().max(1e-9)
            ),
            _ => "CPU time unknown".into(),
        }
    }

    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((self.latencies.len() as f64 * p / 100.0).ceil() as usize)
            .clamp(1, self.latencies.len());
        Duration::from_micros(u64::from(self.latencies[rank - 1]))
    }
}

/// `connections` connections, each sending its next request as soon as the previous answer is
/// in, until the time is up or `Count` requests have been sent. A non-200 answer or a broken
/// connection counts as an error (the connection is re-opened).
async fn load(
    addr: SocketAddr,
    connections: usize,
    stop: Stop,
    make: Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>,
    done: Option<Arc<AtomicU64>>,
) -> anyhow::Result<LoadResult> {
    let tickets = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = match stop {
        Stop::For(d) => started + d,
        Stop::Count(_) => started + Duration::from_secs(3600),
    };
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let tickets = tickets.clone();
        let make = make.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::new();
            let mut errors = 0u64;
            let mut client: Option<Client> = None;
            loop {
                let ticket = tickets.fetch_add(1, Ordering::Relaxed);
                match stop {
                    Stop::For(_) if Instant::now() >= deadline => break,
                    Stop::Count(n) if ticket >= n => break,
                    _ => {}
                }
                if Instant::now() >= deadline || errors > 1000 {
                    break;
                }
                if client.is_none() {
                    match Client::connect(addr).await {
                        Ok(c) => client = Some(c),
                        Err(_) => {
                            errors += 1;
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    }
                }
                let Some(c) = client.as_mut() else { continue };
                let request = make(ticket);
                let sent = Instant::now();
                match c.send(&request).await {
                    Ok((200, _)) => {
                        latencies
                            .push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
                    }
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        client = None;
                    }
                }
                if let Some(done) = &done {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Ok(LoadResult {
        requests: latencies.len() as u64,
        errors,
        elapsed,
        latencies,
        cpu: None,
    })
}
