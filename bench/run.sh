#!/usr/bin/env bash
# Samwaad benchmark: the same workload, same generator, same settings, against the
# Node.js socket.io 4 baseline (bench/baseline) and the Samwaad binary, one after the
# other in this one invocation; prints a markdown table with the ratios.
#
#   bench/run.sh            # full run (a few minutes; the first run against a fresh
#                           # Samwaad data dir also creates the benchmark users)
#   bench/run.sh quick      # short smoke run: fewer rates, 2,000 idle sockets
#   TARGETS="baseline samwaad ceiling" bench/run.sh   # also the ceiling (bench/ceiling):
#                           # the cheapest server the generator can run against
#
# Knobs (environment): see bench/README.md. Everything stays on 127.0.0.0/8.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"
QUICK=0
[[ "${1:-}" == "quick" ]] && QUICK=1

SAMWAAD_BIN="${SAMWAAD_BIN:-$BENCH/../build/release/samwaad}"
# Extra environment for Samwaad. BCRYPT_COST only speeds up creating the benchmark
# users (the workload authenticates with tokens); LOG_LEVEL=warn drops per-request logs.
SAMWAAD_ENV="${SAMWAAD_ENV:-LOG_LEVEL=warn BCRYPT_COST=4}"
BASE_PORT="${BASE_PORT:-3100}"
SW_PORT="${SW_PORT:-3101}"
CEIL_PORT="${CEIL_PORT:-3102}"
TARGETS="${TARGETS:-baseline samwaad}"
PAIRS="${PAIRS:-100}"
GEN_PROCS="${GEN_PROCS:-1}"
WARMUP="${WARMUP:-2}"
DURATION="${DURATION:-5}"
DRAIN="${DRAIN:-3}"
REPEAT="${REPEAT:-1}"
RESTART_EACH="${RESTART_EACH:-1}"
# Up to 120,000: on a faster machine (2026-11-30) Samwaad delivered all of
# 60,000 offered, and a ladder that stops there reports the top rung, not
# its saturation.
SAT_RATES="${SAT_RATES-5000 10000 15000 20000 30000 40000 60000 80000 100000 110000 120000 130000 140000}"
LAT_RATES="${LAT_RATES-2000 10000}"
IDLE_CONNS="${IDLE_CONNS:-19900}"
IDLE_USERS="${IDLE_USERS:-1000}"
IDLE_PROCS="${IDLE_PROCS:-2}"
IDLE_SRC="${IDLE_SRC:-127.0.0.2-127.0.0.20}"
if ((QUICK)); then
  SAT_RATES="${QUICK_SAT_RATES:-5000 15000}"
  LAT_RATES="${QUICK_LAT_RATES:-2000}"
  DURATION="${QUICK_DURATION:-3}"
  IDLE_CONNS="${QUICK_IDLE_CONNS:-2000}"
fi

DATA="$BENCH/.data"
mkdir -p "$DATA"
STAMP="$(date +%Y%m%d-%H%M%S)"
OUT="$DATA/results-$STAMP.jsonl"
: >"$OUT"
LOADGEN="$BENCH/loadgen/build/loadgen"
CEILING="$BENCH/ceiling/build/ceiling"


# ---- processes we start, stopped on exit (by pid, nothing else)
BASE_PID=""
SW_PID=""
CEIL_PID=""
cleanup() {
  stop_pid "$BASE_PID"
  stop_pid "$SW_PID"
  stop_pid "$CEIL_PID"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build
log "building the load generator (Release, -j1)"
cmake -S "$BENCH/loadgen" -B "$BENCH/loadgen/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BENCH/loadgen/build" -j1 >/dev/null
if [[ " $TARGETS " == *" ceiling "* ]]; then
  log "building the ceiling server (Release, -j1)"
  cmake -S "$BENCH/ceiling" -B "$BENCH/ceiling/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BENCH/ceiling/build" -j1 >/dev/null
fi
if [[ ! -d "$BENCH/baseline/node_modules/socket.io" ]]; then
  log "installing the baseline's npm packages (npm ci)"
  (cd "$BENCH/baseline" && npm ci --no-audit --no-fund >/dev/null)
fi
node -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("Node 20+ needed, have " + process.version); process.exit(1) }'

