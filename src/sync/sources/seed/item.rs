//! One item of a seed document: its title, id, category, tags, flags and URLs, its fields and
//! files, built by the API's own rules; any value of the item is redacted from its messages.

use std::collections::HashMap;

use crate::ids;
use crate::model::{
    build_item, BuildMode, Category, ItemData, ItemInput, Purpose, SectionInput, UrlInput,
};
use crate::sync::source::SourceItem;

use super::checks::{check_id, parse_name};
use super::clashes::field_clash;
use super::document::{flag, get, list, mapping, non_empty_text, text, Entries, Node};
use super::fields::{FieldSpec, Place};
use super::keys::{ITEM_KEYS, URL_KEYS};
use super::sections::{sections, SectionSpec};
use super::walk::{Ctx, Scope};

/// Replaces every value of the item that appears in `message` (values of four characters or more,
/// so that ordinary words survive).
pub(super) fn redact(mut message: String, secrets: &[String]) -> String {
    for secret in secrets {
        if secret.chars().count() >= 4 && message.contains(secret.as_str()) {
            message = message.replace(secret.as_str(), "<redacted>");
        }
    }
    message
}

/// The item's title and its section and field labels.
fn names(input: &ItemInput) -> Vec<String> {
    let sections = input.sections.iter().flatten().flatten();
    let fields = input.fields.iter().flatten();
    input
        .title
        .iter()
        .cloned()
        .chain(sections.filter_map(|s| s.label.clone()))
        .chain(fields.filter_map(|f| f.label.clone()))
        .collect()
}

fn tags(entries: &Entries, at: &str) -> Result<Vec<String>, String> {
    let mut tags = Vec::new();
    for tag in list(entries, "tags", at)? {
        tags.push(tag.scalar_text().ok_or_else(|| {
            format!(
                "{at}: every entry of `tags` must be text, not {}",
                tag.kind()
            )
        })?);
    }
    Ok(tags)
}

