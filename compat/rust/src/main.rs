//! Compatibility suite: the unofficial Rust crate `connect-1password` 2.0.1 against a live latchkey.
//!
//!     LATCHKEY_BIN=target/debug/latchkey RUST_COMPAT_RAW=out.jsonl latchkey-compat-rust
//!
//! Starts `latchkey dev --port 0 --token …` with a fresh data directory, then runs one check per
//! behaviour of the crate's public vault and item functions (`vaults::all`, `vaults::get`,
//! `items::all`, `items::get`, `items::add`, `items::remove`), its client constructors and its item
//! builders. A check's name starts with the capability it belongs to (`vaults::`, `items_list::`,
//! `item_get::`, `create::`, `generate::`, `delete::`, `errors::`, `client::`); the mapping to the
//! README's compatibility table lives in scripts/compat_table.py.
//!
//! Each check ends in one of three ways:
//! - passed: the crate call did what Connect's documentation says it should;
//! - defect: the crate itself cannot handle a correct Connect response or request (a required
//!   field Connect leaves out, a missing camelCase rename, …). The check then proves with raw HTTP
//!   (reqwest + serde_json, `raw.rs`) that latchkey's JSON has Connect's documented shape, so the
//!   fault is the crate's. A defect is not a failure;
//! - failed: anything else, including a raw response that does not match Connect's shape.
//!
//! Prints one line per check and then `rust-compat: N passed, M failed` (defects count as passed),
//! writes one JSON line per check to $RUST_COMPAT_RAW (`{"test", "outcome", "reason"}`), and exits
//! 1 when a check failed.

mod raw;
mod server;

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use connect_1password::{
    client::{Client, HTTPClient},
    error::Error as CrateError,
    items,
    models::item::{
        ApiCredentialItem, DefaultItem, FullItem, ItemBuilder, ItemCategory, LoginItem, UrlObject,
    },
    vaults,
};
use serde_json::{json, Value};

use raw::Raw;
use server::Latchkey;

/// A known defect of the crate: how its failure shows, and why it is the crate's fault.
struct Defect {
    /// Text in the crate's error (its `Display`) that identifies this defect.
    pattern: &'static str,
    reason: &'static str,
}

const VAULT_VERSIONS: Defect = Defect {
    pattern: "missing field `attribute_version`",
    reason: "VaultData declares attribute_version and content_version as required snake_case \
             fields without a serde rename; Connect's Vault has attributeVersion/contentVersion \
             (Vault object in 1Password Connect's API reference), so no vault response parses",
};

const URL_HREF_READ: Defect = Defect {
    pattern: "missing field `url`",
    reason: "UrlObject reads `url` (no rename) where Connect's item urls[] carry `href` (Item \
             object in 1Password Connect's API reference), so any item or item list that has a \
             URL fails to parse",
};

const URL_HREF_WRITE: Defect = Defect {
    pattern: "href",
    reason:
        "UrlObject serializes `url` instead of Connect's `href`, so an item built with URLs is \
             sent without an href and its URL is lost (Connect takes a URL without href as absent)",
};

const SECTIONS_REQUIRED: Defect = Defect {
    pattern: "missing field `sections`",
    reason: "FullItem.sections is a required Vec, but sections is optional in Connect's FullItem \
             (only vault and category are required, per 1Password Connect's API reference) and is \
             left out when an item has none, so such items (every Login the crate's own LoginItem \
             builder makes) fail to parse",
};

const TIMESTAMPS_DROPPED: &str = "ItemData.created_at/updated_at have no camelCase rename, so \
     Connect's createdAt/updatedAt (Item object in 1Password Connect's API reference) are silently \
     dropped: always None";

const PASSWORD_DROPPED: &str = "LoginItem::password(p) sends value null and no generate flag \
     when p is not empty (its is_empty().then(..) is inverted), so a given password is never \
     stored; only password(\"\") (generate) works";

enum Verdict {
    Passed,
    Defect(String),
}

type CheckResult = Result<Verdict, String>;
type CheckFn = fn(Arc<Ctx>) -> Pin<Box<dyn Future<Output = CheckResult> + Send>>;

struct Ctx {
    host: String,
    /// Full access (`latchkey dev --token`).
    token: String,
    /// rw on the "Rust Compat" vault only.
    scoped: String,
    /// The seeded "Demo" vault (holds an item with a URL, a sectionless Login, an OTP item).
    demo: String,
    /// "Rust Compat": items the checks create.
    work: String,
    /// "Rust List": two items without URLs, made at setup, for the list checks.
    list: String,
    list_titles: Vec<String>,
    client: Client,
    raw: Raw,
}

/// The crate's call failed: a known defect if its error matches one, otherwise a failure.
fn known(err: &CrateError, defects: &[&Defect]) -> CheckResult {
    let text = err.to_string();
    match defects.iter().find(|d| text.contains(d.pattern)) {
        Some(d) => Ok(Verdict::Defect(d.reason.to_string())),
        None => Err(format!("the crate's call failed: {text}")),
    }
}

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(msg())
    }
}

