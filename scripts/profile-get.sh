#!/usr/bin/env bash
# Cost of one warm `GET /v1/vaults/{v}/items/{i}` in a release `latchkey serve`, for before/after
# figures of hot-path changes (docs/design.md §9). Starts the server on a generated seed file
# (items shaped like the benchmark's), issues a real token, sends the GETs over keep-alive
# connections from a small Python client, and prints the server's cost per request:
#
#   bash scripts/profile-get.sh                  # CPU time per request (from /proc, noisy)
#   bash scripts/profile-get.sh --callgrind      # instructions per request (repeatable) and the
#                                                # top functions, under valgrind --tool=callgrind
#   bash scripts/profile-get.sh --perf           # also a perf profile (cpu-clock) of the GETs
#
# Options: --requests N (default 20000, 2000 with --callgrind), --items N (1000), --connections N
# (4), --bin PATH (a latchkey binary; default: build the release one), --keep (keep the
# temporary directory: the seed file, store, callgrind and perf output), plus any
# `KEY=VALUE` argument, set in the server's environment (e.g. LATCHKEY_ITEM_CACHE_BYTES=0).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/profile-lib.sh

mode=cpu requests="" items=1000 connections=4 bin="" keep=0 envs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --callgrind) mode=callgrind ;;
    --perf) mode=perf ;;
    --requests) requests="$2"; shift ;;
    --items) items="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    --bin) bin="$2"; shift ;;
    --keep) keep=1 ;;
    *=*) envs+=("$1") ;;
    *) echo "unknown argument: $1 (see the head of $0)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$requests" ] || requests=$([ "$mode" = callgrind ] && echo 2000 || echo 20000)
if [ -z "$bin" ]; then
  cargo build --release --bin latchkey >&2
  bin="${CARGO_TARGET_DIR:-target}/release/latchkey"
fi

dir=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  if [ "$keep" = 1 ]; then echo "kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT

vault=bench000000000000000000big
python3 - "$dir/seed.json" "$items" "$vault" <<'EOF'
import json, random, sys
path, items, vault = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(7)
text = lambda n: "".join(rnd.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(n))
def item(n):
    return {"id": f"i{n:025}", "title": f"Item {n:06}", "category": "LOGIN",
            "tags": ["bench", f"group-{n % 50}"],
            "urls": [{"href": f"https://service-{n}.example.com/login", "label": "website"}],
            "username": f"user{n}@example.com", "password": text(32),
            "notes": f"Benchmark item {n}; rotated quarterly by the platform team.",
            "sections": [{"label": "Connection", "fields": [
                {"label": "host", "value": f"db-{n}.internal.example.com"},
                {"label": "port", "value": "5432"},
                {"label": "database", "value": f"app_{n}"},
                {"label": "api key", "type": "CONCEALED", "value": text(40)}]}]}
seed = {"version": 1, "vaults": [{"id": vault, "name": "Bench", "items": [item(n) for n in range(items)]}]}
json.dump(seed, open(path, "w"))
EOF

export OP_SESSION="$dir/credentials.json" LATCHKEY_DATA_DIR="$dir/data"
"$bin" init --source "seed:$dir/seed.json" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
launcher=()
if [ "$mode" = callgrind ]; then
  launcher=(valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.%p" --instr-atstart=no)
fi
env "${envs[@]}" OP_LOG_LEVEL="${OP_LOG_LEVEL:-info}" "${launcher[@]}" "$bin" serve --bind 127.0.0.1 \
  --port "$port" >"$dir/server.log" 2>&1 &
server=$!
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$port/health" 2>/dev/null | grep -q '"account_data","status":"AVAILABLE"' && break
  sleep 0.2
done
token=$("$bin" token issue --name profile --vault "$vault:r" | tail -n 1)

load() { # $1 = requests
  python3 - "$port" "$token" "$vault" "$items" "$connections" "$1" <<'EOF'
import http.client, sys, threading
port, token, vault, items, conns, total = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
warm = min(items, 1000)
errors = []
def worker(k):
    c = http.client.HTTPConnection("127.0.0.1", int(port))
    headers = {"Authorization": f"Bearer {token}"}
    for i in range(k, total, conns):
        c.request("GET", f"/v1/vaults/{vault}/items/i{(i * 7919) % warm:025}", headers=headers)
        r = c.getresponse(); r.read()
        if r.status != 200: errors.append(r.status)
threads = [threading.Thread(target=worker, args=(k,)) for k in range(conns)]
for t in threads: t.start()
for t in threads: t.join()
if errors: sys.exit(f"{len(errors)} requests failed, e.g. {errors[0]}")
EOF
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }

# Warm-up: connections, token verification, and every item of the warm set read once.
load $(( (items < 1000 ? items : 1000) + 200 ))
case "$mode" in
  callgrind)
    callgrind_control -i on "$server" >/dev/null
    load 50 # through the freshly instrumented code once
    callgrind_control -z "$server" >/dev/null
    load "$requests"
    callgrind_report "$server" "$dir" "$requests" GET requests
    ;;
  perf)
    perf record -e cpu-clock -g -o "$dir/perf.data" -p "$server" 2>/dev/null &
    perf_pid=$!
    sleep 0.5
    before=$(cpu_ticks); load "$requests"; after=$(cpu_ticks)
    kill -INT "$perf_pid"; wait "$perf_pid" || true
    echo "CPU per GET: $(( (after - before) * 1000000 / $(getconf CLK_TCK) / requests )) µs (user+system, under perf)"
    perf report -i "$dir/perf.data" --no-children --percent-limit 1 --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -n 40 || true
    ;;
  *)
    before=$(cpu_ticks); load "$requests"; after=$(cpu_ticks)
    echo "CPU per GET: $(( (after - before) * 1000000 / $(getconf CLK_TCK) / requests )) µs (user+system, $requests requests)"
    ;;
esac
