//! The built-in fields: `loginFields` with a `username` or `password` designation,
//! `details.password` and `notesPlain` become the top-level fields with their purposes; the
//! other login fields with a value (a web form's extra inputs) become section-less fields.

use serde_json::{Map, Value};

use super::item_body::{required_built_ins, ItemBuilder, BUILT_INS};
use super::json::{expected, get, list, non_empty, object, scalar, text};
use crate::model::{FieldType, Purpose, StoredField};

/// Slots of [`BUILT_INS`].
const USERNAME: usize = 0;
const PASSWORD: usize = 1;
const NOTES: usize = 2;

impl ItemBuilder<'_> {
    /// `loginFields`, `password` and `notesPlain`. Runs first, so that the built-in ids are
    /// taken before any section field could claim them.
    pub(super) fn built_ins(&mut self, details: &Map<String, Value>) -> Result<(), String> {
        let login_fields = list(details, "loginFields")?;
        let mut extras = Vec::new();
        for (i, field) in login_fields.iter().enumerate() {
            let at = |e: String| format!("loginFields[{i}].{e}");
            let field = object(field).map_err(|e| format!("loginFields[{i}]: {e}"))?;
            let value = login_value(field).map_err(at)?;
            let designation = text(field, "designation")
                .map_err(at)?
                .unwrap_or_default()
                .to_ascii_lowercase();
            let slot = match designation.as_str() {
                "username" => Some(USERNAME),
                "password" => Some(PASSWORD),
                _ => None,
            };
            match slot {
                Some(slot) if self.built_ins[slot].is_none() => {
                    self.built_ins[slot] = Some(value);
                }
                _ if value.is_none() => {}
                _ => extras.push((field, value, i)),
            }
        }
        if self.built_ins[PASSWORD].is_none() {
            if let Some(password) = text(details, "password")? {
                self.built_ins[PASSWORD] = Some(non_empty(password));
            }
        }
        if let Some(notes) = text(details, "notesPlain")? {
            self.built_ins[NOTES] = Some(non_empty(notes));
        }
        let required = required_built_ins(self.category);
        for (slot, (id, _, _)) in BUILT_INS.iter().enumerate() {
            if required[slot] || self.built_ins[slot].is_some() {
                self.field_ids.insert((*id).to_string());
            }
        }
        for (field, value, i) in extras {
            self.login_extra(field, value, i)?;
        }
        Ok(())
    }

    /// `loginFields[i]`, which is not a built-in, as a section-less field.
    fn login_extra(
        &mut self,
        field: &Map<String, Value>,
        value: Option<String>,
        i: usize,
    ) -> Result<(), String> {
        let at = |e: String| format!("loginFields[{i}].{e}");
        let name = text(field, "name").map_err(at)?.unwrap_or_default();
        let exported_id = text(field, "id").map_err(at)?.unwrap_or_default();
        let field_type = match text(field, "fieldType").map_err(at)?.as_deref() {
            Some("P") => FieldType::Concealed,
            Some("E") => FieldType::Email,
            Some("U") => FieldType::Url,
            Some("TEL") => FieldType::Phone,
            _ => FieldType::String,
        };
        let label = if name.is_empty() {
            exported_id.clone()
        } else {
            name
        };
        let id = self.field_id(&exported_id, "", &label);
        self.fields.push(StoredField {
            id,
            section: None,
            field_type,
            purpose: Purpose::None,
            label,
            value,
            entropy: None,
        });
        Ok(())
    }
}

/// A login field's value: text, or the `{email_address, string}` object of linked accounts.
fn login_value(field: &Map<String, Value>) -> Result<Option<String>, String> {
    match get(field, "value") {
        None => Ok(None),
        Some(Value::Object(linked)) => {
            let email = text(linked, "email_address").map_err(|e| format!("value.{e}"))?;
            let string = text(linked, "string").map_err(|e| format!("value.{e}"))?;
            Ok(email
                .filter(|e| !e.is_empty())
                .or(string)
                .and_then(non_empty))
        }
        Some(other) => scalar(other)
            .map(non_empty)
            .ok_or_else(|| expected("value", "a string", other)),
    }
}
