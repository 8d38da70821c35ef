//! What the `connect` source accepts from its upstream: an upstream is another server, so its
//! answers are bounded like any client input.

/// One MiB, the unit of the `LATCHKEY_UPSTREAM_MAX_*_MB` settings.
pub const MIB: u64 = 1024 * 1024;

/// The default of `LATCHKEY_UPSTREAM_MAX_JSON_MB`. An item list of 100,000 items (the largest
/// vault the design targets) is about 40 MB of JSON from Connect; 64 MiB leaves room for longer
/// titles, tags and URLs while keeping one answer far below what used to exhaust memory.
pub const DEFAULT_MAX_JSON_MB: u64 = 64;

/// The default of `LATCHKEY_UPSTREAM_MAX_FILE_MB`: far above secret material (certificates,
/// keys, kubeconfigs), while one item's files held for storing stay a bounded share of memory.
pub const DEFAULT_MAX_FILE_MB: u64 = 64;

/// Limits on the answers of a `connect` source's upstream; a larger answer fails the sync run
/// (reported in `/health` and the logs) and nothing of it is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpstreamLimits {
    /// The largest JSON answer read: the vault list, an item list, one item.
    pub max_json_bytes: u64,
    /// The most file content fetched for one item: one file, or all of its files together
    /// (the engine holds and stores an item's files together).
    pub max_file_bytes: u64,
}

impl UpstreamLimits {
    pub fn from_mb(max_json_mb: u64, max_file_mb: u64) -> Self {
        UpstreamLimits {
            max_json_bytes: max_json_mb.saturating_mul(MIB),
            max_file_bytes: max_file_mb.saturating_mul(MIB),
        }
    }
}

impl Default for UpstreamLimits {
    fn default() -> Self {
        Self::from_mb(DEFAULT_MAX_JSON_MB, DEFAULT_MAX_FILE_MB)
    }
}
