#!/bin/bash
# Idle connections' RSS per connection by kind of memory (smaps-by-kind.py: GC heap, malloc, stacks,
# files): one server, RSS after one warm-up connection, then while N idle connections (C loadgen
# `conns`, each confirmed by a 16 B echo) are held; with GCDUMP=PATH-TO-dotnet-gcdump also after a
# forced full GC (dotnet-gcdump collect), and the live objects per type (heap-by-type.txt).
# usage: idle-breakdown.sh NAME PORT TLS(0|1) N CMD...   (CMD listens on 127.0.0.1:PORT)
# env: OUT (folder for the files, default ${TMPDIR:-/tmp}/idle-breakdown), GCDUMP
# Needs the independent C loadgen (not part of this repository) where profile-echo.sh says.
set -u
name=$1 port=$2 tls=$3 n=$4; shift 4
here=$(cd "$(dirname "$0")" && pwd)
L=${PIPECHAT_TOOLS_DIR:-${TMPDIR:-/tmp}/pipechat-tools/$(id -u)}/build
out=${OUT:-${TMPDIR:-/tmp}/idle-breakdown}/$name; mkdir -p "$out"
T=""; [ "$tls" = 1 ] && T="--tls"
kinds() { python3 "$here/smaps-by-kind.py" "$1"; }
setsid bash -c "exec $*" > "$out/server.log" 2>&1 &
spid=$!
for _ in $(seq 150); do ss -Htln "sport = :$port" | grep -q . && break; sleep 0.2; done
pid=$(ss -Htlnp "sport = :$port" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
timeout 20 "$L/loadgen" conns -p "$port" -c 1 -s 16 -t 1 $T > /dev/null 2>&1
sleep 1
before=$(kinds "$pid")
timeout 300 "$L/loadgen" conns -p "$port" -c "$n" -s 16 -t 90 -m 16 $T > "$out/loadgen.out" 2> "$out/loadgen.err" &
lg=$!
for _ in $(seq 900); do [ "$(ss -Htn state established "sport = :$port" | wc -l)" -ge "$n" ] && break; sleep 0.2; done
sleep 3
holding=$(kinds "$pid")
gc="{}"
if [ -n "${GCDUMP:-}" ]; then
  timeout 120 "$GCDUMP" collect -p "$pid" -o "$out/heap.gcdump" > "$out/gcdump.log" 2>&1
  sleep 1
  gc=$(kinds "$pid")
  timeout 120 "$GCDUMP" report "$out/heap.gcdump" 2>&1 | grep -E "^ +[0-9,]+ +[0-9,]+ " |
    awk '{b=$1; gsub(",","",b); c=$2; gsub(",","",c); $1=""; $2=""; printf "%d %d %d %s\n", b*c, b, c, $0}' | sort -rn > "$out/heap-by-type.txt"
fi
est=$(ss -Htn state established "sport = :$port" | wc -l)
kill "$lg" 2>/dev/null; wait "$lg" 2>/dev/null
kill -TERM -- "-$spid" 2>/dev/null; sleep 2; kill -KILL -- "-$spid" 2>/dev/null
python3 - "$name" "$est" "$before" "$holding" "$gc" <<'P'
import json, sys
name, est = sys.argv[1], int(sys.argv[2])
b, h, g = (json.loads(x) for x in sys.argv[3:])
keys = ["total", "gc_heap", "malloc", "stacks", "files"]
line = lambda s: " ".join(f"{k}={(s[k] - b[k]) / est:.2f}" for k in keys)
print(f"{name}: {est} connections, KiB per connection holding: {line(h)}")
if g:
    print(f"{name}: {est} connections, KiB per connection after a full GC: {line(g)}")
P
