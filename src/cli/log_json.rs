//! The JSON log line of `serve`, `api` and `sync`, written directly into the line buffer: the
//! same line as tracing-subscriber's `json().flatten_event(true)` (timestamp, level, the event's
//! fields in order, target), which formatted each field through serde and `fmt` and cost a fifth
//! of a cached `GET item`'s instructions for the access-log line. latchkey opens no spans, so
//! none are shown.

use std::cell::RefCell;
use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

pub struct JsonLine;

thread_local! {
    /// The line being built, reused: one allocation per thread rather than one per line.
    static LINE: RefCell<String> = RefCell::new(String::with_capacity(320));
}

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut build = |line: &mut String| {
            line.clear();
            push_line(line, event);
            let written = writer.write_str(line);
            // A rare long line (an error's detail) does not stay allocated with the thread.
            if line.capacity() > 4096 {
                *line = String::new();
            }
            written
        };
        // A line logged while one is being built (never expected) gets a buffer of its own.
        LINE.try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut line) => build(&mut line),
            Err(_) => build(&mut String::new()),
        })
        .unwrap_or_else(|_| build(&mut String::new()))
    }
}

fn push_line(line: &mut String, event: &Event<'_>) {
    line.push_str("{\"timestamp\":\"");
    push_timestamp(line, time::OffsetDateTime::now_utc());
    line.push_str("\",\"level\":\"");
    line.push_str(event.metadata().level().as_str());
    line.push('"');
    event.record(&mut Fields { line: &mut *line });
    line.push_str(",\"target\":");
    push_str(line, event.metadata().target());
    line.push_str("}\n");
}

/// `2026-12-02T14:01:41.215757Z`, as tracing-subscriber's system time. Digits are written
/// directly: through `write!` the timestamp alone cost more than the rest of the line.
fn push_timestamp(line: &mut String, now: time::OffsetDateTime) {
    // A year outside 0..=9999 would need `{:04}`'s sign and width rules; it cannot be now.
    let year = u32::try_from(now.year()).unwrap_or(0).min(9999);
    push_digits(line, year, 4);
    line.push('-');
    push_digits(line, u32::from(u8::from(now.month())), 2);
    line.push('-');
    push_digits(line, u32::from(now.day()), 2);
    line.push('T');
    push_digits(line, u32::from(now.hour()), 2);
    line.push(':');
    push_digits(line, u32::from(now.minute()), 2);
    line.push(':');
    push_digits(line, u32::from(now.second()), 2);
    line.push('.');
    push_digits(line, now.microsecond(), 6);
    line.push('Z');
}

/// `value` in decimal, zero-padded to `width` digits.
fn push_digits(line: &mut String, value: u32, width: usize) {
    push_decimal(line, u64::from(value), width);
}

/// `value` in decimal, as serde_json writes an integer.
fn push_u64(line: &mut String, value: u64) {
    push_decimal(line, value, 1);
}

/// `value` in decimal, zero-padded to at least `width` (at most 20) digits.
fn push_decimal(line: &mut String, mut value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    let at = at.min(digits.len() - width.min(digits.len()));
    // ASCII digits: one append rather than a `char` push (with its UTF-8 encoding) per digit.
    line.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
}

/// Whether serde_json escapes this byte in a string.
fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// Whether any byte of `s` needs an escape, eight bytes at a time: a byte-by-byte scan was most
/// of the cost of an access-log line.
fn any_escape(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The high bit of a byte of the result is set for a byte of `x` below `n` (exact as to
    // whether there is one, for n <= 0x80).
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGHS;
    let mut chunks = s.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        if below(x, 0x20) | below(x ^ (ONES * 0x22), 1) | below(x ^ (ONES * 0x5c), 1) != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| needs_escape(b))
}

/// `s` as a JSON string, escaped as serde_json escapes it.
fn push_str(line: &mut String, s: &str) {
    line.push('"');
    push_escaped(line, s);
    line.push('"');
}