/// The crate's call must fail; its error text must contain every one of `needles`.
fn expect_err<T: std::fmt::Debug>(
    what: &str,
    res: Result<T, CrateError>,
    needles: &[&str],
) -> Result<(), String> {
    match res {
        Ok(v) => Err(format!("{what}: expected an error, got Ok({v:?})")),
        Err(e) => {
            let text = e.to_string();
            ensure(needles.iter().all(|n| text.contains(n)), || {
                format!("{what}: error {text:?} does not contain all of {needles:?}")
            })
        }
    }
}

/// `ApiCredentialItem::build` (the builder's three traits each have a `build`).
fn api_credential(builder: ItemBuilder) -> Result<FullItem, String> {
    ApiCredentialItem::build(&builder).map_err(|e| format!("ApiCredentialItem::build: {e}"))
}

/// `LoginItem::build`: requires a title.
fn login(builder: ItemBuilder) -> Result<FullItem, String> {
    LoginItem::build(&builder).map_err(|e| format!("LoginItem::build: {e}"))
}

fn demo_item_id(ctx: &Ctx, summaries: &Value, title: &str) -> Result<String, String> {
    summaries
        .as_array()
        .and_then(|a| a.iter().find(|s| s["title"] == title))
        .and_then(|s| s["id"].as_str())
        .map(str::to_string)
        .ok_or_else(|| format!("no item {title:?} in the Demo vault {}", ctx.demo))
}

// ---------------------------------------------------------------------------------------------
// vaults

async fn vaults_all(ctx: Arc<Ctx>) -> CheckResult {
    let body = ctx.raw.get_ok(&ctx.token, "v1/vaults").await?;
    let list = body.as_array().ok_or("GET /v1/vaults: not an array")?;
    for (i, v) in list.iter().enumerate() {
        raw::vault(v, &format!("vaults[{i}]"))?;
    }
    for id in [&ctx.demo, &ctx.work, &ctx.list] {
        ensure(list.iter().any(|v| v["id"] == **id), || {
            format!("vault {id} missing from {body}")
        })?;
    }
    match vaults::all(&ctx.client).await {
        Ok((vaults, json)) => {
            ensure(json == body, || {
                "the crate's raw JSON differs from the response".into()
            })?;
            ensure(
                vaults.iter().any(|v| v.id == ctx.demo && v.name == "Demo"),
                || format!("{vaults:?}"),
            )?;
            Ok(Verdict::Passed)
        }
        Err(e) => known(&e, &[&VAULT_VERSIONS]),
    }
}

async fn vaults_get(ctx: Arc<Ctx>) -> CheckResult {
    let body = ctx
        .raw
        .get_ok(&ctx.token, &format!("v1/vaults/{}", ctx.demo))
        .await?;
    raw::vault(&body, "vault")?;
    ensure(
        body["name"] == "Demo" && body["items"].as_i64() >= Some(5),
        || format!("{body}"),
    )?;
    match vaults::get(&ctx.client, &ctx.demo).await {
        Ok((vault, _)) => {
            ensure(
                vault.id == ctx.demo && vault.name == "Demo" && vault.r#type == "USER_CREATED",
                || format!("{vault:?}"),
            )?;
            Ok(Verdict::Passed)
        }
        Err(e) => known(&e, &[&VAULT_VERSIONS]),
    }
}

// ---------------------------------------------------------------------------------------------
// items::all

async fn items_list_without_urls(ctx: Arc<Ctx>) -> CheckResult {
    let body = ctx
        .raw
        .get_ok(&ctx.token, &format!("v1/vaults/{}/items", ctx.list))
        .await?;
    let (items, json) = items::all(&ctx.client, &ctx.list)
        .await
        .map_err(|e| format!("items::all: {e}"))?;
    ensure(json == body, || {
        "the crate's raw JSON differs from the response".into()
    })?;
    let mut titles: Vec<_> = items.iter().map(|i| i.title.clone()).collect();
    titles.sort();
    ensure(titles == ctx.list_titles, || {
        format!("titles {titles:?}, expected {:?}", ctx.list_titles)
    })?;
    for item in &items {
        ensure(
            raw::is_connect_id(&item.id) && item.vault.id == ctx.list,
            || format!("{item:?}"),
        )?;
        ensure(
            item.category
                .as_deref()
                .is_some_and(|c| ["LOGIN", "SECURE_NOTE"].contains(&c)),
            || format!("{item:?}"),
        )?;
    }
    let login = items
        .iter()
        .find(|i| i.category.as_deref() == Some("LOGIN"))
        .ok_or("no LOGIN summary")?;
    ensure(
        login.tags.as_deref() == Some(&["rust".to_string(), "compat".to_string()][..]),
        || format!("tags {:?}", login.tags),
    )?;
    ensure(login.favorite == Some(true), || {
        format!("favorite {:?}", login.favorite)
    })?;
    Ok(Verdict::Passed)
}

async fn items_list_with_urls(ctx: Arc<Ctx>) -> CheckResult {
    let body = ctx
        .raw
        .get_ok(&ctx.token, &format!("v1/vaults/{}/items", ctx.demo))
        .await?;
    for (i, s) in body.as_array().ok_or("not an array")?.iter().enumerate() {
        raw::summary(s, &format!("items[{i}]"))?;
    }
    let login = body
        .as_array()
        .and_then(|a| a.iter().find(|s| s["title"] == "Example Login"))
        .ok_or("no Example Login summary")?;
    ensure(
        login["urls"][0]["href"] == "https://example.com/login",
        || format!("{login}"),
    )?;
    match items::all(&ctx.client, &ctx.demo).await {
        Ok((items, _)) => {
            ensure(items.len() == body.as_array().map_or(0, Vec::len), || {
                format!("{items:?}")
            })?;
            Ok(Verdict::Passed)
        }
        Err(e) => known(&e, &[&URL_HREF_READ]),
    }
}

