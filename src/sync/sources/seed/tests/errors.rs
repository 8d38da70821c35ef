//! Error messages: they name the file and the position of the vault, item and field, and never
//! contain a value (nor a name or title: see `positions`).

use super::*;

// ----- errors -----

#[test]
fn missing_env_var_names_variable_and_item() {
    for item in [
        "title: Postgres\npassword: \"x${env:PG_PASSWORD}\"",
        "title: Postgres\nfields: [{label: pw, value: {env: PG_PASSWORD}}]",
    ] {
        let e = err(&item_doc(item));
        assert!(e.contains("PG_PASSWORD is not set"), "{e}");
        assert!(e.contains("vault #1, item #1"), "{e}");
    }
    let e = err(&item_doc("title: t\nurls: [\"https://${env:NOPE}\"]"));
    assert!(e.contains("NOPE is not set") && e.contains("URL #1"), "{e}");
}

#[test]
fn the_example_needs_its_documented_variable() {
    let e = match parse(
        &example_text(),
        SeedFormat::Yaml,
        &example_dir(),
        &no_env,
        &KEY,
    ) {
        Err(SourceError::Invalid(e)) => e,
        other => panic!("{other:?}"),
    };
    assert!(e.contains("LATCHKEY_EXAMPLE_DB_PASSWORD is not set"), "{e}");
    assert!(e.contains("vault #1, item #1, `password`"), "{e}");
}

#[test]
fn bad_references_are_errors() {
    for (value, expected) in [
        ("\"${HOME}\"", "unsupported `${…}` reference"),
        ("\"${env:}\"", "environment variable name"),
        ("\"${env:1X}\"", "environment variable name"),
        ("\"abc ${env:X\"", "without a closing"),
        ("{env: \"A B\"}", "environment variable name"),
    ] {
        let e = err(&item_doc(&format!("title: t\npassword: {value}")));
        assert!(e.contains(expected), "{value}: {e}");
        assert!(e.contains("`password`"), "{e}");
    }
}

#[test]
fn missing_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = err_in(
        &item_doc("title: Certs\nfields: [{label: key, value: {file: missing.txt}}]"),
        dir.path(),
        &no_env,
    );
    assert!(
        e.contains("vault #1, item #1, field #1: cannot read the value file \"missing.txt\""),
        "{e}"
    );
    let e = err_in(
        &item_doc("title: Certs\nfiles: [{path: nope/cert.pem}]"),
        dir.path(),
        &no_env,
    );
    assert!(e.contains("file #1") && e.contains("cannot read"), "{e}");
}

#[test]
fn duplicate_titles_need_an_id() {
    let doc = "vaults:\n  - name: Infra\n    items:\n      - title: Postgres\n      - title: Redis\n      - title: Postgres\n";
    let e = err(doc);
    assert!(
        e.contains("vault #1: items #1 and #3 have the same title"),
        "{e}"
    );
    assert!(e.contains("give one of them an `id`"), "{e}");
    // With an id, the same title is fine.
    let fixed = doc.replacen(
        "      - title: Redis\n      - title: Postgres\n",
        "      - title: Redis\n      - {title: Postgres, id: bbbbbbbbbbbbbbbbbbbbbbbbbb}\n",
        1,
    );
    assert_eq!(ok(&fixed).vaults[0].items.len(), 3);
    // The same title in two vaults is fine too.
    ok("vaults:\n  - {name: A, items: [{title: X}]}\n  - {name: B, items: [{title: X}]}\n");
    let e = err("vaults:\n  - {name: A, items: [{title: X, id: cccccccccccccccccccccccccc}, {title: Y, id: cccccccccccccccccccccccccc}]}\n");
    assert!(
        e.contains("vault #1: items #1 and #2 have the same id"),
        "{e}"
    );
}

