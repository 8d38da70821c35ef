//! Where things live, with Connect's names and defaults (design §2).

use std::path::PathBuf;

fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from)
}

/// `OP_SESSION`'s default: `$HOME/.op/1password-credentials.json`.
pub fn default_credentials_path() -> PathBuf {
    home().join(".op").join("1password-credentials.json")
}

/// `$XDG_DATA_HOME/.op/data`, else `$HOME/.op/data` (Connect's data volume layout).
pub fn default_data_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map_or_else(home, PathBuf::from)
        .join(".op")
        .join("data")
}

/// The passphrase for a sealed credentials file: `LATCHKEY_PASSPHRASE`, else the first line of
/// the file named by `--passphrase-file` / `LATCHKEY_PASSPHRASE_FILE`.
pub fn passphrase(file: Option<&std::path::Path>) -> anyhow::Result<Option<String>> {
    if let Some(file) = file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("cannot read passphrase file {}: {e}", file.display()))?;
        let line = text.lines().next().unwrap_or("").to_string();
        if line.is_empty() {
            anyhow::bail!("passphrase file {} is empty", file.display());
        }
        return Ok(Some(line));
    }
    Ok(std::env::var("LATCHKEY_PASSPHRASE")
        .ok()
        .filter(|p| !p.is_empty()))
}
