//! The credentials reader: any file content (JSON, or base64 of it) is read or refused with a
//! message, never a panic; what reads writes back to a file that reads to the same credentials.
//! Sealed files are read without a passphrase: opening one runs argon2id with the file's own
//! (bounded) cost, up to a GiB per attempt, which is not a parser.

use latchkey::credentials::Credentials;

/// Whether the credentials were read.
pub fn run(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(credentials) = Credentials::from_file_text(text, None) else {
        return false;
    };
    let written = credentials
        .to_json(None)
        .expect("credentials that were read can be written");
    let again = Credentials::from_json(&written, None).expect("a written file reads back");
    assert_eq!(format!("{again:?}"), format!("{credentials:?}"));
    assert_eq!(again.source, credentials.source);
    assert_eq!(again.root_key.as_bytes(), credentials.root_key.as_bytes());
    assert_eq!(*again.signing_key_pkcs8, *credentials.signing_key_pkcs8);
    let _ = credentials.public_key_sec1();
    true
}
