//! A live `latchkey dev` for the suite: started on a free port with a fresh data directory and a
//! fixed full-access token, stopped with SIGTERM when dropped. Vaults and scoped tokens are made
//! with the `latchkey vault create` / `latchkey token issue` commands against the same store.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Latchkey {
    binary: PathBuf,
    workdir: PathBuf,
    child: Option<Child>,
    /// `OP_CONNECT_HOST` as printed by `latchkey dev`, e.g. `http://127.0.0.1:41234`.
    pub host: String,
    /// The `--token` string: full access to every vault.
    pub token: String,
}

/// The environment for latchkey processes, without settings that would point it at another store,
/// port or token.
fn clean_command(binary: &Path) -> Command {
    let mut cmd = Command::new(binary);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("OP_") || key.starts_with("LATCHKEY_") || key == "XDG_DATA_HOME" {
            cmd.env_remove(key);
        }
    }
    cmd
}

impl Latchkey {
    pub fn start(binary: &Path, token: &str) -> Result<Latchkey, String> {
        let workdir = std::env::temp_dir().join(format!(
            "latchkey-rscompat-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        std::fs::create_dir_all(&workdir)
            .map_err(|e| format!("create {}: {e}", workdir.display()))?;
        let mut child = clean_command(binary)
            .args(["dev", "--port", "0", "--token", token, "--data-dir"])
            .arg(workdir.join("dev"))
            .current_dir(&workdir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut server = Latchkey {
            binary: binary.to_path_buf(),
            workdir,
            child: Some(child),
            host: String::new(),
            token: token.to_string(),
        };

        // Read the ready lines on a thread so that a server which prints nothing cannot hang us;
        // the thread drains stdout until the server exits, so a later write never hits a closed pipe.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let (mut host, mut printed_token) = (None, None);
        let mut seen = Vec::new();
        while host.is_none() || printed_token.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(v) = line.strip_prefix("export OP_CONNECT_HOST=") {
                        host = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("export OP_CONNECT_TOKEN=") {
                        printed_token = Some(v.trim().to_string());
                    }
                    seen.push(line);
                }
                Err(_) => {
                    return Err(format!(
                        "`latchkey dev` did not print OP_CONNECT_HOST/OP_CONNECT_TOKEN within {} s; stdout so far: {seen:?}",
                        STARTUP_TIMEOUT.as_secs()
                    ));
                }
            }
        }
        if printed_token.as_deref() != Some(token) {
            return Err(format!(
                "`latchkey dev --token {token}` printed token {printed_token:?}"
            ));
        }
        server.host = host.unwrap();
        Ok(server)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn store_args(&self) -> Vec<String> {
        let dev = self.workdir.join("dev");
        vec![
            "--credentials".into(),
            dev.join("credentials.json").display().to_string(),
            "--data-dir".into(),
            dev.join("data").display().to_string(),
        ]
    }

    fn cli(&self, args: &[String]) -> Result<String, String> {
        let out = clean_command(&self.binary)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("run latchkey {args:?}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "latchkey {args:?} exited {}: {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `latchkey vault create NAME`; returns the new vault's id.
    pub fn vault_create(&self, name: &str) -> Result<String, String> {
        let mut args = vec!["vault".to_string(), "create".to_string()];
        args.extend(self.store_args());
        args.push(name.to_string());
        let out = self.cli(&args)?;
        out.split(|c: char| !c.is_ascii_alphanumeric())
            .find(|w| {
                w.len() == 26
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
            .map(str::to_string)
            .ok_or_else(|| format!("`latchkey vault create` printed no vault id: {out:?}"))
    }

    /// `latchkey token issue --name NAME --vault SPEC…`; returns the JWT.
    pub fn token_issue(&self, name: &str, vaults: &[&str]) -> Result<String, String> {
        let mut args = vec!["token".to_string(), "issue".to_string()];
        args.extend(self.store_args());
        args.extend(["--name".to_string(), name.to_string()]);
        for spec in vaults {
            args.extend(["--vault".to_string(), spec.to_string()]);
        }
        let out = self.cli(&args)?;
        out.split_whitespace()
            .find(|w| w.split('.').count() == 3 && w.len() > 40)
            .map(str::to_string)
            .ok_or_else(|| format!("`latchkey token issue` printed no JWT: {out:?}"))
    }

    /// SIGTERM, then wait; SIGKILL if it does not exit in time. Returns the exit description.
    pub fn stop(&mut self) -> Option<String> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Some(status.to_string()),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    let _ = child.kill();
                    let status = child.wait().ok();
                    return Some(format!(
                        "killed after {} s without exiting on SIGTERM ({status:?})",
                        STOP_TIMEOUT.as_secs()
                    ));
                }
            }
        }
    }
}

impl Drop for Latchkey {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.workdir);
    }
}
