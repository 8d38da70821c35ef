//! The seed parser, as YAML and as JSON: any text becomes a snapshot or a message, and parsing is
//! deterministic (a re-sync of an unchanged file changes nothing). `{file: …}` values and file
//! `path`s are read relative to `examples/`, so the example seed's files resolve.

use std::path::{Path, PathBuf};

use latchkey::sync::sources::seed::{parse, SeedFormat};

const GENERATION_KEY: [u8; 32] = [7; 32];

/// Inputs that could name a device, a FIFO or a kernel file are skipped: reading those is the file
/// reader's business (bounded by its own tests), and a fuzzer that opens `/dev/zero` or a FIFO
/// only hangs. A relative path without `..` stays in `examples/`; escapes (`\x2f`, `\u002f`,
/// `\/`, an escaped line break) could spell a path, so inputs with them are skipped too.
const SKIPPED: &[&str] = &[
    "/dev", "/proc", "/sys", "/run", "/tmp", "..", "\\x", "\\u", "\\/", "\\\n", "\\\r",
];

/// Whether the seed parsed (as YAML or as JSON).
pub fn run(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let lower = text.to_ascii_lowercase();
    if SKIPPED.iter().any(|s| lower.contains(s)) {
        return false;
    }
    let base_dir = examples_dir();
    let env = |name: &str| (name == "LATCHKEY_FUZZ").then(|| "from the environment".to_string());
    let mut parsed = false;
    for format in [SeedFormat::Yaml, SeedFormat::Json] {
        let first = parse(text, format, &base_dir, &env, &GENERATION_KEY);
        let second = parse(text, format, &base_dir, &env, &GENERATION_KEY);
        match (first, second) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "two parses of one seed differ");
                parsed = true;
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!("two parses of one seed differ: {a:?} / {b:?}"),
        }
    }
    parsed
}

/// The repository's `examples/`, from this crate (`fuzz/`) or from the main crate's tests.
fn examples_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = if manifest.join("fuzz_targets").is_dir() {
        manifest.parent().unwrap_or(manifest)
    } else {
        manifest
    };
    root.join("examples")
}