# ---- servers
start_baseline() {
  port_free "$BASE_PORT" || { log "port $BASE_PORT is busy"; return 1; }
  rm -f "$DATA/baseline-users.txt"  # in-memory server: its users die with it
  PORT="$BASE_PORT" HOST=127.0.0.1 node "$BENCH/baseline/server.js" >>"$DATA/baseline.log" 2>&1 &
  BASE_PID=$!
  wait_socketio "$BASE_PORT" "$BASE_PID" || { log "baseline did not start (see $DATA/baseline.log)"; return 1; }
}
SW_DATA="$DATA/samwaad"  # the benchmark users live here; chat runs work on a copy
start_samwaad() {
  port_free "$SW_PORT" || { log "port $SW_PORT is busy"; return 1; }
  mkdir -p "$SW_DATA"
  # shellcheck disable=SC2086
  env $SAMWAAD_ENV DATA_DIR="$SW_DATA" PORT="$SW_PORT" HOST=127.0.0.1 RATE_LIMITS=off \
    "$SAMWAAD_BIN" serve >>"$DATA/samwaad.log" 2>&1 &
  SW_PID=$!
  if ! wait_socketio "$SW_PORT" "$SW_PID"; then
    log "Samwaad's /socket.io/ does not answer an Engine.IO handshake yet (see $DATA/samwaad.log): skipping it"
    stop_pid "$SW_PID"
    SW_PID=""
    return 1
  fi
}
# The ceiling keeps no state: a user's token is its id, derived from the email at
# signup, so its user cache stays valid across restarts.
start_ceiling() {
  port_free "$CEIL_PORT" || { log "port $CEIL_PORT is busy"; return 1; }
  "$CEILING" --port "$CEIL_PORT" >>"$DATA/ceiling.log" 2>&1 &
  CEIL_PID=$!
  wait_socketio "$CEIL_PORT" "$CEIL_PID" || { log "the ceiling did not start (see $DATA/ceiling.log)"; return 1; }
}
port_of() { case "$1" in baseline) echo "$BASE_PORT" ;; ceiling) echo "$CEIL_PORT" ;; *) echo "$SW_PORT" ;; esac; }
pid_of() { case "$1" in baseline) echo "$BASE_PID" ;; ceiling) echo "$CEIL_PID" ;; *) echo "$SW_PID" ;; esac; }
cache_of() {
  case "$1" in
    baseline) echo "$DATA/baseline-users.txt" ;;
    ceiling) echo "$DATA/ceiling-users.txt" ;;
    *) echo "$DATA/samwaad/bench-users.txt" ;;
  esac
}
start_target() { case "$1" in baseline) start_baseline ;; ceiling) start_ceiling ;; *) start_samwaad ;; esac; }
stop_target() {
  # the baseline and the ceiling keep nothing worth a graceful exit; Samwaad gets time to
  # shut down cleanly
  case "$1" in
    baseline) stop_pid "$BASE_PID" 20; BASE_PID="" ;;
    ceiling) stop_pid "$CEIL_PID" 20; CEIL_PID="" ;;
    *) stop_pid "$SW_PID"; SW_PID="" ;;
  esac
}

ACTIVE=""
for t in $TARGETS; do
  if [[ "$t" == samwaad && ! -x "$SAMWAAD_BIN" ]]; then
    log "no Samwaad binary at $SAMWAAD_BIN (build it with 'make server'): skipping it"
    continue
  fi
  if start_target "$t"; then ACTIVE="$ACTIVE $t"; fi
done
[[ -n "$ACTIVE" ]] || { log "no server to measure"; exit 1; }
log "measuring:$ACTIVE (results: $OUT)"

NUSERS=$((2 * PAIRS > IDLE_USERS ? 2 * PAIRS : IDLE_USERS))
for t in $ACTIVE; do
  "$LOADGEN" signup --port "$(port_of "$t")" --users "$NUSERS" --cache "$(cache_of "$t")" --signup-concurrency 4 >&2
done

