//! The library API: every syntax form, every attribute, ambiguity and error paths, efficiency.

use latchkey::model::fields::totp::Totp;
use latchkey::secret_refs::{Error, Part, Resolver};
use serde_json::json;

use super::{live, Live, OTP_SECRET};

async fn value(live: &Live, reference: &str) -> String {
    live.resolver()
        .resolve(reference)
        .await
        .unwrap_or_else(|e| panic!("{reference}: {e}"))
}

async fn error(live: &Live, reference: &str) -> Error {
    let err = live
        .resolver()
        .resolve(reference)
        .await
        .expect_err(reference);
    let message = err.to_string();
    for secret in [
        "pw-db-123",
        "dbuser",
        "t-one",
        "t-two",
        "in-s1",
        "prod-pw",
        "dup",
    ] {
        assert!(!message.contains(secret), "{message} shows a secret");
    }
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_ids_sections_case_spaces_and_quotes() {
    let live = live().await;
    assert_eq!(
        value(&live, "op://Test Vault/db/password").await,
        "pw-db-123"
    );
    assert_eq!(
        value(&live, "op://test vault/DB/PassWord").await,
        "pw-db-123"
    );
    assert_eq!(
        value(&live, "\"op://Prod Env/db/password\"").await,
        "prod-pw"
    );
    let (vault, item) = (live.id("Test Vault"), live.id("db"));
    assert_eq!(
        value(&live, &format!("op://{vault}/{item}/username")).await,
        "dbuser"
    );
    assert_eq!(
        value(&live, "op://Test Vault/db/Admin/email").await,
        "ops@example.com"
    );
    assert_eq!(
        value(&live, "op://Test Vault/db/admin/email").await,
        "ops@example.com"
    );
    assert_eq!(
        value(&live, "op://Test Vault/db/email").await,
        "ops@example.com"
    );
    assert_eq!(value(&live, "op://Test Vault/db/s2/x").await, "in-s2");
    assert_eq!(
        value(&live, "op://Test Vault/My Server/api key").await,
        "k-777 with space"
    );
    assert_eq!(
        value(&live, "op://Test Vault/My Server/tok2").await,
        "t-two"
    );
    assert_eq!(
        value(&live, "op://Test Vault/\"a/b?c\"/password").await,
        "slash-pw"
    );
    let slash = live.id("a/b?c");
    assert_eq!(
        value(&live, &format!("op://Test Vault/{slash}/password")).await,
        "slash-pw"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_attribute() {
    let live = live().await;
    let db = "op://Test Vault/db";
    let cases = [
        ("password?attribute=value", "pw-db-123"),
        ("password?attribute=type", "CONCEALED"),
        ("password?attribute=id", "password"),
        ("password?attribute=title", "password"),
        ("Admin/email?attribute=label", "email"),
        ("username?attribute=purpose", "USERNAME"),
        ("email?attribute=purpose", ""),
        ("email?attribute=type", "EMAIL"),
    ];
    for (rest, want) in cases {
        assert_eq!(value(&live, &format!("{db}/{rest}")).await, want, "{rest}");
    }
    let totp = Totp::parse(OTP_SECRET).unwrap();
    let now = latchkey::timefmt::now() as u64;
    let valid: Vec<String> = [now - 30, now, now + 30]
        .iter()
        .map(|t| totp.code_at(*t))
        .collect();
    for attribute in ["otp", "totp", "OTP"] {
        let code = value(
            &live,
            &format!("{db}/one-time password?attribute={attribute}"),
        )
        .await;
        assert!(valid.contains(&code), "{code} not in {valid:?}");
    }
    let err = error(&live, &format!("{db}/password?attribute=otp")).await;
    assert!(
        err.to_string().contains("holds no one-time password"),
        "{err}"
    );
    let err = error(&live, &format!("{db}/password?attribute=size")).await;
    assert!(err.to_string().contains("applies to files"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_attachments_by_name_and_id() {
    let live = live().await;
    let resolver = live.resolver();
    let doc = "op://Test Vault/doc";
    assert_eq!(
        value(&live, &format!("{doc}/cert.pem")).await,
        "-----CERT-----"
    );
    assert_eq!(
        value(&live, &format!("{doc}/CERT.PEM?attribute=content")).await,
        "-----CERT-----"
    );
    let blob = resolver
        .resolve_bytes(&format!("{doc}/Attachments/blob.bin"))
        .await
        .unwrap();
    assert_eq!(blob, [0, 159, 146, 150]);
    let by_id = format!("{doc}/{}", live.id("blob.bin"));
    assert_eq!(resolver.resolve_bytes(&by_id).await.unwrap(), blob);
    assert_eq!(
        value(&live, &format!("{doc}/blob.bin?attribute=size")).await,
        "4"
    );
    assert_eq!(
        value(&live, &format!("{doc}/blob.bin?attribute=name")).await,
        "blob.bin"
    );
    assert_eq!(
        value(&live, &format!("{doc}/blob.bin?attribute=id")).await,
        live.id("blob.bin")
    );
    assert_eq!(
        value(&live, &format!("{doc}/cert.pem?attribute=type")).await,
        "FILE"
    );
    let err = resolver
        .resolve(&format!("{doc}/blob.bin"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not UTF-8"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_parts_are_named() {
    let live = live().await;
    for (reference, part, name) in [
        ("op://Nope/db/password", Part::Vault, "Nope"),
        ("op://Test Vault/nothing/password", Part::Item, "nothing"),
        ("op://Test Vault/db/Nowhere/email", Part::Section, "Nowhere"),
        ("op://Test Vault/db/colour", Part::Field, "colour"),
        ("op://Test Vault/db/admin/password", Part::Field, "password"),
    ] {
        match error(&live, reference).await {
            Error::NotFound {
                part: got, name: n, ..
            } => {
                assert_eq!((got, n.as_str()), (part, name), "{reference}")
            }
            other => panic!("{reference}: {other}"),
        }
    }
    let message = error(&live, "op://Test Vault/db/colour").await.to_string();
    assert!(
        message.starts_with("op://Test Vault/db/colour: no field or file \"colour\""),
        "{message}"
    );
    let message = error(&live, "op://Test Vault/nothing/password")
        .await
        .to_string();
    assert!(
        message.contains("no item \"nothing\" in vault \"Test Vault\""),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguity_names_the_candidates() {
    let live = live().await;
    let cases = [
        (
            "op://Twin/db/password",
            Part::Vault,
            vec![live.id("Twin"), live.id("twin")],
        ),
        (
            "op://Test Vault/Dup/password",
            Part::Item,
            vec![live.id("Dup0"), live.id("Dup1")],
        ),
        (
            "op://Test Vault/My Server/token",
            Part::Field,
            vec!["tok1", "tok2"],
        ),
        (
            "op://Test Vault/db/extra/x",
            Part::Section,
            vec!["s1", "s2"],
        ),
        ("op://Test Vault/db/x", Part::Field, vec!["x1", "x2"]),
    ];
    for (reference, part, ids) in cases {
        let err = error(&live, reference).await;
        let message = err.to_string();
        match err {
            Error::Ambiguous {
                part: got,
                mut candidates,
                ..
            } => {
                candidates.sort();
                let mut ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
                ids.sort();
                assert_eq!((got, candidates), (part, ids), "{reference}");
            }
            other => panic!("{reference}: {other}"),
        }
        assert!(message.contains("use an id instead"), "{message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_token_bad_host_and_bad_syntax() {
    let live = live().await;
    let bad = Resolver::new(&live.host, "not-a-token").unwrap();
    let err = bad
        .resolve("op://Test Vault/db/password")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect { status: 401, .. }), "{err}");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = Resolver::new(&closed, "t")
        .unwrap()
        .resolve("op://v/i/f")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(Resolver::new("ftp://x", "t").is_err());
    let err = error(&live, "op://Test Vault/db").await;
    assert!(matches!(err, Error::Syntax { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_references_to_ten_items_cost_one_vault_list_and_one_request_per_item() {
    let live = live().await;
    let vault = live.id("Test Vault").to_string();
    let mut references = Vec::new();
    for n in 0..10 {
        let fields: Vec<_> = (0..5)
            .map(|f| json!({"id": format!("f{f}"), "label": format!("f{f}"), "value": format!("v{n}-{f}")}))
            .collect();
        let title = format!("bulk {n}");
        let item = live
            .create_in(
                &vault,
                json!({"title": title, "category": "PASSWORD", "fields": fields}),
            )
            .await;
        for f in 0..5 {
            // Half by title (a title lookup first), half by id.
            let name = match n % 2 {
                0 => title.clone(),
                _ => item["id"].as_str().unwrap().to_string(),
            };
            references.push(format!("op://Test Vault/{name}/f{f}"));
        }
    }
    live.clear_requests();
    *live.recorder.hold_items.lock().unwrap() = Some(std::time::Duration::from_millis(200));
    live.recorder
        .max_in_flight
        .store(0, std::sync::atomic::Ordering::SeqCst);
    let values = live
        .resolver()
        .with_concurrency(3)
        .resolve_all(&references)
        .await
        .unwrap();
    // Concurrent, within the cap: each item GET is held long enough for the others to overlap.
    let most = live
        .recorder
        .max_in_flight
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!((2..=3).contains(&most), "{most} requests in flight at once");
    let want: Vec<String> = (0..10)
        .flat_map(|n| (0..5).map(move |f| format!("v{n}-{f}")))
        .collect();
    assert_eq!(values, want);
    let requests = live.requests();
    let vault_lists = requests.iter().filter(|r| *r == "/v1/vaults").count();
    let item_gets = requests.iter().filter(|r| r.contains("/items/")).count();
    let lookups = requests.iter().filter(|r| r.contains("filter=")).count();
    assert_eq!(vault_lists, 1, "{requests:#?}");
    assert_eq!(item_gets, 10, "{requests:#?}");
    assert_eq!(lookups, 5, "{requests:#?}");
    assert_eq!(requests.len(), 16, "{requests:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_after_a_title_lookup_is_retried() {
    let live = live().await;
    let path = format!(
        "/v1/vaults/{}/items/{}",
        live.id("Test Vault"),
        live.id("db")
    );
    live.recorder
        .fail_404
        .lock()
        .unwrap()
        .insert(path.clone(), 2);
    live.clear_requests();
    assert_eq!(
        value(&live, "op://Test Vault/db/password").await,
        "pw-db-123"
    );
    let gets = live.requests().iter().filter(|r| **r == path).count();
    assert_eq!(gets, 3);
    live.recorder.fail_404.lock().unwrap().insert(path, 10);
    let err = error(&live, "op://Test Vault/db/password").await;
    assert!(err.to_string().contains("does not return it"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_keys_in_openssh_format() {
    use base64::Engine as _;
    let live = live().await;
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let body = base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref());
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
    let vault = live.id("Test Vault").to_string();
    live.create_in(
        &vault,
        json!({"title": "deploy key", "category": "SSH_KEY", "fields": [
            {"id": "private_key", "type": "SSHKEY", "label": "private key", "value": pem}
        ]}),
    )
    .await;
    let plain = value(&live, "op://Test Vault/deploy key/private key").await;
    assert_eq!(plain, pem);
    let openssh = value(
        &live,
        "op://Test Vault/deploy key/private key?ssh-format=openssh",
    )
    .await;
    assert!(
        openssh.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"),
        "{}",
        &openssh[..40]
    );
    assert!(openssh.ends_with("-----END OPENSSH PRIVATE KEY-----\n"));
    let err = error(&live, "op://Test Vault/db/password?ssh-format=openssh").await;
    assert!(err.to_string().contains("no PKCS#8 private key"), "{err}");
}
