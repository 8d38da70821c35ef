//! A run over a streaming source: read once to check everything (nothing is written from a
//! source that turns out invalid halfway) while holding the changes if they are few, then write
//! them, or, when they were too many to hold, read again and write batch by batch.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;

use super::sink::{Mode, Plan, Sent, Sink};
use super::{Engine, Outcome, SyncError};
use crate::store::VaultChange;
use crate::sync::source::{ReadEnd, Source, SourceError, SourceVault};

impl Engine {
    pub(super) async fn run_streamed(&self) -> Result<Outcome, SyncError> {
        let started = Instant::now();
        let stored = self.store.source_content().await?;
        let known = self.store.source_known().await?;
        let known_at = started.elapsed();
        let first = stored.is_none()
            && known.0.is_empty()
            && self.store.source_vault_ids().await?.is_empty();
        let sink = Sink::new(self.store.clone(), self.progress.clone(), known, stored);
        if first {
            return self.run_first(sink).await;
        }
        let (mut sink, end) = read(self.source.clone(), sink).await?;
        let read_at = started.elapsed();
        let self_contained = match end? {
            ReadEnd::Unchanged => return self.unchanged(true).await,
            ReadEnd::Complete { self_contained } => self_contained,
        };
        every_vault_given(&sink.plans)?;
        self.progress.set_total(sink.items);
        let mut outcome = Outcome {
            items_unchanged: sink.unchanged,
            ..Outcome::default()
        };
        self.store.set_source_content(None).await?;
        self.write_vaults(&mut sink.plans, &mut outcome).await?;
        if sink.overflow {
            sink = self.write_pass(sink, &mut outcome).await?;
        }
        for plan in sink.plans.iter_mut().filter(|p| p.owned) {
            let mut pending = std::mem::take(&mut plan.pending);
            while !pending.is_empty() {
                let rest = pending.split_off(pending.len().min(super::BATCH));
                self.apply(&plan.id, &mut pending, &[], &mut outcome)
                    .await?;
                pending = rest;
            }
            self.store.set_source_texts(&plan.id, &plan.touches).await?;
            self.apply(&plan.id, &mut Vec::new(), &plan.removals(), &mut outcome)
                .await?;
            outcome.items += plan.listed;
            outcome.vaults += 1;
        }
        self.remove_vaults(&sink.plans, &mut outcome).await?;
        let content = sink.content.filter(|_| self_contained);
        self.store
            .set_source_content(content.as_ref().map(|c| &c[..]))
            .await?;
        // Where a run's time goes, for whoever tunes a large source.
        tracing::debug!(
            known_ms = known_at.as_millis() as u64,
            read_ms = (read_at - known_at).as_millis() as u64,
            write_ms = (started.elapsed() - read_at).as_millis() as u64,
            second_pass = sink.overflow,
            "streamed sync run"
        );
        Ok(outcome)
    }

    /// Creates or updates the vaults (before their items are written); a vault created through
    /// the API with the source's id is left alone, with its items.
    async fn write_vaults(
        &self,
        plans: &mut [Plan],
        outcome: &mut Outcome,
    ) -> Result<(), SyncError> {
        for plan in plans.iter_mut().filter(|p| p.owned) {
            let Some(vault) = &plan.vault else { continue };
            if self.upsert_vault(vault, outcome).await? == VaultChange::NotOwned {
                plan.owned = false;
            }
        }
        Ok(())
    }

    /// Creates or updates a source vault, counting what changed; a vault created through the API
    /// with the source's id is reported and left alone.
    pub(super) async fn upsert_vault(
        &self,
        vault: &SourceVault,
        outcome: &mut Outcome,
    ) -> Result<VaultChange, SyncError> {
        let change = self
            .store
            .upsert_source_vault(&vault.id, &vault.name, &vault.description, vault.vault_type)
            .await?;
        match change {
            VaultChange::Added => outcome.vaults_added += 1,
            VaultChange::Updated => outcome.vaults_updated += 1,
            VaultChange::Unchanged => {}
            VaultChange::NotOwned => {
                tracing::warn!(vault = %vault.id, "a vault with the source's id exists locally; not syncing it");
            }
        }
        Ok(change)
    }

    /// The source vaults of the store the source no longer has.
    async fn remove_vaults(&self, plans: &[Plan], outcome: &mut Outcome) -> Result<(), SyncError> {
        let listed: std::collections::HashSet<&str> = plans.iter().map(|p| p.id.as_str()).collect();
        for id in self.store.source_vault_ids().await? {
            if !listed.contains(id.as_str()) && self.store.delete_vault(&id).await? {
                outcome.vaults_removed += 1;
            }
        }
        Ok(())
    }

    /// Reads the source again and writes its changed items as they come.
    async fn write_pass(&self, mut sink: Sink, outcome: &mut Outcome) -> Result<Sink, SyncError> {
        let (sender, mut batches) = mpsc::channel::<Sent>(2);
        sink.mode = Mode::Write(sender);
        self.progress.start();
        self.progress.set_total(sink.items);
        let reading = tokio::spawn(read(self.source.clone(), sink));
        let mut written = Ok(());
        while let Some(sent) = batches.recv().await {
            // A writing pass sends items only: its vaults were written before it.
            if let (true, Sent::Items(vault_id, mut items)) = (written.is_ok(), sent) {
                written = self.apply(&vault_id, &mut items, &[], outcome).await;
            }
            if written.is_err() {
                // Dropping the receiver stops the reader at its next batch.
                break;
            }
        }
        drop(batches);
        let joined = reading.await.map_err(|e| {
            SyncError::Source(SourceError::Unavailable(format!(
                "the sync read failed: {e}"
            )))
        })?;
        written?;
        let (sink, end) = joined?;
        end?;
        Ok(sink)
    }
}

/// A read gave a vault's attributes for every vault it gave items of.
pub(super) fn every_vault_given(plans: &[Plan]) -> Result<(), SyncError> {
    match plans.iter().find(|p| p.vault.is_none()) {
        Some(plan) => Err(SourceError::Invalid(format!(
            "the source gave items of vault {} but not the vault",
            plan.id
        ))
        .into()),
        None => Ok(()),
    }
}

/// One pass of the source into `sink`, on a blocking thread (the parse is CPU work); the sink
/// comes back with what it found.
pub(super) async fn read(
    source: Arc<dyn Source>,
    mut sink: Sink,
) -> Result<(Sink, Result<ReadEnd, SourceError>), SyncError> {
    tokio::task::spawn_blocking(move || {
        let result = match source.streaming() {
            Some(streaming) => streaming.read(&mut sink),
            None => Err(SourceError::Unavailable(
                "the source does not stream".into(),
            )),
        };
        let result = result.and_then(|end| sink.send().map(|()| end));
        // Drops the writing pass's sender, which ends the engine's receiving loop.
        sink.mode = Mode::Check;
        (sink, result)
    })
    .await
    .map_err(|e| {
        SyncError::Source(SourceError::Unavailable(format!(
            "the sync read failed: {e}"
        )))
    })
}
