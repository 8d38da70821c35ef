//! The rules a seed document's ids, wire names, environment variable names and values must follow,
//! each with the message that says what is wrong (never the value itself).

use crate::ids;
use crate::model::fields::{totp, values as field_values};
use crate::model::FieldType;

use super::walk::Ctx;

pub(super) fn check_id(id: &str, at: &str, what: &str) -> Result<(), String> {
    if ids::is_valid_id(id) {
        Ok(())
    } else {
        Err(format!(
            "{at}: the {what} id must be 26 lowercase letters and digits"
        ))
    }
}

pub(super) fn check_inner_id(id: &str, at: &str, what: &str) -> Result<(), String> {
    if id.chars().count() > 128 {
        return Err(format!(
            "{at}: the {what} id is too long (at most 128 characters)"
        ));
    }
    Ok(())
}

/// Parses a wire name exactly (Connect's names are case-sensitive), with a hint for near misses.
pub(super) fn parse_name<T: Copy + std::fmt::Display>(
    given: &str,
    all: &[T],
    parse: fn(&str) -> Option<T>,
    what: &str,
    at: &str,
) -> Result<T, String> {
    if let Some(value) = parse(given) {
        return Ok(value);
    }
    let hint = match parse(&given.to_ascii_uppercase()) {
        Some(value) => format!(" (did you mean {value}?)"),
        None if given.eq_ignore_ascii_case("TOTP") => " (did you mean OTP?)".to_string(),
        None => String::new(),
    };
    let names: Vec<String> = all
        .iter()
        .map(ToString::to_string)
        .filter(|s| !s.is_empty())
        .collect();
    Err(format!(
        "{at}: unknown {what}{hint}; expected one of: {}",
        names.join(", ")
    ))
}

pub(super) fn check_env_name(name: &str, at: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{at}: an environment variable name must be letters, digits and _, not starting with a digit"
        ))
    }
}

impl Ctx<'_> {
    pub(super) fn check_value(
        &self,
        field_type: FieldType,
        value: &str,
        at: &str,
    ) -> Result<(), String> {
        let max = self.limits.max_value_bytes;
        if value.len() > max {
            return Err(format!("{at}: the value is too long (at most {max} bytes)"));
        }
        match field_type {
            FieldType::Otp if !value.trim().is_empty() => totp::Totp::parse(value)
                .map(|_| ())
                .map_err(|e| format!("{at}: not a valid one-time password ({e})")),
            FieldType::Date => field_values::normalize_date(value).map(|_| ()).map_err(|_| {
                format!(
                    "{at}: not a valid DATE; expected YYYY-MM-DD or Unix seconds (years 0001 to 9999)"
                )
            }),
            FieldType::MonthYear => field_values::normalize_month_year(value)
                .map(|_| ())
                .map_err(|_| {
                    format!(
                        "{at}: not a valid MONTH_YEAR; expected YYYYMM, YYYY/MM, YYYY-MM or MM/YYYY"
                    )
                }),
            _ => Ok(()),
        }
    }
}
