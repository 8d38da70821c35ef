#!/usr/bin/env bash
# Runs every test latchkey has: unit tests, handler tests on the router, and process tests that
# start the real binary. Needs only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --bins
cargo test --locked --all-targets

# The official Python SDK (onepasswordconnectsdk, pinned) in a project-local virtualenv.
LATCHKEY_BIN="$PWD/target/debug/latchkey" bash compat/run-python.sh

# The official JavaScript SDK (@1password/connect, pinned) against a live latchkey.
LATCHKEY_BIN="$PWD/target/debug/latchkey" bash compat/run-js.sh
