//! The keys each mapping of a seed document accepts (besides `x-…`); the schema test checks
//! `seed.schema.json` against these.

pub(super) const ROOT_KEYS: &[&str] = &["$schema", "version", "vaults"];
pub(super) const VAULT_KEYS: &[&str] = &["name", "id", "description", "type", "items"];
pub(super) const ITEM_KEYS: &[&str] = &[
    "title", "id", "category", "tags", "favorite", "archived", "urls", "username", "password",
    "notes", "sections", "fields", "files",
];
pub(super) const URL_KEYS: &[&str] = &["href", "label", "primary"];
pub(super) const SECTION_KEYS: &[&str] = &["id", "label", "fields"];
pub(super) const FIELD_KEYS: &[&str] = &[
    "id", "label", "type", "purpose", "value", "generate", "recipe", "section",
];
pub(super) const SECTION_FIELD_KEYS: &[&str] = &[
    "id", "label", "type", "purpose", "value", "generate", "recipe",
];
pub(super) const SECTION_REF_KEYS: &[&str] = &["id", "label"];
pub(super) const FILE_KEYS: &[&str] = &["name", "id", "path", "content", "base64", "section"];
pub(super) const RECIPE_KEYS: &[&str] = &["length", "characterSets", "excludeCharacters"];
pub(super) const FILE_VALUE_KEYS: &[&str] = &["file"];
pub(super) const ENV_VALUE_KEYS: &[&str] = &["env", "default"];
pub(super) const GENERATE_VALUE_KEYS: &[&str] = &["generate", "recipe"];
