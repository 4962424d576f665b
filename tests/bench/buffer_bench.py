#!/usr/bin/env python3
"""The disk buffer's cost: the same workload into a null `_bulk` endpoint of ours
(sluice-null-es) with a memory buffer and with a disk buffer, from a source that cannot
acknowledge (syslog over TCP: the disk buffer syncs every fsync_interval) and from one
that does (Beats, windows of 1000: one group commit before each ACK). Then peak memory
while a 15-second flood runs into a stalled Elasticsearch (it accepts connections and
never answers), with each buffer. Loopback only.

    python3 tests/bench/buffer_bench.py --count 1000000

Reports events/s, sluice's CPU µs per event, fsyncs per second, and peak RSS.
"""
import argparse, os, shutil, signal, socket, subprocess, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
W = "/tmp/sluice-buffer-bench"
PORT, ES, ADMIN = 16700, 16701, 16702
BIN = f"{ROOT}/target/release"


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def vm_hwm_mib(pid):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmHWM:"):
            return int(l.split()[1]) / 1024
    return 0


def listening(port):
    want = f":{port:04X}"
    return any(l.split()[1].endswith(want) and l.split()[3] == "0A" for l in open("/proc/net/tcp").readlines()[1:])


def metric(name):
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{ADMIN}/metrics", timeout=2).read().decode()
    except Exception:
        return 0.0
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith(name))


def config(source, buffer):
    src = (f'[sources.in]\ntype = "syslog"\nmode = "tcp"\naddress = "127.0.0.1:{PORT}"\n' if source == "syslog"
           else f'[sources.in]\ntype = "beats"\naddress = "127.0.0.1:{PORT}"\n')
    buf = 'buffer = { type = "disk", max_bytes = "2GiB" }\n' if buffer == "disk" else ""
    return f"""data_dir = "{W}/data"
[admin]
address = "127.0.0.1:{ADMIN}"
{src}
[sinks.es]
type = "elasticsearch"
inputs = ["in"]
endpoints = ["http://127.0.0.1:{ES}"]
index = "bench"
batch_timeout = "10ms"
{buf}"""


def start(conf_text):
    shutil.rmtree(W, ignore_errors=True)
    os.makedirs(W)
    conf = f"{W}/sluice.toml"
    open(conf, "w").write(conf_text)
    p = subprocess.Popen([f"{BIN}/sluice", "run", "--config", conf], stderr=open(f"{W}/err.log", "w"))
    while not listening(PORT):
        time.sleep(0.05)
    return p


def throughput(source, buffer, count):
    es = subprocess.Popen([f"{BIN}/sluice-null-es", str(ES)])
    p = start(config(source, buffer))
    try:
        cpu0, t0 = cpu_seconds(p.pid), time.time()
        args = [f"{BIN}/sluice-loadgen", f"127.0.0.1:{PORT}", str(count)] + (["rfc5424"] if source == "syslog" else ["beats", "1000"])
        subprocess.run(args, capture_output=True, check=True)
        while time.time() - t0 < 300:
            if int(urllib.request.urlopen(f"http://127.0.0.1:{ES}/count").read()) >= count:
                break
            time.sleep(0.05)
        elapsed, cpu = time.time() - t0, cpu_seconds(p.pid) - cpu0
        syncs = metric('sluice_buffer_syncs_total{component="es"')
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(60)
        es.kill()
        es.wait()
    print(f"{source:<8}{buffer:<8}{count / elapsed:>12,.0f}{cpu / count * 1e6:>10.2f}{syncs / elapsed:>10.1f}", flush=True)


def stalled(buffer, secs):
    # An "Elasticsearch" that accepts and never answers.
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", ES))
    srv.listen(64)
    held = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                pass
    t = threading.Thread(target=accept)
    t.start()
    p = start(config("syslog", buffer))
    try:
        gen = subprocess.Popen([f"{BIN}/sluice-loadgen", f"127.0.0.1:{PORT}", "100000000", "rfc5424"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(secs)
        gen.kill()
        gen.wait()
        received = metric('sluice_events_received_total{component="in"')
        hwm = vm_hwm_mib(p.pid)
        on_disk = metric('sluice_buffer_bytes{component="es"')
    finally:
        p.kill()
        p.wait()
        stop.set()
        t.join()
        for c in held:
            c.close()
        srv.close()
    print(f"{buffer:<8}{secs:>6}s{received:>14,.0f}{hwm:>12.1f}{on_disk / 2**20:>14.1f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--stall-secs", type=int, default=15)
    a = ap.parse_args()
    subprocess.run(f"cd {ROOT} && cargo build -q --release -p sluice --bin sluice && cargo build -q --release -p sluice-bench", shell=True, check=True)
    print(f"{a.count:,} events into a null _bulk endpoint, {os.cpu_count()} CPUs")
    print(f"{'source':<8}{'buffer':<8}{'events/s':>12}{'us/event':>10}{'fsyncs/s':>10}")
    for source in ("syslog", "beats"):
        for buffer in ("memory", "disk"):
            throughput(source, buffer, a.count)
    print(f"\nflood into a stalled Elasticsearch")
    print(f"{'buffer':<8}{'secs':>7}{'events in':>14}{'peak MiB':>12}{'on disk MiB':>14}")
    for buffer in ("memory", "disk"):
        stalled(buffer, a.stall_secs)


if __name__ == "__main__":
    main()
