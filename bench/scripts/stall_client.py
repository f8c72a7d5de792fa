#!/usr/bin/env python3
"""A chat member that connects and never reads (the stalled member of the fan-out runs).
Usage: stall_client.py PORT SECONDS   -- loopback only; exits by itself."""
import socket
import sys
import time

port, hold = int(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(10)
s.connect(("127.0.0.1", port))
time.sleep(hold)
s.close()
