//! Reads a 1Password 8 export (`.1pux`): a zip holding `export.data` (JSON: accounts → vaults →
//! items) and `files/<documentId>__<fileName>` for documents and attachments. What this relies on
//! in the format, and how each part maps to Connect: `docs/1pux-format.md`.
//!
//! The export is read as a stream and handed to an [`ItemSink`] one vault and one item at a time:
//! memory follows one item, whatever the size of the export. An item the sink already holds
//! (same text, see [`ItemSink::wants`]) is not even built.
//!
//! An unreadable file, a bad zip or a zip without `export.data` is [`SourceError::Unavailable`];
//! anything wrong inside is [`SourceError::Invalid`], with the path to the bad value (never the
//! value itself).

use std::fmt;
use std::io::{Cursor, Read, Seek};
use std::path::Path;

use zip::ZipArchive;

use archive::Budget;

use crate::config::SourceLimits;
use crate::sync::source::{ItemSink, Snapshot, SnapshotSink, SourceError};
use crate::sync::sources::regular_file::open_regular;

mod archive;
mod attachments;
mod export_data;
mod head;
mod import;
mod item;
mod item_body;
mod json;
mod login_fields;
mod shared_file;
mod unique_ids;
mod values;

#[cfg(test)]
mod tests;

/// Parses a whole 1PUX archive within the default [`SourceLimits`].
pub fn parse(bytes: &[u8]) -> Result<Snapshot, SourceError> {
    parse_with(bytes, &SourceLimits::default())
}

/// Parses a whole 1PUX archive; an entry that inflates beyond `bounds` is
/// [`SourceError::Invalid`].
pub fn parse_with(bytes: &[u8], bounds: &SourceLimits) -> Result<Snapshot, SourceError> {
    let mut collect = SnapshotSink::default();
    read(bytes, bounds, &mut collect)?;
    collect.finish()
}

/// Parses the whole 1PUX archive at `path`.
pub fn parse_file(path: &Path, bounds: &SourceLimits) -> Result<Snapshot, SourceError> {
    let mut collect = SnapshotSink::default();
    read_file(path, bounds, &mut collect)?;
    collect.finish()
}

/// Reads a 1PUX archive held in memory into `sink`.
pub fn read(
    bytes: &[u8],
    bounds: &SourceLimits,
    sink: &mut dyn ItemSink,
) -> Result<(), SourceError> {
    let budget = Budget::new(bounds, bytes.len() as u64);
    read_archive(Cursor::new(bytes), budget, "the input", sink)
}

/// Reads the 1PUX archive at `path` into `sink`. A missing or unreadable file, or one that is
/// not a zip, is [`SourceError::Unavailable`] with the path. Returns `true`: everything comes
/// from the archive itself.
pub fn read_file(
    path: &Path,
    bounds: &SourceLimits,
    sink: &mut dyn ItemSink,
) -> Result<bool, SourceError> {
    let name = path.display().to_string();
    // The archive is read in place (only what its entries inflate to is bounded), and never
    // opened if it is a FIFO or a device.
    let (file, metadata) = open_regular(path, u64::MAX)
        .map_err(|e| SourceError::Unavailable(format!("cannot read {name}: {e}")))?;
    let budget = Budget::new(bounds, metadata.len());
    let shared = shared_file::SharedFile::new(file, metadata.len());
    read_archive(shared, budget, &name, sink)?;
    Ok(true)
}

fn read_archive<R: Read + Seek + Clone + Send>(
    reader: R,
    budget: Budget,
    name: &str,
    sink: &mut dyn ItemSink,
) -> Result<(), SourceError> {
    let not_1pux = |why: &dyn fmt::Display| {
        SourceError::Unavailable(format!("{name} is not a 1PUX archive: {why}"))
    };
    let mut archive = ZipArchive::new(reader).map_err(|e| not_1pux(&e))?;
    let entries = archive::Entries::index(&archive);
    let Some(data_index) = entries.export_data else {
        return Err(not_1pux(&"it has no export.data"));
    };
    if let Some(index) = entries.export_attributes {
        archive::check_attributes(&mut archive, index, &budget, name)?;
    }
    let files = archive.clone();
    let mut importer = import::Importer::new(&entries, files, budget, name, sink);
    export_data::read(&mut archive, data_index, &mut importer, name)
}
