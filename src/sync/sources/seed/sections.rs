//! An item's `sections` (ids from the label unless given) and the `section:` references of its
//! fields and files.

use crate::ids;

use super::checks::check_inner_id;
use super::document::{list, mapping, non_empty_text, Entries, Node};
use super::keys::{SECTION_KEYS, SECTION_REF_KEYS};

pub(super) struct SectionSpec<'n> {
    pub(super) id: String,
    pub(super) label: Option<String>,
    /// Its place in the item's `sections`, from 1: how messages name it.
    pub(super) position: usize,
    pub(super) fields: &'n [Node],
}

pub(super) fn sections<'n>(entries: &'n Entries, at: &str) -> Result<Vec<SectionSpec<'n>>, String> {
    let mut sections: Vec<SectionSpec<'n>> = Vec::new();
    for (index, node) in list(entries, "sections", at)?.iter().enumerate() {
        let section_at = format!("{at}, section #{}", index + 1);
        let section = mapping(node, SECTION_KEYS, &section_at, "a section")?;
        let label = non_empty_text(section, "label", &section_at)?;
        let given_id = non_empty_text(section, "id", &section_at)?;
        let id = match (&given_id, &label) {
            (Some(id), _) => id.clone(),
            (None, Some(label)) => ids::derived_id("seed-section", label),
            (None, None) => {
                return Err(format!(
                    "{section_at}: a section needs a `label` (or an `id`)"
                ))
            }
        };
        check_inner_id(&id, &section_at, "section")?;
        if let Some(first) = sections.iter().find(|s| s.id == id) {
            return Err(format!(
                "{at}: sections #{} and #{} would share an id (the same label, or the same `id`); give one of them another `id` or label",
                first.position,
                index + 1
            ));
        }
        let fields = list(section, "fields", &section_at)?;
        sections.push(SectionSpec {
            id,
            label,
            position: index + 1,
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
        .ok_or_else(|| format!("{at}: `section` names no section of the item (by id or label)"))
}
