//! The `seed` source format: a YAML or JSON file of vaults and items, the dev/test replacement for
//! hand-written mock Connect servers (design §6). Users read `docs/seed-format.md`; editors read
//! `seed.schema.json`; this module turns a file into a [`Snapshot`].
//!
//! What the code guarantees:
//! * Every id is stable. Vault, item and file ids are taken from the file or derived with
//!   [`ids::derived_id`] from names (`seed-vault`: the vault name; `seed-item`: `vault id/title`;
//!   `seed-file`: `item id/file name`); section ids from the label (`seed-section`) and field ids
//!   from `section id/label` (`seed-field`). Two things that would share an id are an error that
//!   names both.
//! * Items pass the API's own rules ([`build_item`]), so a seeded item looks exactly like one
//!   created through `POST /v1/vaults/{v}/items`. CUSTOM and DOCUMENT, which the API refuses to
//!   create, are built as SECURE_NOTE (the same built-in fields: only `notesPlain`) and then given
//!   their real category.
//! * `generate: true` is deterministic: the value is drawn from an HMAC-SHA256 stream keyed by the
//!   caller's generation key over (vault id, item id, field id, length, alphabet), with the
//!   alphabets and rules of [`generator`] and unbiased rejection sampling. Re-parsing an
//!   unchanged file gives the same values, so a re-sync changes nothing; a different key (another
//!   credentials file) gives different values, so a committed seed does not reveal them.
//! * Errors are [`SourceError::Invalid`] messages that name the file, vault, item and field. They
//!   never contain a value (and, as a second line of defence, any value of the item in question is
//!   redacted from a message built elsewhere, e.g. by [`build_item`]).

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ids;
use crate::model::fields::generator::{self, Recipe};
use crate::model::fields::totp;
use crate::model::fields::values as field_values;
use crate::model::{
    build_item, BuildMode, Category, FieldInput, FieldType, IdRefInput, ItemInput, Limits, Purpose,
    SectionInput, UrlInput, VaultType,
};
use crate::sync::source::{
    Snapshot, SnapshotVault, SourceError, SourceFile, SourceItem, SourceVault,
};

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
    parse_named(text, syntax, "seed file", base_dir, env, generation_key)
}

/// Reads and parses the seed file at `path`, with the process environment for `${env:…}`. The
/// format comes from the extension; otherwise JSON is tried first, then YAML. A file that cannot be
/// read is [`SourceError::Unavailable`]; everything else is [`SourceError::Invalid`].
pub fn parse_file(path: &Path, generation_key: &[u8; 32]) -> Result<Snapshot, SourceError> {
    let origin = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        SourceError::Unavailable(format!("{origin}: cannot read the seed file: {e}"))
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| SourceError::Invalid(format!("{origin}: the seed file is not UTF-8 text")))?;
    let syntax = match SeedFormat::from_path(path) {
        Some(SeedFormat::Yaml) => Syntax::Yaml,
        Some(SeedFormat::Json) => Syntax::Json,
        None => Syntax::Guess,
    };
    let base_dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let env = |name: &str| std::env::var(name).ok();
    parse_named(&text, syntax, &origin, base_dir, &env, generation_key)
}

fn parse_named(
    text: &str,
    syntax: Syntax,
    origin: &str,
    base_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    generation_key: &[u8; 32],
) -> Result<Snapshot, SourceError> {
    let invalid = |message: String| SourceError::Invalid(format!("{origin}: {message}"));
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root = read_document(text, syntax).map_err(invalid)?;
    let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(generation_key)
        .map_err(|_| invalid("the generation key is unusable".into()))?;
    let ctx = Ctx {
        base_dir,
        env,
        mac,
        limits: Limits::default(),
    };
    ctx.snapshot(&root).map_err(invalid)
}

// ----- the keys each mapping accepts (the schema test checks `seed.schema.json` against these) -----

const ROOT_KEYS: &[&str] = &["$schema", "version", "vaults"];
const VAULT_KEYS: &[&str] = &["name", "id", "description", "type", "items"];
const ITEM_KEYS: &[&str] = &[
    "title", "id", "category", "tags", "favorite", "archived", "urls", "username", "password",
    "notes", "sections", "fields", "files",
];
const URL_KEYS: &[&str] = &["href", "label", "primary"];
const SECTION_KEYS: &[&str] = &["id", "label", "fields"];
const FIELD_KEYS: &[&str] = &[
    "id", "label", "type", "purpose", "value", "generate", "recipe", "section",
];
const SECTION_FIELD_KEYS: &[&str] = &[
    "id", "label", "type", "purpose", "value", "generate", "recipe",
];
const SECTION_REF_KEYS: &[&str] = &["id", "label"];
const FILE_KEYS: &[&str] = &["name", "id", "path", "content", "base64", "section"];
const RECIPE_KEYS: &[&str] = &["length", "characterSets", "excludeCharacters"];
const FILE_VALUE_KEYS: &[&str] = &["file"];
const ENV_VALUE_KEYS: &[&str] = &["env", "default"];
const GENERATE_VALUE_KEYS: &[&str] = &["generate", "recipe"];
const CHARACTER_SETS: [(&str, &str); 3] = [
    ("LETTERS", generator::LETTERS),
    ("DIGITS", generator::DIGITS),
    ("SYMBOLS", generator::SYMBOLS),
];

/// Namespace and version of the generated-value stream; changing it changes every generated value.
const GENERATE_DOMAIN: &[u8] = b"latchkey seed generate v1";

// ----- the document tree -----

/// A parsed document, the same for YAML and JSON. Numbers keep their display form because a number
/// in a text position (`port: 5432`) becomes that text.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Number { text: String, int: Option<i64> },
    Text(String),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "true/false",
            Node::Number { .. } => "a number",
            Node::Text(_) => "text",
            Node::List(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }

    /// Text, or the text form of a number or boolean.
    fn scalar_text(&self) -> Option<String> {
        match self {
            Node::Text(s) => Some(s.clone()),
            Node::Number { text, .. } => Some(text.clone()),
            Node::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn from_json(value: serde_json::Value) -> Node {
        use serde_json::Value;
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(b),
            Value::Number(n) => Node::Number {
                text: n.to_string(),
                int: n.as_i64(),
            },
            Value::String(s) => Node::Text(s),
            Value::Array(items) => Node::List(items.into_iter().map(Node::from_json).collect()),
            Value::Object(map) => Node::Map(
                map.into_iter()
                    .map(|(k, v)| (k, Node::from_json(v)))
                    .collect(),
            ),
        }
    }

    fn from_yaml(value: serde_norway::Value) -> Result<Node, String> {
        use serde_norway::Value;
        Ok(match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(b),
            Value::Number(n) => Node::Number {
                text: n.to_string(),
                int: n.as_i64(),
            },
            Value::String(s) => Node::Text(s),
            Value::Sequence(items) => Node::List(
                items
                    .into_iter()
                    .map(Node::from_yaml)
                    .collect::<Result<_, _>>()?,
            ),
            Value::Mapping(map) => {
                let mut entries = Vec::with_capacity(map.len());
                for (key, value) in map {
                    let key = Node::from_yaml(key)?
                        .scalar_text()
                        .ok_or("a mapping key must be text")?;
                    entries.push((key, Node::from_yaml(value)?));
                }
                Node::Map(entries)
            }
            Value::Tagged(tagged) => {
                return Err(format!(
                    "YAML tags such as {} are not supported",
                    quote(&tagged.tag.to_string())
                ));
            }
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Syntax {
    Yaml,
    Json,
    /// JSON if it parses as JSON, else YAML.
    Guess,
}

fn read_document(text: &str, syntax: Syntax) -> Result<Node, String> {
    match syntax {
        Syntax::Json => serde_json::from_str::<serde_json::Value>(text)
            .map(Node::from_json)
            .map_err(|e| format!("invalid JSON: {e}")),
        Syntax::Yaml => {
            let mut value: serde_norway::Value =
                serde_norway::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
            value
                .apply_merge()
                .map_err(|e| format!("invalid YAML merge key (<<): {e}"))?;
            Node::from_yaml(value)
        }
        Syntax::Guess => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) => Ok(Node::from_json(value)),
            Err(_) => read_document(text, Syntax::Yaml),
        },
    }
}

type Entries = [(String, Node)];

/// Checks that `node` is a mapping whose keys are all in `allowed` (or start with `x-`).
fn mapping<'n>(
    node: &'n Node,
    allowed: &[&str],
    at: &str,
    what: &str,
) -> Result<&'n Entries, String> {
    let Node::Map(entries) = node else {
        return Err(format!(
            "{at}: {what} must be a mapping, not {}",
            node.kind()
        ));
    };
    for (key, _) in entries {
        if !allowed.contains(&key.as_str()) && !key.starts_with("x-") {
            return Err(format!(
                "{at}: unknown key {} in {what}; expected one of: {}",
                quote(key),
                allowed.join(", ")
            ));
        }
    }
    Ok(entries)
}

/// The value of `key`; `null` counts as absent.
fn get<'n>(entries: &'n Entries, key: &str) -> Option<&'n Node> {
    entries
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .filter(|v| !matches!(v, Node::Null))
}

fn text(entries: &Entries, key: &str, at: &str) -> Result<Option<String>, String> {
    match get(entries, key) {
        None => Ok(None),
        Some(node) => node
            .scalar_text()
            .map(Some)
            .ok_or_else(|| format!("{at}: `{key}` must be text, not {}", node.kind())),
    }
}

/// Like [`text`], with `""` as absent.
fn non_empty_text(entries: &Entries, key: &str, at: &str) -> Result<Option<String>, String> {
    Ok(text(entries, key, at)?.filter(|s| !s.is_empty()))
}

fn flag(entries: &Entries, key: &str, at: &str) -> Result<Option<bool>, String> {
    match get(entries, key) {
        None => Ok(None),
        Some(Node::Bool(b)) => Ok(Some(*b)),
        Some(node) => Err(format!(
            "{at}: `{key}` must be true or false, not {}",
            node.kind()
        )),
    }
}

fn list<'n>(entries: &'n Entries, key: &str, at: &str) -> Result<&'n [Node], String> {
    match get(entries, key) {
        None => Ok(&[]),
        Some(Node::List(items)) => Ok(items),
        Some(node) => Err(format!("{at}: `{key}` must be a list, not {}", node.kind())),
    }
}

/// Quotes a name (never a value) for a message, cut short.
fn quote(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}…")
    }
}

fn check_id(id: &str, at: &str, what: &str) -> Result<(), String> {
    if ids::is_valid_id(id) {
        Ok(())
    } else {
        Err(format!(
            "{at}: the {what} id must be 26 lowercase letters and digits"
        ))
    }
}

fn check_inner_id(id: &str, at: &str, what: &str) -> Result<(), String> {
    if id.chars().count() > 128 {
        return Err(format!(
            "{at}: the {what} id is too long (at most 128 characters)"
        ));
    }
    Ok(())
}

/// Parses a wire name exactly (Connect's names are case-sensitive), with a hint for near misses.
fn parse_name<T: Copy + std::fmt::Display>(
    given: &str,
    all: &[T],
    parse: fn(&str) -> Option<T>,
    what: &str,
    at: &str,
) -> Result<T, String> {
    if let Some(value) = parse(given) {
        return Ok(value);
    }
    let hint = match parse(&given.to_ascii_uppercase()) {
        Some(value) => format!(" (did you mean {value}?)"),
        None if given.eq_ignore_ascii_case("TOTP") => " (did you mean OTP?)".to_string(),
        None => String::new(),
    };
    let names: Vec<String> = all
        .iter()
        .map(ToString::to_string)
        .filter(|s| !s.is_empty())
        .collect();
    Err(format!(
        "{at}: unknown {what} {}{hint}; expected one of: {}",
        quote(given),
        names.join(", ")
    ))
}

/// The built-in field of a purpose: its fixed id and default type (reference §4.3).
fn built_in(purpose: Purpose) -> Option<(&'static str, FieldType)> {
    match purpose {
        Purpose::Username => Some(("username", FieldType::String)),
        Purpose::Password => Some(("password", FieldType::Concealed)),
        Purpose::Notes => Some(("notesPlain", FieldType::String)),
        Purpose::None => None,
    }
}

