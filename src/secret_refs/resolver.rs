//! [`Resolver`]: `resolve` and `resolve_all` over the Connect REST API.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::client::{Client, Item};
use super::reference::Reference;
use super::select::{self, Target};
use super::{Error, Part};

/// How many requests a resolver has in flight at once by default.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Pauses before asking again for an item the title lookup listed but a GET answered 404 for:
/// 1Password's Connect serves lists and items from caches that catch up a moment after a write.
const NOT_FOUND_RETRIES: [Duration; 3] = [
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_millis(1000),
];

/// Resolves secret references through one Connect server. Cheap to clone.
#[derive(Clone)]
pub struct Resolver {
    client: Client,
    concurrency: usize,
}

/// (vault id, item name or id as written, lower-cased): one lookup per distinct item.
type ItemKey = (String, String);

impl Resolver {
    /// A resolver for the Connect server at `host` (`http(s)://…`, as `OP_CONNECT_HOST`) with
    /// the access token `token` (as `OP_CONNECT_TOKEN`).
    pub fn new(host: &str, token: &str) -> Result<Resolver, Error> {
        Ok(Resolver {
            client: Client::new(host, token)?,
            concurrency: DEFAULT_CONCURRENCY,
        })
    }

    /// At most `requests` requests in flight at once (at least 1).
    pub fn with_concurrency(mut self, requests: usize) -> Resolver {
        self.concurrency = requests.max(1);
        self
    }

    /// The value one reference points at, as text (see [`Resolver::resolve_bytes`] for files).
    pub async fn resolve(&self, reference: &str) -> Result<String, Error> {
        let mut values = self.resolve_all([reference]).await?;
        Ok(values.pop().unwrap_or_default())
    }

    /// The bytes one reference points at (a file attachment's content need not be text).
    pub async fn resolve_bytes(&self, reference: &str) -> Result<Vec<u8>, Error> {
        let reference = Reference::parse(reference)?;
        let mut values = self
            .resolve_parsed(std::slice::from_ref(&reference))
            .await?;
        Ok(values.pop().unwrap_or_default())
    }

