//! Splitting a JSON array that arrives in chunks into the text of its elements, so that an item
//! list of 100,000 items (about 40 MB) is read with one element in memory at a time, and parsed
//! while the rest of it is still arriving, instead of being buffered whole and parsed after.
//!
//! Only the array's own structure is scanned here (brackets, strings and their escapes, commas);
//! each element's text is handed on whole and its content is checked by whoever parses it. The
//! scan keeps no stack, so nesting costs nothing (serde_json bounds it when the element is
//! parsed), and an element split across chunks is copied once, into a buffer that is reused.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `[`.
    Start,
    /// Right after `[`: an element or `]`.
    First,
    /// After a `,`: an element.
    Next,
    /// Inside an element.
    Element,
    /// After the closing `]`: only whitespace.
    Done,
}

pub(super) struct ArrayElements {
    state: State,
    /// `{`/`[` opened and not closed in the current element.
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// The beginning of an element that started in an earlier chunk.
    partial: Vec<u8>,
    count: usize,
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

impl ArrayElements {
    pub(super) fn new() -> Self {
        ArrayElements {
            state: State::Start,
            depth: 0,
            in_string: false,
            escaped: false,
            partial: Vec::new(),
            count: 0,
        }
    }

    /// Scans the next chunk, calling `element` with the text of every element it completes (its
    /// position in the array, from 0, and its text). An error (the array's structure or one from
    /// `element`) ends the scan: the message says where, never what the text holds.
    pub(super) fn feed(
        &mut self,
        chunk: &[u8],
        mut element: impl FnMut(usize, &[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        // Where the current element starts in this chunk (0 when it began in an earlier one).
        let mut start = 0;
        let mut i = 0;
        while i < chunk.len() {
            let byte = chunk[i];
            match self.state {
                State::Start => match byte {
                    b'[' => self.state = State::First,
                    b if is_space(b) => {}
                    _ => return Err("the answer is not a JSON array".into()),
                },
                State::First | State::Next => match byte {
                    b if is_space(b) => {}
                    b']' if self.state == State::First => self.state = State::Done,
                    b']' | b',' => {
                        return Err(format!("element {} of the array is missing", self.count))
                    }
                    _ => {
                        self.state = State::Element;
                        start = i;
                        // This byte is the element's first: scanned as part of it.
                        continue;
                    }
                },
                State::Element if self.in_string => {
                    if self.escaped {
                        self.escaped = false;
                    } else if byte == b'\\' {
                        self.escaped = true;
                    } else if byte == b'"' {
                        self.in_string = false;
                    }
                }
                State::Element => match byte {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' if self.depth > 0 => self.depth -= 1,
                    b',' | b']' if self.depth == 0 => {
                        self.emit(&chunk[start..i], &mut element)?;
                        self.state = if byte == b',' {
                            State::Next
                        } else {
                            State::Done
                        };
                    }
                    b'}' => {
                        return Err(format!(
                            "element {} of the array closes what it never opened",
                            self.count
                        ))
                    }
                    _ => {}
                },
                State::Done => {
                    if !is_space(byte) {
                        return Err("the answer goes on after its array".into());
                    }
                }
            }
            i += 1;
        }
        if self.state == State::Element {
            self.partial.extend_from_slice(&chunk[start..]);
        }
        Ok(())
    }

    /// Checks that the whole array was read, once the answer ended.
    pub(super) fn finish(&self) -> Result<(), String> {
        match self.state {
            State::Done => Ok(()),
            State::Start => Err("the answer is empty".into()),
            _ => Err(format!(
                "the answer ends inside the array, after {} elements",
                self.count
            )),
        }
    }

    fn emit(
        &mut self,
        tail: &[u8],
        element: &mut impl FnMut(usize, &[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        let index = self.count;
        self.count += 1;
        if self.partial.is_empty() {
            element(index, tail)
        } else {
            self.partial.extend_from_slice(tail);
            let result = element(index, &self.partial);
            self.partial.clear();
            result
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The elements of `text` fed in chunks of `size` bytes (each element's text trimmed).
    fn split(text: &str, size: usize) -> Result<Vec<String>, String> {
        let mut scan = ArrayElements::new();
        let mut out = Vec::new();
        for chunk in text.as_bytes().chunks(size.max(1)) {
            scan.feed(chunk, |index, element| {
                assert_eq!(index, out.len());
                out.push(
                    String::from_utf8(element.to_vec())
                        .unwrap()
                        .trim()
                        .to_string(),
                );
                Ok(())
            })?;
        }
        scan.finish()?;
        Ok(out)
    }

    #[test]
    fn elements_come_out_whole_however_the_answer_is_cut() {
        let text = r#" [ {"id":"a","t":"x,]}\"\\","n":[1,{"b":[]}]} ,
            {"id":"b"},"s]",[1,[2]], 7 ,null]  "#;
        let expected = [
            r#"{"id":"a","t":"x,]}\"\\","n":[1,{"b":[]}]}"#,
            r#"{"id":"b"}"#,
            r#""s]""#,
            "[1,[2]]",
            "7",
            "null",
        ];
        for size in 1..=text.len() {
            assert_eq!(split(text, size).unwrap(), expected, "chunks of {size}");
        }
    }

    #[test]
    fn an_empty_array_has_no_elements() {
        assert_eq!(split("[]", 1).unwrap(), Vec::<String>::new());
        assert_eq!(split(" [ \n ] ", 3).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_malformed_answer_is_refused_with_where_not_what() {
        for (text, message) in [
            ("", "the answer is empty"),
            ("{\"id\":\"secret\"}", "the answer is not a JSON array"),
            (
                "[{\"id\":1}",
                "the answer ends inside the array, after 0 elements",
            ),
            (
                "[{\"id\":1},",
                "the answer ends inside the array, after 1 elements",
            ),
            (
                "[{\"id\":\"secret]",
                "the answer ends inside the array, after 0 elements",
            ),
            ("[1,,2]", "element 1 of the array is missing"),
            ("[1,]", "element 1 of the array is missing"),
            ("[,1]", "element 0 of the array is missing"),
            ("[1}]", "element 0 of the array closes what it never opened"),
            ("[1] [2]", "the answer goes on after its array"),
        ] {
            assert_eq!(split(text, 2).unwrap_err(), message, "{text:?}");
            assert_eq!(split(text, 64).unwrap_err(), message, "{text:?}");
        }
    }

    #[test]
    fn an_error_from_the_element_parser_stops_the_scan() {
        let mut scan = ArrayElements::new();
        let mut seen = 0;
        let result = scan.feed(b"[1,2,3]", |index, _| {
            seen += 1;
            if index == 1 {
                Err("element 1: bad".into())
            } else {
                Ok(())
            }
        });
        assert_eq!(result.unwrap_err(), "element 1: bad");
        assert_eq!(seen, 2);
    }

    #[test]
    fn an_element_split_across_chunks_reuses_one_buffer() {
        let mut scan = ArrayElements::new();
        let mut out = Vec::new();
        for chunk in [&b"[{\"id\""[..], b":\"a\"},{\"i", b"d\":\"b\"}]"] {
            scan.feed(chunk, |_, e| {
                out.push(e.to_vec());
                Ok(())
            })
            .unwrap();
        }
        scan.finish().unwrap();
        assert_eq!(
            out,
            [b"{\"id\":\"a\"}".to_vec(), b"{\"id\":\"b\"}".to_vec()]
        );
        assert!(scan.partial.is_empty());
    }
}
