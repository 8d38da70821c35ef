//! Variables in references, as `op inject` and `op run` take them: `op://$APP_ENV/db/password`
//! or `op://${APP_ENV}/db/password` picks the vault from the environment. An unset variable is an
//! error naming it (an empty vault name would only fail later, less clearly).

/// `text` with `$NAME` and `${NAME}` replaced through `lookup`; `$` before anything else stays.
pub fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            let end = braced
                .find('}')
                .ok_or_else(|| format!("{text:?}: ${{ without a closing }}"))?;
            (&braced[..end], end + 2)
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        let valid = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            out.push('$');
            rest = after;
            continue;
        }
        let value = lookup(name).ok_or_else(|| format!("variable {name} is not set"))?;
        out.push_str(&value);
        rest = &after[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "APP_ENV").then(|| "prod".to_string())
    }

    #[test]
    fn dollar_and_braced_names() {
        assert_eq!(
            expand("op://$APP_ENV/db/password", &env).unwrap(),
            "op://prod/db/password"
        );
        assert_eq!(
            expand("op://${APP_ENV}-x/db/f", &env).unwrap(),
            "op://prod-x/db/f"
        );
        assert_eq!(expand("op://v/i/f", &env).unwrap(), "op://v/i/f");
        assert_eq!(expand("a$ b$1 c$", &env).unwrap(), "a$ b$1 c$");
        assert!(expand("op://$NOPE/i/f", &env)
            .unwrap_err()
            .contains("NOPE is not set"));
        assert!(expand("op://${APP_ENV/i/f", &env)
            .unwrap_err()
            .contains("closing"));
    }
}
