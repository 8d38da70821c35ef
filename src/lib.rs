//! latchkey: a self-hosted server that speaks the 1Password Connect REST API from an encrypted
//! SQLite store. `main.rs` bounds glibc's malloc arenas (its one `unsafe` call) and calls
//! [`cli::main`].
//!
//! Layers, each importing only the ones below it: `cli` → `app` (composition root) → `http` →
//! `writes`, `activity`, `auth` → `sync` → `store` → `model`, `filter`, `crypto` and the leaves
//! (`config`, `ids`, `text`, `timefmt`). `secret_refs` is a Connect client beside `http`: it
//! imports `model` and the leaves only.

#![forbid(unsafe_code)]

pub mod activity;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod crypto;
pub mod demo;
pub mod file_version;
pub mod filter;
pub mod http;
pub mod ids;
pub mod model;
pub mod secret_refs;
pub mod shutdown;
pub mod store;
pub mod sync;
pub mod text;
pub mod timefmt;
pub mod tls;
pub mod writes;
