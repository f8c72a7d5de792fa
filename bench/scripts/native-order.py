#!/usr/bin/env python3
"""Method order for the native binary: the methods start-up and serving run, first, so their code
shares a few pages (docs/measurements.md, "Native binary: start-up code laid out together").

usage: native-order.py BINARY OUT.order
BINARY is a native pipechat published with its symbol file beside it (BINARY.dbg). It is run under
valgrind (callgrind, every executed instruction recorded) for each scenario below: start, serve a few
lines, stop. The managed methods that ran are written to OUT.order, one mangled symbol a line:
methods every scenario ran first, then those fewer ran, each group in the binary's present order.
ILC places them first (IlcOrderFile); every other method keeps its place after them. A name the
compiler no longer produces is skipped by it, so a stale file costs memory, never correctness.
Needs valgrind and nm; takes about a minute.
"""
import bisect, os, re, shutil, socket, subprocess, sys, tempfile, time

binary, out_path = os.path.abspath(sys.argv[1]), sys.argv[2]
symbols_file = binary + ".dbg" if os.path.exists(binary + ".dbg") else binary

def section(name):
    for line in subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True, check=True).stdout.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", line)
        if m and m.group(1) == name:
            return int(m.group(2), 16), int(m.group(2), 16) + int(m.group(3), 16)
    raise SystemExit(f"no {name} section in {binary}")

code_lo, code_hi = section("__managedcode")
functions = []
for line in subprocess.run(["nm", "-n", "--defined-only", symbols_file], capture_output=True, text=True, check=True).stdout.splitlines():
    parts = line.split(None, 2)
    if len(parts) == 3 and parts[1] in "tTwW":
        address = int(parts[0], 16)
        if code_lo <= address < code_hi:
            functions.append((address, parts[2]))
functions.sort()
starts = [a for a, _ in functions]

def executed(callgrind_file):
    """Instruction addresses per object (callgrind's compressed position lines, --dump-instr=yes)."""
    names, current, address, seen = {}, None, 0, {}
    name_line = re.compile(r"^(ob|fl|fi|fe|fn|cob|cfi|cfl|cfn)=\((\d+)\)(?: (.*))?")
    for line in open(callgrind_file):
        m = name_line.match(line)
        if m:
            kind, index, name = m.groups()
            if kind in ("ob", "cob") and name:
                names[index] = name
            if kind == "ob":
                current = index
            continue
        if line[:1] in ("0", "+", "-", "*") and not line.startswith("calls"):
            token = line.split()[0]
            if token.startswith("0x"):
                address = int(token, 16)
            elif token[0] == "+":
                address += int(token[1:])
            elif token[0] == "-":
                address -= int(token[1:])
            seen.setdefault(names.get(current, "???"), set()).add(address)
    return seen

def methods(callgrind_file):
    # Valgrind names the binary only for its first code section; the managed code shows as an
    # unnamed object at the binary's load address. Take the load address at which the most
    # addresses fall on a method's first instruction.
    found = set()
    start_set = set(starts)
    for addresses in executed(callgrind_file).values():
        best, best_hits = None, 0
        for base in (0, 0x108000, 0x400000, 0x4000000):
            hits = sum(1 for a in addresses if a - base in start_set)
            if hits > best_hits:
                best, best_hits = base, hits
        if best is None:
            continue
        for a in addresses:
            a -= best
            if code_lo <= a < code_hi:
                i = bisect.bisect_right(starts, a) - 1
                if i >= 0:
                    found.add(functions[i])
    return found

def wait_line(path, text, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        with open(path) as f:
            for line in f:
                if text in line:
                    return line
        time.sleep(0.2)
    raise SystemExit(f"no '{text}' from {binary} under valgrind")

def talk(port, lines, members):
    socks = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(members)]
    for i, s in enumerate(socks):
        for n in range(lines):
            s.sendall(f"line {i} {n}\n".encode())
            s.settimeout(0.5)
            try:
                s.recv(4096)  # echo answers each line; a chat member may get nothing back
            except socket.timeout:
                pass
        time.sleep(0.2)
    for s in socks:
        s.close()

def profile(args, members):
    work = tempfile.mkdtemp(prefix="native-order-")
    try:
        # The binary and its appsettings.json, not the symbol file: valgrind's reader refuses ILC's,
        # and the symbols come from nm.
        exe = os.path.join(work, os.path.basename(binary))
        shutil.copy(binary, exe)
        settings = os.path.join(os.path.dirname(binary), "appsettings.json")
        if os.path.exists(settings):
            shutil.copy(settings, work)
        ready, result = os.path.join(work, "stdout"), os.path.join(work, "callgrind.out")
        with open(ready, "w") as stdout:
            p = subprocess.Popen(["valgrind", "--tool=callgrind", "--dump-instr=yes", f"--callgrind-out-file={result}", exe, *args, "--port", "0"],
                                 stdout=stdout, stderr=subprocess.DEVNULL)
        try:
            port = int(wait_line(ready, "listening on").rsplit(":", 1)[1])
            talk(port, 20, members)
            time.sleep(3)  # idle: timers and the event loop's wait
        finally:
            p.terminate()
            p.wait(120)
        return methods(result)
    finally:
        shutil.rmtree(work)

runs = [profile(["echo"], 2), profile(["echo", "--model", "threads"], 2), profile(["chat"], 3)]
count = {}
for run in runs:
    for function in run:
        count[function] = count.get(function, 0) + 1
ordered = sorted(count, key=lambda f: (-count[f], f[0]))
with open(out_path, "w") as f:
    for _, name in ordered:
        f.write(name + "\n")
print(f"{len(ordered)} methods ({', '.join(str(len(r)) for r in runs)} per scenario) -> {out_path}")
