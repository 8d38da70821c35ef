#!/usr/bin/env bash
# Rust-crate compatibility suite: the unofficial connect-1password 2.0.1 crate (pinned in
# compat/rust/Cargo.toml and Cargo.lock) against a live `latchkey dev`.
#
#   LATCHKEY_BIN=path/to/latchkey bash compat/run-rust.sh
#
# LATCHKEY_BIN defaults to target/debug/latchkey in the repository root. Builds compat/rust (its
# own Cargo project, not part of the latchkey package) into target/compat-rust of the repository,
# runs its unit tests, then the suite binary, which starts and stops its own server. Prints
# `rust-compat: N passed, M failed` last (a known client defect counts as passed and is reported as
# `defect` in compat/results/rust.json) and exits non-zero when a check failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

LATCHKEY_BIN="${LATCHKEY_BIN:-target/debug/latchkey}"
case "$LATCHKEY_BIN" in
  /*) ;;
  *) LATCHKEY_BIN="$ROOT/$LATCHKEY_BIN" ;;
esac
if [ ! -x "$LATCHKEY_BIN" ]; then
  echo "run-rust.sh: no latchkey binary at $LATCHKEY_BIN (run 'cargo build' or set LATCHKEY_BIN)" >&2
  exit 2
fi
export LATCHKEY_BIN

# Cached under the main target dir, but apart from latchkey's own artifacts.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/compat-rust"
MANIFEST=compat/rust/Cargo.toml
cargo build --locked --quiet --manifest-path "$MANIFEST"
cargo test --locked --quiet --manifest-path "$MANIFEST"

RESULTS="$ROOT/compat/results"
mkdir -p "$RESULTS"
work="$(mktemp -d "${TMPDIR:-/tmp}/latchkey-rust-run.XXXXXX")"
export RUST_COMPAT_RAW="$RESULTS/rust.raw.jsonl"
export RUST_COMPAT_PIDFILE="$work/server.pid"
rm -f "$RUST_COMPAT_RAW"

cleanup() {
  # Last resort: the suite stops its server itself; stop it here only if the suite died first.
  local pid
  if [ -f "$RUST_COMPAT_PIDFILE" ]; then
    pid="$(cat "$RUST_COMPAT_PIDFILE")"
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$LATCHKEY_BIN"; then
      echo "run-rust.sh: stopping leftover latchkey (pid $pid)" >&2
      kill -TERM "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The crate prints dbg! output for every request on stderr: keep it in a log, show it on failure.
set +e
timeout --kill-after=10 300 "$CARGO_TARGET_DIR/debug/latchkey-compat-rust" 2>"$work/stderr.log"
status=$?
set -e
if [ "$status" -ne 0 ]; then
  echo "run-rust.sh: the suite exited $status; last lines of its stderr (crate dbg! output, latchkey logs):" >&2
  tail -n 40 "$work/stderr.log" >&2
fi

if [ -f "$RUST_COMPAT_RAW" ]; then
  python3 "$ROOT/scripts/compat_table.py" record rust "$RUST_COMPAT_RAW"
else
  echo "run-rust.sh: the suite wrote no results ($RUST_COMPAT_RAW)" >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
