//! The sync worker as real processes: a watched seed file, api and sync side by side under
//! concurrent writes, kill -9 during a large import, a latchkey replicating another, and logs.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::http_client;
use crate::process::{cli_ok, get, lines, start_dev, wait_for, Server, BIN};

/// These tests start several processes and do large imports; run one at a time so their timing
/// claims (a change visible within a second) are not measured on a machine they saturate.
pub(crate) static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Starts `latchkey <mode>` (serve, api or sync) on a free port; returns the server and its log.
pub(crate) fn start(mode: &str, envs: &[(&str, &str)]) -> (Server, mpsc::Receiver<String>) {
    let mut child = Command::new(BIN)
        .args([mode, "--bind", "127.0.0.1"])
        .env("OP_HTTP_PORT", "0")
        .envs(envs.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn latchkey");
    let log = lines(child.stderr.take().unwrap());
    let wanted = if mode == "sync" {
        "latchkey sync listening"
    } else {
        "latchkey api listening"
    };
    let address = wait_for(&log, wanted, |l| {
        let v: serde_json::Value = serde_json::from_str(l).ok()?;
        (v["message"] == wanted).then(|| v["address"].as_str().unwrap().to_string())
    });
    (
        Server {
            child,
            host: format!("http://{address}"),
        },
        log,
    )
}

/// A seed document with `vaults` vaults of `items` items each; every value is distinctive.
fn big_seed(vaults: usize, items: usize, marker: &str) -> serde_json::Value {
    let vaults: Vec<_> = (0..vaults)
        .map(|v| {
            let items: Vec<_> = (0..items)
                .map(|i| {
                    json!({"title": format!("item {v}-{i}"), "category": "LOGIN", "tags": [format!("t{}", i % 7)],
                        "username": format!("user{i}"), "password": format!("{marker}-pw-{v}-{i}"),
                        "urls": [format!("https://host{i}.example")],
                        "sections": [{"label": "Extra", "fields": [{"label": "note", "value": format!("{marker}-note-{v}-{i}")}]}]})
                })
                .collect();
            json!({"name": format!("Vault {v}"), "items": items})
        })
        .collect();
    json!({ "vaults": vaults })
}

pub(crate) fn write_json(path: &Path, value: &serde_json::Value) {
    // Written whole and renamed, as an editor would, so the watcher never sees half a file.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec(value).unwrap()).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Polls `check` every 50 ms until it holds; fails the test after `limit`.
pub async fn wait_until<F: std::future::Future<Output = bool>>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> F,
) {
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < limit,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `host`'s `/health` until `accept` holds for its JSON, or fails the test after `limit`.
async fn wait_for_health(
    host: &str,
    what: &str,
    limit: Duration,
    accept: fn(&serde_json::Value) -> bool,
) {
    let started = Instant::now();
    loop {
        if let Ok(response) = http_client().get(format!("{host}/health")).send().await {
            if let Ok(health) = response.json::<serde_json::Value>().await {
                if accept(&health) {
                    return;
                }
            }
        }
        assert!(
            started.elapsed() < limit,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn titles(host: &str, token: &str, vault: &str) -> Vec<String> {
    let list: serde_json::Value = get(host, &format!("/v1/vaults/{vault}/items"), token)
        .await
        .json()
        .await
        .unwrap();
    let mut titles: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    titles
}

#[tokio::test]
async fn a_seed_file_change_reaches_the_api_within_a_second() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    write_json(
        &seed,
        &json!({"vaults": [{"name": "Dev", "items": [{"title": "API key", "category": "API_CREDENTIAL",
        "fields": [{"label": "credential", "type": "CONCEALED", "value": "first"}]}]}]}),
    );
    let (server, token) = start_dev(
        &dir.path().join("store"),
        &["--seed", seed.to_str().unwrap(), "--token", "t0"],
    );
    assert_eq!(token, "t0");
    let vaults: serde_json::Value = get(&server.host, "/v1/vaults", "t0")
        .await
        .json()
        .await
        .unwrap();
    let vault = vaults[0]["id"].as_str().unwrap().to_string();
    let list: serde_json::Value = get(&server.host, &format!("/v1/vaults/{vault}/items"), "t0")
        .await
        .json()
        .await
        .unwrap();
    let item = list[0]["id"].as_str().unwrap().to_string();

    write_json(
        &seed,
        &json!({"vaults": [{"name": "Dev", "items": [
        {"title": "API key", "category": "API_CREDENTIAL", "fields": [{"label": "credential", "type": "CONCEALED", "value": "second"}]},
        {"title": "Added", "category": "SECURE_NOTE", "notes": "new"}]}]}),
    );
    let changed = Instant::now();
    let host = server.host.clone();
    let uri = format!("/v1/vaults/{vault}/items/{item}");
    wait_until("the edited value", Duration::from_secs(1), || {
        let (host, uri) = (host.clone(), uri.clone());
        async move {
            let item: serde_json::Value = get(&host, &uri, "t0").await.json().await.unwrap();
            item["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["value"] == "second")
        }
    })
    .await;
    assert!(changed.elapsed() < Duration::from_secs(1));
    let item: serde_json::Value = get(&server.host, &uri, "t0").await.json().await.unwrap();
    assert_eq!(item["version"], 2, "a real change bumps the version once");
    assert_eq!(
        titles(&server.host, "t0", &vault).await,
        ["API key", "Added"]
    );

    // A broken edit is reported and the last good content keeps being served.
    std::fs::write(&seed, b"{ not json").unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        titles(&server.host, "t0", &vault).await,
        ["API key", "Added"]
    );
}

#[tokio::test]
async fn api_and_sync_processes_share_the_store_under_concurrent_writes() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    write_json(&seed, &big_seed(2, 1500, "concurrent"));
    let creds = dir.path().join("creds.json").display().to_string();
    let data = dir.path().join("data").display().to_string();
    let seed_spec = format!("seed:{}", seed.display());
    let env = [
        ("OP_SESSION", creds.as_str()),
        ("LATCHKEY_DATA_DIR", data.as_str()),
        ("LATCHKEY_SYNC_INTERVAL", "1s"),
    ];
    cli_ok(&["init", "--source", &seed_spec], &env);
    let local = cli_ok(&["vault", "create", "Local"], &env);
    let token = cli_ok(
        &["token", "issue", "--name", "w", "--vault", "Local:rw"],
        &env,
    );

    let (api, _api_log) = start("api", &env);
    let (sync, _sync_log) = start("sync", &env);
    // Write through the api while the sync process imports 3,000 items.
    let client = http_client();
    let mut created = Vec::new();
    let started = Instant::now();
    for i in 0..60 {
        let response = client
            .post(format!("{}/v1/vaults/{local}/items", api.host))
            .bearer_auth(&token)
            .json(&json!({"title": format!("written {i}"), "category": "PASSWORD", "fields": [{"purpose": "PASSWORD", "value": format!("v{i}")}]}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, 200, "write {i} failed: {body}");
        assert!(!body.contains("locked"), "{body}");
        created.push(
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let writes_took = started.elapsed();
    wait_for_health(
        &sync.host,
        "the import",
        Duration::from_secs(90),
        |health| health["dependencies"][1]["status"] == "AVAILABLE",
    )
    .await;
    // No write was lost.
    let list: serde_json::Value = get(&api.host, &format!("/v1/vaults/{local}/items"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        60,
        "writes took {writes_took:?}"
    );
    for id in &created {
        assert_eq!(
            get(&api.host, &format!("/v1/vaults/{local}/items/{id}"), &token)
                .await
                .status(),
            200
        );
    }
    // And the import is complete.
    let all = cli_ok(&["vault", "list"], &env);
    assert!(
        all.contains("1500 items  Vault 0") && all.contains("1500 items  Vault 1"),
        "{all}"
    );
    assert!(api.terminate().success());
    assert!(sync.terminate().success());
}

#[tokio::test]
async fn kill_9_during_an_import_leaves_a_store_the_next_run_completes() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    let source = big_seed(3, 1200, "crash");
    write_json(&seed, &source);
    let creds = dir.path().join("creds.json").display().to_string();
    let data = dir.path().join("data").display().to_string();
    let seed_spec = format!("seed:{}", seed.display());
    let env = [
        ("OP_SESSION", creds.as_str()),
        ("LATCHKEY_DATA_DIR", data.as_str()),
    ];
    cli_ok(&["init", "--source", &seed_spec], &env);

    // Deterministic "random" kill points spread over the import.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for round in 0..20 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let delay = Duration::from_millis(50 + state % 1500);
        let mut child = Command::new(BIN)
            .args(["sync", "--bind", "127.0.0.1"])
            .env("OP_HTTP_PORT", "0")
            .envs(env)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(!status.success() || round > 0, "round {round}");
        // After every kill the store opens and is consistent.
        let vaults = cli_ok(&["vault", "list"], &env);
        for line in vaults.lines() {
            let count: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            assert!(count <= 1200, "{line}");
        }
    }
    let check = sqlx_check(&Path::new(&data).join("1password.sqlite")).await;
    assert_eq!(check, "ok");

    // The next run completes with exactly the source's content.
    let (sync, _log) = start("sync", &env);
    wait_for_health(
        &sync.host,
        "the completed import",
        Duration::from_secs(120),
        |health| health["dependencies"][1]["status"] == "AVAILABLE",
    )
    .await;
    assert!(sync.terminate().success());
    let token = cli_ok(
        &[
            "token", "issue", "--name", "r", "--vault", "Vault 0", "--vault", "Vault 1", "--vault",
            "Vault 2",
        ],
        &env,
    );
    let (api, _log) = start("api", &env);
    let vaults: serde_json::Value = get(&api.host, "/v1/vaults", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(vaults.as_array().unwrap().len(), 3);
    for (v, vault) in source["vaults"].as_array().unwrap().iter().enumerate() {
        let id = vaults
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == vault["name"])
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let mut expected: Vec<String> = vault["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_string())
            .collect();
        expected.sort();
        assert_eq!(titles(&api.host, &token, &id).await, expected, "vault {v}");
        // Every item is whole: spot-check values and versions.
        for i in [0usize, 599, 1199] {
            let list: serde_json::Value = get(
                &api.host,
                &format!("/v1/vaults/{id}/items?filter=title+eq+%22item+{v}-{i}%22"),
                &token,
            )
            .await
            .json()
            .await
            .unwrap();
            let item_id = list[0]["id"].as_str().unwrap();
            let item: serde_json::Value = get(
                &api.host,
                &format!("/v1/vaults/{id}/items/{item_id}"),
                &token,
            )
            .await
            .json()
            .await
            .unwrap();
            assert_eq!(
                item["version"], 1,
                "an interrupted import must not bump versions"
            );
            let values: Vec<&str> = item["fields"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|f| f["value"].as_str())
                .collect();
            assert!(
                values.contains(&format!("crash-pw-{v}-{i}").as_str()),
                "{values:?}"
            );
            assert!(
                values.contains(&format!("crash-note-{v}-{i}").as_str()),
                "{values:?}"
            );
        }
        let vault_json: serde_json::Value = get(&api.host, &format!("/v1/vaults/{id}"), &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(vault_json["items"], 1200);
    }
}

/// SQLite's own integrity check of the file.
async fn sqlx_check(path: &Path) -> String {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let result: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    result
}

#[tokio::test]
async fn a_latchkey_replicates_another_and_forwards_writes() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let up_dir = tempfile::tempdir().unwrap();
    let (upstream, _) = start_dev(up_dir.path(), &["--token", "upstream-token"]);
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("upstream.token");
    std::fs::write(&token_file, "upstream-token\n").unwrap();
    let creds = dir.path().join("creds.json").display().to_string();
    let data = dir.path().join("data").display().to_string();
    let env = [
        ("OP_SESSION", creds.as_str()),
        ("LATCHKEY_DATA_DIR", data.as_str()),
        ("LATCHKEY_SYNC_INTERVAL", "1s"),
    ];
    cli_ok(
        &[
            "init",
            "--source",
            &format!("connect:{}", upstream.host),
            "--source-token-file",
            token_file.to_str().unwrap(),
        ],
        &env,
    );
    let (replica, log) = start("serve", &env);
    let up_vaults: serde_json::Value = get(&upstream.host, "/v1/vaults", "upstream-token")
        .await
        .json()
        .await
        .unwrap();
    let vault = up_vaults[0]["id"].as_str().unwrap().to_string();
    wait_for_health(
        &replica.host,
        "the first replication",
        Duration::from_secs(10),
        |health| health["dependencies"][1]["status"] == "AVAILABLE",
    )
    .await;
    let token = cli_ok(
        &[
            "token",
            "issue",
            "--name",
            "app",
            "--vault",
            &format!("{vault}:rw"),
        ],
        &env,
    );

    // Reads: the same items and file contents as the upstream.
    assert_eq!(
        titles(&replica.host, &token, &vault).await,
        titles(&upstream.host, "upstream-token", &vault).await
    );
    let list: serde_json::Value = get(
        &replica.host,
        &format!("/v1/vaults/{vault}/items?filter=title+eq+%22Welcome+Document%22"),
        &token,
    )
    .await
    .json()
    .await
    .unwrap();
    let doc = list[0]["id"].as_str().unwrap();
    let files: serde_json::Value = get(
        &replica.host,
        &format!("/v1/vaults/{vault}/items/{doc}/files"),
        &token,
    )
    .await
    .json()
    .await
    .unwrap();
    let content = get(
        &replica.host,
        files[0]["content_path"].as_str().unwrap(),
        &token,
    )
    .await
    .bytes()
    .await
    .unwrap();
    assert_eq!(&content[..], b"Hello from latchkey.\n");

    // Writes go upstream first, then are visible locally at once.
    let client = http_client();
    let created: serde_json::Value = client
        .post(format!("{}/v1/vaults/{vault}/items", replica.host))
        .bearer_auth(&token)
        .json(&json!({"title": "Through the replica", "category": "LOGIN", "fields": [{"purpose": "PASSWORD", "value": "replicated-secret"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let upstream_copy = get(
        &upstream.host,
        &format!("/v1/vaults/{vault}/items/{id}"),
        "upstream-token",
    )
    .await;
    assert_eq!(upstream_copy.status(), 200);
    assert_eq!(
        get(
            &replica.host,
            &format!("/v1/vaults/{vault}/items/{id}"),
            &token
        )
        .await
        .status(),
        200
    );

    // A change made upstream reaches the replica by incremental sync.
    let patched = client
        .patch(format!("{}/v1/vaults/{vault}/items/{id}", upstream.host))
        .bearer_auth("upstream-token")
        .json(&json!([{"op": "replace", "path": "/title", "value": "Renamed upstream"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let (host, uri, t) = (
        replica.host.clone(),
        format!("/v1/vaults/{vault}/items/{id}"),
        token.clone(),
    );
    wait_until("the upstream rename", Duration::from_secs(5), || {
        let (host, uri, t) = (host.clone(), uri.clone(), t.clone());
        async move {
            let item: serde_json::Value = get(&host, &uri, &t).await.json().await.unwrap();
            item["title"] == "Renamed upstream"
        }
    })
    .await;

    // With the upstream down, writes are refused with a JSON 5xx and nothing is stored; reads go on.
    let before = titles(&replica.host, &token, &vault).await;
    assert!(upstream.terminate().success());
    let refused = client
        .post(format!("{}/v1/vaults/{vault}/items", replica.host))
        .bearer_auth(&token)
        .json(&json!({"title": "Never stored", "category": "LOGIN"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 502);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["status"], 502);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("nothing was stored"),
        "{body}"
    );
    assert_eq!(titles(&replica.host, &token, &vault).await, before);
    let refused_delete = client
        .delete(format!("{}/v1/vaults/{vault}/items/{id}", replica.host))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused_delete.status(), 502);
    assert_eq!(
        get(
            &replica.host,
            &format!("/v1/vaults/{vault}/items/{id}"),
            &token
        )
        .await
        .status(),
        200
    );

    // The logs never carry a secret value.
    drop(replica);
    let logs: Vec<String> = log.try_iter().collect();
    assert!(!logs.is_empty());
    for line in &logs {
        for secret in ["replicated-secret", "upstream-token", "Hello from latchkey"] {
            assert!(!line.contains(secret), "log line leaks {secret}: {line}");
        }
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
    }
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_and_leaves_the_store_clean() {
    let _serial = ONE_AT_A_TIME.lock().await;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("creds.json").display().to_string();
    let data = dir.path().join("data");
    let data_s = data.display().to_string();
    let env = [
        ("OP_SESSION", creds.as_str()),
        ("LATCHKEY_DATA_DIR", data_s.as_str()),
    ];
    cli_ok(&["init"], &env);
    let vault = cli_ok(&["vault", "create", "V"], &env);
    let token = cli_ok(&["token", "issue", "--name", "t", "--vault", "V:rw"], &env);
    let (server, _log) = start("serve", &env);

    // A request whose body is still arriving when SIGTERM comes.
    let body = json!({"title": "in flight", "category": "LOGIN"}).to_string();
    let address = server.host.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /v1/vaults/{vault}/items HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("in flight"));
    let status = server.terminate();
    assert!(status.success(), "{status:?}");

    // The store is clean: the WAL was checkpointed away, the file passes its integrity check, and
    // the item written during shutdown is there.
    let wal = data.join("1password.sqlite-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "WAL left behind"
    );
    assert_eq!(sqlx_check(&data.join("1password.sqlite")).await, "ok");
    let listed = cli_ok(&["vault", "list"], &env);
    assert!(listed.contains("1 items  V"), "{listed}");
}

#[tokio::test]
async fn a_1pux_export_is_imported_and_a_broken_one_reported() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/synthetic.1pux");
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export.1pux");
    std::fs::copy(fixture, &export).unwrap();
    let creds = dir.path().join("creds.json").display().to_string();
    let data = dir.path().join("data").display().to_string();
    let env = [
        ("OP_SESSION", creds.as_str()),
        ("LATCHKEY_DATA_DIR", data.as_str()),
        ("LATCHKEY_SYNC_INTERVAL", "1s"),
    ];
    cli_ok(
        &["init", "--source", &format!("1pux:{}", export.display())],
        &env,
    );
    let (server, log) = start("serve", &env);
    wait_for_health(
        &server.host,
        "the 1PUX import",
        Duration::from_secs(10),
        |health| health["dependencies"][1]["status"] == "AVAILABLE",
    )
    .await;
    let vault_list = cli_ok(&["vault", "list"], &env);
    let first = vault_list
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let token = cli_ok(&["token", "issue", "--name", "r", "--vault", &first], &env);
    let items: serde_json::Value = get(&server.host, &format!("/v1/vaults/{first}/items"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(!items.as_array().unwrap().is_empty(), "{vault_list}");

    // A broken export is reported in /health with the reason; the last good data stays served.
    std::fs::write(&export, b"PK\x03\x04 not really a zip").unwrap();
    wait_for_health(
        &server.host,
        "the error in /health",
        Duration::from_secs(5),
        |health| {
            health["dependencies"][2]["status"] == "ERROR"
                && health["dependencies"][2]["message"]
                    .as_str()
                    .unwrap()
                    .contains("not a 1PUX archive")
        },
    )
    .await;
    let again: serde_json::Value = get(&server.host, &format!("/v1/vaults/{first}/items"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, items);
    drop(server);
    let logs: Vec<String> = log.try_iter().collect();
    assert!(
        logs.iter()
            .any(|l| l.contains("sync failed") && l.contains("not a 1PUX archive")),
        "{logs:?}"
    );
    let request_line = logs
        .iter()
        .find(|l| l.contains("request completed") && l.contains("/v1/vaults"))
        .expect("an access log line");
    let v: serde_json::Value = serde_json::from_str(request_line).unwrap();
    assert_eq!(v["request_id"].as_str().unwrap().len(), 36);
    assert_eq!(v["jti"].as_str().unwrap().len(), 26);
}

#[tokio::test]
async fn an_upstream_that_refuses_the_token_is_reported_and_log_level_is_honoured() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let up_dir = tempfile::tempdir().unwrap();
    let (upstream, _) = start_dev(up_dir.path(), &["--token", "right-token"]);
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("upstream.token");
    std::fs::write(&token_file, "wrong-token\n").unwrap();
    let creds = dir.path().join("creds.json").display().to_string();
    let data = dir.path().join("data").display().to_string();
    let env = [
        ("OP_SESSION", creds.as_str()),
        ("LATCHKEY_DATA_DIR", data.as_str()),
        ("OP_SYNC_TIMEOUT", "300ms"),
        ("OP_LOG_LEVEL", "warn"),
    ];
    cli_ok(
        &[
            "init",
            "--source",
            &format!("connect:{}", upstream.host),
            "--source-token-file",
            token_file.to_str().unwrap(),
        ],
        &env,
    );
    // Info lines (including "listening") are filtered out at this level: use a known port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1"])
        .env("OP_HTTP_PORT", &port)
        .envs(env)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = lines(child.stderr.take().unwrap());
    let replica = Server {
        child,
        host: format!("http://127.0.0.1:{port}"),
    };
    wait_for_health(
        &replica.host,
        "the 401 in /health",
        Duration::from_secs(5),
        |health| {
            health["dependencies"][1]["status"] == "NOT_SYNCED"
                && health["dependencies"][2]["status"] == "ERROR"
                && health["dependencies"][2]["message"]
                    .as_str()
                    .unwrap()
                    .contains("401")
        },
    )
    .await;
    // API requests wait for the first sync, then get Connect's 408; the heartbeat never waits.
    let token = "not-checked-before-the-sync-gate";
    let response = get(&replica.host, "/v1/vaults", token).await;
    assert_eq!(response.status(), 408);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], 408);
    let heartbeat = http_client()
        .get(format!("{}/heartbeat", replica.host))
        .send()
        .await
        .unwrap();
    assert_eq!(heartbeat.status(), 200);
    drop(replica);
    let logs: Vec<String> = log.try_iter().collect();
    assert!(
        logs.iter()
            .any(|l| l.contains("sync failed") && l.contains("401")),
        "{logs:?}"
    );
    assert!(
        !logs.iter().any(|l| l.contains("\"level\":\"INFO\"")),
        "OP_LOG_LEVEL=warn still logged info: {logs:?}"
    );
    assert!(
        !logs.iter().any(|l| l.contains("wrong-token")),
        "the upstream token reached the logs"
    );
}
