//! Item files: list, get one (optionally with base64 content inline), and raw content.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::http::access::{item_read, readable_item};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{flag, Auth, Ids, Meta, QueryParams};
use crate::http::{render, AppState};
use crate::model::{FileJson, StoredFile};
use crate::store::{FileReader, ItemRecord, StoreError};

/// The spec names the flag `inline_files`, the API reference `inline_content`: both are accepted.
#[derive(Deserialize)]
pub struct InlineQuery {
    inline_files: Option<String>,
    inline_content: Option<String>,
}

impl InlineQuery {
    fn inline(&self) -> bool {
        flag(self.inline_files.as_deref()) || flag(self.inline_content.as_deref())
    }
}

async fn file_json(
    state: &AppState,
    item: &ItemRecord,
    file: &StoredFile,
    inline: bool,
) -> ApiResult<FileJson> {
    if !inline {
        return Ok(render::file(item, file, None));
    }
    let limit = state.config.max_inline_file_kb.saturating_mul(1024);
    let too_large = || {
        ApiError::PayloadTooLarge(
            "File is too large to inline in request. Use the /v1/vaults/{vaultUUID}/items/{itemUUID}/files/{fileUUID}/content endpoint instead.".into(),
        )
    };
    if u64::try_from(file.size).unwrap_or(u64::MAX) > limit {
        return Err(too_large());
    }
    let reader = open(state, item, file).await?;
    // The stored size is the one the chunks are sealed with: it bounds what is read.
    if reader.size() > limit {
        return Err(too_large());
    }
    let content = reader.read_to_end().await?;
    Ok(render::file(
        item,
        file,
        Some(base64::engine::general_purpose::STANDARD.encode(content)),
    ))
}

async fn open(state: &AppState, item: &ItemRecord, file: &StoredFile) -> ApiResult<FileReader> {
    state
        .store
        .open_file(&item.vault_id, &item.id, &file.id)
        .await?
        .ok_or_else(|| ApiError::file_not_found(&file.id))
}

fn find_file<'a>(item: &'a ItemRecord, file_id: &str) -> ApiResult<&'a StoredFile> {
    item.data
        .body
        .files
        .iter()
        .find(|f| f.id == file_id)
        .ok_or_else(|| ApiError::file_not_found(file_id))
}

pub async fn list(
    State(state): State<AppState>,
    Auth(access): Auth,
    Meta(meta): Meta,
    ids: Ids,
    QueryParams(query): QueryParams<InlineQuery>,
) -> ApiResult<Json<Vec<FileJson>>> {
    let item = readable_item(&state, &meta, &access, &ids).await?;
    let mut files = Vec::with_capacity(item.data.body.files.len());
    for file in &item.data.body.files {
        files.push(file_json(&state, &item, file, query.inline()).await?);
    }
    item_read(&state, &meta, &access, &item);
    Ok(Json(files))
}

pub async fn get_one(
    State(state): State<AppState>,
    Auth(access): Auth,
    Meta(meta): Meta,
    ids: Ids,
    QueryParams(query): QueryParams<InlineQuery>,
) -> ApiResult<Json<FileJson>> {
    let item = readable_item(&state, &meta, &access, &ids).await?;
    let file = find_file(&item, ids.file())?;
    let json = file_json(&state, &item, file, query.inline()).await?;
    item_read(&state, &meta, &access, &item);
    Ok(Json(json))
}

/// The raw content, streamed chunk by chunk as it is decrypted: a download holds one chunk in
/// memory, whatever the file's size. The first chunk is read before answering, so that a file
/// that cannot be read is a JSON error; a later chunk that fails aborts the body (the client
/// sees a transfer shorter than its Content-Length, never other bytes).
pub async fn content(
    State(state): State<AppState>,
    Auth(access): Auth,
    Meta(meta): Meta,
    ids: Ids,
) -> ApiResult<Response> {
    let item = readable_item(&state, &meta, &access, &ids).await?;
    let file = find_file(&item, ids.file())?;
    let mut reader = open(&state, &item, file).await?;
    let first = reader.next_chunk().await?;
    item_read(&state, &meta, &access, &item);
    let length = reader.size();
    let mut response = Body::from_stream(chunks(first, reader)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&file.name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The body: `first`, then the reader's next chunks until the last.
fn chunks(
    first: Option<Zeroizing<Vec<u8>>>,
    reader: FileReader,
) -> impl futures_util::Stream<Item = Result<Bytes, StoreError>> + Send + 'static {
    futures_util::stream::unfold(
        (first.map(Ok), Some(reader)),
        |(pending, reader)| async move {
            let mut reader = reader?;
            let next = match pending {
                Some(chunk) => chunk,
                None => reader.next_chunk().await.transpose()?,
            };
            match next {
                Ok(chunk) => Some((Ok(Bytes::from(chunk.to_vec())), (None, Some(reader)))),
                Err(err) => {
                    tracing::error!(error = %err, "a file download was cut short");
                    Some((Err(err), (None, None)))
                }
            }
        },
    )
}

/// `attachment; filename="…"` with an ASCII fallback, plus RFC 5987 `filename*` for other names.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ascii == name {
        format!("attachment; filename=\"{name}\"")
    } else {
        let encoded: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
    }
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn disposition_quotes_and_encodes() {
        assert_eq!(
            content_disposition("a b.txt"),
            "attachment; filename=\"a b.txt\""
        );
        assert_eq!(
            content_disposition("résumé\".pdf"),
            "attachment; filename=\"r_sum__.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%22.pdf"
        );
    }
}
