//! `GET /v1/vaults/{vaultUuid}/items`: summaries go into the body a page of rows at a time, so a
//! listing holds one page in memory whatever the vault's size.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::BoxError;

use crate::activity::Action;
use crate::http::access::require;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_filter, Auth, FilterQuery, Ids, Meta, QueryParams};
use crate::http::{render, AppState};
use crate::store::{ItemPages, ItemRecord};

/// The first page is read before answering, so that a vault whose rows cannot be read is still a
/// JSON error. A list that fits in that page is sent whole; a longer one streams, and a page that
/// fails later aborts the body: the client sees a truncated transfer and invalid JSON, never a
/// well-formed short list.
pub async fn list(
    State(state): State<AppState>,
    Auth(access): Auth,
    Meta(meta): Meta,
    ids: Ids,
    QueryParams(query): QueryParams<FilterQuery>,
) -> ApiResult<Response> {
    require(&state, &meta, &access, Action::Read, &ids.vault, None)?;
    let filter = parse_filter(query.filter.as_deref(), &["title", "tag"], "items")?;
    let mut pages = state
        .store
        .item_pages(&ids.vault, filter)
        .await?
        .ok_or_else(|| ApiError::vault_not_found(&ids.vault))?;
    let mut array = SummaryArray::default();
    let first = pages.next_page().await?.unwrap_or_default();
    let mut head = array
        .push(&first)
        .map_err(|e| ApiError::Internal(e.into()))?;
    let body = if pages.finished() {
        head.push(b']');
        Body::from(head)
    } else {
        Body::from_stream(rest(head, array, pages))
    };
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// A JSON array of item summaries written piece by piece: the pieces concatenated are the bytes
/// of the whole `Vec<ItemJson>` serialized at once.
#[derive(Default)]
struct SummaryArray {
    opened: bool,
    any: bool,
}

impl SummaryArray {
    /// The next piece: `[` first, then `items` separated by commas (without the closing `]`).
    fn push(&mut self, items: &[ItemRecord]) -> serde_json::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(items.len() * 384 + 1);
        if !self.opened {
            out.push(b'[');
            self.opened = true;
        }
        for item in items {
            if self.any {
                out.push(b',');
            }
            serde_json::to_writer(&mut out, &render::summary(item))?;
            self.any = true;
        }
        Ok(out)
    }
}

/// The body after the first page: `head`, then one chunk per page that matched something, the
/// last one closed with `]`.
fn rest(
    head: Vec<u8>,
    array: SummaryArray,
    pages: ItemPages,
) -> impl futures_util::Stream<Item = Result<Bytes, BoxError>> + Send + 'static {
    futures_util::stream::unfold(
        (Some(head), Some((array, pages))),
        |(head, reading)| async move {
            if let Some(head) = head {
                return Some((Ok(Bytes::from(head)), (None, reading)));
            }
            let (mut array, mut pages) = reading?;
            match next_chunk(&mut array, &mut pages).await {
                Ok(chunk) if pages.finished() => Some((Ok(chunk), (None, None))),
                Ok(chunk) => Some((Ok(chunk), (None, Some((array, pages))))),
                Err(err) => {
                    tracing::error!(error = %err, "an item list was cut short");
                    Some((Err(err), (None, None)))
                }
            }
        },
    )
}

/// The next non-empty piece of the array (pages the filter matched nothing of are skipped), with
/// the closing `]` once the last page is read.
async fn next_chunk(array: &mut SummaryArray, pages: &mut ItemPages) -> Result<Bytes, BoxError> {
    loop {
        let Some(items) = pages.next_page().await? else {
            return Ok(Bytes::from_static(b"]"));
        };
        let mut chunk = array.push(&items)?;
        if pages.finished() {
            chunk.push(b']');
        }
        if !chunk.is_empty() {
            return Ok(Bytes::from(chunk));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SummaryArray;
    use crate::http::render;
    use crate::model::{Category, ItemData};
    use crate::store::ItemRecord;

    fn item(n: i64) -> ItemRecord {
        let mut data = ItemData::default();
        data.summary.title = format!("Item \"{n}\"");
        data.summary.tags = vec!["a".into(), format!("t{n}")];
        ItemRecord {
            vault_id: "v".repeat(26),
            id: format!("{n:026}"),
            category: Category::Login,
            version: n,
            state: None,
            created_at: n,
            updated_at: n,
            last_edited_by: "me".into(),
            data,
        }
    }

    #[test]
    fn pieces_make_the_same_bytes_as_the_whole_array() {
        let items: Vec<ItemRecord> = (1..=5).map(item).collect();
        let whole =
            serde_json::to_vec(&items.iter().map(render::summary).collect::<Vec<_>>()).unwrap();
        for pages in [
            vec![&items[..0], &items[..2], &items[2..2], &items[2..]],
            vec![&items[..]],
            vec![&items[..1], &items[1..4], &items[4..]],
        ] {
            let mut array = SummaryArray::default();
            let mut joined = Vec::new();
            for page in pages {
                joined.extend(array.push(page).unwrap());
            }
            joined.push(b']');
            assert_eq!(
                String::from_utf8(joined).unwrap(),
                String::from_utf8(whole.clone()).unwrap()
            );
        }
        let mut empty = SummaryArray::default().push(&[]).unwrap();
        empty.push(b']');
        assert_eq!(empty, b"[]");
    }
}
