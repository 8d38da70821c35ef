//! RFC 6238 time-based one-time passwords for OTP fields.
//!
//! An OTP field's value is either an `otpauth://` URI such as
//! `otpauth://totp/Label?secret=BASE32&issuer=X&algorithm=SHA1&digits=6&period=30`
//! or a bare base32 secret.
//!
//! Parsing rules:
//!
//! * The scheme, the OTP type and the query keys are case-insensitive; query
//!   values are percent-decoded (`+` also decodes to a space). Unknown keys
//!   (`issuer`, `image`, ...) are ignored; if a key repeats, its first
//!   occurrence wins. An empty `algorithm`, `digits` or `period` value means
//!   the default.
//! * Only the `totp` type is supported.
//! * `digits` is 6..=10 (default 6), `period` 1..=3600 seconds (default 30),
//!   `algorithm` `SHA1`, `SHA256` or `SHA512`, case-insensitive, a dash such as
//!   `SHA-256` tolerated (default SHA1).
//! * The secret is base32 (RFC 4648 alphabet) in any case; spaces, dashes and
//!   trailing `=` padding are ignored. Unused trailing bits need not be zero.
//!   Error messages never include the secret.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};

const DEFAULT_DIGITS: u32 = 6;
const MIN_DIGITS: u32 = 6;
const MAX_DIGITS: u32 = 10;
const DEFAULT_PERIOD: u64 = 30;
const MIN_PERIOD: u64 = 1;
const MAX_PERIOD: u64 = 3600;

/// The HMAC hash function of a TOTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    fn parse(value: &str) -> Result<Algorithm, OtpError> {
        let normalized: String = value
            .trim()
            .chars()
            .filter(|&c| c != '-' && c != '_')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        match normalized.as_str() {
            "" | "SHA1" => Ok(Algorithm::Sha1),
            "SHA256" => Ok(Algorithm::Sha256),
            "SHA512" => Ok(Algorithm::Sha512),
            _ => Err(err(
                "OTP: unsupported algorithm; use SHA1, SHA256 or SHA512",
            )),
        }
    }
}

/// A parsed TOTP generator. Its `Debug` output never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Totp {
    secret: Vec<u8>,
    pub algorithm: Algorithm,
    pub digits: u32,
    pub period: u64,
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("secret", &format_args!("<redacted>"))
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .finish()
    }
}

/// A value that is not a usable TOTP. The message never contains the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpError(pub String);

impl fmt::Display for OtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OtpError {}

fn err(message: &str) -> OtpError {
    OtpError(message.to_string())
}

impl Totp {
    /// Parses an `otpauth://totp/...` URI or a bare base32 secret.
    pub fn parse(value: &str) -> Result<Totp, OtpError> {
        const SCHEME: &str = "otpauth:";
        let value = value.trim();
        if value.is_empty() {
            return Err(err("OTP: value is empty"));
        }
        if let Some(rest) = strip_prefix_ignore_case(value, SCHEME) {
            return match rest.strip_prefix("//") {
                Some(rest) => parse_uri(rest),
                None => Err(err(
                    "OTP: malformed otpauth URI; expected otpauth://totp/LABEL?secret=...",
                )),
            };
        }
        if value.contains("://") {
            return Err(err("OTP: unsupported URI scheme; expected otpauth://"));
        }
        Ok(Totp {
            secret: decode_secret(value)?,
            algorithm: Algorithm::Sha1,
            digits: DEFAULT_DIGITS,
            period: DEFAULT_PERIOD,
        })
    }

    /// The code for the time step containing `unix_seconds`, zero-padded to
    /// `digits`.
    ///
    /// `digits` and `period` are public, so they are used defensively here:
    /// `digits` is clamped to 1..=10 and a `period` of 0 is treated as 1.
    pub fn code_at(&self, unix_seconds: u64) -> String {
        let digits = self.digits.clamp(1, MAX_DIGITS);
        let counter = unix_seconds / self.period.max(1);
        let message = counter.to_be_bytes();
        let mac = match self.algorithm {
            Algorithm::Sha1 => hmac_digest::<Hmac<Sha1>>(&self.secret, &message),
            Algorithm::Sha256 => hmac_digest::<Hmac<Sha256>>(&self.secret, &message),
            Algorithm::Sha512 => hmac_digest::<Hmac<Sha512>>(&self.secret, &message),
        };
        // HMAC accepts keys of any length and every digest is at least 20
        // bytes long, so the fallback is unreachable; it exists only to keep
        // this function free of panics.
        let truncated = mac.as_deref().and_then(dynamic_truncation).unwrap_or(0);
        let code = u64::from(truncated) % 10u64.pow(digits);
        format!("{code:0width$}", width = digits as usize)
    }

    /// The code for the current system time.
    pub fn code_now(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or(0);
        self.code_at(now)
    }
}

fn hmac_digest<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    let mut mac = <M as KeyInit>::new_from_slice(key).ok()?;
    mac.update(message);
    Some(mac.finalize().into_bytes().to_vec())
}

