//! Raw HTTP, outside the crate under test: where the crate cannot parse a response, these checks
//! prove that latchkey's JSON has the shape 1Password Connect's API reference documents (Vault,
//! Item and FullItem, Field, File, and the error body). Requests use the same
//! `?=&` query string the crate appends to every URL.

use serde_json::{Map, Value};

pub struct Raw {
    http: reqwest::Client,
    host: String,
}

/// One raw exchange: the HTTP status and the parsed JSON body (`Null` for an empty body).
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Raw {
    pub fn new(host: &str) -> Raw {
        Raw {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(15))
                .build()
                .expect("reqwest client"),
            host: host.trim_end_matches('/').to_string(),
        }
    }

    pub async fn send(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, String> {
        let url = format!("{}/{}?=&", self.host, path.trim_start_matches('/'));
        let mut req = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(token)
            .header("Accept", "application/json");
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| format!("{method} {url}: {e}"))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| format!("{method} {url}: body: {e}"))?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).map_err(|e| {
                format!("{method} {url}: {status} with a non-JSON body {text:?}: {e}")
            })?
        };
        Ok(Reply { status, body })
    }

    pub async fn get(&self, token: &str, path: &str) -> Result<Reply, String> {
        self.send(token, reqwest::Method::GET, path, None).await
    }

    /// GET that must answer 200; returns the body.
    pub async fn get_ok(&self, token: &str, path: &str) -> Result<Value, String> {
        let reply = self.get(token, path).await?;
        if reply.status != 200 {
            return Err(format!(
                "GET {path}: expected 200, got {} {}",
                reply.status, reply.body
            ));
        }
        Ok(reply.body)
    }

    pub async fn delete_ok(&self, token: &str, path: &str) -> Result<(), String> {
        let reply = self
            .send(token, reqwest::Method::DELETE, path, None)
            .await?;
        if reply.status != 204 {
            return Err(format!(
                "DELETE {path}: expected 204, got {} {}",
                reply.status, reply.body
            ));
        }
        Ok(())
    }

    pub async fn post_ok(&self, token: &str, path: &str, body: &Value) -> Result<Value, String> {
        let reply = self
            .send(token, reqwest::Method::POST, path, Some(body))
            .await?;
        if reply.status != 200 {
            return Err(format!(
                "POST {path}: expected 200, got {} {}",
                reply.status, reply.body
            ));
        }
        Ok(reply.body)
    }
}

// ---------------------------------------------------------------------------------------------
// Shape checks. Each returns Err with the JSON path of the first mismatch.

type Check = Result<(), String>;

fn obj<'a>(v: &'a Value, at: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{at}: expected an object, got {v}"))
}

fn string<'a>(o: &'a Map<String, Value>, key: &str, at: &str) -> Result<&'a str, String> {
    match o.get(key) {
        Some(Value::String(s)) => Ok(s),
        other => Err(format!("{at}.{key}: expected a string, got {other:?}")),
    }
}

fn opt_string(o: &Map<String, Value>, key: &str, at: &str) -> Check {
    match o.get(key) {
        None | Some(Value::String(_)) => Ok(()),
        other => Err(format!(
            "{at}.{key}: expected a string when present, got {other:?}"
        )),
    }
}

fn int(o: &Map<String, Value>, key: &str, at: &str, min: i64) -> Check {
    match o.get(key).and_then(Value::as_i64) {
        Some(n) if n >= min => Ok(()),
        _ => Err(format!(
            "{at}.{key}: expected an integer >= {min}, got {:?}",
            o.get(key)
        )),
    }
}

fn opt_bool(o: &Map<String, Value>, key: &str, at: &str) -> Check {
    match o.get(key) {
        None | Some(Value::Bool(_)) => Ok(()),
        other => Err(format!(
            "{at}.{key}: expected a boolean when present, got {other:?}"
        )),
    }
}

fn opt_array<'a>(o: &'a Map<String, Value>, key: &str, at: &str) -> Result<&'a [Value], String> {
    match o.get(key) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        other => Err(format!(
            "{at}.{key}: expected an array when present, got {other:?}"
        )),
    }
}