async fn items_list_timestamps(ctx: Arc<Ctx>) -> CheckResult {
    let body = ctx
        .raw
        .get_ok(&ctx.token, &format!("v1/vaults/{}/items", ctx.list))
        .await?;
    for (i, s) in body.as_array().ok_or("not an array")?.iter().enumerate() {
        raw::summary(s, &format!("items[{i}]"))?;
    }
    let (items, _) = items::all(&ctx.client, &ctx.list)
        .await
        .map_err(|e| format!("items::all: {e}"))?;
    let first = items.first().ok_or("no items")?;
    let wire = body
        .as_array()
        .and_then(|a| a.iter().find(|s| s["id"] == first.id.as_str()))
        .ok_or("summary not in the raw list")?;
    match (&first.created_at, &first.updated_at) {
        (Some(c), Some(u)) => {
            let parse = |k: &str| wire[k].as_str().unwrap_or_default().to_string();
            ensure(
                c.format("%Y-%m-%dT%H:%M:%SZ").to_string() == parse("createdAt"),
                || format!("{c} vs {wire}"),
            )?;
            ensure(
                u.format("%Y-%m-%dT%H:%M:%SZ").to_string() == parse("updatedAt"),
                || format!("{u} vs {wire}"),
            )?;
            Ok(Verdict::Passed)
        }
        _ => Ok(Verdict::Defect(TIMESTAMPS_DROPPED.into())),
    }
}

// ---------------------------------------------------------------------------------------------
// items::get

async fn item_get_with_sections(ctx: Arc<Ctx>) -> CheckResult {
    let item = api_credential(
        ItemBuilder::new(&ctx.work, ItemCategory::ApiCredential)
            .api_key("k-0123456789", "Rust API key"),
    )?;
    let (created, _) = items::add(&ctx.client, item)
        .await
        .map_err(|e| format!("items::add: {e}"))?;
    let body = ctx
        .raw
        .get_ok(
            &ctx.token,
            &format!("v1/vaults/{}/items/{}", ctx.work, created.id),
        )
        .await?;
    raw::full_item(&body, "item")?;
    let (got, json) = items::get(&ctx.client, &ctx.work, &created.id)
        .await
        .map_err(|e| format!("items::get: {e}"))?;
    ensure(json["id"] == created.id.as_str(), || format!("{json}"))?;
    ensure(
        got.title == "Rust API key" && got.vault.id == ctx.work,
        || format!("{got:?}"),
    )?;
    ensure(got.category.as_deref() == Some("API_CREDENTIAL"), || {
        format!("{got:?}")
    })?;
    ensure(
        got.sections.len() == 1 && got.sections[0].label.as_deref() == Some("API Key"),
        || format!("sections {:?}", got.sections),
    )?;
    let key = got
        .fields
        .iter()
        .find(|f| f.value.as_deref() == Some("k-0123456789"))
        .ok_or_else(|| format!("no field with the key in {:?}", got.fields))?;
    ensure(key.r#type.as_deref() == Some("CONCEALED"), || {
        format!("{key:?}")
    })?;
    ensure(
        key.section.as_ref().map(|s| &s.id) == Some(&got.sections[0].id),
        || format!("{key:?}"),
    )?;
    Ok(Verdict::Passed)
}

