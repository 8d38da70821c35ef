//! Contract replays: the request sequences of tools that cannot run here (Go programs, the Ansible
//! collection, the `op` CLI), sent the way each tool sends them, with assertions on exactly the
//! parts of each response the tool reads.
//!
//! Each tool has its own file. A request is written literally (method, path, query with `+` for
//! spaces, the tool's headers, its body) so that the encoding under test is visible in the source.
//! Each file's doc names the public source its sequence comes from (the tool's own code; for the
//! closed-source `op` CLI, a third-party mock's observations). README.md "Compatibility" shows the
//! results.
//!
//! What the harness reproduces of the wire: the request line (path and query bytes as sent,
//! including `//v1/…` from a host with a trailing slash), every header the tool sets (Go's
//! `Content-Type: application/json` on GET and DELETE, its B3 tracing headers and
//! `Accept-Encoding: gzip`; Ansible's `Accept: application/json` and `Connection: close`),
//! `Content-Length` on bodies, and the body bytes in the tool's own JSON style (Go's struct field
//! order and zero values; Python's `", "` / `": "` separators). Requests go through the real router
//! behind `normalize_path`, exactly as `latchkey` serves them.

mod ansible;
mod doco_cd;
mod external_secrets;
mod go_sdk;
mod op_cli;
mod operator;
mod terraform;
mod vault_plugin;

use axum::body::Body;
use axum::http::{Method, Request};
use http_body_util::BodyExt;
use latchkey::auth::ACL_READ_WRITE;
use latchkey::http::{self, AppState};
use latchkey::model::{build_item, BuildMode, Category, ItemInput, Limits, StoredFile};
use latchkey::store::NewFile;
use serde_json::Value;
use tower::ServiceExt;

use crate::helpers::{TestApp, TestResponse};

/// `connect-sdk-go`'s default agent (`connect-sdk-go/<SDKVersion>`), used by the operator too.
pub const GO_SDK_AGENT: &str = "connect-sdk-go/1.5.3";

/// Which client library builds the request: each sends its own fixed set of headers.
#[derive(Clone, Copy, Debug)]
enum Stack {
    /// Go `net/http` through connect-sdk-go's `buildRequest` (`connect/client.go`).
    GoSdk,
    /// Python `urllib` through Ansible's `fetch_url` (collection `api.py` `_build_headers`).
    Ansible,
    /// The `op` CLI (a closed-source Go binary; headers beyond the token are not known).
    OpCli,
}

/// One tool talking to latchkey: its token, its agent string and its header set.
#[derive(Clone)]
pub struct Tool {
    state: AppState,
    token: String,
    user_agent: String,
    stack: Stack,
    /// Prepended to every path: `"/"` reproduces a host configured with a trailing slash.
    host_suffix: &'static str,
}

impl Tool {
    /// A Go program on connect-sdk-go's `NewClient` (default agent).
    pub fn go_sdk(app: &TestApp, token: &str) -> Tool {
        Self::go_sdk_as(app, token, GO_SDK_AGENT)
    }

    /// A Go program on connect-sdk-go's `NewClientWithUserAgent(host, token, agent)`.
    pub fn go_sdk_as(app: &TestApp, token: &str, agent: &str) -> Tool {
        Tool {
            state: app.state.clone(),
            token: token.to_string(),
            user_agent: agent.to_string(),
            stack: Stack::GoSdk,
            host_suffix: "",
        }
    }

    /// The `onepassword.connect` 2.4.0 collection (`op-connect-ansible/<v> Python/<x> Ansible/<y>`).
    pub fn ansible(app: &TestApp, token: &str) -> Tool {
        Tool {
            state: app.state.clone(),
            token: token.to_string(),
            user_agent: "op-connect-ansible/2.4.0 Python/3.11.2 Ansible/2.15.13".into(),
            stack: Stack::Ansible,
            host_suffix: "",
        }
    }

