//! The command line of the benchmark and the settings of one run resolved from it (`--quick`
//! picks shorter defaults).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "latchkey performance benchmark (docs/design.md §9)")]
pub struct Opts {
    /// A short run (10,000 items, 2 s per load phase, 20,000-request soak): a minute or two
    #[arg(long)]
    pub quick: bool,
    /// Items in the large vault [default: 100000, or 10000 with --quick]
    #[arg(long)]
    pub items: Option<usize>,
    /// Items in the small vault (the filter comparison)
    #[arg(long, default_value_t = 1000)]
    pub small_items: usize,
    /// Requests of the memory soak [default: 1000000, or 20000 with --quick]
    #[arg(long)]
    pub soak_requests: Option<u64>,
    /// Seconds of each throughput measurement [default: 5, or 2 with --quick]
    #[arg(long)]
    pub duration: Option<f64>,
    /// Concurrent connections of the load phases
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// The latchkey release binary [default: ../latchkey next to this program]
    #[arg(long)]
    pub latchkey: Option<PathBuf>,
    /// Keep the temporary directory (seed file, store) and print its path
    #[arg(long)]
    pub keep: bool,
    /// Only the in-process sync figures (no server process is started)
    #[arg(long)]
    pub sync_only: bool,
    /// Skip the `latchkey serve` process with the seed file as its source (fresh store, restart)
    #[arg(long)]
    pub skip_seed_source: bool,
    /// Skip the `latchkey serve` process with a generated `.1pux` export as its source
    #[arg(long)]
    pub skip_onepux: bool,
    /// Skip the `connect` replica of a `latchkey serve` upstream
    #[arg(long)]
    pub skip_connect: bool,
    /// Skip the filter medians and the throughput comparison (e.g. to iterate on the soak)
    #[arg(long)]
    pub skip_throughput: bool,
    /// The connect replica's LATCHKEY_SYNC_INTERVAL, in seconds [default: 10, or 5 with --quick]
    #[arg(long)]
    pub connect_interval: Option<u64>,
    /// Internal: serve the bare axum baseline and print its port
    #[arg(long, hide = true)]
    pub bare_server: bool,
    /// Internal: size of the bare server's constant body
    #[arg(long, hide = true, default_value_t = 1024)]
    pub bare_body_bytes: usize,
}

/// The settings of one run, resolved from the flags.
pub struct Plan {
    pub quick: bool,
    pub items: usize,
    pub small_items: usize,
    pub soak_requests: u64,
    pub duration: Duration,
    pub warmup: Duration,
    pub connections: usize,
    pub change_rounds: usize,
    pub cold_starts: usize,
    pub filter_requests: usize,
    /// Alternating bare/latchkey rounds of the throughput comparison.
    pub rounds: usize,
    pub latchkey: PathBuf,
    pub seed_source: bool,
    pub onepux: bool,
    pub connect: bool,
    /// The filter medians and the throughput comparison.
    pub throughput: bool,
    /// The sync interval of the connect replica.
    pub connect_interval: Duration,
}

impl Plan {
    /// The flags with their `--quick` or full-run defaults filled in; fails when there is no
    /// latchkey binary to start.
    pub fn resolve(opts: &Opts) -> anyhow::Result<Plan> {
        let latchkey = latchkey_binary(opts)?;
        let quick = opts.quick;
        Ok(Plan {
            quick,
            items: opts
                .items
                .unwrap_or(if quick { 10_000 } else { 100_000 })
                .max(10),
            small_items: opts.small_items.max(10),
            soak_requests: opts
                .soak_requests
                .unwrap_or(if quick { 20_000 } else { 1_000_000 })
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
            seed_source: !opts.skip_seed_source,
            onepux: !opts.skip_onepux,
            connect: !opts.skip_connect,
            throughput: !opts.skip_throughput,
            connect_interval: Duration::from_secs(
                opts.connect_interval
                    .unwrap_or(if quick { 5 } else { 10 })
                    .max(1),
            ),
        })
    }
}

/// `--latchkey`, or `latchkey` in the directory above this program (`target/release/examples/`
/// sits next to `target/release/latchkey`).
fn latchkey_binary(opts: &Opts) -> anyhow::Result<PathBuf> {
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
    Ok(latchkey)
}
