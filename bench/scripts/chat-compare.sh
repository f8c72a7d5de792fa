#!/usr/bin/env bash
# Chat fan-out side by side in one run: pipechat async, pipechat threads and ncat --broker --chat,
# 1 publisher as fast as the window allows (or RATE lines/s), N members, with and without one stalled member.
# Everything on 127.0.0.1, every run bounded (loadgen deadlines, timeout on servers).
# Needs the independent C load generator, which is not part of this repository: TOOLS names the folder
# holding loadgen/; without it chat-lib.sh stops with a message.
# Usage: bench/scripts/chat-compare.sh [MEMBERS...]   (default: 100 1000)
# Env: SECS (measured seconds, 5), WARMUP (1), RATE (lines/s of the publisher, 0 = as fast as possible),
#      STALLS ("0 1": runs without and with a stalled member), SERVERS ("async threads ncat";
#      also async-saea: the async model on the runtime's SocketAsyncEventArgs instead of epoll),
#      ARGS (extra pipechat options, e.g. "--wake-coalescing-ms 0"), PORT_BASE (24100).
# server µs/line = server CPU time per delivered line (CPU % of one core × 10^4 ÷ delivered lines/s).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=chat-lib.sh
source "$here/chat-lib.sh"
members=("${@:-100 1000}")
# shellcheck disable=SC2206
members=(${members[*]})
secs=${SECS:-5}
export WARMUP=${WARMUP:-1}  # seconds after the connects, not measured (the join-notice storm of N members drains here)
port=${PORT_BASE:-24100}

start_server() { # name port
  local args=()
  read -ra args <<<"${ARGS:-}"
  case $1 in
    async|threads) serve "$2" dotnet "$dll" chat --model "$1" "${cap[@]}" "${args[@]}" "${tls_args[@]}" --port "$2" ;;
    async-saea) serve "$2" dotnet "$dll" chat --model async --io saea "${cap[@]}" "${args[@]}" "${tls_args[@]}" --port "$2" ;;
    ncat) serve "$2" "${ncat_server[@]}" "$2" ;;
  esac || { echo "server $1 did not start" >&2; return 1; }
}

capacity_args "$dll"
echo "pipechat flood limit: ${cap[*]:-none in this build (no --max-line-rate)}"
echo
echo "| server | members | stalled | delivered lines/s | p50 µs | p99 µs | gaps/dups | errors | server CPU % | server µs/line | server RSS MiB |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
for m in "${members[@]}"; do
  for stalled in ${STALLS:-0 1}; do
    for server in ${SERVERS:-async threads ncat}; do
      port=$((port + 1))
      start_server "$server" "$port" || continue
      if [[ $stalled == 1 ]]; then python3 "$here/stall_client.py" "$port" $((secs + 30)) & staller=$!; fi
      chat_load "$port" "$m" "${RATE:-0}" $([[ $server == ncat ]] && echo 1 || echo 0)
      [[ $stalled == 1 ]] && kill "$staller" 2>/dev/null
      unserve
      rss=$(get srv_rss_kb); rss=$(awk -v k="${rss:-0}" 'BEGIN{printf "%.1f", k/1024}')
      per_line=$(awk -v c="$(get srv_cpu_pct)" -v r="$(get delivered_per_s)" 'BEGIN{if (r > 0) printf "%.2f", c * 10000 / r; else print "-"}')
      echo "| $server | $m | $stalled | $(get delivered_per_s) | $(get p50_us) | $(get p99_us) | $(get gaps)/$(get dups) | $(get errors) | $(get srv_cpu_pct) | $per_line | $rss |"
      echo "$server m=$m stalled=$stalled $out" >&2
    done
  done
done
