//! The committed fuzz corpus (`fuzz/corpus/<target>/`), replayed through the fuzz targets' own
//! bodies (`fuzz/src/`, included here), so every seed and every fixed finding stays a regression
//! test without building the fuzz crate. `scripts/fuzz.sh` runs the same targets under libFuzzer.

use std::path::{Path, PathBuf};

#[path = "../../fuzz/src/lib.rs"]
mod targets;

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

#[test]
fn every_target_has_a_binary_and_a_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for (name, _) in targets::TARGETS {
        let binary = root.join("fuzz_targets").join(format!("{name}.rs"));
        assert!(binary.is_file(), "{} is missing", binary.display());
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
        let count = inputs(name).len();
        assert!(count >= 10, "fuzz/corpus/{name} holds {count} seeds");
    }
}

#[test]
fn the_committed_corpus_passes_every_target() {
    for (name, run) in targets::TARGETS {
        let (mut accepted, mut refused) = (0, 0);
        for (path, bytes) in inputs(name) {
            // A panic names the input, so `cargo fuzz run <name> <path>` reproduces it.
            match std::panic::catch_unwind(|| run(&bytes)) {
                Ok(true) => accepted += 1,
                Ok(false) => refused += 1,
                Err(_) => panic!("{name}: {} panicked", path.display()),
            }
        }
        // Seeds that all stop at the first refusal would leave the checks after it unguarded.
        assert!(accepted >= 3, "{name}: only {accepted} seeds are accepted");
        assert!(refused >= 3, "{name}: only {refused} seeds are refused");
    }
}
