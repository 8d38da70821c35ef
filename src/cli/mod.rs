//! The command line: `latchkey init | serve | api | dev | token | vault | healthcheck`, and the
//! Connect clients `read | inject | run` (secret references).

mod admin;
mod dev;
mod healthcheck;
mod init;
mod log_json;
mod log_writer;
mod progress;
mod revoke;
mod secrets;
mod serve;

use clap::{Parser, Subcommand};

pub use admin::{TokenCommand, VaultCommand};

use crate::config::args::{
    DevArgs, HealthcheckArgs, InitArgs, InjectArgs, ReadArgs, RunArgs, ServeArgs,
};
use crate::config::{Config, Role};

#[derive(Parser, Debug)]
#[command(
    name = "latchkey",
    version,
    about = "A self-hosted server that speaks the 1Password Connect API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a new credentials file (identities, root key, token signing key, source).
    Init(InitArgs),
    /// Serve the API and run the sync worker in one process.
    Serve(ServeArgs),
    /// Serve the API only (Connect's `connect-api` container).
    Api(ServeArgs),
    /// Run the sync worker, with /health and /heartbeat on its own port (Connect's `connect-sync`).
    Sync(ServeArgs),
    /// One command for development: a demo store, a known token, ready at once.
    Dev(DevArgs),
    /// Issue, list and revoke access tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Create and list vaults.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// Probe a running server's /heartbeat (for container HEALTHCHECK); exit 0 when healthy.
    Healthcheck(HealthcheckArgs),
    /// Print the secret an `op://vault/item/[section/]field` reference points at.
    Read(ReadArgs),
    /// Copy a template, replacing its `{{ op://… }}` and bare `op://…` references by secrets.
    Inject(InjectArgs),
    /// Run a command with the `op://…` references in its environment replaced by secrets.
    Run(RunArgs),
}

/// Entry point of the binary.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    crate::tls::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("latchkey: cannot start the runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli));
    log_writer::flush();
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("latchkey: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs one command; `latchkey run` passes its child's exit code on.
pub async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let done = match cli.command {
        Command::Run(args) => return secrets::run(args).await,
        Command::Init(args) => init::run(args),
        Command::Serve(args) => serve::run(Config::from_serve_args(&args, Role::Both)?).await,
        Command::Api(args) => serve::run(Config::from_serve_args(&args, Role::Api)?).await,
        Command::Sync(args) => serve::run(Config::from_serve_args(&args, Role::Sync)?).await,
        Command::Dev(args) => dev::run(args).await,
        Command::Token(cmd) => admin::token(cmd).await,
        Command::Vault(cmd) => admin::vault(cmd).await,
        Command::Healthcheck(args) => healthcheck::run(args).await,
        Command::Read(args) => secrets::read(args).await,
        Command::Inject(args) => secrets::inject(args).await,
    };
    done.map(|()| std::process::ExitCode::SUCCESS)
}

/// JSON lines for the containers, compact text for `dev`; `level` is `OP_LOG_LEVEL`.
fn init_logging(json: bool, level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(format!("latchkey={level}"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("latchkey=info"));
    // A closed or full log sink must not take requests down: tracing's own report of a failed
    // write would go to stderr through eprintln!, which panics when stderr is gone.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(log_writer::Stderr)
        .log_internal_errors(false);
    let _ = if json {
        builder.event_format(log_json::JsonLine).try_init()
    } else {
        builder.compact().try_init()
    };
}
