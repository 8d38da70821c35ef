//! The JSON log line of `serve`, `api` and `sync`, written directly into the line buffer: the
//! same line as tracing-subscriber's `json().flatten_event(true)` (timestamp, level, the event's
//! fields in order, target), which formatted each field through serde and `fmt` and cost a fifth
//! of a cached `GET item`'s instructions for the access-log line. latchkey opens no spans, so
//! none are shown.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

pub struct JsonLine;

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
        let mut line = String::with_capacity(320);
        line.push_str("{\"timestamp\":\"");
        push_timestamp(&mut line, time::OffsetDateTime::now_utc());
        line.push_str("\",\"level\":\"");
        line.push_str(event.metadata().level().as_str());
        line.push('"');
        event.record(&mut Fields { line: &mut line });
        line.push_str(",\"target\":");
        push_str(&mut line, event.metadata().target());
        line.push_str("}\n");
        writer.write_str(&line)
    }
}

/// `2026-12-02T14:01:41.215757Z`, as tracing-subscriber's system time.
fn push_timestamp(line: &mut String, now: time::OffsetDateTime) {
    let _ = write!(
        line,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    );
}

/// `s` as a JSON string, escaped as serde_json escapes it.
fn push_str(line: &mut String, s: &str) {
    line.push('"');
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
    line.push('"');
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
        let _ = write!(self.line, "{value}");
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        let _ = write!(self.line, "{value}");
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
        push_str(self.line, &format!("{value:?}"));
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
        tracing::warn!(list = ?vec!["a", "b"], "with {} args", 2);
    }

    #[test]
    fn lines_match_tracing_subscribers_json() {
        let ours = lines(false, events);
        assert_eq!(ours.len(), 3);
        assert_eq!(ours, lines(true, events));
    }
}
