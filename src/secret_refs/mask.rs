//! Streaming masking: every occurrence of a secret in a byte stream becomes [`MASK`], also when
//! the occurrence is split across reads. Only a tail that could still be the start of a secret
//! (at most the longest secret's length − 1 bytes past the last byte written) is held back until
//! more bytes or the end.

/// What `latchkey run` writes in place of a secret.
pub const MASK: &[u8] = b"<concealed by latchkey>";

pub struct Masker {
    /// Longest first, so that a secret containing another is masked whole.
    secrets: Vec<Vec<u8>>,
    pending: Vec<u8>,
}

impl Masker {
    /// A masker for these values; empty values are ignored (they would match everywhere).
    pub fn new<I, S>(secrets: I) -> Masker
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let mut secrets: Vec<Vec<u8>> = secrets
            .into_iter()
            .map(|s| s.as_ref().to_vec())
            .filter(|s| !s.is_empty())
            .collect();
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        secrets.dedup();
        Masker {
            secrets,
            pending: Vec::new(),
        }
    }

    /// Masks `chunk` (after whatever was held back) and returns what can be written now.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(chunk);
        self.drain(false)
    }

    /// The end of the stream: what was held back, masked where it holds a whole secret.
    pub fn finish(&mut self) -> Vec<u8> {
        self.drain(true)
    }

    fn drain(&mut self, end: bool) -> Vec<u8> {
        let buffer = std::mem::take(&mut self.pending);
        let mut out = Vec::with_capacity(buffer.len());
        let mut at = 0;
        while at < buffer.len() {
            let rest = &buffer[at..];
            match self.longest_at(rest, end) {
                Step::Secret(length) => {
                    out.extend_from_slice(MASK);
                    at += length;
                }
                Step::Wait => {
                    self.pending = rest.to_vec();
                    break;
                }
                Step::Byte => {
                    out.push(buffer[at]);
                    at += 1;
                }
            }
        }
        out
    }

    /// What `rest` starts with. Secrets are longest first, so a longer secret that `rest` could
    /// still become (more bytes to come) wins over a shorter one it already holds.
    fn longest_at(&self, rest: &[u8], end: bool) -> Step {
        for secret in &self.secrets {
            if rest.starts_with(secret) {
                return Step::Secret(secret.len());
            }
            if !end && secret.starts_with(rest) {
                return Step::Wait;
            }
        }
        Step::Byte
    }
}

enum Step {
    Secret(usize),
    Wait,
    Byte,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask_in_chunks(secrets: &[&str], input: &str, size: usize) -> String {
        let mut masker = Masker::new(secrets);
        let mut out = Vec::new();
        for chunk in input.as_bytes().chunks(size) {
            out.extend(masker.push(chunk));
        }
        out.extend(masker.finish());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn masks_whole_and_split_occurrences() {
        let input = "user=admin pass=hunter2 again:hunter2! hunte";
        let want = "user=admin pass=<concealed by latchkey> again:<concealed by latchkey>! hunte";
        for size in 1..=input.len() {
            assert_eq!(
                mask_in_chunks(&["hunter2"], input, size),
                want,
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn longest_secret_wins_and_overlaps_resolve_left_to_right() {
        let input = "abcabcd abc";
        for size in 1..=input.len() {
            assert_eq!(
                mask_in_chunks(&["abc", "abcd"], input, size),
                "<concealed by latchkey><concealed by latchkey> <concealed by latchkey>"
            );
        }
        assert_eq!(
            mask_in_chunks(&["aab"], "aaab", 1),
            "a<concealed by latchkey>"
        );
    }

    #[test]
    fn holds_back_only_a_possible_prefix() {
        let mut masker = Masker::new(["secret"]);
        assert_eq!(masker.push(b"line one\nse"), b"line one\n");
        assert_eq!(masker.push(b"cond"), b"second");
        assert_eq!(masker.push(b"x sec"), b"x ");
        assert_eq!(masker.finish(), b"sec");
        let mut short = Masker::new(["abc", "abcdef"]);
        assert_eq!(short.push(b"xabcd"), b"x");
        assert_eq!(short.finish(), b"<concealed by latchkey>d");
        let mut none = Masker::new(Vec::<Vec<u8>>::new());
        assert_eq!(none.push(b"anything"), b"anything");
        assert_eq!(Masker::new([""]).push(b"abc"), b"abc");
    }

    #[test]
    fn multiline_and_binary_secrets() {
        let key = "-----BEGIN KEY-----\nAAAA\n-----END KEY-----";
        let input = format!("key:\n{key}\nend");
        for size in [1, 2, 7, 64] {
            assert_eq!(
                mask_in_chunks(&[key], &input, size),
                "key:\n<concealed by latchkey>\nend"
            );
        }
    }
}
