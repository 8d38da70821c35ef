#!/usr/bin/env bash
# Python-SDK compatibility suite: runs onepasswordconnectsdk 2.1.1 (sync and
# async clients) against a live `latchkey dev` server.
#
#   LATCHKEY_BIN=path/to/latchkey bash compat/run-python.sh [extra pytest args]
#
# LATCHKEY_BIN defaults to target/debug/latchkey (relative to the repo root).
# Creates compat/python/.venv on first use (Python >= 3.11) and installs the
# pinned requirements; exits non-zero if any test fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SUITE=compat/python
VENV="$SUITE/.venv"
REQS="$SUITE/requirements.txt"

LATCHKEY_BIN="${LATCHKEY_BIN:-target/debug/latchkey}"
case "$LATCHKEY_BIN" in
  /*) ;;
  *) LATCHKEY_BIN="$ROOT/$LATCHKEY_BIN" ;;
esac
if [ ! -x "$LATCHKEY_BIN" ]; then
  echo "run-python.sh: no latchkey binary at $LATCHKEY_BIN (run 'cargo build' or set LATCHKEY_BIN)" >&2
  exit 2
fi
export LATCHKEY_BIN

pick_python() {
  local candidate
  for candidate in python3.11 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

venv_ok() {
  [ -x "$VENV/bin/python" ] &&
    "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null
}

if ! venv_ok; then
  PYTHON="$(pick_python)" || {
    echo "run-python.sh: needs Python >= 3.11 (python3.11 or python3) on PATH" >&2
    exit 2
  }
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi

# Install only when the pinned set changed since the last install.
STAMP="$VENV/.requirements.sha256"
WANT="$( (cat "$REQS"; "$VENV/bin/python" -VV) | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
  # requirements.txt pins the complete dependency closure, so install it as a
  # lock with --no-deps: onepasswordconnectsdk 2.1.1 declares certifi>=2026.10.19,
  # a release not available from the package index (see requirements.txt).
  "$VENV/bin/python" -m pip install --quiet --no-deps -r "$REQS"
  "$VENV/bin/python" -c 'import onepasswordconnectsdk, httpx, dateutil, certifi, pytest, pytest_asyncio, pytest_timeout'
  echo "$WANT" >"$STAMP"
fi

# Per-test outcomes for the README compatibility table: compat/results/python.json.
RESULTS="$ROOT/compat/results"
mkdir -p "$RESULTS"
export LATCHKEY_COMPAT_RESULTS="$RESULTS/python.raw.jsonl"
rm -f "$LATCHKEY_COMPAT_RESULTS"
set +e
"$VENV/bin/python" -m pytest "$SUITE" -q "$@"
status=$?
set -e
if [ -f "$LATCHKEY_COMPAT_RESULTS" ]; then
  python3 "$ROOT/scripts/compat_table.py" record python "$LATCHKEY_COMPAT_RESULTS" || status=1
fi
exit "$status"