async fn item_get_demo_otp_item(ctx: Arc<Ctx>) -> CheckResult {
    let list = ctx
        .raw
        .get_ok(&ctx.token, &format!("v1/vaults/{}/items", ctx.demo))
        .await?;
    let id = demo_item_id(&ctx, &list, "API Token")?;
    let body = ctx
        .raw
        .get_ok(&ctx.token, &format!("v1/vaults/{}/items/{id}", ctx.demo))
        .await?;
    raw::full_item(&body, "item")?;
    match items::get(&ctx.client, &ctx.demo, &id).await {
        Ok((got, _)) => {
            let otp = got
                .fields
                .iter()
                .find(|f| f.r#type.as_deref() == Some("OTP"))
                .ok_or_else(|| format!("no OTP field in {:?}", got.fields))?;
            ensure(
                otp.value
                    .as_deref()
                    .is_some_and(|v| v.starts_with("otpauth://totp/")),
                || format!("{otp:?}"),
            )?;
            ensure(otp.section.is_some(), || format!("{otp:?}"))?;
            Ok(Verdict::Passed)
        }
        Err(e) => known(&e, &[&SECTIONS_REQUIRED, &URL_HREF_READ]),
    }
}

async fn item_get_without_sections(ctx: Arc<Ctx>) -> CheckResult {
    let item = login(
        ItemBuilder::new(&ctx.work, ItemCategory::Login)
            .title("Rust login without sections")
            .username("alice")
            .password(""),
    )?;
    let (created, _) = items::add(&ctx.client, item)
        .await
        .map_err(|e| format!("items::add: {e}"))?;
    let body = ctx
        .raw
        .get_ok(
            &ctx.token,
            &format!("v1/vaults/{}/items/{}", ctx.work, created.id),
        )
        .await?;
    raw::full_item(&body, "item")?;
    ensure(
        raw::field_with_purpose(&body, "USERNAME").is_some_and(|f| f["value"] == "alice"),
        || format!("{body}"),
    )?;
    match items::get(&ctx.client, &ctx.work, &created.id).await {
        Ok((got, _)) => {
            ensure(
                got.fields
                    .iter()
                    .any(|f| f.value.as_deref() == Some("alice")),
                || format!("{got:?}"),
            )?;
            Ok(Verdict::Passed)
        }
        Err(e) => known(&e, &[&SECTIONS_REQUIRED]),
    }
}

async fn item_get_with_urls(ctx: Arc<Ctx>) -> CheckResult {
    let list = ctx
        .raw
        .get_ok(&ctx.token, &format!("v1/vaults/{}/items", ctx.demo))
        .await?;
    let id = demo_item_id(&ctx, &list, "Example Login")?;
    let body = ctx
        .raw
        .get_ok(&ctx.token, &format!("v1/vaults/{}/items/{id}", ctx.demo))
        .await?;
    raw::full_item(&body, "item")?;
    ensure(
        body["urls"][0]["href"] == "https://example.com/login",
        || format!("{body}"),
    )?;
    match items::get(&ctx.client, &ctx.demo, &id).await {
        Ok((got, _)) => {
            let urls = got.urls.unwrap_or_default();
            ensure(
                urls.first()
                    .is_some_and(|u| u.url == "https://example.com/login"),
                || format!("{urls:?}"),
            )?;
            Ok(Verdict::Passed)
        }
        Err(e) => known(&e, &[&URL_HREF_READ, &SECTIONS_REQUIRED]),
    }
}

// ---------------------------------------------------------------------------------------------
// items::add

async fn create_login(ctx: Arc<Ctx>) -> CheckResult {
    let item = login(
        ItemBuilder::new(&ctx.work, ItemCategory::Login)
            .title("Rust login")
            .username("bob")
            .password(""),
    )?;
    let (created, json) = items::add(&ctx.client, item)
        .await
        .map_err(|e| format!("items::add: {e}"))?;
    raw::full_item(&json, "POST response")?;
    ensure(json["version"] == 1, || {
        format!("version {} (a new item has version 1)", json["version"])
    })?;
    ensure(
        raw::is_connect_id(&created.id) && created.title == "Rust login",
        || format!("{created:?}"),
    )?;
    ensure(
        created.vault.id == ctx.work && created.category.as_deref() == Some("LOGIN"),
        || format!("{created:?}"),
    )?;
    let body = ctx
        .raw
        .get_ok(
            &ctx.token,
            &format!("v1/vaults/{}/items/{}", ctx.work, created.id),
        )
        .await?;
    raw::full_item(&body, "item")?;
    ensure(
        raw::field_with_purpose(&body, "USERNAME").is_some_and(|f| f["value"] == "bob"),
        || format!("{body}"),
    )?;
    Ok(Verdict::Passed)
}

async fn create_login_with_password(ctx: Arc<Ctx>) -> CheckResult {
    let password = "correct-horse-battery-staple";
    let item = login(
        ItemBuilder::new(&ctx.work, ItemCategory::Login)
            .title("Rust login with a password")
            .username("carol")
            .password(password),
    )?;
    let sent = serde_json::to_value(&item).map_err(|e| e.to_string())?;
    let (created, _) = items::add(&ctx.client, item)
        .await
        .map_err(|e| format!("items::add: {e}"))?;
    let body = ctx
        .raw
        .get_ok(
            &ctx.token,
            &format!("v1/vaults/{}/items/{}", ctx.work, created.id),
        )
        .await?;
    raw::full_item(&body, "item")?;
    let stored = raw::field_with_purpose(&body, "PASSWORD")
        .and_then(|f| f.get("value"))
        .and_then(Value::as_str);
    if stored == Some(password) {
        return Ok(Verdict::Passed);
    }
    // The crate's body has no password value: show that latchkey stores one that is sent.
    let sent_password = sent["fields"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["purpose"] == "PASSWORD"))
        .ok_or_else(|| format!("the crate sent no PASSWORD field: {sent}"))?;
    ensure(sent_password["value"].is_null(), || {
        format!("stored {stored:?}, but the crate sent {sent_password}")
    })?;
    let mut fixed = sent.clone();
    for f in fixed["fields"].as_array_mut().unwrap() {
        if f["purpose"] == "PASSWORD" {
            f["value"] = json!(password);
        }
    }
    fixed["title"] = json!("Rust login with a password (raw)");
    let made = ctx
        .raw
        .post_ok(&ctx.token, &format!("v1/vaults/{}/items", ctx.work), &fixed)
        .await?;
    raw::full_item(&made, "POST response")?;
    let back = ctx
        .raw
        .get_ok(
            &ctx.token,
            &format!(
                "v1/vaults/{}/items/{}",
                ctx.work,
                made["id"].as_str().unwrap_or("")
            ),
        )
        .await?;
    ensure(
        raw::field_with_purpose(&back, "PASSWORD").is_some_and(|f| f["value"] == password),
        || format!("latchkey did not store a password it was sent: {back}"),
    )?;
    Ok(Verdict::Defect(PASSWORD_DROPPED.into()))
}

