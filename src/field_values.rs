//! Connect's normalisation of `DATE` and `MONTH_YEAR` field values.
//!
//! * `DATE` fields are stored and returned as Unix seconds in a decimal
//!   string. Input is either `YYYY-MM-DD` (one-digit month and day are
//!   tolerated) or Unix seconds (Terraform sends seconds; a leading sign is
//!   allowed, so dates before 1970 work). A purely numeric value is always
//!   read as seconds, so `20240115` is 1970-08-23, not 15 January 2024.
//!   `YYYY-MM-DD` means 00:00:00 **UTC** of that day, not the server's local
//!   midnight, so the stored value does not depend on the server's time zone.
//!   Seconds must fall within years 0001 to 9999 (UTC); anything larger
//!   (for example milliseconds) is rejected.
//! * `MONTH_YEAR` fields are stored and returned as `YYYYMM`. Input is
//!   `YYYYMM`, `YYYY/MM`, `YYYY-MM` or `MM/YYYY` (one-digit months are
//!   tolerated in the separated forms); month 1..=12, year 1..=9999.
//!   Two-digit years (`12/27`) are rejected rather than guessed.
//!
//! Surrounding whitespace is ignored, and an empty value (a field with no
//! value) stays empty.

use std::fmt;

use time::{Date, Month};

/// Unix seconds of 0001-01-01T00:00:00Z, the earliest accepted `DATE`.
pub const MIN_UNIX_SECONDS: i64 = -62_135_596_800;
/// Unix seconds of 9999-12-31T23:59:59Z, the latest accepted `DATE`.
pub const MAX_UNIX_SECONDS: i64 = 253_402_300_799;

/// A field value that does not fit its field type. The message is meant for
/// API clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError(pub String);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

/// Returns the canonical stored form of a `DATE` value: Unix seconds as a
/// decimal string. `YYYY-MM-DD` means 00:00:00 UTC of that day (UTC, not
/// local time, so results do not depend on the server's TZ). An empty string
/// stays empty (a field with no value).
pub fn normalize_date(input: &str) -> Result<String, ValueError> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let invalid = || {
        ValueError(format!(
            "Invalid DATE value {}: expected YYYY-MM-DD or Unix seconds",
            crate::text::quote(input, 40)
        ))
    };

    let unsigned = value
        .strip_prefix('-')
        .or_else(|| value.strip_prefix('+'))
        .unwrap_or(value);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return match value.parse::<i64>() {
            Ok(seconds) if (MIN_UNIX_SECONDS..=MAX_UNIX_SECONDS).contains(&seconds) => {
                Ok(seconds.to_string())
            }
            _ => Err(ValueError(format!(
                "Invalid DATE value {}: Unix seconds must be between {MIN_UNIX_SECONDS} and {MAX_UNIX_SECONDS} (years 0001 to 9999)",
                crate::text::quote(input, 40)
            ))),
        };
    }

    let mut parts = value.split('-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let year = number(year, 4, 4).ok_or_else(invalid)?;
    let month = number(month, 1, 2).ok_or_else(invalid)?;
    let day = number(day, 1, 2).ok_or_else(invalid)?;
    if year == 0 {
        return Err(invalid());
    }
    let year = i32::try_from(year).map_err(|_| invalid())?;
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(invalid)?;
    let day = u8::try_from(day).map_err(|_| invalid())?;
    let date = Date::from_calendar_date(year, month, day).map_err(|_| invalid())?;
    Ok(date.midnight().assume_utc().unix_timestamp().to_string())
}

/// Returns the canonical stored form of a `MONTH_YEAR` value: `YYYYMM`, with
/// month 1..=12 and year 1..=9999. Accepts `YYYYMM`, `YYYY/MM`, `YYYY-MM` and
/// `MM/YYYY`. An empty string stays empty.
pub fn normalize_month_year(input: &str) -> Result<String, ValueError> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let invalid = || {
        ValueError(format!(
            "Invalid MONTH_YEAR value {}: expected YYYYMM, YYYY/MM, YYYY-MM or MM/YYYY",
            crate::text::quote(input, 40)
        ))
    };

    let (year, month) = if let Some((left, right)) = value.split_once('/') {
        match (number(left, 4, 4), number(right, 1, 2)) {
            (Some(year), Some(month)) => (year, month),
            _ => (
                number(right, 4, 4).ok_or_else(invalid)?,
                number(left, 1, 2).ok_or_else(invalid)?,
            ),
        }
    } else if let Some((left, right)) = value.split_once('-') {
        (
            number(left, 4, 4).ok_or_else(invalid)?,
            number(right, 1, 2).ok_or_else(invalid)?,
        )
    } else {
        (
            value
                .get(..4)
                .and_then(|y| number(y, 4, 4))
                .ok_or_else(invalid)?,
            value
                .get(4..)
                .and_then(|m| number(m, 2, 2))
                .ok_or_else(invalid)?,
        )
    };
    if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
        return Err(invalid());
    }
    Ok(format!("{year:04}{month:02}"))
}

