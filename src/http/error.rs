//! The one error type of the HTTP layer, rendered as Connect's `{"status": N, "message": "..."}`,
//! and every conversion into it: the layers below have their own error types, and this file
//! decides which status each of their cases is. Internal details are logged once by the
//! middleware and never sent to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::auth::AuthError;
use crate::model::ErrorBody;
use crate::store::StoreError;
use crate::sync::forward::ForwardError;
use crate::sync::sources::connect::UpstreamError;
use crate::writes::WriteError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    Unavailable(String),
    /// The upstream Connect server (the `connect` source) could not take a write.
    #[error("{0}")]
    BadGateway(String),
    /// The detail is logged once by the HTTP layer and never sent to the client.
    #[error("Something went wrong")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(message.into())
    }

    pub fn vault_not_found(vault_id: &str) -> Self {
        ApiError::NotFound(format!("vault {vault_id} not found"))
    }

    pub fn item_not_found(item_id: &str) -> Self {
        ApiError::NotFound(format!("item {item_id} not found"))
    }

    pub fn file_not_found(file_id: &str) -> Self {
        ApiError::NotFound(format!("file {file_id} not found"))
    }
}

/// Marks a response whose error was internal, so that the logging middleware reports it once.
#[derive(Clone, Debug)]
pub struct InternalErrorDetail(pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody {
            status: status.as_u16(),
            message: self.to_string(),
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::Internal(err) = &self {
            response
                .extensions_mut()
                .insert(InternalErrorDetail(format!("{err:#}")));
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        ApiError::Internal(err.into())
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Invalid(message) => ApiError::BadRequest(message),
            StoreError::Conflict(message) => ApiError::Conflict(message),
            other => ApiError::Internal(other.into()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<UpstreamError> for ApiError {
    fn from(err: UpstreamError) -> Self {
        match err {
            UpstreamError::Rejected { status, message } => {
                let message = format!("upstream: {message}");
                match status {
                    400 | 422 => ApiError::BadRequest(message),
                    401 => ApiError::BadGateway(format!(
                        "the upstream Connect server refused latchkey's token; nothing was stored ({message})"
                    )),
                    403 => ApiError::Forbidden(message),
                    404 => ApiError::NotFound(message),
                    409 => ApiError::Conflict(message),
                    413 => ApiError::PayloadTooLarge(message),
                    _ => ApiError::BadGateway(format!("the upstream Connect server failed; nothing was stored ({message})")),
                }
            }
            other @ (UpstreamError::Unreachable { .. } | UpstreamError::Refused { .. }) => {
                ApiError::BadGateway(format!("{other}; nothing was stored"))
            }
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Invalid(message) => ApiError::Unauthorized(message.into()),
            AuthError::Store(err) => ApiError::Internal(err.into()),
        }
    }
}

impl From<ForwardError> for ApiError {
    fn from(err: ForwardError) -> Self {
        match err {
            ForwardError::Upstream(err) => err.into(),
            ForwardError::Store(err) => err.into(),
            ForwardError::Vanished(item_id) => ApiError::item_not_found(&item_id),
            sync @ ForwardError::Sync(_) => ApiError::Internal(sync.into()),
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::NoVault(vault_id) => ApiError::vault_not_found(&vault_id),
            WriteError::NoItem(item_id) => ApiError::item_not_found(&item_id),
            WriteError::Store(err) => err.into(),
            WriteError::Forward(err) => err.into(),
        }
    }
}
