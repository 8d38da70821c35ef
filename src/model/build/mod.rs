//! Turns a client's item body into the stored item: validation, server-assigned ids, built-in
//! fields, generated values, OTP and date normalisation. Every rejection is a message for a 400.
//! This file checks the item as a whole; [`field`] builds each field.

mod field;

use super::{
    Category, ItemBodyData, ItemData, ItemInput, ItemSummaryData, SectionInput, StoredSection,
    StoredUrl, UrlInput,
};
use crate::ids;

/// Bounds on what one item may hold, so that a hostile body cannot make the store grow without end.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_title_chars: usize,
    pub max_label_chars: usize,
    pub max_fields: usize,
    pub max_sections: usize,
    pub max_tags: usize,
    pub max_tag_chars: usize,
    pub max_urls: usize,
    pub max_value_bytes: usize,
    /// Operations in one PATCH body (`LATCHKEY_MAX_PATCH_OPS`).
    pub max_patch_ops: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_title_chars: 1024,
            max_label_chars: 1024,
            max_fields: 1000,
            max_sections: 200,
            max_tags: 100,
            max_tag_chars: 256,
            max_urls: 100,
            max_value_bytes: 256 * 1024,
            max_patch_ops: 1000,
        }
    }
}

/// Whether the body creates an item or replaces an existing one (whose category and files it keeps).
pub enum BuildMode<'a> {
    Create,
    Replace {
        category: Category,
        previous: &'a ItemData,
    },
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// Validates `input` and produces the category and the stored item.
pub fn build_item(
    input: ItemInput,
    mode: &BuildMode<'_>,
    limits: &Limits,
) -> Result<(Category, ItemData), String> {
    let category = resolve_category(mode, input.category)?;
    let previous = match mode {
        BuildMode::Create => None,
        BuildMode::Replace { previous, .. } => Some(*previous),
    };

    let title = input.title.unwrap_or_default();
    check_len("title", &title, limits.max_title_chars)?;
    let tags = build_tags(input.tags.unwrap_or_default(), limits)?;
    let urls = build_urls(input.urls.unwrap_or_default(), limits)?;
    let mut sections = build_sections(input.sections.unwrap_or_default(), limits)?;
    let fields = field::build_fields(
        input.fields.unwrap_or_default(),
        category,
        &mut sections,
        previous,
        limits,
    )?;

    let files = previous.map(|p| p.body.files.clone()).unwrap_or_default();

    Ok((
        category,
        ItemData {
            summary: ItemSummaryData {
                title,
                favorite: input.favorite.unwrap_or(false),
                tags,
                urls,
            },
            body: ItemBodyData {
                sections,
                fields,
                files,
            },
        },
    ))
}

/// A new item needs a category it may be created with; a replacement keeps the item's category.
fn resolve_category(mode: &BuildMode<'_>, requested: Option<String>) -> Result<Category, String> {
    match (mode, non_empty(requested)) {
        (BuildMode::Create, None) => Err("Invalid item category: category is required".into()),
        (BuildMode::Create, Some(c)) => {
            let category = Category::parse(&c).ok_or_else(|| {
                format!("Invalid item category \"{}\"", crate::text::clip(&c, 40))
            })?;
            if !category.creatable() {
                return Err(format!(
                    "Invalid item category: {category} items cannot be created through the Connect API"
                ));
            }
            Ok(category)
        }
        (BuildMode::Replace { category, .. }, None) => Ok(*category),
        (BuildMode::Replace { category, .. }, Some(c)) => {
            if c != category.as_str() {
                return Err(format!(
                    "The category cannot be changed after creating an item (item is {category})"
                ));
            }
            Ok(*category)
        }
    }
}

/// Tags without empty ones and repeats, in the order given.
fn build_tags(tags_in: Vec<String>, limits: &Limits) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in tags_in {
        check_len("tag", &tag, limits.max_tag_chars)?;
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > limits.max_tags {
        return Err(format!(
            "Too many tags: {} (at most {})",
            tags.len(),
            limits.max_tags
        ));
    }
    Ok(tags)
}

