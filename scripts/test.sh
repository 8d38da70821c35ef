#!/usr/bin/env bash
# Runs every test latchkey has: unit tests, handler tests on the router, process and deployment
# tests that start the real binary, replayed tool sequences, then the official Python and
# JavaScript SDKs and the unofficial Rust crate against a live latchkey, and last checks that the
# README compatibility table matches the results. Needs Rust, Python 3.11 + pip and Node 20 + npm.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --bins
cargo test --locked --all-targets

export LATCHKEY_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/latchkey"

# Every suite below writes its results to compat/results/ for the README compatibility table;
# start from none, so that a suite that did not run cannot pass off old results.
rm -rf compat/results
mkdir -p compat/results

# The replayed tool sequences again (already built), with their outcomes kept for the table.
cargo test --locked --test api replay:: 2>&1 | tee compat/results/replay.txt
python3 scripts/compat_table.py record replay compat/results/replay.txt

# The official Python SDK (onepasswordconnectsdk, pinned) in a project-local virtualenv.
bash compat/run-python.sh

# The official JavaScript SDK (@1password/connect, pinned) against a live latchkey.
bash compat/run-js.sh

# The unofficial Rust crate (connect-1password, pinned) against a live latchkey.
bash compat/run-rust.sh

# The README compatibility table must be the one these results produce.
python3 scripts/compat_table.py --check
