//! `latchkey run`: a child process whose environment has its secret references resolved, its
//! output masked, its exit code passed on and the signals sent to latchkey forwarded to it.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::process::Stdio;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::mask::Masker;
use super::reference::{is_reference, Reference};
use super::{Error, Resolver};

/// What to run and with which environment.
pub struct RunSpec {
    /// The environment before resolution (the process's, then the env files', later wins).
    pub env: BTreeMap<OsString, OsString>,
    /// The program and its arguments.
    pub command: Vec<OsString>,
    /// Replace resolved values in the child's stdout and stderr by [`super::MASK`].
    pub masking: bool,
}

/// Reads an env file: `KEY=value` lines, `export ` allowed before the key, `#` comments, values
/// in double quotes (with `\n`, `\"`, `\\` escapes) or single quotes (literal) or bare (trimmed,
/// a ` #` starts a comment).
pub fn parse_env_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut vars = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected KEY=value", number + 1));
        };
        let key = key.trim();
        let valid = !key.is_empty()
            && !key.starts_with(|c: char| c.is_ascii_digit())
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!(
                "line {}: {key:?} is not a variable name",
                number + 1
            ));
        }
        let value = env_value(value.trim()).map_err(|e| format!("line {}: {e}", number + 1))?;
        vars.push((key.to_string(), value));
    }
    Ok(vars)
}

fn env_value(raw: &str) -> Result<String, &'static str> {
    if let Some(rest) = raw.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Ok(value),
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some('t') => value.push('\t'),
                    Some(other) => value.push(other),
                    None => break,
                },
                c => value.push(c),
            }
        }
        return Err("a double-quoted value has no closing quote");
    }
    if let Some(rest) = raw.strip_prefix('\'') {
        return rest
            .split_once('\'')
            .map(|(value, _)| value.to_string())
            .ok_or("a single-quoted value has no closing quote");
    }
    Ok(raw
        .split(" #")
        .next()
        .unwrap_or_default()
        .trim()
        .to_string())
}

/// Resolves the references among `env`'s values in place (`$NAME` in them taken from `env`);
/// returns the resolved values.
pub async fn resolve_env(
    resolver: &Resolver,
    env: &mut BTreeMap<OsString, OsString>,
) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    let mut references = Vec::new();
    let lookup = |name: &str| {
        let value = env.get(std::ffi::OsStr::new(name))?;
        value.to_str().map(str::to_string)
    };
    for (name, value) in env.iter() {
        if let Some(value) = value.to_str().filter(|v| is_reference(v)) {
            // `op://$APP_ENV/…`: variables come from the same environment.
            let expanded = super::vars::expand(value, &lookup).map_err(|reason| Error::Syntax {
                reference: crate::text::quote(value, 200),
                reason,
            })?;
            names.push(name.clone());
            references.push(Reference::parse(&expanded)?);
        }
    }
    let values = resolver.resolve_parsed(&references).await?;
    let mut secrets = Vec::with_capacity(values.len());
    for ((name, reference), value) in names.into_iter().zip(&references).zip(values) {
        let value = String::from_utf8(value).map_err(|_| Error::Attribute {
            reference: reference.to_string(),
            reason: "an environment variable cannot hold this binary value".into(),
        })?;
        env.insert(name, OsString::from(&value));
        secrets.push(value);
    }
    Ok(secrets)
}

/// Resolves, runs the command to its end and returns its exit code (128 + N for a child killed
/// by signal N, as shells report it).
pub async fn run(resolver: &Resolver, mut spec: RunSpec) -> Result<i32, Error> {
    let secrets = resolve_env(resolver, &mut spec.env).await?;
    let Some((program, args)) = spec.command.split_first() else {
        return Err(Error::Run("no command to run".into()));
    };
    let output = |masking: bool| match masking {
        true => Stdio::piped(),
        false => Stdio::inherit(),
    };
    let signals = forward::Signals::new()?;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env_clear()
        .envs(&spec.env)
        .stdin(Stdio::inherit())
        .stdout(output(spec.masking))
        .stderr(output(spec.masking))
        .spawn()
        .map_err(|e| {
            Error::Run(format!(
                "cannot start {}: {e}",
                crate::text::quote(&program.to_string_lossy(), 80)
            ))
        })?;
    let pumps = [
        child.stdout.take().map(|out| {
            let masker = Masker::new(&secrets);
            tokio::spawn(pump(out, tokio::io::stdout(), masker))
        }),
        child.stderr.take().map(|err| {
            let masker = Masker::new(&secrets);
            tokio::spawn(pump(err, tokio::io::stderr(), masker))
        }),
    ];
    let status = signals.forward_until_exit(&mut child).await?;
    for pump in pumps.into_iter().flatten() {
        let _ = pump.await;
    }
    Ok(exit_code(status))
}

