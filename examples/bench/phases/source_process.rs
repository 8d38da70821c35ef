//! Real `latchkey serve` processes whose credentials file names a file source (the seed file, a
//! generated `.1pux` export). On an empty store: the first sync, the memory during and after it,
//! a re-sync of identical content rewritten, one edit visible through the API. Then a restart
//! with nothing changed: its first sync, the memory during and after it, one unfiltered list.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use serde_json::json;

use latchkey::app::open_store;
use latchkey::credentials::Credentials;

use super::serve::full_list;
use super::{check_item, credentials_with_source, Shared};
use crate::loadgen::{get_request, Client};
use crate::onepuxgen::write_onepux;
use crate::options::Plan;
use crate::probe::{sync_count, wait_for_sync, wait_visible, SyncCount};
use crate::procfs::RssSampler;
use crate::report::{mib, ms, secs, thousands, took, Report};
use crate::seedgen::{big_vault_id, item_id, mix, pseudo_text, write_seed};
use crate::server::Server;

/// How long a sync run may take before the phase gives up.
const SYNC_TIMEOUT: Duration = Duration::from_secs(900);
/// How long an edit may take to show.
const EDIT_TIMEOUT: Duration = Duration::from_secs(300);
const LIMIT_KB: u64 = 128 * 1024;

type WriteSource = fn(&Path, usize, Option<(usize, &str)>) -> anyhow::Result<()>;

/// One file source: its name in the report, its kind in the credentials file, its file and how
/// to write it (`Some((k, password))` edits item `k`).
struct FileSource {
    name: &'static str,
    kind: &'static str,
    path: PathBuf,
    write: WriteSource,
}

pub async fn seed_phase(plan: &Plan, shared: &Shared, report: &mut Report) {
    let source = FileSource {
        name: "seed file",
        kind: "seed",
        path: shared.seed_path.clone(),
        write: write_seed,
    };
    source_phase(plan, shared, source, report).await;
}

pub async fn onepux_phase(plan: &Plan, shared: &Shared, report: &mut Report) {
    let source = FileSource {
        name: ".1pux export",
        kind: "1pux",
        path: shared.dir.join("export.1pux"),
        write: write_onepux,
    };
    source_phase(plan, shared, source, report).await;
}

async fn source_phase(plan: &Plan, shared: &Shared, source: FileSource, report: &mut Report) {
    let label = thousands(plan.items as u64);
    eprintln!(
        "\n[{} source] `latchkey serve` with a {label}-item {} as its source",
        source.kind, source.name
    );
    let name = source.name;
    let run = match SourceRun::prepare(plan, shared, source, label) {
        Ok(run) => run,
        Err(err) => {
            report.failed(&format!("`latchkey serve`, {name} source"), "", &err);
            return;
        }
    };
    let before = match run.fresh(report).await {
        Ok(count) => count,
        Err(err) => {
            report.failed(
                &format!("`latchkey serve`, {name} source, empty store"),
                "",
                &err,
            );
            return;
        }
    };
    if let Err(err) = run.restart(before, report).await {
        report.failed(
            &format!("`latchkey serve`, {name} source, restart"),
            "",
            &err,
        );
    }
}

/// One source's run: its file written, its credentials file and data directory.
struct SourceRun<'a> {
    plan: &'a Plan,
    shared: &'a Shared,
    source: FileSource,
    credentials: PathBuf,
    data_dir: PathBuf,
    label: String,
}

impl<'a> SourceRun<'a> {
    /// Writes the source file (unedited) and the credentials naming it; empties the data dir.
    fn prepare(
        plan: &'a Plan,
        shared: &'a Shared,
        source: FileSource,
        label: String,
    ) -> anyhow::Result<Self> {
        let started = Instant::now();
        (source.write)(&source.path, plan.items, None)?;
        let size = std::fs::metadata(&source.path)?.len();
        eprintln!(
            "  wrote {} ({:.1} MB) in {}",
            source.path.display(),
            size as f64 / 1e6,
            secs(started.elapsed())
        );
        let spec = json!({"kind": source.kind, "path": source.path.display().to_string()});
        let credentials = credentials_with_source(shared, spec, source.kind)?;
        let data_dir = shared.dir.join(format!("data-{}", source.kind));
        let _ = std::fs::remove_dir_all(&data_dir);
        Ok(SourceRun {
            plan,
            shared,
            source,
            credentials,
            data_dir,
            label,
        })
    }

    /// The process on an empty store; returns the sync counters it left in the store.
    async fn fresh(&self, report: &mut Report) -> anyhow::Result<SyncCount> {
        let (server, listening) =
            Server::start_listening(&self.plan.latchkey, &self.credentials, &self.data_dir, &[])
                .await?;
        let spawned = Instant::now()
            .checked_sub(listening)
            .unwrap_or_else(Instant::now);
        let result = self.fresh_figures(&server, spawned, report).await;
        server.stop();
        result?;
        self.stored_sync_count().await
    }

    /// The sync counters in the store once the process has stopped (a run it finished while
    /// shutting down counts too).
    async fn stored_sync_count(&self) -> anyhow::Result<SyncCount> {
        let credentials = Credentials::load(&self.credentials.display().to_string(), None)
            .map_err(|e| anyhow!("{e}"))?;
        let store = open_store(&credentials, &self.data_dir).await?;
        let state = store.sync_state().await?;
        store.close().await;
        Ok(state.map_or_else(SyncCount::default, |s| SyncCount {
            runs: s.runs,
            failures: s.failures,
        }))
    }

