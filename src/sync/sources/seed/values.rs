//! A field's value: text with `${env:…}` interpolated, a number or boolean in its text form, an
//! `{env: …}` or `{file: …}` mapping, or a generated value (see `generate`).

use crate::model::FieldType;
use crate::sync::sources::regular_file::{read_regular, ReadError};
use crate::text::quote;

use super::checks::check_env_name;
use super::document::{flag, get, mapping, non_empty_text, text, Entries, Node};
use super::keys::{ENV_VALUE_KEYS, FILE_VALUE_KEYS, GENERATE_VALUE_KEYS};
use super::walk::{Ctx, Scope};

/// The field a value belongs to.
pub(super) struct Target<'s> {
    pub(super) scope: &'s Scope<'s>,
    pub(super) field_id: &'s str,
    pub(super) field_type: FieldType,
    /// The field, for messages.
    pub(super) at: &'s str,
}

impl Ctx<'_> {
    /// Resolves a field's value: `(value, entropy of a generated value)`.
    pub(super) fn value(
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
            self.external.set(true);
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

    /// A value file: a regular file of UTF-8 text no longer than a field value may be (plus a
    /// trailing line break), read at most that far.
    fn read_value_file(&self, given: &str, at: &str) -> Result<String, String> {
        self.external.set(true);
        let path = self.base_dir.join(given);
        let max = self.limits.max_value_bytes;
        let cap = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(2);
        let bytes = read_regular(&path, cap).map_err(|e| match e {
            ReadError::TooLarge => format!(
                "{at}: the value file {} is too large (at most {max} bytes)",
                quote(given, 60)
            ),
            e => format!(
                "{at}: cannot read the value file {} ({}): {e}",
                quote(given, 60),
                path.display()
            ),
        })?;
        let mut value = String::from_utf8(bytes).map_err(|_| {
            format!(
                "{at}: the value file {} is not UTF-8 text (attach binary data under `files`)",
                quote(given, 60)
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
    pub(super) fn interpolate(
        &self,
        s: &str,
        at: &str,
        secrets: &mut Vec<String>,
    ) -> Result<String, String> {
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
        self.external.set(true);
        match ((self.env)(name), default) {
            (Some(value), Some(default)) if value.is_empty() => Ok(default.to_string()),
            (Some(value), _) => Ok(value),
            (None, Some(default)) => Ok(default.to_string()),
            (None, None) => Err(format!("{at}: environment variable {name} is not set")),
        }
    }
}
