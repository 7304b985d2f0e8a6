#!/usr/bin/env bash
# Compares builds of `vigil serve` over HTTP, alternating them run by run so that the
# machine's changing load falls on all of them alike (docs/PERFORMANCE.md: on shared cores a
# figure means something only beside another taken minutes apart).
#
#   bench/compare.sh REV [REV...]        each REV a commit, or . for the working tree
#
# For each of ROUNDS rounds, each build in turn:
#   full  a fresh data directory, SECS seconds closed loop at CONNS connections: throughput;
#   half  a data directory filled for SECS seconds at full speed, the server restarted on it,
#         then SECS seconds open loop at RATE requests/s: p50, p90, p99 (latency from the
#         scheduled send time, or from the actual send when the sender slept and woke late:
#         see `vigil bench --help`).
# Each run prints the server's processor time per request (from /proc) and ends with
# `vigil bench --verify` (acknowledged decisions sent again must come back as stored: a build
# that answers without storing fails). Then min / median / max per build.
#
# Environment: ROUNDS (3), SECS (10), CONNS (64), RATE (4000), WORK (a new temporary
# directory, removed at the end unless KEEP=1).
set -euo pipefail
if [ $# -lt 1 ]; then
  sed -n '2,18p' "$0" >&2
  exit 2
fi
rounds=${ROUNDS:-3}
secs=${SECS:-10}
conns=${CONNS:-64}
rate=${RATE:-4000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-$(mktemp -d)}
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  if [ "${KEEP:-0}" != 1 ] && [ -z "${WORK:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
export VIGIL_ENV=development
addr=127.0.0.1:18280

# build NAME REV: vigil from REV (a commit, or . for the working tree) into $work/NAME/vigil.
build() {
  local dir=$work/$1
  mkdir -p "$dir"
  if [ "$2" = . ]; then
    (cd "$root" && go build -o "$dir/vigil" ./cmd/vigil)
  else
    local src=$dir/src
    rm -rf "$src"
    mkdir -p "$src"
    git -C "$root" archive "$(git -C "$root" rev-parse --verify "$2^{commit}")" | tar -x -C "$src"
    (cd "$src" && go build -o "$dir/vigil" ./cmd/vigil)
  fi
}

names=()
for rev in "$@"; do
  name=b${#names[@]}
  names+=("$name")
  echo "== build $name from $rev" >&2
  build "$name" "$rev"
done
# One client for every run, from the working tree (it has `vigil bench --verify` whatever
# the builds compared).
build client .
client=$work/client/vigil
echo "== training a model with the demo (no serving)" >&2
"$client" demo --data-dir "$work/demo" --no-serve >/dev/null

# serve BIN DATA: start BIN on DATA, wait until it answers.
serve() {
  "$1" serve --data-dir "$2" --model "$work/demo/model.json" --addr "$addr" \
    --rate 1000000 --burst 1000000 --max-in-flight 4096 --log-level warn >/dev/null 2>>"$2.err" &
  pid=$!
  for _ in $(seq 100); do
    if "$client" healthcheck --addr "$addr" >/dev/null 2>&1; then return; fi
    sleep 0.1
  done
  echo "compare.sh: the server on $2 did not start" >&2
  exit 1
}
stop() {
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
}
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
# load KEY ARGS...: one vigil bench run against the server; prints its JSON report and the
# server's processor ticks it took, on one line: JSON<TAB>TICKS.
load() {
  local key=$1 t0 rep
  shift
  t0=$(ticks)
  rep=$(VIGIL_BENCH_KEY=$key "$client" bench --json --verify --url "http://$addr/v1/score" --connections "$conns" "$@")
  echo "$rep	$(($(ticks) - t0))"
}

# show: prints the runs on stdin (lines of results.tsv) of round argv[1]; argv[2] is CLK_TCK.
show='
import json, sys
for line in sys.stdin:
    name, kind, rep, ticks = line.rstrip("\n").split("\t")
    r = json.loads(rep)
    cpu = int(ticks) * 1e6 / float(sys.argv[2]) / max(r["requests"], 1)
    print("round %s %s %s: %.0f/s, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, %.0f µs server CPU per request, %d verified"
          % (sys.argv[1], name, kind, r["requests_per_second"], r["p50_us"] / 1000, r["p90_us"] / 1000,
             r["p99_us"] / 1000, cpu, r.get("verified", 0)))
'
results=$work/results.tsv
: >"$results"
hz=$(getconf CLK_TCK)
for round in $(seq "$rounds"); do
  for name in "${names[@]}"; do
    bin=$work/$name/vigil
    data=$work/run-$name-$round
    key=$("$client" keys create --data-dir "$data-full" --role scorer 2>/dev/null | tail -n 1)
    serve "$bin" "$data-full"
    out=$(load "$key" --duration "${secs}s")
    stop
    printf '%s\tfull\t%s\n' "$name" "$out" >>"$results"
    key=$("$client" keys create --data-dir "$data-half" --role scorer 2>/dev/null | tail -n 1)
    serve "$bin" "$data-half"
    load "$key" --duration "${secs}s" >/dev/null
    stop
    serve "$bin" "$data-half"
    out=$(load "$key" --duration "${secs}s" --rate "$rate")
    stop
    printf '%s\thalf\t%s\n' "$name" "$out" >>"$results"
    rm -rf "$data-full" "$data-half"
    tail -n 2 "$results" | python3 -c "$show" "$round" "$hz"
  done
done

echo
python3 - "$results" "$hz" "$@" <<'PY'
import json, statistics, sys
path, hz, revs = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
runs = {}
for line in open(path):
    name, kind, rep, ticks = line.rstrip("\n").split("\t")
    r = json.loads(rep)
    runs.setdefault((name, kind), []).append((r, int(ticks) * 1e6 / hz / max(r["requests"], 1)))
def span(xs, fmt):
    xs = sorted(xs)
    return f"{fmt(xs[0])} / {fmt(statistics.median(xs))} / {fmt(xs[-1])}"
print("min / median / max over the rounds")
for i, rev in enumerate(revs):
    name = f"b{i}"
    full, half = runs.get((name, "full"), []), runs.get((name, "half"), [])
    print(f"{name} ({rev}):")
    if full:
        print("  full speed   " + span([r["requests_per_second"] for r, _ in full], lambda v: f"{v:,.0f}/s")
              + "   server CPU " + span([c for _, c in full], lambda v: f"{v:.0f} µs"))
    if half:
        print("  p99 at rate  " + span([r["p99_us"] / 1000 for r, _ in half], lambda v: f"{v:.2f} ms")
              + "   server CPU " + span([c for _, c in half], lambda v: f"{v:.0f} µs"))
PY
