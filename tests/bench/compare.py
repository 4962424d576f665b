#!/usr/bin/env python3
"""Whole-process benchmark: sluice vs rsyslog vs syslog-ng vs the raw socket->file limit.

Same work for every peer, in one run: COUNT RFC 5424 messages (~200 B) over one TCP
connection on 127.0.0.1, parsed into JSON lines in one file. Reports msgs/s, MiB/s, CPU
seconds (utime+stime of the peer, all threads) and peak RSS (VmHWM), and ratios to rsyslog.

    python3 tests/bench/compare.py                       # 2,000,000 msgs, 3 reps
    python3 tests/bench/compare.py --count 500000 --reps 1

Needs: a release build (cargo build --release -p sluice --bin sluice-loadgen -p sluice-bench is
done by this script), rsyslog and socat (apt), syslog-ng-core unpacked with dpkg -x (done by
this script, since it conflicts with the rsyslog package). Scratch: /tmp/sluice-bench.
"""
import argparse, json, os, shutil, signal, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
W = "/tmp/sluice-bench"
PORT = 16514
ENV = dict(os.environ, TZ="UTC")


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)


def setup():
    os.makedirs(W, exist_ok=True)
    sh(f"cd {ROOT} && cargo build -q --release -p sluice --bin sluice && cargo build -q --release -p sluice-bench --bin sluice-loadgen")
    need = [p for p in ("rsyslog", "socat", "libivykis0", "libnet1", "libjson-c5", "libpcre3", "libwrap0", "libglib2.0-0", "libcap2", "libssl3") if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode]
    if need:
        sh("[ -e /usr/sbin/policy-rc.d ] || printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d")
        sh(f"apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {' '.join(need)} >/dev/null")
    if not os.path.exists(f"{W}/sng/usr/sbin/syslog-ng"):
        sh(f"cd {W} && apt-get download -qq syslog-ng-core && dpkg -x syslog-ng-core_*.deb {W}/sng")


def studio_conf(out):
    """The embedded default (the studio pipeline) with its listeners on bench ports, no
    rotation (so that lines can be counted), writing studio.log to `out`."""
    text = open(f"{ROOT}/config/default.toml").read()
    text = text.replace('data_dir = "./data"', f'data_dir = "{W}/sluice-data"')
    text = text.replace('address = "127.0.0.1:9600"', "enabled = false")
    text = text.replace("0.0.0.0:514", f"127.0.0.1:{PORT}")
    text = text.replace("0.0.0.0:5044", f"127.0.0.1:{PORT + 1}").replace("0.0.0.0:5170", f"127.0.0.1:{PORT + 2}")
    text = text.replace('max_bytes = "10MiB"', 'max_bytes = "1000GiB"')
    text = text.replace('path = "logs/studio.log"', f'path = "{out}"')
    p = f"{W}/sluice-studio.toml"
    open(p, "w").write(text)
    return [f"{ROOT}/target/release/sluice", "run", "--config", p]


def conf(peer, out):
    if peer == "sluice-studio":
        return studio_conf(out)
    if peer == "sluice":
        p = f"{W}/sluice.toml"
        open(p, "w").write(f"""data_dir = "{W}/sluice-data"
[admin]
enabled = false
[sources.tcp]
type = "syslog"
mode = "tcp"
address = "127.0.0.1:{PORT}"
[sinks.out]
type = "file"
inputs = ["tcp"]
path = "{out}"
""")
        return [f"{ROOT}/target/release/sluice", "run", "--config", p]
    if peer == "rsyslog":
        p = f"{W}/rsyslog.conf"
        open(p, "w").write(f"""global(workDirectory="{W}" maxMessageSize="64k")
module(load="imptcp" threads="1")
input(type="imptcp" address="127.0.0.1" port="{PORT}" ruleset="out")
template(name="json" type="list" option.jsonf="on") {{
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="appname" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="facility" name="syslogfacility-text" format="jsonf")
  property(outname="severity" name="syslogseverity-text" format="jsonf")
  property(outname="structured_data" name="structured-data" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
}}
ruleset(name="out") {{ action(type="omfile" file="{out}" template="json") }}
""")
        return ["rsyslogd", "-n", "-f", p, "-i", f"{W}/rsyslog.pid"]
    if peer == "syslog-ng":
        p = f"{W}/syslog-ng.conf"
        open(p, "w").write(f"""@version: 3.38
options {{ threaded(yes); use-dns(no); dns-cache(no); keep-hostname(yes); chain-hostnames(no);
  stats-freq(0); log-fifo-size(100000); flush-lines(1000); }};
source s {{ network(ip("127.0.0.1") port({PORT}) transport("tcp") flags(syslog-protocol) log-iw-size(100000) log-msg-size(65536)); }};
destination d {{ file("{out}" template("$(format-json --scope rfc5424 --exclude DATE --key ISODATE)\\n")); }};
log {{ source(s); destination(d); flags(flow-control); }};
""")
        for f in ("persist", "pid", "ctl"):
            try:
                os.unlink(f"{W}/sng.{f}")
            except FileNotFoundError:
                pass
        return ["env", f"LD_LIBRARY_PATH={W}/sng/usr/lib/syslog-ng", f"{W}/sng/usr/sbin/syslog-ng", "-F", "-f", p,
                f"--module-path={W}/sng/usr/lib/syslog-ng/3.38", f"--persist-file={W}/sng.persist",
                f"--pidfile={W}/sng.pid", f"--control={W}/sng.ctl", "--no-caps"]
    if peer == "raw-socat":
        return ["socat", "-u", f"TCP-LISTEN:{PORT},bind=127.0.0.1,reuseaddr", f"OPEN:{out},creat,append"]
    raise SystemExit(f"unknown peer {peer}")


