//! An item's `files`: attachments read from a path, decoded from base64 or given inline, with
//! stable ids.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;

use crate::ids;
use crate::sync::source::SourceFile;
use crate::sync::sources::regular_file::{read_regular, ReadError};
use crate::text::quote;

use super::checks::check_id;
use super::clashes::{clash, Seen};
use super::document::{get, list, mapping, non_empty_text, text, Entries, Node};
use super::keys::FILE_KEYS;
use super::sections::{section_ref, SectionSpec};
use super::walk::{Ctx, Scope};

impl Ctx<'_> {
    pub(super) fn files(
        &self,
        scope: &Scope<'_>,
        entries: &Entries,
        sections: &[SectionSpec<'_>],
    ) -> Result<Vec<SourceFile>, String> {
        let mut files: Vec<SourceFile> = Vec::new();
        let mut seen: HashMap<String, Seen> = HashMap::new();
        let nodes = list(entries, "files", scope.at)?;
        // Attachments count against a budget shared by the whole file (and may be read from a
        // path): an item with files is rebuilt every time rather than skipped by its text.
        if !nodes.is_empty() {
            self.external.set(true);
        }
        for (index, node) in nodes.iter().enumerate() {
            let (file, explicit_id) = self.file(scope, node, index, sections)?;
            let this = Seen {
                position: index + 1,
                explicit_id,
            };
            if let Some(first) = seen.get(&file.id) {
                return Err(format!(
                    "{}: {}",
                    scope.at,
                    clash("file", first, &this, &file.id)
                ));
            }
            seen.insert(file.id.clone(), this);
            files.push(file);
        }
        Ok(files)
    }

    /// One entry of `files`, and whether its id was given.
    fn file(
        &self,
        scope: &Scope<'_>,
        node: &Node,
        index: usize,
        sections: &[SectionSpec<'_>],
    ) -> Result<(SourceFile, bool), String> {
        let at = format!("{}, file #{}", scope.at, index + 1);
        let file = mapping(node, FILE_KEYS, &at, "a file")?;
        let path = non_empty_text(file, "path", &at)?;
        let base64_text = text(file, "base64", &at)?;
        let content = get(file, "content");
        let sources = usize::from(path.is_some())
            + usize::from(base64_text.is_some())
            + usize::from(content.is_some());
        if sources != 1 {
            return Err(format!(
                "{at}: a file needs exactly one of `path`, `content` or `base64`"
            ));
        }
        let name = self.file_name(file, path.as_deref(), &at)?;
        let at = format!("{}, file #{}", scope.at, index + 1);
        let bytes = self.file_bytes(&at, path.as_deref(), base64_text.as_deref(), content)?;
        let explicit = non_empty_text(file, "id", &at)?;
        let id = match &explicit {
            Some(id) => {
                check_id(id, &at, "file")?;
                id.clone()
            }
            None => ids::derived_id("seed-file", &format!("{}/{name}", scope.item_id)),
        };
        let section = match get(file, "section") {
            Some(reference) => Some(section_ref(reference, sections, &at)?),
            None => None,
        };
        let file = SourceFile {
            id,
            name,
            section,
            content: bytes,
        };
        Ok((file, explicit.is_some()))
    }

    /// `name`, or else the last part of `path`.
    fn file_name(&self, file: &Entries, path: Option<&str>, at: &str) -> Result<String, String> {
        let name = match non_empty_text(file, "name", at)? {
            Some(name) => name,
            None => path
                .map(Path::new)
                .and_then(Path::file_name)
                .and_then(|n| n.to_str())
                .map(str::to_string)
                .ok_or(format!("{at}: `name` is required"))?,
        };
        if name.chars().count() > self.limits.max_title_chars {
            return Err(format!(
                "{at}: the file name is too long (at most {} characters)",
                self.limits.max_title_chars
            ));
        }
        Ok(name)
    }

    /// The content, from exactly one of `path`, `base64` and `content`, within the size limits.
    fn file_bytes(
        &self,
        at: &str,
        path: Option<&str>,
        base64_text: Option<&str>,
        content: Option<&Node>,
    ) -> Result<Vec<u8>, String> {
        let bytes = if let Some(path) = path {
            self.read_attachment(at, path)?
        } else if let Some(encoded) = base64_text {
            let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|_| format!("{at}: `base64` is not valid base64"))?
        } else {
            let content = content.unwrap_or(&Node::Null);
            content
                .scalar_text()
                .ok_or_else(|| format!("{at}: `content` must be text, not {}", content.kind()))?
                .into_bytes()
        };
        let len = bytes.len() as u64;
        if len > self.bounds.max_file_bytes {
            return Err(too_large_one(at, self.bounds.max_file_bytes));
        }
        self.count_file_bytes(at, len)?;
        Ok(bytes)
    }

    /// A `path`: a regular file, read no further than either limit allows.
    fn read_attachment(&self, at: &str, path: &str) -> Result<Vec<u8>, String> {
        let full = self.base_dir.join(path);
        let left = self
            .bounds
            .max_files_bytes
            .saturating_sub(self.files_read.get());
        let cap = self.bounds.max_file_bytes.min(left);
        read_regular(&full, cap).map_err(|e| match e {
            ReadError::TooLarge if cap < self.bounds.max_file_bytes => {
                too_large_all(at, self.bounds.max_files_bytes)
            }
            ReadError::TooLarge => too_large_one(at, self.bounds.max_file_bytes),
            e => format!(
                "{at}: cannot read {} ({}): {e}",
                quote(path, 60),
                full.display()
            ),
        })
    }

    /// Adds an attachment to the import's total.
    fn count_file_bytes(&self, at: &str, len: u64) -> Result<(), String> {
        let total = self.files_read.get().saturating_add(len);
        if total > self.bounds.max_files_bytes {
            return Err(too_large_all(at, self.bounds.max_files_bytes));
        }
        self.files_read.set(total);
        Ok(())
    }
}

fn too_large_one(at: &str, max: u64) -> String {
    format!(
        "{at}: the file is larger than {} (LATCHKEY_MAX_SOURCE_FILE_MB)",
        crate::config::size_text(max)
    )
}

fn too_large_all(at: &str, max: u64) -> String {
    format!(
        "{at}: the files of the seed file add up to more than {} (LATCHKEY_MAX_SOURCE_FILES_MB)",
        crate::config::size_text(max)
    )
}
