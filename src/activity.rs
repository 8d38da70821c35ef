//! The audit log behind `GET /v1/activity`: an in-memory buffer that batches activity writes so
//! that reads on the hot path never wait for a database write (Connect batches its usage reports
//! the same way).

use std::sync::Mutex;

use crate::auth::Access;
use crate::store::{ActivityRecord, ItemRecord, Store};
use crate::timefmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "READ",
            Action::Create => "CREATE",
            Action::Update => "UPDATE",
            Action::Delete => "DELETE",
        }
    }
}

/// Who sent a request, as the activity log records it.
#[derive(Clone, Debug, Default)]
pub struct Requester {
    pub request_id: String,
    pub user_agent: String,
    pub ip: String,
}

#[derive(Default)]
pub struct ActivityLog {
    pending: Mutex<Vec<ActivityRecord>>,
}

impl ActivityLog {
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        who: &Requester,
        access: &Access,
        action: Action,
        allowed: bool,
        vault_id: &str,
        item_id: Option<&str>,
        item_version: Option<i64>,
    ) {
        let entry = ActivityRecord {
            request_id: who.request_id.clone(),
            ts: timefmt::now(),
            action: action.as_str(),
            result: if allowed { "SUCCESS" } else { "DENY" },
            jti: access.jti.clone(),
            user_agent: who.user_agent.clone(),
            request_ip: who.ip.clone(),
            resource_type: if item_id.is_some() { "ITEM" } else { "VAULT" },
            vault_id: vault_id.to_string(),
            item_id: item_id.map(str::to_string),
            item_version,
        };
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(entry);
    }

    /// A successful read of an item.
    pub fn item_read(&self, who: &Requester, access: &Access, item: &ItemRecord) {
        self.record(
            who,
            access,
            Action::Read,
            true,
            &item.vault_id,
            Some(&item.id),
            Some(item.version),
        );
    }

    /// Writes buffered entries to the store.
    pub async fn flush(&self, store: &Store) -> anyhow::Result<()> {
        let batch = std::mem::take(
            &mut *self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if let Err(err) = store.append_activity(&batch).await {
            // Put the batch back so that a transient failure loses nothing.
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let newer = std::mem::replace(&mut *pending, batch);
            pending.extend(newer);
            return Err(err.into());
        }
        Ok(())
    }
}
