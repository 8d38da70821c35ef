//! Secret references (`op://vault/item[/section]/field`) resolved through the Connect REST API,
//! against latchkey or 1Password's own Connect server: the library behind `latchkey read`,
//! `latchkey inject` and `latchkey run`, usable by any Rust program.
//!
//! ```no_run
//! # async fn demo() -> Result<(), latchkey::secret_refs::Error> {
//! use latchkey::secret_refs::Resolver;
//! let resolver = Resolver::new("http://127.0.0.1:8080", "TOKEN")?;
//! let password = resolver.resolve("op://Prod/db/password").await?;
//! let both = resolver
//!     .resolve_all(["op://Prod/db/username", "op://Prod/db/password"])
//!     .await?;
//! # let _ = (password, both); Ok(()) }
//! ```
//!
//! One call of [`Resolver::resolve_all`] lists the vaults once, looks each distinct item up once
//! (by id, or by title with Connect's `filter=title eq "…"`), concurrently, and retries the 404s
//! Connect answers for a while after a write. Ambiguous names are errors naming the candidates'
//! ids; errors never contain a secret value.
//!
//! This module is a client: it sits beside `http` and imports only `model` and the leaves.

mod client;
pub mod inject;
pub mod mask;
pub mod reference;
mod resolver;
pub mod run;
mod select;
mod ssh;
pub mod vars;

pub use mask::{Masker, MASK};
pub use reference::{is_reference, Attribute, Reference, SshFormat};
pub use resolver::{Resolver, DEFAULT_CONCURRENCY};

/// The part of a reference a lookup failed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Vault,
    Item,
    Section,
    Field,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Vault => "vault",
            Part::Item => "item",
            Part::Section => "section",
            Part::Field => "field or file",
        })
    }
}

/// Why a reference could not be resolved. Messages name the reference and the part that failed,
/// never a value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{reference}: {reason}")]
    Syntax { reference: String, reason: String },
    #[error("{reference}: no {part} {name:?}{hint}")]
    NotFound {
        reference: String,
        part: Part,
        name: String,
        hint: String,
    },
    #[error("{reference}: {name:?} matches more than one {part} ({}); use an id instead", candidates.join(", "))]
    Ambiguous {
        reference: String,
        part: Part,
        name: String,
        candidates: Vec<String>,
    },
    #[error("{reference}: {reason}")]
    Attribute { reference: String, reason: String },
    #[error("Connect answered {status} to {what}: {message}")]
    Connect {
        what: String,
        status: u16,
        message: String,
    },
    #[error("cannot reach Connect at {host}: {reason}")]
    Transport { host: String, reason: String },
    #[error("{0}")]
    Config(String),
    /// Starting or waiting for `latchkey run`'s command failed.
    #[error("{0}")]
    Run(String),
}
