//! The document tree of a seed file, the same for YAML and JSON, and the typed accessors that read
//! a mapping's keys with messages naming where they are.

use crate::text::quote;

/// A parsed document, the same for YAML and JSON. Numbers keep their display form because a number
/// in a text position (`port: 5432`) becomes that text.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    Null,
    Bool(bool),
    Number { text: String, int: Option<i64> },
    Text(String),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    pub(super) fn kind(&self) -> &'static str {
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
    pub(super) fn scalar_text(&self) -> Option<String> {
        match self {
            Node::Text(s) => Some(s.clone()),
            Node::Number { text, .. } => Some(text.clone()),
            Node::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub(super) fn from_json(value: serde_json::Value) -> Node {
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

    /// Feeds the node to `hash`, unambiguously (a tag and a length before each part).
    pub(super) fn hash_into(&self, hash: &mut sha2::Sha256) {
        use sha2::Digest;
        let mut text = |tag: u8, s: &str| {
            hash.update([tag]);
            hash.update((s.len() as u64).to_le_bytes());
            hash.update(s.as_bytes());
        };
        match self {
            Node::Null => text(b'0', ""),
            Node::Bool(b) => text(b'b', if *b { "t" } else { "f" }),
            Node::Number { text: n, .. } => text(b'#', n),
            Node::Text(s) => text(b's', s),
            Node::List(items) => {
                text(b'[', &items.len().to_string());
                items.iter().for_each(|n| n.hash_into(hash));
            }
            Node::Map(entries) => {
                text(b'{', &entries.len().to_string());
                for (key, value) in entries {
                    hash.update([b'k']);
                    hash.update((key.len() as u64).to_le_bytes());
                    hash.update(key.as_bytes());
                    value.hash_into(hash);
                }
            }
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
                    quote(&tagged.tag.to_string(), 60)
                ));
            }
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Syntax {
    Yaml,
    Json,
    /// JSON if it parses as JSON, else YAML.
    Guess,
}

pub(super) fn read_document(text: &str, syntax: Syntax) -> Result<Node, String> {
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

/// One value of a JSON document, already known to be well-formed JSON.
pub(super) fn json_node(raw: &str) -> Result<Node, String> {
    serde_json::from_str::<serde_json::Value>(raw)
        .map(Node::from_json)
        .map_err(|e| format!("invalid JSON: {e}"))
}

pub(super) type Entries = [(String, Node)];

/// Checks that `node` is a mapping whose keys are all in `allowed` (or start with `x-`).
pub(super) fn mapping<'n>(
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
                quote(key, 60),
                allowed.join(", ")
            ));
        }
    }
    Ok(entries)
}

/// The value of `key`; `null` counts as absent.
pub(super) fn get<'n>(entries: &'n Entries, key: &str) -> Option<&'n Node> {
    entries
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .filter(|v| !matches!(v, Node::Null))
}

pub(super) fn text(entries: &Entries, key: &str, at: &str) -> Result<Option<String>, String> {
    match get(entries, key) {
        None => Ok(None),
        Some(node) => node
            .scalar_text()
            .map(Some)
            .ok_or_else(|| format!("{at}: `{key}` must be text, not {}", node.kind())),
    }
}

/// Like [`text`], with `""` as absent.
pub(super) fn non_empty_text(
    entries: &Entries,
    key: &str,
    at: &str,
) -> Result<Option<String>, String> {
    Ok(text(entries, key, at)?.filter(|s| !s.is_empty()))
}

pub(super) fn flag(entries: &Entries, key: &str, at: &str) -> Result<Option<bool>, String> {
    match get(entries, key) {
        None => Ok(None),
        Some(Node::Bool(b)) => Ok(Some(*b)),
        Some(node) => Err(format!(
            "{at}: `{key}` must be true or false, not {}",
            node.kind()
        )),
    }
}

pub(super) fn list<'n>(entries: &'n Entries, key: &str, at: &str) -> Result<&'n [Node], String> {
    match get(entries, key) {
        None => Ok(&[]),
        Some(Node::List(items)) => Ok(items),
        Some(node) => Err(format!("{at}: `{key}` must be a list, not {}", node.kind())),
    }
}
