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

/// Parses a Go-style duration as Connect's `OP_SYNC_TIMEOUT` takes it: `10s`, `1m30s`, `500ms`,
/// `2h`, or a bare number of seconds.
pub fn parse_go_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    let invalid = || format!("invalid duration \"{text}\": expected e.g. 10s, 1m30s or 500ms");
    let mut total = std::time::Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let value: f64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ns" => value / 1e9,
            "us" | "µs" => value / 1e6,
            "ms" => value / 1e3,
            "s" => value,
            "m" => value * 60.0,
            "h" => value * 3600.0,
            _ => return Err(invalid()),
        };
        rest = &rest[unit_len..];
        total += std::time::Duration::try_from_secs_f64(seconds).map_err(|_| invalid())?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::parse_go_duration;
    use std::time::Duration;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_go_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_go_duration("500ms").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(
            parse_go_duration("1.5h").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(parse_go_duration("7").unwrap(), Duration::from_secs(7));
        for bad in ["", "s", "10x", "-1s", "1e400s"] {
            assert!(parse_go_duration(bad).is_err(), "{bad}");
        }
    }
}
