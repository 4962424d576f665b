#!/usr/bin/env python3
"""The Elasticsearch sink's own cost: sluice (syslog TCP in) writing to a null `_bulk`
endpoint of ours (sluice-null-es, accepts and drops), or into noida-db (`--target noida`,
an Elasticsearch 8.15 API from PyPI), against the same sluice writing a JSON file. Each
Elasticsearch run comes right after a file run, and its CPU ratio is taken against that
one (the machine's speed drifts between runs). Batch-size sweep, gzip on and off.
Loopback only.

    python3 tests/bench/es_bench.py --count 1000000
    python3 tests/bench/es_bench.py --count 200000 --target noida

Reports events/s (until the endpoint has every item) and sluice's CPU µs per event.
"""
import argparse, os, shutil, signal, subprocess, sys, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
W = "/tmp/sluice-es-bench"
PORT, ES = 16600, 16601
BIN = f"{ROOT}/target/release"


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def wait_port(port):
    for _ in range(400):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
            return
        except Exception:
            time.sleep(0.05)


def listening(port):
    want = f":{port:04X}"
    for l in open("/proc/net/tcp").readlines()[1:]:
        f = l.split()
        if f[1].endswith(want) and f[3] == "0A":
            return True
    return False


def es_count(target):
    if target == "null":
        return int(urllib.request.urlopen(f"http://127.0.0.1:{ES}/count").read())
    post = urllib.request.Request(f"http://127.0.0.1:{ES}/bench-*/_refresh", method="POST", headers={"Connection": "close"})
    urllib.request.urlopen(post).read()
    get = urllib.request.Request(f"http://127.0.0.1:{ES}/bench-*/_count", headers={"Connection": "close"})
    import json
    return json.loads(urllib.request.urlopen(get).read())["count"]


def start_es(target):
    if target == "null":
        return subprocess.Popen([f"{BIN}/sluice-null-es", str(ES)], start_new_session=True)
    shutil.rmtree(f"{W}-noida", ignore_errors=True)
    # start_new_session: `noida-db` may be a wrapper (a pyenv shim) whose child is the
    # server; stop() kills the whole group.
    p = subprocess.Popen(["noida-db", "start", "--only", "elasticsearch", "--elasticsearch-port", str(ES),
                          "--data-dir", f"{W}-noida"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    for _ in range(600):
        try:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{ES}/", headers={"Connection": "close"}), timeout=1).read()
            break
        except Exception:
            time.sleep(0.05)
    return p


def run(name, sink, count, target="null"):
    shutil.rmtree(W, ignore_errors=True)
    os.makedirs(W)
    conf = f"{W}/sluice.toml"
    open(conf, "w").write(f"""data_dir = "{W}/data"
[admin]
enabled = false
[sources.tcp]
type = "syslog"
mode = "tcp"
address = "127.0.0.1:{PORT}"
{sink}
""")
    es = start_es(target) if "elasticsearch" in sink else None
    p = subprocess.Popen([f"{BIN}/sluice", "run", "--config", conf], stderr=open(f"{W}/err.log", "w"))
    try:
        while not listening(PORT):
            time.sleep(0.05)
        cpu0 = cpu_seconds(p.pid)
        t0 = time.time()
        subprocess.run([f"{BIN}/sluice-loadgen", f"127.0.0.1:{PORT}", str(count), "rfc5424"], capture_output=True, check=True)
        out = f"{W}/out.json"
        while time.time() - t0 < 300:
            if "elasticsearch" in sink:
                try:
                    done = es_count(target)
                except Exception:
                    done = 0
            else:
                done = sum(1 for _ in open(out, "rb")) if os.path.exists(out) else 0
            if done >= count:
                break
            time.sleep(0.05 if target == "null" else 0.5)
        elapsed = time.time() - t0
        cpu = cpu_seconds(p.pid) - cpu0
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(30)
        if es is not None:
            try:
                os.killpg(es.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            es.wait()
            while listening(ES):
                time.sleep(0.05)
    print(f"{name:<28}{count / elapsed:>12,.0f}{cpu / count * 1e6:>10.2f}", flush=True)
    return cpu / count * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--target", choices=["null", "noida"], default="null")
    ap.add_argument("--batches", default="500,1000,5000")
    a = ap.parse_args()
    subprocess.run(f"cd {ROOT} && cargo build -q --release -p sluice --bin sluice && cargo build -q --release -p sluice-bench", shell=True, check=True)
    print(f"{a.count:,} RFC 5424 messages over TCP into {a.target}, {os.cpu_count()} CPUs")
    print(f"{'sink':<28}{'events/s':>12}{'us/event':>10}")
    for batch in map(int, a.batches.split(",")):
        for gz in (False, True):
            file_cost = run("file (JSON lines)", f'[sinks.out]\ntype = "file"\ninputs = ["tcp"]\npath = "{W}/out.json"', a.count)
            sink = (f'[sinks.es]\ntype = "elasticsearch"\ninputs = ["tcp"]\nendpoints = ["http://127.0.0.1:{ES}"]\n'
                    f'index = "bench-%{{+YYYY.MM.dd}}"\nbatch_max_events = {batch}\n'
                    # The last partial batch waits batch_timeout (1 s by default): that
                    # is latency by design, not throughput, so the bench does not wait it.
                    f'batch_timeout = "10ms"\n' + ('compression = "gzip"\n' if gz else ""))
            cost = run(f"elasticsearch batch={batch}{' gzip' if gz else ''}", sink, a.count, a.target)
            print(f"{'':<28}{'':>12}{cost / file_cost:>9.2f}x file", flush=True)


if __name__ == "__main__":
    main()