/// Replaces every value of the item that appears in `message` (values of four characters or more,
/// so that ordinary words survive).
fn redact(mut message: String, secrets: &[String]) -> String {
    for secret in secrets {
        if secret.chars().count() >= 4 && message.contains(secret.as_str()) {
            message = message.replace(secret.as_str(), "<redacted>");
        }
    }
    message
}

// ----- the walk -----

struct Ctx<'a> {
    base_dir: &'a Path,
    env: &'a dyn Fn(&str) -> Option<String>,
    /// HMAC-SHA256 keyed with the generation key.
    mac: Hmac<Sha256>,
    limits: Limits,
}

/// Where an item sits, for ids, generation and messages.
struct Scope<'a> {
    vault_id: &'a str,
    item_id: &'a str,
    /// `vault "…", item "…"`.
    at: &'a str,
}

struct SectionSpec<'n> {
    id: String,
    label: Option<String>,
    /// The label, or the id when there is none.
    name: String,
    fields: &'n [Node],
}

struct FieldSpec {
    input: FieldInput,
    id: String,
    origin: IdOrigin,
    /// How messages name the field.
    name: String,
    entropy: Option<f64>,
}

/// Where a field's id came from, to explain a clash.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IdOrigin {
    Given,
    Derived,
    BuiltIn,
}

enum Place<'a, 'n> {
    /// In the item's `fields`; may name a section with `section:`.
    Item(&'a [SectionSpec<'n>]),
    /// In a section's `fields`.
    Section(&'a SectionSpec<'n>),
}

/// The field a value belongs to.
struct Target<'s> {
    scope: &'s Scope<'s>,
    field_id: &'s str,
    field_type: FieldType,
    /// The field, for messages.
    at: &'s str,
}

/// One vault or item as first seen, to name both sides of an id clash.
struct Seen {
    position: usize,
    name: String,
    explicit_id: bool,
}

fn field_clash(at: &str, first: &FieldSpec, second: &FieldSpec) -> String {
    let (a, b) = (&first.name, &second.name);
    match (first.origin, second.origin) {
        (IdOrigin::BuiltIn, IdOrigin::BuiltIn) => format!(
            "{at}: {a} and {b} both set the built-in {} field; use only one of them",
            quote(&first.id)
        ),
        (IdOrigin::Derived, IdOrigin::Derived) => format!(
            "{at}: {a} and {b} have the same label in the same section and would share an id; give one of them an `id`"
        ),
        _ => format!(
            "{at}: {a} and {b} have the same id {}",
            quote(&first.id)
        ),
    }
}

fn clash(what: &str, first: &Seen, second: &Seen, id: &str) -> String {
    if first.name == second.name && !first.explicit_id && !second.explicit_id {
        format!(
            "{what}s #{} and #{} are both named {} and would share an id; give one of them an `id`",
            first.position,
            second.position,
            quote(&first.name)
        )
    } else {
        format!(
            "{what}s #{} {} and #{} {} have the same id {id}",
            first.position,
            quote(&first.name),
            second.position,
            quote(&second.name)
        )
    }
}

