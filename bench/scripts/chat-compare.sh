#!/usr/bin/env bash
# Chat fan-out side by side in one run: pipechat async, pipechat threads and ncat --broker --chat,
# 1 publisher as fast as the window allows (or RATE lines/s), N members, with and without one stalled member.
# Everything on 127.0.0.1, every run bounded (loadgen deadlines, timeout on servers).
# Usage: bench/scripts/chat-compare.sh [MEMBERS...]   (default: 100 1000)
# Env: SECS (measured seconds, 5), WARMUP (1), RATE (lines/s of the publisher, 0 = as fast as possible),
#      STALLS ("0 1": runs without and with a stalled member), SERVERS ("async threads ncat";
#      also async-saea: the async model on the runtime's SocketAsyncEventArgs instead of epoll),
#      ARGS (extra pipechat options, e.g. "--wake-coalescing-ms 2").
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tools=${TOOLS:-$root/../shared/tools}
make -s -C "$tools/loadgen" >/dev/null
lg=${PIPECHAT_TOOLS_DIR:-${TMPDIR:-/tmp}/pipechat-tools/$(id -u)}/build/loadgen
dll=$root/src/PipeChat.Cli/bin/Release/net10.0/pipechat.dll
[[ -f $dll ]] || dotnet build -c Release "$root/src/PipeChat.Cli" >/dev/null
members=("${@:-100 1000}")
# shellcheck disable=SC2206
members=(${members[*]})
secs=${SECS:-5}
warmup=${WARMUP:-1}  # seconds after the connects, not measured (the join-notice storm of N members drains here)
port=24100

start_server() { # name port -> sets pid
  case $1 in
    async|threads) setsid timeout 120 dotnet "$dll" chat --model "$1" --port "$2" ${ARGS:-} >/dev/null 2>&1 & ;;
    async-saea) setsid timeout 120 dotnet "$dll" chat --model async --io saea --port "$2" ${ARGS:-} >/dev/null 2>&1 & ;;
    ncat) setsid timeout 120 ncat --broker --chat --max-conns 2000 -l 127.0.0.1 "$2" >/dev/null 2>&1 & ;;
  esac
  launcher=$!
  for _ in $(seq 1 100); do
    pid=$(ss -ltnpH "sport = :$2" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
    [[ -n $pid ]] && return 0
    sleep 0.1
  done
  echo "server $1 did not start" >&2; return 1
}

echo "| server | members | stalled | delivered lines/s | p50 µs | p99 µs | gaps/dups | errors | server CPU % | server RSS MiB |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
for m in "${members[@]}"; do
  for stalled in ${STALLS:-0 1}; do
    for server in ${SERVERS:-async threads ncat}; do
      port=$((port + 1))
      start_server "$server" "$port" || continue
      if [[ $stalled == 1 ]]; then python3 "$here/stall_client.py" "$port" $((secs + 30)) & staller=$!; fi
      # ncat's backlog is small and it announces every join to everyone: pace its connects,
      # slower for big rooms so they fit loadgen's 25 s connect phase.
      rate=(); [[ $server == ncat ]] && rate=(-r $(( m >= 1000 ? 60 : 200 )))
      out=$("$lg" chat -p "$port" -c "$m" -P 1 -R "${RATE:-0}" -W 16 -t "$secs" -w "$warmup" -S "$pid" "${rate[@]}" 2>/dev/null | grep '^RESULT')
      [[ $stalled == 1 ]] && kill "$staller" 2>/dev/null
      kill -TERM -- -"$launcher" 2>/dev/null; kill -TERM "$pid" 2>/dev/null; wait "$launcher" 2>/dev/null
      get() { grep -o "$1=[^ ]*" <<<"$out" | head -1 | cut -d= -f2; }
      rss=$(get srv_rss_kb); rss=$(awk -v k="${rss:-0}" 'BEGIN{printf "%.1f", k/1024}')
      echo "| $server | $m | $stalled | $(get delivered_per_s) | $(get p50_us) | $(get p99_us) | $(get gaps)/$(get dups) | $(get errors) | $(get srv_cpu_pct) | $rss |"
      echo "$server m=$m stalled=$stalled $out" >&2
    done
  done
done
