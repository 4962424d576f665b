#!/usr/bin/env python3
"""Drives pylogbeat (PyPI) at a Beats listener on loopback.

usage: beats_send.py PORT COUNT WINDOW [--connections N] [--cut-first]
Sends COUNT events as windows of WINDOW events (pylogbeat compresses each window and
blocks until the server ACKs its last sequence number). With --connections N, N clients
send COUNT events each, in parallel, with distinct `client` fields. With --cut-first, a
raw socket first sends half of the first window and hangs up (no ACK can come), and then
pylogbeat sends everything: the server must deliver each event exactly once.
Prints one JSON line: {"sent": total}."""
import argparse, json, socket, struct, threading, zlib
from pylogbeat import PyLogBeatClient

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("count", type=int)
ap.add_argument("window", type=int)
ap.add_argument("--connections", type=int, default=1)
ap.add_argument("--cut-first", action="store_true")
a = ap.parse_args()


def event(client, i):
    return {"@timestamp": "2026-11-24T12:00:00.000Z", "message": f"beats {client} {i}",
            "client": client, "seq": i, "@metadata": {"beat": "pylogbeat", "version": "2.1.0"}}


def cut_window(n):
    frames = b""
    for i in range(1, n // 2 + 1):
        doc = json.dumps(event(0, i)).encode()
        frames += b"2J" + struct.pack(">II", i, len(doc)) + doc
    block = zlib.compress(frames)
    s = socket.create_connection(("127.0.0.1", a.port))
    s.sendall(b"2W" + struct.pack(">I", n) + b"2C" + struct.pack(">I", len(block)) + block)
    s.close()


def run(client):
    with PyLogBeatClient("127.0.0.1", a.port, timeout=30, ssl_enable=False) as c:
        for start in range(1, a.count + 1, a.window):
            c.send([event(client, i) for i in range(start, min(a.count, start + a.window - 1) + 1)])


if a.cut_first:
    cut_window(a.window)
threads = [threading.Thread(target=run, args=(k,)) for k in range(a.connections)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"sent": a.count * a.connections}))
