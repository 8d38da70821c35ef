//! `openapi.yaml` describes exactly what is served: same paths, same methods.

use std::collections::BTreeSet;

use axum::http::Method;

use crate::helpers::TestApp;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The `(method, path)` pairs of openapi.yaml's `paths:` block (two-space indentation: paths at 2,
/// operations at 4).
fn spec_routes() -> BTreeSet<(String, String)> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    assert!(text.starts_with("openapi: 3."), "not an OpenAPI 3 document");
    let mut routes = BTreeSet::new();
    let mut in_paths = false;
    let mut path = None;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_paths = line == "paths:";
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(key) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) {
            let key = key
                .strip_suffix(':')
                .unwrap_or_else(|| panic!("bad path line {line:?}"));
            assert!(key.starts_with('/'), "bad path {key:?}");
            path = Some(key.to_string());
        } else if let Some(key) = line.strip_prefix("    ").filter(|l| !l.starts_with(' ')) {
            let key = key.trim_end_matches(':');
            if METHODS.contains(&key) {
                routes.insert((
                    key.to_string(),
                    path.clone().expect("operation before path"),
                ));
            } else {
                assert!(
                    matches!(key, "parameters" | "summary" | "description"),
                    "unexpected key {key:?} under a path"
                );
            }
        }
    }
    routes
}

/// The router's own table: `http::app` is built from the same list.
fn served_routes() -> BTreeSet<(String, String)> {
    latchkey::http::route_list()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect()
}

#[test]
fn spec_and_router_list_the_same_routes() {
    let spec = spec_routes();
    let served = served_routes();
    let missing: Vec<_> = served.difference(&spec).collect();
    let extra: Vec<_> = spec.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "served but not in openapi.yaml: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "in openapi.yaml but not served: {extra:?}"
    );
}

/// Every listed route answers (not the 404 fallback), and every other method on it is a 405.
#[tokio::test]
async fn every_listed_route_is_served_and_no_other_method_is() {
    let app = TestApp::new().await;
    let served = served_routes();
    let paths: BTreeSet<&String> = served.iter().map(|(_, p)| p).collect();
    for path in paths {
        let uri = path
            .replace("{vaultUuid}", &app.vault.id)
            .replace("{itemUuid}", "abcdefghijklmnopqrstuvwxyz")
            .replace("{fileUuid}", "abcdefghijklmnopqrstuvwxyz");
        for method in METHODS {
            let response = app
                .send(
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    &uri,
                    Some(&app.token),
                    Some(b"{}".to_vec()),
                )
                .await;
            if served.contains(&(method.to_string(), path.clone())) {
                assert_ne!(response.status, 405, "{method} {path}");
                let fallback = response.status == 404 && response.text().contains("\"Not Found\"");
                assert!(
                    !fallback,
                    "{method} {path} fell through to the 404 fallback"
                );
            } else {
                assert_eq!(
                    response.status,
                    405,
                    "{method} {path} should not be served: {}",
                    response.text()
                );
            }
        }
    }
}
