//! Fuzz loops: no input may panic, and every parse round-trips.

use super::*;

/// Small deterministic xorshift generator for the fuzz loops.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Parses `input` (must never panic) and checks the invariants that hold
/// for every outcome. Returns whether it parsed.
fn check_invariants(input: &str) -> bool {
    match parse(input) {
        Ok(f) => {
            let rendered = f.to_string();
            assert_eq!(parse(&rendered).as_ref(), Ok(&f), "round trip of {input:?}");
            // Evaluation and the helpers must not panic either.
            let _ = f.matches(|attr| {
                if attr == "title" {
                    vec!["Ab"]
                } else {
                    vec!["", "x"]
                }
            });
            let _ = f.check_attributes(&["title", "tag"], "items");
            if let Some((_, value)) = f.as_single_eq() {
                assert_eq!(f.eq_alternatives().map(|v| v.len()), Some(1));
                let _ = fold_case(value);
            }
            true
        }
        Err(e) => {
            assert!(e.0.starts_with("Invalid filter: "), "{input:?} -> {e}");
            assert!(e.0.len() < 400, "overlong message for {input:?}: {e}");
            false
        }
    }
}

const SEEDS: &[&str] = &[
    r#"name eq "Demo""#,
    r#"title eq "Example Item""#,
    r#"tag eq "banking" or (title sw "Bank" and not tag eq "old")"#,
    r#"(title co "say \"hi\"" or tag ew "\\x") and not(tag pr)"#,
    r#"not (a pr or b gt "é🔑") and (c le "z" or d ne "")"#,
    "TITLE Eq \"日本\"or(tag Lt \"m\")",
];

#[test]
fn fuzz_prefixes_deletions_and_insertions_never_panic() {
    let inserts = ['"', '\\', '(', ')', ' ', '\'', 'x', 'é', '\0'];
    let mut parsed = 0;
    let mut rejected = 0;
    for seed in SEEDS {
        assert!(check_invariants(seed), "seed must parse: {seed}");
        let chars: Vec<char> = seed.chars().collect();
        for i in 0..=chars.len() {
            // Every prefix and suffix.
            let prefix: String = chars[..i].iter().collect();
            let suffix: String = chars[i..].iter().collect();
            // Every single-character deletion.
            let deleted: String = chars
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, c)| c)
                .collect();
            for input in [prefix, suffix, deleted] {
                if check_invariants(&input) {
                    parsed += 1;
                } else {
                    rejected += 1;
                }
            }
            // Every single-character insertion of a syntax character.
            for c in inserts {
                let mut inserted = chars.clone();
                inserted.insert(i, c);
                let input: String = inserted.into_iter().collect();
                if check_invariants(&input) {
                    parsed += 1;
                } else {
                    rejected += 1;
                }
            }
            // Adjacent swaps.
            if i + 1 < chars.len() {
                let mut swapped = chars.clone();
                swapped.swap(i, i + 1);
                let input: String = swapped.into_iter().collect();
                if check_invariants(&input) {
                    parsed += 1;
                } else {
                    rejected += 1;
                }
            }
        }
    }
    // Both outcomes must actually be exercised.
    assert!(parsed > 50, "parsed {parsed}");
    assert!(rejected > 500, "rejected {rejected}");
}

#[test]
fn fuzz_random_token_soup_never_panics() {
    let pieces = [
        "title",
        "tag",
        "name",
        "eq",
        "ne",
        "co",
        "sw",
        "ew",
        "gt",
        "ge",
        "lt",
        "le",
        "pr",
        "and",
        "or",
        "not",
        "AND",
        "Or",
        "NOT",
        "(",
        ")",
        "\"x\"",
        "\"\"",
        "\"a\\\"b\"",
        "\"\\\\\"",
        "\"",
        "\\",
        "'",
        " ",
        "  ",
        "\t",
        "é",
        "🔑",
        "1",
        "$",
        "foo",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut parsed = 0;
    for _ in 0..20_000 {
        let len = (rng.next() % 16) as usize;
        let mut input = String::new();
        for _ in 0..len {
            input.push_str(rng.pick(&pieces));
            if rng.next() % 3 != 0 {
                input.push(' ');
            }
        }
        if check_invariants(&input) {
            parsed += 1;
        }
    }
    assert!(parsed > 0, "the token soup should sometimes be valid");
}

#[test]
fn fuzz_structured_random_filters_round_trip() {
    // Generate valid filters from the grammar and check they parse.
    fn gen(rng: &mut Rng, depth: u32, out: &mut String) {
        let choice = if depth == 0 {
            rng.next() % 2
        } else {
            rng.next() % 5
        };
        match choice {
            0 => {
                out.push_str(rng.pick(&["title", "TAG", "name"]));
                out.push(' ');
                out.push_str(rng.pick(&["eq", "NE", "co", "sw", "ew", "gt", "ge", "lt", "le"]));
                out.push_str(rng.pick(&[
                    " \"x\"",
                    "\"Y\"",
                    " \"a\\\"b\"",
                    " \"\\\\\"",
                    " \"é🔑\"",
                ]));
            }
            1 => out.push_str(rng.pick(&["title pr", "tag PR"])),
            2 => {
                out.push_str(rng.pick(&["not ", "NOT(", "not ("]));
                let close = out.ends_with('(');
                gen(rng, depth - 1, out);
                if close {
                    out.push(')');
                }
            }
            3 => {
                out.push('(');
                gen(rng, depth - 1, out);
                out.push_str(rng.pick(&[" and ", ")or(", " OR "]));
                gen(rng, depth - 1, out);
                out.push(')');
            }
            _ => {
                gen(rng, depth - 1, out);
                out.push_str(rng.pick(&[" and ", " or "]));
                gen(rng, depth - 1, out);
            }
        }
    }
    let mut rng = Rng(42);
    for _ in 0..2_000 {
        let mut input = String::new();
        gen(&mut rng, 4, &mut input);
        assert!(
            check_invariants(&input),
            "generated filter should parse: {input}"
        );
    }
}
