//! kimdre/doco-cd with `SECRET_PROVIDER=1password` in Connect mode
//! (`internal/secretprovider/1password/client_connect.go`): connect-sdk-go 1.5.3 through
//! `NewClientWithUserAgent(host, token, "doco-cd/<version>")`, up to 10 resolutions at once.
//!
//! A reference `op://<vault>/<item>/[<section>/]<field>[?attribute=otp]` (segments percent-decoded)
//! becomes `GetItem(item, vault)` (vault title filter, exactly one; item title filter plus a GET
//! per summary, exactly one), then the first field whose `label` matches and, with a section, whose
//! section `label` matches; `?attribute=otp` returns the field's `totp`. Without a match it falls
//! back to `item.GetValue("<section>.<field>")`.
//!
//! Sources: doco-cd's `client_connect.go` and `connect_ref.go`, and connect-sdk-go's `GetItem`. An
//! OTP field keeps its `otpauth://` URI in `value`; the server computes `totp` from it on every
//! read (RFC 6238, with the URI's period, digits and algorithm).

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha1::Sha1;

use super::{create_in, go_ok, is_connect_id, title_filter, token_for, Tool};
use crate::helpers::TestApp;

const AGENT: &str = "doco-cd/0.0.0-test";
const OTP_SECRET_BASE32: &str = "JBSWY3DPEHPK3PXP";

/// `ParseOPSecretReference`.
struct Reference {
    vault: String,
    item: String,
    section: Option<String>,
    field: String,
    otp: bool,
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).expect("percent escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

fn parse(uri: &str) -> Reference {
    let rest = uri.strip_prefix("op://").expect("op:// reference");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let segments: Vec<String> = path.split('/').map(percent_decode).collect();
    let (vault, item, section, field) = match &segments[..] {
        [v, i, f] => (v.clone(), i.clone(), None, f.clone()),
        [v, i, s, f] => (v.clone(), i.clone(), Some(s.clone()), f.clone()),
        _ => panic!("bad reference {uri}"),
    };
    Reference {
        vault,
        item,
        section,
        field,
        otp: query == "attribute=otp",
    }
}

/// connect-sdk-go `GetItem(itemQuery, vaultQuery)`.
async fn get_item(go: &Tool, item: &str, vault: &str) -> Result<Value, String> {
    let vault_id = if is_connect_id(vault) {
        vault.to_string()
    } else {
        let vaults = go_ok(
            &go.get(&format!("/v1/vaults?filter={}", title_filter(vault)))
                .await,
            200,
        );
        let vaults = vaults.as_array().unwrap();
        if vaults.len() != 1 {
            return Err(format!(
                "Found {} vaults with title {vault:?}",
                vaults.len()
            ));
        }
        vaults[0]["id"].as_str().unwrap().to_string()
    };
    if is_connect_id(item) {
        let direct = go.get(&format!("/v1/vaults/{vault_id}/items/{item}")).await;
        if direct.status == 200 {
            return Ok(go_ok(&direct, 200));
        }
    }
    let summaries = go_ok(
        &go.get(&format!(
            "/v1/vaults/{vault_id}/items?filter={}",
            title_filter(item)
        ))
        .await,
        200,
    );
    let mut items = Vec::new();
    for summary in summaries.as_array().unwrap() {
        items.push(go_ok(
            &go.get(&format!(
                "/v1/vaults/{}/items/{}",
                summary["vault"]["id"].as_str().unwrap(),
                summary["id"].as_str().unwrap()
            ))
            .await,
            200,
        ));
    }
    if items.len() != 1 {
        return Err(format!("Found {} item(s) with title {item:?}", items.len()));
    }
    Ok(items.remove(0))
}

/// connect-sdk-go `Item.GetValue("section.field")`: a field without a section passes the
/// section filter; a field with one must be in the section whose label (looked up by id in
/// `item.sections`) matches.
fn get_value(item: &Value, selector: &str) -> Option<String> {
    let parts: Vec<&str> = selector.split('.').collect();
    let (section, label) = match parts[..] {
        [s, l] => (Some(s), l),
        _ => (None, selector),
    };
    let section_label = |id: &str| -> String {
        item["sections"]
            .as_array()
            .and_then(|all| all.iter().find(|s| s["id"] == id))
            .and_then(|s| s["label"].as_str())
            .unwrap_or("")
            .to_string()
    };
    for field in super::fields(item) {
        if let (Some(wanted), Some(reference)) = (section, field.get("section")) {
            if section_label(reference["id"].as_str().unwrap_or("")) != wanted {
                continue;
            }
        }
        if field["label"] == label {
            return Some(field["value"].as_str().unwrap_or("").to_string());
        }
    }
    None
}

/// `resolveConnectSecret` + `findConnectFieldValue`.
async fn resolve(go: &Tool, uri: &str) -> Result<String, String> {
    let reference = parse(uri);
    let item = get_item(go, &reference.item, &reference.vault).await?;
    for field in super::fields(&item) {
        if field["label"] != reference.field.as_str() {
            continue;
        }
        if let Some(section) = &reference.section {
            // `field.Section == nil || field.Section.Label != ref.Section`.
            if field["section"]["label"].as_str() != Some(section.as_str()) {
                continue;
            }
        }
        if reference.otp {
            return field["totp"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("secret field not found for reference: {uri}"));
        }
        return Ok(field["value"].as_str().unwrap_or("").to_string());
    }
    if reference.otp {
        return Err(format!("secret field not found for reference: {uri}"));
    }
    let selector = match &reference.section {
        Some(section) => format!("{section}.{}", reference.field),
        None => reference.field.clone(),
    };
    get_value(&item, &selector)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("secret field not found for reference: {uri}"))
}

