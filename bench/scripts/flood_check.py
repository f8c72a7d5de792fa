#!/usr/bin/env python3
"""Flood guard check: N readers + 1 flooder against a running pipechat chat server, for a bounded time.
The flooder sends lines (or /nick renames) as fast as its non-blocking socket takes them; the readers read
everything; every 0.2 s one reader sends a line of its own and the last reader times its arrival.
Reports readers cut, lines the flooder got through (server metrics), and the worst delay of a reader's own line.
Usage: pipechat chat --port 7000 --metrics-port 7050 &
       bench/scripts/flood_check.py --port 7000 --metrics-port 7050 [--readers 50] [--seconds 5] [--nick]"""
import selectors, socket, sys, time, argparse

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=7000)
ap.add_argument("--readers", type=int, default=50)
ap.add_argument("--seconds", type=float, default=5)
ap.add_argument("--nick", action="store_true", help="flood /nick renames instead of lines")
ap.add_argument("--metrics-port", type=int, default=0, help="scrape lines relayed and members cut from the server's /metrics")
a = ap.parse_args()
addr = ("127.0.0.1", a.port)

def connect():
    s = socket.create_connection(addr, timeout=10)
    f = b""
    while b"\n" not in f:
        f += s.recv(4096)
    name = f.split(b"\n")[0].split()[-1].decode()
    s.setblocking(False)
    return s, name

readers = [connect() for _ in range(a.readers)]
flooder, fname = connect()
sel = selectors.DefaultSelector()
state = {}
for s, n in readers:
    sel.register(s, selectors.EVENT_READ, n)
    state[n] = {"buf": b"", "closed": False}
sel.register(flooder, selectors.EVENT_READ, fname)
state[fname] = {"buf": b"", "closed": False}
payload = b"".join((b"/nick fa\n/nick fb\n" if a.nick else b"flood line %d\n" % i) for i in range(500))
cut = set(); relayed = 0; lines_sent = 0; sent_at = {}; delays = []; pending = b""
t0 = time.monotonic(); next_probe = t0 + 0.2; probe = 0
end = t0 + a.seconds
while time.monotonic() < end + 2:
    now = time.monotonic()
    if now < end:
        try:
            if not pending: pending = payload
            n = flooder.send(pending); lines_sent += pending[:n].count(b"\n"); pending = pending[n:]
        except BlockingIOError:
            pass
        except OSError:
            print("flooder disconnected"); end = now
        if now >= next_probe:
            # a reader's own line: delay until another reader sees it
            s, n = readers[probe % (len(readers) - 1)]
            tag = "probe%d" % probe
            try:
                s.send((tag + "\n").encode()); sent_at[tag] = now
            except OSError: pass
            probe += 1; next_probe = now + 0.2
    for key, _ in sel.select(timeout=0 if now < end else 0.05):
        s = key.fileobj; n = key.data
        try:
            d = s.recv(1 << 16)
        except BlockingIOError:
            continue
        except OSError:
            d = b""
        if not d:
            sel.unregister(s); state[n]["closed"] = True; continue
        if n == fname:
            continue
        b = state[n]["buf"] + d
        lines = b.split(b"\n"); state[n]["buf"] = lines[-1]
        for l in lines[:-1]:
            if l.endswith(b"(too slow)"): cut.add(l)
            elif l.startswith(b"<" + fname.encode() + b">") or (a.nick and b" is now " in l):
                if n == readers[0][1]: relayed += 1
            elif l.startswith(b"<") and b"> probe" in l and n == readers[-1][1]:
                tag = l.split(b"> ")[1].decode()
                if tag in sent_at: delays.append(time.monotonic() - sent_at.pop(tag))
closed = sum(1 for s, n in readers if state[n]["closed"])
print(f"readers={a.readers} seconds={a.seconds} nick={a.nick}")
print(f"readers cut (connections closed by the server): {closed} of {a.readers}; flooder closed: {state[fname]['closed']}")
print(f"flooder lines accepted by its socket: {lines_sent} ({lines_sent / a.seconds:.0f}/s)")
if a.metrics_port:
    import urllib.request
    m = urllib.request.urlopen(f"http://127.0.0.1:{a.metrics_port}/metrics", timeout=5).read().decode()
    for l in m.splitlines():
        if l.startswith(("pipechat_chat_lines_relayed_total", "pipechat_chat_members_cut_total", "pipechat_chat_input_pauses_total")):
            print("server:", l.split("{")[0], l.split()[-1])
print(f"flooder lines seen by reader 0: {relayed} ({relayed / (a.seconds + 2):.0f}/s over the run)")
print(f"own-line delay: max {max(delays) if delays else float('nan'):.3f} s over {len(delays)} probes, {len(sent_at)} never arrived")
