//! Tests of `DATE` and `MONTH_YEAR` normalisation.

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
        "Invalid DATE value: expected YYYY-MM-DD or Unix seconds"
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

/// The value may be a stored secret (a PATCH can change a field's type): messages never quote it.
#[test]
fn errors_never_quote_the_value() {
    let long = "x".repeat(100_000);
    assert!(date_err(&long).len() < 200);
    assert!(month_year_err(&long).len() < 200);
    let digits = "9".repeat(100_000);
    assert!(date_err(&digits).len() < 250);
    for secret in ["hunter2-Secret", "99999999999999", "2024-13-45", "13/2024"] {
        for message in [date_err(secret), month_year_err(secret)] {
            assert!(!message.contains(secret), "{message}");
        }
    }
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
        "Invalid MONTH_YEAR value: expected YYYYMM, YYYY/MM, YYYY-MM or MM/YYYY"
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