/// Copies `from` to `to` through `masker`, flushing after every read so output stays timely.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mut masker: Masker,
) -> std::io::Result<()> {
    let mut buffer = vec![0u8; 8192];
    loop {
        let read = from.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        to.write_all(&masker.push(&buffer[..read])).await?;
        to.flush().await?;
    }
    to.write_all(&masker.finish()).await?;
    to.flush().await
}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return 128 + signal;
        }
    }
    status.code().unwrap_or(1)
}

#[cfg(unix)]
mod forward {
    //! SIGINT, SIGTERM and SIGHUP sent to latchkey go to the child, which decides how to end
    //! (latchkey then exits with its code). nix's safe `kill(2)` does the sending: the crate
    //! forbids `unsafe`, and spawning `kill(1)` per signal would depend on PATH.

    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    use tokio::signal::unix::{signal, SignalKind};

    use super::Error;

    pub struct Signals {
        listeners: Vec<(tokio::signal::unix::Signal, Signal)>,
    }

    impl Signals {
        /// Listens before the child starts, so no signal falls between.
        pub fn new() -> Result<Signals, Error> {
            let mut listeners = Vec::new();
            for (kind, signal_number) in [
                (SignalKind::interrupt(), Signal::SIGINT),
                (SignalKind::terminate(), Signal::SIGTERM),
                (SignalKind::hangup(), Signal::SIGHUP),
            ] {
                let listener = signal(kind)
                    .map_err(|e| Error::Run(format!("cannot listen for signals: {e}")))?;
                listeners.push((listener, signal_number));
            }
            Ok(Signals { listeners })
        }

        pub async fn forward_until_exit(
            mut self,
            child: &mut tokio::process::Child,
        ) -> Result<std::process::ExitStatus, Error> {
            let pid = child.id().and_then(|id| i32::try_from(id).ok());
            loop {
                let [(int, _), (term, _), (hup, _)] = &mut self.listeners[..] else {
                    unreachable!("three listeners")
                };
                let received = tokio::select! {
                    status = child.wait() => {
                        return status.map_err(|e| Error::Run(format!("waiting for the command: {e}")));
                    }
                    _ = int.recv() => Signal::SIGINT,
                    _ = term.recv() => Signal::SIGTERM,
                    _ = hup.recv() => Signal::SIGHUP,
                };
                if let Some(pid) = pid {
                    let _ = kill(Pid::from_raw(pid), received);
                }
            }
        }
    }
}

#[cfg(not(unix))]
mod forward {
    use super::Error;

    pub struct Signals;

    impl Signals {
        pub fn new() -> Result<Signals, Error> {
            Ok(Signals)
        }

        pub async fn forward_until_exit(
            self,
            child: &mut tokio::process::Child,
        ) -> Result<std::process::ExitStatus, Error> {
            child
                .wait()
                .await
                .map_err(|e| Error::Run(format!("waiting for the command: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files() {
        let text = "# comment\n\nexport A=op://v/i/f\nB = \"op://app prod/db/password\"\nC='x # y'\nD=plain # note\nE=\"line\\nnext\"\n";
        let vars = parse_env_file(text).unwrap();
        let get = |k: &str| vars.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("A"), "op://v/i/f");
        assert_eq!(get("B"), "op://app prod/db/password");
        assert_eq!(get("C"), "x # y");
        assert_eq!(get("D"), "plain");
        assert_eq!(get("E"), "line\nnext");
        assert!(parse_env_file("NOEQUALS\n").unwrap_err().contains("line 1"));
        assert!(parse_env_file("1X=a\n")
            .unwrap_err()
            .contains("not a variable name"));
        assert!(parse_env_file("A=\"open\n")
            .unwrap_err()
            .contains("closing quote"));
    }
}
