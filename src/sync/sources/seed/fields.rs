//! An item's fields: the `username`/`password`/`notes` shorthands and the entries of `fields` and
//! of each section's `fields`, with their ids, types, purposes and sections.

use crate::ids;
use crate::model::{FieldInput, FieldType, IdRefInput, Purpose};

use super::checks::{check_inner_id, parse_name};
use super::document::{flag, get, mapping, non_empty_text, text, Entries, Node};
use super::keys::{FIELD_KEYS, SECTION_FIELD_KEYS};
use super::sections::{section_ref, SectionSpec};
use super::values::Target;
use super::walk::{Ctx, Scope};

pub(super) struct FieldSpec {
    pub(super) input: FieldInput,
    pub(super) id: String,
    pub(super) origin: IdOrigin,
    /// How messages name the field within its item (`field #2`, `section #1, field #3`,
    /// `` `password` ``).
    pub(super) name: String,
    pub(super) entropy: Option<f64>,
}

/// Where a field's id came from, to explain a clash.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum IdOrigin {
    Given,
    Derived,
    BuiltIn,
}

pub(super) enum Place<'a, 'n> {
    /// In the item's `fields`; may name a section with `section:`.
    Item(&'a [SectionSpec<'n>]),
    /// In a section's `fields`.
    Section(&'a SectionSpec<'n>),
}

/// The built-in field of a purpose: its fixed id and default type, as Connect gives them.
fn built_in(purpose: Purpose) -> Option<(&'static str, FieldType)> {
    match purpose {
        Purpose::Username => Some(("username", FieldType::String)),
        Purpose::Password => Some(("password", FieldType::Concealed)),
        Purpose::Notes => Some(("notesPlain", FieldType::String)),
        Purpose::None => None,
    }
}

fn parse_purpose(entries: &Entries, at: &str) -> Result<Purpose, String> {
    Ok(match text(entries, "purpose", at)? {
        None => Purpose::None,
        Some(p) => Purpose::parse(&p).ok_or_else(|| {
            format!("{at}: unknown purpose; expected USERNAME, PASSWORD, NOTES or \"\"")
        })?,
    })
}

/// The id of the field's section: the enclosing one, or the one its `section:` names.
fn field_section(
    place: &Place<'_, '_>,
    entries: &Entries,
    at: &str,
) -> Result<Option<String>, String> {
    Ok(match place {
        Place::Section(section) => Some(section.id.clone()),
        Place::Item(sections) => match get(entries, "section") {
            Some(reference) => Some(section_ref(reference, sections, at)?),
            None => None,
        },
    })
}

/// A built-in field's fixed id, else the given id, else one derived from section and name.
fn field_id(
    builtin: Option<(&'static str, FieldType)>,
    given_id: &Option<String>,
    section: Option<&str>,
    name: &str,
) -> (String, IdOrigin) {
    match (builtin, given_id) {
        (Some((builtin_id, _)), _) => (builtin_id.to_string(), IdOrigin::BuiltIn),
        (None, Some(id)) => (id.clone(), IdOrigin::Given),
        (None, None) => (
            ids::derived_id("seed-field", &format!("{}/{name}", section.unwrap_or(""))),
            IdOrigin::Derived,
        ),
    }
}

impl Ctx<'_> {
    pub(super) fn shorthand(
        &self,
        scope: &Scope<'_>,
        key: &str,
        purpose: Purpose,
        node: &Node,
        secrets: &mut Vec<String>,
    ) -> Result<FieldSpec, String> {
        let (id, field_type) = built_in(purpose).unwrap_or(("", FieldType::String));
        let at = format!("{}, `{key}`", scope.at);
        let target = Target {
            scope,
            field_id: id,
            field_type,
            at: &at,
        };
        let (value, entropy) = self.value(&target, Some(node), None, None, secrets)?;
        Ok(FieldSpec {
            input: FieldInput {
                id: Some(id.to_string()),
                field_type: Some(field_type.as_str().to_string()),
                purpose: Some(purpose.as_str().to_string()),
                value,
                ..FieldInput::default()
            },
            id: id.to_string(),
            origin: IdOrigin::BuiltIn,
            name: format!("`{key}`"),
            entropy,
        })
    }

    pub(super) fn field(
        &self,
        scope: &Scope<'_>,
        node: &Node,
        index: usize,
        place: &Place<'_, '_>,
        secrets: &mut Vec<String>,
    ) -> Result<FieldSpec, String> {
        // How messages name the field within its item: by position, never by label.
        let name_in_item = match place {
            Place::Item(_) => format!("field #{}", index + 1),
            Place::Section(section) => {
                format!("section #{}, field #{}", section.position, index + 1)
            }
        };
        let at = format!("{}, {name_in_item}", scope.at);
        let keys = match place {
            Place::Item(_) => FIELD_KEYS,
            Place::Section(_) => SECTION_FIELD_KEYS,
        };
        let entries = mapping(node, keys, &at, "a field")?;
        let label = non_empty_text(entries, "label", &at)?;
        let given_id = non_empty_text(entries, "id", &at)?;
        let purpose = parse_purpose(entries, &at)?;
        let builtin = built_in(purpose);
        let name = label
            .clone()
            .or_else(|| given_id.clone())
            .or_else(|| builtin.map(|(id, _)| id.to_string()))
            .ok_or(format!("{at}: a field needs a `label` (or an `id`)"))?;
        let field_type = match text(entries, "type", &at)? {
            Some(t) => parse_name(&t, FieldType::ALL, FieldType::parse, "field type", &at)?,
            None => builtin.map_or(FieldType::String, |(_, t)| t),
        };
        let section = field_section(place, entries, &at)?;
        let (id, origin) = field_id(builtin, &given_id, section.as_deref(), &name);
        check_inner_id(&id, &at, "field")?;
        let target = Target {
            scope,
            field_id: &id,
            field_type,
            at: &at,
        };
        let (value, entropy) = self.value(
            &target,
            get(entries, "value"),
            flag(entries, "generate", &at)?,
            get(entries, "recipe"),
            secrets,
        )?;
        Ok(FieldSpec {
            input: FieldInput {
                id: Some(id.clone()),
                section: section.map(|id| IdRefInput {
                    id: Some(id),
                    label: None,
                }),
                field_type: Some(field_type.as_str().to_string()),
                purpose: Some(purpose.as_str().to_string()),
                label,
                value,
                ..FieldInput::default()
            },
            id,
            origin,
            name: name_in_item,
            entropy,
        })
    }
}
