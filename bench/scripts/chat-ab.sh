#!/usr/bin/env bash
# Interleaved A/B of chat fan-out at one load: each round runs every configuration in turn, each on a fresh
# server, so slow drifts of a shared box hit all of them alike; the order rotates by one each round
# (A B C, B C A, C A B, ...), as the slot in a round alone moved results by up to 15 %. Compare within a run only.
# Usage: bench/scripts/chat-ab.sh MEMBERS RATE ROUNDS CONFIG...
#   CONFIG: "default" (pipechat chat --model async), pipechat options in quotes ("--wake-coalescing-ms 0"),
#           "@/other/build/pipechat.dll [options]" (another build, e.g. from a git worktree),
#           or "ncat" (ncat --broker --chat, connects paced: -r 200, -r 60 from 1000 members).
#   RATE: lines/s of the one publisher, 0 = as fast as a 16-line window allows.
# Env: SECS (measured, 5), WARMUP (5), PORT (first port - 1, 25000), TLS_CERT + TLS_KEY (PEM: every run over TLS).
# Needs the independent C load generator, which is not part of this repository: TOOLS names the folder
# holding loadgen/; without it chat-lib.sh stops with a message.
# Prints one line per run: delivered lines/s, p50/p99 µs, server CPU %, gaps/dups, other CPU % (noise);
# then, per configuration, the medians over the rounds and their ratios to ncat (else to the last configuration):
# the ratio of the medians, and the median of the ratios within each round (steadier when the box has slow phases).
# Example: bench/scripts/chat-ab.sh 1000 500 2 default "--wake-coalescing-ms 0" ncat
set -uo pipefail
[[ $# -ge 4 ]] || { sed -n 2,16p "$0"; exit 2; }
# shellcheck source=chat-lib.sh
source "$(cd "$(dirname "$0")" && pwd)/chat-lib.sh"
export WARMUP=${WARMUP:-5}
m=$1 rate=$2 rounds=$3; shift 3
port=${PORT:-25000}
runs_log=$(mktemp)
# start CFG PORT: the configuration's server on PORT.
start() {
  if [[ $1 == ncat ]]; then
    serve "$2" "${ncat_server[@]}" "$2"
  else
    local args=() build=$dll
    [[ $1 == default ]] || read -ra args <<<"$1"
    if [[ ${args[0]:-} == @* ]]; then build=${args[0]#@}; args=("${args[@]:1}"); fi
    capacity_args "$build"
    serve "$2" dotnet "$build" chat --model async "${cap[@]}" "${args[@]}" "${tls_args[@]}" --port "$2"
  fi
}
configs=("$@")
for round in $(seq 1 "$rounds"); do
  shift_by=$(( (round - 1) % ${#configs[@]} ))
  for cfg in "${configs[@]:shift_by}" "${configs[@]:0:shift_by}"; do
    # A port in the ephemeral range may be held by a client socket (a big room's, lingering): try the next ones.
    started=0
    for _ in 1 2 3; do
      port=$((port + 1))
      if start "$cfg" "$port"; then started=1; break; fi
    done
    [[ $started == 1 ]] || { echo "round=$round cfg=\"$cfg\": server did not start" >&2; continue; }
    chat_load "$port" "$m" "$rate" $([[ $cfg == ncat ]] && echo 1 || echo 0)
    unserve
    echo "round=$round cfg=\"$cfg\" members=$m rate=$rate delivered=$(get delivered_per_s) p50=$(get p50_us) p99=$(get p99_us) cpu=$(get srv_cpu_pct) gaps=$(get gaps) dups=$(get dups) errors=$(get errors) other=$(get other_cpu_pct)"
  done
done | tee "$runs_log"
python3 "$(dirname "$0")/chat-ab-medians.py" <"$runs_log"
rm -f "$runs_log"
