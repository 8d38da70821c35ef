//! An item as an upstream Connect server serves it, converted into the form the store keeps.

use crate::model::{
    Category, FieldType, ItemBodyData, ItemData, ItemJson, ItemSummaryData, Purpose, StoredField,
    StoredSection, StoredUrl,
};
use crate::sync::source::{SourceFile, SourceItem};

/// Converts a Connect item as served into the form the store keeps. Unknown categories and field
/// types from a newer upstream are kept as CUSTOM / UNKNOWN rather than dropped.
pub fn source_item(item: ItemJson, files: Vec<SourceFile>) -> SourceItem {
    let fields = item
        .fields
        .unwrap_or_default()
        .into_iter()
        .map(|f| StoredField {
            id: f.id,
            section: f.section.map(|s| s.id),
            field_type: FieldType::parse(&f.field_type).unwrap_or(FieldType::Unknown),
            purpose: Purpose::parse(&f.purpose).unwrap_or(Purpose::None),
            label: f.label,
            value: f.value,
            entropy: f.entropy,
        })
        .collect();
    SourceItem {
        id: item.id,
        category: Category::parse(&item.category).unwrap_or(Category::Custom),
        state: item.state,
        data: ItemData {
            summary: ItemSummaryData {
                title: item.title,
                favorite: item.favorite,
                tags: item.tags,
                urls: item
                    .urls
                    .into_iter()
                    .map(|u| StoredUrl {
                        label: u.label,
                        primary: u.primary,
                        href: u.href,
                    })
                    .collect(),
            },
            body: ItemBodyData {
                sections: item
                    .sections
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| StoredSection {
                        id: s.id,
                        label: s.label,
                    })
                    .collect(),
                fields,
                files: Vec::new(),
            },
        },
        files,
    }
}
