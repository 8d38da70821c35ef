//! The fields of an item body: type, purpose, id, label, section, generated or given value and its
//! entropy, value checks; then the category's built-in fields (username, password, notes) first.

use std::collections::HashSet;

use super::{check_len, non_empty, Limits};
use crate::ids;
use crate::model::fields::generator::{self, Recipe};
use crate::model::fields::{totp, values};
use crate::model::{
    Category, FieldInput, FieldType, IdRefInput, ItemData, Purpose, StoredField, StoredSection,
};

const BUILT_IN: [(Purpose, &str, FieldType); 3] = [
    (Purpose::Username, "username", FieldType::String),
    (Purpose::Password, "password", FieldType::Concealed),
    (Purpose::Notes, "notesPlain", FieldType::String),
];

fn built_ins_for(category: Category) -> &'static [Purpose] {
    match category {
        Category::Login => &[Purpose::Username, Purpose::Password, Purpose::Notes],
        Category::Password => &[Purpose::Password, Purpose::Notes],
        _ => &[Purpose::Notes],
    }
}

fn built_in(purpose: Purpose) -> Option<(&'static str, FieldType)> {
    BUILT_IN
        .iter()
        .find(|(p, _, _)| *p == purpose)
        .map(|(_, id, t)| (*id, *t))
}

/// Builds every field, adding the sections they refer to that the body did not declare, and
/// orders them with [`arrange_fields`].
pub(super) fn build_fields(
    fields_in: Vec<FieldInput>,
    category: Category,
    sections: &mut Vec<StoredSection>,
    previous: Option<&ItemData>,
    limits: &Limits,
) -> Result<Vec<StoredField>, String> {
    if fields_in.len() > limits.max_fields {
        return Err(format!(
            "Too many fields: {} (at most {})",
            fields_in.len(),
            limits.max_fields
        ));
    }
    let mut fields = Vec::with_capacity(fields_in.len() + 3);
    for mut field in fields_in {
        adopt_built_in(&mut field, category);
        let stored = build_field(field, sections, previous, limits)?;
        fields.push(stored);
    }
    if sections.len() > limits.max_sections {
        return Err(format!(
            "Too many sections (at most {})",
            limits.max_sections
        ));
    }
    arrange_fields(category, fields)
}

/// A field that names one of the category's built-in fields by id alone (PATCH `replace
/// /fields/password` with `{"value": …}` sends that) is that field: it takes the purpose, and with
/// it the same type, label and entropy as when the purpose is sent.
fn adopt_built_in(field: &mut FieldInput, category: Category) {
    if field.purpose.as_deref().is_some_and(|p| !p.is_empty()) {
        return;
    }
    let Some(id) = field.id.as_deref() else {
        return;
    };
    let named = built_ins_for(category)
        .iter()
        .find(|p| built_in(**p).is_some_and(|(builtin_id, _)| builtin_id == id));
    if let Some(purpose) = named {
        field.purpose = Some(purpose.as_str().to_string());
    }
}

fn build_field(
    field: FieldInput,
    sections: &mut Vec<StoredSection>,
    previous: Option<&ItemData>,
    limits: &Limits,
) -> Result<StoredField, String> {
    let type_text = field.field_type.unwrap_or_default();
    let mut field_type = parse_type(&type_text)?;
    let purpose = parse_purpose(&field.purpose.unwrap_or_default())?;

    let mut id = non_empty(field.id);
    if let Some((builtin_id, builtin_type)) = built_in(purpose) {
        id = Some(builtin_id.to_string());
        if type_text.is_empty() {
            field_type = builtin_type;
        }
    }
    let id = id.unwrap_or_else(ids::new_id);
    check_len("field id", &id, 128)?;

    let label = field.label.unwrap_or_default();
    check_len("field label", &label, limits.max_label_chars)?;
    let label = if label.is_empty() {
        built_in(purpose).map_or(label, |(builtin_id, _)| builtin_id.to_string())
    } else {
        label
    };

    let section = match field.section {
        Some(section_ref) => field_section(section_ref, sections)?,
        None => None,
    };

    let (value, mut entropy) = value_and_entropy(
        field.value,
        field.generate.unwrap_or(false),
        field.recipe.as_ref(),
        &id,
        previous,
    )?;
    if purpose == Purpose::Password && entropy.is_none() {
        entropy = value
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(generator::estimate_entropy);
    }
    let value = match value {
        Some(v) => Some(checked_value(v, field_type, &id, limits)?),
        None => None,
    };

    Ok(StoredField {
        id,
        section,
        field_type,
        purpose,
        label,
        value,
        entropy,
    })
}

