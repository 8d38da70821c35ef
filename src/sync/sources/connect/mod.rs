//! The `connect` source: another Connect-compatible server (1Password Connect, or another
//! latchkey) as the upstream. Reads are replicated into the local store — in full the first time,
//! then only items whose `version` changed — and writes made through this latchkey are sent
//! upstream first and stored locally only once the upstream accepted them.
//!
//! The upstream is not trusted more than a client: every answer is read with a size limit
//! ([`UpstreamLimits`]), requests go only to the configured server with paths built from
//! validated ids (`paths`), and redirects are not followed, so the token never leaves that server.

mod body;
mod convert;
mod elements;
mod paths;
#[cfg(test)]
mod tests;

use std::time::Duration;

use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

pub use convert::source_item;

use crate::config::{SourceKind, UpstreamLimits};
use crate::model::{ItemJson, VaultJson, VaultType};
use crate::sync::source::{
    BoxFuture, Source, SourceError, SourceFile, SourceItem, SourceItemMeta, SourceVault,
};
use body::{read_at_most, size};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How many item fetches the engine keeps in flight: each waits on the upstream most of its
/// time, so a few overlap its latency; every one of them reuses a pooled keep-alive connection.
const FETCH_CONCURRENCY: usize = 8;

/// How much of an error answer is read for its message (Connect's are a few hundred bytes).
const ERROR_BODY_BYTES: u64 = 64 * 1024;

/// Why an upstream call failed.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No answer (down, refused, timed out, not JSON).
    #[error("the upstream Connect server at {url} is unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    /// The upstream answered with an error; its status and message are relayed.
    #[error("{message}")]
    Rejected { status: u16, message: String },
    /// The upstream's answer was refused: too large, a redirect, or pointing elsewhere.
    #[error("the upstream Connect server at {url} sent an answer latchkey refuses: {reason}")]
    Refused { url: String, reason: String },
}

impl From<UpstreamError> for SourceError {
    fn from(err: UpstreamError) -> Self {
        match err {
            UpstreamError::Rejected {
                status: 401,
                message,
            } => SourceError::Unavailable(format!(
                "the upstream Connect server refused latchkey's token (401): {message}"
            )),
            other => SourceError::Unavailable(other.to_string()),
        }
    }
}

pub struct ConnectSource {
    base: Url,
    token: Zeroizing<String>,
    client: reqwest::Client,
    limits: UpstreamLimits,
}