async fn create_api_credential_with_key(ctx: Arc<Ctx>) -> CheckResult {
    let item = api_credential(
        ItemBuilder::new(&ctx.work, ItemCategory::ApiCredential)
            .api_key("smelly-socks", "Dell XYZ"),
    )?;
    let (created, json) = items::add(&ctx.client, item)
        .await
        .map_err(|e| format!("items::add: {e}"))?;
    raw::full_item(&json, "POST response")?;
    ensure(
        created.title == "Dell XYZ" && created.category.as_deref() == Some("API_CREDENTIAL"),
        || format!("{created:?}"),
    )?;
    let fields = json["fields"].as_array().ok_or("no fields")?;
    let key = fields
        .iter()
        .find(|f| f["value"] == "smelly-socks")
        .ok_or_else(|| format!("the key is not in {json}"))?;
    ensure(key["type"] == "CONCEALED", || format!("{key}"))?;
    Ok(Verdict::Passed)
}

async fn create_password_category(ctx: Arc<Ctx>) -> CheckResult {
    let item = login(
        ItemBuilder::new(&ctx.work, ItemCategory::Password)
            .title("Rust password item")
            .password(""),
    )?;
    let (created, json) = items::add(&ctx.client, item)
        .await
        .map_err(|e| format!("items::add: {e}"))?;
    raw::full_item(&json, "POST response")?;
    ensure(created.category.as_deref() == Some("PASSWORD"), || {
        format!("{created:?}")
    })?;
    let value = raw::field_with_purpose(&json, "PASSWORD")
        .and_then(|f| f["value"].as_str())
        .unwrap_or("");
    ensure(!value.is_empty(), || {
        format!("no generated password in {json}")
    })?;
    Ok(Verdict::Passed)
}

async fn create_default_builder(ctx: Arc<Ctx>) -> CheckResult {
    // What the crate's own `add_item` test sends: an API credential with no title and no fields.
    let builder = ItemBuilder::new(&ctx.work, ItemCategory::ApiCredential);
    let item = DefaultItem::build(&builder).map_err(|e| format!("builder: {e}"))?;
    let (created, json) = items::add(&ctx.client, item)
        .await
        .map_err(|e| format!("items::add: {e}"))?;
    raw::full_item(&json, "POST response")?;
    ensure(
        raw::is_connect_id(&created.id) && created.vault.id == ctx.work,
        || format!("{created:?}"),
    )?;
    Ok(Verdict::Passed)
}

async fn create_with_url(ctx: Arc<Ctx>) -> CheckResult {
    let mut builder = ItemBuilder::new(&ctx.work, ItemCategory::Login)
        .title("Rust login with a URL")
        .username("dave");
    builder.urls = Some(vec![UrlObject {
        url: "https://rust.example/login".into(),
        primary: true,
    }]);
    let item: FullItem = LoginItem::build(&builder).map_err(|e| format!("builder: {e}"))?;
    let sent = serde_json::to_value(&item).map_err(|e| e.to_string())?;
    // Connect's shape (href) is accepted and read back.
    let mut fixed = sent.clone();
    fixed["urls"] = json!([{"href": "https://rust.example/login", "primary": true}]);
    fixed["title"] = json!("Rust login with a URL (raw)");
    let made = ctx
        .raw
        .post_ok(&ctx.token, &format!("v1/vaults/{}/items", ctx.work), &fixed)
        .await?;
    raw::full_item(&made, "POST response")?;
    ensure(
        made["urls"][0]["href"] == "https://rust.example/login",
        || format!("{made}"),
    )?;
    // Remove it again: an item with a URL in the work vault would break the crate's items::all.
    let made_path = format!(
        "v1/vaults/{}/items/{}",
        ctx.work,
        made["id"].as_str().unwrap_or("")
    );
    ctx.raw.delete_ok(&ctx.token, &made_path).await?;
    match items::add(&ctx.client, item).await {
        Ok((created, _)) => {
            let body = ctx
                .raw
                .get_ok(
                    &ctx.token,
                    &format!("v1/vaults/{}/items/{}", ctx.work, created.id),
                )
                .await?;
            if body["urls"][0]["href"] == "https://rust.example/login" {
                Ok(Verdict::Passed)
            } else {
                Ok(Verdict::Defect(URL_HREF_WRITE.reason.into()))
            }
        }
        Err(e) => {
            ensure(sent["urls"][0].get("href").is_none(), || {
                format!("the crate sent {sent}")
            })?;
            known(&e, &[&URL_HREF_WRITE])
        }
    }
}

// ---------------------------------------------------------------------------------------------
// generated values

