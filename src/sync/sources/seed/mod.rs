//! The `seed` source format: a YAML or JSON file of vaults and items, the dev/test replacement for
//! hand-written mock Connect servers (docs/design.md §6). Users read `docs/seed-format.md`; editors read
//! `seed.schema.json`; this module turns a file into a [`Snapshot`].
//!
//! What the code guarantees:
//! * Every id is stable. Vault, item and file ids are taken from the file or derived with
//!   [`crate::ids::derived_id`] from names (`seed-vault`: the vault name; `seed-item`: `vault id/title`;
//!   `seed-file`: `item id/file name`); section ids from the label (`seed-section`) and field ids
//!   from `section id/label` (`seed-field`). Two things that would share an id are an error that
//!   names both.
//! * Items pass the API's own rules ([`crate::model::build_item`]), so a seeded item looks exactly like one
//!   created through `POST /v1/vaults/{v}/items`. CUSTOM and DOCUMENT, which the API refuses to
//!   create, are built as SECURE_NOTE (the same built-in fields: only `notesPlain`) and then given
//!   their real category.
//! * `generate: true` is deterministic: the value is drawn from an HMAC-SHA256 stream keyed by the
//!   caller's generation key over (vault id, item id, field id, length, alphabet), with the
//!   alphabets and rules of [`crate::model::fields::generator`] and unbiased rejection sampling. Re-parsing an
//!   unchanged file gives the same values, so a re-sync changes nothing; a different key (another
//!   credentials file) gives different values, so a committed seed does not reveal them.
//! * Errors are [`SourceError::Invalid`] messages that name the file and the position of the
//!   vault, item, section and field (`vault #2, item #1, field #3`). They reach the
//!   unauthenticated `/health` and the logs, so they never contain a value, nor a vault name, item
//!   title, section or field label (as a second line of defence, the item's values and names are
//!   redacted from a message built elsewhere, e.g. by [`crate::model::build_item`]).
//!
//! The parse runs top-down: `document` reads YAML into a tree and `keys` lists the keys each
//! mapping accepts; a JSON file is not read into a tree but streamed (`stream`), one item at a
//! time; `walk` hands the vaults and items to the engine's sink, skipping the items whose text the
//! store already holds (`head` reads the id and title it asks with), and `item` builds each other
//! item from its `sections`, `fields` and `files`; `values` resolves a field's value (text,
//! `${env:…}`, a value file) and `generate` draws generated ones; `checks` and `clashes` hold the
//! rules and the messages for ids, names and values.

mod checks;
mod clashes;
mod document;
mod fields;
mod files;
mod generate;
mod head;
mod item;
mod keys;
mod sections;
mod stream;
mod values;
mod walk;

use std::path::Path;

use hmac::digest::KeyInit;
use hmac::Hmac;
use sha2::Sha256;

use crate::config::{size_text, SourceLimits};
use crate::model::Limits;
use crate::sync::source::{ItemSink, Snapshot, SnapshotSink, SourceError};
use crate::sync::sources::regular_file::{open_regular, read_regular, ReadError};

use document::{read_document, Syntax};
use walk::{Ctx, Walker};

/// The syntax of a seed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedFormat {
    Yaml,
    Json,
}

impl SeedFormat {
    /// The format named by the file's extension (`.yml`, `.yaml`, `.json`, any case), if any.
    pub fn from_path(path: &Path) -> Option<SeedFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "yml" | "yaml" => Some(SeedFormat::Yaml),
            "json" => Some(SeedFormat::Json),
            _ => None,
        }
    }
}

/// Parses a seed document. Relative paths (`path:` of files, `{file: …}` values) are resolved
/// against `base_dir`; `${env:NAME}` and `{env: NAME}` are looked up with `env`;
/// `generation_key` keys the values of `generate: true` fields (derive it from the credentials
/// file's root key, so that it is stable across restarts). Messages start with "seed file".
pub fn parse(
    text: &str,
    format: SeedFormat,
    base_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    generation_key: &[u8; 32],
) -> Result<Snapshot, SourceError> {
    let syntax = match format {
        SeedFormat::Yaml => Syntax::Yaml,
        SeedFormat::Json => Syntax::Json,
    };
    let origin = Origin {
        name: "seed file",
        base_dir,
        bounds: SourceLimits::default(),
    };
    let mut collect = SnapshotSink::default();
    walk_text(text, syntax, &origin, env, generation_key, &mut collect)?;
    collect.finish()
}

/// Reads and parses the seed file at `path` into a whole [`Snapshot`] (see [`read_file`]).
pub fn parse_file(
    path: &Path,
    generation_key: &[u8; 32],
    bounds: &SourceLimits,
) -> Result<Snapshot, SourceError> {
    let mut collect = SnapshotSink::default();
    read_file(path, generation_key, bounds, &mut collect)?;
    collect.finish()
}

