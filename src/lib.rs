//! latchkey: a self-hosted server that speaks the 1Password Connect REST API from an encrypted
//! SQLite store. `main.rs` only calls [`cli::main`].

#![forbid(unsafe_code)]

pub mod auth;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod filter;
pub mod http;
pub mod ids;
pub mod model;
pub mod server;
pub mod shutdown;
pub mod store;
pub mod sync;
pub mod text;
pub mod timefmt;
pub mod tls;
