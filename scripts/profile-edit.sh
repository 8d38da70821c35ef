#!/usr/bin/env bash
# Cost of one edited item of a large file source reaching the API (docs/design.md §9, "one edited
# item visible"), for before/after figures of sync changes. Starts a release `latchkey serve` whose
# credentials file names a generated seed file or `.1pux` export (items shaped like the
# benchmark's), waits for its first sync, then edits one item's password at a time (the file
# rewritten whole and renamed into place, as the benchmark does) and prints, per edit, the time
# until a GET of the item shows the new value and the server's CPU time meanwhile:
#
#   bash scripts/profile-edit.sh                   # seed file, 100,000 items, 3 edits
#   bash scripts/profile-edit.sh --source 1pux     # the same items as a .1pux export
#   bash scripts/profile-edit.sh --perf            # also a perf profile (cpu-clock) of the edits
#   bash scripts/profile-edit.sh --callgrind       # instructions of the edits under callgrind
#                                                  # (slow: about a minute per edit)
#
# Options: --items N (100000), --edits N (3), --bin PATH (a latchkey binary; default: build the
# release one), --keep (keep the temporary directory: files, store, profiles), plus any
# `KEY=VALUE` argument, set in the server's environment.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/profile-lib.sh

mode=cpu source=seed items=100000 edits=3 bin="" keep=0 envs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --perf) mode=perf ;;
    --callgrind) mode=callgrind ;;
    --source) source="$2"; shift ;;
    --items) items="$2"; shift ;;
    --edits) edits="$2"; shift ;;
    --bin) bin="$2"; shift ;;
    --keep) keep=1 ;;
    *=*) envs+=("$1") ;;
    *) echo "unknown argument: $1 (see the head of $0)" >&2; exit 2 ;;
  esac
  shift
done
case "$source" in seed) file=source.json ;; 1pux) file=source.1pux ;; *)
  echo "--source is seed or 1pux" >&2; exit 2 ;; esac
if [ -z "$bin" ]; then
  cargo build --release --bin latchkey >&2
  bin="${CARGO_TARGET_DIR:-target}/release/latchkey"
fi