summarize() {  # one line per run on stderr, from the JSON on stdin
  node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8"));const f=(x,d=1)=>x==null?"-":x.toFixed(d);
    if (r.mode==="chat") console.error(`    delivered ${f(r.delivered_per_s,0)}/s  p50 ${f(r.latency_ms.p50,2)} ms  p99 ${f(r.latency_ms.p99,2)} ms  p99.9 ${f(r.latency_ms.p999,2)} ms  server ${f(r.cpu.server_us_per_msg)} us/msg (${f(r.cpu.server_cores,2)} cores)  generator ${f(r.cpu.generator_us_per_msg)} us/msg  other ${f(r.cpu.other_cores,2)} cores  errors ${r.errors}`);
    else console.error(`    ${r.connected}/${r.requested} connected, RSS ${r.rss_before_kb} -> ${r.rss_after_kb} kB, ${f(r.rss_per_conn_kb,2)} KB per socket`)'
}
run_loadgen() {  # run_loadgen ARGS...: append its JSON line to $OUT
  local line
  if line="$("$LOADGEN" "$@")" && [[ -n "$line" ]]; then
    printf '%s\n' "$line" >>"$OUT"
    printf '%s\n' "$line" | summarize
  else
    log "    loadgen failed: $*"
  fi
}
proc_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
wait_quiet() {  # wait_quiet PID: until the server uses < 5 % of a core over 0.5 s (an overloaded
  # run leaves a backlog it keeps working through after the generator has gone), at most 60 s
  local pid="$1" a b
  for _ in $(seq 120); do
    a="$(proc_ticks "$pid")"
    sleep 0.5
    b="$(proc_ticks "$pid")"
    ((b - a <= 2)) && return 0
  done
  log "    server $pid still busy after 60 s"
}
chat() {  # chat TARGET KIND RATE
  local t="$1" kind="$2" rate="$3" o
  if ((RESTART_EACH)); then  # a fresh process per run: no heap or backlog carried over
    # Every server is stopped, not only this one: after an overloaded run the other
    # side keeps working through its backlog for many seconds (the baseline took a
    # whole core for 8 s and more after a run at 30,000 msg/s offered), which would
    # take the cores from this run.
    for o in $ACTIVE; do stop_target "$o"; done
    wait_machine_quiet
    if [[ "$t" == samwaad ]]; then
      # A copy of the database as it was after signup: an overloaded run leaves messages
      # undelivered, and the next run must not start by pushing that backlog (the
      # in-memory baseline starts empty too).
      rm -rf "$DATA/samwaad-run"
      cp -a "$DATA/samwaad" "$DATA/samwaad-run"
      SW_DATA="$DATA/samwaad-run"
    fi
    start_target "$t" || { log "$t did not restart"; return 0; }
  else
    for o in $ACTIVE; do wait_quiet "$(pid_of "$o")"; done
  fi
  log "$t: $kind, $rate msg/s offered, $PAIRS pairs, ${DURATION}s"
  run_loadgen chat --json --label "$t:$kind" --port "$(port_of "$t")" --cache "$(cache_of "$t")" \
    --server-pid "$(pid_of "$t")" --pairs "$PAIRS" --rate "$rate" --procs "$GEN_PROCS" \
    --warmup "$WARMUP" --duration "$DURATION" --drain "$DRAIN"
}

# Interleave the targets measurement by measurement, so that both sides see the same
# machine (the cores are shared with other work).
for rep in $(seq "$REPEAT"); do
  for rate in $SAT_RATES; do
    for t in $ACTIVE; do chat "$t" saturation "$rate"; done
  done
  for rate in $LAT_RATES; do
    for t in $ACTIVE; do chat "$t" latency "$rate"; done
  done
done
for t in $ACTIVE; do stop_target "$t"; done

# Idle sockets: each on a freshly started server (a grown heap distorts per-socket memory).
SW_DATA="$DATA/samwaad"
if ((IDLE_CONNS > 0)); then
  for rep in $(seq "$REPEAT"); do
    for t in $ACTIVE; do
      start_target "$t" || continue
      if [[ "$t" == baseline ]]; then  # its users died with the previous process
        "$LOADGEN" signup --port "$BASE_PORT" --users "$IDLE_USERS" --cache "$(cache_of "$t")" >&2
      fi
      log "$t: $IDLE_CONNS idle sockets over $IDLE_SRC"
      run_loadgen idle --json --label "$t:idle" --port "$(port_of "$t")" --cache "$(cache_of "$t")" \
        --server-pid "$(pid_of "$t")" --conns "$IDLE_CONNS" --users "$IDLE_USERS" --procs "$IDLE_PROCS" \
        --src "$IDLE_SRC" --settle 3
      stop_target "$t"
    done
  done
fi

node "$BENCH/report.js" "$OUT"
log "raw results: $OUT"
