//! A pull scanner over a JSON stream (a 1PUX `export.data`, a JSON seed file): it walks the outer
//! structure (objects, lists, keys) itself and hands out each item as one contiguous slice of raw
//! JSON, which `serde_json::from_slice` then parses. serde_json's own reader-based parser takes
//! every byte through an iterator and was most of the import time; slices parse several times
//! faster, and only the value being cut out is ever buffered (plus one read chunk).

use std::io::{self, Read};

use serde::de::IgnoredAny;

use crate::sync::source::SourceError;

/// How much is read from the decompressor at a time.
const CHUNK: usize = 64 * 1024;

/// Why the scan stopped.
#[derive(Debug)]
pub(crate) enum Fail {
    /// Reading the entry failed (it may have passed its size cap).
    Io(io::Error),
    /// Not JSON; the message ends with the position.
    Syntax(String),
    /// JSON, but not the shape an export has; the message says where.
    Data(String),
    /// Anything else, such as an attachment beyond its cap, or the sink's own error.
    Source(SourceError),
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Self {
        Fail::Io(e)
    }
}

/// What a value is, from its first byte.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Object,
    List,
    Text,
    Number,
    Boolean,
    Null,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Object => "an object",
            Kind::List => "a list",
            Kind::Text => "a string",
            Kind::Number => "a number",
            Kind::Boolean => "a boolean",
            Kind::Null => "null",
        }
    }
}

pub(crate) struct Scanner<R> {
    reader: R,
    /// `buf[pos..]` is read but not consumed yet.
    buf: Vec<u8>,
    pos: usize,
    /// Stream offset of `buf[0]`, for positions in messages.
    offset: u64,
    /// While a value is being cut out: where it starts in `buf` (kept across refills).
    mark: Option<usize>,
}

impl<R: Read> Scanner<R> {
    pub(crate) fn new(reader: R) -> Self {
        Scanner {
            reader,
            buf: Vec::with_capacity(CHUNK),
            pos: 0,
            offset: 0,
            mark: None,
        }
    }

    /// A syntax error at the current position.
    pub(crate) fn syntax(&self, what: &str) -> Fail {
        Fail::Syntax(format!("{what} at byte {}", self.offset + self.pos as u64))
    }

    /// Reads more; `false` at the end of the stream. Everything before the mark (or before `pos`)
    /// is dropped first, so the buffer holds at most the value being cut out and one chunk.
    fn refill(&mut self) -> Result<bool, Fail> {
        let keep = self.mark.unwrap_or(self.pos);
        if keep > 0 {
            self.buf.copy_within(keep.., 0);
            self.buf.truncate(self.buf.len() - keep);
            self.offset += keep as u64;
            self.pos -= keep;
            self.mark = self.mark.map(|_| 0);
        }
        let old = self.buf.len();
        self.buf.resize(old + CHUNK, 0);
        let read = loop {
            match self.reader.read(&mut self.buf[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(Fail::Io(e));
                }
            }
        };
        self.buf.truncate(old + read);
        Ok(read > 0)
    }

    /// The next byte, not consumed; `None` at the end.
    fn peek_byte(&mut self) -> Result<Option<u8>, Fail> {
        if self.pos == self.buf.len() && !self.refill()? {
            return Ok(None);
        }
        Ok(Some(self.buf[self.pos]))
    }

    /// The next byte that is not white space, not consumed.
    pub(crate) fn peek(&mut self) -> Result<Option<u8>, Fail> {
        loop {
            match self.peek_byte()? {
                Some(b' ' | b'\n' | b'\r' | b'\t') => self.pos += 1,
                other => return Ok(other),
            }
        }
    }

    /// The kind of the next value, not consumed.
    pub(crate) fn kind(&mut self) -> Result<Kind, Fail> {
        match self.peek()? {
            Some(b'{') => Ok(Kind::Object),
            Some(b'[') => Ok(Kind::List),
            Some(b'"') => Ok(Kind::Text),
            Some(b'-' | b'0'..=b'9') => Ok(Kind::Number),
            Some(b't' | b'f') => Ok(Kind::Boolean),
            Some(b'n') => Ok(Kind::Null),
            Some(_) => Err(self.syntax("expected a value")),
            None => Err(self.syntax("unexpected end of data")),
        }
    }

