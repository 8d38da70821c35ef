//! Converts one exported item: its state and category, the overview (title, favourite, tags,
//! URLs), then the details through [`ItemBuilder`].

use serde_json::{Map, Value};

use super::archive::Entries;
use super::item_body::ItemBuilder;
use super::json::{expected, get, list, object, scalar, sub_object, text};
use crate::model::{Category, ItemData, ItemSummaryData, StoredUrl};
use crate::sync::source::SourceItem;

pub(super) struct PendingItem {
    /// The export's uuid, trimmed; empty when it has none.
    pub(super) uuid: String,
    /// `id` is left empty: `import` gives it.
    pub(super) item: SourceItem,
    /// For each of `item.files`, the archive entry holding its bytes.
    pub(super) file_entries: Vec<usize>,
}

/// Converts one exported item; `None` for items that are not imported (trashed, tombstones).
/// Errors are `path: problem`, relative to the item.
pub(super) fn convert_item(
    value: &Value,
    entries: &Entries,
) -> Result<Option<PendingItem>, String> {
    let item = object(value)?;
    let state = match text(item, "state")?
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "active" => None,
        "archived" => Some("ARCHIVED".to_string()),
        "trashed" | "deleted" => return Ok(None),
        other => {
            tracing::warn!(
                state = other,
                "1PUX item with an unknown state imported as active"
            );
            None
        }
    };
    let code = match get(item, "categoryUuid") {
        None => String::new(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.as_u64().map(|n| format!("{n:03}")).unwrap_or_default(),
        Some(other) => return Err(expected("categoryUuid", "a string", other)),
    };
    let Some(category) = category(&code) else {
        return Ok(None);
    };
    let empty = Map::new();
    let overview = sub_object(item, "overview")?.unwrap_or(&empty);
    let details = sub_object(item, "details")?.unwrap_or(&empty);

    let summary = ItemSummaryData {
        title: text(overview, "title")
            .map_err(|e| format!("overview.{e}"))?
            .unwrap_or_default(),
        favorite: favorite(item)?,
        tags: tags(overview).map_err(|e| format!("overview.{e}"))?,
        urls: urls(overview).map_err(|e| format!("overview.{e}"))?,
    };

    let mut builder = ItemBuilder::new(category, entries);
    builder
        .built_ins(details)
        .map_err(|e| format!("details.{e}"))?;
    builder
        .sections(details)
        .map_err(|e| format!("details.{e}"))?;
    if let Some(document) =
        sub_object(details, "documentAttributes").map_err(|e| format!("details.{e}"))?
    {
        builder
            .file(document, None)
            .map_err(|e| format!("details.documentAttributes.{e}"))?;
    }
    let uuid = text(item, "uuid")?.unwrap_or_default().trim().to_string();
    let (body, files, file_entries) = builder.finish();
    Ok(Some(PendingItem {
        uuid,
        item: SourceItem {
            id: String::new(),
            category,
            state,
            data: ItemData { summary, body },
            files,
        },
        file_entries,
    }))
}

/// The `categoryUuid` codes (docs/1pux-format.md). `None` for the tombstone code, which marks a
/// deleted item.
pub(super) fn category(code: &str) -> Option<Category> {
    Some(match code {
        "001" => Category::Login,
        "002" => Category::CreditCard,
        "003" => Category::SecureNote,
        "004" => Category::Identity,
        "005" => Category::Password,
        "006" => Category::Document,
        "099" => return None,
        "100" => Category::SoftwareLicense,
        "101" => Category::BankAccount,
        "102" => Category::Database,
        "103" => Category::DriverLicense,
        "104" => Category::OutdoorLicense,
        "105" => Category::Membership,
        "106" => Category::Passport,
        "107" => Category::RewardProgram,
        "108" => Category::SocialSecurityNumber,
        "109" => Category::WirelessRouter,
        "110" => Category::Server,
        "111" => Category::EmailAccount,
        "112" => Category::ApiCredential,
        "113" => Category::MedicalRecord,
        "114" => Category::SshKey,
        _ => Category::Custom,
    })
}

fn favorite(item: &Map<String, Value>) -> Result<bool, String> {
    match get(item, "favIndex") {
        None => Ok(false),
        Some(Value::Number(n)) => Ok(n.as_f64().is_some_and(|f| f > 0.0)),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(expected("favIndex", "a number", other)),
    }
}

fn tags(overview: &Map<String, Value>) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for (i, tag) in list(overview, "tags")?.iter().enumerate() {
        let tag = scalar(tag).ok_or_else(|| expected(&format!("tags[{i}]"), "a string", tag))?;
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(tags)
}

fn urls(overview: &Map<String, Value>) -> Result<Vec<StoredUrl>, String> {
    let mut urls = Vec::new();
    for (i, entry) in list(overview, "urls")?.iter().enumerate() {
        let (href, label) = match entry {
            Value::String(href) => (href.clone(), None),
            Value::Object(url) => (
                text(url, "url")
                    .map_err(|e| format!("urls[{i}].{e}"))?
                    .unwrap_or_default(),
                text(url, "label")
                    .map_err(|e| format!("urls[{i}].{e}"))?
                    .filter(|l| !l.is_empty()),
            ),
            other => return Err(expected(&format!("urls[{i}]"), "an object", other)),
        };
        if !href.trim().is_empty() {
            urls.push(StoredUrl {
                label,
                primary: false,
                href,
            });
        }
    }
    match text(overview, "url")?.filter(|u| !u.trim().is_empty()) {
        Some(primary) => match urls.iter_mut().find(|u| u.href == primary) {
            Some(url) => url.primary = true,
            None => urls.insert(
                0,
                StoredUrl {
                    label: None,
                    primary: true,
                    href: primary,
                },
            ),
        },
        None => {
            if let Some(first) = urls.first_mut() {
                first.primary = true;
            }
        }
    }
    Ok(urls)
}
