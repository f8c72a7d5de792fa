#!/bin/bash
# Idle RSS of a native pipechat, split by what the pages are (docs/measurements.md, native footprint).
# usage: rss-split.sh BINARY
# Starts "BINARY echo --port 0", waits for the ready line (10 s at most) and 1 s more, reads
# /proc/PID/smaps_rollup and /proc/PID/smaps, prints a Markdown table, then stops the server.
# Parts: the binary's code, read-only data and rw data (file-backed); .hydrated, the anonymous
# mapping right after the binary's rw data (type data the runtime writes at start); GC heap: other
# anonymous mappings holding 1 MiB or more (the regions start-up allocates in); the rest.
set -euo pipefail
bin=$(readlink -f "$1")
out=$(mktemp)
"$bin" echo --port 0 >"$out" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.1; done
grep -q listening "$out" || { echo "no ready line from $bin" >&2; exit 1; }
sleep 1
echo "## $bin"
grep -E "^(Rss|Anonymous|Private_Clean|Shared_Clean|Private_Dirty):" /proc/$pid/smaps_rollup | tr -s ' ' | paste -sd' '
python3 - "$pid" "$bin" <<'PY'
import sys
pid, binary = sys.argv[1], sys.argv[2]
maps = []  # [perms, path, rss KiB]
for line in open(f"/proc/{pid}/smaps"):
    f = line.split()
    if "-" in f[0] and not f[0].endswith(":"):
        maps.append([f[1], f[5] if len(f) > 5 else "", 0])
    elif f[0] == "Rss:":
        maps[-1][2] = int(f[1])
parts = {}
def add(key, kib): parts[key] = parts.get(key, 0) + kib
for i, (perms, path, rss) in enumerate(maps):
    if path == binary:
        add({"r-xp": "binary code touched", "r--p": "binary read-only data"}.get(perms, "binary rw data"), rss)
    elif path == "" and i > 0 and maps[i - 1][1] == binary and maps[i - 1][0] == "rw-p":
        add(".hydrated (anonymous, written at start)", rss)
    elif path == "" and perms == "rw-p" and rss >= 1024:
        add("GC heap (anonymous regions)", rss)
    elif any(lib in path for lib in ("/libc.", "/libm.", "/ld-linux")):
        add("libc, libm, ld.so", rss)
    else:
        add("malloc heap, thread stacks, runtime data, other", rss)
print("| part | RSS |\n|---|--:|")
for key, kib in sorted(parts.items(), key=lambda kv: -kv[1]):
    print(f"| {key} | {kib / 1024:.1f} MiB |")
print(f"| total | {sum(parts.values()) / 1024:.1f} MiB |")
PY
grep Threads /proc/$pid/status