#[test]
fn duplicate_vaults_sections_fields_and_files() {
    let e = err("vaults:\n  - name: A\n  - name: A\n");
    assert!(e.contains("vaults #1 and #2 have the same name"), "{e}");
    let e = err(&item_doc("title: t\nsections: [{label: S}, {label: S}]"));
    assert!(e.contains("sections #1 and #2 would share an id"), "{e}");
    let e = err(&item_doc("title: t\nfields: [{label: f}, {label: f}]"));
    assert!(
        e.contains("field #1 and field #2 have the same label in the same section"),
        "{e}"
    );
    let e = err(&item_doc(
        "title: t\npassword: a\nfields: [{purpose: PASSWORD, value: b}]",
    ));
    assert!(
        e.contains("`password` and field #1 both set the built-in \"password\" field"),
        "{e}"
    );
    let e = err(&item_doc(
        "title: t\nfields: [{id: k, label: a}, {id: k, label: b}]",
    ));
    assert!(e.contains("field #1 and field #2 have the same id"), "{e}");
    // The same label in different sections is fine.
    ok(&item_doc(
        "title: t\nsections: [{label: A, fields: [{label: f}]}, {label: B, fields: [{label: f}]}]",
    ));
    let e = err(&item_doc(
        "title: t\nfiles: [{name: a, content: x}, {name: a, content: y}]",
    ));
    assert!(e.contains("files #1 and #2 have the same name"), "{e}");
}

#[test]
fn bad_enums_are_errors_with_hints() {
    let e = err(&item_doc("title: t\ncategory: login"));
    assert!(e.contains("unknown category (did you mean LOGIN?)"), "{e}");
    assert!(e.contains("SSH_KEY, CUSTOM"), "{e}");
    let e = err(&item_doc("title: t\ncategory: NOPE"));
    assert!(
        e.contains("unknown category; expected one of: LOGIN"),
        "{e}"
    );
    let e = err(&item_doc("title: t\nfields: [{label: f, type: TOTP}]"));
    assert!(
        e.contains("(did you mean OTP?)") && e.contains("field #1"),
        "{e}"
    );
    let e = err(&item_doc("title: t\nfields: [{label: f, purpose: OWNER}]"));
    assert!(e.contains("field #1: unknown purpose"), "{e}");
    let e = err("vaults: [{name: V, type: SHARED}]");
    assert!(e.contains("vault #1: unknown vault type"), "{e}");
}

#[test]
fn bad_otp_is_an_error_without_the_secret() {
    for otp in [
        format!("otpauth://hotp/x?secret={SECRET}"),
        format!("otpauth://totp/x?secret={SECRET}!"),
        format!("{SECRET}!!"),
    ] {
        let e = err(&item_doc(&format!(
            "title: MFA\nfields: [{{label: code, type: OTP, value: \"{otp}\"}}]"
        )));
        assert!(e.contains("field #1: not a valid one-time password"), "{e}");
        assert!(!e.contains(&otp), "{e}");
    }
    // The secret can also come from the environment.
    let e = err(&item_doc(
        "title: MFA\nfields: [{label: code, type: OTP, value: {env: SECRET_VAR}}]",
    ));
    assert!(e.contains("not a valid one-time password"), "{e}");
}

#[test]
fn bad_dates_are_errors_without_the_value() {
    for (field_type, bad) in [
        ("DATE", "2030-02-30"),
        ("DATE", "next tuesday"),
        ("MONTH_YEAR", "13/2029"),
        ("DATE", SECRET),
        ("MONTH_YEAR", SECRET),
    ] {
        let e = err(&item_doc(&format!(
            "title: t\nfields: [{{label: when, type: {field_type}, value: \"{bad}\"}}]"
        )));
        assert!(
            e.contains(&format!("field #1: not a valid {field_type}")),
            "{e}"
        );
        assert!(!e.contains(bad), "{e}");
    }
}