/// `^[a-z0-9]{26}$` (1Password Connect's API reference).
pub fn is_connect_id(s: &str) -> bool {
    s.len() == 26
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn id(o: &Map<String, Value>, key: &str, at: &str) -> Check {
    let s = string(o, key, at)?;
    if is_connect_id(s) {
        Ok(())
    } else {
        Err(format!(
            "{at}.{key}: {s:?} is not a 26-character Connect id"
        ))
    }
}

/// RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` (1Password Connect's API reference).
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !matches!(b[10], b'T' | b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

fn timestamp(o: &Map<String, Value>, key: &str, at: &str) -> Check {
    let s = string(o, key, at)?;
    if is_rfc3339(s) {
        Ok(())
    } else {
        Err(format!("{at}.{key}: {s:?} is not an RFC 3339 timestamp"))
    }
}

/// §4.1 Vault.
pub fn vault(v: &Value, at: &str) -> Check {
    let o = obj(v, at)?;
    id(o, "id", at)?;
    string(o, "name", at)?;
    opt_string(o, "description", at)?;
    int(o, "attributeVersion", at, 1)?;
    int(o, "contentVersion", at, 1)?;
    int(o, "items", at, 0)?;
    let kind = string(o, "type", at)?;
    if !["USER_CREATED", "PERSONAL", "EVERYONE", "TRANSFER"].contains(&kind) {
        return Err(format!(
            "{at}.type: {kind:?} is not one of USER_CREATED, PERSONAL, EVERYONE, TRANSFER"
        ));
    }
    timestamp(o, "createdAt", at)?;
    timestamp(o, "updatedAt", at)?;
    for snake in [
        "attribute_version",
        "content_version",
        "created_at",
        "updated_at",
    ] {
        if o.contains_key(snake) {
            return Err(format!(
                "{at}: has the snake_case key {snake:?}; Connect's are camelCase"
            ));
        }
    }
    Ok(())
}

/// §4.2 the fields every item (summary or full) has.
fn item_common(o: &Map<String, Value>, at: &str) -> Check {
    id(o, "id", at)?;
    string(o, "title", at)?;
    id(
        obj(
            o.get("vault").unwrap_or(&Value::Null),
            &format!("{at}.vault"),
        )?,
        "id",
        &format!("{at}.vault"),
    )?;
    string(o, "category", at)?;
    for (i, url) in opt_array(o, "urls", at)?.iter().enumerate() {
        let at = format!("{at}.urls[{i}]");
        let u = obj(url, &at)?;
        string(u, "href", &at)?;
        opt_bool(u, "primary", &at)?;
        opt_string(u, "label", &at)?;
        if u.contains_key("url") {
            return Err(format!("{at}: has a \"url\" key; Connect's is \"href\""));
        }
    }
    opt_bool(o, "favorite", at)?;
    for (i, tag) in opt_array(o, "tags", at)?.iter().enumerate() {
        if !tag.is_string() {
            return Err(format!("{at}.tags[{i}]: expected a string, got {tag}"));
        }
    }
    int(o, "version", at, 1)?;
    timestamp(o, "createdAt", at)?;
    timestamp(o, "updatedAt", at)?;
    opt_string(o, "lastEditedBy", at)?;
    Ok(())
}

/// §4.2 a list entry: an Item without sections, fields or files (§3.7).
pub fn summary(v: &Value, at: &str) -> Check {
    let o = obj(v, at)?;
    item_common(o, at)?;
    for key in ["sections", "fields", "files"] {
        if o.contains_key(key) {
            return Err(format!("{at}: a summary carries {key:?}"));
        }
    }
    Ok(())
}

/// §4.2 FullItem with §4.3 fields and §4.4 files. `sections` is optional (the schema requires only
/// `vault` and `category`); every field's `section.id` must name one of the item's sections.
pub fn full_item(v: &Value, at: &str) -> Check {
    let o = obj(v, at)?;
    item_common(o, at)?;
    let mut section_ids = Vec::new();
    for (i, s) in opt_array(o, "sections", at)?.iter().enumerate() {
        let at = format!("{at}.sections[{i}]");
        let s = obj(s, &at)?;
        section_ids.push(string(s, "id", &at)?.to_string());
        opt_string(s, "label", &at)?;
    }
    let fields = match o.get("fields") {
        Some(Value::Array(a)) => a,
        other => return Err(format!("{at}.fields: expected an array, got {other:?}")),
    };
    for (i, f) in fields.iter().enumerate() {
        let at = format!("{at}.fields[{i}]");
        let f = obj(f, &at)?;
        string(f, "id", &at)?;
        string(f, "type", &at)?;
        if let Some(p) = f.get("purpose") {
            if !["", "USERNAME", "PASSWORD", "NOTES"].contains(&p.as_str().unwrap_or("?")) {
                return Err(format!(
                    "{at}.purpose: {p} is not \"\", USERNAME, PASSWORD or NOTES"
                ));
            }
        }
        opt_string(f, "label", &at)?;
        opt_string(f, "value", &at)?;
        opt_string(f, "totp", &at)?;
        if let Some(section) = f.get("section") {
            let sid = string(
                obj(section, &format!("{at}.section"))?,
                "id",
                &format!("{at}.section"),
            )?;
            if !section_ids.iter().any(|s| s == sid) {
                return Err(format!(
                    "{at}.section.id: {sid:?} is not among the item's sections {section_ids:?}"
                ));
            }
        }
    }
    for (i, file) in opt_array(o, "files", at)?.iter().enumerate() {
        let at = format!("{at}.files[{i}]");
        let f = obj(file, &at)?;
        id(f, "id", &at)?;
        string(f, "name", &at)?;
        int(f, "size", &at, 0)?;
        let path = string(f, "content_path", &at)?;
        if !path.starts_with("/v1/vaults/") || !path.ends_with("/content") {
            return Err(format!("{at}.content_path: {path:?}"));
        }
    }
    Ok(())
}

/// §2.1 `{"status": <the HTTP code>, "message": "<text>"}`.
pub fn error(reply: &Reply, status: u16, message_contains: &str) -> Check {
    let o = obj(&reply.body, "error")?;
    if reply.status != status {
        return Err(format!(
            "expected HTTP {status}, got {} {}",
            reply.status, reply.body
        ));
    }
    if o.get("status").and_then(Value::as_u64) != Some(u64::from(status)) {
        return Err(format!(
            "error.status: expected {status}, got {:?}",
            o.get("status")
        ));
    }
    let message = string(o, "message", "error")?;
    if !message.contains(message_contains) {
        return Err(format!(
            "error.message {message:?} does not contain {message_contains:?}"
        ));
    }
    Ok(())
}

/// The field of `item` with this purpose.
pub fn field_with_purpose<'a>(item: &'a Value, purpose: &str) -> Option<&'a Map<String, Value>> {
    item.get("fields")?
        .as_array()?
        .iter()
        .filter_map(Value::as_object)
        .find(|f| f.get("purpose").and_then(Value::as_str) == Some(purpose))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert!(is_rfc3339("2026-11-23T19:55:53Z"));
        assert!(is_rfc3339("2026-11-23T19:55:53.123+01:00"));
        assert!(!is_rfc3339("2026-11-23 19:55:53"));
        assert!(!is_rfc3339("2026-11-23T19:55:53"));
        assert!(!is_rfc3339("1893456000"));
    }
}
