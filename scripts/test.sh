#!/usr/bin/env bash
# Runs every test latchkey has: unit tests, handler tests on the router, process and deployment
# tests that start the real binary, replayed tool sequences, then the official Python and
# JavaScript SDKs against a live latchkey. Needs Rust, Python 3.11 + pip and Node 20 + npm.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --bins
cargo test --locked --all-targets

export LATCHKEY_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/latchkey"

# The official Python SDK (onepasswordconnectsdk, pinned) in a project-local virtualenv.
bash compat/run-python.sh

# The official JavaScript SDK (@1password/connect, pinned) against a live latchkey.
bash compat/run-js.sh
