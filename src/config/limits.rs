//! Bounds on what the sync worker reads from a file source and what the API buffers, so that a
//! hostile or broken input (a zip bomb, `/dev/zero` as a value file, a database that refuses
//! writes) ends in a clear error or a counted drop instead of an exhausted machine.

/// An archive entry may always inflate to this many bytes, whatever its compression ratio (a
/// short text of spaces compresses far better than 100:1).
pub const ARCHIVE_RATIO_FLOOR: u64 = 1 << 20;

/// What one import of a seed file or a 1PUX export may read and hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceLimits {
    /// The largest seed file, and the largest 1PUX `export.data` once inflated (it is parsed
    /// as a stream, so this bounds the work, not the memory).
    pub max_data_bytes: u64,
    /// The largest single document or attachment.
    pub max_file_bytes: u64,
    /// Every document and attachment of one import together: the file source holds them in
    /// memory until the next import.
    pub max_files_bytes: u64,
    /// A 1PUX entry may inflate to at most this many times its compressed size (beyond
    /// [`ARCHIVE_RATIO_FLOOR`]); counted as the bytes come out, never taken from the zip header.
    pub max_archive_ratio: u64,
}

impl Default for SourceLimits {
    fn default() -> Self {
        SourceLimits {
            max_data_bytes: 512 << 20,
            max_file_bytes: 128 << 20,
            max_files_bytes: 512 << 20,
            max_archive_ratio: 100,
        }
    }
}

impl SourceLimits {
    /// From the flags' MiB figures.
    pub fn from_mib(data_mib: u64, file_mib: u64, files_mib: u64, ratio: u64) -> Self {
        SourceLimits {
            max_data_bytes: data_mib.saturating_mul(1 << 20),
            max_file_bytes: file_mib.saturating_mul(1 << 20),
            max_files_bytes: files_mib.saturating_mul(1 << 20),
            max_archive_ratio: ratio.max(1),
        }
    }
}

/// A limit for messages: `512 MiB`, or `1000 bytes` when it is not a whole number of MiB.
pub fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}
