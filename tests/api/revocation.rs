//! Revocation as real processes (docs/design.md §5): the list travels in the credentials file, so
//! every replica that shares the file refuses a revoked token — also one whose data directory was
//! recreated, and also after someone rewrote the token's row in the SQLite file.

use std::path::Path;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

use crate::helpers::http_client;
use crate::process::{cli_ok, get, start_serve, Server};

/// Several processes each; one test at a time keeps the 2-core machine responsive.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Generous: a revocation is picked up within a second; this bounds a stuck test, not speed.
const PATIENCE: Duration = Duration::from_secs(15);

fn jti(token: &str) -> String {
    let payload = URL_SAFE_NO_PAD
        .decode(token.split('.').nth(1).unwrap())
        .unwrap();
    serde_json::from_slice::<serde_json::Value>(&payload).unwrap()["jti"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn status(host: &str, token: &str) -> u16 {
    get(host, "/v1/vaults", token).await.status().as_u16()
}

/// Waits until `host` answers `token` with `wanted`; panics with the last answer after
/// [`PATIENCE`].
async fn wait_status(host: &str, token: &str, wanted: u16, what: &str) {
    let started = Instant::now();
    loop {
        let response = get(host, "/v1/vaults", token).await;
        let code = response.status().as_u16();
        if code == wanted {
            if wanted == 401 {
                let body = response.text().await.unwrap();
                assert!(body.contains("revoked"), "{what}: {body}");
            }
            return;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{what}: still {code} after {PATIENCE:?}, wanted {wanted}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits for the first sync of a replica (its `/health` reports the account data available).
async fn wait_synced(host: &str) {
    let started = Instant::now();
    loop {
        if let Ok(response) = http_client().get(format!("{host}/health")).send().await {
            if let Ok(health) = response.json::<serde_json::Value>().await {
                if health["dependencies"][1]["status"] == "AVAILABLE" {
                    return;
                }
            }
        }
        assert!(started.elapsed() < PATIENCE, "{host} never synced");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn issue(name: &str, env: &[(&str, &str)]) -> String {
    cli_ok(
        &["token", "issue", "--name", name, "--vault", "Infra:r"],
        env,
    )
}

fn write_seed(path: &Path) {
    let seed = json!({"vaults": [{"name": "Infra", "items": [
        {"title": "Postgres", "category": "LOGIN", "password": "pw"}]}]});
    std::fs::write(path, serde_json::to_vec(&seed).unwrap()).unwrap();
}

#[tokio::test]
async fn every_replica_sharing_the_credentials_file_refuses_a_revoked_token() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    write_seed(&seed);
    let creds = dir.path().join("creds.json").display().to_string();
    let (data_a, data_b) = (dir.path().join("a"), dir.path().join("b"));
    let (data_a_str, data_b_str) = (data_a.display().to_string(), data_b.display().to_string());
    let env_a = [
        ("OP_SESSION", creds.as_str()),
        ("LATCHKEY_DATA_DIR", data_a_str.as_str()),
    ];
    let env_b = [
        ("OP_SESSION", creds.as_str()),
        ("LATCHKEY_DATA_DIR", data_b_str.as_str()),
    ];
    cli_ok(
        &["init", "--source", &format!("seed:{}", seed.display())],
        &env_a,
    );
    // The README's scale-out: two api + sync pairs, each with its own store, one credentials file.
    let replica_a = start_serve(&env_a);
    let mut replica_b = start_serve(&env_b);
    wait_synced(&replica_a.host).await;
    wait_synced(&replica_b.host).await;

    let from_a = issue("from-a", &env_a);
    let from_b = issue("from-b", &env_b);
    let kept = issue("kept", &env_a);
    for host in [&replica_a.host, &replica_b.host] {
        for token in [&from_a, &from_b, &kept] {
            let vaults: serde_json::Value =
                get(host, "/v1/vaults", token).await.json().await.unwrap();
            assert_eq!(vaults[0]["name"], "Infra", "{host}: {vaults}");
        }
    }

    // By name where it was issued, and by id on a replica whose store never saw it.
    cli_ok(&["token", "revoke", "from-a"], &env_a);
    wait_status(&replica_b.host, &from_a, 401, "B after A revoked from-a").await;
    wait_status(&replica_a.host, &from_a, 401, "A after A revoked from-a").await;
    cli_ok(&["token", "revoke", &jti(&from_b)], &env_a);
    wait_status(&replica_a.host, &from_b, 401, "A after A revoked from-b").await;
    wait_status(&replica_b.host, &from_b, 401, "B after A revoked from-b").await;
    for host in [&replica_a.host, &replica_b.host] {
        assert_eq!(status(host, &kept).await, 200, "{host}: an unrevoked token");
    }

    // An emptyDir restart: B's data directory is recreated from nothing.
    assert!(replica_b.terminate().success());
    std::fs::remove_dir_all(&data_b).unwrap();
    replica_b = start_serve(&env_b);
    wait_synced(&replica_b.host).await;
    assert_eq!(status(&replica_b.host, &kept).await, 200);
    for token in [&from_a, &from_b] {
        wait_status(&replica_b.host, token, 401, "B with a recreated data dir").await;
    }
    drop(replica_a);
}

/// Sets `revoked_at` of every token row back to NULL, as an attacker with write access to the
/// SQLite file (and not to the credentials file) could.
async fn unrevoke_in_sqlite(db: &Path) {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let changed = sqlx::query("UPDATE tokens SET revoked_at = NULL WHERE revoked_at IS NOT NULL")
        .execute(&mut conn)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 1, "the revoked row");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn rewriting_the_database_cannot_unrevoke_a_token() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("creds.json").display().to_string();
    let data = dir.path().join("data");
    let data_str = data.display().to_string();
    let pass = dir.path().join("pass");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let pass_str = pass.display().to_string();
    // A sealed file: the list is inside the sealed (authenticated) secrets.
    let env = [
        ("OP_SESSION", creds.as_str()),
        ("LATCHKEY_DATA_DIR", data_str.as_str()),
        ("LATCHKEY_PASSPHRASE_FILE", pass_str.as_str()),
    ];
    cli_ok(
        &["init", "--source", "none", "--passphrase-file", &pass_str],
        &env,
    );
    cli_ok(&["vault", "create", "Infra"], &env);
    let token = issue("app", &env);
    let other = issue("other", &env);
    let whole = issue("given-whole", &env);
    let server: Server = start_serve(&env);
    assert_eq!(status(&server.host, &token).await, 200);

    cli_ok(&["token", "revoke", "app"], &env);
    wait_status(&server.host, &token, 401, "after the revocation").await;
    // Where no store is at hand (the host of a container deployment), the token itself will do.
    let elsewhere = dir.path().join("no-store-here");
    let elsewhere_str = elsewhere.display().to_string();
    let mut host_env = env;
    host_env[1] = ("LATCHKEY_DATA_DIR", elsewhere_str.as_str());
    cli_ok(&["token", "revoke", &whole], &host_env);
    assert!(!elsewhere.exists(), "no store is created");
    wait_status(&server.host, &whole, 401, "revoked with the token itself").await;
    unrevoke_in_sqlite(&data.join("1password.sqlite")).await;
    // Past every re-check of the database the running process makes.
    tokio::time::sleep(latchkey::auth::REVOCATION_RECHECK * 4).await;
    assert_eq!(status(&server.host, &token).await, 401, "running process");
    assert!(server.terminate().success());

    let server = start_serve(&env);
    assert_eq!(status(&server.host, &token).await, 401, "after a restart");
    assert_eq!(status(&server.host, &whole).await, 401, "after a restart");
    assert_eq!(status(&server.host, &other).await, 200);
}
