#!/usr/bin/env bash
# The performance benchmark (docs/design.md §9): builds the release binary and the benchmark, then
# runs it and prints every figure next to its target.
#
#   bash scripts/bench.sh            # the full run: 100,000 items, 1,000,000-request soak (long)
#   bash scripts/bench.sh --quick    # a short run: 10,000 items (a minute or two)
#   bash scripts/bench.sh --help     # every flag (--items, --soak-requests, --skip-connect, …)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example bench --bin latchkey
target_dir="${CARGO_TARGET_DIR:-target}"
bench="$target_dir/release/examples/bench"
latchkey="$target_dir/release/latchkey"
echo "+ $bench --latchkey $latchkey $*" >&2
exec "$bench" --latchkey "$latchkey" "$@"