    /// The values of many references, in the order given, with one vault list and one lookup
    /// per distinct item, concurrently. The first failing reference fails the whole call.
    pub async fn resolve_all<I, S>(&self, references: I) -> Result<Vec<String>, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let parsed = references
            .into_iter()
            .map(|r| Reference::parse(r.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let values = self.resolve_parsed(&parsed).await?;
        parsed
            .iter()
            .zip(values)
            .map(|(reference, bytes)| {
                String::from_utf8(bytes).map_err(|_| Error::Attribute {
                    reference: reference.to_string(),
                    reason: "the value is not UTF-8 text (a binary file?)".into(),
                })
            })
            .collect()
    }

    /// [`Resolver::resolve_all`] on parsed references, as bytes.
    pub async fn resolve_parsed(&self, references: &[Reference]) -> Result<Vec<Vec<u8>>, Error> {
        if references.is_empty() {
            return Ok(Vec::new());
        }
        let vaults = self.client.vaults().await?;
        let mut keys = Vec::with_capacity(references.len());
        for reference in references {
            let vault = select::vault_id(&vaults, reference)?;
            keys.push((vault, reference.item.to_lowercase()));
        }
        let items = self.fetch_items(references, &keys).await?;
        let mut values = Vec::with_capacity(references.len());
        let mut files = Vec::new();
        for (index, (reference, key)) in references.iter().zip(&keys).enumerate() {
            let item = &items[key];
            let value = match select::target(item, reference)? {
                Target::Field(field) => select::field_value(field, reference)?,
                Target::File(file) => match select::file_value(file, reference)? {
                    Some(value) => value,
                    None => {
                        files.push((index, key.0.clone(), item.id.clone(), file.id.clone()));
                        Vec::new()
                    }
                },
            };
            values.push(value);
        }
        self.fetch_files(references, files, &mut values).await?;
        Ok(values)
    }

    /// Each distinct item once, at most `concurrency` at a time.
    async fn fetch_items(
        &self,
        references: &[Reference],
        keys: &[ItemKey],
    ) -> Result<HashMap<ItemKey, Item>, Error> {
        let limit = Arc::new(Semaphore::new(self.concurrency));
        let mut tasks = JoinSet::new();
        let mut first_use: HashMap<&ItemKey, usize> = HashMap::new();
        for (index, key) in keys.iter().enumerate() {
            if first_use.contains_key(key) {
                continue;
            }
            first_use.insert(key, index);
            let (client, limit) = (self.client.clone(), limit.clone());
            let (key, reference) = (key.clone(), references[index].clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let found = find_item(&client, &key.0, &reference).await;
                (index, key, found)
            });
        }
        let mut items = HashMap::new();
        let mut failures = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let (index, key, found) = joined.map_err(|e| Error::Config(format!("lookup: {e}")))?;
            match found {
                Ok(item) => {
                    items.insert(key, item);
                }
                Err(err) => failures.push((index, err)),
            }
        }
        // The error of the first reference in the caller's order, whatever finished first.
        failures.sort_by_key(|(index, _)| *index);
        match failures.into_iter().next() {
            Some((_, err)) => Err(err),
            None => Ok(items),
        }
    }

    /// The content of the files references point at, one request per distinct file.
    async fn fetch_files(
        &self,
        references: &[Reference],
        files: Vec<(usize, String, String, String)>,
        values: &mut [Vec<u8>],
    ) -> Result<(), Error> {
        let limit = Arc::new(Semaphore::new(self.concurrency));
        let mut tasks = JoinSet::new();
        let mut pending: HashMap<(String, String, String), Vec<usize>> = HashMap::new();
        for (index, vault, item, file) in files {
            pending.entry((vault, item, file)).or_default().push(index);
        }
        for ((vault, item, file), indexes) in pending {
            let (client, limit) = (self.client.clone(), limit.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let content = client.file_content(&vault, &item, &file).await;
                (indexes, content)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let (indexes, content) = joined.map_err(|e| Error::Config(format!("lookup: {e}")))?;
            let content = content?.ok_or_else(|| Error::NotFound {
                reference: references[indexes[0]].to_string(),
                part: Part::Field,
                name: references[indexes[0]].field.clone(),
                hint: " (the file's content is gone)".into(),
            })?;
            for index in indexes {
                values[index] = content.clone();
            }
        }
        Ok(())
    }
}

/// The item a reference names in `vault`: by id when it is one, else by title (Connect's filter,
/// then the whole list compared case-insensitively when the filter found none).
async fn find_item(client: &Client, vault: &str, reference: &Reference) -> Result<Item, Error> {
    let wanted = reference.item.as_str();
    if crate::ids::is_valid_id(&wanted.to_ascii_lowercase()) {
        if let Some(item) = client.item(vault, &wanted.to_ascii_lowercase()).await? {
            return Ok(item);
        }
    }
    let mut found = client.items_titled(vault, wanted).await?;
    found.retain(|i| select::same_name(&i.title, wanted));
    if found.is_empty() {
        found = client.items(vault).await?;
        found.retain(|i| select::same_name(&i.title, wanted));
    }
    let id = match found.as_slice() {
        [only] => only.id.clone(),
        [] => {
            return Err(Error::NotFound {
                reference: reference.to_string(),
                part: Part::Item,
                name: wanted.to_string(),
                hint: format!(" in vault {:?} ({vault})", reference.vault),
            })
        }
        several => {
            return Err(Error::Ambiguous {
                reference: reference.to_string(),
                part: Part::Item,
                name: wanted.to_string(),
                candidates: several.iter().map(|i| i.id.clone()).collect(),
            })
        }
    };
    if let Some(item) = client.item(vault, &id).await? {
        return Ok(item);
    }
    for pause in NOT_FOUND_RETRIES {
        tokio::time::sleep(pause).await;
        if let Some(item) = client.item(vault, &id).await? {
            return Ok(item);
        }
    }
    Err(Error::NotFound {
        reference: reference.to_string(),
        part: Part::Item,
        name: wanted.to_string(),
        hint: format!(" (Connect lists {id} but does not return it)"),
    })
}
