//! An item's `sections` (ids from the label unless given) and the `section:` references of its
//! fields and files.

use crate::ids;
use crate::text::quote;

use super::checks::check_inner_id;
use super::document::{list, mapping, non_empty_text, Entries, Node};
use super::keys::{SECTION_KEYS, SECTION_REF_KEYS};

pub(super) struct SectionSpec<'n> {
    pub(super) id: String,
    pub(super) label: Option<String>,
    /// The label, or the id when there is none.
    pub(super) name: String,
    pub(super) fields: &'n [Node],
}

pub(super) fn sections<'n>(entries: &'n Entries, at: &str) -> Result<Vec<SectionSpec<'n>>, String> {
    let mut sections: Vec<SectionSpec<'n>> = Vec::new();
    for (index, node) in list(entries, "sections", at)?.iter().enumerate() {
        let section_at = format!("{at}, section #{}", index + 1);
        let section = mapping(node, SECTION_KEYS, &section_at, "a section")?;
        let label = non_empty_text(section, "label", &section_at)?;
        let given_id = non_empty_text(section, "id", &section_at)?;
        let (id, name) = match (&given_id, &label) {
            (Some(id), Some(label)) => (id.clone(), label.clone()),
            (Some(id), None) => (id.clone(), id.clone()),
            (None, Some(label)) => (ids::derived_id("seed-section", label), label.clone()),
            (None, None) => {
                return Err(format!(
                    "{section_at}: a section needs a `label` (or an `id`)"
                ))
            }
        };
        let section_at = format!("{at}, section {}", quote(&name, 60));
        check_inner_id(&id, &section_at, "section")?;
        if let Some(first) = sections.iter().find(|s| s.id == id) {
            return Err(format!(
                "{at}: sections {} and {} would share the id {}; give one of them another `id` or label",
                quote(&first.name, 60),
                quote(&name, 60),
                quote(&id, 60)
            ));
        }
        let fields = list(section, "fields", &section_at)?;
        sections.push(SectionSpec {
            id,
            label,
            name,
            fields,
        });
    }
    Ok(sections)
}

/// A `section:` reference (its id or label, as text or `{id}` / `{label}`) to a declared section.
pub(super) fn section_ref(
    node: &Node,
    sections: &[SectionSpec<'_>],
    at: &str,
) -> Result<String, String> {
    let wanted = match node {
        Node::Map(_) => {
            let entries = mapping(node, SECTION_REF_KEYS, at, "a section reference")?;
            non_empty_text(entries, "id", at)?.or(non_empty_text(entries, "label", at)?)
        }
        other => other.scalar_text(),
    }
    .ok_or(format!(
        "{at}: `section` must name a section of the item by id or label"
    ))?;
    sections
        .iter()
        .find(|s| s.id == wanted)
        .or_else(|| {
            sections
                .iter()
                .find(|s| s.label.as_deref() == Some(&wanted))
        })
        .map(|s| s.id.clone())
        .ok_or_else(|| {
            format!(
                "{at}: the item has no section with id or label {}",
                quote(&wanted, 60)
            )
        })
}
