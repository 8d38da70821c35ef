//! Tokens: every malformed or forged token is a 401 with Connect's body; grants give 403s.

use axum::http::Method;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use latchkey::auth::{Claims, VaultClaim, ACL_READ, ACL_READ_WRITE, ACL_WRITE, AUDIENCE, ISSUER};
use serde_json::json;

use crate::helpers::{login, TestApp};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn claims(app: &TestApp) -> Claims {
    Claims {
        auuid: app.credentials.account_id.clone(),
        fts: vec!["vaultaccess".into()],
        vts: vec![VaultClaim {
            u: app.vault.id.clone(),
            a: ACL_READ_WRITE,
        }],
        aud: vec![AUDIENCE.into()],
        iss: ISSUER.into(),
        sub: app.credentials.server_id.clone(),
        jti: latchkey::ids::new_id(),
        iat: latchkey::timefmt::now(),
        nbf: None,
        exp: None,
    }
}

/// Signs `claims` (any JSON-serializable payload) with the app's key, with the signature in the
/// low-S form latchkey issues (tests/api/token_claims.rs checks the high-S twin separately).
pub(crate) fn sign(app: &TestApp, claims: &impl serde::Serialize, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = kid.map(str::to_string);
    let token = jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_ec_der(&app.credentials.signing_key_pkcs8),
    )
    .unwrap();
    crate::token_claims::with_low_s(&token)
}

pub(crate) async fn status_with(app: &TestApp, token: &str) -> crate::helpers::TestResponse {
    app.get_with("/v1/vaults", token).await
}

#[tokio::test]
async fn a_properly_signed_token_works() {
    let app = TestApp::new().await;
    let token = sign(&app, &claims(&app), Some(&app.credentials.signing_key_id));
    assert_eq!(status_with(&app, &token).await.status, 200);
}

#[tokio::test]
async fn missing_or_malformed_tokens_are_401_json() {
    let app = TestApp::new().await;
    app.send(Method::GET, "/v1/vaults", None, None)
        .await
        .assert_error(401, "Invalid bearer token");
    for token in ["", "garbage", "a.b.c", "eyJhbGciOiJFUzI1NiJ9.e30."] {
        status_with(&app, token).await.assert_error(401, "Invalid");
    }
    let basic = app.send(Method::GET, "/v1/vaults", None, None).await;
    assert_eq!(basic.status, 401);
}