impl Ctx<'_> {
    fn snapshot(&self, root: &Node) -> Result<Snapshot, String> {
        if matches!(root, Node::Null) {
            return Err("the file is empty; expected a mapping with a `vaults` list".into());
        }
        let entries = mapping(root, ROOT_KEYS, "top level", "the document")?;
        if let Some(version) = get(entries, "version") {
            if !matches!(version, Node::Number { int: Some(1), .. }) {
                return Err("unsupported `version`; this latchkey reads version 1".into());
            }
        }
        let Some(vault_nodes) = get(entries, "vaults") else {
            return Err("`vaults` is required (a list of vaults)".into());
        };
        let Node::List(vault_nodes) = vault_nodes else {
            return Err(format!(
                "`vaults` must be a list, not {}",
                vault_nodes.kind()
            ));
        };
        let mut seen: HashMap<String, Seen> = HashMap::new();
        let mut vaults = Vec::with_capacity(vault_nodes.len());
        for (index, node) in vault_nodes.iter().enumerate() {
            let (vault, explicit_id) = self.vault(node, index)?;
            let this = Seen {
                position: index + 1,
                name: vault.vault.name.clone(),
                explicit_id,
            };
            if let Some(first) = seen.get(&vault.vault.id) {
                return Err(clash("vault", first, &this, &vault.vault.id));
            }
            seen.insert(vault.vault.id.clone(), this);
            vaults.push(vault);
        }
        Ok(Snapshot { vaults })
    }

    fn vault(&self, node: &Node, index: usize) -> Result<(SnapshotVault, bool), String> {
        let at = format!("vault #{}", index + 1);
        let entries = mapping(node, VAULT_KEYS, &at, "a vault")?;
        let name =
            non_empty_text(entries, "name", &at)?.ok_or(format!("{at}: `name` is required"))?;
        let at = format!("vault {}", quote(&name));
        let explicit = non_empty_text(entries, "id", &at)?;
        let id = match &explicit {
            Some(id) => {
                check_id(id, &at, "vault")?;
                id.clone()
            }
            None => ids::derived_id("seed-vault", &name),
        };
        let description = text(entries, "description", &at)?.unwrap_or_default();
        let vault_type = match text(entries, "type", &at)? {
            None => VaultType::UserCreated,
            Some(t) => parse_name(&t, VaultType::ALL, VaultType::parse, "vault type", &at)?,
        };
        let mut seen: HashMap<String, Seen> = HashMap::new();
        let item_nodes = list(entries, "items", &at)?;
        let mut items = Vec::with_capacity(item_nodes.len());
        for (index, node) in item_nodes.iter().enumerate() {
            let (item, title, explicit_id) = self.item(&id, &at, node, index)?;
            let this = Seen {
                position: index + 1,
                name: title,
                explicit_id,
            };
            if let Some(first) = seen.get(&item.id) {
                return Err(format!("{at}: {}", clash("item", first, &this, &item.id)));
            }
            seen.insert(item.id.clone(), this);
            items.push(item);
        }
        let vault = SourceVault {
            id,
            name,
            description,
            vault_type,
            revision: None,
        };
        Ok((SnapshotVault { vault, items }, explicit.is_some()))
    }

    /// The item, its title and whether its id was given.
    fn item(
        &self,
        vault_id: &str,
        vault_at: &str,
        node: &Node,
        index: usize,
    ) -> Result<(SourceItem, String, bool), String> {
        let mut secrets = Vec::new();
        self.item_inner(vault_id, vault_at, node, index, &mut secrets)
            .map_err(|message| redact(message, &secrets))
    }

    fn item_inner(
        &self,
        vault_id: &str,
        vault_at: &str,
        node: &Node,
        index: usize,
        secrets: &mut Vec<String>,
    ) -> Result<(SourceItem, String, bool), String> {
        let at = format!("{vault_at}, item #{}", index + 1);
        let entries = mapping(node, ITEM_KEYS, &at, "an item")?;
        let title =
            non_empty_text(entries, "title", &at)?.ok_or(format!("{at}: `title` is required"))?;
        let at = format!("{vault_at}, item {}", quote(&title));
        let explicit = non_empty_text(entries, "id", &at)?;
        let id = match &explicit {
            Some(id) => {
                check_id(id, &at, "item")?;
                id.clone()
            }
            None => ids::derived_id("seed-item", &format!("{vault_id}/{title}")),
        };
        let scope = Scope {
            vault_id,
            item_id: &id,
            at: &at,
        };
        let category = match text(entries, "category", &at)? {
            None => Category::Login,
            Some(c) => parse_name(&c, Category::ALL, Category::parse, "category", &at)?,
        };
        let mut tags = Vec::new();
        for tag in list(entries, "tags", &at)? {
            tags.push(tag.scalar_text().ok_or_else(|| {
                format!(
                    "{at}: every entry of `tags` must be text, not {}",
                    tag.kind()
                )
            })?);
        }
        let favorite = flag(entries, "favorite", &at)?.unwrap_or(false);
        let archived = flag(entries, "archived", &at)?.unwrap_or(false);
        let urls = self.urls(entries, &at, secrets)?;
        let sections = sections(entries, &at)?;

        let mut fields = Vec::new();
        for (key, purpose) in [
            ("username", Purpose::Username),
            ("password", Purpose::Password),
            ("notes", Purpose::Notes),
        ] {
            if let Some(node) = get(entries, key) {
                fields.push(self.shorthand(&scope, key, purpose, node, secrets)?);
            }
        }
        for (index, node) in list(entries, "fields", &at)?.iter().enumerate() {
            fields.push(self.field(&scope, node, index, &Place::Item(&sections), secrets)?);
        }
        for section in &sections {
            for (index, node) in section.fields.iter().enumerate() {
                fields.push(self.field(&scope, node, index, &Place::Section(section), secrets)?);
            }
        }
        let mut field_ids: HashMap<&str, &FieldSpec> = HashMap::new();
        for field in &fields {
            if let Some(first) = field_ids.insert(&field.id, field) {
                return Err(field_clash(&at, first, field));
            }
        }
        let files = self.files(&scope, entries, &sections)?;

        let entropies: HashMap<String, f64> = fields
            .iter()
            .filter_map(|f| f.entropy.map(|e| (f.id.clone(), e)))
            .collect();
        // CUSTOM and DOCUMENT cannot be created through the API; SECURE_NOTE has the same built-in
        // fields (only notesPlain), so build as that and set the real category afterwards.
        let buildable = if category.creatable() {
            category
        } else {
            Category::SecureNote
        };
        let input = ItemInput {
            title: Some(title.clone()),
            category: Some(buildable.as_str().to_string()),
            urls: Some(urls),
            favorite: Some(favorite),
            tags: Some(tags),
            sections: Some(
                sections
                    .iter()
                    .map(|s| {
                        Some(SectionInput {
                            id: Some(s.id.clone()),
                            label: s.label.clone(),
                        })
                    })
                    .collect(),
            ),
            fields: Some(fields.into_iter().map(|f| f.input).collect()),
            ..ItemInput::default()
        };
        let (_, mut data) = build_item(input, &BuildMode::Create, &self.limits)
            .map_err(|e| format!("{at}: {e}"))?;
        for field in &mut data.body.fields {
            if let Some(entropy) = entropies.get(&field.id) {
                field.entropy = Some(*entropy);
            }
        }
        let item = SourceItem {
            id,
            category,
            state: archived.then(|| "ARCHIVED".to_string()),
            data,
            files,
        };
        Ok((item, title, explicit.is_some()))
    }

    fn urls(
        &self,
        entries: &Entries,
        at: &str,
        secrets: &mut Vec<String>,
    ) -> Result<Vec<UrlInput>, String> {
        let mut urls = Vec::new();
        for (index, node) in list(entries, "urls", at)?.iter().enumerate() {
            let url_at = format!("{at}, URL #{}", index + 1);
            let (href, label, primary) = match node {
                Node::Text(href) => (self.interpolate(href, &url_at, secrets)?, None, None),
                Node::Map(_) => {
                    let url = mapping(node, URL_KEYS, &url_at, "a URL")?;
                    let href = match get(url, "href") {
                        Some(Node::Text(href)) => self.interpolate(href, &url_at, secrets)?,
                        Some(other) => {
                            return Err(format!(
                                "{url_at}: `href` must be text, not {}",
                                other.kind()
                            ))
                        }
                        None => String::new(),
                    };
                    (
                        href,
                        non_empty_text(url, "label", &url_at)?,
                        flag(url, "primary", &url_at)?,
                    )
                }
                other => {
                    return Err(format!(
                        "{url_at}: a URL must be text or a mapping with `href`, not {}",
                        other.kind()
                    ))
                }
            };
            if href.is_empty() {
                return Err(format!("{url_at}: `href` is required"));
            }
            secrets.push(href.clone());
            urls.push(UrlInput {
                label,
                primary,
                href: Some(href),
            });
        }
        match urls.iter().filter(|u| u.primary == Some(true)).count() {
            0 => {
                if let Some(first) = urls.first_mut() {
                    first.primary = Some(true);
                }
            }
            1 => {}
            _ => return Err(format!("{at}: only one URL can be `primary`")),
        }
        Ok(urls)
    }

    fn shorthand(
        &self,
        scope: &Scope<'_>,
        key: &str,
        purpose: Purpose,
        node: &Node,
        secrets: &mut Vec<String>,
    ) -> Result<FieldSpec, String> {
        let (id, field_type) = built_in(purpose).unwrap_or(("", FieldType::String));
        let at = format!("{}, `{key}`", scope.at);
        let target = Target {
            scope,
            field_id: id,
            field_type,
            at: &at,
        };
        let (value, entropy) = self.value(&target, Some(node), None, None, secrets)?;
        Ok(FieldSpec {
            input: FieldInput {
                id: Some(id.to_string()),
                field_type: Some(field_type.as_str().to_string()),
                purpose: Some(purpose.as_str().to_string()),
                value,
                ..FieldInput::default()
            },
            id: id.to_string(),
            origin: IdOrigin::BuiltIn,
            name: format!("`{key}`"),
            entropy,
        })
    }

    fn field(
        &self,
        scope: &Scope<'_>,
        node: &Node,
        index: usize,
        place: &Place<'_, '_>,
        secrets: &mut Vec<String>,
    ) -> Result<FieldSpec, String> {
        let prefix = match place {
            Place::Item(_) => scope.at.to_string(),
            Place::Section(section) => format!("{}, section {}", scope.at, quote(&section.name)),
        };
        let at = format!("{prefix}, field #{}", index + 1);
        let keys = match place {
            Place::Item(_) => FIELD_KEYS,
            Place::Section(_) => SECTION_FIELD_KEYS,
        };
        let entries = mapping(node, keys, &at, "a field")?;
        let label = non_empty_text(entries, "label", &at)?;
        let given_id = non_empty_text(entries, "id", &at)?;
        let purpose = match text(entries, "purpose", &at)? {
            None => Purpose::None,
            Some(p) => Purpose::parse(&p).ok_or_else(|| {
                format!(
                    "{at}: unknown purpose {}; expected USERNAME, PASSWORD, NOTES or \"\"",
                    quote(&p)
                )
            })?,
        };
        let builtin = built_in(purpose);
        let name = label
            .clone()
            .or_else(|| given_id.clone())
            .or_else(|| builtin.map(|(id, _)| id.to_string()))
            .ok_or(format!("{at}: a field needs a `label` (or an `id`)"))?;
        let at = format!("{prefix}, field {}", quote(&name));
        let field_type = match text(entries, "type", &at)? {
            Some(t) => parse_name(&t, FieldType::ALL, FieldType::parse, "field type", &at)?,
            None => builtin.map_or(FieldType::String, |(_, t)| t),
        };
        let section = match place {
            Place::Section(section) => Some(section.id.clone()),
            Place::Item(sections) => match get(entries, "section") {
                Some(reference) => Some(section_ref(reference, sections, &at)?),
                None => None,
            },
        };
        let (id, origin) = match (builtin, &given_id) {
            (Some((builtin_id, _)), _) => (builtin_id.to_string(), IdOrigin::BuiltIn),
            (None, Some(id)) => (id.clone(), IdOrigin::Given),
            (None, None) => (
                ids::derived_id(
                    "seed-field",
                    &format!("{}/{name}", section.as_deref().unwrap_or("")),
                ),
                IdOrigin::Derived,
            ),
        };
        check_inner_id(&id, &at, "field")?;
        let target = Target {
            scope,
            field_id: &id,
            field_type,
            at: &at,
        };
        let (value, entropy) = self.value(
            &target,
            get(entries, "value"),
            flag(entries, "generate", &at)?,
            get(entries, "recipe"),
            secrets,
        )?;
        Ok(FieldSpec {
            input: FieldInput {
                id: Some(id.clone()),
                section: section.map(|id| IdRefInput {
                    id: Some(id),
                    label: None,
                }),
                field_type: Some(field_type.as_str().to_string()),
                purpose: Some(purpose.as_str().to_string()),
                label,
                value,
                ..FieldInput::default()
            },
            id,
            origin,
            name: format!("field {}", quote(&name)),
            entropy,
        })
    }

    /// Resolves a field's value: `(value, entropy of a generated value)`.
    fn value(
        &self,
        target: &Target<'_>,
        node: Option<&Node>,
        generate: Option<bool>,
        recipe: Option<&Node>,
        secrets: &mut Vec<String>,
    ) -> Result<(Option<String>, Option<f64>), String> {
        let at = target.at;
        if generate == Some(true) {
            if node.is_some() {
                return Err(format!(
                    "{at}: `value` and `generate: true` cannot be used together"
                ));
            }
            return self.generated(target, recipe, secrets);
        }
        if recipe.is_some() {
            return Err(format!("{at}: `recipe` needs `generate: true`"));
        }
        let value = match node {
            None => return Ok((None, None)),
            Some(Node::Text(s)) => self.interpolate(s, at, secrets)?,
            Some(map @ Node::Map(entries)) => {
                if get(entries, "generate").is_some() {
                    let entries = mapping(map, GENERATE_VALUE_KEYS, at, "a `{generate: …}` value")?;
                    if flag(entries, "generate", at)? != Some(true) {
                        return Err(format!("{at}: a `{{generate: …}}` value needs `generate: true`"));
                    }
                    return self.generated(target, get(entries, "recipe"), secrets);
                }
                self.value_object(map, entries, at)?
            }
            Some(Node::List(_)) => {
                return Err(format!(
                    "{at}: a value must be text, a number, true/false, or a mapping with `file`, `env` or `generate`, not a list"
                ))
            }
            Some(other) => other.scalar_text().unwrap_or_default(),
        };
        secrets.push(value.clone());
        self.check_value(target.field_type, &value, at)?;
        Ok((Some(value), None))
    }

    /// `{file: PATH}` or `{env: NAME, default: TEXT}`.
    fn value_object(&self, node: &Node, entries: &Entries, at: &str) -> Result<String, String> {
        if get(entries, "file").is_some() {
            let entries = mapping(node, FILE_VALUE_KEYS, at, "a `{file: …}` value")?;
            let path = non_empty_text(entries, "file", at)?.unwrap_or_default();
            return self.read_value_file(&path, at);
        }
        if get(entries, "env").is_some() {
            let entries = mapping(node, ENV_VALUE_KEYS, at, "an `{env: …}` value")?;
            let name = non_empty_text(entries, "env", at)?.unwrap_or_default();
            check_env_name(&name, at)?;
            let default = text(entries, "default", at)?;
            return match ((self.env)(&name), default) {
                (Some(value), _) => Ok(value),
                (None, Some(default)) => Ok(default),
                (None, None) => Err(format!("{at}: environment variable {name} is not set")),
            };
        }
        Err(format!(
            "{at}: a value mapping needs `file`, `env` or `generate`"
        ))
    }

    fn read_value_file(&self, given: &str, at: &str) -> Result<String, String> {
        let path = self.base_dir.join(given);
        let cannot = |e: std::io::Error| {
            format!(
                "{at}: cannot read the value file {} ({}): {e}",
                quote(given),
                path.display()
            )
        };
        let size = std::fs::metadata(&path).map_err(cannot)?.len();
        let max = self.limits.max_value_bytes;
        if size > u64::try_from(max).unwrap_or(u64::MAX).saturating_add(2) {
            return Err(format!(
                "{at}: the value file {} is too large (at most {max} bytes)",
                quote(given)
            ));
        }
        let bytes = std::fs::read(&path).map_err(cannot)?;
        let mut value = String::from_utf8(bytes).map_err(|_| {
            format!(
                "{at}: the value file {} is not UTF-8 text (attach binary data under `files`)",
                quote(given)
            )
        })?;
        if value.ends_with('\n') {
            value.pop();
            if value.ends_with('\r') {
                value.pop();
            }
        }
        Ok(value)
    }

    /// Replaces `${env:NAME}` and `${env:NAME:-default}`; `$${` is a literal `${`.
    fn interpolate(&self, s: &str, at: &str, secrets: &mut Vec<String>) -> Result<String, String> {
        if !s.contains('$') {
            return Ok(s.to_string());
        }
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(pos) = rest.find('$') {
            out.push_str(&rest[..pos]);
            let tail = &rest[pos..];
            if let Some(after) = tail.strip_prefix("$${") {
                out.push_str("${");
                rest = after;
            } else if let Some(after) = tail.strip_prefix("${") {
                let Some(end) = after.find('}') else {
                    return Err(format!(
                        "{at}: `${{` without a closing `}}` (write $${{ for a literal ${{)"
                    ));
                };
                let resolved = self.reference(&after[..end], at)?;
                secrets.push(resolved.clone());
                out.push_str(&resolved);
                rest = &after[end + 1..];
            } else {
                out.push('$');
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    fn reference(&self, inner: &str, at: &str) -> Result<String, String> {
        let Some(spec) = inner.strip_prefix("env:") else {
            return Err(format!(
                "{at}: unsupported `${{…}}` reference; only ${{env:NAME}} and ${{env:NAME:-default}} are supported (write $${{ for a literal ${{)"
            ));
        };
        let (name, default) = match spec.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (spec, None),
        };
        check_env_name(name, at)?;
        match ((self.env)(name), default) {
            (Some(value), Some(default)) if value.is_empty() => Ok(default.to_string()),
            (Some(value), _) => Ok(value),
            (None, Some(default)) => Ok(default.to_string()),
            (None, None) => Err(format!("{at}: environment variable {name} is not set")),
        }
    }

    fn check_value(&self, field_type: FieldType, value: &str, at: &str) -> Result<(), String> {
        let max = self.limits.max_value_bytes;
        if value.len() > max {
            return Err(format!("{at}: the value is too long (at most {max} bytes)"));
        }
        match field_type {
            FieldType::Otp if !value.trim().is_empty() => totp::Totp::parse(value)
                .map(|_| ())
                .map_err(|e| format!("{at}: not a valid one-time password ({e})")),
            FieldType::Date => field_values::normalize_date(value).map(|_| ()).map_err(|_| {
                format!(
                    "{at}: not a valid DATE; expected YYYY-MM-DD or Unix seconds (years 0001 to 9999)"
                )
            }),
            FieldType::MonthYear => field_values::normalize_month_year(value)
                .map(|_| ())
                .map_err(|_| {
                    format!(
                        "{at}: not a valid MONTH_YEAR; expected YYYYMM, YYYY/MM, YYYY-MM or MM/YYYY"
                    )
                }),
            _ => Ok(()),
        }
    }

    fn generated(
        &self,
        target: &Target<'_>,
        recipe: Option<&Node>,
        secrets: &mut Vec<String>,
    ) -> Result<(Option<String>, Option<f64>), String> {
        let (at, field_type) = (target.at, target.field_type);
        if matches!(
            field_type,
            FieldType::Otp | FieldType::Date | FieldType::MonthYear
        ) {
            return Err(format!(
                "{at}: a value cannot be generated for a {field_type} field"
            ));
        }
        let recipe = recipe.map(|node| parse_recipe(node, at)).transpose()?;
        let (value, entropy) = self.generate(target, recipe.as_ref())?;
        secrets.push(value.clone());
        Ok((Some(value), Some(entropy)))
    }

    /// The deterministic counterpart of [`generator::generate`]: same validation, alphabets,
    /// one-of-each-set rule, shuffle and entropy; the randomness is an HMAC-SHA256 stream over the
    /// field's identity and the effective recipe.
    fn generate(
        &self,
        target: &Target<'_>,
        recipe: Option<&Recipe>,
    ) -> Result<(String, f64), String> {
        let at = target.at;
        // Validates the recipe with the API's messages and computes the entropy figure.
        let entropy = generator::generate(recipe)
            .map_err(|e| format!("{at}: {e}"))?
            .entropy;
        let default = Recipe::default();
        let recipe = recipe.unwrap_or(&default);
        let length = usize::try_from(recipe.length.unwrap_or(generator::DEFAULT_LENGTH))
            .map_err(|_| format!("{at}: invalid recipe length"))?;
        let chosen = recipe.character_sets.as_deref().unwrap_or(&[]);
        let exclude = recipe.exclude_characters.as_deref().unwrap_or("");
        let groups: Vec<Vec<char>> = CHARACTER_SETS
            .iter()
            .filter(|(name, _)| {
                chosen.is_empty() || chosen.iter().any(|c| c.eq_ignore_ascii_case(name))
            })
            .map(|(_, chars)| {
                chars
                    .chars()
                    .filter(|c| !exclude.contains(*c))
                    .collect::<Vec<_>>()
            })
            .filter(|group| !group.is_empty())
            .collect();
        let alphabet: Vec<char> = groups.iter().flatten().copied().collect();
        if alphabet.is_empty() {
            return Err(format!("{at}: the recipe leaves no characters to use"));
        }

        let mut context = Vec::new();
        let mut part = |bytes: &[u8]| {
            context.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            context.extend_from_slice(bytes);
        };
        part(GENERATE_DOMAIN);
        part(target.scope.vault_id.as_bytes());
        part(target.scope.item_id.as_bytes());
        part(target.field_id.as_bytes());
        part(&(length as u64).to_be_bytes());
        for group in &groups {
            part(group.iter().collect::<String>().as_bytes());
        }
        let mut stream = Stream::new(&self.mac, &context);

        let mut chars: Vec<char> = Vec::with_capacity(length);
        if length >= groups.len() {
            for group in &groups {
                chars.push(group[stream.below(group.len())]);
            }
        }
        while chars.len() < length {
            chars.push(alphabet[stream.below(alphabet.len())]);
        }
        for i in (1..chars.len()).rev() {
            chars.swap(i, stream.below(i + 1));
        }
        Ok((chars.into_iter().collect(), entropy))
    }

    fn files(
        &self,
        scope: &Scope<'_>,
        entries: &Entries,
        sections: &[SectionSpec<'_>],
    ) -> Result<Vec<SourceFile>, String> {
        let mut files: Vec<SourceFile> = Vec::new();
        let mut seen: HashMap<String, Seen> = HashMap::new();
        for (index, node) in list(entries, "files", scope.at)?.iter().enumerate() {
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
            let name = match non_empty_text(file, "name", &at)? {
                Some(name) => name,
                None => path
                    .as_deref()
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
            let at = format!("{}, file {}", scope.at, quote(&name));
            let bytes = if let Some(path) = &path {
                let full = self.base_dir.join(path);
                std::fs::read(&full).map_err(|e| {
                    format!(
                        "{at}: cannot read {} ({}): {e}",
                        quote(path),
                        full.display()
                    )
                })?
            } else if let Some(encoded) = &base64_text {
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
            let this = Seen {
                position: index + 1,
                name: name.clone(),
                explicit_id: explicit.is_some(),
            };
            if let Some(first) = seen.get(&id) {
                return Err(format!(
                    "{}: {}",
                    scope.at,
                    clash("file", first, &this, &id)
                ));
            }
            seen.insert(id.clone(), this);
            files.push(SourceFile {
                id,
                name,
                section,
                content: bytes,
            });
        }
        Ok(files)
    }
}

fn sections<'n>(entries: &'n Entries, at: &str) -> Result<Vec<SectionSpec<'n>>, String> {
    let mut sections: Vec<SectionSpec<'n>> = Vec::new();
    for (index, node) in list(entries, "sections", at)?.iter().enumerate() {
        let section_at = format!("{at}, section #{}", index + 1);
        let section = mapping(node, SECTION_KEYS, &section_at, "a section")?;
        let label = non_empty_text(section, "label", &section_at)?;
        let given_id = non_empty_text(section, "id", &section_at)?;
        let (id, name) = match (&given_id, &label) {
            (Some(id), Some(label)) => (id.clone(), label.clone()),
            (Some(id), None) => (id.clone(), id.clone()),
            (None, Some(label)) => (ids::derived_id("seed-section", label), label.clone()),
            (None, None) => {
                return Err(format!(
                    "{section_at}: a section needs a `label` (or an `id`)"
                ))
            }
        };
        let section_at = format!("{at}, section {}", quote(&name));
        check_inner_id(&id, &section_at, "section")?;
        if let Some(first) = sections.iter().find(|s| s.id == id) {
            return Err(format!(
                "{at}: sections {} and {} would share the id {}; give one of them another `id` or label",
                quote(&first.name),
                quote(&name),
                quote(&id)
            ));
        }
        let fields = list(section, "fields", &section_at)?;
        sections.push(SectionSpec {
            id,
            label,
            name,
            fields,
        });
    }
    Ok(sections)
}

/// A `section:` reference (its id or label, as text or `{id}` / `{label}`) to a declared section.
fn section_ref(node: &Node, sections: &[SectionSpec<'_>], at: &str) -> Result<String, String> {
    let wanted = match node {
        Node::Map(_) => {
            let entries = mapping(node, SECTION_REF_KEYS, at, "a section reference")?;
            non_empty_text(entries, "id", at)?.or(non_empty_text(entries, "label", at)?)
        }
        other => other.scalar_text(),
    }
    .ok_or(format!(
        "{at}: `section` must name a section of the item by id or label"
    ))?;
    sections
        .iter()
        .find(|s| s.id == wanted)
        .or_else(|| {
            sections
                .iter()
                .find(|s| s.label.as_deref() == Some(&wanted))
        })
        .map(|s| s.id.clone())
        .ok_or_else(|| {
            format!(
                "{at}: the item has no section with id or label {}",
                quote(&wanted)
            )
        })
}

fn check_env_name(name: &str, at: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{at}: an environment variable name must be letters, digits and _, not starting with a digit"
        ))
    }
}

