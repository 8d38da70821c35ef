//! The item cache of the api process against writes by the separate sync process: an item read
//! (and so cached) before a change is served changed, or gone, once the sync process has written
//! it, without a restart.

use std::time::Duration;

use serde_json::json;

use crate::process::{cli_ok, get};
use crate::sync_processes::{start, wait_until, write_json, ONE_AT_A_TIME};

const VAULT: &str = "cachevault0000000000000000";
const ITEM: &str = "cacheitem00000000000000000";

fn seed(items: serde_json::Value) -> serde_json::Value {
    json!({"vaults": [{"id": VAULT, "name": "Cached", "items": items}]})
}

fn item(password: &str) -> serde_json::Value {
    json!({"id": ITEM, "title": "Cached login", "category": "LOGIN", "password": password})
}

async fn password(host: &str, token: &str) -> Result<String, u16> {
    let response = get(host, &format!("/v1/vaults/{VAULT}/items/{ITEM}"), token).await;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(status);
    }
    let item: serde_json::Value = response.json().await.unwrap();
    let fields = item["fields"].as_array().unwrap();
    let field = fields.iter().find(|f| f["purpose"] == "PASSWORD").unwrap();
    Ok(field["value"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn the_api_process_serves_what_the_sync_process_wrote() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let seed_path = dir.path().join("seed.json");
    write_json(&seed_path, &seed(json!([item("first")])));
    let creds = dir.path().join("creds.json").display().to_string();
    let data = dir.path().join("data").display().to_string();
    let env = [
        ("OP_SESSION", creds.as_str()),
        ("LATCHKEY_DATA_DIR", data.as_str()),
    ];
    cli_ok(
        &["init", "--source", &format!("seed:{}", seed_path.display())],
        &env,
    );
    let (sync, _sync_log) = start("sync", &env);
    let (api, _api_log) = start("api", &env);
    let host = api.host.clone();
    wait_until("the first import", Duration::from_secs(30), || async {
        cli_ok(&["vault", "list"], &env).contains("Cached")
    })
    .await;
    let token = cli_ok(
        &[
            "token",
            "issue",
            "--name",
            "r",
            "--vault",
            &format!("{VAULT}:r"),
        ],
        &env,
    );
    let token = token.trim().to_string();
    // Read (and cached) a few times before the change.
    for _ in 0..3 {
        assert_eq!(password(&host, &token).await, Ok("first".to_string()));
    }

    write_json(&seed_path, &seed(json!([item("second")])));
    wait_until("the changed password", Duration::from_secs(10), || {
        let (host, token) = (host.clone(), token.clone());
        async move { password(&host, &token).await == Ok("second".to_string()) }
    })
    .await;
    // Once seen, never the old value again.
    for _ in 0..3 {
        assert_eq!(password(&host, &token).await, Ok("second".to_string()));
    }

    write_json(&seed_path, &seed(json!([])));
    wait_until("the removal", Duration::from_secs(10), || {
        let (host, token) = (host.clone(), token.clone());
        async move { password(&host, &token).await == Err(404) }
    })
    .await;
    assert!(api.terminate().success());
    assert!(sync.terminate().success());
}
