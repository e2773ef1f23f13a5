#!/usr/bin/env python3
"""notify_listen.py - stands in for systemd's NOTIFY_SOCKET in tests.

Usage: notify_listen.py SOCKET_PATH LOG_FILE SECONDS
Binds a datagram socket at SOCKET_PATH and appends every message to LOG_FILE,
one per line (newlines inside a message become spaces), until SECONDS pass.
"""
import os
import socket
import sys
import time

path, log, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
deadline = time.monotonic() + seconds
with open(log, "a", buffering=1, encoding="utf-8") as out:
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            msg = s.recv(4096)
        except socket.timeout:
            break
        out.write(msg.decode("utf-8", "replace").replace("\n", " ") + "\n")
os.unlink(path)
