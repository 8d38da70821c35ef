#!/usr/bin/env bash
# JS-SDK compatibility suite: the official @1password/connect 1.4.2 client
# against a latchkey binary, with Node's built-in test runner.
#
#   LATCHKEY_BIN=path/to/latchkey bash compat/run-js.sh
#
# LATCHKEY_BIN defaults to target/debug/latchkey in the repository root (a
# relative LATCHKEY_BIN is taken from the current directory if it exists
# there, else from the repository root). Needs Node >= 20 and npm; installs
# the pinned dependencies from compat/js/package-lock.json. Each test file
# starts its own `latchkey dev` on a free port with a fresh temporary data
# directory and stops it when done. Exits non-zero when any test fails or when
# some SDK client method was not exercised.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JS_DIR="$ROOT/compat/js"

bin="${LATCHKEY_BIN:-target/debug/latchkey}"
case "$bin" in
  /*) ;;
  *)
    if [ -n "${LATCHKEY_BIN:-}" ] && [ -e "$PWD/$bin" ]; then
      bin="$PWD/$bin"
    else
      bin="$ROOT/$bin"
    fi
    ;;
esac
if [ ! -x "$bin" ]; then
  echo "run-js: latchkey binary not found or not executable at $bin" >&2
  echo "run-js: build it first (cargo build) or set LATCHKEY_BIN" >&2
  exit 2
fi
export LATCHKEY_BIN="$bin"

command -v node >/dev/null || { echo "run-js: node not found (Node >= 20 required)" >&2; exit 2; }
command -v npm >/dev/null || { echo "run-js: npm not found" >&2; exit 2; }
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "run-js: Node >= 20 required, found $(node --version)" >&2
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/latchkey-js-run.XXXXXX")"
export LATCHKEY_COMPAT_PIDDIR="$work/pids"
export LATCHKEY_COMPAT_COVERAGE="$work/coverage"
mkdir -p "$LATCHKEY_COMPAT_PIDDIR" "$LATCHKEY_COMPAT_COVERAGE"

cleanup() {
  # Last resort: stop any server a test process started but could not stop
  # (each is recorded by pid, and only a live process running $LATCHKEY_BIN is signalled).
  # The pid file's second line is the server's temporary data directory.
  local f pid dir
  for f in "$LATCHKEY_COMPAT_PIDDIR"/*.pid; do
    [ -e "$f" ] || continue
    pid="$(sed -n 1p "$f")"
    dir="$(sed -n 2p "$f")"
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$LATCHKEY_BIN"; then
      echo "run-js: stopping leftover latchkey (pid $pid)" >&2
      kill -TERM "$pid" 2>/dev/null || true
      sleep 1
      if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$LATCHKEY_BIN"; then
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
    case "$(basename "$dir")" in
      latchkey-js-*) rm -rf "$dir" ;;
    esac
  done
  rm -rf "$work"
}
trap cleanup EXIT

cd "$JS_DIR"
if [ -f package-lock.json ]; then
  npm ci --silent --no-audit --no-fund
else
  npm install --silent --no-audit --no-fund
fi

echo "run-js: $(node --version), @1password/connect $(node -p 'require("@1password/connect/package.json").version'), latchkey at $LATCHKEY_BIN"

shopt -s nullglob
tests=(test/*.test.mjs)
if [ "${#tests[@]}" -eq 0 ]; then
  echo "run-js: no test files found" >&2
  exit 2
fi

# Per-test outcomes for the README compatibility table: compat/results/js.json.
results_dir="$ROOT/compat/results"
mkdir -p "$results_dir"
rm -f "$results_dir/js.raw.jsonl"

set +e
timeout --kill-after=10 300 node --test \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$work/results.tap" \
  --test-reporter=./test/support/results-reporter.mjs --test-reporter-destination="$results_dir/js.raw.jsonl" \
  "${tests[@]}"
status=$?
node test/support/check-coverage.mjs "$LATCHKEY_COMPAT_COVERAGE"
coverage=$?
set -e

[ -f "$work/results.tap" ] || : >"$work/results.tap"
passed="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$work/results.tap" | tail -n1)"
failed="$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$work/results.tap" | tail -n1)"
cancelled="$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$work/results.tap" | tail -n1)"
passed="${passed:-0}"
failed="$(( ${failed:-0} + ${cancelled:-0} ))"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # the runner itself failed (timeout, crash) without reporting a failing test
fi
# The method-coverage check counts as one more test.
if [ "$coverage" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

if [ -s "$results_dir/js.raw.jsonl" ]; then
  python3 "$ROOT/scripts/compat_table.py" record js "$results_dir/js.raw.jsonl" || failed=$((failed + 1))
fi

echo "js-compat: $passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$coverage" -ne 0 ] || [ "$failed" -ne 0 ]; then
  exit 1
fi
