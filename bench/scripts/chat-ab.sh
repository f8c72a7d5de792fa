#!/usr/bin/env bash
# Interleaved A/B of chat fan-out at one load: each round runs every configuration in turn (A B C A B C ...),
# each on a fresh server, so slow drifts of a shared box hit all of them alike. Compare within a run only.
# Usage: bench/scripts/chat-ab.sh MEMBERS RATE ROUNDS CONFIG...
#   CONFIG: "default" (pipechat chat --model async), pipechat options in quotes ("--wake-coalescing-ms 0"),
#           "@/other/build/pipechat.dll [options]" (another build, e.g. from a git worktree),
#           or "ncat" (ncat --broker --chat, connects paced: -r 200, -r 60 from 1000 members).
#   RATE: lines/s of the one publisher, 0 = as fast as a 16-line window allows.
# Env: SECS (measured, 5), WARMUP (5), PORT (first port - 1, 25000).
# Prints one line per run: delivered lines/s, p50/p99 µs, server CPU %, gaps/dups, other CPU % (noise).
# Example: bench/scripts/chat-ab.sh 1000 500 2 default "--wake-coalescing-ms 0" ncat
set -uo pipefail
[[ $# -ge 4 ]] || { sed -n 2,11p "$0"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tools=${TOOLS:-$root/../shared/tools}
make -s -C "$tools/loadgen" >/dev/null
lg=${PIPECHAT_TOOLS_DIR:-${TMPDIR:-/tmp}/pipechat-tools/$(id -u)}/build/loadgen
dll=$root/src/PipeChat.Cli/bin/Release/net10.0/pipechat.dll
[[ -f $dll ]] || dotnet build -c Release "$root/src/PipeChat.Cli" >/dev/null
m=$1 rate=$2 rounds=$3; shift 3
port=${PORT:-25000}
for round in $(seq 1 "$rounds"); do
  for cfg in "$@"; do
    port=$((port + 1))
    pace=()
    if [[ $cfg == ncat ]]; then
      setsid timeout 150 ncat --broker --chat --max-conns 2000 -l 127.0.0.1 "$port" >/dev/null 2>&1 &
      pace=(-r $(( m >= 1000 ? 60 : 200 )))
    else
      args=(); [[ $cfg == default ]] || read -ra args <<<"$cfg"
      build=$dll
      if [[ ${args[0]:-} == @* ]]; then build=${args[0]#@}; args=("${args[@]:1}"); fi
      setsid timeout 150 dotnet "$build" chat --model async --port "$port" "${args[@]}" >/dev/null 2>&1 &
    fi
    launcher=$! pid=
    for _ in $(seq 1 100); do
      pid=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
      [[ -n $pid ]] && break
      sleep 0.1
    done
    [[ -n $pid ]] || { echo "round=$round cfg=\"$cfg\": server did not start" >&2; kill -TERM -- -"$launcher" 2>/dev/null; continue; }
    out=$("$lg" chat -p "$port" -c "$m" -P 1 -R "$rate" -W 16 -t "${SECS:-5}" -w "${WARMUP:-5}" -S "$pid" "${pace[@]}" 2>/dev/null | grep '^RESULT')
    kill -TERM -- -"$launcher" 2>/dev/null; kill -TERM "$pid" 2>/dev/null; wait "$launcher" 2>/dev/null
    get() { grep -o " $1=[^ ]*" <<<"$out" | head -1 | cut -d= -f2; }
    echo "round=$round cfg=\"$cfg\" members=$m rate=$rate delivered=$(get delivered_per_s) p50=$(get p50_us) p99=$(get p99_us) cpu=$(get srv_cpu_pct) gaps=$(get gaps) dups=$(get dups) errors=$(get errors) other=$(get other_cpu_pct)"
  done
done