    /// Consumes `byte`, the next non-space byte.
    fn expect(&mut self, byte: u8, what: &str) -> Result<(), Fail> {
        match self.peek()? {
            Some(b) if b == byte => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.syntax(&format!("expected {what}"))),
            None => Err(self.syntax("unexpected end of data")),
        }
    }

    /// Consumes the `{` or `[` that starts an object or list.
    pub(crate) fn open(&mut self) -> Result<(), Fail> {
        match self.peek()? {
            Some(b'{' | b'[') => {
                self.pos += 1;
                Ok(())
            }
            _ => Err(self.syntax("expected an object or a list")),
        }
    }

    /// The next key of an object that `open` entered, or `None` at its end. `first` says whether
    /// no key was read yet (no comma before it).
    pub(crate) fn next_key(&mut self, first: bool) -> Result<Option<String>, Fail> {
        if self.peek()? == Some(b'}') {
            self.pos += 1;
            return Ok(None);
        }
        if !first {
            self.expect(b',', "`,` or `}`")?;
        }
        if self.peek()? != Some(b'"') {
            return Err(self.syntax("expected a key"));
        }
        let raw = self.cut()?;
        let key = serde_json::from_slice::<String>(raw).map_err(|e| Fail::Syntax(e.to_string()));
        let key = key?;
        self.expect(b':', "`:`")?;
        Ok(Some(key))
    }

    /// Whether the list that `open` entered has another element (consuming the comma before it).
    pub(crate) fn next_element(&mut self, first: bool) -> Result<bool, Fail> {
        if self.peek()? == Some(b']') {
            self.pos += 1;
            return Ok(false);
        }
        if !first {
            self.expect(b',', "`,` or `]`")?;
            if self.peek()? == Some(b']') {
                return Err(self.syntax("trailing comma"));
            }
        }
        Ok(true)
    }

    /// Skips the next value, which must be valid JSON.
    pub(crate) fn skip(&mut self) -> Result<(), Fail> {
        let raw = self.cut()?;
        serde_json::from_slice::<IgnoredAny>(raw)
            .map(|_| ())
            .map_err(|e| Fail::Syntax(e.to_string()))
    }

    /// Consumes the next value and returns its raw text, which is only checked for where it ends:
    /// the caller parses it. Valid until the next call.
    pub(crate) fn cut(&mut self) -> Result<&[u8], Fail> {
        let kind = self.kind()?;
        let start = self.pos;
        self.mark = Some(start);
        let ended = match kind {
            Kind::Object | Kind::List => self.nested_end(),
            Kind::Text => {
                self.pos += 1;
                self.text_end()
            }
            _ => self.scalar_end(),
        };
        let start = self.mark.take().unwrap_or(start);
        ended?;
        Ok(&self.buf[start..self.pos])
    }

    /// Moves past the string whose opening quote was consumed.
    fn text_end(&mut self) -> Result<(), Fail> {
        loop {
            let rest = &self.buf[self.pos..];
            match memchr::memchr2(b'"', b'\\', rest) {
                Some(i) if rest[i] == b'"' => {
                    self.pos += i + 1;
                    return Ok(());
                }
                Some(i) => {
                    // An escape: the byte after the backslash is never the end.
                    self.pos += i + 1;
                    if self.peek_byte()?.is_none() {
                        return Err(self.syntax("unexpected end of data in a string"));
                    }
                    self.pos += 1;
                }
                None => {
                    self.pos = self.buf.len();
                    if !self.refill()? {
                        return Err(self.syntax("unexpected end of data in a string"));
                    }
                }
            }
        }
    }

    /// Moves past the object or list starting here, counting brackets (whether they match is
    /// left to the parser of the slice). This runs over every byte of the export: the text of
    /// strings, most of it, is skipped with `memchr`.
    fn nested_end(&mut self) -> Result<(), Fail> {
        let (mut depth, mut in_text, mut escaped) = (0usize, false, false);
        loop {
            let rest = &self.buf[self.pos..];
            let mut i = 0;
            while i < rest.len() {
                if escaped {
                    escaped = false;
                    i += 1;
                    continue;
                }
                if in_text {
                    match memchr::memchr2(b'"', b'\\', &rest[i..]) {
                        Some(at) => {
                            i += at;
                            if rest[i] == b'"' {
                                in_text = false;
                            } else {
                                escaped = true;
                            }
                            i += 1;
                        }
                        None => i = rest.len(),
                    }
                    continue;
                }
                match rest[i] {
                    b'"' => in_text = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            self.pos += i + 1;
                            return Ok(());
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            self.pos = self.buf.len();
            if !self.refill()? {
                return Err(self.syntax("unexpected end of data"));
            }
        }
    }

    /// Moves past a number, `true`, `false` or `null`.
    fn scalar_end(&mut self) -> Result<(), Fail> {
        while let Some(byte) = self.peek_byte()? {
            if matches!(byte, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// Fails unless only white space is left.
    pub(crate) fn end(&mut self) -> Result<(), Fail> {
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(self.syntax("trailing characters")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner(text: &str) -> Scanner<&[u8]> {
        Scanner::new(text.as_bytes())
    }

    #[test]
    fn values_are_cut_whole_across_refills() {
        let long = "x".repeat(3 * CHUNK);
        let text = format!(r#"[{{"a":"{long}\"]}}"}}, 12 , "s\\\"", null, [1,[2]]]"#);
        let mut scan = scanner(&text);
        assert_eq!(scan.kind().unwrap(), Kind::List);
        scan.open().unwrap();
        let mut cut = Vec::new();
        let mut first = true;
        while scan.next_element(first).unwrap() {
            first = false;
            cut.push(String::from_utf8(scan.cut().unwrap().to_vec()).unwrap());
        }
        scan.end().unwrap();
        assert_eq!(cut[0], format!(r#"{{"a":"{long}\"]}}"}}"#));
        assert_eq!(cut[1..], ["12", r#""s\\\"""#, "null", "[1,[2]]"]);
    }

    #[test]
    fn keys_and_bad_syntax() {
        let mut scan = scanner(r#" { "a\u0062" : 1 , "c": {"d": [}} "#);
        scan.kind().unwrap();
        scan.open().unwrap();
        assert_eq!(scan.next_key(true).unwrap().as_deref(), Some("ab"));
        scan.skip().unwrap();
        assert_eq!(scan.next_key(false).unwrap().as_deref(), Some("c"));
        assert!(matches!(scan.skip(), Err(Fail::Syntax(_))));

        for bad in [
            r#"{"a" 1}"#,
            r#"{"a":1,}"#,
            r#"{"a":1 "b":2}"#,
            r#"{"a":"#,
            "{1:2}",
        ] {
            let mut scan = scanner(bad);
            scan.open().unwrap();
            let result = (|| {
                let mut first = true;
                while scan.next_key(first)?.is_some() {
                    first = false;
                    scan.skip()?;
                }
                Ok::<_, Fail>(())
            })();
            assert!(matches!(result, Err(Fail::Syntax(_))), "{bad}: {result:?}");
        }
        let mut scan = scanner("[1,]");
        scan.open().unwrap();
        assert!(scan.next_element(true).unwrap());
        scan.skip().unwrap();
        assert!(scan.next_element(false).is_err());
    }
}