impl ConnectSource {
    pub fn new(url: &str, token: &str, limits: UpstreamLimits) -> anyhow::Result<Self> {
        let base = paths::base_url(url)?;
        crate::tls::install_crypto_provider();
        // One client for every request, shared by concurrent fetches: its pool keeps a
        // keep-alive connection per fetch in flight, so a first sync of many items does not
        // connect (nor shake hands for TLS) once per item.
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(FETCH_CONCURRENCY)
            .tcp_nodelay(true)
            // A redirect could carry the token to another origin, or downgrade https to http.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("latchkey/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(ConnectSource {
            base,
            token: Zeroizing::new(token.to_string()),
            client,
            limits,
        })
    }

    /// The configured server, for messages.
    fn origin(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_string()
    }

    fn unreachable(&self, reason: impl std::fmt::Display) -> UpstreamError {
        UpstreamError::Unreachable {
            url: self.origin(),
            reason: reason.to_string(),
        }
    }

    fn refused(&self, reason: impl std::fmt::Display) -> UpstreamError {
        UpstreamError::Refused {
            url: self.origin(),
            reason: reason.to_string(),
        }
    }

    /// `GET /v1/vaults/…` for messages: ids only, which are not secret.
    fn describe_request(method: &Method, segments: &[&str]) -> String {
        format!("{method} /{}", segments.join("/"))
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        what: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<reqwest::Response, UpstreamError> {
        let mut request = self
            .client
            .request(method, url)
            .bearer_auth(self.token.as_str());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| self.unreachable(e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status.is_redirection() {
            return Err(self.refused(format!(
                "it answered {what} with a redirect ({}), which latchkey does not follow; give the \
                 source the server's final URL",
                status.as_u16()
            )));
        }
        let text = read_at_most(response, ERROR_BODY_BYTES)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let message = serde_json::from_slice::<crate::model::ErrorBody>(&text)
            .map(|b| crate::text::clip(&b.message, 300))
            .unwrap_or_else(|_| status.canonical_reason().unwrap_or("error").to_string());
        Err(UpstreamError::Rejected {
            status: status.as_u16(),
            message,
        })
    }

    /// A JSON answer, read up to the JSON limit.
    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&serde_json::Value>,
    ) -> Result<T, UpstreamError> {
        let what = Self::describe_request(&method, segments);
        let url = paths::endpoint(&self.base, segments);
        let response = self.send(method, url, &what, body).await?;
        let bytes = read_at_most(response, self.limits.max_json_bytes)
            .await
            .map_err(|e| self.unreachable(format!("reading the answer to {what}: {e}")))?
            .ok_or_else(|| self.json_too_large(&what))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            self.unreachable(format!(
                "unexpected response to {what}: {}",
                crate::text::json_error_message(&e)
            ))
        })
    }

    fn json_too_large(&self, what: &str) -> UpstreamError {
        self.refused(format!(
            "its answer to {what} is larger than {} (LATCHKEY_UPSTREAM_MAX_JSON_MB); \
             nothing of it was stored",
            size(self.limits.max_json_bytes)
        ))
    }

    /// The id and version of every item of a vault. The list (about 40 MB for 100,000 items) is
    /// parsed as it arrives, one item at a time, keeping only those two: the memory it takes is
    /// that of the ids, and the parse overlaps the upstream's writing of the list. It is bounded
    /// by the JSON limit like any answer: past it the run fails and nothing of the list is used.
    async fn item_versions(&self, vault_id: &str) -> Result<Vec<SourceItemMeta>, UpstreamError> {
        let segments = ["v1", "vaults", vault_id, "items"];
        let what = Self::describe_request(&Method::GET, &segments);
        let url = paths::endpoint(&self.base, &segments);
        let mut response = self.send(Method::GET, url, &what, None).await?;
        let limit = self.limits.max_json_bytes;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(self.json_too_large(&what));
        }
        let mut read = 0u64;
        let mut scan = elements::ArrayElements::new();
        let mut items = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.unreachable(format!("reading the answer to {what}: {e}")))?
        {
            read = read.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
            if read > limit {
                return Err(self.json_too_large(&what));
            }
            scan.feed(&chunk, |index, text| {
                let item: ItemVersion = serde_json::from_slice(text).map_err(|e| {
                    format!(
                        "item {index} of the list: {}",
                        crate::text::json_error_message(&e)
                    )
                })?;
                items.push(SourceItemMeta {
                    id: item.id,
                    revision: Some(item.version.to_string()),
                });
                Ok(())
            })
            .map_err(|reason| {
                self.unreachable(format!("unexpected response to {what}: {reason}"))
            })?;
        }
        scan.finish().map_err(|reason| {
            self.unreachable(format!("unexpected response to {what}: {reason}"))
        })?;
        Ok(items)
    }

    pub async fn get_item_json(
        &self,
        vault_id: &str,
        item_id: &str,
    ) -> Result<ItemJson, UpstreamError> {
        let item: ItemJson = self
            .json(
                Method::GET,
                &["v1", "vaults", vault_id, "items", item_id],
                None,
            )
            .await?;
        if item.id != item_id {
            return Err(self.refused(format!(
                "it answered GET /v1/vaults/{vault_id}/items/{item_id} with another item"
            )));
        }
        Ok(item)
    }

    pub async fn create_item(
        &self,
        vault_id: &str,
        body: &serde_json::Value,
    ) -> Result<ItemJson, UpstreamError> {
        self.json(
            Method::POST,
            &["v1", "vaults", vault_id, "items"],
            Some(body),
        )
        .await
    }

    pub async fn replace_item(
        &self,
        vault_id: &str,
        item_id: &str,
        body: &serde_json::Value,
    ) -> Result<ItemJson, UpstreamError> {
        self.json(
            Method::PUT,
            &["v1", "vaults", vault_id, "items", item_id],
            Some(body),
        )
        .await
    }

    pub async fn patch_item(
        &self,
        vault_id: &str,
        item_id: &str,
        ops: &serde_json::Value,
    ) -> Result<ItemJson, UpstreamError> {
        self.json(
            Method::PATCH,
            &["v1", "vaults", vault_id, "items", item_id],
            Some(ops),
        )
        .await
    }

    pub async fn delete_item(&self, vault_id: &str, item_id: &str) -> Result<(), UpstreamError> {
        let segments = ["v1", "vaults", vault_id, "items", item_id];
        let what = Self::describe_request(&Method::DELETE, &segments);
        let url = paths::endpoint(&self.base, &segments);
        self.send(Method::DELETE, url, &what, None)
            .await
            .map(|_| ())
    }

    /// The full item with its files' contents, as the sync engine stores it.
    pub async fn fetch_item(
        &self,
        vault_id: &str,
        item_id: &str,
    ) -> Result<SourceItem, UpstreamError> {
        let item = self.get_item_json(vault_id, item_id).await?;
        self.with_files(vault_id, item, |_| None).await
    }

    /// Converts an item of `vault_id` the upstream returned, fetching the contents of its files
    /// except those `known` already has (by file id). Contents come only from each file's own
    /// path on the configured server, and all of the item's files together are bounded by the
    /// file limit.
    pub async fn with_files(
        &self,
        vault_id: &str,
        item: ItemJson,
        known: impl Fn(&str) -> Option<Vec<u8>>,
    ) -> Result<SourceItem, UpstreamError> {
        let mut files = Vec::new();
        let mut budget = self.limits.max_file_bytes;
        for file in item.files.iter().flatten() {
            let content = match known(&file.id) {
                Some(content) => content,
                None => self.file_content(vault_id, &item.id, file, budget).await?,
            };
            budget = budget.saturating_sub(u64::try_from(content.len()).unwrap_or(u64::MAX));
            files.push(SourceFile {
                id: file.id.clone(),
                name: file.name.clone(),
                section: file.section.as_ref().map(|s| s.id.clone()),
                content,
            });
        }
        Ok(source_item(item, files))
    }

    async fn file_content(
        &self,
        vault_id: &str,
        item_id: &str,
        file: &crate::model::FileJson,
        budget: u64,
    ) -> Result<Vec<u8>, UpstreamError> {
        let url = paths::file_url(&self.base, vault_id, item_id, &file.id, &file.content_path)
            .map_err(|reason| self.refused(reason))?;
        let what = format!("GET {}", url.path());
        let response = self.send(Method::GET, url, &what, None).await?;
        read_at_most(response, budget)
            .await
            .map_err(|e| self.unreachable(format!("reading the answer to {what}: {e}")))?
            .ok_or_else(|| {
                self.refused(format!(
                    "the files of item {item_id} are larger than {} together \
                     (LATCHKEY_UPSTREAM_MAX_FILE_MB); nothing of the item was stored",
                    size(self.limits.max_file_bytes)
                ))
            })
    }
}