#[tokio::test]
async fn forged_tokens_are_401() {
    let app = TestApp::new().await;
    let kid = app.credentials.signing_key_id.clone();
    let good = sign(&app, &claims(&app), Some(&kid));

    // Tampered signature.
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    let mut sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&parts[2])
        .unwrap();
    sig[10] ^= 0x01;
    parts[2] = b64(&sig);
    status_with(&app, &parts.join("."))
        .await
        .assert_error(401, "Invalid");

    // Tampered claims (grant another vault) with the original signature.
    let mut forged_claims = claims(&app);
    forged_claims.vts.push(VaultClaim {
        u: "zzzzzzzzzzzzzzzzzzzzzzzzzz".into(),
        a: ACL_READ_WRITE,
    });
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64(&serde_json::to_vec(&forged_claims).unwrap()),
        good.split('.').nth(2).unwrap()
    );
    status_with(&app, &forged)
        .await
        .assert_error(401, "Invalid");

    // alg: none.
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(&serde_json::to_vec(&claims(&app)).unwrap())
    );
    status_with(&app, &none).await.assert_error(401, "Invalid");

    // HS256 keyed with the public key (algorithm confusion).
    let public = p256::SecretKey::from_pkcs8_der(&app.credentials.signing_key_pkcs8)
        .unwrap()
        .public_key();
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::pkcs8::DecodePrivateKey;
    let point = public.to_encoded_point(false);
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.clone());
    for key in [
        point.as_bytes().to_vec(),
        b64(point.as_bytes()).into_bytes(),
    ] {
        let hs =
            jsonwebtoken::encode(&header, &claims(&app), &EncodingKey::from_secret(&key)).unwrap();
        status_with(&app, &hs).await.assert_error(401, "Invalid");
    }

    // Wrong audience, unknown kid, no kid, wrong subject, missing feature.
    let mut wrong_aud = claims(&app);
    wrong_aud.aud = vec!["com.1password.secretservice".into()];
    status_with(&app, &sign(&app, &wrong_aud, Some(&kid)))
        .await
        .assert_error(401, "Invalid");
    status_with(
        &app,
        &sign(&app, &claims(&app), Some("aaaaaaaaaaaaaaaaaaaaaaaaaa")),
    )
    .await
    .assert_error(401, "Invalid");
    status_with(&app, &sign(&app, &claims(&app), None))
        .await
        .assert_error(401, "Invalid");
    let mut wrong_sub = claims(&app);
    wrong_sub.sub = "AAAAAAAAAAAAAAAAAAAAAAAAAA".into();
    status_with(&app, &sign(&app, &wrong_sub, Some(&kid)))
        .await
        .assert_error(401, "Invalid");
    let mut no_feature = claims(&app);
    no_feature.fts = vec![];
    status_with(&app, &sign(&app, &no_feature, Some(&kid)))
        .await
        .assert_error(401, "Invalid");

    // A token from another latchkey (other credentials) with this server's kid.
    let other = TestApp::new().await;
    let mut foreign = claims(&app);
    foreign.sub = app.credentials.server_id.clone();
    let foreign_token = {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.clone());
        jsonwebtoken::encode(
            &header,
            &foreign,
            &EncodingKey::from_ec_der(&other.credentials.signing_key_pkcs8),
        )
        .unwrap()
    };
    status_with(&app, &foreign_token)
        .await
        .assert_error(401, "Invalid");
}

#[tokio::test]
async fn expired_tokens_are_refused_without_restart() {
    let app = TestApp::new().await;
    let mut c = claims(&app);
    c.exp = Some(latchkey::timefmt::now() - 10);
    status_with(&app, &sign(&app, &c, Some(&app.credentials.signing_key_id)))
        .await
        .assert_error(401, "expired");

    let mut c = claims(&app);
    c.exp = Some(latchkey::timefmt::now() + 1);
    let token = sign(&app, &c, Some(&app.credentials.signing_key_id));
    assert_eq!(status_with(&app, &token).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    status_with(&app, &token).await.assert_error(401, "expired");
}

#[tokio::test]
async fn revoked_tokens_are_refused_within_a_second() {
    let app = TestApp::new().await;
    let token = app.issue(&[(&app.vault.id, ACL_READ)]).await;
    assert_eq!(status_with(&app, &token).await.status, 200);
    assert_eq!(status_with(&app, &token).await.status, 200, "cached");
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.split('.').nth(1).unwrap())
        .unwrap();
    let jti = serde_json::from_slice::<Claims>(&payload).unwrap().jti;
    let revoked = app
        .store
        .revoke_tokens(&jti, latchkey::timefmt::now())
        .await
        .unwrap();
    assert_eq!(revoked, vec![jti]);
    tokio::time::sleep(latchkey::auth::REVOCATION_RECHECK + std::time::Duration::from_millis(100))
        .await;
    status_with(&app, &token).await.assert_error(401, "revoked");
    // Other tokens are unaffected.
    assert_eq!(status_with(&app, &app.token).await.status, 200);
}

