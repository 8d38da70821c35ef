//! The `connect` source: another Connect-compatible server (1Password Connect, or another
//! latchkey) as the upstream. Reads are replicated into the local store — in full the first time,
//! then only items whose `version` changed — and writes made through this latchkey are sent
//! upstream first and stored locally only once the upstream accepted them.

use std::time::Duration;

use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::config::SourceKind;
use crate::model::{
    Category, FieldType, ItemBodyData, ItemData, ItemJson, ItemSummaryData, Purpose, StoredField,
    StoredSection, StoredUrl, VaultJson, VaultType,
};
use crate::sync::source::{
    BoxFuture, Source, SourceError, SourceFile, SourceItem, SourceItemMeta, SourceVault,
};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why an upstream call failed.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No answer (down, refused, timed out, not JSON).
    #[error("the upstream Connect server at {url} is unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    /// The upstream answered with an error; its status and message are relayed.
    #[error("{message}")]
    Rejected { status: u16, message: String },
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
    base: String,
    token: Zeroizing<String>,
    client: reqwest::Client,
}

impl ConnectSource {
    pub fn new(url: &str, token: &str) -> anyhow::Result<Self> {
        let base = url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            anyhow::bail!(
                "the connect source URL must start with http:// or https://, got \"{base}\""
            );
        }
        crate::tls::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("latchkey/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(ConnectSource {
            base,
            token: Zeroizing::new(token.to_string()),
            client,
        })
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    fn unreachable(&self, reason: impl std::fmt::Display) -> UpstreamError {
        UpstreamError::Unreachable {
            url: self.base.clone(),
            reason: reason.to_string(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<reqwest::Response, UpstreamError> {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(self.token.as_str());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| self.unreachable(e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<crate::model::ErrorBody>(&text)
            .map(|b| b.message)
            .unwrap_or_else(|_| status.canonical_reason().unwrap_or("error").to_string());
        Err(UpstreamError::Rejected {
            status: status.as_u16(),
            message,
        })
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, UpstreamError> {
        let response = self.send(method, path, body).await?;
        response
            .json::<T>()
            .await
            .map_err(|e| self.unreachable(format!("unexpected response to {path}: {e}")))
    }

    pub async fn get_item_json(
        &self,
        vault_id: &str,
        item_id: &str,
    ) -> Result<ItemJson, UpstreamError> {
        self.json(
            reqwest::Method::GET,
            &format!("/v1/vaults/{vault_id}/items/{item_id}"),
            None,
        )
        .await
    }

    pub async fn create_item(
        &self,
        vault_id: &str,
        body: &serde_json::Value,
    ) -> Result<ItemJson, UpstreamError> {
        self.json(
            reqwest::Method::POST,
            &format!("/v1/vaults/{vault_id}/items"),
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
            reqwest::Method::PUT,
            &format!("/v1/vaults/{vault_id}/items/{item_id}"),
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
            reqwest::Method::PATCH,
            &format!("/v1/vaults/{vault_id}/items/{item_id}"),
            Some(ops),
        )
        .await
    }

    pub async fn delete_item(&self, vault_id: &str, item_id: &str) -> Result<(), UpstreamError> {
        self.send(
            reqwest::Method::DELETE,
            &format!("/v1/vaults/{vault_id}/items/{item_id}"),
            None,
        )
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
        self.with_files(item, |_| None).await
    }

    /// Converts an item the upstream returned, fetching the contents of its files except those
    /// `known` already has (by file id).
    pub async fn with_files(
        &self,
        item: ItemJson,
        known: impl Fn(&str) -> Option<Vec<u8>>,
    ) -> Result<SourceItem, UpstreamError> {
        let mut files = Vec::new();
        for file in item.files.iter().flatten() {
            let content = match known(&file.id) {
                Some(content) => content,
                None => {
                    let response = self
                        .send(reqwest::Method::GET, &file.content_path, None)
                        .await?;
                    response
                        .bytes()
                        .await
                        .map_err(|e| self.unreachable(e))?
                        .to_vec()
                }
            };
            files.push(SourceFile {
                id: file.id.clone(),
                name: file.name.clone(),
                section: file.section.as_ref().map(|s| s.id.clone()),
                content,
            });
        }
        Ok(source_item(item, files))
    }
}

/// Converts a Connect item as served into the form the store keeps. Unknown categories and field
/// types from a newer upstream are kept as CUSTOM / UNKNOWN rather than dropped.
pub fn source_item(item: ItemJson, files: Vec<SourceFile>) -> SourceItem {
    let fields = item
        .fields
        .unwrap_or_default()
        .into_iter()
        .map(|f| StoredField {
            id: f.id,
            section: f.section.map(|s| s.id),
            field_type: FieldType::parse(&f.field_type).unwrap_or(FieldType::Unknown),
            purpose: Purpose::parse(&f.purpose).unwrap_or(Purpose::None),
            label: f.label,
            value: f.value,
            entropy: f.entropy,
        })
        .collect();
    SourceItem {
        id: item.id,
        category: Category::parse(&item.category).unwrap_or(Category::Custom),
        state: item.state,
        data: ItemData {
            summary: ItemSummaryData {
                title: item.title,
                favorite: item.favorite,
                tags: item.tags,
                urls: item
                    .urls
                    .into_iter()
                    .map(|u| StoredUrl {
                        label: u.label,
                        primary: u.primary,
                        href: u.href,
                    })
                    .collect(),
            },
            body: ItemBodyData {
                sections: item
                    .sections
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| StoredSection {
                        id: s.id,
                        label: s.label,
                    })
                    .collect(),
                fields,
                files: Vec::new(),
            },
        },
        files,
    }
}

impl Source for ConnectSource {
    fn kind(&self) -> &'static str {
        SourceKind::Connect.as_str()
    }

    fn describe(&self) -> String {
        format!("Connect server {}", self.base)
    }

    fn vaults(&self) -> BoxFuture<'_, Result<Vec<SourceVault>, SourceError>> {
        Box::pin(async move {
            let vaults: Vec<VaultJson> =
                self.json(reqwest::Method::GET, "/v1/vaults", None).await?;
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
        Box::pin(async move {
            let items: Vec<ItemJson> = self
                .json(
                    reqwest::Method::GET,
                    &format!("/v1/vaults/{vault_id}/items"),
                    None,
                )
                .await?;
            Ok(items
                .into_iter()
                .map(|i| SourceItemMeta {
                    id: i.id,
                    revision: Some(i.version.to_string()),
                })
                .collect())
        })
    }

    fn item<'a>(
        &'a self,
        vault_id: &'a str,
        item_id: &'a str,
    ) -> BoxFuture<'a, Result<SourceItem, SourceError>> {
        Box::pin(async move { Ok(self.fetch_item(vault_id, item_id).await?) })
    }
}