/// An item list entry: only what the engine needs, so a long list costs little beyond its text.
#[derive(serde::Deserialize)]
struct ItemVersion {
    id: String,
    version: i64,
}

impl Source for ConnectSource {
    fn kind(&self) -> &'static str {
        SourceKind::Connect.as_str()
    }

    fn fetch_concurrency(&self) -> usize {
        FETCH_CONCURRENCY
    }

    fn describe(&self) -> String {
        format!("Connect server {}", self.origin())
    }

    fn vaults(&self) -> BoxFuture<'_, Result<Vec<SourceVault>, SourceError>> {
        Box::pin(async move {
            let vaults: Vec<VaultJson> = self.json(Method::GET, &["v1", "vaults"], None).await?;
            Ok(vaults
                .into_iter()
                .map(|v| SourceVault {
                    id: v.id,
                    name: v.name,
                    description: v.description,
                    vault_type: VaultType::parse(&v.vault_type).unwrap_or(VaultType::UserCreated),
                    revision: Some(v.content_version.to_string()),
                })
                .collect())
        })
    }

    fn items<'a>(
        &'a self,
        vault_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SourceItemMeta>, SourceError>> {
        Box::pin(async move { Ok(self.item_versions(vault_id).await?) })
    }

    fn item<'a>(
        &'a self,
        vault_id: &'a str,
        item_id: &'a str,
    ) -> BoxFuture<'a, Result<SourceItem, SourceError>> {
        Box::pin(async move { Ok(self.fetch_item(vault_id, item_id).await?) })
    }
}
