//! The crate's structure (README "Layout"): imports point down, files and functions stay small
//! enough to hold in one's head. These read the source tree, so a change that breaks a rule fails
//! here with the file and line, not in a later review.

use std::path::{Path, PathBuf};

/// Longest source file, tests included.
const MAX_FILE_LINES: usize = 600;
/// Longest production function (tests may be longer).
const MAX_FUNCTION_LINES: usize = 80;

/// The layers below the HTTP layer: none of them may know about HTTP.
const BELOW_HTTP: &[&str] = &[
    "src/store",
    "src/sync",
    "src/model",
    "src/auth",
    "src/filter",
    "src/credentials",
    "src/config",
    "src/crypto",
    "src/writes.rs",
    "src/activity.rs",
    "src/ids.rs",
    "src/text.rs",
    "src/timefmt.rs",
];

const HTTP_NAMES: &[&str] = &["axum", "crate::http", "ApiError", "tower::"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    rust_files(&root().join("examples"), &mut files);
    files.sort();
    assert!(files.len() > 40, "the source tree was not found");
    files
        .into_iter()
        .map(|p| (relative(&p), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

/// Code lines only: comments are stripped, so a doc comment may name what code may not use.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("")))
}

#[test]
fn layers_below_http_never_name_it() {
    let mut offences = Vec::new();
    for (path, text) in sources() {
        if !BELOW_HTTP.iter().any(|p| path.starts_with(p)) {
            continue;
        }
        for (line, code) in code_lines(&text) {
            if let Some(name) = HTTP_NAMES.iter().find(|n| code.contains(*n)) {
                offences.push(format!("{path}:{line} names {name}"));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "upward imports:\n{}",
        offences.join("\n")
    );
}

/// The leaves every layer may use; they use no layer themselves.
const LEAVES: &[&str] = &[
    "src/config",
    "src/ids.rs",
    "src/text.rs",
    "src/timefmt.rs",
    "src/file_version.rs",
];

const LAYER_PATHS: &[&str] = &[
    "crate::app",
    "crate::cli",
    "crate::http",
    "crate::writes",
    "crate::activity",
    "crate::auth",
    "crate::sync",
    "crate::store",
    "crate::model",
    "crate::credentials",
];

#[test]
fn leaves_import_no_layer() {
    let mut offences = Vec::new();
    for (path, text) in sources() {
        if !LEAVES.iter().any(|p| path.starts_with(p)) {
            continue;
        }
        for (line, code) in code_lines(&text) {
            if let Some(name) = LAYER_PATHS.iter().find(|n| code.contains(*n)) {
                offences.push(format!("{path}:{line} names {name}"));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "leaves using a layer:\n{}",
        offences.join("\n")
    );
}

/// `secret_refs` is a Connect client: it talks to any server over HTTP and never reaches into
/// latchkey's own server (it may use `model` wire types and the leaves).
#[test]
fn the_secret_reference_client_stays_a_client() {
    const SERVER_PARTS: &[&str] = &[
        "crate::http",
        "crate::store",
        "crate::app",
        "crate::sync",
        "crate::auth",
        "crate::cli",
        "axum",
        "ApiError",
    ];
    let mut offences = Vec::new();
    let mut files = 0;
    for (path, text) in sources() {
        if !path.starts_with("src/secret_refs") {
            continue;
        }
        files += 1;
        for (line, code) in code_lines(&text) {
            if let Some(name) = SERVER_PARTS.iter().find(|n| code.contains(*n)) {
                offences.push(format!("{path}:{line} names {name}"));
            }
        }
    }
    assert!(files >= 5, "src/secret_refs was not found");
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

#[test]
fn no_source_file_is_too_long() {
    let long: Vec<String> = sources()
        .into_iter()
        .map(|(path, text)| (path, text.lines().count()))
        .filter(|(_, n)| *n > MAX_FILE_LINES)
        .map(|(path, n)| format!("{path}: {n} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines (split them by job; tests go to a sibling tests.rs):\n{}",
        long.join("\n")
    );
}

/// Whether a file holds only tests (a `tests.rs`, or anything under a `tests/` folder).
fn is_test_file(path: &str) -> bool {
    path.ends_with("/tests.rs") || path.contains("/tests/") || path.ends_with("/testgen.rs")
}

/// `(first line, length, name)` of every function in `text` before its `#[cfg(test)]` module.
fn functions(text: &str) -> Vec<(usize, usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .iter()
        .position(|l| l.trim_start().starts_with("#[cfg(test)]"))
        .unwrap_or(lines.len());
    let mut found = Vec::new();
    let mut i = 0;
    while i < end {
        if let Some(name) = function_name(lines[i]) {
            if let Some(length) = body_length(&lines[i..end]) {
                found.push((i + 1, length, name));
            }
        }
        i += 1;
    }
    found
}

fn function_name(line: &str) -> Option<String> {
    let code = line.split("//").next()?.trim_start();
    let rest = [
        "pub(crate) ",
        "pub(super) ",
        "pub ",
        "const ",
        "async ",
        "unsafe ",
    ]
    .iter()
    .fold(code, |rest, prefix| {
        rest.strip_prefix(prefix).unwrap_or(rest)
    });
    let rest = rest.strip_prefix("async ").unwrap_or(rest);
    let name = rest.strip_prefix("fn ")?;
    Some(
        name.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect(),
    )
}

/// Lines from the signature to the closing brace, counting braces outside strings and chars;
/// `None` for a declaration without a body.
fn body_length(lines: &[&str]) -> Option<usize> {
    let mut depth = 0i64;
    let mut opened = false;
    for (n, line) in lines.iter().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut in_string = false;
        let mut chars = code.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if in_string => {
                    chars.next();
                }
                '"' => in_string = !in_string,
                '\'' if !in_string => {
                    // A char literal such as '{' or '"': skip it; a lifetime has no closing quote.
                    let lookahead: String = chars.clone().take(3).collect();
                    if let Some(escaped) = lookahead.strip_prefix('\\') {
                        if let Some(close) = escaped.find('\'') {
                            for _ in 0..close + 2 {
                                chars.next();
                            }
                        }
                    } else if lookahead.chars().nth(1) == Some('\'') {
                        chars.next();
                        chars.next();
                    }
                }
                '{' if !in_string => {
                    depth += 1;
                    opened = true;
                }
                '}' if !in_string => depth -= 1,
                ';' if !in_string && !opened && depth == 0 => return None,
                _ => {}
            }
        }
        if opened && depth == 0 {
            return Some(n + 1);
        }
    }
    None
}

#[test]
fn no_production_function_is_too_long() {
    let mut long = Vec::new();
    for (path, text) in sources() {
        if is_test_file(&path) {
            continue;
        }
        for (line, length, name) in functions(&text) {
            if length > MAX_FUNCTION_LINES {
                long.push(format!("{path}:{line} fn {name}: {length} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_function_scanner_measures_what_it_should() {
    let text = "fn a() {\n    let c = '{';\n    let s = \"}\";\n}\nfn b();\npub async fn c<'x>(v: &'x str) {\n}\n";
    assert_eq!(
        functions(text),
        vec![(1, 4, "a".to_string()), (6, 2, "c".to_string())]
    );
}