fn parse_recipe(node: &Node, at: &str) -> Result<Recipe, String> {
    let entries = mapping(node, RECIPE_KEYS, at, "a recipe")?;
    let length = match get(entries, "length") {
        None => None,
        Some(Node::Number { int: Some(n), .. }) => Some(*n),
        Some(other) => {
            return Err(format!(
                "{at}: the recipe's `length` must be a whole number, not {}",
                other.kind()
            ))
        }
    };
    let mut sets = Vec::new();
    for set in list(entries, "characterSets", at)? {
        match set {
            Node::Text(name) if CHARACTER_SETS.iter().any(|(n, _)| n == name) => {
                sets.push(name.clone());
            }
            _ => {
                return Err(format!(
                    "{at}: every entry of `characterSets` must be LETTERS, DIGITS or SYMBOLS"
                ))
            }
        }
    }
    Ok(Recipe {
        length,
        character_sets: (!sets.is_empty()).then_some(sets),
        exclude_characters: text(entries, "excludeCharacters", at)?,
    })
}

/// An HMAC-SHA256 byte stream: block `n` is `HMAC(key, context || n)`.
struct Stream {
    mac: Hmac<Sha256>,
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl Stream {
    fn new(key: &Hmac<Sha256>, context: &[u8]) -> Stream {
        let mut mac = key.clone();
        mac.update(context);
        Stream {
            mac,
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }

    fn byte(&mut self) -> u8 {
        if self.used >= self.block.len() {
            let mut mac = self.mac.clone();
            mac.update(&self.counter.to_be_bytes());
            self.block.copy_from_slice(&mac.finalize().into_bytes());
            self.counter += 1;
            self.used = 0;
        }
        let byte = self.block.get(self.used).copied().unwrap_or(0);
        self.used += 1;
        byte
    }

    /// A uniform number in `0..n` (`n` ≥ 1), by rejection sampling over 32-bit draws.
    fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n).unwrap_or(1).clamp(1, 1 << 32);
        let zone = (1u64 << 32) - ((1u64 << 32) % n);
        loop {
            let draw = u64::from(u32::from_be_bytes([
                self.byte(),
                self.byte(),
                self.byte(),
                self.byte(),
            ]));
            if draw < zone {
                return usize::try_from(draw % n).unwrap_or(0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::Value;

    use super::*;
    use crate::model::{StoredField, StoredUrl};

    const KEY: [u8; 32] = [7; 32];
    const SECRET: &str = "s3cr3t-Value-9f8e7d";

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn secret_env(name: &str) -> Option<String> {
        (name == "SECRET_VAR").then(|| SECRET.to_string())
    }

    fn parse_in(text: &str, dir: &Path, env: &dyn Fn(&str) -> Option<String>) -> Snapshot {
        parse(text, SeedFormat::Yaml, dir, env, &KEY).unwrap_or_else(|e| panic!("{e}"))
    }

    fn ok(text: &str) -> Snapshot {
        parse_in(text, Path::new("/nonexistent"), &secret_env)
    }

    fn err_in(text: &str, dir: &Path, env: &dyn Fn(&str) -> Option<String>) -> String {
        match parse(text, SeedFormat::Yaml, dir, env, &KEY) {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(SourceError::Invalid(message)) => {
                assert!(message.starts_with("seed file: "), "{message}");
                assert!(!message.contains(SECRET), "secret in {message}");
                message
            }
            Err(other) => panic!("expected Invalid, got {other:?}"),
        }
    }

    fn err(text: &str) -> String {
        err_in(text, Path::new("/nonexistent"), &secret_env)
    }

    /// A one-vault, one-item document from the item's YAML lines (indented by 8).
    fn item_doc(item: &str) -> String {
        let mut doc = String::from("vaults:\n  - name: V\n    items:\n");
        for (i, line) in item.lines().enumerate() {
            doc.push_str(if i == 0 { "      - " } else { "        " });
            doc.push_str(line);
            doc.push('\n');
        }
        doc
    }

    fn only_item(snapshot: &Snapshot) -> &SourceItem {
        assert_eq!(snapshot.vaults.len(), 1);
        assert_eq!(snapshot.vaults[0].items.len(), 1);
        &snapshot.vaults[0].items[0]
    }

    fn field<'a>(item: &'a SourceItem, label: &str) -> &'a StoredField {
        item.data
            .body
            .fields
            .iter()
            .find(|f| f.label == label)
            .unwrap_or_else(|| panic!("no field {label:?} in {:?}", item.data.body.fields))
    }

    fn value<'a>(item: &'a SourceItem, label: &str) -> &'a str {
        field(item, label).value.as_deref().unwrap_or("")
    }

    fn example_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
    }

    fn example_text() -> String {
        std::fs::read_to_string(example_dir().join("seed.yaml")).expect("examples/seed.yaml")
    }

    fn example_env(name: &str) -> Option<String> {
        (name == "LATCHKEY_EXAMPLE_DB_PASSWORD").then(|| "example-db-password".to_string())
    }

    // ----- the basics -----

    #[test]
    fn minimal_item_gets_derived_ids_and_api_defaults() {
        let snapshot = ok("vaults:\n  - name: Infra\n    items:\n      - title: Postgres\n");
        let vault = &snapshot.vaults[0].vault;
        assert_eq!(vault.id, ids::derived_id("seed-vault", "Infra"));
        assert_eq!(vault.name, "Infra");
        assert_eq!(vault.description, "");
        assert_eq!(vault.vault_type, VaultType::UserCreated);
        let item = only_item(&snapshot);
        assert_eq!(
            item.id,
            ids::derived_id("seed-item", &format!("{}/Postgres", vault.id))
        );
        assert!(ids::is_valid_id(&item.id));
        assert_eq!(item.category, Category::Login);
        assert_eq!(item.state, None);
        assert_eq!(item.data.summary.title, "Postgres");
        let field_ids: Vec<_> = item.data.body.fields.iter().map(|f| &f.id).collect();
        assert_eq!(field_ids, ["username", "password", "notesPlain"]);
        assert!(item.data.body.files.is_empty());
        assert!(item.files.is_empty());
    }

    #[test]
    fn empty_vault_list_and_vault_without_items() {
        assert_eq!(ok("vaults: []\n"), Snapshot::default());
        let snapshot = ok("version: 1\nvaults:\n  - name: Empty\n    items:\n");
        assert!(snapshot.vaults[0].items.is_empty());
    }

    #[test]
    fn every_item_feature() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cert.pem"), b"PEM\x00bytes").unwrap();
        std::fs::write(dir.path().join("key.txt"), "from-a-file\r\n").unwrap();
        let doc = r#"
