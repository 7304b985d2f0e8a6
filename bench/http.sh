#!/usr/bin/env bash
# The HTTP load test of docs/PERFORMANCE.md: POST /v1/score of the real `vigil serve`
# (SQLite, durable decisions, default rules, a GBDT trained by the demo) against a bare Go
# handler that decodes the same JSON and returns a fixed answer, loaded by the same client in
# the same run on this machine.
#
#   bench/http.sh [seconds per run, default 10] [connections, default 64]
#
# IDS=random sends random transaction ids (as UUIDv4 ids are) instead of ordered ones.
#
# 1. both servers at full speed (closed loop): throughput and the ratio vigil / bare;
# 2. vigil at half its measured throughput (open loop, latency from the scheduled send time,
#    or from the actual send when the sender slept and woke late): p99 latency.
# Both vigil runs end with `vigil bench --verify`: about 1 in 64 acknowledged transactions is
# sent again and must come back as the stored decision (the run fails otherwise), so the
# figures are those of decisions that were stored, not only answered. (The server CPU per
# request counts those repeats too: ~1.5% more requests, each cheaper than a decision.)
set -euo pipefail
secs=${1:-10}
conns=${2:-64}
ids=${IDS:-ordered}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cd "$root"
go build -o "$work/vigil" ./cmd/vigil
vigil="$work/vigil"
export VIGIL_ENV=development

echo "== training a model with the demo (no serving)"
"$vigil" demo --data-dir "$work/demo" --no-serve >/dev/null
key=$("$vigil" keys create --data-dir "$work/data" --role scorer 2>/dev/null | tail -n 1)

"$vigil" serve --data-dir "$work/data" --model "$work/demo/model.json" --addr 127.0.0.1:18080 \
  --rate 1000000 --burst 1000000 --max-in-flight 4096 --log-level warn >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
pids+=("$serve_pid")
"$vigil" bench --bare-server 127.0.0.1:18090 >"$work/bare.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  if "$vigil" healthcheck --addr 127.0.0.1:18080 >/dev/null 2>&1 && grep -q serving "$work/bare.out"; then break; fi
  sleep 0.2
done

run() { VIGIL_BENCH_KEY=$key "$vigil" bench --json --ids "$ids" --duration "${secs}s" --connections "$conns" "$@"; }
field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read())['$1'])"; }
# cpu_ticks: the vigil server's processor time so far (user + system, in clock ticks), from
# /proc (Linux); empty where there is none. Steadier than throughput on a shared machine.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$serve_pid/stat" 2>/dev/null || true; }
# cpu_per_request BEFORE AFTER JSON: the server's microseconds of processor time per request.
cpu_per_request() {
  if [ -z "$1" ] || [ -z "$2" ]; then echo "n/a"; return; fi
  echo "$3" | python3 -c "import json,sys; r=json.loads(sys.stdin.read())['requests']; print('%.0f µs' % (($2 - $1) * 1e6 / $(getconf CLK_TCK) / max(r, 1)))"
}

echo "== warm-up"
run --url http://127.0.0.1:18080/v1/score --duration 2s >/dev/null
echo "== full speed, $conns connections, ${secs}s each"
bare=$(run --url http://127.0.0.1:18090/v1/score)
c0=$(cpu_ticks)
vig=$(run --url http://127.0.0.1:18080/v1/score --verify)
c1=$(cpu_ticks)
echo "bare:  $bare"
echo "vigil: $vig"
echo "vigil server CPU per request: $(cpu_per_request "$c0" "$c1" "$vig")"
echo "vigil decisions verified stored: $(echo "$vig" | field verified) sent again, none lost"
bare_rps=$(echo "$bare" | field requests_per_second)
vig_rps=$(echo "$vig" | field requests_per_second)
python3 -c "print('ratio vigil/bare: %.2f' % ($vig_rps / $bare_rps))"

half=$(python3 -c "print(int($vig_rps / 2))")
echo "== vigil at half its throughput ($half/s, open loop)"
c0=$(cpu_ticks)
vhalf=$(run --url http://127.0.0.1:18080/v1/score --rate "$half" --verify)
c1=$(cpu_ticks)
echo "vigil: $vhalf"
echo "vigil server CPU per request: $(cpu_per_request "$c0" "$c1" "$vhalf")"
echo "vigil decisions verified stored: $(echo "$vhalf" | field verified) sent again, none lost"
echo "p99 at half load: $(echo "$vhalf" | field p99_us) µs"
