//! The `connect` source against hostile upstreams, in process: a fake Connect server on a local
//! port that answers with oversized lists and files, crafted `content_path`s and redirects, and a
//! second listener standing for another host that must never be asked anything.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use latchkey::config::UpstreamLimits;
use latchkey::sync::sources::connect::ConnectSource;
use latchkey::sync::Engine;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;

const TOKEN: &str = "upstream-secret-token";
const MIB: usize = 1024 * 1024;
const VAULT: &str = "uvaultuvaultuvaultuvault00";
const ITEM: &str = "uitemuitemuitemuitemuitem0";
const FILE: &str = "ufileufileufileufileufile0";

/// Requests a listener received: path and Authorization header.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// What the fake upstream answers.
#[derive(Clone)]
struct Script {
    vaults: Value,
    /// The item list, sent in small chunks without a length, as a long list arrives.
    items: Value,
    item: Value,
    file: Vec<u8>,
    redirect_vaults_to: Option<String>,
    seen: Seen,
}

fn vault_json(description: &str) -> Value {
    json!({"id": VAULT, "name": "Upstream", "description": description,
        "attributeVersion": 1, "contentVersion": 1, "items": 1, "type": "USER_CREATED",
        "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"})
}

fn item_json(content_path: &str, size: usize) -> Value {
    json!({"id": ITEM, "title": "Upstream item", "vault": {"id": VAULT}, "category": "DOCUMENT",
        "version": 1, "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z",
        "lastEditedBy": "X", "fields": [],
        "files": [{"id": FILE, "name": "doc.bin", "size": size, "content_path": content_path}]})
}

fn list_entry(id: &str, title: &str) -> Value {
    json!({"id": id, "title": title, "vault": {"id": VAULT}, "category": "DOCUMENT",
        "version": 1, "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z",
        "lastEditedBy": "X"})
}

/// `value` as a body of 7-byte chunks without a length, so that every token of it is split
/// somewhere.
fn chunked(value: &Value) -> Response {
    let chunks: Vec<Result<Vec<u8>, std::convert::Infallible>> = value
        .to_string()
        .into_bytes()
        .chunks(7)
        .map(|c| Ok(c.to_vec()))
        .collect();
    (
        [("content-type", "application/json")],
        axum::body::Body::from_stream(futures_util::stream::iter(chunks)),
    )
        .into_response()
}

fn content_path() -> String {
    format!("/v1/vaults/{VAULT}/items/{ITEM}/files/{FILE}/content")
}

impl Script {
    fn new(seen: &Seen) -> Script {
        Script {
            vaults: json!([vault_json("")]),
            items: json!([list_entry(ITEM, "Upstream item")]),
            item: item_json(&content_path(), 5),
            file: b"hello".to_vec(),
            redirect_vaults_to: None,
            seen: seen.clone(),
        }
    }
}

fn record(seen: &Seen, uri: &Uri, headers: &HeaderMap) {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    seen.lock().unwrap().push((uri.path().to_string(), auth));
}

async fn upstream_handler(State(script): State<Script>, uri: Uri, headers: HeaderMap) -> Response {
    record(&script.seen, &uri, &headers);
    let path = uri.path().trim_start_matches("/prefix");
    if path == "/v1/vaults" {
        if let Some(location) = &script.redirect_vaults_to {
            return (StatusCode::FOUND, [("location", location.clone())]).into_response();
        }
        return axum::Json(script.vaults.clone()).into_response();
    }
    if path == format!("/v1/vaults/{VAULT}/items") {
        return chunked(&script.items);
    }
    if path == format!("/v1/vaults/{VAULT}/items/{ITEM}") {
        return axum::Json(script.item.clone()).into_response();
    }
    if path == content_path() {
        return script.file.clone().into_response();
    }
    StatusCode::NOT_FOUND.into_response()
}

/// Serves `router` on a free local port; returns `http://127.0.0.1:PORT`.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

async fn upstream(script: Script) -> String {
    serve(
        Router::new()
            .fallback(get(upstream_handler))
            .with_state(script),
    )
    .await
}