vaults:
  - name: Infra
    id: abcdefghijklmnopqrstuvwxyz
    description: Production
    type: EVERYONE
    items:
      - title: Postgres
        id: aaaaaaaaaaaaaaaaaaaaaaaaaa
        category: DATABASE
        tags: [db, prod, db, 2024]
        favorite: true
        archived: true
        urls:
          - "https://one.example"
          - {href: "https://two.example", label: admin, primary: true}
        username: app
        password: "pw-${env:SECRET_VAR}-end"
        notes: some notes
        sections:
          - id: conn
            label: Connection
            fields:
              - label: host
                value: db.internal
              - {label: port, value: 5432}
              - {label: tls, value: true}
          - label: Extra
        fields:
          - {id: api_key, label: API key, type: CONCEALED, value: {file: key.txt}}
          - {label: in extra, value: x, section: Extra}
          - {label: by id, value: y, section: {id: conn}}
          - {label: expires, type: DATE, value: 2030-01-01}
          - {label: card expiry, type: MONTH_YEAR, value: 2029/12}
          - {label: one-time password, type: OTP, value: "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"}
          - {label: empty}
        files:
          - {name: cert.pem, path: ./cert.pem, section: conn}
          - {path: cert.pem, name: copy.pem}
          - {name: hello.txt, content: "inline text"}
          - {name: bin, base64: "AAEC\n/w=="}
"#;
        let snapshot = parse_in(doc, dir.path(), &secret_env);
        let vault = &snapshot.vaults[0].vault;
        assert_eq!(vault.id, "abcdefghijklmnopqrstuvwxyz");
        assert_eq!(vault.description, "Production");
        assert_eq!(vault.vault_type, VaultType::Everyone);
        let item = only_item(&snapshot);
        assert_eq!(item.id, "aaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert_eq!(item.category, Category::Database);
        assert_eq!(item.state.as_deref(), Some("ARCHIVED"));
        let summary = &item.data.summary;
        assert_eq!(summary.tags, ["db", "prod", "2024"]);
        assert!(summary.favorite);
        assert_eq!(
            summary.urls,
            [
                StoredUrl {
                    label: None,
                    primary: false,
                    href: "https://one.example".into()
                },
                StoredUrl {
                    label: Some("admin".into()),
                    primary: true,
                    href: "https://two.example".into()
                }
            ]
        );
        let body = &item.data.body;
        assert_eq!(body.sections.len(), 2);
        assert_eq!(body.sections[0].id, "conn");
        assert_eq!(
            body.sections[1].id,
            ids::derived_id("seed-section", "Extra")
        );
        assert_eq!(body.sections[1].label.as_deref(), Some("Extra"));
        // DATABASE has only notesPlain built in; username and password keep their fixed ids.
        assert_eq!(body.fields[0].id, "notesPlain");
        assert_eq!(value(item, "notesPlain"), "some notes");
        assert_eq!(field(item, "username").id, "username");
        assert_eq!(value(item, "username"), "app");
        let password = field(item, "password");
        assert_eq!(password.field_type, FieldType::Concealed);
        assert_eq!(password.purpose, Purpose::Password);
        assert_eq!(
            password.value.as_deref(),
            Some(&*format!("pw-{SECRET}-end"))
        );
        let host = field(item, "host");
        assert_eq!(host.section.as_deref(), Some("conn"));
        assert_eq!(host.id, ids::derived_id("seed-field", "conn/host"));
        assert_eq!(host.field_type, FieldType::String);
        assert_eq!(value(item, "port"), "5432");
        assert_eq!(value(item, "tls"), "true");
        let api_key = field(item, "API key");
        assert_eq!(api_key.id, "api_key");
        assert_eq!(api_key.field_type, FieldType::Concealed);
        assert_eq!(api_key.section, None);
        assert_eq!(api_key.value.as_deref(), Some("from-a-file"));
        assert_eq!(
            field(item, "in extra").section.as_deref(),
            Some(&*body.sections[1].id)
        );
        assert_eq!(field(item, "by id").section.as_deref(), Some("conn"));
        assert_eq!(value(item, "expires"), "1893456000");
        assert_eq!(value(item, "card expiry"), "202912");
        assert_eq!(field(item, "one-time password").field_type, FieldType::Otp);
        assert_eq!(field(item, "empty").value, None);

        assert!(
            body.files.is_empty(),
            "the sync engine fills data.body.files"
        );
        let files: Vec<_> = item
            .files
            .iter()
            .map(|f| (f.name.as_str(), f.section.as_deref(), f.content.as_slice()))
            .collect();
        assert_eq!(
            files,
            [
                ("cert.pem", Some("conn"), &b"PEM\x00bytes"[..]),
                ("copy.pem", None, &b"PEM\x00bytes"[..]),
                ("hello.txt", None, &b"inline text"[..]),
                ("bin", None, &[0u8, 1, 2, 255][..]),
            ]
        );
        assert_eq!(
            item.files[0].id,
            ids::derived_id("seed-file", &format!("{}/cert.pem", item.id))
        );
        assert!(item.files.iter().all(|f| ids::is_valid_id(&f.id)));
    }

    #[test]
    fn first_url_is_primary_when_none_is_marked() {
        let snapshot = ok(&item_doc("title: t\nurls: [\"https://a\", \"https://b\"]"));
        let urls = &only_item(&snapshot).data.summary.urls;
        assert!(urls[0].primary);
        assert!(!urls[1].primary);
        let e = err(&item_doc(
            "title: t\nurls: [{href: a, primary: true}, {href: b, primary: true}]",
        ));
        assert!(e.contains("only one URL can be `primary`"), "{e}");
    }

    #[test]
    fn every_category_including_custom_and_document() {
        for category in Category::ALL {
            let snapshot = ok(&item_doc(&format!("title: t\ncategory: {category}")));
            let item = only_item(&snapshot);
            assert_eq!(item.category, *category);
            let built_ins: Vec<_> = item.data.body.fields.iter().map(|f| &f.id).collect();
            match category {
                Category::Login => assert_eq!(built_ins, ["username", "password", "notesPlain"]),
                Category::Password => assert_eq!(built_ins, ["password", "notesPlain"]),
                _ => assert_eq!(built_ins, ["notesPlain"], "{category}"),
            }
        }
    }

    #[test]
    fn every_field_type() {
        for field_type in FieldType::ALL {
            let value = match field_type {
                FieldType::Otp => "JBSWY3DPEHPK3PXP",
                FieldType::Date => "2024-02-29",
                FieldType::MonthYear => "202402",
                _ => "text",
            };
            let snapshot = ok(&item_doc(&format!(
                "title: t\nfields: [{{label: f, type: {field_type}, value: \"{value}\"}}]"
            )));
            assert_eq!(field(only_item(&snapshot), "f").field_type, *field_type);
        }
    }

    #[test]
    fn purpose_fields_are_the_built_in_fields() {
        let snapshot = ok(&item_doc(
            "title: t\nfields:\n  - {purpose: PASSWORD, value: a}\n  - {purpose: USERNAME, label: login, value: b}\n  - {purpose: NOTES, value: c}",
        ));
        let item = only_item(&snapshot);
        let fields: Vec<_> = item
            .data
            .body
            .fields
            .iter()
            .map(|f| (f.id.as_str(), f.label.as_str(), f.value.as_deref()))
            .collect();
        assert_eq!(
            fields,
            [
                ("username", "login", Some("b")),
                ("password", "password", Some("a")),
                ("notesPlain", "notesPlain", Some("c"))
            ]
        );
    }

    #[test]
    fn scalars_in_text_positions_take_their_text_form() {
        let snapshot = ok("vaults:\n  - name: 2024\n    items:\n      - {title: 42, tags: [1.5, true], fields: [{label: 7, value: 0x1F}, {label: f, value: 1.50}, {label: b, value: false}, {label: n, value: null}]}\n");
        assert_eq!(snapshot.vaults[0].vault.name, "2024");
        let item = only_item(&snapshot);
        assert_eq!(item.data.summary.title, "42");
        assert_eq!(item.data.summary.tags, ["1.5", "true"]);
        assert_eq!(value(item, "7"), "31");
        assert_eq!(value(item, "f"), "1.5");
        assert_eq!(value(item, "b"), "false");
        assert_eq!(field(item, "n").value, None);
    }

    #[test]
    fn json_format_and_x_keys() {
        let json = r#"{"$schema": "./seed.schema.json", "x-note": [1, 2],
            "vaults": [{"name": "V", "x-owner": "me", "items": [
                {"title": "T", "category": "PASSWORD", "password": "p", "x-anything": {"a": 1}}]}]}"#;
        let from_json = parse(json, SeedFormat::Json, Path::new("."), &no_env, &KEY).unwrap();
        let from_yaml = parse(
            "vaults:\n  - name: V\n    items:\n      - {title: T, category: PASSWORD, password: p}\n",
            SeedFormat::Yaml,
            Path::new("."),
            &no_env,
            &KEY,
        )
        .unwrap();
        assert_eq!(from_json, from_yaml);
        // JSON is YAML, too.
        let json_as_yaml = parse(json, SeedFormat::Yaml, Path::new("."), &no_env, &KEY).unwrap();
        assert_eq!(json_as_yaml, from_json);
    }

    #[test]
    fn yaml_anchors_aliases_and_merge_keys() {
        let doc = r#"
x-login: &login
  category: LOGIN
  tags: [shared]
  username: admin
vaults:
  - name: V
    items:
      - <<: *login
        title: One
      - <<: *login
        title: Two
        username: root
"#;
        let snapshot = ok(doc);
        let items = &snapshot.vaults[0].items;
        assert_eq!(items[0].data.summary.tags, ["shared"]);
        assert_eq!(value(&items[0], "username"), "admin");
        assert_eq!(value(&items[1], "username"), "root");
    }

    // ----- values -----

    #[test]
    fn env_interpolation_defaults_and_escapes() {
        let env = |name: &str| match name {
            "HOST" => Some("db.internal".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        let doc = item_doc(
            r#"title: t
fields:
  - {label: a, value: "postgres://${env:HOST}:5432/${env:HOST}"}
  - {label: b, value: "$${env:HOST} and $$ and $5 and trailing $"}
  - {label: c, value: "${env:UNSET:-fallback} ${env:EMPTY:-was empty} [${env:EMPTY}]"}
  - {label: d, value: {env: HOST}}
  - {label: e, value: {env: UNSET, default: dflt}}
  - {label: f, value: {env: EMPTY}}
urls: ["https://${env:HOST}/admin"]"#,
        );
        let snapshot = parse_in(&doc, Path::new("."), &env);
        let item = only_item(&snapshot);
        assert_eq!(value(item, "a"), "postgres://db.internal:5432/db.internal");
        assert_eq!(value(item, "b"), "${env:HOST} and $$ and $5 and trailing $");
        assert_eq!(value(item, "c"), "fallback was empty []");
        assert_eq!(value(item, "d"), "db.internal");
        assert_eq!(value(item, "e"), "dflt");
        assert_eq!(value(item, "f"), "");
        assert_eq!(item.data.summary.urls[0].href, "https://db.internal/admin");
    }

    #[test]
    fn env_values_are_not_interpolated_again() {
        let env = |name: &str| (name == "RAW").then(|| "${env:OTHER}".to_string());
        let snapshot = parse_in(
            &item_doc("title: t\npassword: \"${env:RAW}\"\nnotes: {env: RAW}"),
            Path::new("."),
            &env,
        );
        let item = only_item(&snapshot);
        assert_eq!(value(item, "password"), "${env:OTHER}");
        assert_eq!(value(item, "notesPlain"), "${env:OTHER}");
    }

    #[test]
    fn value_files_are_text_with_one_trailing_newline_removed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("secrets")).unwrap();
        std::fs::write(dir.path().join("secrets/a"), "line1\nline2\n\n").unwrap();
        std::fs::write(dir.path().join("secrets/b"), "no newline").unwrap();
        std::fs::write(dir.path().join("secrets/bin"), [0xff, 0xfe, 0x00]).unwrap();
        let doc = item_doc(
            "title: t\nfields:\n  - {label: a, value: {file: secrets/a}}\n  - {label: b, value: {file: ./secrets/b}}",
        );
        let snapshot = parse_in(&doc, dir.path(), &no_env);
        let item = only_item(&snapshot);
        assert_eq!(value(item, "a"), "line1\nline2\n");
        assert_eq!(value(item, "b"), "no newline");
        let e = err_in(
            &item_doc("title: t\npassword: {file: secrets/bin}"),
            dir.path(),
            &no_env,
        );
        assert!(e.contains("is not UTF-8 text"), "{e}");
        std::fs::write(dir.path().join("big"), vec![b'a'; 300 * 1024]).unwrap();
        let e = err_in(
            &item_doc("title: t\npassword: {file: big}"),
            dir.path(),
            &no_env,
        );
        assert!(e.contains("too large"), "{e}");
    }

    // ----- generated values -----

    const GENERATED: &str = r#"title: t