#[test]
fn yaml_syntax_errors_give_line_and_column() {
    let doc = "vaults:\n  - name: V\n    items:\n      - title: t\n     bad: [\n";
    let e = err(doc);
    assert!(e.starts_with("seed file: invalid YAML: "), "{e}");
    assert!(e.contains("line 5"), "{e}");
    assert!(e.contains("column"), "{e}");
    let e = err("vaults:\n  - name: V\n    name: W\n");
    assert!(
        e.contains("duplicate entry with key \"name\"") && e.contains("line 2"),
        "{e}"
    );
    let e = err("vaults: !custom [1]\n");
    assert!(e.contains("YAML tags"), "{e}");
    let e = match parse(
        "{\"vaults\": [\n  {\"name\": \"V\",}\n]}",
        SeedFormat::Json,
        Path::new("."),
        &no_env,
        &KEY,
    ) {
        Err(SourceError::Invalid(e)) => e,
        other => panic!("{other:?}"),
    };
    assert!(e.contains("invalid JSON") && e.contains("line 2"), "{e}");
}

#[test]
fn wrong_types_are_errors() {
    for (doc, expected) in [
        ("[]".to_string(), "the document must be a mapping, not a list"),
        ("".to_string(), "the file is empty"),
        ("version: 2\nvaults: []".to_string(), "unsupported `version`"),
        ("other: 1".to_string(), "unknown key \"other\""),
        ("x-only: 1".to_string(), "`vaults` is required"),
        ("vaults: {name: V}".to_string(), "`vaults` must be a list, not a mapping"),
        ("vaults: [V]".to_string(), "vault #1: a vault must be a mapping, not text"),
        ("vaults: [{name: [a]}]".to_string(), "vault #1: `name` must be text, not a list"),
        ("vaults: [{id: aaaaaaaaaaaaaaaaaaaaaaaaaa}]".to_string(), "vault #1: `name` is required"),
        ("vaults: [{name: V, id: ABC}]".to_string(), "the vault id must be 26 lowercase"),
        ("vaults: [{name: V, items: {title: t}}]".to_string(), "`items` must be a list"),
        (item_doc("favorite: yes\ntitle: t"), "`favorite` must be true or false, not text"),
        (item_doc("title: t\narchived: 1"), "`archived` must be true or false, not a number"),
        (item_doc("title: t\ntags: db"), "`tags` must be a list, not text"),
        (item_doc("title: t\ntags: [[a]]"), "every entry of `tags` must be text"),
        (item_doc("title: [t]"), "item #1: `title` must be text, not a list"),
        (item_doc("category: LOGIN"), "item #1: `title` is required"),
        (item_doc("title: t\nid: nope"), "the item id must be 26 lowercase"),
        (item_doc("title: t\npasword: x"), "unknown key \"pasword\" in an item"),
        (item_doc("title: t\nfields: {label: f}"), "`fields` must be a list, not a mapping"),
        (item_doc("title: t\nfields: [{value: x}]"), "field #1: a field needs a `label`"),
        (item_doc("title: t\nfields: [{label: f, value: [a]}]"), "not a list"),
        (item_doc("title: t\nfields: [{label: f, value: {path: a}}]"), "needs `file`, `env` or `generate`"),
        (item_doc("title: t\nfields: [{label: f, value: {file: a, env: B}}]"), "unknown key \"env\""),
        (item_doc("title: t\nfields: [{label: f, totp: \"123\"}]"), "unknown key \"totp\" in a field"),
        (item_doc("title: t\nsections: [{label: S, fields: [{label: f, section: S}]}]"), "unknown key \"section\""),
        (item_doc("title: t\nsections: [{fields: []}]"), "a section needs a `label`"),
        (item_doc("title: t\nfields: [{label: f, section: Nope}]"), "field #1: `section` names no section"),
        (item_doc("title: t\nurls: [{label: x}]"), "`href` is required"),
        (item_doc("title: t\nurls: [5]"), "a URL must be text or a mapping"),
        (item_doc("title: t\nfiles: [{name: a}]"), "exactly one of `path`, `content` or `base64`"),
        (item_doc("title: t\nfiles: [{name: a, content: x, base64: eA==}]"), "exactly one of"),
        (item_doc("title: t\nfiles: [{content: x}]"), "file #1: `name` is required"),
        (item_doc("title: t\nfiles: [{name: a, base64: \"not base64!\"}]"), "`base64` is not valid base64"),
        (item_doc("title: t\nfiles: [{name: a, content: x, id: X}]"), "the file id must be 26"),
        (item_doc("title: t\nfiles: [{name: a, content: [x]}]"), "`content` must be text, not a list"),
        (item_doc("title: t\nfields: [{label: f, value: x, generate: true}]"), "cannot be used together"),
        (item_doc("title: t\nfields: [{label: f, recipe: {length: 3}}]"), "`recipe` needs `generate: true`"),
        (item_doc("title: t\nfields: [{label: f, type: DATE, generate: true}]"), "cannot be generated for a DATE field"),
        (item_doc("title: t\npassword: {generate: false}"), "needs `generate: true`"),
        (item_doc("title: t\npassword: {generate: true, recipe: {length: 65}}"), "length must be between 1 and 64"),
        (item_doc("title: t\npassword: {generate: true, recipe: {length: \"8\"}}"), "must be a whole number, not text"),
        (item_doc("title: t\npassword: {generate: true, recipe: {characterSets: [letters]}}"), "must be LETTERS, DIGITS or SYMBOLS"),
        (item_doc("title: t\npassword: {generate: true, recipe: {characterSets: [DIGITS], excludeCharacters: \"0123456789\"}}"), "excludeCharacters removes every character"),
        (item_doc("title: t\npassword: {generate: true, recipe: {size: 3}}"), "unknown key \"size\" in a recipe"),
        (item_doc(&format!("title: {}", "x".repeat(1100))), "The title is too long"),
    ] {
        let e = err(&doc);
        assert!(e.contains(expected), "expected {expected:?} in {e:?} for:\n{doc}");
    }
}