/// RFC 4226 section 5.3.
fn dynamic_truncation(digest: &[u8]) -> Option<u32> {
    let offset = usize::from(digest.last()? & 0x0f);
    let bytes = digest.get(offset..offset.checked_add(4)?)?;
    let [b0, b1, b2, b3] = <[u8; 4]>::try_from(bytes).ok()?;
    Some(u32::from_be_bytes([b0 & 0x7f, b1, b2, b3]))
}

fn strip_prefix_ignore_case<'a>(value: &'a str, prefix: &str) -> Option<&'a str> {
    let head = value.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        value.get(prefix.len()..)
    } else {
        None
    }
}

/// Parses what follows `otpauth://`: `TYPE/LABEL?QUERY#FRAGMENT`.
fn parse_uri(rest: &str) -> Result<Totp, OtpError> {
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let kind = path.split_once('/').map_or(path, |(kind, _label)| kind);
    if kind.eq_ignore_ascii_case("hotp") {
        return Err(err("OTP: hotp is not supported"));
    }
    if kind.is_empty() {
        return Err(err(
            "OTP: otpauth URI has no type; expected otpauth://totp/LABEL?secret=...",
        ));
    }
    if !kind.eq_ignore_ascii_case("totp") {
        return Err(err("OTP: unsupported OTP type; only totp is supported"));
    }

    let mut secret: Option<String> = None;
    let mut algorithm: Option<String> = None;
    let mut digits: Option<String> = None;
    let mut period: Option<String> = None;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key)?.to_ascii_lowercase();
        let slot = match key.as_str() {
            "secret" => &mut secret,
            "algorithm" => &mut algorithm,
            "digits" => &mut digits,
            "period" => &mut period,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(percent_decode(value)?);
        }
    }

    let secret = secret.ok_or_else(|| err("OTP: otpauth URI has no secret parameter"))?;
    let secret = decode_secret(&secret)?;
    let algorithm = match algorithm {
        Some(value) => Algorithm::parse(&value)?,
        None => Algorithm::Sha1,
    };
    let digits = match digits {
        Some(value) => parse_number(
            "digits",
            &value,
            u64::from(MIN_DIGITS),
            u64::from(MAX_DIGITS),
        )?,
        None => None,
    };
    let digits = match digits {
        Some(value) => u32::try_from(value).map_err(|_| err("OTP: digits out of range"))?,
        None => DEFAULT_DIGITS,
    };
    let period = match period {
        Some(value) => parse_number("period", &value, MIN_PERIOD, MAX_PERIOD)?,
        None => None,
    }
    .unwrap_or(DEFAULT_PERIOD);

    Ok(Totp {
        secret,
        algorithm,
        digits,
        period,
    })
}

/// Parses a bounded decimal parameter; an empty value means "use the default"
/// (`Ok(None)`).
fn parse_number(name: &str, value: &str, min: u64, max: u64) -> Result<Option<u64>, OtpError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    match trimmed.parse::<u64>() {
        Ok(number) if (min..=max).contains(&number) => Ok(Some(number)),
        Ok(_) => Err(OtpError(format!(
            "OTP: {name} must be between {min} and {max}"
        ))),
        Err(_) => Err(OtpError(format!(
            "OTP: {name} must be a number between {min} and {max}"
        ))),
    }
}

/// Decodes `%XX` escapes and `+`. Invalid escapes or UTF-8 are errors; the
/// message does not repeat the input, which may be the secret.
fn percent_decode(input: &str) -> Result<String, OtpError> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'%' => {
                let high = bytes.get(i + 1).copied().and_then(hex_value);
                let low = bytes.get(i + 2).copied().and_then(hex_value);
                match (high, low) {
                    (Some(high), Some(low)) => out.push(high << 4 | low),
                    _ => return Err(err("OTP: invalid percent-encoding in otpauth URI")),
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| err("OTP: otpauth URI is not valid UTF-8 after decoding"))
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

/// Decodes a base32 secret, ignoring case, whitespace, dashes and trailing
/// padding.
fn decode_secret(input: &str) -> Result<Vec<u8>, OtpError> {
    let cleaned: String = input
        .chars()
        .filter(|&c| !c.is_whitespace() && c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let cleaned = cleaned.trim_end_matches('=');
    if cleaned.is_empty() {
        return Err(err("OTP: secret is empty"));
    }
    let mut spec = data_encoding::BASE32_NOPAD.specification();
    spec.check_trailing_bits = false;
    let encoding = spec
        .encoding()
        .map_err(|_| err("OTP: internal base32 configuration error"))?;
    let secret = encoding.decode(cleaned.as_bytes()).map_err(|_| {
        err("OTP: secret is not valid base32 (expected letters A-Z and digits 2-7)")
    })?;
    if secret.is_empty() {
        return Err(err("OTP: secret is empty"));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests;
