#!/usr/bin/env python3
"""Start-up time and idle memory of a pipechat build: time from exec to the ready line, then RSS.

usage: startup.py [--runs 20] NAME=COMMAND [NAME=COMMAND ...]
COMMAND is run with '--port 0' appended; each run is bounded (10 s) and the server is stopped with
SIGTERM. Prints, per build: median and min/max start-up in ms, and median RSS (VmRSS) one second
after the ready line. Runs of the builds are interleaved so that a busy moment hits all of them.
"""
import os, shlex, signal, statistics, subprocess, sys, time

def one(command):
    start = time.perf_counter()
    p = subprocess.Popen(shlex.split(command) + ["--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = start + 10
        line = ""
        while "listening on" not in line:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"no ready line from: {command}")
            line = p.stdout.readline()
            if not line and p.poll() is not None:
                raise RuntimeError(f"exited {p.returncode}: {command}")
        ready = (time.perf_counter() - start) * 1000
        time.sleep(1)
        with open(f"/proc/{p.pid}/status") as f:
            rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024
        return ready, rss
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()

def main(argv):
    runs = 20
    if argv[:1] == ["--runs"]:
        runs, argv = int(argv[1]), argv[2:]
    builds = [a.split("=", 1) for a in argv]
    if not builds or any(len(b) != 2 for b in builds):
        sys.exit(__doc__)
    results = {name: [] for name, _ in builds}
    for _ in range(runs):
        for name, command in builds:
            results[name].append(one(command))
    print("| build | start-up median ms | min | max | idle RSS median MiB |")
    print("|---|--:|--:|--:|--:|")
    for name, rs in results.items():
        ms = [r[0] for r in rs]
        print(f"| {name} | {statistics.median(ms):.1f} | {min(ms):.1f} | {max(ms):.1f} | {statistics.median(r[1] for r in rs):.1f} |")

main(sys.argv[1:])
