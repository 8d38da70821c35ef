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
mod tests;