fn section_inputs(sections: &[SectionSpec<'_>]) -> Vec<Option<SectionInput>> {
    sections
        .iter()
        .map(|s| {
            Some(SectionInput {
                id: Some(s.id.clone()),
                label: s.label.clone(),
            })
        })
        .collect()
}

impl Ctx<'_> {
    /// The item and whether its id was given.
    pub(super) fn item(
        &self,
        vault_id: &str,
        vault_at: &str,
        node: &Node,
        index: usize,
    ) -> Result<(SourceItem, bool), String> {
        let mut secrets = Vec::new();
        self.item_inner(vault_id, vault_at, node, index, &mut secrets)
            .map_err(|message| redact(message, &secrets))
    }

    fn item_inner(
        &self,
        vault_id: &str,
        vault_at: &str,
        node: &Node,
        index: usize,
        secrets: &mut Vec<String>,
    ) -> Result<(SourceItem, bool), String> {
        let at = format!("{vault_at}, item #{}", index + 1);
        let entries = mapping(node, ITEM_KEYS, &at, "an item")?;
        let title =
            non_empty_text(entries, "title", &at)?.ok_or(format!("{at}: `title` is required"))?;
        let explicit = non_empty_text(entries, "id", &at)?;
        let id = match &explicit {
            Some(id) => {
                check_id(id, &at, "item")?;
                id.clone()
            }
            None => ids::derived_id("seed-item", &format!("{vault_id}/{title}")),
        };
        let scope = Scope {
            vault_id,
            item_id: &id,
            at: &at,
        };
        let category = match text(entries, "category", &at)? {
            None => Category::Login,
            Some(c) => parse_name(&c, Category::ALL, Category::parse, "category", &at)?,
        };
        let tags = tags(entries, &at)?;
        let favorite = flag(entries, "favorite", &at)?.unwrap_or(false);
        let archived = flag(entries, "archived", &at)?.unwrap_or(false);
        let urls = self.urls(entries, &at, secrets)?;
        let sections = sections(entries, &at)?;
        let fields = self.item_fields(&scope, entries, &sections, secrets)?;
        let files = self.files(&scope, entries, &sections)?;

        let input = ItemInput {
            title: Some(title),
            urls: Some(urls),
            favorite: Some(favorite),
            tags: Some(tags),
            sections: Some(section_inputs(&sections)),
            ..ItemInput::default()
        };
        let data = self.build(&at, category, input, fields)?;
        let item = SourceItem {
            id,
            category,
            state: archived.then(|| "ARCHIVED".to_string()),
            data,
            files,
        };
        Ok((item, explicit.is_some()))
    }

    /// The shorthands (`username`, `password`, `notes`), then `fields`, then each section's
    /// fields; two fields with the same id are an error.
    fn item_fields(
        &self,
        scope: &Scope<'_>,
        entries: &Entries,
        sections: &[SectionSpec<'_>],
        secrets: &mut Vec<String>,
    ) -> Result<Vec<FieldSpec>, String> {
        let mut fields = Vec::new();
        for (key, purpose) in [
            ("username", Purpose::Username),
            ("password", Purpose::Password),
            ("notes", Purpose::Notes),
        ] {
            if let Some(node) = get(entries, key) {
                fields.push(self.shorthand(scope, key, purpose, node, secrets)?);
            }
        }
        for (index, node) in list(entries, "fields", scope.at)?.iter().enumerate() {
            fields.push(self.field(scope, node, index, &Place::Item(sections), secrets)?);
        }
        for section in sections {
            for (index, node) in section.fields.iter().enumerate() {
                fields.push(self.field(scope, node, index, &Place::Section(section), secrets)?);
            }
        }
        let mut field_ids: HashMap<&str, &FieldSpec> = HashMap::new();
        for field in &fields {
            if let Some(first) = field_ids.insert(&field.id, field) {
                return Err(field_clash(scope.at, first, field));
            }
        }
        Ok(fields)
    }

    /// Builds the item by the API's own rules ([`build_item`]), then gives generated values their
    /// entropy.
    fn build(
        &self,
        at: &str,
        category: Category,
        mut input: ItemInput,
        fields: Vec<FieldSpec>,
    ) -> Result<ItemData, String> {
        let entropies: HashMap<String, f64> = fields
            .iter()
            .filter_map(|f| f.entropy.map(|e| (f.id.clone(), e)))
            .collect();
        // CUSTOM and DOCUMENT cannot be created through the API; SECURE_NOTE has the same built-in
        // fields (only notesPlain), so build as that and set the real category afterwards.
        let buildable = if category.creatable() {
            category
        } else {
            Category::SecureNote
        };
        input.category = Some(buildable.as_str().to_string());
        input.fields = Some(fields.into_iter().map(|f| f.input).collect());
        // The API's rules may quote what they check; names stay out of these messages too.
        let names = names(&input);
        let (_, mut data) = build_item(input, &BuildMode::Create, &self.limits)
            .map_err(|e| format!("{at}: {}", redact(e, &names)))?;
        for field in &mut data.body.fields {
            if let Some(entropy) = entropies.get(&field.id) {
                field.entropy = Some(*entropy);
            }
        }
        Ok(data)
    }

    fn urls(
        &self,
        entries: &Entries,
        at: &str,
        secrets: &mut Vec<String>,
    ) -> Result<Vec<UrlInput>, String> {
        let mut urls = Vec::new();
        for (index, node) in list(entries, "urls", at)?.iter().enumerate() {
            let url_at = format!("{at}, URL #{}", index + 1);
            let (href, label, primary) = match node {
                Node::Text(href) => (self.interpolate(href, &url_at, secrets)?, None, None),
                Node::Map(_) => {
                    let url = mapping(node, URL_KEYS, &url_at, "a URL")?;
                    let href = match get(url, "href") {
                        Some(Node::Text(href)) => self.interpolate(href, &url_at, secrets)?,
                        Some(other) => {
                            return Err(format!(
                                "{url_at}: `href` must be text, not {}",
                                other.kind()
                            ))
                        }
                        None => String::new(),
                    };
                    (
                        href,
                        non_empty_text(url, "label", &url_at)?,
                        flag(url, "primary", &url_at)?,
                    )
                }
                other => {
                    return Err(format!(
                        "{url_at}: a URL must be text or a mapping with `href`, not {}",
                        other.kind()
                    ))
                }
            };
            if href.is_empty() {
                return Err(format!("{url_at}: `href` is required"));
            }
            secrets.push(href.clone());
            urls.push(UrlInput {
                label,
                primary,
                href: Some(href),
            });
        }
        match urls.iter().filter(|u| u.primary == Some(true)).count() {
            0 => {
                if let Some(first) = urls.first_mut() {
                    first.primary = Some(true);
                }
            }
            1 => {}
            _ => return Err(format!("{at}: only one URL can be `primary`")),
        }
        Ok(urls)
    }
}
