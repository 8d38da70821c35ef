//! Tests of recipe validation, generated values and the entropy figures.

#[test]
fn estimated_entropy_grows_with_length_and_classes() {
    use super::estimate_entropy;
    assert_eq!(estimate_entropy(""), 0.0);
    assert!((estimate_entropy("aaaa") - 4.0 * 26f64.log2()).abs() < 0.01);
    assert!(estimate_entropy("correct horse battery staple") > estimate_entropy("hunter2"));
    assert!(estimate_entropy("aA1!") > estimate_entropy("aaaa"));
}

use super::*;

fn recipe(length: Option<i64>, sets: &[&str], exclude: Option<&str>) -> Recipe {
    Recipe {
        length,
        character_sets: if sets.is_empty() {
            None
        } else {
            Some(sets.iter().map(|s| s.to_string()).collect())
        },
        exclude_characters: exclude.map(str::to_string),
    }
}

fn all_chars() -> String {
    format!("{LETTERS}{DIGITS}{SYMBOLS}")
}

fn err(recipe: &Recipe) -> String {
    match generate(Some(recipe)) {
        Ok(_) => panic!("expected an error for {recipe:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn default_is_32_from_all_sets() {
    let alphabet = all_chars();
    for _ in 0..200 {
        let g = generate(None).expect("defaults are valid");
        assert_eq!(g.value.chars().count(), 32);
        assert!(g.value.chars().all(|c| alphabet.contains(c)), "{}", g.value);
        assert!(g.value.chars().any(|c| LETTERS.contains(c)));
        assert!(g.value.chars().any(|c| DIGITS.contains(c)));
        assert!(g.value.chars().any(|c| SYMBOLS.contains(c)));
    }
}

#[test]
fn default_recipe_matches_none() {
    let g = generate(Some(&Recipe::default())).expect("valid");
    assert_eq!(g.value.len(), 32);
    // 32 * log2(90)
    assert_eq!(g.entropy, 207.74);
}

#[test]
fn symbols_are_shell_and_yaml_safe() {
    assert_eq!(SYMBOLS.len(), 28);
    for c in SYMBOLS.chars() {
        assert!(c.is_ascii_punctuation(), "{c}");
        assert!(!"\"'`\\ ".contains(c), "{c}");
    }
    let mut seen = SYMBOLS.chars().collect::<Vec<_>>();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), SYMBOLS.len());
}

#[test]
fn each_set_alone() {
    for (name, set) in [
        ("LETTERS", LETTERS),
        ("DIGITS", DIGITS),
        ("SYMBOLS", SYMBOLS),
    ] {
        for _ in 0..100 {
            let g = generate(Some(&recipe(Some(40), &[name], None))).expect("valid");
            assert_eq!(g.value.chars().count(), 40);
            assert!(
                g.value.chars().all(|c| set.contains(c)),
                "{name}: {}",
                g.value
            );
        }
    }
}

