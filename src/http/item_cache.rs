//! The rendered JSON of recently read items, so that a warm `GET item` skips SQLite, three
//! decryptions, JSON decoding and rendering (docs/design.md §9).
//!
//! - Bounded: at most `LATCHKEY_ITEM_CACHE_MB` of JSON (0 disables the cache); the oldest entries
//!   go first.
//! - Zeroized: each body lives in a [`Zeroizing`] buffer, wiped when the last reference is gone
//!   (the cache's, or a response still being written after its eviction).
//! - Never stale beyond the store's change generation ([`Store::generation`]): any committed
//!   change to item content, in this process or (within [`crate::store::CHANGE_POLL`]) in
//!   another, empties it. An entry read before a change is never stored after it.
//! - Only items whose JSON does not depend on the time are kept: an OTP field's `totp` is the
//!   current code, so such items are rendered on every read.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::body::Bytes;
use zeroize::Zeroizing;

use crate::store::Store;

/// Bookkeeping per entry on top of its JSON (key twice, map and queue slots), for the bound.
const ENTRY_OVERHEAD: usize = 160;

/// One cached item: what the activity log needs, and the response body.
#[derive(Clone)]
pub struct CachedItem {
    pub version: i64,
    pub json: Bytes,
}

pub struct ItemCache {
    max_bytes: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    bytes: usize,
    entries: HashMap<String, CachedItem>,
    /// Keys in insertion order: the front is evicted first.
    order: VecDeque<String>,
}

fn key(vault_id: &str, item_id: &str) -> String {
    let mut key = String::with_capacity(vault_id.len() + item_id.len() + 1);
    key.push_str(vault_id);
    key.push('/');
    key.push_str(item_id);
    key
}

/// [`key`] written into `buffer`, if it fits.
fn stack_key<'a>(buffer: &'a mut [u8; 64], vault_id: &str, item_id: &str) -> Option<&'a str> {
    let len = vault_id.len() + 1 + item_id.len();
    let out = buffer.get_mut(..len)?;
    let (vault, rest) = out.split_at_mut(vault_id.len());
    vault.copy_from_slice(vault_id.as_bytes());
    rest[0] = b'/';
    rest[1..].copy_from_slice(item_id.as_bytes());
    std::str::from_utf8(out).ok()
}

/// A response body whose bytes are wiped once nothing refers to them any more.
pub fn zeroizing_body(json: Vec<u8>) -> Bytes {
    Bytes::from_owner(Zeroizing::new(json))
}

impl ItemCache {
    pub fn new(max_bytes: usize) -> Self {
        ItemCache {
            max_bytes,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Whether entries may be kept: a bound above zero, and a store whose changes are watched
    /// (without the watch, another process's writes would go unnoticed).
    pub fn enabled(&self, store: &Store) -> bool {
        self.max_bytes > 0 && store.changes_watched()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached item, if it is current at `generation`.
    pub fn get(&self, generation: u64, vault_id: &str, item_id: &str) -> Option<CachedItem> {
        // The key of a Connect-shaped pair built on the stack: this runs on every warm GET.
        let mut buffer = [0u8; 64];
        let owned;
        let key = match stack_key(&mut buffer, vault_id, item_id) {
            Some(key) => key,
            None => {
                owned = key(vault_id, item_id);
                &owned
            }
        };
        let mut inner = self.lock();
        inner.catch_up(generation);
        if inner.generation != generation {
            return None;
        }
        inner.entries.get(key).cloned()
    }

    /// Keeps `item`, read at `generation`, unless the store has changed since or it is larger
    /// than the whole cache.
    pub fn insert(&self, generation: u64, vault_id: &str, item_id: &str, item: CachedItem) {
        let key = key(vault_id, item_id);
        let size = item.json.len() + 2 * key.len() + ENTRY_OVERHEAD;
        if size > self.max_bytes {
            return;
        }
        let mut inner = self.lock();
        inner.catch_up(generation);
        if inner.generation != generation || inner.entries.contains_key(&key) {
            return;
        }
        while inner.bytes + size > self.max_bytes {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(gone) = inner.entries.remove(&oldest) {
                inner.bytes -= gone.json.len() + 2 * oldest.len() + ENTRY_OVERHEAD;
            }
        }
        inner.bytes += size;
        inner.order.push_back(key.clone());
        inner.entries.insert(key, item);
    }

    /// Bytes held now (for tests).
    #[cfg(test)]
    fn held(&self) -> usize {
        self.lock().bytes
    }
}

impl Inner {
    /// Empties the cache when the store has moved on to `generation`.
    fn catch_up(&mut self, generation: u64) {
        if generation > self.generation {
            self.generation = generation;
            self.entries = HashMap::new();
            self.order = VecDeque::new();
            self.bytes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(version: i64, len: usize) -> CachedItem {
        CachedItem {
            version,
            json: zeroizing_body(vec![b'x'; len]),
        }
    }

    #[test]
    fn hits_until_the_generation_moves() {
        let cache = ItemCache::new(1 << 20);
        cache.insert(3, "v", "i", item(7, 100));
        assert_eq!(cache.get(3, "v", "i").map(|c| c.version), Some(7));
        assert!(cache.get(3, "v", "other").is_none());
        assert!(cache.get(4, "v", "i").is_none());
        // What was read under an older generation is not kept.
        cache.insert(3, "v", "i", item(7, 100));
        assert!(cache.get(4, "v", "i").is_none());
        assert_eq!(cache.held(), 0);
    }

    #[test]
    fn stays_within_its_bound() {
        let entry = 1000 + 2 * "v/i00".len() + ENTRY_OVERHEAD;
        let cache = ItemCache::new(entry * 3);
        for n in 0..10 {
            cache.insert(1, "v", &format!("i{n:02}"), item(n, 1000));
            assert!(cache.held() <= entry * 3);
        }
        // The oldest went first.
        assert!(cache.get(1, "v", "i00").is_none());
        assert!(cache.get(1, "v", "i09").is_some());
        // Larger than the whole cache: not kept, nothing evicted.
        cache.insert(1, "v", "big", item(1, entry * 4));
        assert!(cache.get(1, "v", "big").is_none());
        assert!(cache.get(1, "v", "i09").is_some());
    }

    #[test]
    fn long_ids_are_looked_up_too() {
        let cache = ItemCache::new(1 << 20);
        let long = "v".repeat(100);
        cache.insert(1, &long, "i", item(2, 10));
        assert_eq!(cache.get(1, &long, "i").map(|c| c.version), Some(2));
        assert!(cache.get(1, &long, "j").is_none());
    }

    #[test]
    fn a_zero_bound_keeps_nothing() {
        let cache = ItemCache::new(0);
        cache.insert(0, "v", "i", item(1, 10));
        assert!(cache.get(0, "v", "i").is_none());
    }
}
