# shellcheck shell=bash
# Shell helpers shared by the benchmark scripts (run.sh, ab.sh): sourced, not run.
# Everything stays on 127.0.0.0/8.

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

alive() {  # running, not a zombie waiting to be reaped
  local st
  st="$(sed -e 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" || return 1
  [[ -n "$st" && "$st" != Z ]]
}
stop_pid() {  # stop_pid PID [GRACE_TENTHS]: TERM, wait (default 10 s), then KILL
  local pid="$1" grace="${2:-100}"
  [[ -z "$pid" ]] && return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq "$grace"); do
    if ! alive "$pid"; then wait "$pid" 2>/dev/null || true; return 0; fi
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true  # reap it, so its port is free again
}
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_socketio() {  # wait_socketio PORT PID: true once /socket.io/ answers an Engine.IO open packet
  local port="$1" pid="$2"
  for _ in $(seq 150); do
    alive "$pid" || return 1
    if curl -s -m 2 "http://127.0.0.1:$port/socket.io/?EIO=4&transport=polling" | grep -q '^0{"sid"'; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
wait_machine_quiet() {  # until the whole machine is < 10 % of a core busy over 0.5 s
  # (the last run's dirty database pages being written back, say), at most 15 s
  local a b
  sync
  for _ in $(seq 30); do
    a="$(busy_ticks)"
    sleep 0.5
    b="$(busy_ticks)"
    ((b - a <= 5)) && return 0
  done
  log "    the machine is still busy after 15 s"
}
