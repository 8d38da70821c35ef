//! Section field values: the kind key of a field's `value` object decides the Connect field
//! type, and its payload becomes the field's text (see docs/1pux-format.md).

use serde_json::{Map, Value};

use super::json::{kind_of, non_empty, scalar, sub_object, text};
use crate::model::fields::values as field_values;
use crate::model::FieldType;

/// A converted value: the field type, and the text (`None` when empty).
type Converted = Result<(FieldType, Option<String>), String>;

/// The kind key of a section field's `value` object and its payload. Exports have exactly one
/// key; should there be more, a known kind wins over an unknown one.
pub(super) fn value_kind(value: &Map<String, Value>) -> Option<(String, &Value)> {
    value
        .iter()
        .find(|(kind, _)| known_kind(kind))
        .or_else(|| value.iter().next())
        .map(|(kind, payload)| (kind.clone(), payload))
}

fn known_kind(kind: &str) -> bool {
    matches!(
        kind,
        "string"
            | "concealed"
            | "email"
            | "url"
            | "phone"
            | "totp"
            | "date"
            | "monthYear"
            | "menu"
            | "address"
            | "creditCardNumber"
            | "creditCardType"
            | "gender"
            | "reference"
            | "sshKey"
            | "file"
    )
}

/// The Connect type and value of every kind but `file` (which the item body handles, as it
/// also adds a file to the item).
pub(super) fn convert_value(kind: &str, payload: &Value) -> Converted {
    if let Some(field_type) = plain_type(kind) {
        return plain(field_type, payload);
    }
    match kind {
        "email" => email(payload),
        "address" => address(payload),
        "sshKey" => ssh_key(payload),
        "date" => date(payload),
        "monthYear" => month_year(payload),
        _ => Ok(unknown(payload)),
    }
}

/// The type of the kinds whose payload is the text itself.
fn plain_type(kind: &str) -> Option<FieldType> {
    Some(match kind {
        "string" => FieldType::String,
        "concealed" => FieldType::Concealed,
        "url" => FieldType::Url,
        "phone" => FieldType::Phone,
        "totp" => FieldType::Otp,
        "menu" => FieldType::Menu,
        "creditCardNumber" => FieldType::CreditCardNumber,
        "creditCardType" => FieldType::CreditCardType,
        "gender" => FieldType::Gender,
        "reference" => FieldType::Reference,
        _ => return None,
    })
}

fn plain(field_type: FieldType, payload: &Value) -> Converted {
    match payload {
        Value::Null => Ok((field_type, None)),
        other => scalar(other)
            .map(|s| (field_type, non_empty(s)))
            .ok_or_else(|| format!("expected a string, found {}", kind_of(other))),
    }
}

/// `{email_address, provider}`, or plain text.
fn email(payload: &Value) -> Converted {
    match payload {
        Value::Object(email) => Ok((
            FieldType::Email,
            text(email, "email_address")?.and_then(non_empty),
        )),
        _ => plain(FieldType::Email, payload),
    }
}

fn address(payload: &Value) -> Converted {
    match payload {
        Value::Object(address) => Ok((FieldType::Address, non_empty(address_text(address)?))),
        _ => plain(FieldType::Address, payload),
    }
}

/// The private key: the PKCS#8 `metadata.privateKey` when present, else the top-level one.
fn ssh_key(payload: &Value) -> Converted {
    match payload {
        Value::Object(key) => {
            let from_metadata = match sub_object(key, "metadata")? {
                Some(metadata) => text(metadata, "privateKey")
                    .map_err(|e| format!("metadata.{e}"))?
                    .and_then(non_empty),
                None => None,
            };
            let value = match from_metadata {
                Some(pem) => Some(pem),
                None => text(key, "privateKey")?.and_then(non_empty),
            };
            Ok((FieldType::SshKey, value))
        }
        _ => plain(FieldType::SshKey, payload),
    }
}

/// Why a date is refused: never the value itself, which may be anything (messages reach the
/// unauthenticated `/health` and the logs).
const NOT_A_DATE: &str = "not a date in Unix seconds or YYYY-MM-DD (years 0001 to 9999)";
const NOT_A_MONTH: &str = "not a month in the form YYYYMM (or YYYY/MM, YYYY-MM, MM/YYYY)";

/// Unix seconds (or a date as text), kept as Unix seconds, which is what Connect returns.
fn date(payload: &Value) -> Converted {
    let raw = match payload {
        Value::Null => return Ok((FieldType::Date, None)),
        Value::Number(n) => n.as_i64().ok_or(NOT_A_DATE)?.to_string(),
        Value::String(s) => s.clone(),
        other => return Err(format!("expected a number, found {}", kind_of(other))),
    };
    let seconds = field_values::normalize_date(&raw).map_err(|_| NOT_A_DATE)?;
    Ok((FieldType::Date, non_empty(seconds)))
}

/// `YYYYMM` as a number (`0` means unset) or text.
fn month_year(payload: &Value) -> Converted {
    let raw = match payload {
        Value::Null => return Ok((FieldType::MonthYear, None)),
        Value::Number(n) => match n.as_u64() {
            Some(0) => return Ok((FieldType::MonthYear, None)),
            Some(n) => n.to_string(),
            None => return Err(NOT_A_MONTH.into()),
        },
        Value::String(s) => s.clone(),
        other => return Err(format!("expected a number, found {}", kind_of(other))),
    };
    let month = field_values::normalize_month_year(&raw).map_err(|_| NOT_A_MONTH)?;
    Ok((FieldType::MonthYear, non_empty(month)))
}

/// A kind this parser does not know is kept rather than failing the import: its text, or an
/// object as compact JSON.
fn unknown(payload: &Value) -> (FieldType, Option<String>) {
    (
        FieldType::Unknown,
        match payload {
            Value::Null => None,
            Value::String(s) => non_empty(s.clone()),
            other => Some(other.to_string()),
        },
    )
}

/// `street\ncity, state zip\ncountry`, leaving out empty parts.
fn address_text(address: &Map<String, Value>) -> Result<String, String> {
    let part = |key: &str| -> Result<String, String> {
        Ok(text(address, key)?.unwrap_or_default().trim().to_string())
    };
    let (street, city, state, zip, country) = (
        part("street")?,
        part("city")?,
        part("state")?,
        part("zip")?,
        part("country")?,
    );
    let region = [state, zip]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let locality = [city, region]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    Ok([street, locality, country]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n"))
}
