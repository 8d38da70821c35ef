//! The sync source a credentials file names (docs/design.md §6), typed: `none`, `seed`, `1pux` or
//! `connect`. The credentials file keeps it as JSON (`{"kind": "seed", "path": …}`); this is the
//! one place that reads and writes that form.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use zeroize::Zeroizing;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    None,
    Seed,
    OnePux,
    Connect,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::None => "none",
            SourceKind::Seed => "seed",
            SourceKind::OnePux => "1pux",
            SourceKind::Connect => "connect",
        }
    }

    fn parse(kind: &str) -> Option<SourceKind> {
        [
            SourceKind::None,
            SourceKind::Seed,
            SourceKind::OnePux,
            SourceKind::Connect,
        ]
        .into_iter()
        .find(|k| k.as_str() == kind)
    }
}

#[derive(Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// The store is the source of truth: API writes persist.
    None,
    /// A YAML or JSON seed file, watched.
    Seed { path: PathBuf },
    /// A 1Password export, watched.
    OnePux { path: PathBuf },
    /// Another Connect-compatible server and the token latchkey uses with it.
    Connect {
        url: String,
        token: Zeroizing<String>,
    },
}

/// Never prints the upstream token.
impl std::fmt::Debug for SourceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceSpec::None => f.write_str("None"),
            SourceSpec::Seed { path } => f.debug_struct("Seed").field("path", path).finish(),
            SourceSpec::OnePux { path } => f.debug_struct("OnePux").field("path", path).finish(),
            SourceSpec::Connect { url, .. } => f
                .debug_struct("Connect")
                .field("url", url)
                .finish_non_exhaustive(),
        }
    }
}

impl SourceSpec {
    pub fn kind(&self) -> SourceKind {
        match self {
            SourceSpec::None => SourceKind::None,
            SourceSpec::Seed { .. } => SourceKind::Seed,
            SourceSpec::OnePux { .. } => SourceKind::OnePux,
            SourceSpec::Connect { .. } => SourceKind::Connect,
        }
    }

    /// Reads the `source` object of a credentials file.
    pub fn from_json(spec: &Value) -> anyhow::Result<SourceSpec> {
        let kind = spec.get("kind").and_then(Value::as_str).unwrap_or("none");
        let text = |name: &str| {
            spec.get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    anyhow::anyhow!("the {kind} source in the credentials file has no \"{name}\"")
                })
        };
        match SourceKind::parse(kind) {
            Some(SourceKind::None) => Ok(SourceSpec::None),
            Some(SourceKind::Seed) => Ok(SourceSpec::Seed {
                path: PathBuf::from(text("path")?),
            }),
            Some(SourceKind::OnePux) => Ok(SourceSpec::OnePux {
                path: PathBuf::from(text("path")?),
            }),
            Some(SourceKind::Connect) => Ok(SourceSpec::Connect {
                url: text("url")?.to_string(),
                token: Zeroizing::new(text("token")?.to_string()),
            }),
            None => anyhow::bail!("unknown source kind \"{kind}\" in the credentials file"),
        }
    }

    /// The `source` object written into a credentials file.
    pub fn to_json(&self) -> Value {
        let kind = self.kind().as_str();
        match self {
            SourceSpec::None => json!({"kind": kind}),
            SourceSpec::Seed { path } | SourceSpec::OnePux { path } => {
                json!({"kind": kind, "path": path.display().to_string()})
            }
            SourceSpec::Connect { url, token } => {
                json!({"kind": kind, "url": url, "token": token.as_str()})
            }
        }
    }

    /// Parses `latchkey init --source`: `none`, `seed:FILE`, `1pux:FILE` or `connect:URL` (the
    /// token comes separately: it must not sit in shell history).
    pub fn parse_cli(spec: &str, token: Option<String>) -> anyhow::Result<SourceSpec> {
        let (kind, location) = spec.split_once(':').unwrap_or((spec, ""));
        match SourceKind::parse(kind) {
            Some(SourceKind::None) if location.is_empty() => Ok(SourceSpec::None),
            Some(SourceKind::Seed) => Ok(SourceSpec::Seed {
                path: existing_file(kind, location)?,
            }),
            Some(SourceKind::OnePux) => Ok(SourceSpec::OnePux {
                path: existing_file(kind, location)?,
            }),
            Some(SourceKind::Connect) => {
                let token = token.filter(|t| !t.is_empty()).ok_or_else(|| {
                    anyhow::anyhow!("--source connect:URL needs the upstream's token: --source-token-file FILE or LATCHKEY_SOURCE_TOKEN")
                })?;
                Ok(SourceSpec::Connect {
                    url: location.to_string(),
                    token: Zeroizing::new(token),
                })
            }
            _ => anyhow::bail!(
                "unknown source \"{spec}\"; use none, seed:FILE, 1pux:FILE or connect:URL"
            ),
        }
    }
}

/// The absolute path of a source file that must exist (the sync process may run elsewhere).
fn existing_file(kind: &str, location: &str) -> anyhow::Result<PathBuf> {
    if location.is_empty() {
        anyhow::bail!("--source {kind}:FILE needs a file");
    }
    let path = std::path::absolute(Path::new(location))?;
    if !path.is_file() {
        anyhow::bail!("--source {kind}: {} is not a readable file", path.display());
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_form_reads_back() {
        let specs = [
            SourceSpec::None,
            SourceSpec::Seed {
                path: "/srv/seed.yaml".into(),
            },
            SourceSpec::OnePux {
                path: "/srv/export.1pux".into(),
            },
            SourceSpec::Connect {
                url: "http://upstream:8080".into(),
                token: Zeroizing::new("tok".into()),
            },
        ];
        for spec in specs {
            assert_eq!(SourceSpec::from_json(&spec.to_json()).unwrap(), spec);
        }
    }

    #[test]
    fn bad_sources_are_named() {
        let err = SourceSpec::from_json(&json!({"kind": "ftp"})).unwrap_err();
        assert!(
            err.to_string().contains("unknown source kind \"ftp\""),
            "{err}"
        );
        let err = SourceSpec::from_json(&json!({"kind": "seed"})).unwrap_err();
        assert!(err.to_string().contains("has no \"path\""), "{err}");
        let err = SourceSpec::parse_cli("connect:http://x", None).unwrap_err();
        assert!(
            err.to_string().contains("needs the upstream's token"),
            "{err}"
        );
    }

    #[test]
    fn debug_hides_the_upstream_token() {
        let spec = SourceSpec::Connect {
            url: "http://u".into(),
            token: Zeroizing::new("s3cret-token".into()),
        };
        assert!(!format!("{spec:?}").contains("s3cret"));
    }
}
