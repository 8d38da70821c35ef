//! The performance benchmark of docs/design.md §9: one run measures every target and prints a
//! table with the target next to each figure. Run it with `bash scripts/bench.sh` (add `--quick`
//! for a short run); `--help` lists the flags.
//!
//! What runs where:
//! - the sync figures run in this process, on a store in a temporary directory, with
//!   `latchkey::sync::Engine` and a generated JSON seed file (`phases/sync.rs`, `seedgen.rs`);
//! - the "change visible through the API" figure serves the API in this process
//!   (`latchkey::app::serve`) while `latchkey::sync::run_until_stopped` watches the file
//!   (`phases/change.rs`);
//! - everything else runs against separate processes (`server.rs`): the release `latchkey serve`
//!   binary on the store built above, and a bare axum server (this program started with
//!   `--bare-server`) that answers every request with a constant body of the same size as
//!   latchkey's item response. Both are loaded by the same small HTTP/1.1 keep-alive load
//!   generator (`loadgen.rs`);
//! - the source figures run real `latchkey serve` processes whose credentials file names a source:
//!   the seed file and a generated `.1pux` export (`onepuxgen.rs`), each on an empty store and
//!   after a restart (`phases/source_process.rs`), and a `connect` replica of a `latchkey serve`
//!   upstream (`phases/connect.rs`), watched from outside through `/metrics` (`probe.rs`).
//!
//! A figure that misses its target is reported as MISSED; a phase that fails is reported as
//! FAILED with the reason, and the run goes on with the next phase (`report.rs`).

mod loadgen;
mod onepuxgen;
mod options;
mod phases;
mod probe;
mod procfs;
mod report;
mod seedgen;
mod server;

use std::fmt::Write as _;

use clap::Parser;

use options::{Opts, Plan};
use report::{thousands, Report};

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
        runtime.block_on(server::bare_server(opts.bare_body_bytes))
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

async fn run(opts: Opts) -> anyhow::Result<()> {
    let plan = Plan::resolve(&opts)?;
    let header = header(&plan);
    eprintln!("{header}");
    if plan.quick || plan.items != 100_000 {
        eprintln!(
            "(the targets are stated for 100,000 items; this run uses {})",
            plan.items
        );
    }

    let dir = tempfile::Builder::new()
        .prefix("latchkey-bench-")
        .tempdir()?;
    let mut report = Report::default();
    let outcome = phases::run(&plan, dir.path(), opts.sync_only, &mut report).await;
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

/// The lines above the table: the command, the machine, the binary and the run's settings.
fn header(plan: &Plan) -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let command: Vec<String> = std::env::args().collect();
    let mut header = String::new();
    let _ = writeln!(
        header,
        "latchkey benchmark{}",
        if plan.quick { " (--quick)" } else { "" }
    );
    let _ = writeln!(header, "command: {}", command.join(" "));
    let _ = writeln!(header, "machine: {cores} cores ({})", cpu_model());
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
    header
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}
