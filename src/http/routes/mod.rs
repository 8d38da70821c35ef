//! One file per resource; handlers parse, check access, call one store or writer function and
//! render.

pub mod activity;
pub mod files;
pub mod health;
pub mod items;
pub mod vaults;
