#!/usr/bin/env bash
# A/B of two Samwaad builds or settings on the chat workload, interleaved run by
# run: on this machine the same binary's p99 at 10,000 msg/s moves by 2-3x from
# one minute to the next, so a change is only judged against its alternative
# measured alternately, many times, on the same machine (docs/benchmarks.md).
#
#   A_ENV="MESSAGE_APPLY_PRIORITY=normal" B_ENV="MESSAGE_APPLY_PRIORITY=background" bench/ab.sh
#   A_BIN=/tmp/old/samwaad B_BIN=build/release/samwaad RUNS=6 RATE=10000 bench/ab.sh
#
# Knobs (environment): A_BIN, B_BIN (default build/release/samwaad), A_ENV, B_ENV
# (extra environment for each side), RUNS (pairs, default 6), RATE (msg/s offered,
# default 10000), PAIRS (user pairs, default 100), DURATION (s measured, default 8),
# PORT (default 3103). Every run starts the server afresh on a copy of the benchmark
# database that bench/run.sh creates (bench/.data/samwaad), after the machine has
# gone quiet. Prints each run and the medians; raw results go to
# bench/.data/ab-<time>.jsonl. Everything stays on 127.0.0.0/8.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"

A_BIN="${A_BIN:-$BENCH/../build/release/samwaad}"
B_BIN="${B_BIN:-$BENCH/../build/release/samwaad}"
A_ENV="${A_ENV:-}"
B_ENV="${B_ENV:-}"
RUNS="${RUNS:-6}"
RATE="${RATE:-10000}"
PAIRS="${PAIRS:-100}"
DURATION="${DURATION:-8}"
PORT="${PORT:-3103}"
DATA="$BENCH/.data"
LOADGEN="$BENCH/loadgen/build/loadgen"
USERS="$DATA/samwaad/bench-users.txt"
OUT="$DATA/ab-$(date +%Y%m%d-%H%M%S).jsonl"

for bin in "$A_BIN" "$B_BIN"; do
  [[ -x "$bin" ]] || { log "no server binary at $bin (make server builds build/release/samwaad)"; exit 1; }
done
if [[ ! -s "$USERS" ]]; then
  log "no benchmark users yet: run bench/run.sh (bench/run.sh quick will do) once first"
  exit 1
fi
cmake -S "$BENCH/loadgen" -B "$BENCH/loadgen/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BENCH/loadgen/build" -j1 >/dev/null

PID=""
trap 'stop_pid "$PID"' EXIT
trap 'exit 130' INT TERM

run_one() {  # run_one SIDE BIN ENV: one chat run on a fresh server; appends a JSON line to $OUT
  local side="$1" bin="$2" extra="$3" json
  wait_machine_quiet
  rm -rf "$DATA/ab-run"
  cp -a "$DATA/samwaad" "$DATA/ab-run"
  port_free "$PORT" || { log "port $PORT is busy"; exit 1; }
  # shellcheck disable=SC2086
  env LOG_LEVEL=warn $extra DATA_DIR="$DATA/ab-run" PORT="$PORT" HOST=127.0.0.1 RATE_LIMITS=off \
    "$bin" serve >>"$DATA/ab-server.log" 2>&1 &
  PID=$!
  wait_socketio "$PORT" "$PID" || { log "the server did not start (see $DATA/ab-server.log)"; exit 1; }
  json="$("$LOADGEN" chat --json --label "$side" --port "$PORT" --cache "$USERS" --server-pid "$PID" \
    --pairs "$PAIRS" --rate "$RATE" --warmup 2 --duration "$DURATION" --drain 2)"
  stop_pid "$PID"
  PID=""
  printf '%s\n' "$json" >>"$OUT"
  # shellcheck disable=SC2016 # JavaScript, not shell
  printf '%s\n' "$json" | node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const l = r.latency_ms;
    console.log(`${r.label}: delivered ${r.delivered_per_s.toFixed(0)}/s  p50 ${l.p50.toFixed(2)}  p90 ${l.p90.toFixed(2)}  p99 ${l.p99.toFixed(2)} ms  server ${r.cpu.server_us_per_msg.toFixed(1)} us/msg  generator ${r.cpu.generator_us_per_msg.toFixed(1)} us/msg`);'
}

log "A: $A_BIN ${A_ENV:+($A_ENV)}; B: $B_BIN ${B_ENV:+($B_ENV)}; $RUNS pairs at $RATE msg/s"
for i in $(seq "$RUNS"); do
  run_one "A$i" "$A_BIN" "$A_ENV"
  run_one "B$i" "$B_BIN" "$B_ENV"
done

# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const side = (p) => lines.filter((r) => r.label.startsWith(p));
const a = side("A"), b = side("B");
for (const [name, rows] of [["A", a], ["B", b]]) {
  const m = (f) => median(rows.map(f)).toFixed(2);
  console.log(`${name} medians over ${rows.length}: p50 ${m((r) => r.latency_ms.p50)}  p90 ${m((r) => r.latency_ms.p90)}  p99 ${m((r) => r.latency_ms.p99)} ms  server ${m((r) => r.cpu.server_us_per_msg)} us/msg  delivered ${m((r) => r.delivered_per_s)}/s`);
}
const lower = a.filter((r, i) => b[i] && b[i].latency_ms.p99 < r.latency_ms.p99).length;
console.log(`B had the lower p99 in ${lower} of ${Math.min(a.length, b.length)} pairs`);
' "$OUT"
log "raw results: $OUT"
