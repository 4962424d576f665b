//! The disk buffer: what a source acknowledged survives kill -9, an outage of
//! Elasticsearch, and damage to the buffer's files. Elasticsearch is noida-db (PyPI).

use crate::elasticsearch::Noida;
use crate::support::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn pipeline(es_port: u16, extra: &str) -> String {
    format!(
        r#"
[sources.beats]
type = "beats"
address = "127.0.0.1:{{PORT}}"
[sinks.es]
type = "elasticsearch"
inputs = ["beats"]
endpoints = ["http://127.0.0.1:{es_port}"]
index = "durable"
batch_timeout = "100ms"
retry = {{ initial = "100ms", max = "500ms" }}
buffer = {{ type = "disk", max_bytes = "64MiB" }}
{extra}
"#
    )
}

/// (distinct `seq` values up to `n`, documents with `seq` up to `n`) in the index.
fn stored_up_to(es: &Noida, n: u64) -> (u64, u64) {
    es.request("POST", "/durable/_refresh");
    let q = format!(
        r#"{{"size":0,"track_total_hits":true,"query":{{"range":{{"seq":{{"lte":{n}}}}}}},"aggs":{{"u":{{"cardinality":{{"field":"seq"}}}}}}}}"#
    );
    let (_, body) = es.request_with("POST", "/durable/_search", &q);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    (
        v["aggregations"]["u"]["value"].as_u64().unwrap_or(0),
        v["hits"]["total"]["value"].as_u64().unwrap_or(0),
    )
}

/// The highest acknowledged `seq` the client wrote down.
fn acked(file: &Path) -> u64 {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .max()
        .unwrap_or(0)
}

