//! `seed.schema.json` against the example and the parser, with a small JSON Schema checker.

use super::*;

fn schema() -> Value {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("seed.schema.json"))
            .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A small JSON Schema (draft 2020-12) checker for the keywords `seed.schema.json` uses. It
/// refuses keywords it does not know, so that the schema cannot grow a rule this test ignores.
fn check(root: &Value, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let Value::Object(rules) = schema else {
        if schema == &Value::Bool(false) {
            errors.push(format!("{path}: not allowed"));
        }
        return;
    };
    let valid = |s: &Value, v: &Value| {
        let mut e = Vec::new();
        check(root, s, v, path, &mut e);
        e.is_empty()
    };
    for (keyword, rule) in rules {
        match keyword.as_str() {
            "$schema" | "title" | "description" | "default" | "$defs" => {}
            "$ref" => {
                let name = rule.as_str().unwrap().strip_prefix("#/$defs/").unwrap();
                let target = &root["$defs"][name];
                assert!(!target.is_null(), "dangling $ref {name}");
                let mut e = Vec::new();
                check(root, target, value, path, &mut e);
                errors.extend(e);
                continue;
            }
            "type" => {
                let types: Vec<&str> = match rule {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
                    _ => panic!("bad type"),
                };
                let matches = types.iter().any(|t| match *t {
                    "string" => value.is_string(),
                    "number" => value.is_number(),
                    "integer" => value.is_i64() || value.is_u64(),
                    "boolean" => value.is_boolean(),
                    "null" => value.is_null(),
                    "array" => value.is_array(),
                    "object" => value.is_object(),
                    other => panic!("unknown type {other}"),
                });
                if !matches {
                    push(errors, path, format!("expected {types:?}, got {value}"));
                }
            }
            "enum" => {
                if !rule.as_array().unwrap().contains(value) {
                    push(errors, path, format!("{value} not in {rule}"));
                }
            }
            "const" => {
                if rule != value {
                    push(errors, path, format!("{value} is not {rule}"));
                }
            }
            "minLength" | "maxLength" => {
                if let Some(s) = value.as_str() {
                    let n = s.chars().count() as u64;
                    let limit = rule.as_u64().unwrap();
                    if (keyword == "minLength" && n < limit)
                        || (keyword == "maxLength" && n > limit)
                    {
                        push(errors, path, format!("{keyword} {limit}"));
                    }
                }
            }
            "minimum" | "maximum" => {
                if let Some(n) = value.as_f64() {
                    let limit = rule.as_f64().unwrap();
                    if (keyword == "minimum" && n < limit) || (keyword == "maximum" && n > limit) {
                        push(errors, path, format!("{keyword} {limit}"));
                    }
                }
            }
            "pattern" => {
                if let Some(s) = value.as_str() {
                    let ok = match rule.as_str().unwrap() {
                        "^([a-z0-9]{26})?$" => s.is_empty() || ids::is_valid_id(s),
                        "^[A-Za-z_][A-Za-z0-9_]*$" => check_env_name(s, "").is_ok(),
                        other => panic!("unsupported pattern {other}"),
                    };
                    if !ok {
                        push(errors, path, format!("{s:?} does not match {rule}"));
                    }
                }
            }
            "required" => {
                if let Some(object) = value.as_object() {
                    for key in rule.as_array().unwrap() {
                        if !object.contains_key(key.as_str().unwrap()) {
                            push(errors, path, format!("missing {key}"));
                        }
                    }
                }
            }
            "properties" => {
                if let Some(object) = value.as_object() {
                    for (key, sub) in rule.as_object().unwrap() {
                        if let Some(v) = object.get(key) {
                            check(root, sub, v, &format!("{path}.{key}"), errors);
                        }
                    }
                }
            }
            "patternProperties" => {
                let patterns: Vec<_> = rule.as_object().unwrap().keys().collect();
                assert_eq!(patterns, ["^x-"], "only ^x- is supported");
            }
            "additionalProperties" => {
                assert_eq!(rule, &Value::Bool(false));
                if let Some(object) = value.as_object() {
                    let known = rules["properties"].as_object().unwrap();
                    for key in object.keys() {
                        if !known.contains_key(key) && !key.starts_with("x-") {
                            errors.push(format!("{path}: unknown key {key}"));
                        }
                    }
                }
            }
            "items" => {
                if let Some(items) = value.as_array() {
                    for (i, item) in items.iter().enumerate() {
                        check(root, rule, item, &format!("{path}[{i}]"), errors);
                    }
                }
            }
            "oneOf" => {
                let n = rule
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|s| valid(s, value))
                    .count();
                if n != 1 {
                    push(errors, path, format!("matches {n} of oneOf"));
                }
            }
            "anyOf" => {
                if !rule.as_array().unwrap().iter().any(|s| valid(s, value)) {
                    push(errors, path, "matches nothing in anyOf");
                }
            }
            "allOf" => {
                for sub in rule.as_array().unwrap() {
                    check(root, sub, value, path, errors);
                }
                continue;
            }
            "not" => {
                if valid(rule, value) {
                    push(errors, path, format!("matches not {rule}"));
                }
            }
            "if" => {
                if valid(rule, value) {
                    if let Some(then) = rules.get("then") {
                        check(root, then, value, path, errors);
                    }
                }
                continue;
            }
            "then" => {}
            other => panic!("the schema checker does not know {other:?}"),
        }
    }
}

