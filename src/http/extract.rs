//! Extractors whose rejections are Connect errors, never axum's plain-text ones.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::{AppState, RequestMeta};
use crate::auth::Access;
use crate::filter::{self, Filter};
use crate::ids;
use crate::text::json_error_message;

/// The caller's access, from `Authorization: Bearer …`.
pub struct Auth(pub Access);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let access = state.auth.authenticate(header).await?;
        if let Some(meta) = parts.extensions.get::<Arc<RequestMeta>>() {
            let _ = meta.jti.set(access.jti.clone());
        }
        Ok(Auth(access))
    }
}

/// Request facts set by the middleware (present on every routed request).
pub struct Meta(pub Arc<RequestMeta>);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(Meta(
            parts
                .extensions
                .get::<Arc<RequestMeta>>()
                .cloned()
                .unwrap_or_default(),
        ))
    }
}

/// Path ids, shape-checked: a malformed id is Connect's 400 `Invalid Vault UUID` (or Item, File).
pub struct Ids {
    pub vault: String,
    pub item: Option<String>,
    pub file: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Ids {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("Invalid path"))?;
        let mut ids_found = Ids {
            vault: String::new(),
            item: None,
            file: None,
        };
        for (name, value) in &params {
            match name {
                "vaultUuid" => {
                    if !ids::is_valid_id(value) {
                        return Err(ApiError::bad_request("Invalid Vault UUID"));
                    }
                    ids_found.vault = value.to_string();
                }
                "itemUuid" => {
                    if !ids::is_valid_id(value) {
                        return Err(ApiError::bad_request("Invalid Item UUID"));
                    }
                    ids_found.item = Some(value.to_string());
                }
                "fileUuid" => {
                    if !ids::is_valid_id(value) {
                        return Err(ApiError::bad_request("Invalid File UUID"));
                    }
                    ids_found.file = Some(value.to_string());
                }
                _ => {}
            }
        }
        Ok(ids_found)
    }
}

impl Ids {
    pub fn item(&self) -> &str {
        self.item.as_deref().unwrap_or_default()
    }

    pub fn file(&self) -> &str {
        self.file.as_deref().unwrap_or_default()
    }
}

/// A JSON body: 413 above the configured size, 400 with a value-free message when malformed.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.config.max_body_bytes;
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|err| {
                if super::serve::is_body_timeout(&err) {
                    ApiError::RequestTimeout("Request body was not received in time".into())
                } else {
                    ApiError::PayloadTooLarge(format!(
                        "Request body is too large (at most {limit} bytes)"
                    ))
                }
            })?;
        if bytes.is_empty() {
            return Err(ApiError::bad_request(
                "Request body is empty; expected JSON",
            ));
        }
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            ApiError::bad_request(format!("Invalid JSON body: {}", json_error_message(&e)))
        })
    }
}

/// Query parameters, with a Connect error when they do not parse.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query)
            .map(QueryParams)
            .map_err(|e| ApiError::bad_request(format!("Invalid query string: {e}")))
    }
}

/// Connect's boolean query flags: `true`/`1` (any case) are true.
pub fn flag(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

#[derive(Deserialize)]
pub struct FilterQuery {
    pub filter: Option<String>,
}

/// Parses `?filter=`; an absent or blank filter means everything.
pub fn parse_filter(raw: Option<&str>, allowed: &[&str], what: &str) -> ApiResult<Option<Filter>> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(None);
    };
    let parsed = filter::parse(raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    parsed
        .check_attributes(allowed, what)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok(Some(parsed))
}
