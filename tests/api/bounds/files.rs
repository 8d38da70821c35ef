//! File contents are streamed chunk by chunk, and chunks that were swapped, dropped, moved or cut
//! short are an error, never other bytes.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use latchkey::model::{build_item, BuildMode, Category, ItemInput, Limits, StoredFile};
use latchkey::store::NewFile;
use serde_json::json;
use tower::ServiceExt;

use crate::helpers::TestApp;

const CHUNK: usize = 64 * 1024;

/// An item with one file per content given; returns the item id and the file ids.
async fn item_with(app: &TestApp, contents: &[Vec<u8>]) -> (String, Vec<String>) {
    let input: ItemInput =
        serde_json::from_value(json!({"title": "doc", "category": "SECURE_NOTE"})).unwrap();
    let (_, mut data) = build_item(input, &BuildMode::Create, &Limits::default()).unwrap();
    let mut files = Vec::new();
    for (n, content) in contents.iter().enumerate() {
        let id = latchkey::ids::new_id();
        data.body.files.push(StoredFile {
            id: id.clone(),
            name: format!("f{n}.bin"),
            size: content.len() as i64,
            section: None,
        });
        files.push(NewFile {
            id,
            content: content.clone(),
        });
    }
    let item = latchkey::ids::new_id();
    app.store
        .create_item(&app.vault.id, &item, Category::Document, &data, "X", &files)
        .await
        .unwrap();
    (item, files.into_iter().map(|f| f.id).collect())
}

fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ seed).collect()
}

/// The status, the Content-Length and the body frame by frame (`Err` if the body failed).
async fn download(
    app: &TestApp,
    item: &str,
    file: &str,
) -> (u16, Option<String>, Result<Vec<Vec<u8>>, String>) {
    let uri = format!("{}/files/{file}/content", app.item_uri(item));
    let request = Request::get(uri)
        .header("authorization", format!("Bearer {}", app.token))
        .body(Body::empty())
        .unwrap();
    let response = latchkey::http::app(app.state.clone())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status().as_u16();
    let length = response
        .headers()
        .get("content-length")
        .map(|v| v.to_str().unwrap().to_string());
    let mut body = response.into_body();
    let mut frames = Vec::new();
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => frames.extend(frame.into_data().ok().map(|d| d.to_vec())),
            Err(e) => return (status, length, Err(e.to_string())),
        }
    }
    (status, length, Ok(frames))
}

#[tokio::test]
async fn contents_are_served_chunk_by_chunk() {
    let app = TestApp::new().await;
    let big = content(1 << 20, 1);
    let (item, files) = item_with(&app, &[big.clone(), Vec::new()]).await;
    let (status, length, frames) = download(&app, &item, &files[0]).await;
    assert_eq!(status, 200);
    assert_eq!(length.as_deref(), Some("1048576"));
    let frames = frames.unwrap();
    assert_eq!(frames.len(), 16, "one frame per 64 KiB chunk");
    assert!(frames.iter().all(|f| f.len() == CHUNK));
    assert_eq!(frames.concat(), big);
    let (status, length, frames) = download(&app, &item, &files[1]).await;
    assert_eq!((status, length.as_deref()), (200, Some("0")));
    assert_eq!(frames.unwrap().concat(), b"");
    // Inline content is still offered within OP_MAX_INLINE_FILE_SIZE_KB.
    let small = content(3000, 2);
    let (item, files) = item_with(&app, std::slice::from_ref(&small)).await;
    let inline = app
        .get(&format!(
            "{}/files/{}?inline_files=true",
            app.item_uri(&item),
            files[0]
        ))
        .await
        .json();
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(inline["content"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, small);
}

async fn sql(app: &TestApp, statement: &str, file: &str) {
    sqlx::query(statement)
        .bind(file)
        .execute(app.store.pool())
        .await
        .unwrap();
}

/// Whether the download of a tampered file failed: a JSON 500 before the body, or a body cut
/// short; never a complete body.
async fn assert_refused(app: &TestApp, item: &str, file: &str, what: &str) {
    let (status, _, frames) = download(app, item, file).await;
    match (status, frames) {
        (500, Ok(frames)) => {
            let body: serde_json::Value = serde_json::from_slice(&frames.concat()).unwrap();
            assert_eq!(body["status"], 500, "{what}");
        }
        (200, Err(_)) => {}
        (status, frames) => panic!("{what}: {status} {:?}", frames.map(|f| f.concat().len())),
    }
}

#[tokio::test]
async fn tampered_chunks_are_an_error_never_other_bytes() {
    let app = TestApp::new().await;
    let cases: &[(&str, &str)] = &[
        (
            "swapped chunks 1 and 2",
            "UPDATE file_chunks SET idx = -1 WHERE file_id = ?1 AND idx = 1; \
             UPDATE file_chunks SET idx = 1 WHERE file_id = ?1 AND idx = 2; \
             UPDATE file_chunks SET idx = 2 WHERE file_id = ?1 AND idx = -1",
        ),
        (
            "swapped chunks 0 and 1",
            "UPDATE file_chunks SET idx = -1 WHERE file_id = ?1 AND idx = 0; \
             UPDATE file_chunks SET idx = 0 WHERE file_id = ?1 AND idx = 1; \
             UPDATE file_chunks SET idx = 1 WHERE file_id = ?1 AND idx = -1",
        ),
        (
            "dropped a middle chunk",
            "DELETE FROM file_chunks WHERE file_id = ? AND idx = 1",
        ),
        (
            "dropped the last chunk",
            "DELETE FROM file_chunks WHERE file_id = ? AND idx = 3",
        ),
        (
            "cut short to two chunks",
            "UPDATE files SET size = 131072 WHERE id = ?1; \
             DELETE FROM file_chunks WHERE file_id = ?1 AND idx >= 2",
        ),
        (
            "another content id",
            "UPDATE files SET content_id = randomblob(16) WHERE id = ?",
        ),
        (
            "a chunk of the other file",
            "UPDATE file_chunks SET content = (SELECT c.content FROM file_chunks c \
             WHERE c.file_id <> file_chunks.file_id AND c.idx = 2) WHERE file_id = ? AND idx = 2",
        ),
    ];
    for (what, statement) in cases {
        let (item, files) =
            item_with(&app, &[content(3 * CHUNK + 100, 3), content(3 * CHUNK, 4)]).await;
        for part in statement.split("; ") {
            sql(&app, part, &files[0]).await;
        }
        assert_refused(&app, &item, &files[0], what).await;
        // The untouched file still reads.
        let (status, _, frames) = download(&app, &item, &files[1]).await;
        assert_eq!(status, 200, "{what}");
        assert_eq!(frames.unwrap().concat(), content(3 * CHUNK, 4), "{what}");
    }
}
