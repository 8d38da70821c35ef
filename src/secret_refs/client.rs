//! The few Connect REST calls a resolver needs, over reqwest. The response shapes are lenient
//! (every key optional, `null` as absent) so that both latchkey's and 1Password's Connect parse.

use std::time::Duration;

use serde::Deserialize;

use super::Error;

/// How long one request may take before the resolver gives up on it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct VaultSummary {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ItemSummary {
    pub id: String,
    #[serde(default)]
    pub title: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SectionRef {
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Section {
    pub id: String,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Field {
    pub id: String,
    pub label: Option<String>,
    #[serde(rename = "type")]
    pub field_type: Option<String>,
    pub purpose: Option<String>,
    pub value: Option<String>,
    pub totp: Option<String>,
    pub section: Option<SectionRef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct File {
    pub id: String,
    pub name: String,
    pub size: i64,
    pub section: Option<SectionRef>,
}

/// A full item; `null` lists read as empty.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Item {
    pub id: String,
    pub title: String,
    pub sections: Option<Vec<Section>>,
    pub fields: Option<Vec<Field>>,
    pub files: Option<Vec<File>>,
}

#[derive(Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    host: String,
    token: String,
}

impl Client {
    pub fn new(host: &str, token: &str) -> Result<Client, Error> {
        let host = host.trim().trim_end_matches('/').to_string();
        if !(host.starts_with("http://") || host.starts_with("https://")) {
            return Err(Error::Config(format!(
                "OP_CONNECT_HOST must be an http:// or https:// URL, not {}",
                crate::text::quote(&host, 80)
            )));
        }
        if token.trim().is_empty() {
            return Err(Error::Config("OP_CONNECT_TOKEN is empty".into()));
        }
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("latchkey/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            host,
            token: token.trim().to_string(),
        })
    }

    /// GET `path`; a 404 is `Ok(None)`, any other non-2xx an [`Error::Connect`].
    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Option<Vec<u8>>, Error> {
        let response = self
            .http
            .get(format!("{}{path}", self.host))
            .query(query)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| self.transport(e))?;
        match status {
            200..=299 => Ok(Some(body.to_vec())),
            404 => Ok(None),
            _ => Err(Error::Connect {
                what: format!("GET {path}"),
                status,
                message: connect_message(&body),
            }),
        }
    }

    fn transport(&self, err: reqwest::Error) -> Error {
        // reqwest's Display names the URL (ids only) and the cause, never the token.
        Error::Transport {
            host: self.host.clone(),
            reason: err.without_url().to_string(),
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Option<T>, Error> {
        let Some(body) = self.get(path, query).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| Error::Connect {
                what: format!("GET {path}"),
                status: 200,
                message: format!("unexpected response: {e}"),
            })
    }

    pub async fn vaults(&self) -> Result<Vec<VaultSummary>, Error> {
        Ok(self.get_json("/v1/vaults", &[]).await?.unwrap_or_default())
    }

    /// Items whose title equals `title` (Connect's filter; case as the server compares).
    pub async fn items_titled(&self, vault: &str, title: &str) -> Result<Vec<ItemSummary>, Error> {
        let escaped = title.replace('\\', "\\\\").replace('"', "\\\"");
        let filter = format!("title eq \"{escaped}\"");
        let path = format!("/v1/vaults/{vault}/items");
        Ok(self
            .get_json(&path, &[("filter", &filter)])
            .await?
            .unwrap_or_default())
    }

    pub async fn items(&self, vault: &str) -> Result<Vec<ItemSummary>, Error> {
        let path = format!("/v1/vaults/{vault}/items");
        Ok(self.get_json(&path, &[]).await?.unwrap_or_default())
    }

    pub async fn item(&self, vault: &str, item: &str) -> Result<Option<Item>, Error> {
        self.get_json(&format!("/v1/vaults/{vault}/items/{item}"), &[])
            .await
    }

    pub async fn file_content(
        &self,
        vault: &str,
        item: &str,
        file: &str,
    ) -> Result<Option<Vec<u8>>, Error> {
        self.get(
            &format!("/v1/vaults/{vault}/items/{item}/files/{file}/content"),
            &[],
        )
        .await
    }
}

/// Connect's `{"status","message"}`, or the start of whatever else came back.
fn connect_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ConnectError {
        message: String,
    }
    match serde_json::from_slice::<ConnectError>(body) {
        Ok(err) => crate::text::quote(&err.message, 200)
            .trim_matches('"')
            .to_string(),
        Err(_) => crate::text::quote(&String::from_utf8_lossy(body), 120),
    }
}