#[tokio::test]
async fn vaults_outside_the_grants_are_403_and_not_listed() {
    let app = TestApp::new().await;
    let other = app.new_vault("Other").await;
    let token = app.issue(&[(&app.vault.id, ACL_READ)]).await;
    let list = app.get_with("/v1/vaults", &token).await.json();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [app.vault.id.as_str()]);
    for uri in [
        format!("/v1/vaults/{}", other.id),
        format!("/v1/vaults/{}/items", other.id),
        format!("/v1/vaults/{}/items/abcdefghijklmnopqrstuvwxyz", other.id),
        format!(
            "/v1/vaults/{}/items/abcdefghijklmnopqrstuvwxyz/files",
            other.id
        ),
        // A vault that does not exist is a 403 too: existence is not revealed.
        "/v1/vaults/qqqqqqqqqqqqqqqqqqqqqqqqqq".to_string(),
        "/v1/vaults/qqqqqqqqqqqqqqqqqqqqqqqqqq/items".to_string(),
    ] {
        app.get_with(&uri, &token)
            .await
            .assert_error(403, "does not have access to vault");
    }
    let create = app
        .send(
            Method::POST,
            &format!("/v1/vaults/{}/items", other.id),
            Some(&token),
            Some(login("x").to_string().into_bytes()),
        )
        .await;
    create.assert_error(403, "access");
}

#[tokio::test]
async fn read_only_tokens_cannot_write() {
    let app = TestApp::new().await;
    let item = app.create(login("ro")).await;
    let token = app.issue(&[(&app.vault.id, ACL_READ)]).await;
    let uri = app.item_uri(item["id"].as_str().unwrap());
    assert_eq!(app.get_with(&uri, &token).await.status, 200);
    let body = login("x").to_string().into_bytes();
    app.send(
        Method::POST,
        &app.items_uri(),
        Some(&token),
        Some(body.clone()),
    )
    .await
    .assert_error(403, "write access");
    app.send(Method::PUT, &uri, Some(&token), Some(body))
        .await
        .assert_error(403, "write access");
    app.send(Method::PATCH, &uri, Some(&token), Some(b"[]".to_vec()))
        .await
        .assert_error(403, "write access");
    app.send(Method::DELETE, &uri, Some(&token), None)
        .await
        .assert_error(403, "write access");
    assert_eq!(app.get(&uri).await.json()["version"], 1);
}

#[tokio::test]
async fn write_only_tokens_never_read_item_contents() {
    let app = TestApp::new().await;
    let token = app.issue(&[(&app.vault.id, ACL_WRITE)]).await;
    let created = app
        .send(Method::POST, &app.items_uri(), Some(&token), Some(json!({"title": "w", "category": "LOGIN",
            "fields": [{"purpose": "PASSWORD", "generate": true}, {"purpose": "USERNAME", "value": "canary-user"}]}).to_string().into_bytes()))
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    let created_text = created.text();
    assert!(!created_text.contains("canary-user"), "{created_text}");
    let id = created.json()["id"].as_str().unwrap().to_string();
    let uri = app.item_uri(&id);
    app.get_with(&uri, &token)
        .await
        .assert_error(403, "read access");
    app.get_with(&app.items_uri(), &token)
        .await
        .assert_error(403, "read access");
    app.get_with(&format!("{uri}/files"), &token)
        .await
        .assert_error(403, "read access");

    // PATCH must not become a way to read the item (Connect 1.7.1).
    let patched = app
        .send(
            Method::PATCH,
            &uri,
            Some(&token),
            Some(
                json!([{"op": "replace", "path": "/title", "value": "w2"}])
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await;
    assert_eq!(patched.status, 200);
    let full = app.get(&uri).await.json();
    let password = full["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "password")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(full["title"], "w2");
    assert!(!patched.text().contains(&password));
    assert!(!patched.text().contains("canary-user"));
    for f in patched.json()["fields"].as_array().unwrap() {
        assert!(f.get("value").is_none(), "{f}");
    }
    let empty_patch = app
        .send(Method::PATCH, &uri, Some(&token), Some(b"[]".to_vec()))
        .await;
    assert!(!empty_patch.text().contains(&password));
    let put = app
        .send(
            Method::PUT,
            &uri,
            Some(&token),
            Some(
                json!({"title": "w3", "category": "LOGIN"})
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await;
    assert_eq!(put.status, 200);
    assert_eq!(
        app.send(Method::DELETE, &uri, Some(&token), None)
            .await
            .status,
        204
    );
}