def listening():
    # Read the LISTEN state instead of connecting: a probe connection would be the one
    # connection socat serves.
    want = f":{PORT:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            for l in open(table).readlines()[1:]:
                f = l.split()
                if f[1].endswith(want) and f[3] == "0A":
                    return True
        except OSError:
            pass
    return False


def proc_pid(p, peer):
    # `env` execs syslog-ng, so the pid is the peer itself.
    return p.pid


def cpu_seconds(pid):
    tck = os.sysconf("SC_CLK_TCK")
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / tck
    except (OSError, IndexError):
        return float("nan")


def hwm_mib(pid):
    try:
        for l in open(f"/proc/{pid}/status"):
            if l.startswith("VmHWM:"):
                return int(l.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 22)
            if not b:
                return n
            n += b.count(b"\n")


def start_peer(argv, name):
    """Starts a peer and waits until it listens on PORT; returns the process."""
    p = subprocess.Popen(argv, env=ENV, stdout=subprocess.DEVNULL, stderr=open(f"{W}/{name}.err", "w"))
    deadline = time.time() + 20
    while not listening():
        if time.time() > deadline or p.poll() is not None:
            raise SystemExit(f"{name} did not start; see {W}/{name}.err")
        time.sleep(0.05)
    return p


def run_one(peer, count, fmt="rfc5424"):
    out = f"{W}/out-{peer}.json"
    if os.path.exists(out):
        os.unlink(out)
    shutil.rmtree(f"{W}/sluice-data", ignore_errors=True)
    # The raw peer must write all bytes; a JSON peer writes one line per message.
    p = start_peer(conf(peer, out), peer)
    cpu0 = cpu_seconds(p.pid)
    t0 = time.time()
    gen = subprocess.run([f"{ROOT}/target/release/sluice-loadgen", f"127.0.0.1:{PORT}", str(count), fmt], capture_output=True, text=True, check=True)
    sent = json.loads(gen.stdout)
    last_size, last_change = -1, time.time()
    while True:
        size = os.path.getsize(out) if os.path.exists(out) else 0
        now = time.time()
        if size != last_size:
            last_size, last_change = size, now
        elif now - last_change > 1.5:
            break
        if now - t0 > 300:
            break
        time.sleep(0.02)
    elapsed = last_change - t0
    cpu = cpu_seconds(p.pid) - cpu0
    hwm = hwm_mib(p.pid)
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
    lines = count_lines(out) if peer != "raw-socat" else count
    return {"peer": peer, "msgs_per_s": lines / elapsed, "mib_per_s": sent["bytes"] / elapsed / 2**20,
            "cpu_s": cpu, "cpu_us_per_msg": cpu / max(lines, 1) * 1e6, "rss_mib": hwm, "loss": count - lines,
            "out_bytes": os.path.getsize(out)}


