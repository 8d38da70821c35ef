//! Where the `connect` source sends its requests: always the configured server, with the path
//! built from validated ids segment by segment, never by pasting text the upstream sent after the
//! base URL (a `content_path` of `@otherhost/x` or `:PORT/x` would otherwise carry the token to
//! another host or port).

use reqwest::Url;

use crate::ids::is_valid_id;

/// Parses the configured source URL: http or https, a host, no user name or password (the token
/// is the credential), no query or fragment. A path (a server behind a prefix) is kept. Messages
/// do not repeat the URL, which might hold a password.
pub(super) fn base_url(url: &str) -> anyhow::Result<Url> {
    let bad = |why: &str| anyhow::anyhow!("the connect source URL {why}");
    let parsed = Url::parse(url).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("must start with http:// or https://"));
    }
    if parsed.host().is_none() || parsed.cannot_be_a_base() {
        return Err(bad("has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad(
            "must not hold a user name or password; the token authenticates",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    Ok(parsed)
}

/// `base` with `segments` appended as path segments (each one percent-encoded, so none can add
/// a `/`, `..`, `@` or `:` that changes where the request goes).
pub(super) fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// The path Connect gives a file's content, and the only `content_path` latchkey follows.
pub(super) fn content_path(vault_id: &str, item_id: &str, file_id: &str) -> String {
    format!("/v1/vaults/{vault_id}/items/{item_id}/files/{file_id}/content")
}

/// The URL of a file's content on the configured server, when the upstream's `content_path` is
/// exactly this file's path; otherwise why it is refused (without repeating what was sent).
pub(super) fn file_url(
    base: &Url,
    vault_id: &str,
    item_id: &str,
    file_id: &str,
    given: &str,
) -> Result<Url, String> {
    if !(is_valid_id(vault_id) && is_valid_id(item_id)) {
        return Err(format!(
            "item {} has a malformed id",
            crate::text::quote(item_id, 40)
        ));
    }
    if !is_valid_id(file_id) {
        return Err(format!("a file of item {item_id} has a malformed id"));
    }
    if given != content_path(vault_id, item_id, file_id) {
        return Err(format!(
            "file {file_id} of item {item_id} has a content_path other than {}; latchkey fetches \
             file contents only from that path on the configured server",
            content_path(vault_id, item_id, file_id)
        ));
    }
    Ok(endpoint(
        base,
        &[
            "v1", "vaults", vault_id, "items", item_id, "files", file_id, "content",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
    const I: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbb";
    const F: &str = "cccccccccccccccccccccccccc";

    #[test]
    fn endpoints_keep_the_base_and_its_prefix() {
        let base = base_url("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            endpoint(&base, &["v1", "vaults"]).as_str(),
            "http://127.0.0.1:8080/v1/vaults"
        );
        let prefixed = base_url("https://example.com/connect/").unwrap();
        assert_eq!(
            endpoint(&prefixed, &["v1", "vaults"]).as_str(),
            "https://example.com/connect/v1/vaults"
        );
        // A segment cannot climb out or name another host.
        let url = endpoint(&base, &["v1", "../../@evil:1/x"]);
        assert_eq!(url.host_str(), Some("127.0.0.1"));
        assert_eq!(url.port(), Some(8080));
        assert!(url.path().starts_with("/v1/"), "{url}");
    }

    #[test]
    fn only_the_files_own_content_path_is_followed() {
        let base = base_url("http://127.0.0.1:8080").unwrap();
        let good = content_path(V, I, F);
        let url = file_url(&base, V, I, F, &good).unwrap();
        assert_eq!(url.as_str(), format!("http://127.0.0.1:8080{good}"));
        for crafted in [
            "@127.0.0.1:9999/x".to_string(),
            ":9999/x".to_string(),
            "//evil.example/x".to_string(),
            format!("http://evil.example{good}"),
            format!("{good}/../../x"),
            format!("{good}?x=1"),
            content_path(V, I, "dddddddddddddddddddddddddd"),
            content_path(V, "dddddddddddddddddddddddddd", F),
            String::new(),
        ] {
            let err = file_url(&base, V, I, F, &crafted).unwrap_err();
            assert!(err.contains("content_path"), "{crafted}: {err}");
            assert!(!err.contains("evil") && !err.contains("9999"), "{err}");
        }
        assert!(file_url(&base, V, I, "../x", &good).is_err());
        assert!(file_url(&base, V, "@evil", F, &good).is_err());
    }

    #[test]
    fn source_urls_are_checked() {
        for bad in [
            "ftp://example.com",
            "example.com",
            "http://user:pw@example.com",
            "http://example.com/?q=1",
            "http://example.com/#f",
            "",
        ] {
            assert!(base_url(bad).is_err(), "{bad}");
        }
        assert!(base_url("https://connect.example.com:8443/").is_ok());
    }
}