fn push(errors: &mut Vec<String>, path: &str, what: impl std::fmt::Display) {
    errors.push(format!("{path}: {what}"));
}

fn schema_errors(value: &Value) -> Vec<String> {
    let schema = schema();
    let mut errors = Vec::new();
    check(&schema, &schema, value, "$", &mut errors);
    errors
}

#[test]
fn example_validates_against_the_schema() {
    let example: Value = serde_norway::from_str(&example_text()).unwrap();
    let errors = schema_errors(&example);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(
        schema()["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}

#[test]
fn schema_rejects_what_the_parser_rejects() {
    for bad in [
        "{}",
        "{vaults: [{items: []}]}",
        "{vaults: [{name: V, colour: red}]}",
        "{vaults: [{name: V, id: ABC}]}",
        "{vaults: [{name: V, type: SHARED}]}",
        "{vaults: [{name: V, items: [{category: LOGIN}]}]}",
        "{vaults: [{name: V, items: [{title: t, category: login}]}]}",
        "{vaults: [{name: V, items: [{title: t, favorite: yes}]}]}",
        "{vaults: [{name: V, items: [{title: t, fields: [{value: x}]}]}]}",
        "{vaults: [{name: V, items: [{title: t, fields: [{label: f, type: TOTP}]}]}]}",
        "{vaults: [{name: V, items: [{title: t, fields: [{label: f, value: x, generate: true}]}]}]}",
        "{vaults: [{name: V, items: [{title: t, fields: [{label: f, recipe: {length: 3}}]}]}]}",
        "{vaults: [{name: V, items: [{title: t, fields: [{label: f, generate: true, type: DATE}]}]}]}",
        "{vaults: [{name: V, items: [{title: t, fields: [{label: f, value: {path: a}}]}]}]}",
        "{vaults: [{name: V, items: [{title: t, password: {env: \"A B\"}}]}]}",
        "{vaults: [{name: V, items: [{title: t, password: {generate: true, recipe: {length: 65}}}]}]}",
        "{vaults: [{name: V, items: [{title: t, sections: [{label: S, fields: [{label: f, section: S}]}]}]}]}",
        "{vaults: [{name: V, items: [{title: t, sections: [{fields: []}]}]}]}",
        "{vaults: [{name: V, items: [{title: t, files: [{name: a}]}]}]}",
        "{vaults: [{name: V, items: [{title: t, files: [{name: a, content: x, base64: eA==}]}]}]}",
        "{vaults: [{name: V, items: [{title: t, files: [{content: x}]}]}]}",
        "{vaults: [{name: V, items: [{title: t, urls: [{label: x}]}]}]}",
        "{version: 2, vaults: []}",
    ] {
        let value: Value = serde_norway::from_str(bad).unwrap();
        assert!(!schema_errors(&value).is_empty(), "schema accepts {bad}");
        assert!(
            parse(bad, SeedFormat::Yaml, Path::new("."), &no_env, &KEY).is_err(),
            "parser accepts {bad}"
        );
    }
}

#[test]
fn schema_keys_and_enums_match_the_parser() {
    let schema = schema();
    let keys = |v: &Value| -> Vec<String> {
        let mut keys: Vec<String> = v["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    let sorted = |k: &[&str]| -> Vec<String> {
        let mut k: Vec<String> = k.iter().map(|s| s.to_string()).collect();
        k.sort();
        k
    };
    let defs = &schema["$defs"];
    assert_eq!(keys(&schema), sorted(ROOT_KEYS));
    for (def, parser_keys) in [
        (&defs["vault"], VAULT_KEYS),
        (&defs["item"], ITEM_KEYS),
        (&defs["url"]["oneOf"][1], URL_KEYS),
        (&defs["section"], SECTION_KEYS),
        (&defs["field"], FIELD_KEYS),
        (&defs["sectionField"], SECTION_FIELD_KEYS),
        (&defs["sectionRef"]["oneOf"][1], SECTION_REF_KEYS),
        (&defs["file"], FILE_KEYS),
        (&defs["recipe"], RECIPE_KEYS),
        (&defs["fileValue"], FILE_VALUE_KEYS),
        (&defs["envValue"], ENV_VALUE_KEYS),
        (&defs["generateValue"], GENERATE_VALUE_KEYS),
    ] {
        assert_eq!(keys(def), sorted(parser_keys), "{def}");
    }
    let names = |v: &Value| -> Vec<String> {
        v["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let all = |names: Vec<String>| names;
    assert_eq!(
        names(&defs["category"]),
        all(Category::ALL.iter().map(ToString::to_string).collect())
    );
    assert_eq!(
        names(&defs["fieldType"]),
        all(FieldType::ALL.iter().map(ToString::to_string).collect())
    );
    assert_eq!(
        names(&defs["vault"]["properties"]["type"]),
        all(VaultType::ALL.iter().map(ToString::to_string).collect())
    );
    assert_eq!(
        names(&defs["purpose"]),
        all(Purpose::ALL.iter().map(ToString::to_string).collect())
    );
    assert_eq!(
        names(&defs["recipe"]["properties"]["characterSets"]["items"]),
        CHARACTER_SETS
            .iter()
            .map(|(n, _)| n.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        defs["recipe"]["properties"]["length"]["maximum"],
        generator::MAX_LENGTH
    );
}