dir=$(mktemp -d)
server="" recorder=""
cleanup() {
  [ -n "$recorder" ] && kill -INT "$recorder" 2>/dev/null && wait "$recorder" 2>/dev/null
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  if [ "$keep" = 1 ]; then echo "kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT

vault=bench000000000000000000big
# The generator: `content(kind, items, edit)` is the file's bytes with item edit[0]'s password set
# to edit[1]; `write(path, data)` puts them in place as the benchmark does (a temporary file,
# synced, then a rename).
cat >"$dir/gen.py" <<'EOF'
import io, json, os, sys, zipfile
vault = "bench000000000000000000big"
def seed_item(n, password):
    return {"id": f"i{n:025}", "title": f"Item {n:06}", "category": "LOGIN",
            "tags": ["bench", f"group-{n % 50}"],
            "urls": [{"href": f"https://service-{n}.example.com/login", "label": "website"}],
            "username": f"user{n}@example.com", "password": password,
            "notes": f"Benchmark item {n}; rotated quarterly by the platform team.",
            "sections": [{"label": "Connection", "fields": [
                {"label": "host", "value": f"db-{n}.internal.example.com"},
                {"label": "port", "value": "5432"},
                {"label": "database", "value": f"app_{n}"},
                {"label": "api key", "type": "CONCEALED", "value": "k%039d" % n}]}]}
def export_item(n, password):
    url = f"https://service-{n}.example.com/login"
    return {"uuid": f"i{n:025}", "favIndex": 0, "createdAt": 1700000000, "updatedAt": 1700000000,
            "state": "active", "categoryUuid": "001",
            "overview": {"title": f"Item {n:06}", "subtitle": f"user{n}@example.com",
                         "tags": ["bench", f"group-{n % 50}"], "url": url,
                         "urls": [{"label": "website", "url": url}]},
            "details": {"loginFields": [
                {"value": f"user{n}@example.com", "id": "", "name": "username", "fieldType": "T",
                 "designation": "username"},
                {"value": password, "id": "", "name": "password", "fieldType": "P",
                 "designation": "password"}],
                "notesPlain": f"Benchmark item {n}; rotated quarterly by the platform team.",
                "sections": [{"title": "Connection", "name": "connection", "fields": [
                    {"title": "host", "id": "host", "value": {"string": f"db-{n}.internal.example.com"}},
                    {"title": "port", "id": "port", "value": {"string": "5432"}},
                    {"title": "database", "id": "database", "value": {"string": f"app_{n}"}},
                    {"title": "api key", "id": "apikey", "value": {"concealed": "k%039d" % n}}]}],
                "passwordHistory": []}}
def content(kind, items, edit=None):
    password = lambda n: edit[1] if edit and edit[0] == n else "p%031d" % (n * 7919 % 10**31)
    if kind == "seed":
        doc = {"version": 1, "vaults": [{"id": vault, "name": "Bench", "description": "benchmark vault",
                                         "items": [seed_item(n, password(n)) for n in range(items)]}]}
        return json.dumps(doc).encode()
    data = {"accounts": [{"attrs": {"accountName": "Bench", "name": "Bench", "email": "bench@example.com",
                                    "uuid": "BENCHACCOUNT0000000000000", "domain": "https://bench.1password.com/"},
                          "vaults": [{"attrs": {"uuid": vault, "desc": "benchmark vault", "avatar": "",
                                                "name": "Bench", "type": "U"},
                                      "items": [export_item(n, password(n)) for n in range(items)]}]}]}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("export.attributes", '{"version":3,"description":"1Password Unencrypted Export","createdAt":1700000000}')
        z.writestr("export.data", json.dumps(data))
    return out.getvalue()
def write(path, data):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(path + ".tmp", path)
if __name__ == "__main__":
    write(sys.argv[2], content(sys.argv[1], int(sys.argv[3])))
EOF
python3 "$dir/gen.py" "$source" "$dir/$file" "$items"

export OP_SESSION="$dir/credentials.json" LATCHKEY_DATA_DIR="$dir/data"
"$bin" init --source "$source:$dir/$file" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
launcher=()
if [ "$mode" = callgrind ]; then
  launcher=(valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.%p" --instr-atstart=no)
fi
env "${envs[@]}" OP_LOG_LEVEL="${OP_LOG_LEVEL:-info}" "${launcher[@]}" "$bin" serve --bind 127.0.0.1 \
  --port "$port" >"$dir/server.log" 2>&1 &
server=$!
echo "waiting for the first sync of $items items ($source)" >&2
runs() { curl -sf "http://127.0.0.1:$port/metrics" 2>/dev/null | awk '/^latchkey_sync_runs_total/ {print $2}'; }
for _ in $(seq 1 3000); do [ "$(runs)" ] && [ "$(runs)" -ge 1 ] && break; sleep 0.2; done
token=$("$bin" token issue --name profile --vault "$vault:r" | tail -n 1)
sleep 1 # the watcher's first look at the file

case "$mode" in
  # DWARF call graphs: the release binary has no frame pointers.
  perf) perf record -e cpu-clock -F 999 --call-graph dwarf,32768 -o "$dir/perf.data" -p "$server" 2>/dev/null & recorder=$! ;;
  callgrind) callgrind_control -i on "$server" >/dev/null ;;
esac
# Each edit: write the file (made beforehand), then GET the item every 5 ms until the new value shows.
python3 - "$dir" "$source" "$file" "$items" "$edits" "$port" "$token" "$vault" "$server" <<'EOF'
import http.client, os, sys, time
d, kind, file, items, edits, port, token, vault, pid = sys.argv[1:10]
sys.path.insert(0, d)
import gen
items, edits = int(items), int(edits)
ticks = lambda: sum(int(x) for x in open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[11:13])
hz = os.sysconf("SC_CLK_TCK")
c = http.client.HTTPConnection("127.0.0.1", int(port))
for e in range(edits):
    k = (e * 48271 + 13) % items
    marker = f"edited{e:03d}-{time.time_ns() % 10**12:012d}"
    data = gen.content(kind, items, (k, marker))
    cpu = ticks()
    gen.write(f"{d}/{file}", data)
    start = time.monotonic()
    while True:
        c.request("GET", f"/v1/vaults/{vault}/items/i{k:025}", headers={"Authorization": f"Bearer {token}"})
        r = c.getresponse(); body = r.read()
        if r.status != 200: sys.exit(f"GET answered {r.status}: {body[:200]}")
        if marker.encode() in body: break
        if time.monotonic() - start > 300: sys.exit("not visible after 300 s")
        time.sleep(0.005)
    seen = time.monotonic() - start
    time.sleep(0.3) # the end of the run (its bookkeeping after the write)
    print(f"edit {e}: visible after {seen * 1000:.0f} ms; server CPU {(ticks() - cpu) * 1000 // hz} ms (to 300 ms after)", flush=True)
EOF
case "$mode" in
  perf)
    kill -INT "$recorder"; wait "$recorder" || true; recorder=""
    perf report -i "$dir/perf.data" --no-children --percent-limit 0.7 --stdio -g none 2>/dev/null | grep -E "^ +[0-9]" | head -n 50 || true
    echo "call graphs: perf report -i $dir/perf.data --children (with --keep)"
    ;;
  callgrind)
    callgrind_report "$server" "$dir" "$edits" edit edits
    ;;
esac
