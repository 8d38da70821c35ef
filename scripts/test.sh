#!/usr/bin/env bash
# Runs every test latchkey has: unit tests, handler tests on the router, and process tests that
# start the real binary. Needs only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --bins
cargo test --locked --all-targets