    /// The `op` CLI in Connect mode (`OP_CONNECT_HOST`, `OP_CONNECT_TOKEN`). Its agent string is
    /// not known (closed source); the server must not depend on it.
    pub fn op_cli(app: &TestApp, token: &str) -> Tool {
        Tool {
            state: app.state.clone(),
            token: token.to_string(),
            user_agent: "op/2.39.0".into(),
            stack: Stack::OpCli,
            host_suffix: "",
        }
    }

    /// The same tool configured with `OP_CONNECT_HOST=http://host:8080/`: Go formats
    /// `host + "/v1/…"`, so every path starts with `//`.
    pub fn with_trailing_slash_host(mut self) -> Tool {
        self.host_suffix = "/";
        self
    }

    pub async fn get(&self, target: &str) -> TestResponse {
        self.send(Method::GET, target, None).await
    }

    pub async fn post(&self, target: &str, body: &str) -> TestResponse {
        self.send(Method::POST, target, Some(body)).await
    }

    pub async fn put(&self, target: &str, body: &str) -> TestResponse {
        self.send(Method::PUT, target, Some(body)).await
    }

    pub async fn delete(&self, target: &str) -> TestResponse {
        self.send(Method::DELETE, target, None).await
    }

    /// The headers the tool's HTTP stack puts on the wire, in the order it writes them.
    fn headers(&self, body: Option<&str>) -> Vec<(&'static str, String)> {
        let mut headers = vec![("host", "localhost:8080".to_string())];
        let bearer = format!("Bearer {}", self.token);
        match self.stack {
            Stack::GoSdk => {
                headers.push(("user-agent", self.user_agent.clone()));
                if let Some(body) = body {
                    headers.push(("content-length", body.len().to_string()));
                }
                headers.push(("authorization", bearer));
                // `buildRequest` sets JSON on every request, GET and DELETE included.
                headers.push(("content-type", "application/json".into()));
                // The jaeger tracer with the Zipkin B3 propagator injects these; unsampled.
                headers.push(("x-b3-sampled", "0".into()));
                headers.push(("x-b3-spanid", "5a1f0c3e9b7d2468".into()));
                headers.push(("x-b3-traceid", "5a1f0c3e9b7d2468".into()));
                headers.push(("accept-encoding", "gzip".into()));
            }
            Stack::Ansible => {
                headers.push(("accept-encoding", "identity".into()));
                if let Some(body) = body {
                    headers.push(("content-length", body.len().to_string()));
                }
                headers.push(("authorization", bearer));
                headers.push(("user-agent", self.user_agent.clone()));
                headers.push(("content-type", "application/json".into()));
                headers.push(("accept", "application/json".into()));
                headers.push(("connection", "close".into()));
            }
            Stack::OpCli => {
                headers.push(("user-agent", self.user_agent.clone()));
                if let Some(body) = body {
                    headers.push(("content-length", body.len().to_string()));
                }
                headers.push(("authorization", bearer));
                headers.push(("accept-encoding", "gzip".into()));
            }
        }
        headers
    }

    async fn send(&self, method: Method, target: &str, body: Option<&str>) -> TestResponse {
        let uri = format!("{}{}", self.host_suffix, target);
        let mut builder = Request::builder().method(method).uri(&uri);
        for (name, value) in self.headers(body) {
            builder = builder.header(name, value);
        }
        let request = builder
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap_or_else(|e| panic!("request {uri}: {e}"));
        let response = http::app(self.state.clone())
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }
}

/// What Go's `parseResponse(resp, expected, &v)` accepts: exactly `expected`, and a JSON body.
#[track_caller]
pub fn go_ok(response: &TestResponse, expected: u16) -> Value {
    assert_eq!(
        response.status,
        expected,
        "expected exactly {expected}; body: {}",
        response.text()
    );
    assert_eq!(
        response.header("content-type"),
        Some("application/json"),
        "a JSON body must say so"
    );
    response.json()
}

