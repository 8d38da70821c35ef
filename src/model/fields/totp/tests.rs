//! Tests of OTP parsing and code generation, including the RFC 6238 test vectors.

use super::*;
use data_encoding::BASE32;

const SEED_SHA1: &[u8] = b"12345678901234567890";
const SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
const SEED_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

/// RFC 6238 Appendix B: (time, SHA1, SHA256, SHA512), 8 digits.
const VECTORS: [(u64, &str, &str, &str); 6] = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
];

fn uri(seed: &[u8], algorithm: &str) -> String {
    format!(
        "otpauth://totp/RFC%206238:test?secret={}&algorithm={algorithm}&digits=8&period=30",
        BASE32.encode(seed)
    )
}

fn parse_err(value: &str) -> String {
    match Totp::parse(value) {
        Ok(totp) => panic!("expected an error, got {totp:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn rfc6238_vectors() {
    let sha1 = Totp::parse(&uri(SEED_SHA1, "SHA1")).expect("valid");
    let sha256 = Totp::parse(&uri(SEED_SHA256, "SHA256")).expect("valid");
    let sha512 = Totp::parse(&uri(SEED_SHA512, "SHA512")).expect("valid");
    assert_eq!(sha1.algorithm, Algorithm::Sha1);
    assert_eq!(sha256.algorithm, Algorithm::Sha256);
    assert_eq!(sha512.algorithm, Algorithm::Sha512);
    for (time, expected1, expected256, expected512) in VECTORS {
        assert_eq!(sha1.code_at(time), expected1, "SHA1 at {time}");
        assert_eq!(sha256.code_at(time), expected256, "SHA256 at {time}");
        assert_eq!(sha512.code_at(time), expected512, "SHA512 at {time}");
    }
}

#[test]
fn six_digits_are_the_low_digits() {
    let totp = Totp::parse(&BASE32.encode(SEED_SHA1)).expect("valid");
    assert_eq!(totp.digits, 6);
    for (time, expected, _, _) in VECTORS {
        assert_eq!(totp.code_at(time), expected[2..], "at {time}");
    }
}

#[test]
fn ten_digits_are_zero_padded() {
    let mut totp = Totp::parse(&format!(
        "otpauth://totp/x?secret={}&digits=10",
        BASE32.encode(SEED_SHA1)
    ))
    .expect("valid");
    assert_eq!(totp.digits, 10);
    let code = totp.code_at(59);
    assert_eq!(code.len(), 10);
    assert!(code.ends_with("94287082"));
    assert!(code.starts_with('0') || code.starts_with('1') || code.starts_with('2'));

    // Public fields set out of range never panic.
    totp.digits = u32::MAX;
    assert_eq!(totp.code_at(59).len(), 10);
    totp.digits = 0;
    assert_eq!(totp.code_at(59).len(), 1);
    totp.period = 0;
    assert_eq!(totp.code_at(u64::MAX).len(), 1);
}

#[test]
fn uri_with_all_parameters() {
    let totp = Totp::parse(
        " OTPAUTH://TOTP/ACME%20Co:alice%40example.com?SECRET=jbswy3dpehpk3pxp&Issuer=ACME+Co&Algorithm=sha256&Digits=7&Period=60&image=x#frag ",
    )
    .expect("valid");
    assert_eq!(totp.algorithm, Algorithm::Sha256);
    assert_eq!(totp.digits, 7);
    assert_eq!(totp.period, 60);
    assert_eq!(totp.secret, b"Hello!\xde\xad\xbe\xef");
    // Same step for 0..60, next step at 60.
    assert_eq!(totp.code_at(0), totp.code_at(59));
    assert_eq!(totp.code_at(0).len(), 7);
}

#[test]
fn uri_defaults_and_variants() {
    let totp = Totp::parse("otpauth://totp?secret=JBSWY3DPEHPK3PXP").expect("valid");
    assert_eq!(totp.algorithm, Algorithm::Sha1);
    assert_eq!(totp.digits, 6);
    assert_eq!(totp.period, 30);

    let totp = Totp::parse(
        "otpauth://totp/x?secret=JBSW%59%33DPEHPK3PXP&algorithm=SHA-512&digits=&period=",
    )
    .expect("valid");
    assert_eq!(totp.algorithm, Algorithm::Sha512);
    assert_eq!(totp.digits, 6);
    assert_eq!(totp.period, 30);
    assert_eq!(totp.secret, b"Hello!\xde\xad\xbe\xef");

    // The first occurrence of a repeated key wins.
    let totp =
        Totp::parse("otpauth://totp/x?digits=8&secret=JBSWY3DPEHPK3PXP&digits=6").expect("valid");
    assert_eq!(totp.digits, 8);
}

#[test]
fn bare_secret_with_spaces_dashes_lowercase_and_padding() {
    let canonical = Totp::parse("JBSWY3DPEHPK3PXP").expect("valid");
    for variant in [
        "jbsw y3dp ehpk 3pxp",
        "JBSW-Y3DP-EHPK-3PXP",
        "  jBsWy3DpEhPk3PxP\n",
    ] {
        let totp = Totp::parse(variant).expect("valid");
        assert_eq!(totp, canonical, "{variant}");
    }
    let padded = Totp::parse("MZXW6===").expect("valid");
    let unpadded = Totp::parse("mzxw6").expect("valid");
    assert_eq!(padded, unpadded);
    assert_eq!(padded.secret, b"foo");
    // Non-zero trailing bits are tolerated.
    assert!(Totp::parse("MZXW7").is_ok());
}

#[test]
fn code_now_has_the_right_shape() {
    let totp = Totp::parse("JBSWY3DPEHPK3PXP").expect("valid");
    let code = totp.code_now();
    assert_eq!(code.len(), 6);
    assert!(code.chars().all(|c| c.is_ascii_digit()));
}

#[test]
fn errors() {
    assert_eq!(
        parse_err("otpauth://totp/x?issuer=ACME"),
        "OTP: otpauth URI has no secret parameter"
    );
    assert_eq!(
        parse_err("otpauth://totp/x?secret="),
        "OTP: secret is empty"
    );
    assert_eq!(parse_err(""), "OTP: value is empty");
    assert_eq!(parse_err("  -- "), "OTP: secret is empty");
    assert_eq!(
        parse_err("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1"),
        "OTP: hotp is not supported"
    );
    assert_eq!(
        parse_err("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=3"),
        "OTP: digits must be between 6 and 10"
    );
    assert_eq!(
        parse_err("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=11"),
        "OTP: digits must be between 6 and 10"
    );
    assert_eq!(
        parse_err("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=six"),
        "OTP: digits must be a number between 6 and 10"
    );
    assert_eq!(
        parse_err("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0"),
        "OTP: period must be between 1 and 3600"
    );
    assert_eq!(
        parse_err("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=3601"),
        "OTP: period must be between 1 and 3600"
    );
    assert!(
        parse_err("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=99999999999999999999999")
            .starts_with("OTP: period must be a number")
    );
    assert_eq!(
        parse_err("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5"),
        "OTP: unsupported algorithm; use SHA1, SHA256 or SHA512"
    );
    assert_eq!(
        parse_err("otpauth://steam/x?secret=JBSWY3DPEHPK3PXP"),
        "OTP: unsupported OTP type; only totp is supported"
    );
    assert!(parse_err("otpauth:///x?secret=JBSWY3DPEHPK3PXP").contains("no type"));
    assert!(parse_err("otpauth:totp/x?secret=JBSWY3DPEHPK3PXP").contains("malformed"));
    assert!(parse_err("https://example.com/?secret=JBSWY3DPEHPK3PXP")
        .contains("unsupported URI scheme"));
    assert!(parse_err("otpauth://totp/x?secret=JBSW%ZZ").contains("percent-encoding"));
    assert!(parse_err("otpauth://totp/x?secret=JBSW%E").contains("percent-encoding"));
    assert!(parse_err("otpauth://totp/x?secret=%FF%FE").contains("UTF-8"));
    // Multi-byte characters never split a slice.
    assert!(Totp::parse("ötpauth://totp").is_err());
    assert!(Totp::parse("é").is_err());
}

#[test]
fn bad_base32_does_not_echo_the_secret() {
    for secret in [
        "JBSWY3DPEHPK3PX1",
        "JBSWY3DPEHPK3PX8",
        "SECRETVALUEX!",
        "J",
        "JBS",
    ] {
        let message = parse_err(secret);
        assert!(message.contains("not valid base32"), "{message}");
        assert!(!message.contains(secret), "{message}");
        let message = parse_err(&format!("otpauth://totp/x?secret={secret}"));
        assert!(message.contains("not valid base32"), "{message}");
        assert!(!message.contains(secret), "{message}");
    }
}

#[test]
fn debug_does_not_print_the_secret() {
    let totp = Totp::parse(&BASE32.encode(SEED_SHA1)).expect("valid");
    let debug = format!("{totp:?}");
    assert!(debug.contains("<redacted>"), "{debug}");
    assert!(!debug.contains("12345678901234567890"), "{debug}");
    assert!(!debug.contains(&BASE32.encode(SEED_SHA1)), "{debug}");
    assert!(!debug.contains("49, 50, 51"), "{debug}");
    assert!(debug.contains("Sha1"));
}