/// Parses `text` as an unsigned decimal of `min_len..=max_len` ASCII digits
/// (at most 4, so it cannot overflow).
fn number(text: &str, min_len: usize, max_len: usize) -> Option<u32> {
    if !(min_len..=max_len).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn date_err(input: &str) -> String {
        match normalize_date(input) {
            Ok(value) => panic!("expected an error for {input:?}, got {value}"),
            Err(e) => e.to_string(),
        }
    }

    fn month_year_err(input: &str) -> String {
        match normalize_month_year(input) {
            Ok(value) => panic!("expected an error for {input:?}, got {value}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn bounds_match_years_1_and_9999() {
        assert_eq!(
            datetime!(0001-01-01 00:00:00 UTC).unix_timestamp(),
            MIN_UNIX_SECONDS
        );
        assert_eq!(
            datetime!(9999-12-31 23:59:59 UTC).unix_timestamp(),
            MAX_UNIX_SECONDS
        );
    }

    #[test]
    fn date_from_iso_day_is_utc_midnight() {
        assert_eq!(normalize_date("2024-01-15").as_deref(), Ok("1705276800"));
        assert_eq!(normalize_date("1970-01-01").as_deref(), Ok("0"));
        assert_eq!(normalize_date("1969-12-31").as_deref(), Ok("-86400"));
        assert_eq!(normalize_date("2024-02-29").as_deref(), Ok("1709164800"));
        assert_eq!(normalize_date(" 2024-1-5 ").as_deref(), Ok("1704412800"));
        assert_eq!(
            normalize_date("0001-01-01"),
            Ok(MIN_UNIX_SECONDS.to_string())
        );
        assert_eq!(
            normalize_date("9999-12-31"),
            Ok((MAX_UNIX_SECONDS - 86_399).to_string())
        );
    }

    #[test]
    fn date_from_unix_seconds() {
        assert_eq!(normalize_date("1705276800").as_deref(), Ok("1705276800"));
        assert_eq!(normalize_date("1705312245").as_deref(), Ok("1705312245"));
        assert_eq!(normalize_date("0").as_deref(), Ok("0"));
        assert_eq!(normalize_date("-0").as_deref(), Ok("0"));
        assert_eq!(normalize_date("+86400").as_deref(), Ok("86400"));
        assert_eq!(normalize_date("000123").as_deref(), Ok("123"));
        assert_eq!(normalize_date("-86400").as_deref(), Ok("-86400"));
        assert_eq!(
            normalize_date("-62135596800").as_deref(),
            Ok("-62135596800")
        );
        assert_eq!(
            normalize_date("253402300799").as_deref(),
            Ok("253402300799")
        );
        // Round trip: the stored form is accepted unchanged.
        let stored = normalize_date("2030-06-30").expect("valid");
        assert_eq!(normalize_date(&stored), Ok(stored.clone()));
    }

    #[test]
    fn empty_date_stays_empty() {
        assert_eq!(normalize_date("").as_deref(), Ok(""));
        assert_eq!(normalize_date("  ").as_deref(), Ok(""));
    }

    #[test]
    fn invalid_dates() {
        assert_eq!(
            date_err("2024-13-01"),
            "Invalid DATE value \"2024-13-01\": expected YYYY-MM-DD or Unix seconds"
        );
        for input in [
            "2023-02-29",
            "2024-04-31",
            "2024-00-10",
            "2024-01-00",
            "2024-01-32",
            "0000-01-01",
            "24-01-15",
            "02024-01-15",
            "2024-001-15",
            "2024-01-15-01",
            "2024-01",
            "2024/01/15",
            "15.01.2024",
            "2024-01-15T00:00:00Z",
            "2024-+1-15",
            "１２３",
            "12.5",
            "1e9",
            "-",
            "+",
            "--5",
            "tomorrow",
        ] {
            assert!(
                date_err(input).ends_with("expected YYYY-MM-DD or Unix seconds"),
                "{input}"
            );
        }
    }

    #[test]
    fn absurd_seconds_are_errors() {
        for input in [
            "253402300800",
            "-62135596801",
            "1705276800000",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999999999999999999999",
        ] {
            let message = date_err(input);
            assert!(
                message.contains("Unix seconds must be between -62135596800 and 253402300799"),
                "{message}"
            );
        }
    }

    #[test]
    fn long_input_is_truncated_in_errors() {
        let long = "x".repeat(100_000);
        assert!(date_err(&long).len() < 200);
        assert!(month_year_err(&long).len() < 200);
        let digits = "9".repeat(100_000);
        assert!(date_err(&digits).len() < 250);
        assert!(date_err("a\u{0}b").contains("\\0"));
    }

    #[test]
    fn month_year_forms() {
        for input in [
            "202403",
            "2024/03",
            "2024/3",
            "2024-03",
            "2024-3",
            "03/2024",
            "3/2024",
            " 202403\n",
        ] {
            assert_eq!(
                normalize_month_year(input).as_deref(),
                Ok("202403"),
                "{input}"
            );
        }
        assert_eq!(normalize_month_year("000112").as_deref(), Ok("000112"));
        assert_eq!(normalize_month_year("9999/12").as_deref(), Ok("999912"));
        assert_eq!(normalize_month_year("01/0001").as_deref(), Ok("000101"));
    }

    #[test]
    fn empty_month_year_stays_empty() {
        assert_eq!(normalize_month_year("").as_deref(), Ok(""));
        assert_eq!(normalize_month_year(" \t").as_deref(), Ok(""));
    }

    #[test]
    fn invalid_month_years() {
        assert_eq!(
            month_year_err("2024/13"),
            "Invalid MONTH_YEAR value \"2024/13\": expected YYYYMM, YYYY/MM, YYYY-MM or MM/YYYY"
        );
        for input in [
            "202413",
            "202400",
            "000001",
            "2024/00",
            "2024-13",
            "13/2024",
            "0/2024",
            "12/27",
            "2024",
            "20243",
            "2024003",
            "2024/003",
            "024/03",
            "2024/03/01",
            "2024-03-01",
            "/",
            "-",
            "2024/",
            "/2024",
            "03-2024",
            "March 2024",
            "2024 03",
            "２０２４/03",
            "2024/+3",
            "ab/cdef",
        ] {
            assert!(
                month_year_err(input).ends_with("expected YYYYMM, YYYY/MM, YYYY-MM or MM/YYYY"),
                "{input}"
            );
        }
    }
}
