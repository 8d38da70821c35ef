# Sourced by scripts/profile-get.sh and scripts/profile-edit.sh.

# callgrind_report PID DIR COUNT WHAT UNITS: ends the callgrind profile of PID (whose output goes to
# DIR/callgrind.<pid>), then prints the instructions per WHAT over COUNT UNITS and the functions
# that ran the most instructions themselves.
callgrind_report() {
  local pid=$1 dir=$2 count=$3 what=$4 units=$5 out total
  callgrind_control -d "$pid" >/dev/null
  callgrind_control -i off "$pid" >/dev/null
  for _ in $(seq 1 100); do compgen -G "$dir/callgrind.*.1" >/dev/null && break; sleep 0.2; done
  sleep 1 # the dump is written while callgrind_control returns
  out=$(compgen -G "$dir/callgrind.*.1")
  total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ && !n {gsub(",", "", $1); print $1; n = 1}')
  echo "instructions per $what: $((total / count)) ($total over $count $units)"
  callgrind_annotate --inclusive=no "$out" 2>/dev/null | sed -n '/file:function/,$p' | head -n 40 || true
}