fn build_urls(urls_in: Vec<UrlInput>, limits: &Limits) -> Result<Vec<StoredUrl>, String> {
    if urls_in.len() > limits.max_urls {
        return Err(format!(
            "Too many URLs: {} (at most {})",
            urls_in.len(),
            limits.max_urls
        ));
    }
    let mut urls = Vec::with_capacity(urls_in.len());
    for url in urls_in {
        let href = url.href.unwrap_or_default();
        if href.is_empty() {
            // Terraform and the Vault plugin always send `[{primary: true, href: ""}]` for an
            // item without a URL; Connect takes "" as absent.
            continue;
        }
        check_bytes("URL", &href, limits.max_value_bytes)?;
        let label = non_empty(url.label);
        if let Some(label) = &label {
            check_len("URL label", label, limits.max_label_chars)?;
        }
        urls.push(StoredUrl {
            label,
            primary: url.primary.unwrap_or(false),
            href,
        });
    }
    Ok(urls)
}

/// The declared sections (`null` entries skipped); fields may add more that they refer to.
fn build_sections(
    sections_in: Vec<Option<SectionInput>>,
    limits: &Limits,
) -> Result<Vec<StoredSection>, String> {
    let sections_in: Vec<_> = sections_in.into_iter().flatten().collect();
    if sections_in.len() > limits.max_sections {
        return Err(format!(
            "Too many sections: {} (at most {})",
            sections_in.len(),
            limits.max_sections
        ));
    }
    let mut sections: Vec<StoredSection> = Vec::with_capacity(sections_in.len());
    for section in sections_in {
        let id = non_empty(section.id).unwrap_or_else(ids::new_id);
        check_len("section id", &id, 128)?;
        if sections.iter().any(|s| s.id == id) {
            return Err(format!("Duplicate section id \"{id}\""));
        }
        let label = non_empty(section.label);
        if let Some(label) = &label {
            check_len("section label", label, limits.max_label_chars)?;
        }
        sections.push(StoredSection { id, label });
    }
    Ok(sections)
}

fn check_len(what: &str, s: &str, max_chars: usize) -> Result<(), String> {
    if s.len() > max_chars * 4 || s.chars().count() > max_chars {
        return Err(format!(
            "The {what} is too long (at most {max_chars} characters)"
        ));
    }
    Ok(())
}

