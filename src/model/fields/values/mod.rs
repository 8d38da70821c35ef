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
/// API clients and never repeats the value: it may be a stored secret (a PATCH
/// that changes a field's type validates the value already stored).
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
    let invalid = || ValueError("Invalid DATE value: expected YYYY-MM-DD or Unix seconds".into());

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
                "Invalid DATE value: Unix seconds must be between {MIN_UNIX_SECONDS} and {MAX_UNIX_SECONDS} (years 0001 to 9999)"
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
        ValueError("Invalid MONTH_YEAR value: expected YYYYMM, YYYY/MM, YYYY-MM or MM/YYYY".into())
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
mod tests;
