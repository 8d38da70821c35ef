//! Client text inside error messages: quoted or clipped, and always short, so a huge or hostile
//! value can neither bloat a response nor smuggle control characters into it.

/// `"value"` with control characters and quotes escaped, cut after `max_chars` with `…`.
pub fn quote(input: &str, max_chars: usize) -> String {
    let mut chars = input.chars();
    let head: String = chars.by_ref().take(max_chars).collect();
    if chars.next().is_some() {
        format!("{head:?}…")
    } else {
        format!("{head:?}")
    }
}

/// The first `max_chars` characters, with `…` when something was cut.
pub fn clip(input: &str, max_chars: usize) -> String {
    let mut chars = input.chars();
    let mut out: String = chars.by_ref().take(max_chars).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// The message of a serde_json error without the client's values in it: serde quotes offending
/// strings, and those may be secrets that must not reach logs or error bodies.
pub fn json_error_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let mut out = String::with_capacity(text.len());
    let mut in_quotes = false;
    for c in text.chars() {
        if c == '"' {
            if in_quotes {
                out.push_str("\"…\"");
            }
            in_quotes = !in_quotes;
        } else if !in_quotes {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_clips() {
        assert_eq!(quote("a\"b\n", 10), "\"a\\\"b\\n\"");
        assert_eq!(quote("abcdef", 3), "\"abc\"…");
        assert_eq!(clip("abcdef", 3), "abc…");
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("ééé", 2), "éé…");
    }
}
