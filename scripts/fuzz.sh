#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets, cargo-fuzz + libFuzzer on nightly) for a
# bounded time each, seeded from the project's own vectors and ../shared/corpus when it
# is there; keeps every crashing input in fuzz/regressions/<target>/ (replayed by the
# ordinary suite: crates/sluice/tests/fuzz_regressions.rs) and exits 1 if any target
# crashed.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, every target)
# Needs: rustup's nightly toolchain and `cargo install cargo-fuzz`.
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
secs="${1:-60}"; shift || true
cd "$here/fuzz"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=($(sed -n 's/^name = "\(.*\)"/\1/p' Cargo.toml | grep -v '^sluice-fuzz$'))
fi
shared="$here/../shared/corpus"
seed() {  # seed TARGET: writes seeds into corpus/TARGET
  local t=$1 d="corpus/$1"; mkdir -p "$d"
  python3 - "$t" "$d" "$shared" "$here" <<'PY'
import json, os, sys, glob, hashlib
t, d, shared, here = sys.argv[1:5]
def put(b):
    if isinstance(b, str): b = b.encode()
    open(os.path.join(d, hashlib.sha1(b).hexdigest()), "wb").write(b)
def jsonl(pattern, key):
    for f in glob.glob(os.path.join(shared, pattern)):
        for line in open(f, encoding="utf-8", errors="replace"):
            try: v = json.loads(line).get(key)
            except Exception: continue
            if isinstance(v, str): yield v
if t == "syslog":
    for s in jsonl("syslog-vectors/*.jsonl", "input"): put(s)
    put("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 [exampleSDID@32473 iut=\"3\"] BOM'su root' failed")
    put("<13>Nov 30 10:00:00 host app[42]: hello")
elif t == "framer":
    for s in jsonl("syslog-vectors/go-syslog-octetcounting.jsonl", "input"): put(b"\x00" + s.encode())
    for s in jsonl("syslog-vectors/go-syslog-nontransparent.jsonl", "input"): put(b"\x02" + s.encode())
    put(b"\x00" + b"12 <13>1 - - - 5 <13>1 x\n<13>y\n")
elif t == "grok":
    for f in glob.glob(os.path.join(shared, "grok-vectors/*.jsonl")):
        for line in open(f):
            try: v = json.loads(line)
            except Exception: continue
            if isinstance(v.get("grok"), str) and isinstance(v.get("input"), str):
                put(v["grok"] + "\n" + v["input"])
    put("%{LOGLEVEL:level} %{TIMESTAMP_ISO8601:timestamp} %{DATA:module} %{GREEDYDATA:message}\nERROR 2026-11-24 12:00:00,123 views boom")
elif t == "condition":
    for s in ['[level] == "ERROR" or [level] == "CRITICAL"', '[n] > 2 and !([a][b] =~ /x/)', '"error" in [tags]', '[x] not in ["a", "b"] xor [y]', '[m] =~ "^{.*}$" nand ([q] <= 3)']: put(s)
elif t == "kv":
    for s in ['&=a=1&b=2&c=', ' =key="v 1" x=<y> z=[w=1 v=2]', ';:k:v;k2:v2']: put(s)
elif t == "date":
    for s in ["yyyy-MM-dd HH:mm:ss,SSS\n2026-11-24 12:00:00,123", "MMM dd HH:mm:ss\nNov 30 10:00:00", "ISO8601\n2026-11-30T10:00:00.123+01:00", "dd/MMM/yyyy:HH:mm:ss Z\n30/Nov/2026:10:00:00 +0100", "UNIX\n1764500000.5"]: put(s)
elif t == "json_event":
    for s in ['{"message":"hi","@timestamp":"2026-11-30T10:00:00Z","tags":["a"]}', '[1,2]', '{"a":{"b":[{"c":null}]}}', '"x"']: put(s)
elif t == "config":
    for f in glob.glob(os.path.join(here, "config/*.toml")): put(open(f, "rb").read())
elif t == "logstash_conf":
    for f in glob.glob(os.path.join(shared, "logstash-configs/**/*.conf"), recursive=True):
        if os.path.isfile(f): put(open(f, "rb").read())
    for f in glob.glob(os.path.join(here, "config/*.conf")): put(open(f, "rb").read())
elif t == "lumberjack":
    import struct, zlib
    j = b'{"message":"hi"}'
    frame = b"2J" + struct.pack(">II", 1, len(j)) + j
    put(b"2W" + struct.pack(">I", 1) + frame)
    z = zlib.compress(frame)
    put(b"2W" + struct.pack(">I", 1) + b"2C" + struct.pack(">I", len(z)) + z)
    put(b"1W" + struct.pack(">I", 1) + b"1D" + struct.pack(">II", 1, 1) + struct.pack(">I", 1) + b"k" + struct.pack(">I", 1) + b"v")
for f in glob.glob(os.path.join(here, "fuzz/regressions", t, "*")): put(open(f, "rb").read())
PY
}
for t in "${targets[@]}"; do
  cargo +nightly fuzz build -O "$t" >/dev/null 2>"artifacts-build.log" || { cat artifacts-build.log >&2; echo "fuzz: building $t failed" >&2; exit 2; }
done
rm -f artifacts-build.log
failed=0
for t in "${targets[@]}"; do
  seed "$t"
  mkdir -p "artifacts/$t" "regressions/$t"
  start=$(date +%s)
  log="artifacts/$t/run.log"
  cargo +nightly fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  crashes=$(ls "artifacts/$t" | grep -E '^(crash|oom|timeout|leak)-' || true)
  for c in $crashes; do cp "artifacts/$t/$c" "regressions/$t/$c"; done
  if [ $rc -ne 0 ] || [ -n "$crashes" ]; then
    failed=1
    echo "$t: FOUND $(echo $crashes | wc -w) input(s), kept in fuzz/regressions/$t/ (log: fuzz/$log)"
  else
    echo "$t: ${execs:-?} runs in $(( $(date +%s) - start )) s, nothing found"
  fi
done
exit $failed