/// `s` escaped for a JSON string, without the quotes.
fn push_escaped(line: &mut String, s: &str) {
    // Nearly every value needs no escape: one scan without branches (it vectorises), one copy.
    if !any_escape(s.as_bytes()) {
        line.push_str(s);
        return;
    }
    let mut start = 0;
    for (i, byte) in s.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        line.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(line, "\\u{byte:04x}");
        } else {
            line.push_str(escape);
        }
        start = i + 1;
    }
    line.push_str(&s[start..]);
}

/// Escapes what is written through it (a `Debug` value is formatted straight into the line).
struct Escaping<'a>(&'a mut String);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        push_escaped(self.0, s);
        Ok(())
    }
}

/// Appends `,"name":value` for each field, in the event's order.
struct Fields<'a> {
    line: &'a mut String,
}

impl Fields<'_> {
    fn key(&mut self, field: &Field) {
        self.line.push(',');
        push_str(self.line, field.name());
        self.line.push(':');
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        push_str(self.line, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        push_u64(self.line, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        if value < 0 {
            self.line.push('-');
        }
        push_u64(self.line, value.unsigned_abs());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.line.push_str(if value { "true" } else { "false" });
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field);
        let number = serde_json::to_string(&value).unwrap_or_else(|_| "null".into());
        self.line.push_str(&number);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.key(field);
        self.line.push('"');
        let _ = write!(Escaping(self.line), "{value:?}");
        self.line.push('"');
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::JsonLine;

    /// The lines a subscriber writes while `log` runs, timestamps blanked.
    fn lines(json: bool, log: fn()) -> Vec<String> {
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        let make = move || Sink(sink.clone());
        let builder = tracing_subscriber::fmt().with_writer(make);
        if json {
            tracing::subscriber::with_default(builder.json().flatten_event(true).finish(), log);
        } else {
            tracing::subscriber::with_default(builder.event_format(JsonLine).finish(), log);
        }
        let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                assert!(v["timestamp"].as_str().unwrap().ends_with('Z'), "{l}");
                l.split_once("\",\"level\"").unwrap().1.to_string()
            })
            .collect()
    }

    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn events() {
        let detail = "a \"quoted\"\nline\twith \\ and \u{1} and é";
        tracing::info!(
            request_id = "r-1",
            jti = "",
            status = 200u16,
            micros = 17u64,
            "request completed"
        );
        tracing::error!(error = %detail, code = -3i64, ok = false, ratio = 0.25, "request failed");
        tracing::info!(low = i64::MIN, high = u64::MAX, zero = 0u64, "bounds");
        tracing::warn!(list = ?vec!["a", "b"], "with {} args", 2);
    }

    #[test]
    fn every_escaped_byte_is_found() {
        for len in 0..20 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut s = vec![b'a'; len];
                    s[at] = byte;
                    assert_eq!(
                        super::any_escape(&s),
                        super::needs_escape(byte),
                        "{byte:#x} at {at} of {len}"
                    );
                }
            }
        }
        assert!(!super::any_escape("é and ü, 雪".as_bytes()));
    }

    #[test]
    fn timestamps_are_zero_padded() {
        let mut line = String::new();
        let t = time::macros::datetime!(0987-03-04 05:06:07.000089 UTC);
        super::push_timestamp(&mut line, t);
        assert_eq!(line, "0987-03-04T05:06:07.000089Z");
        line.clear();
        let t = time::macros::datetime!(2026-12-31 23:59:59.999999 UTC);
        super::push_timestamp(&mut line, t);
        assert_eq!(line, "2026-12-31T23:59:59.999999Z");
    }

    #[test]
    fn lines_match_tracing_subscribers_json() {
        let ours = lines(false, events);
        assert_eq!(ours.len(), 4);
        assert_eq!(ours, lines(true, events));
    }
}
