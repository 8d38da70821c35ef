#!/usr/bin/env bash
# Fuzzes latchkey's parsers with cargo-fuzz (libFuzzer), one target after another, each for a
# bounded time: the filter parser, PATCH application, the seed parser, the 1PUX reader (any bytes
# as an archive, and any text as its export.data) and the credentials reader. The long run:
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]     # default 60 s for every target in fuzz/
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`) and a C++ compiler (libFuzzer is built
# from source). libFuzzer needs compiler flags that only nightly accepts; on a stable toolchain
# this sets RUSTC_BOOTSTRAP=1, which lets stable rustc take them. FUZZ_SANITIZER picks the
# sanitizer (default `address`, which also reports single huge allocations; `none` runs faster).
#
# The committed seeds in fuzz/corpus/<target>/ are read, never written: what libFuzzer finds goes
# to fuzz/work/<target>/ (ignored by git). A finding stops that target and is written to
# fuzz/artifacts/<target>/ (crash-*, timeout-*, oom-*); reproduce it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run <target> fuzz/artifacts/<target>/<file>
# fix it with a unit test in the module at fault, and add the input to fuzz/corpus/<target>/,
# which `cargo test --test api fuzz_corpus::` replays in every test run. The script goes on with
# the other targets and exits non-zero if any target had a finding.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bash scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
  exit 2
fi
if ! rustc --version | grep -q nightly; then
  export RUSTC_BOOTSTRAP=1
fi

sanitizer="${FUZZ_SANITIZER:-address}"
# The fuzzed build differs from the normal one in every flag; keep it apart from its artifacts.
target_dir="${CARGO_TARGET_DIR:-$PWD/fuzz/target}/fuzz"
fuzz=(cargo fuzz)
build_args=(--sanitizer "$sanitizer" --target-dir "$target_dir")

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

"${fuzz[@]}" build "${build_args[@]}"

failed=()
for target in "${targets[@]}"; do
  echo "== $target: ${seconds}s"
  mkdir -p "fuzz/work/$target" "fuzz/artifacts/$target"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb also caps any single allocation
  # (libFuzzer's malloc limit defaults to it under a sanitizer).
  if ! "${fuzz[@]}" run "${build_args[@]}" "$target" "fuzz/work/$target" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1; then
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found problems in: ${failed[*]} (see fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzzing: ${#targets[@]} targets ran ${seconds}s each without a finding"
