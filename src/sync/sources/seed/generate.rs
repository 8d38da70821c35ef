//! `generate: true` values: the recipe, and a deterministic draw from an HMAC-SHA256 stream keyed
//! by the generation key, so that re-parsing an unchanged file gives the same values.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::model::fields::generator::{self, Recipe};
use crate::model::FieldType;

use super::document::{get, list, mapping, text, Node};
use super::keys::RECIPE_KEYS;
use super::values::Target;
use super::walk::Ctx;

pub(super) const CHARACTER_SETS: [(&str, &str); 3] = [
    ("LETTERS", generator::LETTERS),
    ("DIGITS", generator::DIGITS),
    ("SYMBOLS", generator::SYMBOLS),
];

/// Namespace and version of the generated-value stream; changing it changes every generated value.
const GENERATE_DOMAIN: &[u8] = b"latchkey seed generate v1";

impl Ctx<'_> {
    pub(super) fn generated(
        &self,
        target: &Target<'_>,
        recipe: Option<&Node>,
        secrets: &mut Vec<String>,
    ) -> Result<(Option<String>, Option<f64>), String> {
        let (at, field_type) = (target.at, target.field_type);
        if matches!(
            field_type,
            FieldType::Otp | FieldType::Date | FieldType::MonthYear
        ) {
            return Err(format!(
                "{at}: a value cannot be generated for a {field_type} field"
            ));
        }
        let recipe = recipe.map(|node| parse_recipe(node, at)).transpose()?;
        let (value, entropy) = self.generate(target, recipe.as_ref())?;
        secrets.push(value.clone());
        Ok((Some(value), Some(entropy)))
    }

    /// The deterministic counterpart of [`generator::generate`]: same validation, alphabets,
    /// one-of-each-set rule, shuffle and entropy; the randomness is an HMAC-SHA256 stream over the
    /// field's identity and the effective recipe.
    fn generate(
        &self,
        target: &Target<'_>,
        recipe: Option<&Recipe>,
    ) -> Result<(String, f64), String> {
        let at = target.at;
        // Validates the recipe with the API's messages and computes the entropy figure.
        let entropy = generator::generate(recipe)
            .map_err(|e| format!("{at}: {e}"))?
            .entropy;
        let default = Recipe::default();
        let recipe = recipe.unwrap_or(&default);
        let length = usize::try_from(recipe.length.unwrap_or(generator::DEFAULT_LENGTH))
            .map_err(|_| format!("{at}: invalid recipe length"))?;
        let chosen = recipe.character_sets.as_deref().unwrap_or(&[]);
        let exclude = recipe.exclude_characters.as_deref().unwrap_or("");
        let groups: Vec<Vec<char>> = CHARACTER_SETS
            .iter()
            .filter(|(name, _)| {
                chosen.is_empty() || chosen.iter().any(|c| c.eq_ignore_ascii_case(name))
            })
            .map(|(_, chars)| {
                chars
                    .chars()
                    .filter(|c| !exclude.contains(*c))
                    .collect::<Vec<_>>()
            })
            .filter(|group| !group.is_empty())
            .collect();
        let alphabet: Vec<char> = groups.iter().flatten().copied().collect();
        if alphabet.is_empty() {
            return Err(format!("{at}: the recipe leaves no characters to use"));
        }

        let mut context = Vec::new();
        let mut part = |bytes: &[u8]| {
            context.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            context.extend_from_slice(bytes);
        };
        part(GENERATE_DOMAIN);
        part(target.scope.vault_id.as_bytes());
        part(target.scope.item_id.as_bytes());
        part(target.field_id.as_bytes());
        part(&(length as u64).to_be_bytes());
        for group in &groups {
            part(group.iter().collect::<String>().as_bytes());
        }
        let mut stream = Stream::new(&self.mac, &context);

        let mut chars: Vec<char> = Vec::with_capacity(length);
        if length >= groups.len() {
            for group in &groups {
                chars.push(group[stream.below(group.len())]);
            }
        }
        while chars.len() < length {
            chars.push(alphabet[stream.below(alphabet.len())]);
        }
        for i in (1..chars.len()).rev() {
            chars.swap(i, stream.below(i + 1));
        }
        Ok((chars.into_iter().collect(), entropy))
    }
}

fn parse_recipe(node: &Node, at: &str) -> Result<Recipe, String> {
    let entries = mapping(node, RECIPE_KEYS, at, "a recipe")?;
    let length = match get(entries, "length") {
        None => None,
        Some(Node::Number { int: Some(n), .. }) => Some(*n),
        Some(other) => {
            return Err(format!(
                "{at}: the recipe's `length` must be a whole number, not {}",
                other.kind()
            ))
        }
    };
    let mut sets = Vec::new();
    for set in list(entries, "characterSets", at)? {
        match set {
            Node::Text(name) if CHARACTER_SETS.iter().any(|(n, _)| n == name) => {
                sets.push(name.clone());
            }
            _ => {
                return Err(format!(
                    "{at}: every entry of `characterSets` must be LETTERS, DIGITS or SYMBOLS"
                ))
            }
        }
    }
    Ok(Recipe {
        length,
        character_sets: (!sets.is_empty()).then_some(sets),
        exclude_characters: text(entries, "excludeCharacters", at)?,
    })
}

/// An HMAC-SHA256 byte stream: block `n` is `HMAC(key, context || n)`.
pub(super) struct Stream {
    mac: Hmac<Sha256>,
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl Stream {
    pub(super) fn new(key: &Hmac<Sha256>, context: &[u8]) -> Stream {
        let mut mac = key.clone();
        mac.update(context);
        Stream {
            mac,
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }

    fn byte(&mut self) -> u8 {
        if self.used >= self.block.len() {
            let mut mac = self.mac.clone();
            mac.update(&self.counter.to_be_bytes());
            self.block.copy_from_slice(&mac.finalize().into_bytes());
            self.counter += 1;
            self.used = 0;
        }
        let byte = self.block.get(self.used).copied().unwrap_or(0);
        self.used += 1;
        byte
    }

    /// A uniform number in `0..n` (`n` ≥ 1), by rejection sampling over 32-bit draws.
    pub(super) fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n).unwrap_or(1).clamp(1, 1 << 32);
        let zone = (1u64 << 32) - ((1u64 << 32) % n);
        loop {
            let draw = u64::from(u32::from_be_bytes([
                self.byte(),
                self.byte(),
                self.byte(),
                self.byte(),
            ]));
            if draw < zone {
                return usize::try_from(draw % n).unwrap_or(0);
            }
        }
    }
}
