//! Parsing `op://vault/item[/section]/field[?attribute=…&ssh-format=openssh]`, the secret
//! reference syntax 1Password documents (developer.1password.com/docs/cli/secret-reference-syntax).
//!
//! * Each of vault, item, section and field is a name or an id; names match case-insensitively.
//! * 1Password's names use letters, digits, `-`, `_`, `.` and spaces; a name holding anything
//!   else (a `/`, a `?`) is referred to by its id, or — latchkey's addition — written in double
//!   quotes, where `\"` and `\\` escape: `op://Prod/"a/b"/password`.
//! * The reference as a whole may be wrapped in one pair of single or double quotes, as env files
//!   and shells often leave it.
//! * Query: `attribute=` (`value`, `type`, `id`, `title`/`label`/`name`, `purpose`, `otp`/`totp`,
//!   `size`, `content`) and `ssh-format=openssh`; keys and values are case-insensitive.

use std::fmt;

use super::Error;

/// The scheme every reference starts with.
pub const SCHEME: &str = "op://";

/// What a reference asks of the field or file it points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attribute {
    /// The field's value or the file's content (the default; `content` is an alias).
    Value,
    /// The field's type as Connect reports it (`CONCEALED`, `OTP`…), `file` for a file.
    Type,
    Id,
    /// The field's label or the file's name (`title`, `label` and `name` are aliases).
    Label,
    /// The field's purpose (`USERNAME`, `PASSWORD`, `NOTES` or empty).
    Purpose,
    /// The current one-time password of an OTP field (`totp` is an alias).
    Otp,
    /// A file's size in bytes.
    Size,
}

impl Attribute {
    fn parse(value: &str) -> Option<Attribute> {
        Some(match value.to_ascii_lowercase().as_str() {
            "value" | "content" => Attribute::Value,
            "type" => Attribute::Type,
            "id" => Attribute::Id,
            "title" | "label" | "name" => Attribute::Label,
            "purpose" => Attribute::Purpose,
            "otp" | "totp" => Attribute::Otp,
            "size" => Attribute::Size,
            _ => return None,
        })
    }
}

/// The format `?ssh-format=` asks an SSH private key in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SshFormat {
    OpenSsh,
}

/// A parsed secret reference. Its `Display` is the reference as written (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    pub vault: String,
    pub item: String,
    pub section: Option<String>,
    pub field: String,
    pub attribute: Attribute,
    pub ssh_format: Option<SshFormat>,
    raw: String,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl std::str::FromStr for Reference {
    type Err = Error;
    fn from_str(s: &str) -> Result<Reference, Error> {
        Reference::parse(s)
    }
}

/// True when `value` (trimmed, unquoted) is a secret reference: `latchkey run` resolves exactly
/// the environment variables for which this holds.
pub fn is_reference(value: &str) -> bool {
    let value = unquote_whole(value.trim());
    value.len() >= SCHEME.len() && value[..SCHEME.len()].eq_ignore_ascii_case(SCHEME)
}

impl Reference {
    /// Parses one reference; the error says what is wrong with it.
    pub fn parse(input: &str) -> Result<Reference, Error> {
        let raw = unquote_whole(input.trim()).to_string();
        let bad = |reason: &str| Error::Syntax {
            reference: crate::text::quote(&raw, 200),
            reason: reason.to_string(),
        };
        if !is_reference(&raw) {
            return Err(bad("a secret reference starts with op://"));
        }
        let (segments, query) = split_path(&raw[SCHEME.len()..]).map_err(|r| bad(&r))?;
        let (vault, item, section, field) = match <[String; 3]>::try_from(segments.clone()) {
            Ok([vault, item, field]) => (vault, item, None, field),
            Err(_) => match <[String; 4]>::try_from(segments) {
                Ok([vault, item, section, field]) => (vault, item, Some(section), field),
                Err(_) => return Err(bad("expected op://vault/item/[section/]field")),
            },
        };
        let mut reference = Reference {
            vault,
            item,
            section,
            field,
            attribute: Attribute::Value,
            ssh_format: None,
            raw: raw.clone(),
        };
        if let Some(query) = query {
            reference.apply_query(&query).map_err(|r| bad(&r))?;
        }
        Ok(reference)
    }

    fn apply_query(&mut self, query: &str) -> Result<(), String> {
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key.trim().to_ascii_lowercase().as_str() {
                "attribute" | "attr" => {
                    self.attribute = Attribute::parse(value.trim()).ok_or_else(|| {
                        format!(
                            "unknown attribute {}; use value, type, id, title, purpose, otp or size",
                            crate::text::quote(value, 40)
                        )
                    })?;
                }
                "ssh-format" if value.trim().eq_ignore_ascii_case("openssh") => {
                    self.ssh_format = Some(SshFormat::OpenSsh);
                }
                "ssh-format" => {
                    return Err(format!(
                        "unknown ssh-format {}; the only format is openssh",
                        crate::text::quote(value, 40)
                    ))
                }
                _ => {
                    return Err(format!(
                        "unknown query parameter {}; use attribute= or ssh-format=",
                        crate::text::quote(key, 40)
                    ))
                }
            }
        }
        Ok(())
    }
}