fn parse_type(type_text: &str) -> Result<FieldType, String> {
    FieldType::parse_input(type_text).ok_or_else(|| {
        format!(
            "Invalid field type \"{}\"; expected one of {}",
            crate::text::clip(type_text, 40),
            FieldType::ALL
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn parse_purpose(purpose_text: &str) -> Result<Purpose, String> {
    Purpose::parse(purpose_text).ok_or_else(|| {
        format!(
            "Invalid field purpose \"{}\"; expected USERNAME, PASSWORD, NOTES or none",
            crate::text::clip(purpose_text, 40)
        )
    })
}

/// The field's section id; a section the body did not declare is added with the label given here.
fn field_section(
    section_ref: IdRefInput,
    sections: &mut Vec<StoredSection>,
) -> Result<Option<String>, String> {
    let Some(section_id) = non_empty(section_ref.id) else {
        return Ok(None);
    };
    check_len("section id", &section_id, 128)?;
    if !sections.iter().any(|s| s.id == section_id) {
        sections.push(StoredSection {
            id: section_id.clone(),
            label: non_empty(section_ref.label),
        });
    }
    Ok(Some(section_id))
}

/// A generated value when asked for one and none was given; otherwise the given value, with the
/// entropy it had if it is unchanged from the previous version of the item.
fn value_and_entropy(
    value: Option<String>,
    generate: bool,
    recipe: Option<&Recipe>,
    id: &str,
    previous: Option<&ItemData>,
) -> Result<(Option<String>, Option<f64>), String> {
    if generate && value.as_deref().unwrap_or("").is_empty() {
        let generated = generator::generate(recipe).map_err(|e| e.to_string())?;
        return Ok((Some(generated.value), Some(generated.entropy)));
    }
    let Some(v) = &value else {
        return Ok((value, None));
    };
    // Keep the entropy of a generated value when a client echoes the item back unchanged.
    let entropy = previous
        .and_then(|p| p.body.fields.iter().find(|f| f.id == id))
        .filter(|f| f.value.as_deref() == Some(v.as_str()))
        .and_then(|f| f.entropy);
    Ok((value, entropy))
}

/// Checks the value's size and, for OTP, date and month-year fields, its form; dates and
/// month-years come back normalised. Messages name the field by id and never quote the value:
/// a PATCH that changes a field's type validates the value already stored.
fn checked_value(
    value: String,
    field_type: FieldType,
    id: &str,
    limits: &Limits,
) -> Result<String, String> {
    let field = crate::text::quote(id, 64);
    if value.len() > limits.max_value_bytes {
        return Err(format!(
            "Field {field}: the value is too long (at most {} bytes)",
            limits.max_value_bytes
        ));
    }
    match field_type {
        FieldType::Otp if !value.is_empty() => {
            totp::Totp::parse(&value)
                .map_err(|e| format!("Field {field}: Invalid OTP value ({e})"))?;
            Ok(value)
        }
        FieldType::Date => {
            values::normalize_date(&value).map_err(|e| format!("Field {field}: {e}"))
        }
        FieldType::MonthYear => {
            values::normalize_month_year(&value).map_err(|e| format!("Field {field}: {e}"))
        }
        _ => Ok(value),
    }
}

/// Puts the built-in fields of the category first (creating empty ones that are missing) and
/// refuses duplicates, as Connect does ("You can only use one \"password\" field.").
fn arrange_fields(
    category: Category,
    fields: Vec<StoredField>,
) -> Result<Vec<StoredField>, String> {
    let mut seen = HashSet::new();
    for field in &fields {
        if !seen.insert(field.id.as_str()) {
            return Err(match field.purpose {
                Purpose::Username => "Primary username may only be set once per item.".into(),
                Purpose::Password => "You can only use one \"password\" field.".into(),
                Purpose::Notes => "You can only use one notes field.".into(),
                Purpose::None => format!("Duplicate field id \"{}\"", field.id),
            });
        }
    }
    let mut ordered = Vec::with_capacity(fields.len() + 3);
    let mut rest = fields;
    for purpose in built_ins_for(category) {
        let Some((builtin_id, builtin_type)) = built_in(*purpose) else {
            continue;
        };
        if let Some(pos) = rest.iter().position(|f| f.id == builtin_id) {
            let mut field = rest.remove(pos);
            field.purpose = *purpose;
            ordered.push(field);
        } else {
            ordered.push(StoredField {
                id: builtin_id.to_string(),
                section: None,
                field_type: builtin_type,
                purpose: *purpose,
                label: builtin_id.to_string(),
                value: None,
                entropy: None,
            });
        }
    }
    ordered.extend(rest);
    Ok(ordered)
}