#[test]
fn no_message_contains_a_secret() {
    // Secrets from the file, the environment and value files, each next to a mistake.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), SECRET).unwrap();
    for bad in [
        format!("password: \"{SECRET}\"\ncategory: NOPE"),
        format!("password: \"{SECRET}\"\nfields: [{{label: f, type: DATE, value: \"{SECRET}\"}}]"),
        format!(
            "password: \"{SECRET}\"\nfields: [{{label: f, value: \"{SECRET}${{env:MISSING}}\"}}]"
        ),
        "password: {env: SECRET_VAR}\nfields: [{label: f, value: x}, {label: f, value: y}]".into(),
        "password: {file: secret.txt}\nurls: [{href: x, primary: true}, {href: y, primary: true}]"
            .into(),
        "fields: [{label: f, type: MONTH_YEAR, value: {file: secret.txt}}]".into(),
        "fields: [{label: f, type: OTP, value: {env: SECRET_VAR}}]".into(),
        format!("fields: [{{label: f, value: \"{SECRET}\"}}]\nfiles: [{{path: missing}}]"),
        format!("fields: [{{label: f, value: \"{SECRET}\"}}]\nsections: 3"),
    ] {
        let e = err_in(
            &item_doc(&format!("title: t\n{bad}")),
            dir.path(),
            &secret_env,
        );
        assert!(!e.contains(SECRET), "{e}");
        assert!(!e.contains("3cr3t"), "{e}");
    }
}

#[test]
fn redaction_is_a_second_line_of_defence() {
    let message = format!("bad value {SECRET} in field");
    assert_eq!(
        redact(message, &[SECRET.to_string(), "ab".into()]),
        "bad value <redacted> in field"
    );
    assert_eq!(redact("a field".into(), &["a".into()]), "a field");
}