/// Another host: records whatever reaches it and answers as an upstream would.
async fn other_host() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let recorded = seen.clone();
    let host = serve(Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let recorded = recorded.clone();
        async move {
            record(&recorded, &uri, &headers);
            axum::Json(json!([vault_json("from the other host")]))
        }
    }))
    .await;
    (host, seen)
}

fn limits() -> UpstreamLimits {
    UpstreamLimits {
        max_json_bytes: MIB as u64,
        max_file_bytes: MIB as u64,
    }
}

fn engine(app: &TestApp, base: &str) -> Engine {
    let source = ConnectSource::new(base, TOKEN, limits()).unwrap();
    Engine::new(app.store.clone(), Arc::new(source), "SYNCER".into())
}

/// The `sync` line of `/health` in a `connect` deployment over `app`'s store.
async fn health_sync_message(app: &TestApp) -> String {
    let text = crate::helpers::health_text(app, latchkey::config::SourceKind::Connect).await;
    let health: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(health["dependencies"][2]["status"], "ERROR", "{health}");
    health["dependencies"][2]["message"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The sync fails with `fragment`, /health says so, and nothing from the upstream is stored.
async fn assert_refused(app: &TestApp, engine: &Engine, fragment: &str) {
    let err = engine.sync_once().await.unwrap_err().to_string();
    assert!(err.contains(fragment), "{err}");
    assert!(!err.contains(TOKEN), "{err}");
    assert!(health_sync_message(app).await.contains(fragment));
    let item = app.store.get_item(VAULT, ITEM).await.unwrap();
    assert!(
        !matches!(item, latchkey::store::ItemLookup::Found(_)),
        "an item was stored"
    );
}

#[tokio::test]
async fn a_well_behaved_upstream_under_a_path_prefix_is_replicated() {
    let seen: Seen = Arc::default();
    let (other, other_seen) = other_host().await;
    let _ = other;
    let host = upstream(Script::new(&seen)).await;
    let app = TestApp::new().await;
    engine(&app, &format!("{host}/prefix/"))
        .sync_once()
        .await
        .unwrap();
    let content = match app.store.open_file(VAULT, ITEM, FILE).await.unwrap() {
        Some(reader) => Some(reader.read_to_end().await.unwrap()),
        None => None,
    };
    assert_eq!(content.as_deref(), Some(&b"hello"[..]));
    let seen = seen.lock().unwrap();
    assert!(seen
        .iter()
        .all(|(path, auth)| path.starts_with("/prefix/v1/")
            && auth.as_deref() == Some(&format!("Bearer {TOKEN}")[..])));
    assert!(seen.iter().any(|(path, _)| path.ends_with("/content")));
    assert!(other_seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_oversized_vault_list_is_refused_and_nothing_stored() {
    let seen: Seen = Arc::default();
    let mut script = Script::new(&seen);
    script.vaults = json!([vault_json(&"a".repeat(2 * MIB))]);
    let host = upstream(script).await;
    let app = TestApp::new().await;
    assert_refused(&app, &engine(&app, &host), "larger than 1 MiB").await;
    assert!(app.store.get_vault(VAULT).await.unwrap().is_none());
}

#[tokio::test]
async fn an_oversized_file_is_refused_and_nothing_stored() {
    let seen: Seen = Arc::default();
    let mut script = Script::new(&seen);
    script.file = vec![b'x'; 2 * MIB];
    script.item = item_json(&content_path(), 2 * MIB);
    let host = upstream(script).await;
    let app = TestApp::new().await;
    assert_refused(&app, &engine(&app, &host), "larger than 1 MiB").await;
}

#[tokio::test]
async fn an_oversized_item_list_is_refused_as_it_arrives_and_nothing_stored() {
    let seen: Seen = Arc::default();
    let mut script = Script::new(&seen);
    let title = "CANARY-TITLE-".repeat(20);
    let entries: Vec<Value> = (0..5_000)
        .map(|i| list_entry(&format!("uitem{i:021}"), &title))
        .chain([list_entry(ITEM, "Upstream item")])
        .collect();
    script.items = Value::Array(entries);
    let host = upstream(script).await;
    let app = TestApp::new().await;
    assert_refused(&app, &engine(&app, &host), "larger than 1 MiB").await;
    let items = app.store.get_vault(VAULT).await.unwrap().map(|v| v.items);
    assert_eq!(items, Some(0));
}

#[tokio::test]
async fn a_malformed_item_list_names_the_entry_not_its_content() {
    let seen: Seen = Arc::default();
    let mut script = Script::new(&seen);
    let mut broken = list_entry("uitemuitemuitemuitemuitem1", "CANARY-TITLE");
    broken["version"] = json!("CANARY-VERSION");
    script.items = json!([list_entry(ITEM, "Upstream item"), broken]);
    let host = upstream(script).await;
    let app = TestApp::new().await;
    let replica = engine(&app, &host);
    assert_refused(&app, &replica, "item 1 of the list: invalid type").await;
    let err = replica.sync_once().await.unwrap_err().to_string();
    assert!(!err.contains("CANARY"), "{err}");

    let mut script = Script::new(&seen);
    script.items = json!({"items": [list_entry(ITEM, "Upstream item")]});
    let host = upstream(script).await;
    assert_refused(&app, &engine(&app, &host), "not a JSON array").await;
}

/// An answer without a length, streamed until the client hangs up: the client must stop
/// reading at the limit rather than buffer it all. Returns the bytes the server got to send.
async fn endless_json_upstream() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("http://{}", listener.local_addr().unwrap());
    let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
                // At most 128 MiB, so that a client without a limit still ends.
                for _ in 0..2048 {
                    if socket.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                    counter.fetch_add(64 * 1024, std::sync::atomic::Ordering::SeqCst);
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    (host, sent)
}

#[tokio::test]
async fn an_endless_answer_is_cut_at_the_limit() {
    let (host, sent) = endless_json_upstream().await;
    let app = TestApp::new().await;
    assert_refused(&app, &engine(&app, &host), "larger than 1 MiB").await;
    let sent = sent.load(std::sync::atomic::Ordering::SeqCst);
    assert!(sent < 64 * MIB, "the client read {sent} bytes");
}

#[tokio::test]
async fn a_crafted_content_path_never_reaches_another_host() {
    let (other, other_seen) = other_host().await;
    let port = other.rsplit(':').next().unwrap().to_string();
    let crafted = [
        format!("@127.0.0.1:{port}/x"),
        format!("//127.0.0.1:{port}/x"),
        format!(":{port}/x"),
        format!("{other}/v1/vaults/{VAULT}/items/{ITEM}/files/{FILE}/content"),
        format!("/v1/vaults/{VAULT}/items/{ITEM}/files/{FILE}/content/../../../../../x"),
        format!("/v1/vaults/{VAULT}/items/{ITEM}/files/other/content"),
    ];
    for content_path in crafted {
        let seen: Seen = Arc::default();
        let mut script = Script::new(&seen);
        script.item = item_json(&content_path, 5);
        let host = upstream(script).await;
        let app = TestApp::new().await;
        assert_refused(&app, &engine(&app, &host), "content_path").await;
        assert!(
            !seen.lock().unwrap().iter().any(|(p, _)| p.contains("/x")),
            "{content_path}"
        );
    }
    assert!(
        other_seen.lock().unwrap().is_empty(),
        "the other host was asked: {:?}",
        other_seen.lock().unwrap()
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (other, other_seen) = other_host().await;
    let seen: Seen = Arc::default();
    let mut script = Script::new(&seen);
    script.redirect_vaults_to = Some(format!("{other}/v1/vaults"));
    let host = upstream(script).await;
    let app = TestApp::new().await;
    assert_refused(&app, &engine(&app, &host), "redirect").await;
    assert!(app.store.get_vault(VAULT).await.unwrap().is_none());
    assert!(
        other_seen.lock().unwrap().is_empty(),
        "the other host was asked: {:?}",
        other_seen.lock().unwrap()
    );
}
