//! The first sync of a streaming source: the store holds nothing of the source, so there is
//! nothing to compare with and every item is new. Instead of a pass that checks everything and a
//! second one that reads it all again to write it, the source is read once, checked as it is read,
//! and written as it comes, the engine writing one batch while the reader parses the next. Its
//! total, for the progress shown meanwhile, comes from a count of the source's items on a thread
//! beside it (a read that builds nothing: a few percent of the sync's time).
//!
//! A source that turns out invalid halfway must leave the store as it was: the vaults this run
//! created (and with them their items) are deleted again. Until then, the API gates requests on a
//! first successful sync, so nothing half-written is served on a fresh deployment.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::sink::{Mode, Sent, Sink};
use super::streamed::{every_vault_given, read};
use super::{Engine, Outcome, SyncError};
use crate::model::VaultType;
use crate::store::VaultChange;
use crate::sync::source::{ReadEnd, SourceError, SourceVault};

/// What a first sync did with a vault id it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Created {
    /// Created for items that came before the vault's attributes (a seed file names a vault
    /// after its items); named when they come.
    Placeholder,
    /// Created with its attributes.
    Named,
    /// Not created by this run: left alone if the run fails.
    Existing,
    /// A vault created through the API with the source's id: its items are not written.
    NotOwned,
}

impl Engine {
    pub(super) async fn run_first(&self, mut sink: Sink) -> Result<Outcome, SyncError> {
        let _counting = self.count_beside();
        let (sender, mut received) = mpsc::channel::<Sent>(2);
        sink.mode = Mode::First(sender);
        let reading = tokio::spawn(read(self.source.clone(), sink));
        let mut outcome = Outcome::default();
        let mut vaults = HashMap::new();
        let mut written = Ok(());
        while let Some(sent) = received.recv().await {
            written = self.write_first(sent, &mut vaults, &mut outcome).await;
            if written.is_err() {
                // Dropping the receiver stops the reader at its next batch.
                break;
            }
        }
        drop(received);
        let joined = reading.await;
        let checked = written.and_then(|()| {
            let (sink, end) = joined.map_err(|e| {
                SyncError::Source(SourceError::Unavailable(format!(
                    "the sync read failed: {e}"
                )))
            })??;
            let end = end?;
            every_vault_given(&sink.plans)?;
            Ok((sink, end))
        });
        let (sink, end) = match checked {
            Ok(read) => read,
            Err(err) => {
                self.undo_first(&vaults).await;
                return Err(err);
            }
        };
        let ReadEnd::Complete { self_contained } = end else {
            return self.unchanged(true).await;
        };
        self.progress.set_total(sink.items);
        outcome.items_unchanged = sink.unchanged;
        for plan in sink.plans.iter().filter(|p| p.owned) {
            if vaults.get(&plan.id) != Some(&Created::NotOwned) {
                outcome.items += plan.listed;
                outcome.vaults += 1;
            }
        }
        let content = sink.content.filter(|_| self_contained);
        self.store
            .set_source_content(content.as_ref().map(|c| &c[..]))
            .await?;
        Ok(outcome)
    }

    /// Counts the source's items on a blocking thread of its own, for the progress total,
    /// until the returned guard is dropped (at the end of the run, however it ends).
    fn count_beside(&self) -> StopOnDrop {
        let stop = Arc::new(AtomicBool::new(false));
        let (source, progress, stopped) =
            (self.source.clone(), self.progress.clone(), stop.clone());
        tokio::task::spawn_blocking(move || {
            let total = source.streaming().and_then(|s| s.count(&stopped));
            if let Some(total) = total.filter(|_| !stopped.load(Ordering::Relaxed)) {
                progress.set_total(total);
            }
        });
        StopOnDrop(stop)
    }

    async fn write_first(
        &self,
        sent: Sent,
        vaults: &mut HashMap<String, Created>,
        outcome: &mut Outcome,
    ) -> Result<(), SyncError> {
        match sent {
            Sent::Vault(vault) => match vaults.get(&vault.id) {
                Some(Created::Placeholder) => {
                    self.store
                        .name_source_vault(
                            &vault.id,
                            &vault.name,
                            &vault.description,
                            vault.vault_type,
                        )
                        .await?;
                    vaults.insert(vault.id, Created::Named);
                }
                Some(_) => {}
                None => {
                    let created = self.create_first(&vault, outcome).await?;
                    vaults.insert(vault.id, created);
                }
            },
            Sent::Items(vault_id, mut items) => {
                if !vaults.contains_key(&vault_id) {
                    let placeholder = SourceVault {
                        id: vault_id.clone(),
                        name: vault_id.clone(),
                        description: String::new(),
                        vault_type: VaultType::UserCreated,
                        revision: None,
                    };
                    let created = match self.create_first(&placeholder, outcome).await? {
                        Created::Named => Created::Placeholder,
                        other => other,
                    };
                    vaults.insert(vault_id.clone(), created);
                }
                if vaults.get(&vault_id) != Some(&Created::NotOwned) {
                    self.apply(&vault_id, &mut items, &[], outcome).await?;
                }
            }
        }
        Ok(())
    }

    async fn create_first(
        &self,
        vault: &SourceVault,
        outcome: &mut Outcome,
    ) -> Result<Created, SyncError> {
        Ok(match self.upsert_vault(vault, outcome).await? {
            VaultChange::Added => Created::Named,
            VaultChange::Updated | VaultChange::Unchanged => Created::Existing,
            VaultChange::NotOwned => Created::NotOwned,
        })
    }

    /// Deletes what a failed first sync created, so that the store is left as it was.
    async fn undo_first(&self, vaults: &HashMap<String, Created>) {
        for (id, created) in vaults {
            if matches!(created, Created::Placeholder | Created::Named) {
                if let Err(err) = self.store.delete_vault(id).await {
                    tracing::warn!(vault = %id, error = %err, "could not remove a vault of a failed first sync");
                }
            }
        }
    }
}

/// Sets its flag when dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