#[test]
fn set_names_are_case_insensitive_and_may_repeat() {
    let r = recipe(Some(20), &["digits", "Digits", "DIGITS"], None);
    let g = generate(Some(&r)).expect("valid");
    assert!(g.value.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(g.entropy, 66.44); // 20 * log2(10)
}

#[test]
fn empty_set_list_means_all_sets() {
    let r = Recipe {
        length: Some(64),
        character_sets: Some(vec![]),
        exclude_characters: None,
    };
    for _ in 0..50 {
        let g = generate(Some(&r)).expect("valid");
        assert!(g.value.chars().any(|c| LETTERS.contains(c)));
        assert!(g.value.chars().any(|c| DIGITS.contains(c)));
        assert!(g.value.chars().any(|c| SYMBOLS.contains(c)));
    }
}

#[test]
fn exclusions_are_honoured() {
    let exclude = "abcdefghijklmnopqrstuvwxyzO0Il1!#$%";
    let r = recipe(Some(64), &[], Some(exclude));
    for _ in 0..500 {
        let g = generate(Some(&r)).expect("valid");
        assert_eq!(g.value.chars().count(), 64);
        assert!(g.value.chars().all(|c| !exclude.contains(c)), "{}", g.value);
    }
}

#[test]
fn exclusions_can_leave_a_single_character() {
    let r = recipe(Some(10), &["DIGITS"], Some("012345678"));
    let g = generate(Some(&r)).expect("valid");
    assert_eq!(g.value, "9999999999");
    assert_eq!(g.entropy, 0.0);
}

#[test]
fn exclusions_ignore_non_ascii_and_unselected_characters() {
    let r = recipe(Some(16), &["DIGITS"], Some("éabc🙂"));
    let g = generate(Some(&r)).expect("valid");
    assert!(g.value.chars().all(|c| c.is_ascii_digit()));
}

#[test]
fn fully_excluded_set_is_dropped() {
    let r = recipe(Some(30), &["DIGITS", "SYMBOLS"], Some(DIGITS));
    for _ in 0..50 {
        let g = generate(Some(&r)).expect("valid");
        assert!(g.value.chars().all(|c| SYMBOLS.contains(c)));
    }
}

#[test]
fn every_requested_set_is_present() {
    // Length equal to the number of sets: each set exactly once.
    let r = recipe(Some(3), &["LETTERS", "DIGITS", "SYMBOLS"], None);
    for _ in 0..1000 {
        let g = generate(Some(&r)).expect("valid");
        assert_eq!(g.value.chars().count(), 3);
        assert_eq!(g.value.chars().filter(|c| LETTERS.contains(*c)).count(), 1);
        assert_eq!(g.value.chars().filter(|c| DIGITS.contains(*c)).count(), 1);
        assert_eq!(g.value.chars().filter(|c| SYMBOLS.contains(*c)).count(), 1);
    }
    let r = recipe(Some(2), &["LETTERS", "DIGITS"], None);
    for _ in 0..1000 {
        let g = generate(Some(&r)).expect("valid");
        assert!(g.value.chars().any(|c| LETTERS.contains(c)));
        assert!(g.value.chars().any(|c| DIGITS.contains(c)));
    }
}

#[test]
fn guaranteed_characters_are_shuffled() {
    // With one digit among letters, the digit must show up in every position.
    let r = recipe(Some(4), &["LETTERS", "DIGITS"], None);
    let mut positions = [false; 4];
    for _ in 0..2000 {
        let g = generate(Some(&r)).expect("valid");
        for (i, c) in g.value.chars().enumerate() {
            if c.is_ascii_digit() {
                positions[i] = true;
            }
        }
    }
    assert_eq!(positions, [true; 4]);
}

#[test]
fn shorter_than_set_count_still_works() {
    let r = recipe(Some(1), &[], None);
    let alphabet = all_chars();
    for _ in 0..100 {
        let g = generate(Some(&r)).expect("valid");
        assert_eq!(g.value.chars().count(), 1);
        assert!(alphabet.contains(g.value.as_str()));
    }
}

#[test]
fn length_bounds() {
    for length in [1, 2, 63, 64] {
        let g = generate(Some(&recipe(Some(length), &[], None))).expect("valid");
        assert_eq!(g.value.len() as i64, length);
    }
    assert_eq!(
        err(&recipe(Some(0), &[], None)),
        "Invalid recipe: length must be between 1 and 64, got 0"
    );
    assert_eq!(
        err(&recipe(Some(65), &[], None)),
        "Invalid recipe: length must be between 1 and 64, got 65"
    );
    assert_eq!(
        err(&recipe(Some(-1), &[], None)),
        "Invalid recipe: length must be between 1 and 64, got -1"
    );
    assert_eq!(
        err(&recipe(Some(i64::MIN), &[], None)),
        format!(
            "Invalid recipe: length must be between 1 and 64, got {}",
            i64::MIN
        )
    );
    assert!(generate(Some(&recipe(Some(i64::MAX), &[], None))).is_err());
}

#[test]
fn unknown_set_is_an_error() {
    assert_eq!(
        err(&recipe(None, &["LETTERS", "EMOJI"], None)),
        "Invalid recipe: unknown character set \"EMOJI\"; use LETTERS, DIGITS or SYMBOLS"
    );
    assert!(err(&recipe(None, &[""], None)).contains("unknown character set \"\""));
    let long = "X".repeat(10_000);
    let message = err(&recipe(None, &[&long], None));
    assert!(message.len() < 200, "{message}");
}

#[test]
fn everything_excluded_is_an_error() {
    assert_eq!(
        err(&recipe(None, &["DIGITS"], Some(DIGITS))),
        "Invalid recipe: excludeCharacters removes every character of the selected character sets"
    );
    let everything = all_chars();
    assert!(generate(Some(&recipe(None, &[], Some(&everything)))).is_err());
}

#[test]
fn nulls_and_unknown_keys_are_tolerated() {
    let r: Recipe = serde_json::from_str(
        r#"{"length": null, "characterSets": null, "excludeCharacters": null, "extra": [1, 2]}"#,
    )
    .expect("parses");
    assert_eq!(r, Recipe::default());

    let r: Recipe = serde_json::from_str("{}").expect("parses");
    assert_eq!(r, Recipe::default());

    let r: Recipe =
        serde_json::from_str(r#"{"length": 12, "characterSets": ["digits"]}"#).expect("parses");
    assert_eq!(r.length, Some(12));
    assert_eq!(r.character_sets, Some(vec!["digits".to_string()]));
    assert_eq!(r.exclude_characters, None);

    #[derive(serde::Deserialize)]
    struct Field {
        #[serde(default)]
        recipe: Option<Recipe>,
    }
    let f: Field = serde_json::from_str(r#"{"recipe": null}"#).expect("parses");
    assert!(f.recipe.is_none());
    assert!(generate(f.recipe.as_ref()).is_ok());
    let f: Field = serde_json::from_str("{}").expect("parses");
    assert!(f.recipe.is_none());
}

#[test]
fn serializes_in_camel_case() {
    let r = recipe(Some(8), &["LETTERS"], Some("x"));
    let json = serde_json::to_value(&r).expect("serializes");
    assert_eq!(
        json,
        serde_json::json!({"length": 8, "characterSets": ["LETTERS"], "excludeCharacters": "x"})
    );
}

#[test]
fn two_generations_differ() {
    let a = generate(None).expect("valid");
    let b = generate(None).expect("valid");
    assert_ne!(a.value, b.value);
}

#[test]
fn debug_redacts_the_value() {
    let g = generate(Some(&recipe(Some(64), &["LETTERS"], None))).expect("valid");
    let debug = format!("{g:?}");
    assert!(!debug.contains(&g.value));
    assert!(debug.contains("<redacted>"));
}
