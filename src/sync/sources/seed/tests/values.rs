//! Field values: `${env:…}` interpolation, value files, deterministic generated values and stable
//! ids.

use super::*;

// ----- values -----

#[test]
fn env_interpolation_defaults_and_escapes() {
    let env = |name: &str| match name {
        "HOST" => Some("db.internal".to_string()),
        "EMPTY" => Some(String::new()),
        _ => None,
    };
    let doc = item_doc(
        r#"title: t
fields:
  - {label: a, value: "postgres://${env:HOST}:5432/${env:HOST}"}
  - {label: b, value: "$${env:HOST} and $$ and $5 and trailing $"}
  - {label: c, value: "${env:UNSET:-fallback} ${env:EMPTY:-was empty} [${env:EMPTY}]"}
  - {label: d, value: {env: HOST}}
  - {label: e, value: {env: UNSET, default: dflt}}
  - {label: f, value: {env: EMPTY}}
urls: ["https://${env:HOST}/admin"]"#,
    );
    let snapshot = parse_in(&doc, Path::new("."), &env);
    let item = only_item(&snapshot);
    assert_eq!(value(item, "a"), "postgres://db.internal:5432/db.internal");
    assert_eq!(value(item, "b"), "${env:HOST} and $$ and $5 and trailing $");
    assert_eq!(value(item, "c"), "fallback was empty []");
    assert_eq!(value(item, "d"), "db.internal");
    assert_eq!(value(item, "e"), "dflt");
    assert_eq!(value(item, "f"), "");
    assert_eq!(item.data.summary.urls[0].href, "https://db.internal/admin");
}

#[test]
fn env_values_are_not_interpolated_again() {
    let env = |name: &str| (name == "RAW").then(|| "${env:OTHER}".to_string());
    let snapshot = parse_in(
        &item_doc("title: t\npassword: \"${env:RAW}\"\nnotes: {env: RAW}"),
        Path::new("."),
        &env,
    );
    let item = only_item(&snapshot);
    assert_eq!(value(item, "password"), "${env:OTHER}");
    assert_eq!(value(item, "notesPlain"), "${env:OTHER}");
}

#[test]
fn value_files_are_text_with_one_trailing_newline_removed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("secrets")).unwrap();
    std::fs::write(dir.path().join("secrets/a"), "line1\nline2\n\n").unwrap();
    std::fs::write(dir.path().join("secrets/b"), "no newline").unwrap();
    std::fs::write(dir.path().join("secrets/bin"), [0xff, 0xfe, 0x00]).unwrap();
    let doc = item_doc(
        "title: t\nfields:\n  - {label: a, value: {file: secrets/a}}\n  - {label: b, value: {file: ./secrets/b}}",
    );
    let snapshot = parse_in(&doc, dir.path(), &no_env);
    let item = only_item(&snapshot);
    assert_eq!(value(item, "a"), "line1\nline2\n");
    assert_eq!(value(item, "b"), "no newline");
    let e = err_in(
        &item_doc("title: t\npassword: {file: secrets/bin}"),
        dir.path(),
        &no_env,
    );
    assert!(e.contains("is not UTF-8 text"), "{e}");
    std::fs::write(dir.path().join("big"), vec![b'a'; 300 * 1024]).unwrap();
    let e = err_in(
        &item_doc("title: t\npassword: {file: big}"),
        dir.path(),
        &no_env,
    );
    assert!(e.contains("too large"), "{e}");
}

// ----- generated values -----

const GENERATED: &str = r#"title: t
password: {generate: true}
fields:
  - {label: pin, generate: true, recipe: {length: 8, characterSets: [DIGITS]}}
  - {label: token, type: CONCEALED, generate: true, recipe: {length: 64, excludeCharacters: "abcdefghijklmnopqrstuvwxyz"}}
  - {label: short, generate: true, recipe: {length: 2, characterSets: [LETTERS, DIGITS, SYMBOLS]}}"#;