/// An error as Go's `readResponseBody` turns it into `onepassword.Error`: the body unmarshals into
/// `{status, message}` with `status` equal to the HTTP code. Returns Go's `Error()` string,
/// `status %d: %s`, which Terraform and ESO match substrings of.
#[track_caller]
pub fn go_error(response: &TestResponse, status: u16) -> String {
    assert_eq!(response.status, status, "body: {}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("application/json"),
        "error bodies must be JSON (a plain-text body breaks the Go SDK: ESO #1948)"
    );
    let body = response.json();
    let object = body.as_object().expect("error body is a JSON object");
    assert_eq!(
        object.get("status").and_then(Value::as_u64),
        Some(u64::from(status)),
        "`status` must be the HTTP code as an integer: {body}"
    );
    let message = object
        .get("message")
        .and_then(Value::as_str)
        .expect("`message` is a string");
    assert!(!message.is_empty(), "empty error message: {body}");
    format!("status {status}: {message}")
}

/// connect-sdk-go `expectMinimumConnectVersion`: `1Password-Connect-Version` must be three
/// dot-separated integers at least `minimum`; a missing header means "1.2.0 or earlier".
pub fn go_connect_version_at_least(
    response: &TestResponse,
    minimum: (u64, u64, u64),
) -> Result<(), String> {
    let Some(raw) = response.header("1Password-Connect-Version") else {
        return Err("need at least version 1.3.0 of Connect (no version header)".into());
    };
    let parts: Vec<u64> = raw
        .split('.')
        .map(|p| p.parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("version header {raw:?} is not three integers"))?;
    let [major, minor, patch] = parts[..] else {
        return Err(format!("version header {raw:?} is not three integers"));
    };
    if (major, minor, patch) >= minimum {
        Ok(())
    } else {
        Err(format!("need at least version {minimum:?}, got {raw}"))
    }
}

/// Go's `url.QueryEscape`, which is also Python's `urlencode` (`quote_plus`): unreserved bytes
/// stay, a space becomes `+`, everything else `%XX`. Tests write their queries literally; this is
/// only for requests built inside a replayed loop, and `go_sdk.rs` pins it to literal strings.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The `filter=` value every tool builds for a title: `title eq "<t>"`, query-escaped.
pub fn title_filter(title: &str) -> String {
    query_escape(&format!("title eq \"{title}\""))
}

