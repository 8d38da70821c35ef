//! Token claims beyond the signature: the issuer, `nbf`, `iat` within the clock-skew leeway, and
//! the ECDSA malleability twin of a valid signature (docs/design.md §5).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use latchkey::auth::{ACL_READ, ISSUER};
use p256::ecdsa::Signature;
use p256::elliptic_curve::scalar::IsHigh;
use serde_json::{json, Value};

use crate::auth::{claims, sign, status_with};
use crate::helpers::TestApp;

fn signature(token: &str) -> Signature {
    let bytes = URL_SAFE_NO_PAD
        .decode(token.rsplit('.').next().unwrap())
        .unwrap();
    Signature::from_slice(&bytes).unwrap()
}

fn with_signature(token: &str, sig: &Signature) -> String {
    let (signed, _) = token.rsplit_once('.').unwrap();
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

fn is_high_s(token: &str) -> bool {
    signature(token).s().is_high().into()
}

/// The other valid signature of the same message: (r, n − s).
fn twin(token: &str) -> String {
    let sig = signature(token);
    let negated = -*sig.s();
    let twin = Signature::from_scalars(sig.r().to_bytes(), negated.to_bytes()).unwrap();
    with_signature(token, &twin)
}

/// `token` with its signature in low-S form (the twin if it is high-S).
pub(crate) fn with_low_s(token: &str) -> String {
    if is_high_s(token) {
        twin(token)
    } else {
        token.to_string()
    }
}

/// The app's claims as JSON, with `edit` applied.
fn payload(app: &TestApp, edit: impl FnOnce(&mut Value)) -> Value {
    let mut value = serde_json::to_value(claims(app)).unwrap();
    edit(&mut value);
    value
}

async fn status(app: &TestApp, payload: &Value) -> crate::helpers::TestResponse {
    let token = sign(app, payload, Some(&app.credentials.signing_key_id));
    status_with(app, &token).await
}

#[tokio::test]
async fn the_issuer_must_be_latchkeys() {
    let app = TestApp::new().await;
    assert_eq!(status(&app, &payload(&app, |_| {})).await.status, 200);
    for iss in [json!("com.1password.connect"), json!(""), json!(42)] {
        status(&app, &payload(&app, |c| c["iss"] = iss.clone()))
            .await
            .assert_error(401, "Invalid bearer token");
    }
    status(
        &app,
        &payload(&app, |c| {
            c.as_object_mut().unwrap().remove("iss");
        }),
    )
    .await
    .assert_error(401, "Invalid bearer token");
    assert_eq!(ISSUER, "com.1password.b5");
}

#[tokio::test]
async fn a_token_is_refused_before_its_nbf() {
    let app = TestApp::new().await;
    let now = latchkey::timefmt::now();
    status(&app, &payload(&app, |c| c["nbf"] = json!(now + 3600)))
        .await
        .assert_error(401, "not valid yet");
    // Past, now, and within the clock-skew leeway: valid.
    for nbf in [now - 3600, now, now + 30] {
        let response = status(&app, &payload(&app, |c| c["nbf"] = json!(nbf))).await;
        assert_eq!(response.status, 200, "nbf {nbf}: {}", response.text());
    }
    status(&app, &payload(&app, |c| c["nbf"] = json!("soon")))
        .await
        .assert_error(401, "Invalid bearer token");
}

#[tokio::test]
async fn a_token_issued_in_the_future_is_refused() {
    let app = TestApp::new().await;
    let now = latchkey::timefmt::now();
    for iat in [now + 3600, now + 61, i64::MAX] {
        status(&app, &payload(&app, |c| c["iat"] = json!(iat)))
            .await
            .assert_error(401, "issued in the future");
    }
    // A clock a few seconds ahead on the issuing host is within the leeway.
    for iat in [now - 86_400, now, now + 30] {
        let response = status(&app, &payload(&app, |c| c["iat"] = json!(iat))).await;
        assert_eq!(response.status, 200, "iat {iat}: {}", response.text());
    }
    status(
        &app,
        &payload(&app, |c| {
            c.as_object_mut().unwrap().remove("iat");
        }),
    )
    .await
    .assert_error(401, "Invalid bearer token");
}

#[tokio::test]
async fn the_high_s_twin_of_a_valid_signature_is_refused() {
    let app = TestApp::new().await;
    // Sixteen tokens: with a fair coin per signature, both forms occur.
    for _ in 0..16 {
        let token = sign(&app, &claims(&app), Some(&app.credentials.signing_key_id));
        assert!(!is_high_s(&token));
        assert_eq!(status_with(&app, &token).await.status, 200);
        let high = twin(&token);
        assert!(is_high_s(&high));
        status_with(&app, &high)
            .await
            .assert_error(401, "Invalid token signature");
    }
}

#[tokio::test]
async fn issued_tokens_carry_low_s_signatures() {
    let app = TestApp::new().await;
    for _ in 0..16 {
        let token = app.issue(&[(&app.vault.id, ACL_READ)]).await;
        assert!(!is_high_s(&token), "issued a high-S signature: {token}");
        assert_eq!(status_with(&app, &token).await.status, 200);
    }
}
