#!/bin/bash
# Server CPU per echoed message split into user and kernel time (/proc/PID/stat utime, stime),
# servers run in turn, ROUNDS rounds, C loadgen 64 B depth 1. User time is what a change of the
# server's own code moves; kernel time mostly follows the load of the box (batching).
# usage: echo-cpu-split.sh CONNS NAME="CMD with {port}" ...   env: ROUNDS (5), SECS (4), PORT_BASE (26300)
# Needs the independent C loadgen (not part of this repository) where profile-echo.sh says.
set -u
conns=$1; shift
L=${PIPECHAT_TOOLS_DIR:-${TMPDIR:-/tmp}/pipechat-tools/$(id -u)}/build
port=${PORT_BASE:-26300}
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
echo "| round | server | conns | msgs/s | user µs/msg | kernel µs/msg | total µs/msg | other CPU % |"
echo "|--:|---|--:|--:|--:|--:|--:|--:|"
for round in $(seq "${ROUNDS:-5}"); do
  for spec in "$@"; do
    name=${spec%%=*}; cmd=${spec#*=}; port=$((port + 1)); cmd=${cmd//\{port\}/$port}
    bash -c "exec $cmd" >/dev/null 2>&1 &
    spid=$!
    for _ in $(seq 100); do ss -ltnH "sport = :$port" | grep -q . && break; sleep 0.1; done
    out=$(mktemp)
    timeout 60 "$L/loadgen" echo -p "$port" -c "$conns" -s 64 -d 1 -t "${SECS:-4}" -w 1 -S "$spid" >"$out" 2>&1 &
    lg=$!
    # sample after the connects and the warm-up (~1.5 s), over SECS - 1 seconds
    for _ in $(seq 100); do grep -q . <(ss -tnH state established "sport = :$port" | head -1) && break; sleep 0.05; done
    sleep 1.5
    read -r u0 s0 < <(ticks "$spid"); t0=$(date +%s.%N)
    sleep $(( ${SECS:-4} - 1 ))
    read -r u1 s1 < <(ticks "$spid"); t1=$(date +%s.%N)
    wait "$lg"
    kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
    rate=$(grep -o 'msgs_per_s=[0-9.]*' "$out" | cut -d= -f2); other=$(grep -o 'other_cpu_pct=[0-9.]*' "$out" | cut -d= -f2)
    awk -v r="$rate" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v t0="$t0" -v t1="$t1" -v hz="$hz" -v n="$name" -v c="$conns" -v o="$other" -v k="$round" \
      'BEGIN { m = r * (t1 - t0); printf "| %d | %s | %d | %.0f | %.2f | %.2f | %.2f | %s |\n", k, n, c, r, u / hz * 1e6 / m, s / hz * 1e6 / m, (u + s) / hz * 1e6 / m, o }'
    rm -f "$out"
  done
done
