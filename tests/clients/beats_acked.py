#!/usr/bin/env python3
"""Sends COUNT events over Beats (pylogbeat) in windows of WINDOW, through server
restarts: a window that is not acknowledged (the server died) is sent again on a new
connection. After each ACK, the window's last `seq` is appended to ACKED_FILE (flushed),
so the caller knows exactly which events sluice acknowledged. Stops after COUNT events are
acknowledged or after DEADLINE seconds. Loopback only.

usage: beats_acked.py PORT COUNT WINDOW ACKED_FILE DEADLINE
Prints one JSON line: {"acked": n, "resent_windows": n}."""
import json, sys, time
from pylogbeat import PyLogBeatClient

port, count, window, acked_file, deadline = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
end = time.time() + deadline
acked, resent = 0, 0
out = open(acked_file, "a")
client = None
while acked < count and time.time() < end:
    batch = [{"message": f"durable {i}", "seq": i} for i in range(acked + 1, min(count, acked + window) + 1)]
    try:
        if client is None:
            client = PyLogBeatClient("127.0.0.1", port, timeout=5, ssl_enable=False)
            client.connect()
        client.send(batch)
        acked = batch[-1]["seq"]
        out.write(f"{acked}\n")
        out.flush()
    except Exception:
        resent += 1
        try:
            client.close()
        except Exception:
            pass
        client = None
        time.sleep(0.05)
print(json.dumps({"acked": acked, "resent_windows": resent}))
