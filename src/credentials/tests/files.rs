//! Writing files privately and atomically; loading through `OP_SESSION`.

use super::*;

#[cfg(unix)]
#[test]
fn write_new_is_private_and_refuses_to_overwrite() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let parent = dir.path().join("a").join("b");
    let path = parent.join("credentials.json");
    let c = sample();
    c.write_new(&path, None, false).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&parent), 0o700);
    assert_eq!(mode(&dir.path().join("a")), 0o700);
    assert_same(
        &c,
        &Credentials::load(path.to_str().unwrap(), None).unwrap(),
    );

    let other = sample();
    let err = other.write_new(&path, None, false).unwrap_err();
    assert!(matches!(err, CredentialsError::AlreadyExists(_)), "{err:?}");
    assert!(err.to_string().contains("already exists"));
    assert_same(
        &c,
        &Credentials::load(path.to_str().unwrap(), None).unwrap(),
    );

    other.write_new(&path, Some("pw"), true).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_same(
        &other,
        &Credentials::load(path.to_str().unwrap(), Some("pw")).unwrap(),
    );
    // No temporary files are left behind.
    let names: Vec<_> = fs::read_dir(&parent)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("credentials.json")]);
}

#[test]
fn write_new_into_current_style_relative_parent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("creds.json");
    let c = sample();
    c.write_new(&path, None, false).unwrap();
    assert!(matches!(
        c.write_new(&path, None, false),
        Err(CredentialsError::AlreadyExists(_))
    ));
    assert!(matches!(
        c.write_new(Path::new("/"), None, true),
        Err(CredentialsError::Io(..))
    ));
    assert!(matches!(
        c.write_new(&path, Some(""), true),
        Err(CredentialsError::EmptyPassphrase)
    ));
}

#[test]
fn load_by_path_and_by_base64() {
    let c = sample();
    let text = c.to_json(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("creds.json");
    c.write_new(&path, None, false).unwrap();
    assert_same(
        &c,
        &Credentials::load(path.to_str().unwrap(), None).unwrap(),
    );

    let wrapped: String =
        STANDARD
            .encode(&text)
            .as_bytes()
            .chunks(76)
            .fold(String::new(), |mut acc, line| {
                acc.push_str(std::str::from_utf8(line).unwrap());
                acc.push('\n');
                acc
            });
    for session in [
        STANDARD.encode(&text),
        STANDARD_NO_PAD.encode(&text),
        URL_SAFE.encode(&text),
        URL_SAFE_NO_PAD.encode(&text),
        format!("{}\n", STANDARD.encode(&text)),
        wrapped.clone(),
    ] {
        assert_same(&c, &Credentials::load(&session, None).unwrap());
    }

    // The JSON itself.
    assert_same(&c, &Credentials::load(&text, None).unwrap());

    // A file that holds base64 text rather than JSON.
    let b64_path = dir.path().join("creds.b64");
    fs::write(&b64_path, &wrapped).unwrap();
    assert_same(
        &c,
        &Credentials::load(b64_path.to_str().unwrap(), None).unwrap(),
    );

    // Sealed, by base64.
    let sealed = c.to_json(Some("pw")).unwrap();
    assert_same(
        &c,
        &Credentials::load(&URL_SAFE_NO_PAD.encode(&sealed), Some("pw")).unwrap(),
    );
    assert!(matches!(
        Credentials::load(&STANDARD.encode(&sealed), None),
        Err(CredentialsError::PassphraseRequired)
    ));
}

#[test]
fn load_explains_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json");
    let err = Credentials::load(missing.to_str().unwrap(), None).unwrap_err();
    assert!(matches!(err, CredentialsError::Session(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("OP_SESSION is neither a readable file nor base64 of a credentials file"),
        "{msg}"
    );
    assert!(msg.contains("nope.json"), "{msg}");

    let err = Credentials::load(dir.path().to_str().unwrap(), None).unwrap_err();
    assert!(err.to_string().contains("is a directory"), "{err}");

    for empty in ["", "  \n"] {
        assert!(matches!(
            Credentials::load(empty, None),
            Err(CredentialsError::Session(_))
        ));
    }

    // A damaged base64 credentials file: rejected without quoting it.
    let c = sample();
    let mut b64 = STANDARD.encode(c.to_json(None).unwrap());
    b64.insert(10, '*');
    let err = Credentials::load(&b64, None).unwrap_err();
    assert!(matches!(err, CredentialsError::Session(_)), "{err:?}");
    let msg = err.to_string();
    assert!(!msg.contains(&b64[..40]), "{msg}");
    assert_no_secrets(&msg, &c);
    // Base64 of something that is not JSON.
    let err = Credentials::load(&STANDARD.encode([7u8; 300]), None).unwrap_err();
    assert!(matches!(err, CredentialsError::Session(_)), "{err:?}");

    // A file that is not a credentials file names the file.
    let junk = dir.path().join("junk.txt");
    fs::write(&junk, "hello").unwrap();
    let msg = parse_error(Credentials::load(junk.to_str().unwrap(), None));
    assert!(msg.contains("junk.txt"), "{msg}");
    let big = dir.path().join("big.json");
    fs::write(&big, vec![b' '; 2 * 1024 * 1024]).unwrap();
    parse_error(Credentials::load(big.to_str().unwrap(), None));
    let binary = dir.path().join("binary");
    fs::write(&binary, [0xff, 0xfe, 0x00, 0x80]).unwrap();
    parse_error(Credentials::load(binary.to_str().unwrap(), None));
}
