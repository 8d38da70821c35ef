//! `op inject` templates (developer.1password.com/docs/cli/secrets-template-syntax): references
//! enclosed in `{{ … }}` (spaces inside the braces allowed, and — as in env files — names with
//! spaces or quotes, and `$VARIABLES`) and bare references. Every other byte is copied as it is.
//!
//! A bare reference starts at `op://` not preceded by a letter, digit, `-`, `+`, `\` or `.`, and
//! runs to the first byte that is not a letter, digit, `-`, `_`, `.`, `/`, `?`, `=` or `&`; one
//! that does not parse then (`op://docs`) is left as it is. An enclosed one that does not parse
//! is an error.

use super::reference::Reference;
use super::{Error, Resolver};

/// A reference found in a template: the byte range it replaces and what it points at.
#[derive(Debug, Clone)]
pub struct Placeholder {
    pub start: usize,
    pub end: usize,
    pub reference: Reference,
}

const SCHEME: &[u8] = b"op://";

fn is_bare_reference_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_./?=&".contains(&b)
}

fn blocks_bare_start(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-+\\.".contains(&b)
}

/// Every reference in `template`, in order; an enclosed one that does not parse is an error.
pub fn scan(template: &[u8]) -> Result<Vec<Placeholder>, Error> {
    scan_with(template, &|_| None)
}

/// [`scan`], with `$NAME` and `${NAME}` in enclosed references taken from `vars` (`op inject`
/// reads them from the environment: `{{ op://$APP_ENV/db/password }}`).
pub fn scan_with(
    template: &[u8],
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Placeholder>, Error> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = find(&template[from..], SCHEME) {
        let at = from + offset;
        if let Some(placeholder) = enclosed(template, at, vars)? {
            from = placeholder.end;
            found.push(placeholder);
            continue;
        }
        if at > 0 && blocks_bare_start(template[at - 1]) {
            from = at + SCHEME.len();
            continue;
        }
        let path = at + SCHEME.len();
        let end = template[path..]
            .iter()
            .position(|&b| !is_bare_reference_byte(b))
            .map_or(template.len(), |n| path + n);
        // Only ASCII bytes were taken, so this is valid UTF-8. Text that does not parse (a URL
        // cut at a space, `op://` in prose) is no bare reference and stays as it is.
        let text = String::from_utf8_lossy(&template[at..end]);
        if let Ok(reference) = Reference::parse(&text) {
            found.push(Placeholder {
                start: at,
                end,
                reference,
            });
        }
        from = end.max(at + SCHEME.len());
    }
    Ok(found)
}

/// `{{ op://… }}` around the reference starting at `at`, on one line.
fn enclosed(
    template: &[u8],
    at: usize,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Placeholder>, Error> {
    let before = &template[..at];
    let Some(open) = before
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .filter(|&i| i >= 1 && before[i - 1] == b'{' && before[i] == b'{')
        .map(|i| i - 1)
    else {
        return Ok(None);
    };
    let line_end = template[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(template.len(), |n| at + n);
    let Some(close) = find(&template[at..line_end], b"}}").map(|n| at + n) else {
        return Ok(None);
    };
    let inner = std::str::from_utf8(&template[at..close]).map_err(|_| Error::Syntax {
        reference: crate::text::quote(&String::from_utf8_lossy(&template[at..close]), 200),
        reason: "a reference is UTF-8 text".into(),
    })?;
    let expanded = super::vars::expand(inner, vars).map_err(|reason| Error::Syntax {
        reference: crate::text::quote(inner.trim(), 200),
        reason,
    })?;
    Ok(Some(Placeholder {
        start: open,
        end: close + 2,
        reference: Reference::parse(&expanded)?,
    }))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `template` with every reference replaced by its value; nothing is returned (so nothing gets
/// written) when any reference fails.
pub async fn inject(resolver: &Resolver, template: &[u8]) -> Result<Vec<u8>, Error> {
    let placeholders = scan(template)?;
    let references: Vec<Reference> = placeholders.iter().map(|p| p.reference.clone()).collect();
    let values = resolver.resolve_parsed(&references).await?;
    Ok(render(template, &placeholders, &values))
}

/// Splices `values` (one per placeholder) into `template`.
pub fn render(template: &[u8], placeholders: &[Placeholder], values: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(template.len());
    let mut copied = 0;
    for (placeholder, value) in placeholders.iter().zip(values) {
        out.extend_from_slice(&template[copied..placeholder.start]);
        out.extend_from_slice(value);
        copied = placeholder.end;
    }
    out.extend_from_slice(&template[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(template: &str) -> Vec<(String, String)> {
        scan(template.as_bytes())
            .unwrap()
            .into_iter()
            .map(|p| {
                let text = template[p.start..p.end].to_string();
                (text, p.reference.to_string())
            })
            .collect()
    }

    #[test]
    fn enclosed_and_bare_references() {
        let found =
            spans("a: {{ op://v/i/f }}\nb: {{op://v/my item/f}}\nc: op://v/i/g?attribute=otp, d");
        assert_eq!(
            found,
            [
                ("{{ op://v/i/f }}".into(), "op://v/i/f".into()),
                ("{{op://v/my item/f}}".into(), "op://v/my item/f".into()),
                (
                    "op://v/i/g?attribute=otp".into(),
                    "op://v/i/g?attribute=otp".into()
                ),
            ]
        );
    }

    #[test]
    fn bare_references_need_a_clean_start() {
        assert!(spans("x-op://v/i/f aop://v/i/f .op://v/i/f \\op://v/i/f").is_empty());
        assert!(spans("see op://docs or op://a b/c/d").is_empty());
        let found = spans("url=\"op://v/i/f\" (op://v/i/s/f)");
        assert_eq!(found[0].1, "op://v/i/f");
        assert_eq!(found[1].1, "op://v/i/s/f");
    }

    #[test]
    fn render_keeps_every_other_byte() {
        let template = b"\xff\x00 {{ op://v/i/f }} \r\n tail op://v/i/g";
        let placeholders = scan(template).unwrap();
        let out = render(template, &placeholders, &[b"ONE".to_vec(), b"TWO".to_vec()]);
        assert_eq!(out, b"\xff\x00 ONE \r\n tail TWO");
    }

    #[test]
    fn variables_in_enclosed_references() {
        let vars = |name: &str| (name == "APP_ENV").then(|| "prod".to_string());
        let found = scan_with(
            b"{{ op://$APP_ENV/db/password }} {{ op://${APP_ENV}/x/y }}",
            &vars,
        );
        let found: Vec<String> = found
            .unwrap()
            .iter()
            .map(|p| p.reference.to_string())
            .collect();
        assert_eq!(found, ["op://prod/db/password", "op://prod/x/y"]);
        let err = scan(b"{{ op://$APP_ENV/db/password }}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("APP_ENV is not set"), "{err}");
    }

    #[test]
    fn a_broken_enclosed_reference_is_an_error() {
        let err = scan(b"{{ op://v/i }}").unwrap_err().to_string();
        assert!(
            err.contains("expected op://vault/item/[section/]field"),
            "{err}"
        );
    }
}
