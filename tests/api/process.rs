//! Process tests: the real `latchkey` binary, started the way users start it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_latchkey");

/// A running latchkey process; killed on drop.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) host: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Sends SIGTERM and waits for a clean exit.
    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

pub(crate) fn lines(reader: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Keep draining after the receiver is gone, so the child never writes to a closed pipe.
        for line in BufReader::new(reader).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

pub(crate) fn wait_for(
    rx: &mpsc::Receiver<String>,
    what: &str,
    mut pick: impl FnMut(&str) -> Option<String>,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                if let Some(found) = pick(&line) {
                    return found;
                }
                seen.push(line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    panic!("never saw {what}; output was:\n{}", seen.join("\n"));
}

/// `latchkey dev` on a free port: returns the server and its token.
pub(crate) fn start_dev(data_dir: &Path, extra: &[&str]) -> (Server, String) {
    let mut child = Command::new(BIN)
        .args(["dev", "--port", "0", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn latchkey dev");
    let out = lines(child.stdout.take().unwrap());
    let host = wait_for(&out, "OP_CONNECT_HOST", |l| {
        l.strip_prefix("export OP_CONNECT_HOST=")
            .map(str::to_string)
    });
    let token = wait_for(&out, "OP_CONNECT_TOKEN", |l| {
        l.strip_prefix("export OP_CONNECT_TOKEN=")
            .map(str::to_string)
    });
    (Server { child, host }, token)
}

/// `latchkey serve` with the given environment, on a free port found from its log.
pub(crate) fn start_serve(envs: &[(&str, &str)]) -> Server {
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1"])
        .env("OP_HTTP_PORT", "0")
        .envs(envs.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn latchkey serve");
    let err = lines(child.stderr.take().unwrap());
    let address = wait_for(&err, "the listening address", |l| {
        let v: serde_json::Value = serde_json::from_str(l).ok()?;
        (v["message"] == "latchkey api listening")
            .then(|| v["address"].as_str().unwrap().to_string())
    });
    Server {
        child,
        host: format!("http://{address}"),
    }
}

pub(crate) fn cli(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("run latchkey")
}

#[track_caller]
pub(crate) fn cli_ok(args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = cli(args, envs);
    assert!(
        out.status.success(),
        "latchkey {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

pub(crate) async fn get(host: &str, path: &str, token: &str) -> reqwest::Response {
    crate::helpers::http_client()
        .get(format!("{host}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn dev_serves_the_demo_vault_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (server, token) = start_dev(dir.path(), &[]);
    let vaults: serde_json::Value = get(&server.host, "/v1/vaults", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(vaults[0]["name"], "Demo");
    let vault = vaults[0]["id"].as_str().unwrap().to_string();
    let items: serde_json::Value = get(&server.host, &format!("/v1/vaults/{vault}/items"), &token)
        .await
        .json()
        .await
        .unwrap();
    let categories: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["category"].as_str().unwrap())
        .collect();
    for c in [
        "LOGIN",
        "DATABASE",
        "API_CREDENTIAL",
        "PASSWORD",
        "DOCUMENT",
    ] {
        assert!(categories.contains(&c), "{categories:?}");
    }
    let heartbeat = crate::helpers::http_client()
        .get(format!("{}/heartbeat", server.host))
        .send()
        .await
        .unwrap();
    assert_eq!(heartbeat.text().await.unwrap(), ".");
    let status = server.terminate();
    assert!(status.success(), "{status:?}");

    // The store persists in --data-dir: a second start reuses it (same vault, no second demo).
    let (server, token) = start_dev(dir.path(), &["--token", "fixed-dev-token"]);
    let again: serde_json::Value = get(&server.host, "/v1/vaults", "fixed-dev-token")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again.as_array().unwrap().len(), 1);
    assert_eq!(again[0]["id"], vault.as_str());
    assert_eq!(token, "fixed-dev-token");
    assert_eq!(get(&server.host, "/v1/vaults", "wrong").await.status(), 401);
}

#[tokio::test]
async fn init_vault_token_serve_and_revoke_through_the_cli() {
    let home = tempfile::tempdir().unwrap();
    let creds = home.path().join(".op/1password-credentials.json");
    let data = home.path().join("data");
    let creds_s = creds.display().to_string();
    let data_s = data.display().to_string();
    let env = [
        ("HOME", home.path().to_str().unwrap()),
        ("OP_SESSION", creds_s.as_str()),
        ("LATCHKEY_DATA_DIR", data_s.as_str()),
    ];

    cli_ok(&["init"], &env);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let again = cli(&["init"], &env);
    assert!(!again.status.success(), "init must not overwrite");

    let infra = cli_ok(&["vault", "create", "Infra"], &env);
    let services = cli_ok(
        &["vault", "create", "Services", "--description", "svc"],
        &env,
    );
    let reader = cli_ok(
        &["token", "issue", "--name", "reader", "--vault", "Infra:r"],
        &env,
    );
    let writer = cli_ok(
        &[
            "token",
            "issue",
            "--name",
            "ci",
            "--vault",
            &format!("{services}:rw"),
            "--vault",
            "infra:r",
            "--expires-in",
            "1h",
        ],
        &env,
    );

    let server = start_serve(&env);
    let listed: serde_json::Value = get(&server.host, "/v1/vaults", &reader)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], infra.as_str());
    assert_eq!(
        get(&server.host, &format!("/v1/vaults/{services}"), &reader)
            .await
            .status(),
        403
    );
    let both: serde_json::Value = get(&server.host, "/v1/vaults", &writer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(both.as_array().unwrap().len(), 2);
    let created = crate::helpers::http_client()
        .post(format!("{}/v1/vaults/{services}/items", server.host))
        .bearer_auth(&writer)
        .json(&serde_json::json!({"title": "db", "category": "PASSWORD", "fields": [{"purpose": "PASSWORD", "generate": true}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);

    // Revocation from another process reaches the running server within a second.
    assert_eq!(get(&server.host, "/v1/vaults", &reader).await.status(), 200);
    let revoked = cli_ok(&["token", "revoke", "reader"], &env);
    assert!(revoked.starts_with("revoked "), "{revoked}");
    let started = Instant::now();
    loop {
        if get(&server.host, "/v1/vaults", &reader).await.status() == 401 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "revoked token still accepted after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(get(&server.host, "/v1/vaults", &writer).await.status(), 200);
    let list = cli_ok(&["token", "list"], &env);
    assert!(
        list.lines()
            .any(|l| l.contains("reader") && l.contains("revoked")),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|l| l.contains("ci") && l.contains("active")),
        "{list}"
    );
    assert!(server.terminate().success());

    // OP_SESSION may carry the file's base64 instead of a path.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&creds).unwrap());
    let env_b64 = [
        ("HOME", home.path().to_str().unwrap()),
        ("OP_SESSION", b64.as_str()),
        ("LATCHKEY_DATA_DIR", data_s.as_str()),
    ];
    let server = start_serve(&env_b64);
    assert_eq!(get(&server.host, "/v1/vaults", &writer).await.status(), 200);
}

#[test]
fn passphrase_sealed_credentials() {
    let home = tempfile::tempdir().unwrap();
    let creds = home.path().join("creds.json");
    let pass = home.path().join("pass.txt");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let creds_s = creds.display().to_string();
    let data_s = home.path().join("data").display().to_string();
    let env = [
        ("OP_SESSION", creds_s.as_str()),
        ("LATCHKEY_DATA_DIR", data_s.as_str()),
    ];
    cli_ok(&["init", "--passphrase-file", pass.to_str().unwrap()], &env);
    let text = std::fs::read_to_string(&creds).unwrap();
    assert!(text.contains("argon2id"), "{text}");

    let missing = cli(&["vault", "list"], &env);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("LATCHKEY_PASSPHRASE"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
    let wrong = cli(
        &["vault", "list"],
        &[env[0], env[1], ("LATCHKEY_PASSPHRASE", "nope")],
    );
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong passphrase"));
    cli_ok(
        &["vault", "create", "Sealed"],
        &[
            env[0],
            env[1],
            ("LATCHKEY_PASSPHRASE_FILE", pass.to_str().unwrap()),
        ],
    );
    let list = cli_ok(
        &["vault", "list"],
        &[
            env[0],
            env[1],
            ("LATCHKEY_PASSPHRASE", "correct horse battery staple"),
        ],
    );
    assert!(list.contains("Sealed"), "{list}");
}

/// The allocator's trim interval is read before anything else runs: a value that is not a
/// number of milliseconds stops the process with a message naming the variable.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn a_malformed_malloc_trim_interval_is_refused() {
    let out = cli(&["--help"], &[("LATCHKEY_MALLOC_TRIM_MS", "soon")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("LATCHKEY_MALLOC_TRIM_MS"), "{stderr}");
    for accepted in ["0", "500"] {
        let out = cli(&["--help"], &[("LATCHKEY_MALLOC_TRIM_MS", accepted)]);
        assert!(out.status.success(), "{accepted}: {out:?}");
    }
}

#[test]
fn a_real_1password_credentials_file_is_refused_with_an_explanation() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("1password-credentials.json");
    std::fs::write(
        &file,
        r#"{"verifier":{"salt":"c2FsdHNhbHRzYWx0c2FsdA","localHash":"aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"},
            "encCredentials":{"kid":"localauthv2keykid","enc":"A256GCM","cty":"b5+jwk+json","iv":"aXZpdml2aXZpdml2","data":"ZGF0YQ"},
            "version":"2","deviceUuid":"abcdefghijklmnopqrstuvwxyz",
            "uniqueKey":{"alg":"A256GCM","ext":true,"k":"a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U","key_ops":["encrypt","decrypt"],"kty":"oct","kid":"abcdefghijklmnopqrstuvwxyz"}}"#,
    )
    .unwrap();
    let data = dir.path().join("data").display().to_string();
    let out = cli(
        &["serve"],
        &[
            ("OP_SESSION", file.to_str().unwrap()),
            ("LATCHKEY_DATA_DIR", data.as_str()),
            ("OP_HTTP_PORT", "0"),
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1Password Connect credentials file"),
        "{stderr}"
    );
    assert!(stderr.contains("latchkey init"), "{stderr}");
}

#[test]
fn a_store_opened_with_other_credentials_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let a = dir.path().join("a.json").display().to_string();
    let b = dir.path().join("b.json").display().to_string();
    cli_ok(&["init"], &[("OP_SESSION", a.as_str())]);
    cli_ok(&["init"], &[("OP_SESSION", b.as_str())]);
    cli_ok(
        &["vault", "create", "V"],
        &[
            ("OP_SESSION", a.as_str()),
            ("LATCHKEY_DATA_DIR", data.as_str()),
        ],
    );
    let out = cli(
        &["vault", "list"],
        &[
            ("OP_SESSION", b.as_str()),
            ("LATCHKEY_DATA_DIR", data.as_str()),
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("different credentials file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(cli_ok(
        &["vault", "list"],
        &[
            ("OP_SESSION", a.as_str()),
            ("LATCHKEY_DATA_DIR", data.as_str())
        ]
    )
    .contains(" V"));
}

#[tokio::test]
async fn a_closed_log_pipe_does_not_break_requests() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("c.json").display().to_string();
    let data = dir.path().join("d").display().to_string();
    let env = [
        ("OP_SESSION", creds.as_str()),
        ("LATCHKEY_DATA_DIR", data.as_str()),
    ];
    cli_ok(&["init"], &env);
    cli_ok(&["vault", "create", "V"], &env);
    let token = cli_ok(&["token", "issue", "--name", "t", "--vault", "V"], &env);
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1"])
        .env("OP_HTTP_PORT", "0")
        .envs(env)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    let mut address = String::new();
    let mut line = String::new();
    while address.is_empty() && reader.read_line(&mut line).unwrap() > 0 {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
            if v["message"] == "latchkey api listening" {
                address = v["address"].as_str().unwrap().to_string();
            }
        }
        line.clear();
    }
    drop(reader);
    let server = Server {
        child,
        host: format!("http://{address}"),
    };
    for _ in 0..3 {
        assert_eq!(get(&server.host, "/v1/vaults", &token).await.status(), 200);
    }
}

/// `latchkey serve` with HTTP and HTTPS on free ports and a fresh self-signed certificate for
/// `localhost` (written into `dir`); the server and its HTTPS address.
pub fn serve_https(dir: &Path, env: &[(&str, &str)]) -> (Server, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_file = dir.join("cert.pem");
    let key_file = dir.join("key.pem");
    std::fs::write(&cert_file, cert.cert.pem()).unwrap();
    std::fs::write(&key_file, cert.signing_key.serialize_pem()).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1"])
        .env("OP_HTTP_PORT", "0")
        .env("OP_HTTPS_PORT", "0")
        .env("OP_TLS_CERT_FILE", &cert_file)
        .env("OP_TLS_KEY_FILE", &key_file)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = lines(child.stderr.take().unwrap());
    let https_address = wait_for(&err, "the HTTPS address", |l| {
        let v: serde_json::Value = serde_json::from_str(l).ok()?;
        (v["message"] == "latchkey api listening for HTTPS")
            .then(|| v["address"].as_str().unwrap().to_string())
    });
    let server = Server {
        child,
        host: String::new(),
    };
    (server, https_address)
}

#[tokio::test]
async fn https_with_a_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("c.json").display().to_string();
    let data = dir.path().join("d").display().to_string();
    let env = [
        ("OP_SESSION", creds.as_str()),
        ("LATCHKEY_DATA_DIR", data.as_str()),
    ];
    cli_ok(&["init"], &env);
    cli_ok(&["vault", "create", "TLS"], &env);
    let token = cli_ok(&["token", "issue", "--name", "t", "--vault", "TLS"], &env);

    let (_server, https_address) = serve_https(dir.path(), &env);
    let port = https_address.rsplit(':').next().unwrap();

    latchkey::tls::install_crypto_provider();
    let trusting = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(dir.path().join("cert.pem")).unwrap())
                .unwrap(),
        )
        .resolve("localhost", https_address.parse().unwrap())
        .build()
        .unwrap();
    let response = trusting
        .get(format!("https://localhost:{port}/v1/vaults"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["1password-connect-version"],
        latchkey::http::CONNECT_VERSION
    );
    let vaults: serde_json::Value = response.json().await.unwrap();
    assert_eq!(vaults[0]["name"], "TLS");

    // A client that does not trust the certificate fails the handshake; the server stays up.
    let untrusting = reqwest::Client::builder()
        .resolve("localhost", https_address.parse().unwrap())
        .build()
        .unwrap();
    assert!(untrusting
        .get(format!("https://localhost:{port}/heartbeat"))
        .send()
        .await
        .is_err());
    let again = trusting
        .get(format!("https://localhost:{port}/heartbeat"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.text().await.unwrap(), ".");
}