/// RFC 6238 TOTP with HMAC-SHA1 (RFC 4226 dynamic truncation), written out for the test.
fn totp_sha1(secret: &[u8], unix_seconds: u64, period: u64, digits: u32) -> String {
    let counter = unix_seconds / period;
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("any key length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = (u32::from(hash[offset]) & 0x7f) << 24
        | u32::from(hash[offset + 1]) << 16
        | u32::from(hash[offset + 2]) << 8
        | u32::from(hash[offset + 3]);
    let code = binary % 10u32.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// The vault "Doco Vault" with the item "Web App": a login, a section "Database Access" whose
/// `password` shadows the login's, and an OTP field.
async fn fixture() -> (TestApp, Tool) {
    let app = TestApp::new().await;
    let vault = app.new_vault("Doco Vault").await;
    let token = token_for(&app, &[&vault.id]).await;
    let go = Tool::go_sdk_as(&app, &token, AGENT);
    let body = json!({
        "title": "Web App",
        "category": "LOGIN",
        "sections": [{"id": "dbaccess", "label": "Database Access"}],
        "fields": [
            {"purpose": "USERNAME", "value": "deploy"},
            {"purpose": "PASSWORD", "value": "login-password"},
            {"section": {"id": "dbaccess"}, "label": "port", "value": "5432"},
            {"section": {"id": "dbaccess"}, "label": "password", "type": "CONCEALED",
             "value": "database-password"},
            {"label": "one-time password", "type": "OTP",
             "value": format!("otpauth://totp/doco:deploy?secret={OTP_SECRET_BASE32}&issuer=doco")}
        ]
    });
    create_in(&app, &token, &vault.id, &body).await;
    (app, go)
}

#[tokio::test]
async fn resolves_vault_by_name_item_by_title_and_field_by_label() {
    let (_app, go) = fixture().await;

    // The literal sequence behind `op://Doco%20Vault/Web%20App/username`.
    let vaults = go_ok(
        &go.get("/v1/vaults?filter=title+eq+%22Doco+Vault%22").await,
        200,
    );
    assert_eq!(vaults.as_array().unwrap().len(), 1);
    let v = vaults[0]["id"].as_str().unwrap();
    let summaries = go_ok(
        &go.get(&format!(
            "/v1/vaults/{v}/items?filter=title+eq+%22Web+App%22"
        ))
        .await,
        200,
    );
    assert_eq!(summaries.as_array().unwrap().len(), 1);
    go_ok(
        &go.get(&format!(
            "/v1/vaults/{}/items/{}",
            summaries[0]["vault"]["id"].as_str().unwrap(),
            summaries[0]["id"].as_str().unwrap()
        ))
        .await,
        200,
    );

    assert_eq!(
        resolve(&go, "op://Doco%20Vault/Web%20App/username").await,
        Ok("deploy".to_string())
    );
    assert_eq!(
        resolve(&go, "op://Doco%20Vault/Web%20App/password").await,
        Ok("login-password".to_string())
    );
    assert_eq!(
        resolve(&go, "op://Doco%20Vault/Web%20App/Database%20Access/port").await,
        Ok("5432".to_string())
    );
    // The item by id works as well (GetItem tries UUID-shaped queries by id first).
    let id = summaries[0]["id"].as_str().unwrap();
    assert_eq!(
        resolve(&go, &format!("op://Doco%20Vault/{id}/username")).await,
        Ok("deploy".to_string())
    );
    assert!(resolve(&go, "op://Doco%20Vault/Nope/username")
        .await
        .is_err());
    assert!(resolve(&go, "op://Other%20Vault/Web%20App/username")
        .await
        .is_err());
}

/// With a section in the reference, doco-cd compares `field.section.label`; only when no field
/// matches does it fall back to `GetValue`, which lets section-less fields through. A `password`
/// in a section must therefore not resolve to the login's own `password`.
#[tokio::test]
async fn the_section_label_selects_between_fields_with_the_same_label() {
    let (_app, go) = fixture().await;
    assert_eq!(
        resolve(
            &go,
            "op://Doco%20Vault/Web%20App/Database%20Access/password"
        )
        .await,
        Ok("database-password".to_string())
    );
}

#[test]
fn the_test_totp_matches_rfc_6238() {
    // RFC 6238 appendix B, SHA1, T = 59 and T = 1111111109 (8 digits).
    let secret = b"12345678901234567890";
    assert_eq!(totp_sha1(secret, 59, 30, 8), "94287082");
    assert_eq!(totp_sha1(secret, 1_111_111_109, 30, 8), "07081804");
    assert_eq!(totp_sha1(secret, 59, 30, 6), "287082");
}

#[tokio::test]
async fn otp_attribute_returns_the_current_totp() {
    let (_app, go) = fixture().await;
    let before = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let code = resolve(
        &go,
        "op://Doco%20Vault/Web%20App/one-time%20password?attribute=otp",
    )
    .await
    .unwrap();
    let after = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let secret = data_encoding::BASE32_NOPAD
        .decode(OTP_SECRET_BASE32.as_bytes())
        .unwrap();
    let accepted: Vec<String> = [before - 30, before, after, after + 30]
        .iter()
        .map(|t| totp_sha1(&secret, *t, 30, 6))
        .collect();
    assert_eq!(code.len(), 6, "{code}");
    assert!(
        accepted.contains(&code),
        "totp {code} is none of {accepted:?} (RFC 6238, ±30 s)"
    );
    // The otpauth URI itself stays in `value`.
    assert!(
        resolve(&go, "op://Doco%20Vault/Web%20App/one-time%20password")
            .await
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    // A field without an OTP has no `totp`, so `?attribute=otp` on it is an error.
    assert!(
        resolve(&go, "op://Doco%20Vault/Web%20App/username?attribute=otp")
            .await
            .is_err()
    );
}

/// `defaultMaxConcurrentSecrets`: a deploy resolves up to 10 references at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_resolutions_all_succeed() {
    let (app, go) = fixture().await;
    let references = [
        ("op://Doco%20Vault/Web%20App/username", "deploy"),
        ("op://Doco%20Vault/Web%20App/password", "login-password"),
        ("op://Doco%20Vault/Web%20App/Database%20Access/port", "5432"),
    ];
    let mut tasks = Vec::new();
    for i in 0..10 {
        let go = go.clone();
        let (uri, expected) = references[i % references.len()];
        tasks.push(tokio::spawn(
            async move { (resolve(&go, uri).await, expected) },
        ));
    }
    for task in tasks {
        let (resolved, expected) = task.await.expect("task");
        assert_eq!(resolved.as_deref(), Ok(expected));
    }
    drop(app);
}
