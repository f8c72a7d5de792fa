#!/usr/bin/env bash
# Echo servers side by side with the slot order rotated: the independent echo-compare tool runs its
# servers in the order given, every round, and the slot alone moved results by up to 15 % (our build
# measured 0.84x a copy of itself in the first slot). This runs echo-compare once per round, one round
# each, the servers rotated by one each time (A B C, B C A, C A B, ...), then prints per server and
# connection count the medians over the rounds, their ratios to the first server given, and the median
# of the ratios within each round (the steadier figure when the box has slow phases).
# Usage: bench/scripts/echo-ab.sh ROUNDS SERVER SERVER...   (SERVER as echo-compare takes it: name="cmd {port}", epoll, kestrel)
#   e.g. bench/scripts/echo-ab.sh 5 now="dotnet /tmp/now/pipechat.dll echo --model async --port {port}" epoll kestrel
# Env: CONNS ("50 500 2000"), SECS (3), PORT (first port base, 27000), ECHO_COMPARE (the tool, not part
# of this repository; default $TOOLS/echo-compare). Needs python3.
set -uo pipefail
[[ $# -ge 3 ]] || { sed -n 2,11p "$0"; exit 2; }
tool=${ECHO_COMPARE:-${TOOLS:+$TOOLS/echo-compare}}
[[ -n $tool && -x $tool ]] || { echo "echo-ab.sh: needs the independent echo-compare tool (not part of this repository): set ECHO_COMPARE or TOOLS" >&2; exit 2; }
rounds=$1; shift
servers=("$@")
port=${PORT:-27000}
tables=$(mktemp)
trap 'rm -f "$tables"' EXIT
for round in $(seq 1 "$rounds"); do
  k=$(( (round - 1) % ${#servers[@]} ))
  order=("${servers[@]:k}" "${servers[@]:0:k}")
  echo "## round $round/$rounds: ${order[*]%%=*}" >&2
  "$tool" --conns "${CONNS:-50 500 2000}" --secs "${SECS:-3}" --rounds 1 --port-base "$port" "${order[@]}" 2>&1 |
    grep -E '^\| [^-]' | grep -v '^| server ' | sed "s/^/round=$round /" | tee -a "$tables" >&2
  port=$((port + 50))
done
first=${servers[0]%%=*}
python3 - "$first" "$tables" <<'PY'
import statistics, sys
first, path = sys.argv[1], sys.argv[2]
runs = {}  # (server, conns) -> [(msgs/s, µs/msg, other CPU %)]
by_round = {}  # (round, server, conns) -> (msgs/s, µs/msg)
for line in open(path):
    cells = [c.strip() for c in line.split("|")]
    # round=N | server | conns | msgs/s | vs first | p99 µs | RSS | threads | CPU % | µs/msg | loadgen CPU % | other CPU % | errors | runs ok |
    server, conns, rate, us, other = cells[1], int(cells[2]), float(cells[3]), float(cells[9]), float(cells[11])
    runs.setdefault((server, conns), []).append((rate, us, other))
    by_round[(cells[0], server, conns)] = (rate, us)
servers = list(dict.fromkeys(s for s, _ in runs))
conns = sorted({c for _, c in runs})
med = {k: (statistics.median(r for r, _, _ in v), statistics.median(u for _, u, _ in v), max(o for _, _, o in v), len(v)) for k, v in runs.items()}
def paired(s, c, i):
    # The median over rounds of the ratio within each round: a slow phase of the box (it lasts minutes)
    # hits both servers of a round alike, and drops out of the ratio.
    ratios = [by_round[(r, first, c)][i] / by_round[(r, s, c)][i] for (r, s2, c2) in by_round if s2 == s and c2 == c and (r, first, c) in by_round]
    return f"{statistics.median(ratios):.2f}" if ratios else "-"
print(f"\n| server | conns | rounds | msgs/s | µs/msg | {first} msgs/s ÷ this (medians; per round) | {first} µs/msg ÷ this (medians; per round) | other CPU % (max) |")
print("|---|--:|--:|--:|--:|--:|--:|--:|")
for c in conns:
    for s in servers:
        if (s, c) not in med:
            continue
        rate, us, other, n = med[(s, c)]
        base = med.get((first, c))
        r1 = f"{base[0] / rate:.2f}; {paired(s, c, 0)}" if base and s != first else "-"
        r2 = f"{base[1] / us:.2f}; {paired(s, c, 1)}" if base and s != first else "-"
        print(f"| {s} | {c} | {n} | {rate:,.0f} | {us:.2f} | {r1} | {r2} | {other:.0f} |")
PY