async fn generate_login_password(ctx: Arc<Ctx>) -> CheckResult {
    let item = login(
        ItemBuilder::new(&ctx.work, ItemCategory::Login)
            .title("Rust generated password")
            .username("erin")
            .password(""),
    )?;
    let (created, _) = items::add(&ctx.client, item)
        .await
        .map_err(|e| format!("items::add: {e}"))?;
    let body = ctx
        .raw
        .get_ok(
            &ctx.token,
            &format!("v1/vaults/{}/items/{}", ctx.work, created.id),
        )
        .await?;
    let field = raw::field_with_purpose(&body, "PASSWORD")
        .ok_or_else(|| format!("no password field: {body}"))?;
    let value = field.get("value").and_then(Value::as_str).unwrap_or("");
    // Connect's default recipe: 32 characters of letters, digits and symbols (1Password Connect's API reference).
    ensure(value.chars().count() == 32, || {
        format!("generated {value:?}, expected 32 characters")
    })?;
    ensure(value.chars().all(|c| c.is_ascii_graphic()), || {
        format!("generated {value:?}")
    })?;
    ensure(
        field
            .get("entropy")
            .and_then(Value::as_f64)
            .is_some_and(|e| e > 100.0),
        || format!("{field:?}"),
    )?;
    Ok(Verdict::Passed)
}