/// Reads the seed file at `path` into `sink`, with the process environment for `${env:…}`; a
/// `.json` file is streamed, one item at a time, anything else is read whole. The format comes
/// from the extension; otherwise JSON is tried first, then YAML. A file that cannot be read (or
/// is not a regular file) is [`SourceError::Unavailable`]; everything else, a file over `bounds`
/// included, is [`SourceError::Invalid`]. Returns whether the content depended on the file alone
/// (no value file, environment variable or attachment).
pub fn read_file(
    path: &Path,
    generation_key: &[u8; 32],
    bounds: &SourceLimits,
    sink: &mut dyn ItemSink,
) -> Result<bool, SourceError> {
    let name = path.display().to_string();
    let unreadable = |e: ReadError| match e {
        ReadError::TooLarge => SourceError::Invalid(format!(
            "{name}: the seed file is larger than {} (LATCHKEY_MAX_SOURCE_DATA_MB)",
            size_text(bounds.max_data_bytes)
        )),
        e => SourceError::Unavailable(format!("{name}: cannot read the seed file: {e}")),
    };
    let base_dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let env = |name: &str| std::env::var(name).ok();
    let origin = Origin {
        name: &name,
        base_dir,
        bounds: *bounds,
    };
    let syntax = match SeedFormat::from_path(path) {
        Some(SeedFormat::Yaml) => Syntax::Yaml,
        Some(SeedFormat::Json) => {
            let open = || -> Result<_, ReadError> {
                let (file, _) = open_regular(path, bounds.max_data_bytes)?;
                Ok(skip_bom(std::io::BufReader::with_capacity(64 << 10, file))?)
            };
            let reader = open().map_err(unreadable)?;
            // Only when the walk found bad JSON: serde_json's message for it, with its line.
            let locate = || {
                let reader = open().ok()?;
                serde_json::from_reader::<_, serde::de::IgnoredAny>(reader)
                    .err()
                    .map(|e| e.to_string())
            };
            return walk_with(&origin, &env, generation_key, sink, |walker| {
                stream::stream_json(reader, walker, &locate)
            });
        }
        None => Syntax::Guess,
    };
    let bytes = read_regular(path, bounds.max_data_bytes).map_err(unreadable)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| SourceError::Invalid(format!("{name}: the seed file is not UTF-8 text")))?;
    walk_text(&text, syntax, &origin, &env, generation_key, sink)
}

/// Past a UTF-8 byte order mark, if the file starts with one.
fn skip_bom<R: std::io::BufRead>(mut reader: R) -> std::io::Result<R> {
    if reader.fill_buf()?.starts_with(b"\xef\xbb\xbf") {
        reader.consume(3);
    }
    Ok(reader)
}

/// Where a document comes from: its name in messages, the directory relative paths start from,
/// and how much it may make the parser read.
struct Origin<'a> {
    name: &'a str,
    base_dir: &'a Path,
    bounds: SourceLimits,
}

/// Walks a document held whole: JSON is streamed from the text, YAML read into a tree.
fn walk_text(
    text: &str,
    syntax: Syntax,
    origin: &Origin<'_>,
    env: &dyn Fn(&str) -> Option<String>,
    generation_key: &[u8; 32],
    sink: &mut dyn ItemSink,
) -> Result<bool, SourceError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let json = match syntax {
        Syntax::Json => true,
        Syntax::Yaml => false,
        Syntax::Guess => serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok(),
    };
    walk_with(origin, env, generation_key, sink, |walker| {
        if json {
            let locate = || {
                serde_json::from_str::<serde::de::IgnoredAny>(text)
                    .err()
                    .map(|e| e.to_string())
            };
            stream::stream_json(text.as_bytes(), walker, &locate)
        } else {
            walker.document(&read_document(text, Syntax::Yaml)?)
        }
    })
}

fn walk_with(
    origin: &Origin<'_>,
    env: &dyn Fn(&str) -> Option<String>,
    generation_key: &[u8; 32],
    sink: &mut dyn ItemSink,
    walk: impl FnOnce(&mut Walker<'_>) -> Result<(), String>,
) -> Result<bool, SourceError> {
    let invalid = |message: String| SourceError::Invalid(format!("{}: {message}", origin.name));
    let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(generation_key)
        .map_err(|_| invalid("the generation key is unusable".into()))?;
    let ctx = Ctx {
        base_dir: origin.base_dir,
        env,
        mac,
        limits: Limits::default(),
        bounds: origin.bounds,
        files_read: std::cell::Cell::new(0),
        external: std::cell::Cell::new(false),
    };
    let mut walker = Walker::new(&ctx, sink);
    walk(&mut walker).map_err(invalid)?;
    Ok(walker.self_contained)
}

#[cfg(test)]
mod tests;
