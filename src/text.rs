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

/// `"value…"`: the form filter error messages use. Only quotes, backslashes and control
/// characters are escaped, and the `…` of a cut stays inside the quotes; unlike [`quote`], other
/// text (combining marks, format characters) is shown as written.
pub fn quote_excerpt(input: &str, max_chars: usize) -> String {
    let mut out = String::from("\"");
    for c in clip(input, max_chars).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
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

    #[test]
    fn quote_excerpt_cuts_inside_the_quotes() {
        assert_eq!(quote_excerpt("a\"b\\\n", 10), "\"a\\\"b\\\\\\n\"");
        assert_eq!(quote_excerpt("abcdef", 3), "\"abc…\"");
        assert_eq!(quote_excerpt("\u{1b}[31m", 10), "\"\\u{1b}[31m\"");
    }
}
