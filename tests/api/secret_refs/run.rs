//! `latchkey run`: resolved environment, masking, exit codes, env files, signal forwarding.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::commands::{latchkey, text};
use super::live;

const MASK: &str = "<concealed by latchkey>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masks_stdout_and_stderr_and_returns_the_exit_code() {
    let live = live().await;
    // The value is written in two parts with a pause between: a split across reads.
    let script = r#"echo "pw=$DB_PW user=$DB_USER plain=$PLAIN"; echo "err $DB_PW" >&2; printf 'pw-d'; sleep 0.3; printf 'b-123 tail\n'; exit 3"#;
    let out = latchkey(&live)
        .env("DB_PW", "op://Test Vault/db/password")
        .env("DB_USER", "\"op://Test Vault/db/username\"")
        .env("PLAIN", "not a reference")
        .args(["run", "--", "sh", "-c", script])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("pw={MASK} user={MASK} plain=not a reference\n{MASK} tail\n")
    );
    assert_eq!(text(&out.stderr), format!("err {MASK}\n"));

    let out = latchkey(&live)
        .env("DB_PW", "op://Test Vault/db/password")
        .args([
            "run",
            "--no-masking",
            "--",
            "sh",
            "-c",
            "echo $DB_PW; exit 0",
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "pw-db-123\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_files_and_failures() {
    let live = live().await;
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("a.env"), dir.path().join("b.env"));
    std::fs::write(
        &first,
        "# app\nexport A=\"op://Prod Env/db/password\"\nB=op://Test Vault/db/username\nC=one\n",
    )
    .unwrap();
    std::fs::write(&second, "C=two\n").unwrap();
    let out = latchkey(&live)
        .env("C", "from-environment")
        .args(["run", "--no-masking", "--env-file"])
        .arg(&first)
        .arg("--env-file")
        .arg(&second)
        .args(["--", "sh", "-c", "echo $A $B $C"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "prod-pw dbuser two\n");

    let out = latchkey(&live)
        .env("X", "op://Test Vault/db/nothing")
        .args(["run", "--", "sh", "-c", "echo ran"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "the command does not run");
    assert!(text(&out.stderr).contains("no field or file \"nothing\""));

    let out = latchkey(&live)
        .args(["run", "--", "/no/such/program"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot start"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_are_forwarded_to_the_command() {
    let live = live().await;
    for (signal, code) in [("TERM", 7), ("HUP", 8), ("INT", 9)] {
        let script = format!(
            "trap 'echo got-{signal} $DB_PW; exit {code}' {signal}; echo ready; while :; do sleep 0.05; done"
        );
        let mut child = latchkey(&live)
            .env("DB_PW", "op://Test Vault/db/password")
            .args(["run", "--", "sh", "-c", &script])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
        assert_eq!(ready.unwrap().unwrap().as_deref(), Some("ready"));
        let pid = child.id().unwrap().to_string();
        let sent = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status();
        assert!(sent.unwrap().success());
        let status = tokio::time::timeout(Duration::from_secs(20), child.wait()).await;
        assert_eq!(status.unwrap().unwrap().code(), Some(code), "SIG{signal}");
        let said = lines.next_line().await.unwrap();
        assert_eq!(said, Some(format!("got-{signal} {MASK}")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_pick_the_vault() {
    let live = live().await;
    let out = latchkey(&live)
        .env("APP_ENV", "Prod Env")
        .env("DB_PW", "op://${APP_ENV}/db/password")
        .args(["run", "--no-masking", "--", "sh", "-c", "echo $DB_PW"])
        .output()
        .await
        .unwrap();
    assert_eq!(text(&out.stdout), "prod-pw\n", "{}", text(&out.stderr));
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("t.tpl");
    std::fs::write(&template, "pw: {{ op://$APP_ENV/db/password }}\n").unwrap();
    let out = latchkey(&live)
        .env("APP_ENV", "Test Vault")
        .args(["inject", "-i", template.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_eq!(
        text(&out.stdout),
        "pw: pw-db-123\n",
        "{}",
        text(&out.stderr)
    );
    let out = latchkey(&live)
        .env_remove("APP_ENV")
        .args(["inject", "-i", template.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("APP_ENV is not set"),
        "{}",
        text(&out.stderr)
    );
}
