//! Reads a 1Password 8 export (`.1pux`) into a [`Snapshot`]: a zip holding `export.data` (JSON:
//! accounts → vaults → items) and `files/<documentId>__<fileName>` for documents and attachments.
//! What this relies on in the format, and how each part maps to Connect: `docs/1pux-format.md`.
//!
//! An unreadable file, a bad zip or a zip without `export.data` is [`SourceError::Unavailable`];
//! anything wrong inside is [`SourceError::Invalid`], with the path to the bad value (never the
//! value itself).

use std::fmt;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;

use zip::ZipArchive;

use archive::Budget;

use crate::config::SourceLimits;
use crate::sync::source::{Snapshot, SourceError};
use crate::sync::sources::regular_file::open_regular;

mod archive;
mod attachments;
mod export_data;
mod item;
mod item_body;
mod json;
mod login_fields;
mod snapshot;
mod unique_ids;
mod values;

#[cfg(test)]
mod tests;

/// Parses a 1PUX archive (a zip: export.attributes, export.data, files/…) within the default
/// [`SourceLimits`].
pub fn parse(bytes: &[u8]) -> Result<Snapshot, SourceError> {
    parse_with(bytes, &SourceLimits::default())
}

/// Parses a 1PUX archive; an entry that inflates beyond `bounds` is [`SourceError::Invalid`].
pub fn parse_with(bytes: &[u8], bounds: &SourceLimits) -> Result<Snapshot, SourceError> {
    let budget = Budget::new(bounds, bytes.len() as u64);
    parse_archive(Cursor::new(bytes), budget, "the input")
}

/// Parses the 1PUX archive at `path`. A missing or unreadable file, or one that is not a zip,
/// is [`SourceError::Unavailable`] with the path.
pub fn parse_file(path: &Path, bounds: &SourceLimits) -> Result<Snapshot, SourceError> {
    let name = path.display().to_string();
    // The archive is read in place (only what its entries inflate to is bounded), and never
    // opened if it is a FIFO or a device.
    let (file, metadata) = open_regular(path, u64::MAX)
        .map_err(|e| SourceError::Unavailable(format!("cannot read {name}: {e}")))?;
    let budget = Budget::new(bounds, metadata.len());
    parse_archive(BufReader::new(file), budget, &name)
}

fn parse_archive<R: Read + Seek>(
    reader: R,
    mut budget: Budget,
    name: &str,
) -> Result<Snapshot, SourceError> {
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
    let accounts = export_data::read_accounts(&mut archive, data_index, &entries, &budget, name)?;
    let (mut snapshot, reads) = snapshot::finish(accounts);
    attachments::read_files(&mut archive, reads, &mut snapshot, &mut budget, name)?;
    Ok(snapshot)
}