/// Strips one pair of matching outer quotes (`"op://…"` or `'op://…'`).
fn unquote_whole(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            let inner = &value[1..value.len() - 1];
            if inner.starts_with("op://") || inner.starts_with("OP://") {
                return inner;
            }
        }
    }
    value
}

/// Splits `vault/item/…/field?query` into unquoted, trimmed segments and the query.
fn split_path(rest: &str) -> Result<(Vec<String>, Option<String>), String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = rest.chars();
    let mut query = None;
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => current.push(chars.next().ok_or("a quoted name ends in \\")?),
            '"' if quoted => quoted = false,
            '"' if current.trim().is_empty() && !was_quoted => {
                current.clear();
                quoted = true;
                was_quoted = true;
            }
            '/' if !quoted => {
                segments.push(finish_segment(&mut current, &mut was_quoted)?);
            }
            '?' if !quoted => {
                query = Some(chars.by_ref().collect());
            }
            c if c.is_control() => return Err("a reference holds no control characters".into()),
            c if was_quoted && !quoted && !c.is_whitespace() => {
                return Err("text after a closing quote; quote the whole name".into())
            }
            c => current.push(c),
        }
    }
    if quoted {
        return Err("a quoted name has no closing quote".into());
    }
    segments.push(finish_segment(&mut current, &mut was_quoted)?);
    Ok((segments, query))
}

fn finish_segment(current: &mut String, was_quoted: &mut bool) -> Result<String, String> {
    let segment = if *was_quoted {
        std::mem::take(current)
    } else {
        let trimmed = current.trim().to_string();
        current.clear();
        trimmed
    };
    *was_quoted = false;
    if segment.is_empty() {
        return Err("expected op://vault/item/[section/]field; a part is empty".into());
    }
    Ok(segment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Reference {
        Reference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn reason(s: &str) -> String {
        Reference::parse(s).expect_err(s).to_string()
    }

    #[test]
    fn three_and_four_parts() {
        let r = parse("op://dev/Stripe/publishable-key");
        assert_eq!((r.vault.as_str(), r.item.as_str()), ("dev", "Stripe"));
        assert_eq!((r.section, r.field.as_str()), (None, "publishable-key"));
        let r = parse("op://Management/PagerDuty/Admin/email");
        assert_eq!(r.section.as_deref(), Some("Admin"));
        assert_eq!(r.field, "email");
        assert_eq!(r.attribute, Attribute::Value);
        assert_eq!(r.to_string(), "op://Management/PagerDuty/Admin/email");
    }

    #[test]
    fn spaces_quotes_and_case() {
        let r = parse("\"op://app prod/db server/one-time password?attribute=OTP\"");
        assert_eq!(r.vault, "app prod");
        assert_eq!(r.item, "db server");
        assert_eq!(r.field, "one-time password");
        assert_eq!(r.attribute, Attribute::Otp);
        let r = parse("'OP://v/i/f'");
        assert_eq!(r.field, "f");
        let r = parse(r#"op://v/"a/b?c \"d\""/f"#);
        assert_eq!(r.item, "a/b?c \"d\"");
        assert_eq!(r.to_string(), r#"op://v/"a/b?c \"d\""/f"#);
    }

    #[test]
    fn every_attribute_and_ssh_format() {
        for (word, want) in [
            ("value", Attribute::Value),
            ("content", Attribute::Value),
            ("type", Attribute::Type),
            ("id", Attribute::Id),
            ("title", Attribute::Label),
            ("label", Attribute::Label),
            ("name", Attribute::Label),
            ("purpose", Attribute::Purpose),
            ("otp", Attribute::Otp),
            ("TOTP", Attribute::Otp),
            ("size", Attribute::Size),
        ] {
            assert_eq!(
                parse(&format!("op://v/i/f?attribute={word}")).attribute,
                want
            );
        }
        let r = parse("op://v/ssh/private key?ssh-format=OpenSSH");
        assert_eq!(r.ssh_format, Some(SshFormat::OpenSsh));
        assert_eq!(r.attribute, Attribute::Value);
    }

    #[test]
    fn malformed_references_say_why() {
        assert!(reason("http://v/i/f").contains("starts with op://"));
        assert!(reason("op://v/i").contains("expected op://vault/item/[section/]field"));
        assert!(reason("op://v/i/s/f/x").contains("expected"));
        assert!(reason("op://v//f").contains("empty"));
        assert!(reason("op://v/i/f?attribute=colour").contains("unknown attribute"));
        assert!(reason("op://v/i/f?ssh-format=pem").contains("openssh"));
        assert!(reason("op://v/i/f?mode=x").contains("unknown query parameter"));
        assert!(reason("op://v/\"i/f").contains("no closing quote"));
        assert!(reason("op://v/i\tx/f").contains("control"));
        assert!(is_reference(" op://v/i/f "));
        assert!(!is_reference("plain"));
    }
}
