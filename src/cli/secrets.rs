//! `latchkey read | inject | run`: the `op` commands of the same names, resolving `op://`
//! references through any Connect server (`OP_CONNECT_HOST`, `OP_CONNECT_TOKEN`).

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::Path;

use anyhow::{bail, Context as _};

use crate::config::args::{ConnectArgs, InjectArgs, ReadArgs, RunArgs};
use crate::secret_refs::{inject, run as runner, Resolver};

fn resolver(connect: &ConnectArgs) -> anyhow::Result<Resolver> {
    let host = connect.host.as_deref().filter(|h| !h.trim().is_empty());
    let token = connect.token.as_deref().filter(|t| !t.trim().is_empty());
    let (Some(host), Some(token)) = (host, token) else {
        bail!("set OP_CONNECT_HOST and OP_CONNECT_TOKEN to the Connect server and its token");
    };
    Ok(Resolver::new(host, token)?.with_concurrency(connect.connect_concurrency))
}

pub async fn read(args: ReadArgs) -> anyhow::Result<()> {
    let resolver = resolver(&args.connect)?;
    let mut value = resolver.resolve_bytes(&args.reference).await?;
    match &args.output.out_file {
        Some(path) => write_private(path, &value, args.output.force, args.output.file_mode),
        None => {
            if !args.no_newline {
                value.push(b'\n');
            }
            write_stdout(&value)
        }
    }
}

pub async fn inject(args: InjectArgs) -> anyhow::Result<()> {
    let template = match &args.in_file {
        Some(path) => std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        None => {
            let mut template = Vec::new();
            std::io::stdin()
                .read_to_end(&mut template)
                .context("reading the template from stdin")?;
            template
        }
    };
    if let Some(path) = &args.output.out_file {
        refuse_existing(path, args.output.force)?;
    }
    let placeholders = inject::scan_with(&template, &|name| std::env::var(name).ok())?;
    let references: Vec<_> = placeholders.iter().map(|p| p.reference.clone()).collect();
    let values = match references.is_empty() {
        true => Vec::new(),
        false => resolver(&args.connect)?.resolve_parsed(&references).await?,
    };
    let output = inject::render(&template, &placeholders, &values);
    match &args.output.out_file {
        Some(path) => write_private(path, &output, args.output.force, args.output.file_mode),
        None => write_stdout(&output),
    }
}

/// Runs the command; its exit code becomes latchkey's.
pub async fn run(args: RunArgs) -> anyhow::Result<std::process::ExitCode> {
    let mut env: BTreeMap<_, _> = std::env::vars_os().collect();
    for path in &args.env_files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the env file {}", path.display()))?;
        let vars = runner::parse_env_file(&text)
            .map_err(|e| anyhow::anyhow!("env file {}: {e}", path.display()))?;
        env.extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
    }
    let resolver = resolver(&args.connect)?;
    let spec = runner::RunSpec {
        env,
        command: args.command,
        masking: !args.no_masking,
    };
    let code = runner::run(&resolver, spec).await?;
    Ok(std::process::ExitCode::from(
        u8::try_from(code).unwrap_or(1),
    ))
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

fn refuse_existing(path: &Path, force: bool) -> anyhow::Result<()> {
    if !force && path.symlink_metadata().is_ok() {
        bail!("{} exists; --force replaces it", path.display());
    }
    Ok(())
}

/// Writes `bytes` to `path` with permissions `mode` (0600 unless asked otherwise): into a new
/// file beside it, then renamed over it, so a reader never sees half a secret and a symlink at
/// `path` is replaced, not followed.
fn write_private(path: &Path, bytes: &[u8], force: bool, mode: u32) -> anyhow::Result<()> {
    refuse_existing(path, force)?;
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let temporary = path.with_file_name(format!(
        ".{}.latchkey-{}",
        name.to_string_lossy(),
        crate::ids::new_id()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        // Set explicitly: the umask narrows the mode given at creation.
        #[cfg(unix)]
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))?;
        #[cfg(not(unix))]
        let _ = mode;
        file.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temporary, path));
    if let Err(err) = renamed {
        let _ = std::fs::remove_file(&temporary);
        return Err(err).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}