#[test]
fn generated_values_follow_the_recipe() {
    let snapshot = ok(&item_doc(GENERATED));
    let item = only_item(&snapshot);
    let password = field(item, "password");
    let pw = password.value.as_deref().unwrap();
    assert_eq!(pw.chars().count(), 32);
    let all = format!(
        "{}{}{}",
        generator::LETTERS,
        generator::DIGITS,
        generator::SYMBOLS
    );
    assert!(pw.chars().all(|c| all.contains(c)), "{pw}");
    for set in [generator::LETTERS, generator::DIGITS, generator::SYMBOLS] {
        assert!(pw.chars().any(|c| set.contains(c)), "{pw} lacks a set");
    }
    assert_eq!(password.entropy, Some(207.74));
    let pin = field(item, "pin");
    let pin_value = pin.value.as_deref().unwrap();
    assert_eq!(pin_value.len(), 8);
    assert!(pin_value.bytes().all(|b| b.is_ascii_digit()), "{pin_value}");
    assert_eq!(pin.entropy, Some(26.58));
    let token = value(item, "token");
    assert_eq!(token.len(), 64);
    assert!(!token.bytes().any(|b| b.is_ascii_lowercase()), "{token}");
    assert_eq!(value(item, "short").chars().count(), 2);
}

#[test]
fn generated_values_are_stable_and_keyed() {
    let doc = item_doc(GENERATED);
    let first = ok(&doc);
    let second = ok(&doc);
    assert_eq!(first, second);
    // Another key gives other values but the same ids.
    let other = parse(&doc, SeedFormat::Yaml, Path::new("."), &no_env, &[8; 32]).unwrap();
    let (a, b) = (only_item(&first), only_item(&other));
    assert_eq!(a.id, b.id);
    assert_ne!(value(a, "password"), value(b, "password"));
    assert_ne!(value(a, "token"), value(b, "token"));
    // Distinct fields and distinct items get independent values.
    assert_ne!(value(a, "password"), value(a, "token"));
    let renamed = ok(&item_doc(&GENERATED.replace("title: t", "title: u")));
    assert_ne!(value(a, "password"), value(only_item(&renamed), "password"));
    // Adding an unrelated item or field leaves existing values alone.
    let more = ok(&item_doc(&format!(
        "{GENERATED}\n  - {{label: new, value: x}}"
    )));
    assert_eq!(value(a, "password"), value(only_item(&more), "password"));
    assert_eq!(value(a, "pin"), value(only_item(&more), "pin"));
    // A changed recipe changes the value.
    let longer = ok(&item_doc(&GENERATED.replace("length: 8,", "length: 9,")));
    assert_ne!(value(a, "pin"), &value(only_item(&longer), "pin")[..8]);
}

#[test]
fn stream_sampling_is_uniform_enough() {
    let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&KEY).unwrap();
    let mut stream = Stream::new(&mac, b"test");
    let mut counts = [0usize; 10];
    for _ in 0..10_000 {
        counts[stream.below(10)] += 1;
    }
    assert!(
        counts.iter().all(|&c| (800..1200).contains(&c)),
        "{counts:?}"
    );
    assert_eq!(stream.below(1), 0);
}

// ----- stable ids -----

#[test]
fn ids_are_stable_across_parses_and_independent_of_order() {
    let text = example_text();
    let first = parse(&text, SeedFormat::Yaml, &example_dir(), &example_env, &KEY).unwrap();
    let second = parse(&text, SeedFormat::Yaml, &example_dir(), &example_env, &KEY).unwrap();
    assert_eq!(first, second);
    let a = ok(&item_doc(
        "title: t\nsections: [{label: S, fields: [{label: f}]}]\nfields: [{label: g}]",
    ));
    let b = ok(&item_doc("title: t\nfields: [{label: h}, {label: g}]\nsections: [{label: S2}, {label: S, fields: [{label: x}, {label: f}]}]"));
    let (a, b) = (only_item(&a), only_item(&b));
    assert_eq!(a.id, b.id);
    assert_eq!(field(a, "f").id, field(b, "f").id);
    assert_eq!(field(a, "g").id, field(b, "g").id);
}
