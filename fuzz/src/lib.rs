//! The bodies of the fuzz targets: one `run(&[u8])` per parser, which must return normally for
//! every input (a panic, a hang or a huge allocation is a finding).
//!
//! The main crate's `tests/api/fuzz_corpus.rs` includes this file with `#[path]` and replays the
//! committed corpus through [`TARGETS`], so the corpus guards every test run without building
//! this crate. Keep these files free of crate-level attributes and `crate::` paths, and use only
//! what the main crate depends on (latchkey, serde_json, zip).

pub mod credentials;
pub mod filter;
pub mod onepux;
pub mod patch;
pub mod seed;

/// A target's body: whether the input was accepted.
pub type Target = fn(&[u8]) -> bool;

/// Every target: its name (its binary in `fuzz_targets/` and its seeds in `corpus/<name>/`) and
/// its body, which tells whether the input was accepted (so the corpus replay can check that
/// each target's seeds reach past the first refusal).
pub const TARGETS: &[(&str, Target)] = &[
    ("filter", filter::run),
    ("patch", patch::run),
    ("seed", seed::run),
    ("onepux", onepux::run),
    ("onepux_export", onepux::run_export_data),
    ("credentials", credentials::run),
];