/// The id shape every client validates with (`^[a-z0-9]{26}$`).
pub fn is_connect_id(s: &str) -> bool {
    s.len() == 26
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// `YYYY-MM-DDTHH:MM:SSZ`: RFC 3339 with the `Z` suffix the `op` CLI needs.
pub fn is_z_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Seconds since the epoch of an RFC 3339 `Z` timestamp (what Go's `time.Time` comparisons use).
pub fn unix_of(timestamp: &str) -> i64 {
    time::OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{timestamp:?} is not RFC 3339: {e}"))
        .unix_timestamp()
}

/// A token with read-write access to each of `vaults`.
pub async fn token_for(app: &TestApp, vaults: &[&str]) -> String {
    let grants: Vec<(&str, u32)> = vaults.iter().map(|v| (*v, ACL_READ_WRITE)).collect();
    app.issue(&grants).await
}

/// Stores an item as a sync source delivers it, with file contents (the API has no upload route).
/// `body` is an item body; `category` is what the item is stored as (DOCUMENT too).
pub async fn seed_item(
    app: &TestApp,
    vault_id: &str,
    category: Category,
    mut body: Value,
    files: &[(&str, &[u8])],
) -> (String, Vec<String>) {
    // DOCUMENT cannot be built from a create body; build it as a note and store the category.
    let build_as = if category.creatable() {
        category.as_str()
    } else {
        "SECURE_NOTE"
    };
    body["category"] = Value::from(build_as);
    let input: ItemInput = serde_json::from_value(body).expect("item body");
    let (_, mut data) =
        build_item(input, &BuildMode::Create, &Limits::default()).expect("valid item body");
    let mut file_ids = Vec::new();
    let mut contents = Vec::new();
    for (name, content) in files {
        let id = latchkey::ids::new_id();
        data.body.files.push(StoredFile {
            id: id.clone(),
            name: (*name).to_string(),
            size: content.len() as i64,
            section: None,
        });
        contents.push(NewFile {
            id: id.clone(),
            content: content.to_vec(),
        });
        file_ids.push(id);
    }
    let item_id = latchkey::ids::new_id();
    app.store
        .create_item(
            vault_id,
            &item_id,
            category,
            &data,
            app.state.auth.server_id(),
            &contents,
        )
        .await
        .expect("seed item");
    (item_id, file_ids)
}

/// Moves an item's creation time `seconds` into the past, so that "oldest `createdAt` wins" has
/// something to decide (items made in one test share the same second).
pub async fn backdate_item(app: &TestApp, vault_id: &str, item_id: &str, seconds: i64) {
    let done =
        sqlx::query("UPDATE items SET created_at = created_at - ? WHERE vault_id = ? AND id = ?")
            .bind(seconds)
            .bind(vault_id)
            .bind(item_id)
            .execute(app.store.pool())
            .await
            .expect("backdate item");
    assert_eq!(done.rows_affected(), 1);
}

/// Moves a vault's creation time `seconds` into the past.
pub async fn backdate_vault(app: &TestApp, vault_id: &str, seconds: i64) {
    let done = sqlx::query("UPDATE vaults SET created_at = created_at - ? WHERE id = ?")
        .bind(seconds)
        .bind(vault_id)
        .execute(app.store.pool())
        .await
        .expect("backdate vault");
    assert_eq!(done.rows_affected(), 1);
}

/// A JSON string as Go's `encoding/json` writes it: HTML-safe (`<`, `>`, `&` escaped).
fn go_string(s: &str) -> String {
    serde_json::to_string(s)
        .expect("string")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Builds a JSON object key by key, in the order of a Go struct's fields.
struct GoObject(Vec<String>);

impl GoObject {
    fn new() -> Self {
        GoObject(Vec::new())
    }

    fn raw(&mut self, key: &str, json: String) -> &mut Self {
        self.0.push(format!("\"{key}\":{json}"));
        self
    }

    fn string(&mut self, key: &str, value: &str) -> &mut Self {
        self.raw(key, go_string(value))
    }

    /// `json:",omitempty"` on a string.
    fn string_omitempty(&mut self, key: &str, value: Option<&Value>) -> &mut Self {
        match value.and_then(Value::as_str) {
            Some(s) if !s.is_empty() => self.string(key, s),
            _ => self,
        }
    }

    fn finish(&self) -> String {
        format!("{{{}}}", self.0.join(","))
    }
}

/// `*onepassword.ItemSection` (`id,omitempty`, `label,omitempty`).
fn go_section(section: &Value) -> String {
    GoObject::new()
        .string_omitempty("id", section.get("id"))
        .string_omitempty("label", section.get("label"))
        .finish()
}

/// `onepassword.ItemField` in field order: id, section, type, purpose, label, value, generate,
/// recipe, entropy, totp; everything but `id` and `type` is `omitempty`.
pub fn go_field(field: &Value) -> String {
    let mut o = GoObject::new();
    o.string("id", field["id"].as_str().unwrap_or(""));
    if let Some(section) = field.get("section").filter(|s| s.is_object()) {
        o.raw("section", go_section(section));
    }
    o.string("type", field["type"].as_str().unwrap_or(""));
    o.string_omitempty("purpose", field.get("purpose"));
    o.string_omitempty("label", field.get("label"));
    o.string_omitempty("value", field.get("value"));
    if field.get("generate").and_then(Value::as_bool) == Some(true) {
        o.raw("generate", "true".into());
    }
    if let Some(recipe) = field.get("recipe").filter(|r| r.is_object()) {
        o.raw("recipe", recipe.to_string());
    }
    if let Some(entropy) = field.get("entropy").and_then(Value::as_f64) {
        if entropy != 0.0 {
            o.raw("entropy", entropy.to_string());
        }
    }
    o.string_omitempty("totp", field.get("totp"));
    o.finish()
}

/// `*onepassword.File`: id, name, section (omitempty), size, content_path, content (omitempty).
fn go_file(file: &Value) -> String {
    let mut o = GoObject::new();
    o.string("id", file["id"].as_str().unwrap_or(""));
    o.string("name", file["name"].as_str().unwrap_or(""));
    if let Some(section) = file.get("section").filter(|s| s.is_object()) {
        o.raw("section", go_section(section));
    }
    o.raw("size", file["size"].as_i64().unwrap_or(0).to_string());
    o.string("content_path", file["content_path"].as_str().unwrap_or(""));
    o.finish()
}

fn go_array(values: Option<&Value>, each: impl Fn(&Value) -> String) -> Option<String> {
    let items = values.and_then(Value::as_array).filter(|a| !a.is_empty())?;
    Some(format!(
        "[{}]",
        items.iter().map(each).collect::<Vec<_>>().join(",")
    ))
}

/// What `json.Marshal(item)` sends for an `onepassword.Item` that came from a GET and was
/// modified by the tool: Go's field order, `omitempty` rules, and the real timestamps it read
/// (struct tags in connect-sdk-go's `onepassword/items.go`). This is the body of every Go
/// read-modify-`UpdateItem`.
pub fn go_item_body(item: &Value) -> String {
    let mut o = GoObject::new();
    o.string("id", item["id"].as_str().unwrap_or(""));
    o.string("title", item["title"].as_str().unwrap_or(""));
    if let Some(urls) = go_array(item.get("urls"), |u| {
        let mut url = GoObject::new();
        if u.get("primary").and_then(Value::as_bool) == Some(true) {
            url.raw("primary", "true".into());
        }
        url.string_omitempty("label", u.get("label"));
        url.string("href", u["href"].as_str().unwrap_or(""));
        url.finish()
    }) {
        o.raw("urls", urls);
    }
    if item.get("favorite").and_then(Value::as_bool) == Some(true) {
        o.raw("favorite", "true".into());
    }
    if let Some(tags) = go_array(item.get("tags"), |t| go_string(t.as_str().unwrap_or(""))) {
        o.raw("tags", tags);
    }
    if let Some(version) = item
        .get("version")
        .and_then(Value::as_i64)
        .filter(|v| *v != 0)
    {
        o.raw("version", version.to_string());
    }
    o.raw(
        "vault",
        GoObject::new()
            .string("id", item["vault"]["id"].as_str().unwrap_or(""))
            .finish(),
    );
    o.string("category", item["category"].as_str().unwrap_or(""));
    if let Some(sections) = go_array(item.get("sections"), go_section) {
        o.raw("sections", sections);
    }
    if let Some(fields) = go_array(item.get("fields"), go_field) {
        o.raw("fields", fields);
    }
    if let Some(files) = go_array(item.get("files"), go_file) {
        o.raw("files", files);
    }
    o.string_omitempty("lastEditedBy", item.get("lastEditedBy"));
    o.string(
        "createdAt",
        item["createdAt"].as_str().unwrap_or("0001-01-01T00:00:00Z"),
    );
    o.string(
        "updatedAt",
        item["updatedAt"].as_str().unwrap_or("0001-01-01T00:00:00Z"),
    );
    o.finish()
}

/// The fields of a full item, as an array.
#[track_caller]
pub fn fields(item: &Value) -> &Vec<Value> {
    item["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("item has no fields array: {item}"))
}

/// The first field with `label`.
#[track_caller]
pub fn field_by_label<'a>(item: &'a Value, label: &str) -> &'a Value {
    fields(item)
        .iter()
        .find(|f| f["label"] == label)
        .unwrap_or_else(|| panic!("no field labelled {label:?} in {item}"))
}

/// Creates an item through the API with `token` (a setup step, not part of any replay).
pub async fn create_in(app: &TestApp, token: &str, vault_id: &str, body: &Value) -> Value {
    let response = app
        .send(
            Method::POST,
            &format!("/v1/vaults/{vault_id}/items"),
            Some(token),
            Some(body.to_string().into_bytes()),
        )
        .await;
    assert_eq!(response.status, 200, "setup create: {}", response.text());
    response.json()
}
