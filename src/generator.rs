//! Value generation for item fields sent with `"generate": true`.
//!
//! 1Password Connect accepts a `GeneratorRecipe` next to a field:
//!
//! ```json
//! {"length": 32, "characterSets": ["LETTERS", "DIGITS", "SYMBOLS"], "excludeCharacters": "abc"}
//! ```
//!
//! Clients send it partially, with explicit `null`s (Ansible), or as
//! `"recipe": null`; unknown keys are ignored. [`generate`] validates a
//! recipe and produces a value from the operating system's CSPRNG.
//!
//! Rules:
//!
//! * `length` defaults to [`DEFAULT_LENGTH`] and must lie in
//!   [`MIN_LENGTH`]`..=`[`MAX_LENGTH`].
//! * `characterSets` names are case-insensitive and may repeat (repeats are
//!   ignored). A missing, `null` or empty list selects all three sets:
//!   Connect leaves `[]` undefined, and "everything" is what Ansible and
//!   Terraform users expect when they give no preference.
//! * The sets are [`LETTERS`], [`DIGITS`] and [`SYMBOLS`]. The symbol set is
//!   printable ASCII punctuation without quotes, backslash, backtick and
//!   space, so generated values paste safely into shells and YAML.
//! * `excludeCharacters` removes characters from the alphabet. A selected set
//!   whose characters are all excluded is dropped; if nothing remains the
//!   recipe is an error.
//! * When `length` is at least the number of (non-empty) selected sets, the
//!   value contains at least one character of each set; the characters are
//!   then shuffled uniformly. All sampling is unbiased.
//! * The reported entropy is `length * log2(alphabet size)` in bits, rounded
//!   to two decimals. (The one-of-each-set guarantee removes a negligible
//!   amount of entropy that this figure does not account for.)

use std::fmt;

use rand::rngs::OsRng;
use rand::seq::SliceRandom;
use rand::{CryptoRng, Rng};
use serde::{Deserialize, Serialize};

/// Length used when the recipe gives none.
pub const DEFAULT_LENGTH: i64 = 32;
/// Smallest accepted length.
pub const MIN_LENGTH: i64 = 1;
/// Largest accepted length.
pub const MAX_LENGTH: i64 = 64;

/// The `LETTERS` character set: `a-z` and `A-Z`.
pub const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// The `DIGITS` character set: `0-9`.
pub const DIGITS: &str = "0123456789";
/// The `SYMBOLS` character set: printable ASCII punctuation except
/// `"`, `'`, `` ` ``, `\` and space.
pub const SYMBOLS: &str = "!#$%&()*+,-./:;<=>?@[]^_{|}~";

/// Connect's `GeneratorRecipe`. Every field is optional; `null` is the same
/// as absent and unknown keys are ignored.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Recipe {
    /// Number of characters to generate.
    pub length: Option<i64>,
    /// Any of `LETTERS`, `DIGITS`, `SYMBOLS` (case-insensitive).
    pub character_sets: Option<Vec<String>>,
    /// Characters that must not appear in the value.
    pub exclude_characters: Option<String>,
}

/// A recipe that cannot be honoured. The message is meant for API clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipeError(pub String);

impl fmt::Display for RecipeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RecipeError {}

/// A generated value and its estimated entropy in bits.
#[derive(Clone, PartialEq)]
pub struct Generated {
    /// The generated secret.
    pub value: String,
    /// `length * log2(alphabet size)`, rounded to two decimals.
    pub entropy: f64,
}

impl fmt::Debug for Generated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generated")
            .field("value", &format_args!("<redacted>"))
            .field("entropy", &self.entropy)
            .finish()
    }
}

/// An estimate of the entropy of a password someone typed, in bits: its length times log2 of the
/// size of the character classes it uses (lowercase 26, uppercase 26, digits 10, ASCII symbols
/// 33, anything else 100). Connect reports `entropy` on every password field, not only on
/// generated ones; for generated values the exact figure from the recipe is used instead.
pub fn estimate_entropy(value: &str) -> f64 {
    let (mut lower, mut upper, mut digit, mut symbol, mut other) =
        (false, false, false, false, false);
    let mut length = 0u32;
    for c in value.chars() {
        length = length.saturating_add(1);
        match c {
            'a'..='z' => lower = true,
            'A'..='Z' => upper = true,
            '0'..='9' => digit = true,
            c if c.is_ascii_graphic() || c == ' ' => symbol = true,
            _ => other = true,
        }
    }
    let pool: u32 = [
        (lower, 26),
        (upper, 26),
        (digit, 10),
        (symbol, 33),
        (other, 100),
    ]
    .iter()
    .filter(|(used, _)| *used)
    .map(|(_, size)| size)
    .sum();
    if pool == 0 {
        return 0.0;
    }
    let bits = f64::from(length) * f64::from(pool).log2();
    (bits * 100.0).round() / 100.0
}