    async fn fresh_figures(
        &self,
        server: &Server,
        spawned: Instant,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        let (name, label) = (self.source.name, &self.label);
        let sampler = RssSampler::start(server.pid());
        let seen = wait_for_sync(server.addr, SyncCount::default(), SYNC_TIMEOUT).await;
        let sampled = sampler.stop();
        let sync = seen?.duration_since(spawned);
        check_item(server.addr, &self.shared.token, self.plan.items - 1).await?;
        report.check(
            &format!("initial sync of {label} items, {name} (`latchkey serve`, from spawn)"),
            secs(sync),
            "< 20 s",
            sync < Duration::from_secs(20),
        );
        self.peak(server, sampled, "during its first sync", report);
        self.idle(server, "after its first sync", report).await;
        if let Err(err) = self.rewritten(server, report).await {
            report.failed(&format!("re-sync, {name} rewritten"), "< 1 s", &err);
        }
        if let Err(err) = self.edited(server, report).await {
            report.failed(&format!("one edited item, {name} source"), "< 1 s", &err);
        }
        Ok(())
    }

    /// A restart on the synced store with nothing changed since the last sync.
    async fn restart(&self, before: SyncCount, report: &mut Report) -> anyhow::Result<()> {
        let (server, healthy) =
            Server::start(&self.plan.latchkey, &self.credentials, &self.data_dir, &[]).await?;
        let spawned = Instant::now()
            .checked_sub(healthy)
            .unwrap_or_else(Instant::now);
        let result = self
            .restart_figures(&server, spawned, healthy, before, report)
            .await;
        server.stop();
        result
    }

    async fn restart_figures(
        &self,
        server: &Server,
        spawned: Instant,
        healthy: Duration,
        before: SyncCount,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        let (name, label) = (self.source.name, &self.label);
        let sampler = RssSampler::start(server.pid());
        let seen = wait_for_sync(server.addr, before, SYNC_TIMEOUT).await;
        let sampled = sampler.stop();
        report.check(
            &format!("cold start to healthy /health, {name} source of {label} items"),
            ms(healthy),
            "< 200 ms",
            healthy < Duration::from_millis(200),
        );
        let sync = seen?.duration_since(spawned);
        report.check(
            &format!("first sync after a restart, nothing changed, {name} source (from spawn)"),
            took(sync),
            "< 1 s",
            sync < Duration::from_secs(1),
        );
        self.peak(
            server,
            sampled,
            "from a restart through its first sync",
            report,
        );
        self.idle(server, "after the restart's sync", report).await;
        let source = format!("{name} source");
        full_list(self.plan, server, &self.shared.token, &source, report).await
    }

    /// The process's peak RSS so far (VmHWM) and the highest of the 50 ms samples (the kernel
    /// updates VmHWM lazily, so a sample can be higher); the target holds for both.
    fn peak(&self, server: &Server, sampled_kb: u64, when: &str, report: &mut Report) {
        let metric = format!(
            "peak RSS {when}, {} source of {} items",
            self.source.name, self.label
        );
        match server.memory() {
            Some(m) => report.check(
                &metric,
                format!("{} (VmHWM; sampled {})", mib(m.hwm_kb), mib(sampled_kb)),
                "< 128 MiB",
                m.hwm_kb.max(sampled_kb) < LIMIT_KB,
            ),
            None => report.failed(&metric, "< 128 MiB", &anyhow!("cannot read its memory")),
        }
    }

    async fn idle(&self, server: &Server, when: &str, report: &mut Report) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let metric = format!(
            "RSS idle {when}, {} source of {} items",
            self.source.name, self.label
        );
        match server.memory() {
            Some(m) => report.check(&metric, mib(m.rss_kb), "< 128 MiB", m.rss_kb < LIMIT_KB),
            None => report.failed(&metric, "< 128 MiB", &anyhow!("cannot read its memory")),
        }
    }

    /// The same content written again: the time from the rename to the end of the sync run it
    /// starts.
    async fn rewritten(&self, server: &Server, report: &mut Report) -> anyhow::Result<()> {
        let before = sync_count(&mut Client::connect(server.addr).await?).await?;
        (self.source.write)(&self.source.path, self.plan.items, None)?;
        let written = Instant::now();
        let resync = wait_for_sync(server.addr, before, SYNC_TIMEOUT)
            .await?
            .duration_since(written);
        report.check(
            &format!(
                "re-sync, {} rewritten with identical content (`latchkey serve`)",
                self.source.name
            ),
            took(resync),
            "< 1 s",
            resync < Duration::from_secs(1),
        );
        Ok(())
    }

    /// One item's password changed in the file: the time from the rename to its GET showing it.
    async fn edited(&self, server: &Server, report: &mut Report) -> anyhow::Result<()> {
        let n = self.plan.items;
        let k = (mix(0x0ED1) % n as u64) as usize;
        let marker = format!("edited-{}", pseudo_text(0x0ED1, 12));
        let path = format!("/v1/vaults/{}/items/{}", big_vault_id(), item_id(k));
        let request = get_request(&path, &self.shared.token);
        let before = sync_count(&mut Client::connect(server.addr).await?).await?;
        (self.source.write)(&self.source.path, n, Some((k, &marker)))?;
        let written = Instant::now();
        let seen = wait_visible(server.addr, &request, &marker, written, EDIT_TIMEOUT).await?;
        // The item can show before its run ends; let the run end, so that the restart after
        // this finds nothing changed.
        wait_for_sync(server.addr, before, SYNC_TIMEOUT).await?;
        let metric = format!(
            "one edited item visible through the API, {} source of {} items",
            self.source.name, self.label
        );
        match seen {
            Some(d) => report.check(&metric, took(d), "< 1 s", d < Duration::from_secs(1)),
            None => report.check(
                &metric,
                format!("> {} s (not visible yet)", EDIT_TIMEOUT.as_secs()),
                "< 1 s",
                false,
            ),
        }
        Ok(())
    }
}
