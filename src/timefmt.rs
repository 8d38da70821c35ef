//! Timestamps as Connect writes them: RFC 3339, UTC, whole seconds, `Z` suffix.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// `2025-03-21T13:06:35Z`. Clients such as the `op` CLI fail on `+00:00`, so the offset is always `Z`.
pub fn rfc3339(unix_seconds: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(unix_seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses an RFC 3339 timestamp into Unix seconds (for command-line input and sources).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_z_and_whole_seconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_742_562_395), "2025-03-21T13:06:35Z");
    }

    #[test]
    fn parses_what_it_formats() {
        assert_eq!(parse_rfc3339("2025-03-21T13:06:35Z"), Some(1_742_562_395));
        assert_eq!(
            parse_rfc3339("2020-09-25T17:58:18.170Z"),
            Some(1_601_056_698)
        );
        assert_eq!(parse_rfc3339("garbage"), None);
    }
}