/// Validates `recipe` (`None` means all defaults) and generates a value with
/// the operating system's CSPRNG.
pub fn generate(recipe: Option<&Recipe>) -> Result<Generated, RecipeError> {
    let plan = Plan::from_recipe(recipe)?;
    Ok(plan.generate(&mut OsRng))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CharacterSet {
    Letters,
    Digits,
    Symbols,
}

impl CharacterSet {
    const ALL: [CharacterSet; 3] = [
        CharacterSet::Letters,
        CharacterSet::Digits,
        CharacterSet::Symbols,
    ];

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|set| set.name().eq_ignore_ascii_case(name))
    }

    fn name(self) -> &'static str {
        match self {
            CharacterSet::Letters => "LETTERS",
            CharacterSet::Digits => "DIGITS",
            CharacterSet::Symbols => "SYMBOLS",
        }
    }

    fn chars(self) -> &'static str {
        match self {
            CharacterSet::Letters => LETTERS,
            CharacterSet::Digits => DIGITS,
            CharacterSet::Symbols => SYMBOLS,
        }
    }

    fn index(self) -> usize {
        match self {
            CharacterSet::Letters => 0,
            CharacterSet::Digits => 1,
            CharacterSet::Symbols => 2,
        }
    }
}

/// A validated recipe: the length, the surviving characters of each selected
/// set (never empty) and their union.
#[derive(Debug)]
struct Plan {
    length: usize,
    groups: Vec<Vec<char>>,
    alphabet: Vec<char>,
}

impl Plan {
    fn from_recipe(recipe: Option<&Recipe>) -> Result<Plan, RecipeError> {
        let default = Recipe::default();
        let recipe = recipe.unwrap_or(&default);

        let requested = recipe.length.unwrap_or(DEFAULT_LENGTH);
        if !(MIN_LENGTH..=MAX_LENGTH).contains(&requested) {
            return Err(RecipeError(format!(
                "Invalid recipe: length must be between {MIN_LENGTH} and {MAX_LENGTH}, got {requested}"
            )));
        }
        let length = usize::try_from(requested).map_err(|_| {
            RecipeError(format!(
                "Invalid recipe: length must be between {MIN_LENGTH} and {MAX_LENGTH}, got {requested}"
            ))
        })?;

        let mut selected = [false; CharacterSet::ALL.len()];
        for name in recipe.character_sets.iter().flatten() {
            let set = CharacterSet::from_name(name).ok_or_else(|| {
                RecipeError(format!(
                    "Invalid recipe: unknown character set {}; use LETTERS, DIGITS or SYMBOLS",
                    crate::text::quote(name, 32)
                ))
            })?;
            if let Some(flag) = selected.get_mut(set.index()) {
                *flag = true;
            }
        }
        if !selected.contains(&true) {
            selected = [true; CharacterSet::ALL.len()];
        }

        // Every set is ASCII, so a 128-entry table answers "is it excluded?"
        // in constant time however long the exclusion string is.
        let mut excluded = [false; 128];
        for c in recipe.exclude_characters.iter().flat_map(|s| s.chars()) {
            if let Some(flag) = excluded.get_mut(c as usize) {
                *flag = true;
            }
        }

        let groups: Vec<Vec<char>> = CharacterSet::ALL
            .into_iter()
            .filter(|set| selected.get(set.index()).copied().unwrap_or(false))
            .map(|set| {
                set.chars()
                    .chars()
                    .filter(|&c| !excluded.get(c as usize).copied().unwrap_or(false))
                    .collect::<Vec<char>>()
            })
            .filter(|group| !group.is_empty())
            .collect();
        let alphabet: Vec<char> = groups.iter().flatten().copied().collect();
        if alphabet.is_empty() {
            return Err(RecipeError(
                "Invalid recipe: excludeCharacters removes every character of the selected character sets"
                    .to_string(),
            ));
        }

        Ok(Plan {
            length,
            groups,
            alphabet,
        })
    }

    fn generate<R: Rng + CryptoRng + ?Sized>(&self, rng: &mut R) -> Generated {
        let mut chars: Vec<char> = Vec::with_capacity(self.length);
        if self.length >= self.groups.len() {
            for group in &self.groups {
                if let Some(&c) = group.choose(rng) {
                    chars.push(c);
                }
            }
        }
        for _ in chars.len()..self.length {
            if let Some(&c) = self.alphabet.choose(rng) {
                chars.push(c);
            }
        }
        chars.shuffle(rng);

        let bits = self.length as f64 * (self.alphabet.len() as f64).log2();
        Generated {
            value: chars.into_iter().collect(),
            entropy: (bits * 100.0).round() / 100.0,
        }
    }
}

#[cfg(test)]
mod tests {
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
}
