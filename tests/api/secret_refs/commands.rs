//! `latchkey read` and `latchkey inject`, the real binary against the live server.

use std::os::unix::fs::PermissionsExt;
use std::process::{Output, Stdio};

use tokio::io::AsyncWriteExt;

use super::{live, Live};

/// The binary, pointed at the live server.
pub(crate) fn latchkey(live: &Live) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(crate::process::BIN);
    command
        .env("OP_CONNECT_HOST", &live.host)
        .env("OP_CONNECT_TOKEN", &live.token)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A failure: exit 1 and one line on stderr saying why, without the secret.
#[track_caller]
fn assert_failed(output: &Output, fragment: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(fragment), "{stderr:?} lacks {fragment:?}");
    assert!(!stderr.contains("pw-db-123"), "{stderr}");
}

async fn inject(live: &Live, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = latchkey(live)
        .arg("inject")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).await.unwrap();
    drop(input);
    child.wait_with_output().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_prints_the_value() {
    let live = live().await;
    let out = latchkey(&live)
        .args(["read", "op://Test Vault/db/password"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "pw-db-123\n");
    let out = latchkey(&live)
        .args([
            "read",
            "-n",
            "op://test vault/db/Admin/email?attribute=label",
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(text(&out.stdout), "email");
    let out = latchkey(&live)
        .args(["read", "op://Test Vault/db/nope"])
        .output()
        .await
        .unwrap();
    assert_failed(&out, "no field or file \"nope\"");
    assert!(out.stdout.is_empty());
    let out = latchkey(&live)
        .args(["read", "op://Test Vault/db"])
        .output()
        .await
        .unwrap();
    assert_failed(&out, "expected op://vault/item/[section/]field");
    let out = latchkey(&live)
        .env_remove("OP_CONNECT_TOKEN")
        .args(["read", "op://Test Vault/db/password"])
        .output()
        .await
        .unwrap();
    assert_failed(&out, "OP_CONNECT_TOKEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_out_file_is_private_and_force_replaces() {
    let live = live().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.txt");
    let path_arg = path.to_str().unwrap();
    let read = |reference: &'static str, extra: &'static [&'static str]| {
        let mut command = latchkey(&live);
        command
            .args(["read", "--out-file", path_arg])
            .args(extra)
            .arg(reference);
        command
    };
    let out = read("op://Test Vault/db/password", &[])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&path).unwrap(), b"pw-db-123");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let out = read("op://Test Vault/db/username", &[])
        .output()
        .await
        .unwrap();
    assert_failed(&out, "exists; --force replaces it");
    assert_eq!(std::fs::read(&path).unwrap(), b"pw-db-123");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = read("op://Test Vault/db/username", &["--force"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&path).unwrap(), b"dbuser");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let out = read(
        "op://Test Vault/db/password",
        &["--force", "--file-mode", "0640"],
    )
    .output()
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let out = read(
        "op://Test Vault/db/password",
        &["--force", "--file-mode", "999"],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "clap refuses a bad mode");
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary file is left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inject_replaces_references_and_keeps_every_other_byte() {
    let live = live().await;
    let template = b"\xef\xbb\xbfdb:\r\n  user: {{ op://Test Vault/db/username }}\r\n  pass: op://Test Vault/db/password\n  url: postgres://{{op://Prod Env/db/password}}@h/{{ op://Test Vault/db/Admin/email?attribute=label }}\n  keep: op:/x {{ not a ref }} \xff\n";
    let out = inject(&live, &[], template).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A bare reference ends at the first byte outside its character set: here the space.
    let want = b"\xef\xbb\xbfdb:\r\n  user: dbuser\r\n  pass: op://Test Vault/db/password\n  url: postgres://prod-pw@h/email\n  keep: op:/x {{ not a ref }} \xff\n";
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.stdout, want, "{}", text(&out.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inject_files_and_all_or_nothing() {
    let live = live().await;
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("config.tpl"), dir.path().join("config.yml"));
    std::fs::write(
        &input,
        "a: {{ op://Test Vault/db/password }}\nb: op://Test-Vault/x/y\n",
    )
    .unwrap();
    let args = [
        "-i",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ];
    let out = inject(&live, &args, b"").await;
    assert_failed(&out, "no vault \"Test-Vault\"");
    assert!(
        !output.exists(),
        "nothing is written when a reference fails"
    );
    std::fs::write(
        &input,
        "a: {{ op://Test Vault/db/password }}\nb: op://Prod-Env/db/password\n",
    )
    .unwrap();
    let out = inject(&live, &args, b"").await;
    assert!(!output.exists(), "{}", text(&out.stderr));
    std::fs::write(&input, "a: {{ op://Test Vault/db/password }}\n").unwrap();
    let out = inject(&live, &args, b"").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "a: pw-db-123\n");
    let mode = std::fs::metadata(&output).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let out = inject(&live, &args, b"").await;
    assert_failed(&out, "exists; --force replaces it");
    let forced = [&args[..], &["--force"]].concat();
    let out = inject(&live, &forced, b"").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A template without references needs no server at all.
    let out = latchkey(&live)
        .env_remove("OP_CONNECT_HOST")
        .args(["inject", "-i", input.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_failed(&out, "OP_CONNECT_HOST");
    std::fs::write(&input, "plain text\n").unwrap();
    let out = latchkey(&live)
        .env_remove("OP_CONNECT_HOST")
        .args(["inject", "-i", input.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_eq!(text(&out.stdout), "plain text\n");
}
