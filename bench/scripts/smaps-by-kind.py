#!/usr/bin/env python3
"""RSS of a process by kind of memory, in KiB, as one JSON line: usage: smaps-by-kind.py PID

gc_heap:  anonymous reservations of 1 GiB or more (the .NET GC's regions)
malloc:   glibc malloc: [heap] (main arena) and every other anonymous mapping (thread arenas are
          64 MiB-aligned heaps; OpenSSL's and the runtime's native allocations live there)
stacks:   thread stacks (8 MiB + guard reservations) and [stack]
files:    file-backed mappings (code, data of the executable and its libraries)
"""
import json
import re
import sys

maps, cur = [], None
for line in open(f"/proc/{sys.argv[1]}/smaps"):
    m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$", line)
    if m:
        cur = dict(start=int(m[1], 16), end=int(m[2], 16), path=m[4].strip(), rss=0)
        maps.append(cur)
    elif line.startswith("Rss:"):
        cur["rss"] = int(line.split()[1])

# Contiguous anonymous mappings form one reservation (committed parts and PROT_NONE rest).
groups = []
for mp in maps:
    anon = mp["path"] == ""
    if anon and groups and groups[-1]["anon"] and groups[-1]["end"] == mp["start"]:
        groups[-1]["end"] = mp["end"]
        groups[-1]["rss"] += mp["rss"]
    else:
        groups.append(dict(anon=anon, start=mp["start"], end=mp["end"], rss=mp["rss"], path=mp["path"]))

out = dict(gc_heap=0, malloc=0, stacks=0, files=0)
for g in groups:
    size = g["end"] - g["start"]
    if not g["anon"]:
        kind = "malloc" if g["path"] == "[heap]" else "stacks" if g["path"].startswith("[stack") else "files"
    elif size >= 1 << 30:
        kind = "gc_heap"
    elif abs(size - (8 << 20) - 4096) <= 4096:
        kind = "stacks"
    else:
        kind = "malloc"
    out[kind] += g["rss"]
out["total"] = sum(out.values())
print(json.dumps(out))