password: {generate: true}
fields:
  - {label: pin, generate: true, recipe: {length: 8, characterSets: [DIGITS]}}
  - {label: token, type: CONCEALED, generate: true, recipe: {length: 64, excludeCharacters: "abcdefghijklmnopqrstuvwxyz"}}
  - {label: short, generate: true, recipe: {length: 2, characterSets: [LETTERS, DIGITS, SYMBOLS]}}"#;

    #[test]
    fn generated_values_follow_the_recipe() {
        let snapshot = ok(&item_doc(GENERATED));
        let item = only_item(&snapshot);
        let password = field(item, "password");
        let pw = password.value.as_deref().unwrap();
        assert_eq!(pw.chars().count(), 32);
        let all = format!(
            "{}{}{}",
            generator::LETTERS,
            generator::DIGITS,
            generator::SYMBOLS
        );
        assert!(pw.chars().all(|c| all.contains(c)), "{pw}");
        for set in [generator::LETTERS, generator::DIGITS, generator::SYMBOLS] {
            assert!(pw.chars().any(|c| set.contains(c)), "{pw} lacks a set");
        }
        assert_eq!(password.entropy, Some(207.74));
        let pin = field(item, "pin");
        let pin_value = pin.value.as_deref().unwrap();
        assert_eq!(pin_value.len(), 8);
        assert!(pin_value.bytes().all(|b| b.is_ascii_digit()), "{pin_value}");
        assert_eq!(pin.entropy, Some(26.58));
        let token = value(item, "token");
        assert_eq!(token.len(), 64);
        assert!(!token.bytes().any(|b| b.is_ascii_lowercase()), "{token}");
        assert_eq!(value(item, "short").chars().count(), 2);
    }

    #[test]
    fn generated_values_are_stable_and_keyed() {
        let doc = item_doc(GENERATED);
        let first = ok(&doc);
        let second = ok(&doc);
        assert_eq!(first, second);
        // Another key gives other values but the same ids.
        let other = parse(&doc, SeedFormat::Yaml, Path::new("."), &no_env, &[8; 32]).unwrap();
        let (a, b) = (only_item(&first), only_item(&other));
        assert_eq!(a.id, b.id);
        assert_ne!(value(a, "password"), value(b, "password"));
        assert_ne!(value(a, "token"), value(b, "token"));
        // Distinct fields and distinct items get independent values.
        assert_ne!(value(a, "password"), value(a, "token"));
        let renamed = ok(&item_doc(&GENERATED.replace("title: t", "title: u")));
        assert_ne!(value(a, "password"), value(only_item(&renamed), "password"));
        // Adding an unrelated item or field leaves existing values alone.
        let more = ok(&item_doc(&format!(
            "{GENERATED}\n  - {{label: new, value: x}}"
        )));
        assert_eq!(value(a, "password"), value(only_item(&more), "password"));
        assert_eq!(value(a, "pin"), value(only_item(&more), "pin"));
        // A changed recipe changes the value.
        let longer = ok(&item_doc(&GENERATED.replace("length: 8,", "length: 9,")));
        assert_ne!(value(a, "pin"), &value(only_item(&longer), "pin")[..8]);
    }

    #[test]
    fn stream_sampling_is_uniform_enough() {
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&KEY).unwrap();
        let mut stream = Stream::new(&mac, b"test");
        let mut counts = [0usize; 10];
        for _ in 0..10_000 {
            counts[stream.below(10)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(stream.below(1), 0);
    }

    // ----- stable ids -----

    #[test]
    fn ids_are_stable_across_parses_and_independent_of_order() {
        let text = example_text();
        let first = parse(&text, SeedFormat::Yaml, &example_dir(), &example_env, &KEY).unwrap();
        let second = parse(&text, SeedFormat::Yaml, &example_dir(), &example_env, &KEY).unwrap();
        assert_eq!(first, second);
        let a = ok(&item_doc(
            "title: t\nsections: [{label: S, fields: [{label: f}]}]\nfields: [{label: g}]",
        ));
        let b = ok(&item_doc("title: t\nfields: [{label: h}, {label: g}]\nsections: [{label: S2}, {label: S, fields: [{label: x}, {label: f}]}]"));
        let (a, b) = (only_item(&a), only_item(&b));
        assert_eq!(a.id, b.id);
        assert_eq!(field(a, "f").id, field(b, "f").id);
        assert_eq!(field(a, "g").id, field(b, "g").id);
    }

    // ----- errors -----

    #[test]
    fn missing_env_var_names_variable_and_item() {
        for item in [
            "title: Postgres\npassword: \"x${env:PG_PASSWORD}\"",
            "title: Postgres\nfields: [{label: pw, value: {env: PG_PASSWORD}}]",
        ] {
            let e = err(&item_doc(item));
            assert!(e.contains("PG_PASSWORD is not set"), "{e}");
            assert!(e.contains("item \"Postgres\""), "{e}");
            assert!(e.contains("vault \"V\""), "{e}");
        }
        let e = err(&item_doc("title: t\nurls: [\"https://${env:NOPE}\"]"));
        assert!(e.contains("NOPE is not set") && e.contains("URL #1"), "{e}");
    }

    #[test]
    fn the_example_needs_its_documented_variable() {
        let e = match parse(
            &example_text(),
            SeedFormat::Yaml,
            &example_dir(),
            &no_env,
            &KEY,
        ) {
            Err(SourceError::Invalid(e)) => e,
            other => panic!("{other:?}"),
        };
        assert!(e.contains("LATCHKEY_EXAMPLE_DB_PASSWORD is not set"), "{e}");
        assert!(e.contains("item \"Postgres\""), "{e}");
    }

    #[test]
    fn bad_references_are_errors() {
        for (value, expected) in [
            ("\"${HOME}\"", "unsupported `${…}` reference"),
            ("\"${env:}\"", "environment variable name"),
            ("\"${env:1X}\"", "environment variable name"),
            ("\"abc ${env:X\"", "without a closing"),
            ("{env: \"A B\"}", "environment variable name"),
        ] {
            let e = err(&item_doc(&format!("title: t\npassword: {value}")));
            assert!(e.contains(expected), "{value}: {e}");
            assert!(e.contains("`password`"), "{e}");
        }
    }

    #[test]
    fn missing_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let e = err_in(
            &item_doc("title: Certs\nfields: [{label: key, value: {file: missing.txt}}]"),
            dir.path(),
            &no_env,
        );
        assert!(
            e.contains("field \"key\"") && e.contains("\"missing.txt\""),
            "{e}"
        );
        assert!(e.contains("item \"Certs\""), "{e}");
        let e = err_in(
            &item_doc("title: Certs\nfiles: [{path: nope/cert.pem}]"),
            dir.path(),
            &no_env,
        );
        assert!(
            e.contains("file \"cert.pem\"") && e.contains("cannot read"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_titles_need_an_id() {
        let doc = "vaults:\n  - name: Infra\n    items:\n      - title: Postgres\n      - title: Redis\n      - title: Postgres\n";
        let e = err(doc);
        assert!(e.contains("vault \"Infra\""), "{e}");
        assert!(
            e.contains("items #1 and #3 are both named \"Postgres\""),
            "{e}"
        );
        assert!(e.contains("give one of them an `id`"), "{e}");
        // With an id, the same title is fine.
        let fixed = doc.replacen(
            "      - title: Redis\n      - title: Postgres\n",
            "      - title: Redis\n      - {title: Postgres, id: bbbbbbbbbbbbbbbbbbbbbbbbbb}\n",
            1,
        );
        assert_eq!(ok(&fixed).vaults[0].items.len(), 3);
        // The same title in two vaults is fine too.
        ok("vaults:\n  - {name: A, items: [{title: X}]}\n  - {name: B, items: [{title: X}]}\n");
        let e = err("vaults:\n  - {name: A, items: [{title: X, id: cccccccccccccccccccccccccc}, {title: Y, id: cccccccccccccccccccccccccc}]}\n");
        assert!(
            e.contains("items #1 \"X\" and #2 \"Y\" have the same id"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_vaults_sections_fields_and_files() {
        let e = err("vaults:\n  - name: A\n  - name: A\n");
        assert!(e.contains("vaults #1 and #2 are both named \"A\""), "{e}");
        let e = err(&item_doc("title: t\nsections: [{label: S}, {label: S}]"));
        assert!(
            e.contains("sections \"S\" and \"S\" would share the id"),
            "{e}"
        );
        let e = err(&item_doc("title: t\nfields: [{label: f}, {label: f}]"));
        assert!(
            e.contains("field \"f\" and field \"f\" have the same label in the same section"),
            "{e}"
        );
        let e = err(&item_doc(
            "title: t\npassword: a\nfields: [{purpose: PASSWORD, value: b}]",
        ));
        assert!(
            e.contains(
                "`password` and field \"password\" both set the built-in \"password\" field"
            ),
            "{e}"
        );
        let e = err(&item_doc(
            "title: t\nfields: [{id: k, label: a}, {id: k, label: b}]",
        ));
        assert!(
            e.contains("field \"a\" and field \"b\" have the same id \"k\""),
            "{e}"
        );
        // The same label in different sections is fine.
        ok(&item_doc(
            "title: t\nsections: [{label: A, fields: [{label: f}]}, {label: B, fields: [{label: f}]}]",
        ));
        let e = err(&item_doc(
            "title: t\nfiles: [{name: a, content: x}, {name: a, content: y}]",
        ));
        assert!(e.contains("files #1 and #2 are both named \"a\""), "{e}");
    }

    #[test]
    fn bad_enums_are_errors_with_hints() {
        let e = err(&item_doc("title: t\ncategory: login"));
        assert!(
            e.contains("unknown category \"login\" (did you mean LOGIN?)"),
            "{e}"
        );
        assert!(e.contains("SSH_KEY, CUSTOM"), "{e}");
        let e = err(&item_doc("title: t\ncategory: NOPE"));
        assert!(
            e.contains("unknown category \"NOPE\"; expected one of: LOGIN"),
            "{e}"
        );
        let e = err(&item_doc("title: t\nfields: [{label: f, type: TOTP}]"));
        assert!(
            e.contains("(did you mean OTP?)") && e.contains("field \"f\""),
            "{e}"
        );
        let e = err(&item_doc("title: t\nfields: [{label: f, purpose: OWNER}]"));
        assert!(e.contains("unknown purpose \"OWNER\""), "{e}");
        let e = err("vaults: [{name: V, type: SHARED}]");
        assert!(e.contains("unknown vault type \"SHARED\""), "{e}");
    }

    #[test]
    fn bad_otp_is_an_error_without_the_secret() {
        for otp in [
            format!("otpauth://hotp/x?secret={SECRET}"),
            format!("otpauth://totp/x?secret={SECRET}!"),
            format!("{SECRET}!!"),
        ] {
            let e = err(&item_doc(&format!(
                "title: MFA\nfields: [{{label: code, type: OTP, value: \"{otp}\"}}]"
            )));
            assert!(
                e.contains("field \"code\": not a valid one-time password"),
                "{e}"
            );
            assert!(!e.contains(&otp), "{e}");
        }
        // The secret can also come from the environment.
        let e = err(&item_doc(
            "title: MFA\nfields: [{label: code, type: OTP, value: {env: SECRET_VAR}}]",
        ));
        assert!(e.contains("not a valid one-time password"), "{e}");
    }

    #[test]
    fn bad_dates_are_errors_without_the_value() {
        for (field_type, bad) in [
            ("DATE", "2030-02-30"),
            ("DATE", "next tuesday"),
            ("MONTH_YEAR", "13/2029"),
            ("DATE", SECRET),
            ("MONTH_YEAR", SECRET),
        ] {
            let e = err(&item_doc(&format!(
                "title: t\nfields: [{{label: when, type: {field_type}, value: \"{bad}\"}}]"
            )));
            assert!(
                e.contains(&format!("field \"when\": not a valid {field_type}")),
                "{e}"
            );
            assert!(!e.contains(bad), "{e}");
        }
    }

    #[test]
    fn yaml_syntax_errors_give_line_and_column() {
        let doc = "vaults:\n  - name: V\n    items:\n      - title: t\n     bad: [\n";
        let e = err(doc);
        assert!(e.starts_with("seed file: invalid YAML: "), "{e}");
        assert!(e.contains("line 5"), "{e}");
        assert!(e.contains("column"), "{e}");
        let e = err("vaults:\n  - name: V\n    name: W\n");
        assert!(
            e.contains("duplicate entry with key \"name\"") && e.contains("line 2"),
            "{e}"
        );
        let e = err("vaults: !custom [1]\n");
        assert!(e.contains("YAML tags"), "{e}");
        let e = match parse(
            "{\"vaults\": [\n  {\"name\": \"V\",}\n]}",
            SeedFormat::Json,
            Path::new("."),
            &no_env,
            &KEY,
        ) {
            Err(SourceError::Invalid(e)) => e,
            other => panic!("{other:?}"),
        };
        assert!(e.contains("invalid JSON") && e.contains("line 2"), "{e}");
    }

    #[test]
    fn wrong_types_are_errors() {
        for (doc, expected) in [
            ("[]".to_string(), "the document must be a mapping, not a list"),
            ("".to_string(), "the file is empty"),
            ("version: 2\nvaults: []".to_string(), "unsupported `version`"),
            ("other: 1".to_string(), "unknown key \"other\""),
            ("x-only: 1".to_string(), "`vaults` is required"),
            ("vaults: {name: V}".to_string(), "`vaults` must be a list, not a mapping"),
            ("vaults: [V]".to_string(), "vault #1: a vault must be a mapping, not text"),
            ("vaults: [{name: [a]}]".to_string(), "vault #1: `name` must be text, not a list"),
            ("vaults: [{id: aaaaaaaaaaaaaaaaaaaaaaaaaa}]".to_string(), "vault #1: `name` is required"),
            ("vaults: [{name: V, id: ABC}]".to_string(), "the vault id must be 26 lowercase"),
            ("vaults: [{name: V, items: {title: t}}]".to_string(), "`items` must be a list"),
            (item_doc("favorite: yes\ntitle: t"), "`favorite` must be true or false, not text"),
            (item_doc("title: t\narchived: 1"), "`archived` must be true or false, not a number"),
            (item_doc("title: t\ntags: db"), "`tags` must be a list, not text"),
            (item_doc("title: t\ntags: [[a]]"), "every entry of `tags` must be text"),
            (item_doc("title: [t]"), "item #1: `title` must be text, not a list"),
            (item_doc("category: LOGIN"), "item #1: `title` is required"),
            (item_doc("title: t\nid: nope"), "the item id must be 26 lowercase"),
            (item_doc("title: t\npasword: x"), "unknown key \"pasword\" in an item"),
            (item_doc("title: t\nfields: {label: f}"), "`fields` must be a list, not a mapping"),
            (item_doc("title: t\nfields: [{value: x}]"), "field #1: a field needs a `label`"),
            (item_doc("title: t\nfields: [{label: f, value: [a]}]"), "not a list"),
            (item_doc("title: t\nfields: [{label: f, value: {path: a}}]"), "needs `file`, `env` or `generate`"),
            (item_doc("title: t\nfields: [{label: f, value: {file: a, env: B}}]"), "unknown key \"env\""),
            (item_doc("title: t\nfields: [{label: f, totp: \"123\"}]"), "unknown key \"totp\" in a field"),
            (item_doc("title: t\nsections: [{label: S, fields: [{label: f, section: S}]}]"), "unknown key \"section\""),
            (item_doc("title: t\nsections: [{fields: []}]"), "a section needs a `label`"),
            (item_doc("title: t\nfields: [{label: f, section: Nope}]"), "no section with id or label \"Nope\""),
            (item_doc("title: t\nurls: [{label: x}]"), "`href` is required"),
            (item_doc("title: t\nurls: [5]"), "a URL must be text or a mapping"),
            (item_doc("title: t\nfiles: [{name: a}]"), "exactly one of `path`, `content` or `base64`"),
            (item_doc("title: t\nfiles: [{name: a, content: x, base64: eA==}]"), "exactly one of"),
            (item_doc("title: t\nfiles: [{content: x}]"), "file #1: `name` is required"),
            (item_doc("title: t\nfiles: [{name: a, base64: \"not base64!\"}]"), "`base64` is not valid base64"),
            (item_doc("title: t\nfiles: [{name: a, content: x, id: X}]"), "the file id must be 26"),
            (item_doc("title: t\nfiles: [{name: a, content: [x]}]"), "`content` must be text, not a list"),
            (item_doc("title: t\nfields: [{label: f, value: x, generate: true}]"), "cannot be used together"),
            (item_doc("title: t\nfields: [{label: f, recipe: {length: 3}}]"), "`recipe` needs `generate: true`"),
            (item_doc("title: t\nfields: [{label: f, type: DATE, generate: true}]"), "cannot be generated for a DATE field"),
            (item_doc("title: t\npassword: {generate: false}"), "needs `generate: true`"),
            (item_doc("title: t\npassword: {generate: true, recipe: {length: 65}}"), "length must be between 1 and 64"),
            (item_doc("title: t\npassword: {generate: true, recipe: {length: \"8\"}}"), "must be a whole number, not text"),
            (item_doc("title: t\npassword: {generate: true, recipe: {characterSets: [letters]}}"), "must be LETTERS, DIGITS or SYMBOLS"),
            (item_doc("title: t\npassword: {generate: true, recipe: {characterSets: [DIGITS], excludeCharacters: \"0123456789\"}}"), "excludeCharacters removes every character"),
            (item_doc("title: t\npassword: {generate: true, recipe: {size: 3}}"), "unknown key \"size\" in a recipe"),
            (item_doc(&format!("title: {}", "x".repeat(1100))), "The title is too long"),
        ] {
            let e = err(&doc);
            assert!(e.contains(expected), "expected {expected:?} in {e:?} for:\n{doc}");
        }
    }

    #[test]
    fn no_message_contains_a_secret() {
        // Secrets from the file, the environment and value files, each next to a mistake.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secret.txt"), SECRET).unwrap();
        for bad in [
            format!("password: \"{SECRET}\"\ncategory: NOPE"),
            format!("password: \"{SECRET}\"\nfields: [{{label: f, type: DATE, value: \"{SECRET}\"}}]"),
            format!("password: \"{SECRET}\"\nfields: [{{label: f, value: \"{SECRET}${{env:MISSING}}\"}}]"),
            "password: {env: SECRET_VAR}\nfields: [{label: f, value: x}, {label: f, value: y}]".into(),
            "password: {file: secret.txt}\nurls: [{href: x, primary: true}, {href: y, primary: true}]".into(),
            "fields: [{label: f, type: MONTH_YEAR, value: {file: secret.txt}}]".into(),
            "fields: [{label: f, type: OTP, value: {env: SECRET_VAR}}]".into(),
            format!("fields: [{{label: f, value: \"{SECRET}\"}}]\nfiles: [{{path: missing}}]"),
            format!("fields: [{{label: f, value: \"{SECRET}\"}}]\nsections: 3"),
        ] {
            let e = err_in(&item_doc(&format!("title: t\n{bad}")), dir.path(), &secret_env);
            assert!(!e.contains(SECRET), "{e}");
            assert!(!e.contains("3cr3t"), "{e}");
        }
    }

    #[test]
    fn redaction_is_a_second_line_of_defence() {
        let message = format!("bad value {SECRET} in field");
        assert_eq!(
            redact(message, &[SECRET.to_string(), "ab".into()]),
            "bad value <redacted> in field"
        );
        assert_eq!(redact("a field".into(), &["a".into()]), "a field");
    }

    // ----- parse_file -----

    #[test]
    fn parse_file_reads_relative_paths_and_picks_the_format() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("note.txt"), "from file\n").unwrap();
        let yaml =
            "vaults:\n  - name: V\n    items:\n      - {title: t, notes: {file: note.txt}}\n";
        let json = r#"{"vaults": [{"name": "V", "items": [{"title": "t", "notes": {"file": "note.txt"}}]}]}"#;
        let mut results = Vec::new();
        for (name, text) in [
            ("seed.yaml", yaml),
            ("seed.YML", yaml),
            ("seed.json", json),
            ("seed.conf", json),
            ("seed", yaml),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let snapshot = parse_file(&path, &KEY).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(value(only_item(&snapshot), "notesPlain"), "from file");
            results.push(snapshot);
        }
        assert!(results.windows(2).all(|w| w[0] == w[1]));

        std::fs::write(dir.path().join("broken.yaml"), "vaults: [").unwrap();
        match parse_file(&dir.path().join("broken.yaml"), &KEY) {
            Err(SourceError::Invalid(e)) => {
                assert!(
                    e.starts_with(&dir.path().join("broken.yaml").display().to_string()),
                    "{e}"
                );
                assert!(e.contains("invalid YAML") && e.contains("line 2"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        std::fs::write(dir.path().join("broken.json"), "vaults: []").unwrap();
        assert!(matches!(
            parse_file(&dir.path().join("broken.json"), &KEY),
            Err(SourceError::Invalid(e)) if e.contains("invalid JSON")
        ));
    }

    #[test]
    fn parse_file_missing_is_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.yaml");
        match parse_file(&path, &KEY) {
            Err(SourceError::Unavailable(e)) => {
                assert!(
                    e.contains("absent.yaml") && e.contains("cannot read"),
                    "{e}"
                );
            }
            other => panic!("{other:?}"),
        }
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert!(matches!(
            parse_file(&path, &KEY),
            Err(SourceError::Invalid(_))
        ));
    }

    #[test]
    fn format_from_path() {
        assert_eq!(
            SeedFormat::from_path(Path::new("a.yml")),
            Some(SeedFormat::Yaml)
        );
        assert_eq!(
            SeedFormat::from_path(Path::new("a/b.YAML")),
            Some(SeedFormat::Yaml)
        );
        assert_eq!(
            SeedFormat::from_path(Path::new("a.json")),
            Some(SeedFormat::Json)
        );
        assert_eq!(SeedFormat::from_path(Path::new("a.txt")), None);
        assert_eq!(SeedFormat::from_path(Path::new("json")), None);
    }

    // ----- the shipped example, schema and documentation -----

    #[test]
    fn example_parses_and_uses_every_category_and_field_type() {
        let snapshot = parse(
            &example_text(),
            SeedFormat::Yaml,
            &example_dir(),
            &example_env,
            &KEY,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let vault_types: Vec<_> = snapshot.vaults.iter().map(|v| v.vault.vault_type).collect();
        for t in VaultType::ALL {
            assert!(vault_types.contains(t), "no {t} vault");
        }
        let items: Vec<&SourceItem> = snapshot.vaults.iter().flat_map(|v| &v.items).collect();
        for category in Category::ALL {
            assert!(
                items.iter().any(|i| i.category == *category),
                "no {category} item"
            );
        }
        let fields: Vec<&StoredField> = items.iter().flat_map(|i| &i.data.body.fields).collect();
        for field_type in FieldType::ALL {
            assert!(
                fields.iter().any(|f| f.field_type == *field_type),
                "no {field_type} field"
            );
        }
        let postgres = items
            .iter()
            .find(|i| i.data.summary.title == "Postgres")
            .unwrap();
        assert_eq!(value(postgres, "password"), "example-db-password");
        assert_eq!(value(postgres, "port"), "5432");
        assert_eq!(postgres.files[0].name, "ca.pem");
        assert_eq!(postgres.files[0].section.as_deref(), Some("conn"));
        assert!(String::from_utf8_lossy(&postgres.files[0].content).contains("BEGIN CERTIFICATE"));
        let stripe = items
            .iter()
            .find(|i| i.data.summary.title == "Stripe API")
            .unwrap();
        assert_eq!(
            value(stripe, "credential"),
            "example-api-token-0123456789abcdef"
        );
        assert!(items.iter().any(|i| i.state.as_deref() == Some("ARCHIVED")));
        assert!(fields.iter().any(|f| f.field_type == FieldType::Otp));
        assert!(
            fields.iter().any(|f| f.entropy.is_some()),
            "a generated field"
        );
        let scan = items
            .iter()
            .flat_map(|i| &i.files)
            .find(|f| f.name == "scan.png")
            .unwrap();
        assert!(scan.content.starts_with(b"\x89PNG"));
        let card = items
            .iter()
            .flat_map(|i| &i.files)
            .find(|f| f.name == "card.png")
            .unwrap();
        assert_eq!(card.content, scan.content);
        let runbook = items
            .iter()
            .find(|i| i.data.summary.title == "Database runbook")
            .unwrap();
        assert!(value(runbook, "notesPlain").contains("${DB_HOST}"));
    }

    #[test]
    fn docs_contain_the_complete_example() {
        let docs = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/seed-format.md"),
        )
        .unwrap();
        assert!(
            docs.contains(&format!("```yaml\n{}```", example_text())),
            "docs/seed-format.md must embed examples/seed.yaml verbatim"
        );
    }

    fn schema() -> Value {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("seed.schema.json"))
                .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// A small JSON Schema (draft 2020-12) checker for the keywords `seed.schema.json` uses. It
    /// refuses keywords it does not know, so that the schema cannot grow a rule this test ignores.
    fn check(root: &Value, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
        let Value::Object(rules) = schema else {
            if schema == &Value::Bool(false) {
                errors.push(format!("{path}: not allowed"));
            }
            return;
        };
        let valid = |s: &Value, v: &Value| {
            let mut e = Vec::new();
            check(root, s, v, path, &mut e);
            e.is_empty()
        };
        for (keyword, rule) in rules {
            match keyword.as_str() {
                "$schema" | "title" | "description" | "default" | "$defs" => {}
                "$ref" => {
                    let name = rule.as_str().unwrap().strip_prefix("#/$defs/").unwrap();
                    let target = &root["$defs"][name];
                    assert!(!target.is_null(), "dangling $ref {name}");
                    let mut e = Vec::new();
                    check(root, target, value, path, &mut e);
                    errors.extend(e);
                    continue;
                }
                "type" => {
                    let types: Vec<&str> = match rule {
                        Value::String(t) => vec![t.as_str()],
                        Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
                        _ => panic!("bad type"),
                    };
                    let matches = types.iter().any(|t| match *t {
                        "string" => value.is_string(),
                        "number" => value.is_number(),
                        "integer" => value.is_i64() || value.is_u64(),
                        "boolean" => value.is_boolean(),
                        "null" => value.is_null(),
                        "array" => value.is_array(),
                        "object" => value.is_object(),
                        other => panic!("unknown type {other}"),
                    });
                    if !matches {
                        push(errors, path, format!("expected {types:?}, got {value}"));
                    }
                }
                "enum" => {
                    if !rule.as_array().unwrap().contains(value) {
                        push(errors, path, format!("{value} not in {rule}"));
                    }
                }
                "const" => {
                    if rule != value {
                        push(errors, path, format!("{value} is not {rule}"));
                    }
                }
                "minLength" | "maxLength" => {
                    if let Some(s) = value.as_str() {
                        let n = s.chars().count() as u64;
                        let limit = rule.as_u64().unwrap();
                        if (keyword == "minLength" && n < limit)
                            || (keyword == "maxLength" && n > limit)
                        {
                            push(errors, path, format!("{keyword} {limit}"));
                        }
                    }
                }
                "minimum" | "maximum" => {
                    if let Some(n) = value.as_f64() {
                        let limit = rule.as_f64().unwrap();
                        if (keyword == "minimum" && n < limit)
                            || (keyword == "maximum" && n > limit)
                        {
                            push(errors, path, format!("{keyword} {limit}"));
                        }
                    }
                }
                "pattern" => {
                    if let Some(s) = value.as_str() {
                        let ok = match rule.as_str().unwrap() {
                            "^([a-z0-9]{26})?$" => s.is_empty() || ids::is_valid_id(s),
                            "^[A-Za-z_][A-Za-z0-9_]*$" => check_env_name(s, "").is_ok(),
                            other => panic!("unsupported pattern {other}"),
                        };
                        if !ok {
                            push(errors, path, format!("{s:?} does not match {rule}"));
                        }
                    }
                }
                "required" => {
                    if let Some(object) = value.as_object() {
                        for key in rule.as_array().unwrap() {
                            if !object.contains_key(key.as_str().unwrap()) {
                                push(errors, path, format!("missing {key}"));
                            }
                        }
                    }
                }
                "properties" => {
                    if let Some(object) = value.as_object() {
                        for (key, sub) in rule.as_object().unwrap() {
                            if let Some(v) = object.get(key) {
                                check(root, sub, v, &format!("{path}.{key}"), errors);
                            }
                        }
                    }
                }
                "patternProperties" => {
                    let patterns: Vec<_> = rule.as_object().unwrap().keys().collect();
                    assert_eq!(patterns, ["^x-"], "only ^x- is supported");
                }
                "additionalProperties" => {
                    assert_eq!(rule, &Value::Bool(false));
                    if let Some(object) = value.as_object() {
                        let known = rules["properties"].as_object().unwrap();
                        for key in object.keys() {
                            if !known.contains_key(key) && !key.starts_with("x-") {
                                errors.push(format!("{path}: unknown key {key}"));
                            }
                        }
                    }
                }
                "items" => {
                    if let Some(items) = value.as_array() {
                        for (i, item) in items.iter().enumerate() {
                            check(root, rule, item, &format!("{path}[{i}]"), errors);
                        }
                    }
                }
                "oneOf" => {
                    let n = rule
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|s| valid(s, value))
                        .count();
                    if n != 1 {
                        push(errors, path, format!("matches {n} of oneOf"));
                    }
                }
                "anyOf" => {
                    if !rule.as_array().unwrap().iter().any(|s| valid(s, value)) {
                        push(errors, path, "matches nothing in anyOf");
                    }
                }
                "allOf" => {
                    for sub in rule.as_array().unwrap() {
                        check(root, sub, value, path, errors);
                    }
                    continue;
                }
                "not" => {
                    if valid(rule, value) {
                        push(errors, path, format!("matches not {rule}"));
                    }
                }
                "if" => {
                    if valid(rule, value) {
                        if let Some(then) = rules.get("then") {
                            check(root, then, value, path, errors);
                        }
                    }
                    continue;
                }
                "then" => {}
                other => panic!("the schema checker does not know {other:?}"),
            }
        }
    }

    fn push(errors: &mut Vec<String>, path: &str, what: impl std::fmt::Display) {
        errors.push(format!("{path}: {what}"));
    }

    fn schema_errors(value: &Value) -> Vec<String> {
        let schema = schema();
        let mut errors = Vec::new();
        check(&schema, &schema, value, "$", &mut errors);
        errors
    }

    #[test]
    fn example_validates_against_the_schema() {
        let example: Value = serde_norway::from_str(&example_text()).unwrap();
        let errors = schema_errors(&example);
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(
            schema()["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }

    #[test]
    fn schema_rejects_what_the_parser_rejects() {
        for bad in [
            "{}",
            "{vaults: [{items: []}]}",
            "{vaults: [{name: V, colour: red}]}",
            "{vaults: [{name: V, id: ABC}]}",
            "{vaults: [{name: V, type: SHARED}]}",
            "{vaults: [{name: V, items: [{category: LOGIN}]}]}",
            "{vaults: [{name: V, items: [{title: t, category: login}]}]}",
            "{vaults: [{name: V, items: [{title: t, favorite: yes}]}]}",
            "{vaults: [{name: V, items: [{title: t, fields: [{value: x}]}]}]}",
            "{vaults: [{name: V, items: [{title: t, fields: [{label: f, type: TOTP}]}]}]}",
            "{vaults: [{name: V, items: [{title: t, fields: [{label: f, value: x, generate: true}]}]}]}",
            "{vaults: [{name: V, items: [{title: t, fields: [{label: f, recipe: {length: 3}}]}]}]}",
            "{vaults: [{name: V, items: [{title: t, fields: [{label: f, generate: true, type: DATE}]}]}]}",
            "{vaults: [{name: V, items: [{title: t, fields: [{label: f, value: {path: a}}]}]}]}",
            "{vaults: [{name: V, items: [{title: t, password: {env: \"A B\"}}]}]}",
            "{vaults: [{name: V, items: [{title: t, password: {generate: true, recipe: {length: 65}}}]}]}",
            "{vaults: [{name: V, items: [{title: t, sections: [{label: S, fields: [{label: f, section: S}]}]}]}]}",
            "{vaults: [{name: V, items: [{title: t, sections: [{fields: []}]}]}]}",
            "{vaults: [{name: V, items: [{title: t, files: [{name: a}]}]}]}",
            "{vaults: [{name: V, items: [{title: t, files: [{name: a, content: x, base64: eA==}]}]}]}",
            "{vaults: [{name: V, items: [{title: t, files: [{content: x}]}]}]}",
            "{vaults: [{name: V, items: [{title: t, urls: [{label: x}]}]}]}",
            "{version: 2, vaults: []}",
        ] {
            let value: Value = serde_norway::from_str(bad).unwrap();
            assert!(!schema_errors(&value).is_empty(), "schema accepts {bad}");
            assert!(
                parse(bad, SeedFormat::Yaml, Path::new("."), &no_env, &KEY).is_err(),
                "parser accepts {bad}"
            );
        }
    }

    #[test]
    fn schema_keys_and_enums_match_the_parser() {
        let schema = schema();
        let keys = |v: &Value| -> Vec<String> {
            let mut keys: Vec<String> = v["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            keys.sort();
            keys
        };
        let sorted = |k: &[&str]| -> Vec<String> {
            let mut k: Vec<String> = k.iter().map(|s| s.to_string()).collect();
            k.sort();
            k
        };
        let defs = &schema["$defs"];
        assert_eq!(keys(&schema), sorted(ROOT_KEYS));
        for (def, parser_keys) in [
            (&defs["vault"], VAULT_KEYS),
            (&defs["item"], ITEM_KEYS),
            (&defs["url"]["oneOf"][1], URL_KEYS),
            (&defs["section"], SECTION_KEYS),
            (&defs["field"], FIELD_KEYS),
            (&defs["sectionField"], SECTION_FIELD_KEYS),
            (&defs["sectionRef"]["oneOf"][1], SECTION_REF_KEYS),
            (&defs["file"], FILE_KEYS),
            (&defs["recipe"], RECIPE_KEYS),
            (&defs["fileValue"], FILE_VALUE_KEYS),
            (&defs["envValue"], ENV_VALUE_KEYS),
            (&defs["generateValue"], GENERATE_VALUE_KEYS),
        ] {
            assert_eq!(keys(def), sorted(parser_keys), "{def}");
        }
        let names = |v: &Value| -> Vec<String> {
            v["enum"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        };
        let all = |names: Vec<String>| names;
        assert_eq!(
            names(&defs["category"]),
            all(Category::ALL.iter().map(ToString::to_string).collect())
        );
        assert_eq!(
            names(&defs["fieldType"]),
            all(FieldType::ALL.iter().map(ToString::to_string).collect())
        );
        assert_eq!(
            names(&defs["vault"]["properties"]["type"]),
            all(VaultType::ALL.iter().map(ToString::to_string).collect())
        );
        assert_eq!(
            names(&defs["purpose"]),
            all(Purpose::ALL.iter().map(ToString::to_string).collect())
        );
        assert_eq!(
            names(&defs["recipe"]["properties"]["characterSets"]["items"]),
            CHARACTER_SETS
                .iter()
                .map(|(n, _)| n.to_string())
                .collect::<Vec<_>>()
        );
        assert_eq!(
            defs["recipe"]["properties"]["length"]["maximum"],
            generator::MAX_LENGTH
        );
    }
}