def run_beats(count, window):
    """sluice alone (rsyslog and syslog-ng do not speak Lumberjack): Beats in, JSON file out.
    The load generator returns when the last window is ACKed, i.e. written."""
    out = f"{W}/out-beats.json"
    if os.path.exists(out):
        os.unlink(out)
    shutil.rmtree(f"{W}/sluice-data", ignore_errors=True)
    p_conf = f"{W}/sluice-beats.toml"
    open(p_conf, "w").write(f"""data_dir = "{W}/sluice-data"
[admin]
enabled = false
[sources.beats]
type = "beats"
address = "127.0.0.1:{PORT}"
[sinks.out]
type = "file"
inputs = ["beats"]
path = "{out}"
""")
    p = start_peer([f"{ROOT}/target/release/sluice", "run", "--config", p_conf], "sluice-beats")
    cpu0 = cpu_seconds(p.pid)
    gen = subprocess.run([f"{ROOT}/target/release/sluice-loadgen", f"127.0.0.1:{PORT}", str(count), "beats", str(window)],
                         capture_output=True, text=True, check=True)
    sent = json.loads(gen.stdout)
    cpu = cpu_seconds(p.pid) - cpu0
    hwm = hwm_mib(p.pid)
    p.send_signal(signal.SIGTERM)
    p.wait(30)
    lines = count_lines(out)
    return {"events_per_s": sent["count"] / sent["acked_seconds"], "wire_mib_per_s": sent["bytes"] / sent["acked_seconds"] / 2**20,
            "cpu_s": cpu, "cpu_us_per_event": cpu / max(lines, 1) * 1e6, "rss_mib": hwm, "loss": sent["count"] - lines}


def main_beats(a):
    setup()
    runs = [run_beats(a.count, a.window) for _ in range(a.reps)]
    for i, r in enumerate(runs):
        print(f"rep {i + 1} sluice beats: {r['events_per_s']:,.0f} events/s loss={r['loss']}", file=sys.stderr, flush=True)
    m = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"\nbeats (zlib windows of {a.window}, 2 in flight) -> JSON file, {a.count:,} events, median of {a.reps}, {os.cpu_count()} CPUs")
    print(f"{'peer':<11}{'events/s':>12}{'wire MiB/s':>11}{'CPU s':>8}{'us/event':>9}{'RSS MiB':>9}{'loss':>7}")
    print(f"{'sluice':<11}{m['events_per_s']:>12,.0f}{m['wire_mib_per_s']:>11.1f}{m['cpu_s']:>8.2f}{m['cpu_us_per_event']:>9.2f}{m['rss_mib']:>9.1f}{int(m['loss']):>7}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["syslog", "beats"], default="syslog")
    ap.add_argument("--window", type=int, default=2048)
    ap.add_argument("--format", default="rfc5424", help="rfc5424, rfc3164, or django (Django verbose lines inside RFC 5424)")
    ap.add_argument("--count", type=int, default=2_000_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--peers", default="raw-socat,rsyslog,syslog-ng,sluice")
    a = ap.parse_args()
    if a.mode == "beats":
        return main_beats(a)
    setup()
    peers = a.peers.split(",")
    runs = {p: [] for p in peers}
    for rep in range(a.reps):
        order = peers[rep % len(peers):] + peers[:rep % len(peers)]
        for peer in order:
            r = run_one(peer, a.count, a.format)
            runs[peer].append(r)
            print(f"rep {rep + 1} {peer}: {r['msgs_per_s']:,.0f} msgs/s loss={r['loss']}", file=sys.stderr, flush=True)
    med = {p: {k: statistics.median(r[k] for r in runs[p]) for k in runs[p][0] if k != "peer"} for p in peers}
    base = med.get("rsyslog", {}).get("msgs_per_s")
    print(f"\ntcp/{a.format} -> JSON file, {a.count:,} msgs, median of {a.reps}, {os.cpu_count()} CPUs")
    print(f"{'peer':<11}{'msgs/s':>12}{'MiB/s':>8}{'CPU s':>8}{'us/msg':>8}{'RSS MiB':>9}{'loss':>7}{'vs rsyslog':>12}")
    for p in peers:
        m = med[p]
        ratio = f"{m['msgs_per_s'] / base:.2f}x" if base else "-"
        print(f"{p:<11}{m['msgs_per_s']:>12,.0f}{m['mib_per_s']:>8.1f}{m['cpu_s']:>8.2f}{m['cpu_us_per_msg']:>8.2f}{m['rss_mib']:>9.1f}{int(m['loss']):>7}{ratio:>12}")
    json.dump(runs, open(f"{W}/results.json", "w"), indent=1)


if __name__ == "__main__":
    main()
