#!/usr/bin/env bash
# Single chat node against a two-node cluster over NATS, in the same run, alternating, ROUNDS rounds
# (docs/measurements.md, "Cluster"). Needs nats-server and a published pipechat (PIPECHAT, default the
# native build in /tmp/cl-native) and the load harness built (dotnet build loadtests/PipeChat.LoadTests).
# Usage: bench/cluster/measure.sh RATE DURATION ROUNDS [MEMBERS]   e.g. bench/cluster/measure.sh 500 10s 3
# RATE max: the publisher sends as fast as possible with WINDOW (default 16) lines unread on every node.
# Ports: PORT_BASE (default 17300) .. +20. Prints one line per run: setup, delivered/s, p50/p99, lost,
# CPU seconds of each pipechat process and of nats-server over the run, the box's load average.
set -euo pipefail
RATE=${1:-500}; DURATION=${2:-10s}; ROUNDS=${3:-3}; MEMBERS=${4:-1000}
if [ "$RATE" = max ]; then PACE="--window ${WINDOW:-16}"; else PACE="--rate $RATE"; fi
BASE=${PORT_BASE:-17300}
PIPECHAT=${PIPECHAT:-/tmp/cl-native/pipechat}
HARNESS="dotnet $(cd "$(dirname "$0")/../.." && pwd)/loadtests/PipeChat.LoadTests/bin/Debug/net10.0/PipeChat.LoadTests.dll"
WORK=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
start() { "$@" >"$WORK/$BASHPID.out" 2>&1 & pids+=($!); }

nats-server -js -a 127.0.0.1 -p $((BASE+20)) -sd "$WORK/js" >"$WORK/nats.log" 2>&1 & NATS=$!; pids+=($NATS)
sleep 0.5
"$PIPECHAT" chat --port $((BASE+1)) --max-line-rate 0 >/dev/null 2>"$WORK/single.err" & SINGLE=$!; pids+=($SINGLE)
"$PIPECHAT" chat --port $((BASE+11)) --max-line-rate 0 --cluster nats://127.0.0.1:$((BASE+20)) >/dev/null 2>"$WORK/a.err" & A=$!; pids+=($A)
"$PIPECHAT" chat --port $((BASE+12)) --max-line-rate 0 --cluster nats://127.0.0.1:$((BASE+20)) >/dev/null 2>"$WORK/b.err" & B=$!; pids+=($B)
sleep 1.5
hz=$(getconf CLK_TCK)

run() { # name, harness target args, pids to time
  local name=$1 target=$2; shift 2
  local before=() p
  for p in "$@"; do before+=("$(ticks "$p")"); done
  local out
  out=$(timeout 300 $HARNESS run --scenario chat --conns "$MEMBERS" --publishers 1 $PACE --duration "$DURATION" --progress Off --out "$WORK/rep" $target 2>&1)
  local cpu="" i=0
  for p in "$@"; do cpu+=" $(awk -v a="${before[$i]}" -v b="$(ticks "$p")" -v hz="$hz" 'BEGIN{printf "%.1f", (b-a)/hz}')"; i=$((i+1)); done
  local rps p50 p99 lost
  rps=$(grep -o 'lines delivered/s [0-9.]*' <<<"$out" | awk '{print $3}')
  p50=$(grep -o 'p50 [0-9.]*' <<<"$out" | awk '{print $2}')
  p99=$(grep -o ' p99 [0-9.]*' <<<"$out" | awk '{print $2}')
  lost=$(grep -o ' lost [0-9]*' <<<"$out" | tail -1 | awk '{print $2}')
  echo "| $name | $RATE | $rps | $p50 | $p99 | $lost |$cpu | $(cut -d' ' -f1 /proc/loadavg) |"
}

echo "| setup | lines/s offered | delivered/s | p50 ms | p99 ms | lost | CPU s (nodes, nats) | load avg |"
echo "|---|---|---|---|---|---|---|---|"
for r in $(seq 1 "$ROUNDS"); do
  run "1 node × $MEMBERS" "--target 127.0.0.1:$((BASE+1))" $SINGLE
  run "2 nodes × $((MEMBERS/2))" "--targets 127.0.0.1:$((BASE+11)),127.0.0.1:$((BASE+12))" $A $B $NATS
done
