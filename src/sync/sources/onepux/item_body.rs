//! Builds an item's body: the built-in fields first (see `login_fields`), then sections and
//! their fields, with section and field ids made unique within the item.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::archive::Entries;
use super::json::{list, non_empty, object, sub_object, text};
use super::unique_ids::{unique_id, MAX_ID_CHARS};
use super::values::{convert_value, value_kind};
use crate::model::{Category, FieldType, ItemBodyData, Purpose, StoredField, StoredSection};
use crate::sync::source::SourceFile;

/// The built-in fields: id, purpose and type, in the order they come first.
pub(super) const BUILT_INS: [(&str, Purpose, FieldType); 3] = [
    ("username", Purpose::Username, FieldType::String),
    ("password", Purpose::Password, FieldType::Concealed),
    ("notesPlain", Purpose::Notes, FieldType::String),
];

/// Which built-ins the API path gives a category (see `arrange_fields` in `model/build.rs`).
pub(super) fn required_built_ins(category: Category) -> [bool; 3] {
    match category {
        Category::Login => [true, true, true],
        Category::Password => [false, true, true],
        _ => [false, false, true],
    }
}

pub(super) struct ItemBuilder<'e> {
    pub(super) entries: &'e Entries,
    pub(super) category: Category,
    pub(super) built_ins: [Option<Option<String>>; 3],
    pub(super) fields: Vec<StoredField>,
    pub(super) field_ids: HashSet<String>,
    sections: Vec<StoredSection>,
    section_ids: HashSet<String>,
    pub(super) files: Vec<SourceFile>,
    pub(super) file_ids: HashSet<String>,
    pub(super) file_entries: Vec<usize>,
}

impl<'e> ItemBuilder<'e> {
    pub(super) fn new(category: Category, entries: &'e Entries) -> Self {
        ItemBuilder {
            entries,
            category,
            built_ins: [None, None, None],
            fields: Vec::new(),
            field_ids: HashSet::new(),
            sections: Vec::new(),
            section_ids: HashSet::new(),
            files: Vec::new(),
            file_ids: HashSet::new(),
            file_entries: Vec::new(),
        }
    }

    pub(super) fn sections(&mut self, details: &Map<String, Value>) -> Result<(), String> {
        for (s, section) in list(details, "sections")?.iter().enumerate() {
            let at = |e: String| format!("sections[{s}].{e}");
            let section = object(section).map_err(|e| format!("sections[{s}]: {e}"))?;
            let title = text(section, "title").map_err(at)?.unwrap_or_default();
            let name = text(section, "name").map_err(at)?.unwrap_or_default();
            let fields = list(section, "fields").map_err(at)?;
            if fields.is_empty() && title.is_empty() {
                continue;
            }
            let preferred =
                (!name.is_empty() && name.chars().count() <= MAX_ID_CHARS).then(|| name.clone());
            let key = || {
                if name.is_empty() {
                    title.clone()
                } else {
                    name.clone()
                }
            };
            let section_id = unique_id(&mut self.section_ids, "1pux-section", preferred, key);
            self.sections.push(StoredSection {
                id: section_id.clone(),
                label: non_empty(title),
            });
            for (f, field) in fields.iter().enumerate() {
                self.section_field(field, &section_id)
                    .map_err(|e| format!("sections[{s}].fields[{f}]{e}"))?;
            }
        }
        Ok(())
    }

    /// Errors start with `.key` or `:` so that the caller can prefix the field's path.
    fn section_field(&mut self, field: &Value, section_id: &str) -> Result<(), String> {
        let field = object(field).map_err(|e| format!(": {e}"))?;
        let title = text(field, "title")
            .map_err(|e| format!(".{e}"))?
            .unwrap_or_default();
        let exported_id = text(field, "id")
            .map_err(|e| format!(".{e}"))?
            .unwrap_or_default();
        let (field_type, value) = match sub_object(field, "value").map_err(|e| format!(".{e}"))? {
            None => (FieldType::String, None),
            Some(value) => {
                let Some((kind, payload)) = value_kind(value) else {
                    self.push_field(&exported_id, section_id, title, FieldType::String, None);
                    return Ok(());
                };
                let at = |e: String| format!(".value.{kind}: {e}");
                match kind.as_str() {
                    "file" => {
                        let file = object(payload).map_err(at)?;
                        let name = self
                            .file(file, Some(section_id))
                            .map_err(|e| format!(".value.file.{e}"))?;
                        (FieldType::File, non_empty(name))
                    }
                    _ => convert_value(&kind, payload).map_err(at)?,
                }
            }
        };
        self.push_field(&exported_id, section_id, title, field_type, value);
        Ok(())
    }

    fn push_field(
        &mut self,
        exported_id: &str,
        section_id: &str,
        label: String,
        field_type: FieldType,
        value: Option<String>,
    ) {
        let id = self.field_id(exported_id, section_id, &label);
        self.fields.push(StoredField {
            id,
            section: Some(section_id.to_string()),
            field_type,
            purpose: Purpose::None,
            label,
            value,
            entropy: None,
        });
    }

    /// The export's field id if usable and free, else one derived from section and label (or
    /// from section and exported id, for a duplicate).
    pub(super) fn field_id(&mut self, exported: &str, section_id: &str, label: &str) -> String {
        let usable = !exported.is_empty() && exported.chars().count() <= MAX_ID_CHARS;
        let key = || {
            if exported.is_empty() {
                format!("{section_id}\u{0}label:{label}")
            } else {
                format!("{section_id}\u{0}id:{exported}")
            }
        };
        unique_id(
            &mut self.field_ids,
            "1pux-field",
            usable.then(|| exported.to_string()),
            key,
        )
    }

    pub(super) fn finish(self) -> (ItemBodyData, Vec<SourceFile>, Vec<usize>) {
        let required = required_built_ins(self.category);
        let mut fields = Vec::with_capacity(self.fields.len() + 3);
        for (slot, value) in self.built_ins.into_iter().enumerate() {
            if value.is_none() && !required[slot] {
                continue;
            }
            let (id, purpose, field_type) = BUILT_INS[slot];
            fields.push(StoredField {
                id: id.to_string(),
                section: None,
                field_type,
                purpose,
                label: id.to_string(),
                value: value.flatten(),
                entropy: None,
            });
        }
        fields.extend(self.fields);
        let body = ItemBodyData {
            sections: self.sections,
            fields,
            files: Vec::new(),
        };
        (body, self.files, self.file_entries)
    }
}
