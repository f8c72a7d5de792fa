#!/usr/bin/env bash
# The chat targets of issue #19 in one run, builds side by side with ncat (interleaved rounds, medians, ratios to ncat):
# 100 and 1000 members as fast as a 16-line window allows (target: >= 1.2x / 1.5x ncat's lines/s), and
# 100 members x 5000 lines/s (target: p99 <= ncat's, server CPU <= 0.8x ncat's).
# Usage: bench/scripts/chat-targets.sh [BUILD.dll ...]   (default: this clone's Release build)
#   e.g. bench/scripts/chat-targets.sh /tmp/before/pipechat.dll /tmp/after/pipechat.dll
# Env: ROUNDS (3), SECS (5), WARMUP (2), PORT (first port - 1, 26000), TOOLS (folder holding loadgen/), as chat-ab.sh.
# About 3 loads x ROUNDS x (builds + 1) runs of ~10 s: 4-5 min for two builds.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
builds=("$@")
[[ ${#builds[@]} -gt 0 ]] || builds=("$here/../../src/PipeChat.Cli/bin/Release/net10.0/pipechat.dll")
configs=()
for b in "${builds[@]}"; do configs+=("@$b"); done
configs+=(ncat)
export SECS=${SECS:-5} WARMUP=${WARMUP:-2}
port=${PORT:-26000}
for load in "100 0" "1000 0" "100 5000"; do
  read -r members rate <<<"$load"
  echo "## $members members, $([[ $rate == 0 ]] && echo 'as fast as possible' || echo "$rate lines/s")"
  PORT=$port "$here/chat-ab.sh" "$members" "$rate" "${ROUNDS:-3}" "${configs[@]}"
  port=$((port + 100))
  echo
done