fn beats_client(port: u16, count: u64, window: u64, acked_file: &Path, secs: u64) -> Killed {
    let script = workspace_root().join("tests/clients/beats_acked.py");
    Killed(
        Command::new("python3")
            .arg(script)
            .args([port.to_string(), count.to_string(), window.to_string()])
            .arg(acked_file)
            .arg(secs.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn wait_exit(c: &mut Killed, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while c.0.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the client did not finish");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// 20 SIGKILLs at random moments while pylogbeat floods a Beats input whose events go
/// through a disk buffer into Elasticsearch, which is down for the first ten: every
/// event sluice acknowledged is in Elasticsearch at the end. Duplicates are allowed (a window whose ACK was lost is sent
/// again, and a batch sent but not yet recorded in the ledger is read again); they are
/// counted and printed.
#[test]
fn acknowledged_events_survive_kill_9_through_the_disk_buffer() {
    if !have("noida-db") || !have_py("pylogbeat") {
        return;
    }
    let kills: u32 = std::env::var("SLUICE_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    // Elasticsearch is down for the first half of the kills: what is acknowledged then
    // is only in the disk buffer.
    let es_port = free_port();
    let mut s = Server::start_degraded(&pipeline(es_port, ""));
    let acked_file = s.dir.path().join("acked.txt");
    let count = 1_000_000;
    let mut client = beats_client(s.port, count, 100, &acked_file, 600);
    let mut rng = Lcg(0x5eed);
    let mut es = None;
    let mut acked_while_down = 0;
    for k in 0..kills {
        if k == kills / 2 {
            acked_while_down = acked(&acked_file);
            es = Some(Noida::start(es_port));
        }
        let pause = 150 + u64::from(rng.next_byte()) * 2;
        std::thread::sleep(Duration::from_millis(pause));
        s.kill9_and_restart();
        eprintln!("kill {}: {} acknowledged so far", k + 1, acked(&acked_file));
    }
    let es = es.unwrap_or_else(|| Noida::start(es_port));
    // Let the flow settle, then stop the client.
    std::thread::sleep(Duration::from_millis(500));
    let _ = client.0.kill();
    let _ = client.0.wait();
    let n = acked(&acked_file);
    assert!(
        n >= 1000,
        "only {n} events acknowledged over {kills} restarts"
    );
    assert!(
        acked_while_down > 0,
        "nothing was acknowledged while Elasticsearch was down"
    );
    s.wait_for(120, "every acknowledged event in Elasticsearch", || {
        stored_up_to(&es, n).0 == n
    });
    let (distinct, docs) = stored_up_to(&es, n);
    eprintln!(
        "kill loop: {kills} SIGKILLs, {n} events acknowledged, all {distinct} in Elasticsearch, {} duplicates",
        docs - distinct
    );
    println!(
        "DURABILITY kills={kills} acked={n} acked_while_es_down={acked_while_down} stored={distinct} duplicates={}",
        docs - distinct
    );
}

/// Elasticsearch down for an outage (60 s here; `SLUICE_OUTAGE_SECS`, 600 in
/// scripts/durability-soak.sh) under a steady acknowledged flow: nothing acknowledged is
/// lost, memory stays bounded, and the backlog drains once Elasticsearch is back.
#[test]
fn an_outage_loses_nothing_and_memory_stays_bounded() {
    if !have("noida-db") || !have_py("pylogbeat") {
        return;
    }
    let outage: u64 = std::env::var("SLUICE_OUTAGE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let es_port = free_port();
    let mut es = Noida::start(es_port);
    let s = Server::start(&pipeline(es_port, ""));
    let acked_file = s.dir.path().join("acked.txt");
    // A steady flow: windows of 50, as fast as the disk buffer acknowledges them.
    let mut client = beats_client(s.port, 200_000, 50, &acked_file, outage + 30);
    std::thread::sleep(Duration::from_secs(2));
    es.shut_down(); // Elasticsearch goes away
    let down_at = acked(&acked_file);
    let pid = s.child.as_ref().unwrap().id();
    let mut peak_rss = 0;
    let mut peak_buffer = 0f64;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(outage) {
        peak_rss = peak_rss.max(rss_kib(pid));
        peak_buffer = peak_buffer
            .max(s.metric(r#"sluice_buffer_bytes{component="es",component_type="elasticsearch"}"#));
        std::thread::sleep(Duration::from_millis(500));
    }
    let during = acked(&acked_file) - down_at;
    es.resume(); // and comes back, with its data
    wait_exit(&mut client, 120);
    let n = acked(&acked_file);
    let mut last = (0, 0);
    s.wait_for(300, "the backlog drained into Elasticsearch", || {
        let now = stored_up_to(&es, n);
        if now != last {
            eprintln!(
                "outage: {now:?} of {n} in Elasticsearch; sluice sent {} and holds {}",
                s.metric(
                    r#"sluice_events_sent_total{component="es",component_type="elasticsearch"}"#
                ),
                s.metric(r#"sluice_buffer_events{component="es",component_type="elasticsearch"}"#)
            );
            last = now;
        }
        now.0 == n
    });
    let hwm = vm_hwm_kib(pid);
    println!(
        "OUTAGE secs={outage} acked={n} acked_during_outage={during} peak_rss_kib={peak_rss} vm_hwm_kib={hwm}"
    );
    assert!(
        during > 0,
        "the source kept being acknowledged during the outage"
    );
    assert!(
        hwm < 300 * 1024,
        "peak RSS {hwm} KiB over an outage with a disk buffer"
    );
    assert!(peak_buffer > 0.0, "sluice_buffer_bytes showed the backlog");
    s.wait_for(10, "the buffer gauges back at 0", || {
        s.metric(r#"sluice_buffer_bytes{component="es",component_type="elasticsearch"}"#) == 0.0
            && s.metric(r#"sluice_buffer_events{component="es",component_type="elasticsearch"}"#)
                == 0.0
    });
}

fn status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS:")
}

fn vm_hwm_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM:")
}

/// The record boundaries of a segment file (length-prefixed frames).
fn frames(data: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 8 <= data.len() {
        let len = u32::from_le_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        out.push((at, at + 8 + len));
        at += 8 + len;
    }
    out
}

/// Damage: a segment cut inside its last record, a byte flipped inside another record,
/// and a 0-byte ledger. sluice starts, counts the two damaged records, and delivers the
/// rest.
#[test]
fn a_damaged_disk_buffer_starts_and_delivers_the_rest() {
    if !have("noida-db") || !have_py("pylogbeat") {
        return;
    }
    let es_port = free_port();
    // Elasticsearch down: everything waits in the disk buffer.
    let mut s = Server::start_degraded(&pipeline(es_port, ""));
    let out = py_client("beats_send.py", &format!("{} 500 100", s.port));
    assert!(out.contains("\"sent\": 500"), "{out}");
    if let Some(mut c) = s.child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
    let dir = s.data("buffers/es");
    let mut segs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    segs.sort();
    let last = segs.last().expect("a segment").clone();
    let mut data = std::fs::read(&last).unwrap();
    let f = frames(&data);
    assert_eq!(f.len(), 500, "every acknowledged event is in the segment");
    // A byte flipped in the payload of record 100; the file cut inside record 500.
    data[f[99].0 + 20] ^= 0x55;
    data.truncate(f[499].0 + 10);
    std::fs::write(&last, &data).unwrap();
    std::fs::write(dir.join("ledger.json"), b"").unwrap();

    // Offline: verify finds both, inspect shows what waits; repair (on a copy) cuts the
    // torn tail and leaves the flipped record to be skipped on reading.
    let data_dir = s.dir.path().join("data");
    let run = |args: &[&str], data_dir: &Path| {
        let out = Command::new(sluice_bin())
            .args(args)
            .arg("--data-dir")
            .arg(data_dir)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = run(&["buffer", "verify"], &data_dir);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("es: 498 events"), "{text}");
    assert!(
        text.contains("2 damaged records; unreadable from byte"),
        "{text}"
    );
    assert!(
        text.contains("ledger: ") && text.contains("empty"),
        "{text}"
    );
    let (code, text) = run(&["buffer", "inspect", "--sink", "es"], &data_dir);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("segment 1: ") && text.contains("498 events from offset 0"),
        "{text}"
    );
    let copy = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(copy.path().join("buffers/es")).unwrap();
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        std::fs::copy(e.path(), copy.path().join("buffers/es").join(e.file_name())).unwrap();
    }
    let (code, text) = run(&["buffer", "repair"], copy.path());
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("cut 1 damaged tails"), "{text}");
    let (code, text) = run(&["buffer", "verify"], copy.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("1 damaged records") && !text.contains("unreadable"),
        "{text}"
    );

    let _es = Noida::start(es_port);
    s.kill9_and_restart();
    s.wait_for(60, "498 events delivered", || {
        s.metric(r#"sluice_events_sent_total{component="es",component_type="elasticsearch"}"#)
            >= 498.0
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        s.metric(r#"sluice_events_sent_total{component="es",component_type="elasticsearch"}"#),
        498.0
    );
    assert_eq!(
        s.metric(
            r#"sluice_buffer_corrupt_records_total{component="es",component_type="elasticsearch"}"#
        ),
        2.0
    );
    let log = s.stderr();
    assert!(log.contains("ledger not usable"), "{log}");
    assert!(log.contains("damaged"), "{log}");
}

/// A tmpfs of `size`, unmounted on drop. `None` when this machine cannot mount one
/// (not root); under CI=true that fails the test.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let d = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(d.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "mounting a tmpfs needs root; CI runs as root"
            );
            eprintln!("skipping: cannot mount a tmpfs here");
            return None;
        }
        Some(Tmpfs(d))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

fn lines_of(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("not a whole JSON line ({e}): {l:.80}"))
        })
        .collect()
}

/// A full disk under the file sink: an event counts as sent only once written; the
/// error names the path, is logged rate-limited, and shows in /health; the sources are
/// held back (nothing is lost, nothing torn); once space is freed, writing resumes
/// without a restart and every event is in the file exactly once.
#[test]
fn a_full_disk_holds_the_pipeline_and_writing_resumes_when_space_is_freed() {
    let Some(fs) = Tmpfs::mount("2m") else { return };
    let filler = fs.0.path().join("filler");
    std::fs::write(&filler, vec![b'x'; 1200 * 1024]).unwrap();
    let out = fs.0.path().join("out.json");
    let s = Server::start(&format!(
        r#"
[sources.json]
type = "json_lines"
address = "127.0.0.1:{{PORT}}"
[sinks.file]
type = "file"
inputs = ["json"]
path = "{}"
"#,
        out.display()
    ));
    let port = s.port;
    let total = 12_000;
    let sender = std::thread::spawn(move || {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        for i in 0..total {
            let line = format!(
                "{{\"seq\":{i},\"message\":\"event {i} {}\"}}\n",
                "p".repeat(40)
            );
            std::io::Write::write_all(&mut c, line.as_bytes()).unwrap();
        }
    });
    s.wait_for(30, "/health to name the full disk", || {
        http_get(s.admin, "/health").is_ok_and(|(c, b)| {
            c == 503 && b.contains(&out.display().to_string()) && b.contains("No space left")
        })
    });
    std::thread::sleep(Duration::from_secs(2));
    let sent = s.metric(r#"sluice_events_sent_total{component="file",component_type="file"}"#);
    let written = lines_of(&out);
    assert!(
        sent < f64::from(total),
        "sent {sent} while the disk is full"
    );
    assert_eq!(
        written.len() as f64,
        sent,
        "sent counts only what is in the file"
    );
    assert_eq!(
        s.metric(r#"sluice_events_dropped_total{component="file",component_type="file",reason="io_error"}"#),
        0.0
    );
    // The storage metrics show the file system filling, and the log warns.
    let fs_label = fs.0.path().display().to_string();
    s.wait_for(
        40,
        "the storage metrics to show the full file system",
        || {
            let free = s.metric(&format!(
                r#"sluice_filesystem_free_bytes{{path="{fs_label}"}}"#
            ));
            let size = s.metric(&format!(
                r#"sluice_filesystem_size_bytes{{path="{fs_label}"}}"#
            ));
            let files = s.metric(
                r#"sluice_storage_bytes{component="file",component_type="file",kind="files"}"#,
            );
            size > 0.0 && free * 10.0 < size && files > 0.0
        },
    );
    assert!(s.stderr().contains("less than 10% free"), "{}", s.stderr());
    // Space comes back: everything is written, once, without a restart.
    std::fs::remove_file(&filler).unwrap();
    s.wait_for(60, "all 12000 events written", || {
        s.metric(r#"sluice_events_sent_total{component="file",component_type="file"}"#)
            >= f64::from(total)
    });
    sender.join().unwrap();
    let written = lines_of(&out);
    assert_eq!(written.len(), total as usize);
    let mut seqs: Vec<u64> = written.iter().map(|v| v["seq"].as_u64().unwrap()).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), total as usize, "each event once");
    assert_eq!(http_get(s.admin, "/health").unwrap().0, 200);
    let log = s.stderr();
    let logged = log.matches("No space left").count();
    assert!((1..=15).contains(&logged), "logged {logged} times:\n{log}");
    assert!(s.metric(r#"sluice_component_errors_total{component="file",component_type="file",error_type="io"}"#) >= 1.0);
}

/// kill -9 while 60 KB messages are being written: after each restart the file holds
/// only whole lines (a torn last line is cut off on open and counted), so the next event
/// never glues onto a fragment.
#[test]
fn kill_9_mid_write_never_leaves_a_torn_line() {
    let mut s = Server::start(
        r#"
[sources.json]
type = "json_lines"
address = "127.0.0.1:{PORT}"
max_line_bytes = "1MiB"
[sinks.file]
type = "file"
inputs = ["json"]
path = "out.json"
"#,
    );
    let out = s.data("out.json");
    let big = "m".repeat(60_000);
    let mut rng = Lcg(7);
    for trial in 0..7 {
        let port = s.port;
        let big2 = big.clone();
        let flood = std::thread::spawn(move || {
            let Ok(mut c) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
                return;
            };
            for i in 0..2000 {
                let line = format!("{{\"trial\":{trial},\"seq\":{i},\"message\":\"{big2}\"}}\n");
                if std::io::Write::write_all(&mut c, line.as_bytes()).is_err() {
                    return;
                }
            }
        });
        std::thread::sleep(Duration::from_millis(100 + u64::from(rng.next_byte())));
        s.kill9_and_restart();
        let _ = flood.join();
        // One more event after the restart must be a line of its own.
        let mut c = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        std::io::Write::write_all(&mut c, format!("{{\"after\":{trial}}}\n").as_bytes()).unwrap();
        drop(c);
        s.wait_for(10, "the event after the restart", || {
            std::fs::read_to_string(&out).is_ok_and(|t| t.contains(&format!("\"after\":{trial}")))
        });
        lines_of(&out); // every line whole JSON
    }
}

/// SIGTERM while Elasticsearch is unreachable: sluice exits at once (it does not wait
/// the shutdown grace for a sink that cannot deliver), what is in the disk buffer stays
/// there, and the next start delivers it.
#[test]
fn sigterm_leaves_the_backlog_in_the_disk_buffer_for_the_next_start() {
    if !have("noida-db") || !have_py("pylogbeat") {
        return;
    }
    let es_port = free_port();
    let mut s = Server::start_degraded(&pipeline(es_port, ""));
    let out = py_client("beats_send.py", &format!("{} 500 100", s.port));
    assert!(out.contains("\"sent\": 500"), "{out}");
    let t = Instant::now();
    assert_eq!(s.stop(), 0, "{}", s.stderr());
    assert!(
        t.elapsed() < Duration::from_secs(15),
        "shutdown took {:?} (the grace is 20 s)",
        t.elapsed()
    );
    assert!(
        s.stderr().contains("stays in the disk buffer"),
        "{}",
        s.stderr()
    );
    let es = Noida::start(es_port);
    s.kill9_and_restart();
    s.wait_for(60, "the 500 events delivered after the restart", || {
        es.count("durable") == 500
    });
}