async fn generate_api_key(ctx: Arc<Ctx>) -> CheckResult {
    let item = api_credential(
        ItemBuilder::new(&ctx.work, ItemCategory::ApiCredential).api_key("", "Rust generated key"),
    )?;
    let (created, _) = items::add(&ctx.client, item)
        .await
        .map_err(|e| format!("items::add: {e}"))?;
    let (got, _) = items::get(&ctx.client, &ctx.work, &created.id)
        .await
        .map_err(|e| format!("items::get: {e}"))?;
    let key = got
        .fields
        .iter()
        .find(|f| f.r#type.as_deref() == Some("CONCEALED"))
        .ok_or_else(|| format!("no CONCEALED field in {:?}", got.fields))?;
    let value = key.value.as_deref().unwrap_or("");
    ensure(value.chars().count() == 32, || {
        format!("generated {value:?}, expected 32 characters")
    })?;
    Ok(Verdict::Passed)
}

// ---------------------------------------------------------------------------------------------
// items::remove

async fn delete_remove(ctx: Arc<Ctx>) -> CheckResult {
    let item = api_credential(
        ItemBuilder::new(&ctx.work, ItemCategory::ApiCredential)
            .api_key("to-be-removed", "Rust item to remove"),
    )?;
    let (created, _) = items::add(&ctx.client, item)
        .await
        .map_err(|e| format!("items::add: {e}"))?;
    let path = format!("v1/vaults/{}/items/{}", ctx.work, created.id);
    ctx.raw.get_ok(&ctx.token, &path).await?;
    items::remove(&ctx.client, &ctx.work, &created.id)
        .await
        .map_err(|e| format!("items::remove: {e}"))?;
    let reply = ctx.raw.get(&ctx.token, &path).await?;
    raw::error(&reply, 404, "")?;
    let (left, _) = items::all(&ctx.client, &ctx.work)
        .await
        .map_err(|e| format!("items::all: {e}"))?;
    ensure(!left.iter().any(|i| i.id == created.id), || {
        "the removed item is still listed".into()
    })?;
    Ok(Verdict::Passed)
}

// ---------------------------------------------------------------------------------------------
// errors

async fn errors_bad_token(ctx: Arc<Ctx>) -> CheckResult {
    let reply = ctx.raw.get("not-a-token", "v1/vaults").await?;
    raw::error(&reply, 401, "Invalid bearer token")?;
    let bad = Client::new("not-a-token", &ctx.host);
    let want = ["401", "Invalid bearer token"];
    expect_err("vaults::all", vaults::all(&bad).await, &want)?;
    expect_err("vaults::get", vaults::get(&bad, &ctx.work).await, &want)?;
    expect_err("items::all", items::all(&bad, &ctx.work).await, &want)?;
    expect_err(
        "items::get",
        items::get(&bad, &ctx.work, "aaaaaaaaaaaaaaaaaaaaaaaaaa").await,
        &want,
    )?;
    let item = api_credential(
        ItemBuilder::new(&ctx.work, ItemCategory::ApiCredential).api_key("x", "never created"),
    )?;
    expect_err("items::add", items::add(&bad, item).await, &want)?;
    expect_err(
        "items::remove",
        items::remove(&bad, &ctx.work, "aaaaaaaaaaaaaaaaaaaaaaaaaa").await,
        &want,
    )?;
    Ok(Verdict::Passed)
}

async fn errors_malformed_vault_id(ctx: Arc<Ctx>) -> CheckResult {
    let reply = ctx.raw.get(&ctx.token, "v1/vaults/not-a-vault-id").await?;
    raw::error(&reply, 400, "Invalid Vault UUID")?;
    expect_err(
        "vaults::get",
        vaults::get(&ctx.client, "not-a-vault-id").await,
        &["400", "Invalid Vault UUID"],
    )?;
    expect_err(
        "items::all",
        items::all(&ctx.client, "not-a-vault-id").await,
        &["400", "Invalid Vault UUID"],
    )?;
    Ok(Verdict::Passed)
}

async fn errors_malformed_item_id(ctx: Arc<Ctx>) -> CheckResult {
    let reply = ctx
        .raw
        .get(
            &ctx.token,
            &format!("v1/vaults/{}/items/not-an-item-id", ctx.work),
        )
        .await?;
    raw::error(&reply, 400, "Invalid Item UUID")?;
    expect_err(
        "items::get",
        items::get(&ctx.client, &ctx.work, "not-an-item-id").await,
        &["400", "Invalid Item UUID"],
    )?;
    Ok(Verdict::Passed)
}

async fn errors_unknown_item(ctx: Arc<Ctx>) -> CheckResult {
    let unknown = "zzzzzzzzzzzzzzzzzzzzzzzzzz";
    let reply = ctx
        .raw
        .get(
            &ctx.token,
            &format!("v1/vaults/{}/items/{unknown}", ctx.work),
        )
        .await?;
    raw::error(&reply, 404, "")?;
    expect_err(
        "items::get",
        items::get(&ctx.client, &ctx.work, unknown).await,
        &["404", "\"status\":404"],
    )?;
    expect_err(
        "items::remove",
        items::remove(&ctx.client, &ctx.work, unknown).await,
        &["404"],
    )?;
    Ok(Verdict::Passed)
}

async fn errors_out_of_scope(ctx: Arc<Ctx>) -> CheckResult {
    let reply = ctx
        .raw
        .get(&ctx.scoped, &format!("v1/vaults/{}", ctx.demo))
        .await?;
    raw::error(&reply, 403, "")?;
    let scoped = Client::new(&ctx.scoped, &ctx.host);
    expect_err(
        "vaults::get",
        vaults::get(&scoped, &ctx.demo).await,
        &["403"],
    )?;
    expect_err("items::all", items::all(&scoped, &ctx.demo).await, &["403"])?;
    let item = api_credential(
        ItemBuilder::new(&ctx.demo, ItemCategory::ApiCredential).api_key("x", "never created"),
    )?;
    expect_err("items::add", items::add(&scoped, item).await, &["403"])?;
    // Its own vault works.
    items::all(&scoped, &ctx.work)
        .await
        .map_err(|e| format!("items::all on its own vault: {e}"))?;
    Ok(Verdict::Passed)
}

// ---------------------------------------------------------------------------------------------
// client constructors

async fn client_new_and_token(ctx: Arc<Ctx>) -> CheckResult {
    let client = Client::new(&ctx.token, &ctx.host);
    ensure(client.token() == ctx.token, || {
        "Client::token() differs from the token given".into()
    })?;
    // The transport trait is public: a plain call through it, with the crate's empty query pair.
    let (value, _) = client
        .send_request::<Value>(
            "GET",
            &format!("v1/vaults/{}/items", ctx.list),
            &[("", "")],
            None,
        )
        .await
        .map_err(|e| format!("send_request: {e}"))?;
    ensure(
        value.as_array().map(Vec::len) == Some(ctx.list_titles.len()),
        || format!("{value}"),
    )?;
    Ok(Verdict::Passed)
}

async fn client_default_from_env(ctx: Arc<Ctx>) -> CheckResult {
    // Client::default() reads OP_API_TOKEN and OP_SERVER_URL (not Connect's OP_CONNECT_*).
    std::env::set_var("OP_API_TOKEN", &ctx.token);
    std::env::set_var("OP_SERVER_URL", &ctx.host);
    let client = Client::default();
    std::env::remove_var("OP_API_TOKEN");
    std::env::remove_var("OP_SERVER_URL");
    ensure(client.token() == ctx.token, || {
        "Client::default() took another token".into()
    })?;
    let (items, _) = items::all(&client, &ctx.list)
        .await
        .map_err(|e| format!("items::all: {e}"))?;
    ensure(items.len() == ctx.list_titles.len(), || {
        format!("{items:?}")
    })?;
    Ok(Verdict::Passed)
}

// ---------------------------------------------------------------------------------------------

macro_rules! checks {
    ($($name:literal => $f:path),* $(,)?) => {
        &[$(($name, {
            fn run(ctx: Arc<Ctx>) -> Pin<Box<dyn Future<Output = CheckResult> + Send>> {
                Box::pin($f(ctx))
            }
            run as CheckFn
        })),*]
    };
}

const CHECKS: &[(&str, CheckFn)] = checks![
    "client::new_and_token" => client_new_and_token,
    "client::default_from_env" => client_default_from_env,
    "vaults::all" => vaults_all,
    "vaults::get" => vaults_get,
    "items_list::all_without_urls" => items_list_without_urls,
    "items_list::all_with_urls" => items_list_with_urls,
    "items_list::timestamps" => items_list_timestamps,
    "item_get::with_sections" => item_get_with_sections,
    "item_get::demo_otp_item" => item_get_demo_otp_item,
    "item_get::without_sections" => item_get_without_sections,
    "item_get::with_urls" => item_get_with_urls,
    "create::login" => create_login,
    "create::login_with_password" => create_login_with_password,
    "create::api_credential_with_key" => create_api_credential_with_key,
    "create::password_category" => create_password_category,
    "create::default_builder" => create_default_builder,
    "create::with_url" => create_with_url,
    "generate::login_password" => generate_login_password,
    "generate::api_key" => generate_api_key,
    "delete::remove" => delete_remove,
    "errors::bad_token" => errors_bad_token,
    "errors::malformed_vault_id" => errors_malformed_vault_id,
    "errors::malformed_item_id" => errors_malformed_item_id,
    "errors::unknown_item" => errors_unknown_item,
    "errors::out_of_scope" => errors_out_of_scope,
];

async fn setup(server: &Latchkey) -> Result<Ctx, String> {
    let raw = Raw::new(&server.host);
    let vaults = raw.get_ok(&server.token, "v1/vaults").await?;
    let demo = vaults
        .as_array()
        .and_then(|a| a.iter().find(|v| v["name"] == "Demo"))
        .and_then(|v| v["id"].as_str())
        .ok_or_else(|| format!("no seeded Demo vault in {vaults}"))?
        .to_string();
    let work = server.vault_create("Rust Compat")?;
    let list = server.vault_create("Rust List")?;
    let scoped = server.token_issue("rust-compat-scoped", &[&format!("{work}:rw")])?;
    // Two items without URLs for the list checks, made raw so that the list does not depend on
    // the crate's own create.
    let login = json!({
        "title": "Rust listed login", "vault": {"id": list}, "category": "LOGIN",
        "favorite": true, "tags": ["rust", "compat"],
        "fields": [{"purpose": "USERNAME", "value": "listed"}, {"purpose": "PASSWORD", "value": "listed-pw"}],
    });
    let note = json!({
        "title": "Rust listed note", "vault": {"id": list}, "category": "SECURE_NOTE",
        "fields": [{"purpose": "NOTES", "value": "a note"}],
    });
    for body in [&login, &note] {
        raw.post_ok(&server.token, &format!("v1/vaults/{list}/items"), body)
            .await?;
    }
    let mut list_titles = vec![
        "Rust listed login".to_string(),
        "Rust listed note".to_string(),
    ];
    list_titles.sort();
    Ok(Ctx {
        host: server.host.clone(),
        token: server.token.clone(),
        scoped,
        demo,
        work,
        list,
        list_titles,
        client: Client::new(&server.token, &server.host),
        raw,
    })
}

struct Record {
    name: String,
    outcome: &'static str,
    reason: Option<String>,
}

fn write_raw(path: &Option<PathBuf>, records: &[Record]) {
    let Some(path) = path else { return };
    let mut out = String::new();
    for r in records {
        let line = json!({"test": r.name, "outcome": r.outcome, "reason": r.reason});
        out.push_str(&line.to_string());
        out.push('\n');
    }
    if let Err(e) = std::fs::write(path, out) {
        println!("rust-compat: cannot write {}: {e}", path.display());
    }
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let binary = PathBuf::from(
        std::env::var_os("LATCHKEY_BIN").unwrap_or_else(|| "target/debug/latchkey".into()),
    );
    let raw_out = std::env::var_os("RUST_COMPAT_RAW").map(PathBuf::from);
    let mut records: Vec<Record> = Vec::new();

    let mut server = match Latchkey::start(&binary, "rust-compat-dev-token") {
        Ok(s) => s,
        Err(e) => {
            println!("FAILED setup: {e}");
            records.push(Record {
                name: "setup".into(),
                outcome: "failed",
                reason: Some(e),
            });
            write_raw(&raw_out, &records);
            println!("rust-compat: 0 passed, 1 failed");
            std::process::exit(1);
        }
    };
    if let Some(pid) = server.pid() {
        if let Some(dir) = std::env::var_os("RUST_COMPAT_PIDFILE") {
            let _ = std::fs::write(dir, format!("{pid}\n"));
        }
    }
    println!(
        "rust-compat: connect-1password 2.0.1 against latchkey at {}",
        server.host
    );

    match setup(&server).await {
        Err(e) => {
            println!("FAILED setup: {e}");
            records.push(Record {
                name: "setup".into(),
                outcome: "failed",
                reason: Some(e),
            });
        }
        Ok(ctx) => {
            let ctx = Arc::new(ctx);
            for (name, check) in CHECKS {
                let t = Instant::now();
                // Each check on its own task, so that a panic fails that check only.
                let result = match tokio::spawn(check(ctx.clone())).await {
                    Ok(r) => r,
                    Err(e) => Err(format!("panicked: {e}")),
                };
                let ms = t.elapsed().as_millis();
                let record = match result {
                    Ok(Verdict::Passed) => {
                        println!("ok      {name} ({ms} ms)");
                        Record {
                            name: name.to_string(),
                            outcome: "passed",
                            reason: None,
                        }
                    }
                    Ok(Verdict::Defect(reason)) => {
                        println!("defect  {name} ({ms} ms): {reason}");
                        Record {
                            name: name.to_string(),
                            outcome: "defect",
                            reason: Some(reason),
                        }
                    }
                    Err(msg) => {
                        println!("FAILED  {name} ({ms} ms): {msg}");
                        Record {
                            name: name.to_string(),
                            outcome: "failed",
                            reason: Some(msg),
                        }
                    }
                };
                let _ = std::io::stdout().flush();
                records.push(record);
            }
        }
    }

    match server.stop() {
        Some(status) if status.contains("exit status: 0") || status.contains("signal: 15") => {}
        Some(status) => {
            println!("FAILED  shutdown: latchkey did not exit cleanly on SIGTERM: {status}");
            records.push(Record {
                name: "shutdown".into(),
                outcome: "failed",
                reason: Some(status),
            });
        }
        None => {}
    }
    drop(server);

    write_raw(&raw_out, &records);
    let failed = records.iter().filter(|r| r.outcome == "failed").count();
    let defects = records.iter().filter(|r| r.outcome == "defect").count();
    let passed = records.len() - failed;
    println!(
        "rust-compat: {defects} of the passed checks are known client defects; {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!("rust-compat: {passed} passed, {failed} failed");
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
