//! `latchkey init`: writes a new credentials file (identities, root key, signing key, source).

use crate::config::args::InitArgs;
use crate::config::{self, SourceSpec};
use crate::credentials::Credentials;

pub fn run(args: InitArgs) -> anyhow::Result<()> {
    let path = args
        .credentials
        .unwrap_or_else(config::default_credentials_path);
    let passphrase = match &args.passphrase_file {
        Some(file) => config::passphrase(Some(file))?,
        None => None,
    };
    let source = SourceSpec::parse_cli(
        &args.source,
        config::source_token(args.source_token_file.as_deref())?,
    )?;
    if let SourceSpec::Connect { url, token } = &source {
        // Refuses a malformed URL now rather than in the sync worker later.
        crate::sync::sources::connect::ConnectSource::new(
            url,
            token,
            crate::config::UpstreamLimits::default(),
        )?;
    }
    let credentials = Credentials::generate(source.to_json());
    credentials
        .write_new(&path, passphrase.as_deref(), args.force)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "wrote {} (mode 0600{})",
        path.display(),
        if passphrase.is_some() {
            ", sealed with a passphrase"
        } else {
            ""
        }
    );
    Ok(())
}