fn check_bytes(what: &str, s: &str, max_bytes: usize) -> Result<(), String> {
    if s.len() > max_bytes {
        return Err(format!(
            "The {what} is too long (at most {max_bytes} bytes)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FieldType;

    fn input(json: serde_json::Value) -> ItemInput {
        serde_json::from_value(json).unwrap()
    }

    fn create(json: serde_json::Value) -> Result<(Category, ItemData), String> {
        build_item(input(json), &BuildMode::Create, &Limits::default())
    }

    #[test]
    fn login_gets_built_in_fields_first() {
        let (category, item) = create(serde_json::json!({
            "category": "LOGIN", "title": "t",
            "fields": [
                {"label": "extra", "value": "x"},
                {"purpose": "PASSWORD", "value": "pw"},
                {"purpose": "USERNAME", "value": "me"}
            ]
        }))
        .unwrap();
        assert_eq!(category, Category::Login);
        let ids: Vec<_> = item.body.fields.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(&ids[..3], ["username", "password", "notesPlain"]);
        assert_eq!(item.body.fields[1].field_type, FieldType::Concealed);
        assert_eq!(item.body.fields[1].label, "password");
        assert_eq!(item.body.fields[1].value.as_deref(), Some("pw"));
        assert!(ids::is_valid_id(ids[3]));
    }

    #[test]
    fn a_built_in_field_named_by_id_alone_is_built_as_with_its_purpose() {
        // PATCH `replace /fields/password` with `{"value": …}` sends the field by id alone; found
        // by fuzzing (fuzz/corpus/patch): it lost its label, type and entropy, and the next no-op
        // PATCH changed the item.
        let fields = |by_purpose: bool| {
            let (_, item) = create(serde_json::json!({"category": "LOGIN", "fields": if by_purpose {
                serde_json::json!([{"purpose": "USERNAME", "value": "me"}, {"purpose": "PASSWORD", "value": "pw"}])
            } else {
                serde_json::json!([{"id": "username", "value": "me"}, {"id": "password", "value": "pw"}])
            }}))
            .unwrap();
            item.body.fields
        };
        let by_id = fields(false);
        assert_eq!(by_id, fields(true));
        assert_eq!(by_id[1].label, "password");
        assert_eq!(by_id[1].field_type, FieldType::Concealed);
        assert!(by_id[1].entropy.is_some());
        // Outside a category with that built-in field, the id is an ordinary custom id.
        let (_, note) = create(serde_json::json!({"category": "SECURE_NOTE", "fields": [
            {"id": "password", "value": "pw"}]}))
        .unwrap();
        let custom = note
            .body
            .fields
            .iter()
            .find(|f| f.id == "password")
            .unwrap();
        assert_eq!(
            (custom.purpose, custom.field_type, custom.label.as_str()),
            (crate::model::Purpose::None, FieldType::String, "")
        );
    }

    #[test]
    fn tolerates_go_zero_values_and_nulls() {
        let (_, item) = create(serde_json::json!({
            "id": "", "title": "", "vault": {"id": ""}, "category": "PASSWORD",
            "createdAt": "0001-01-01T00:00:00Z", "updatedAt": "0001-01-01T00:00:00Z",
            "trashed": false, "files": [], "urls": null, "tags": null, "sections": [null],
            "fields": [{"type": "", "purpose": "PASSWORD", "value": "v", "section": null, "recipe": null}]
        }))
        .unwrap();
        assert_eq!(item.body.fields.len(), 2);
    }

    #[test]
    fn refuses_custom_document_unknown_and_duplicates() {
        for category in ["CUSTOM", "DOCUMENT", "NOPE", ""] {
            assert!(
                create(serde_json::json!({"category": category})).is_err(),
                "{category}"
            );
        }
        let err = create(serde_json::json!({"category": "LOGIN", "fields": [
            {"purpose": "PASSWORD", "value": "a"}, {"purpose": "PASSWORD", "value": "b"}]}))
        .unwrap_err();
        assert!(err.contains("only use one"), "{err}");
        let err = create(serde_json::json!({"category": "LOGIN", "fields": [{"type": "WHAT"}]}))
            .unwrap_err();
        assert!(err.contains("Invalid field type"), "{err}");
    }

    #[test]
    fn generates_and_normalises() {
        let (_, item) = create(serde_json::json!({"category": "LOGIN", "fields": [
            {"purpose": "PASSWORD", "generate": true, "recipe": {"length": 12, "characterSets": ["DIGITS"]}},
            {"type": "DATE", "value": "2024-02-29", "label": "d"},
            {"type": "MONTH_YEAR", "value": "2027/12", "label": "m"},
            {"type": "OTP", "value": "JBSWY3DPEHPK3PXP", "label": "otp"}
        ]}))
        .unwrap();
        let password = &item.body.fields[1];
        let value = password.value.as_deref().unwrap();
        assert_eq!(value.len(), 12);
        assert!(value.bytes().all(|b| b.is_ascii_digit()));
        assert!(password.entropy.unwrap() > 39.0);
        let date = item.body.fields.iter().find(|f| f.label == "d").unwrap();
        assert_eq!(date.value.as_deref(), Some("1709164800"));
        let month = item.body.fields.iter().find(|f| f.label == "m").unwrap();
        assert_eq!(month.value.as_deref(), Some("202712"));
        assert!(create(serde_json::json!({"category": "LOGIN", "fields": [
            {"type": "OTP", "value": "not base32 !!!"}]}))
        .is_err());
    }

    #[test]
    fn replace_keeps_category_and_files_and_refuses_change() {
        let (_, mut previous) = create(serde_json::json!({"category": "LOGIN"})).unwrap();
        previous.body.files.push(super::super::StoredFile {
            id: ids::new_id(),
            name: "a.txt".into(),
            size: 1,
            section: None,
        });
        let mode = BuildMode::Replace {
            category: Category::Login,
            previous: &previous,
        };
        let (_, item) = build_item(
            input(serde_json::json!({"title": "x"})),
            &mode,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(item.body.files.len(), 1);
        let err = build_item(
            input(serde_json::json!({"category": "PASSWORD"})),
            &mode,
            &Limits::default(),
        )
        .unwrap_err();
        assert!(err.contains("cannot be changed"));
    }

    #[test]
    fn limits_are_enforced() {
        let long_title = "x".repeat(2000);
        assert!(create(serde_json::json!({"category": "LOGIN", "title": long_title})).is_err());
        let fields: Vec<_> = (0..1001)
            .map(|i| serde_json::json!({"label": format!("f{i}")}))
            .collect();
        assert!(create(serde_json::json!({"category": "LOGIN", "fields": fields})).is_err());
    }
}
