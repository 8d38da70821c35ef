//! `?filter=` on vaults and items: the SCIM subset clients send, and clear 400s for the rest.

use serde_json::json;

use crate::helpers::TestApp;

fn titles(v: &serde_json::Value) -> Vec<String> {
    let mut t: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

async fn app_with_items() -> TestApp {
    let app = TestApp::new().await;
    for (title, tags) in [
        ("Sample Password", vec!["banking"]),
        ("Sample Login", vec!["web", "Banking"]),
        ("Credit Card", vec![]),
        ("say \"hi\"", vec!["quotes"]),
        ("Café Ünïcode", vec!["intl"]),
        ("DOMAIN\\admin", vec![]),
    ] {
        app.create(json!({"title": title, "category": "LOGIN", "tags": tags}))
            .await;
    }
    app
}

async fn items(app: &TestApp, query: &str) -> crate::helpers::TestResponse {
    app.get(&format!("{}?{query}", app.items_uri())).await
}

#[tokio::test]
async fn item_filters_by_title_and_tag() {
    let app = app_with_items().await;
    let cases: &[(&str, &[&str])] = &[
        ("filter=title+eq+%22Sample+Login%22", &["Sample Login"]),
        (
            "filter=title%20eq%20%22sample%20login%22",
            &["Sample Login"],
        ),
        (
            "filter=title%20EQ%20%22SAMPLE%20LOGIN%22",
            &["Sample Login"],
        ),
        (
            "filter=title+co+%22sample%22",
            &["Sample Login", "Sample Password"],
        ),
        ("filter=title+sw+%22cre%22", &["Credit Card"]),
        ("filter=title+ew+%22card%22", &["Credit Card"]),
        (
            "filter=tag+eq+%22banking%22",
            &["Sample Login", "Sample Password"],
        ),
        (
            "filter=title+eq+%22Sample+Password%22+or+title+co+%22Credit%22",
            &["Credit Card", "Sample Password"],
        ),
        (
            "filter=(title+co+%22sample%22+and+tag+eq+%22web%22)+or+title+eq+%22credit+card%22",
            &["Credit Card", "Sample Login"],
        ),
        (
            "filter=title+co+%22sample%22+and+not+(tag+eq+%22web%22)",
            &["Sample Password"],
        ),
        (
            "filter=tag+pr",
            &[
                "Café Ünïcode",
                "Sample Login",
                "Sample Password",
                "say \"hi\"",
            ],
        ),
        ("filter=title+eq+%22say+%5C%22hi%5C%22%22", &["say \"hi\""]),
        (
            "filter=title+eq+%22caf%C3%A9+%C3%BCn%C3%AFcode%22",
            &["Café Ünïcode"],
        ),
        ("filter=title+eq+%22nothing%22", &[]),
        // Clients interpolate titles raw: a backslash before another character is literal.
        ("filter=title+eq+%22domain%5Cadmin%22", &["DOMAIN\\admin"]),
        (
            "filter=",
            &[
                "Café Ünïcode",
                "Credit Card",
                "DOMAIN\\admin",
                "Sample Login",
                "Sample Password",
                "say \"hi\"",
            ],
        ),
    ];
    for (query, expected) in cases {
        let response = items(&app, query).await;
        assert_eq!(response.status, 200, "{query}: {}", response.text());
        assert_eq!(titles(&response.json()), *expected, "{query}");
    }
}

#[tokio::test]
async fn an_apostrophe_inside_a_double_quoted_value_is_an_ordinary_character() {
    // The SDKs and the Ansible collection interpolate titles raw: `title eq "{title}"`.
    let app = app_with_items().await;
    let bob = app
        .create(json!({"title": "Bob's Server", "category": "LOGIN", "tags": ["it's"]}))
        .await;
    let cases: &[(&str, &[&str])] = &[
        // A single `eq` on the title takes the indexed lookup; the others scan.
        ("filter=title+eq+%22Bob%27s+Server%22", &["Bob's Server"]),
        ("filter=title+eq+%22bob%27s+server%22", &["Bob's Server"]),
        ("filter=title+co+%22%27%22", &["Bob's Server"]),
        ("filter=tag+eq+%22it%27s%22", &["Bob's Server"]),
        (
            "filter=title+eq+%22Bob%27s+Server%22+or+title+eq+%22Credit+Card%22",
            &["Bob's Server", "Credit Card"],
        ),
        ("filter=title+eq+%22Bob%27s%22", &[]),
    ];
    for (query, expected) in cases {
        let response = items(&app, query).await;
        assert_eq!(response.status, 200, "{query}: {}", response.text());
        assert_eq!(titles(&response.json()), *expected, "{query}");
    }
    let found = items(&app, "filter=title+eq+%22Bob%27s+Server%22")
        .await
        .json();
    assert_eq!(found[0]["id"], bob["id"]);
    // A single-quoted value stays a 400 (Connect 1.5.2: "a single quote as a filter value").
    items(&app, "filter=title+eq+%27Bob%27s+Server%27")
        .await
        .assert_error(400, "single quotes");
}

#[tokio::test]
async fn bad_filters_are_400_with_a_reason() {
    let app = app_with_items().await;
    let cases = [
        ("filter=title+eq+%27Sample%27", "single quotes"),
        (
            "filter=title+eq+%22O%27Brien%22+or+tag+eq+%27x%27",
            "single quotes",
        ),
        ("filter=title+eq", "Invalid filter"),
        ("filter=title+equals+%22x%22", "Invalid filter"),
        ("filter=title+eq+%22unterminated", "unterminated"),
        ("filter=(title+eq+%22x%22", "Invalid filter"),
        ("filter=title+eq+%22x%22+garbage", "Invalid filter"),
        ("filter=color+eq+%22red%22", "unknown attribute"),
        ("filter=title+eq+bare", "double quotes"),
    ];
    for (query, fragment) in cases {
        items(&app, query).await.assert_error(400, fragment);
    }
    app.get("/v1/vaults?filter=tag+eq+%22x%22")
        .await
        .assert_error(400, "unknown attribute");
}

#[tokio::test]
async fn vault_filters_accept_name_and_title_case_insensitively() {
    let app = TestApp::new().await;
    let second = app.new_vault("Operator-Acceptance-Tests").await;
    let token = app
        .issue(&[
            (&app.vault.id, latchkey::auth::ACL_READ),
            (&second.id, latchkey::auth::ACL_READ),
        ])
        .await;
    let names = |v: serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap().to_string())
            .collect()
    };
    for query in [
        "filter=name+eq+%22operator-acceptance-tests%22",
        "filter=title+eq+%22Operator-Acceptance-Tests%22",
        "filter=title%20eq%20%22OPERATOR-ACCEPTANCE-TESTS%22",
    ] {
        let response = app.get_with(&format!("/v1/vaults?{query}"), &token).await;
        assert_eq!(
            names(response.json()),
            ["Operator-Acceptance-Tests"],
            "{query}"
        );
    }
    let none = app
        .get_with("/v1/vaults?filter=name+eq+%22Nonexistent%22", &token)
        .await;
    assert_eq!(none.status, 200);
    assert_eq!(none.json(), json!([]));
    let all = app
        .get_with("/v1/vaults?filter=title+co+%22t%22", &token)
        .await;
    assert_eq!(names(all.json()).len(), 2);
}
