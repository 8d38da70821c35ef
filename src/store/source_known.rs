//! What a streamed sync compares the source with: every item of every source vault, by id, with
//! its keyed digests. Read in chunks of items packed into one text row each: fetched a row per
//! item, the rows' hand-over from SQLite's worker thread (a wake-up each) and their decoding took
//! about 4 µs an item, 400 ms at 100,000 items before a run could start reading its source.

use std::collections::{HashMap, HashSet};

use super::sync::{KnownDigests, SourceKnown};
use super::{Store, StoreError, StoreResult};

/// Items per packed row: a row is about 185 bytes of text per item.
const CHUNK: i64 = 4096;

/// One row: the next `CHUNK` items of a vault after an id, in id order (the `items_source_state`
/// index holds every column read, so no item row is visited), packed as
/// `hex(id),1|0,hex(digest),hex(text)` joined by `;`, with the last id and the count.
const PACKED: &str = "SELECT count(*), max(id), \
     group_concat(hex(id) || ',' || (origin = 'source') || ',' || hex(source_digest) || ',' \
     || hex(source_text), ';') \
     FROM (SELECT id, origin, source_digest, source_text FROM items \
           WHERE vault_id = ? AND id > ? ORDER BY id LIMIT ?)";

impl Store {
    /// What a streaming sync compares with: every item of every source vault (API items in
    /// them included), and the ids of the other vaults. One read transaction, so one snapshot.
    /// Each item's digests come as the `T` the caller keeps them in.
    pub async fn source_known<T: From<KnownDigests>>(&self) -> StoreResult<SourceKnown<T>> {
        let mut tx = self.pool.begin().await?;
        let mut local = HashSet::new();
        let mut source = Vec::new();
        for (id, origin) in sqlx::query_as::<_, (String, String)>("SELECT id, origin FROM vaults")
            .fetch_all(&mut *tx)
            .await?
        {
            if origin == "source" {
                source.push(id);
            } else {
                local.insert(id);
            }
        }
        let mut known = HashMap::with_capacity(source.len());
        for vault in source {
            // Sized once: growing the map chunk by chunk rehashed it a dozen times.
            let count: i64 = sqlx::query_scalar("SELECT count(*) FROM items WHERE vault_id = ?")
                .bind(&vault)
                .fetch_one(&mut *tx)
                .await?;
            let mut items = HashMap::with_capacity(usize::try_from(count).unwrap_or(0));
            let mut after = String::new();
            loop {
                let (count, last, packed): (i64, Option<String>, Option<String>) =
                    sqlx::query_as(PACKED)
                        .bind(&vault)
                        .bind(&after)
                        .bind(CHUNK)
                        .fetch_one(&mut *tx)
                        .await?;
                if let Some(packed) = packed {
                    unpack(&packed, &mut items)?;
                }
                match last {
                    Some(last) if count >= CHUNK => after = last,
                    _ => break,
                }
            }
            known.insert(vault, items);
        }
        tx.commit().await?;
        Ok((known, local))
    }
}

/// Adds the items of one packed row to `items`.
fn unpack<T: From<KnownDigests>>(packed: &str, items: &mut HashMap<String, T>) -> StoreResult<()> {
    let malformed = || StoreError::Corrupt("a packed row of source items".into());
    let packed = packed.as_bytes();
    let mut start = 0;
    while start <= packed.len() {
        let end = memchr::memchr(b';', &packed[start..]).map_or(packed.len(), |i| start + i);
        let record = &packed[start..end];
        start = end + 1;
        let mut parts = record.split(|&b| b == b',');
        let (Some(id), Some(origin), Some(digest), Some(text), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(malformed());
        };
        let id = data_encoding::HEXUPPER
            .decode(id)
            .ok()
            .and_then(|id| String::from_utf8(id).ok())
            .ok_or_else(malformed)?;
        let entry = KnownDigests {
            from_source: origin == b"1",
            digest: digest32(digest),
            text: digest32(text),
        };
        items.insert(id, entry.into());
    }
    Ok(())
}

/// A stored digest in hex; anything but 32 bytes (none stored, or another kind) counts as none.
fn digest32(hex: &[u8]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    data_encoding::HEXUPPER.decode_mut(hex, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpacks_ids_origins_and_digests() {
        let digest = "AB".repeat(32);
        let packed = format!(
            "{},1,{digest},;{},0,,",
            data_encoding::HEXUPPER.encode(b"item one"),
            data_encoding::HEXUPPER.encode("ité,m;2".as_bytes())
        );
        let mut items = HashMap::<String, KnownDigests>::new();
        unpack(&packed, &mut items).unwrap();
        assert_eq!(items.len(), 2);
        let one = items["item one"];
        assert!(one.from_source);
        assert_eq!(one.digest, Some([0xAB; 32]));
        assert_eq!(one.text, None);
        let two = items["ité,m;2"];
        assert!(!two.from_source);
        assert_eq!((two.digest, two.text), (None, None));
    }

    #[test]
    fn a_digest_of_another_length_is_none_and_bad_rows_are_refused() {
        assert_eq!(digest32(b"AB"), None);
        assert_eq!(digest32("G0".repeat(32).as_bytes()), None);
        let mut items = HashMap::<String, KnownDigests>::new();
        assert!(unpack("41,1,,", &mut items).is_ok());
        assert!(items.contains_key("A"));
        assert!(unpack("41,1,", &mut items).is_err());
        assert!(unpack("41,1,,,", &mut items).is_err());
        assert!(unpack("4,1,,", &mut items).is_err());
    }
}
