#!/usr/bin/env python3
"""Python's ssl module as a TLS client of a sluice listener on loopback.

usage: tls_send.py PORT CA [--cert CRT --key KEY] [--frame octet|lf] [--beats N] [--hold] MSG...

Connects to 127.0.0.1:PORT verifying the server against CA (and presenting CRT/KEY for
mutual TLS), prints one JSON line {"subject": <server certificate's CN>}, then sends
each MSG framed as RFC 5425 octet counting ("LEN SP MSG", the default) or one per line.
With --beats N, sends N events with pylogbeat over TLS instead (ssl_enable, ca_certs).
With --hold: after the first MSG, prints {"held": true} and waits for a line on stdin;
then opens a second connection (printing its subject), sends the next MSG on it, and the
remaining ones on the first connection, which stayed open all along.
On a refused handshake prints {"error": "..."} and exits 3."""
import argparse, json, socket, ssl, sys

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("ca")
ap.add_argument("--cert")
ap.add_argument("--key")
ap.add_argument("--frame", default="octet", choices=["octet", "lf"])
ap.add_argument("--beats", type=int, default=0)
ap.add_argument("--hold", action="store_true")
ap.add_argument("msgs", nargs="*")
a = ap.parse_intermixed_args()

if a.beats:
    import datetime
    from pylogbeat import PyLogBeatClient
    with PyLogBeatClient("127.0.0.1", a.port, timeout=10, ssl_enable=True, ssl_verify=True,
                         ca_certs=a.ca, certfile=a.cert, keyfile=a.key) as c:
        c.send([{"@timestamp": datetime.datetime.utcnow().isoformat() + "Z",
                 "message": f"beats over tls {i + 1}", "seq": i + 1} for i in range(a.beats)])
    print(json.dumps({"sent": a.beats}))
    sys.exit(0)

ctx = ssl.create_default_context(cafile=a.ca)
if a.cert:
    ctx.load_cert_chain(a.cert, a.key)


def connect():
    raw = socket.create_connection(("127.0.0.1", a.port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    cn = dict(x[0] for x in s.getpeercert()["subject"])["commonName"]
    print(json.dumps({"subject": cn}), flush=True)
    return s


def frame(m):
    b = m.encode()
    return b"%d %s" % (len(b), b) if a.frame == "octet" else b + b"\n"


try:
    s = connect()
    if a.hold:
        s.sendall(frame(a.msgs[0]))
        print(json.dumps({"held": True}), flush=True)
        sys.stdin.readline()
        t = connect()
        t.sendall(frame(a.msgs[1]))
        t.close()
        for m in a.msgs[2:]:
            s.sendall(frame(m))
    else:
        for m in a.msgs:
            s.sendall(frame(m))
    # TLS 1.3 may report a refused client certificate only on the first read.
    s.settimeout(0.5)
    try:
        s.recv(1)
    except (socket.timeout, TimeoutError):
        pass
    s.close()
except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as e:
    print(json.dumps({"error": str(e)}), flush=True)
    sys.exit(3)
