//! The Elasticsearch sink against a real ES 8.15 API (noida-db from PyPI: Debian ships no
//! Elasticsearch) and against a fault-injecting `_bulk` endpoint of our own.

use crate::support::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// noida-db serving only its Elasticsearch API on `port`, stopped on drop.
pub(crate) struct Noida {
    child: Option<Child>,
    pub(crate) port: u16,
    dir: tempfile::TempDir,
}

impl Noida {
    pub(crate) fn start(port: u16) -> Noida {
        let mut n = Noida {
            child: None,
            port,
            dir: tempfile::tempdir().unwrap(),
        };
        n.resume();
        n
    }

    /// Starts the server (again) on the same port and data.
    pub(crate) fn resume(&mut self) {
        let child = Command::new("noida-db")
            .args(["start", "--only", "elasticsearch", "--elasticsearch-port"])
            .arg(self.port.to_string())
            .arg("--data-dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // `noida-db` on PATH may be a wrapper (a pyenv shim) that starts the server
            // as its child: a process group of its own lets `stop` end them all.
            .process_group(0)
            .spawn()
            .expect("start noida-db");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.request("GET", "/").0 != 200 {
            assert!(Instant::now() < deadline, "noida-db did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server (SIGKILL, the whole process group); its data stays.
    pub(crate) fn stop(&mut self) {
        self.signal_stop("-KILL");
    }

    /// Stops the server as an operator would (SIGTERM), so that it keeps what it
    /// acknowledged: noida-db, unlike Elasticsearch with its translog, loses the
    /// writes of its last moments to a SIGKILL, which is not the outage under test.
    pub(crate) fn shut_down(&mut self) {
        self.signal_stop("-TERM");
    }

    fn signal_stop(&mut self, signal: &str) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", child.id())])
            .status();
        let _ = child.wait();
        // Gone when its port no longer answers; killed if it takes more than 10 s.
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.request("GET", "/").0 != 0 {
            if Instant::now() > deadline {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `method path` with an empty body, the connection closed after: (status, body);
    /// (0, "") when nothing answers.
    pub(crate) fn request(&self, method: &str, path: &str) -> (u16, String) {
        self.request_with(method, path, "")
    }

    /// `method path` with a JSON `body`.
    pub(crate) fn request_with(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let Ok(mut c) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return (0, String::new());
        };
        let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = write!(
            c,
            "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut s = String::new();
        let _ = c.read_to_string(&mut s);
        let status = s
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, s.split("\r\n\r\n").nth(1).unwrap_or("").to_owned())
    }

    /// Documents in `index`, after a refresh.
    pub(crate) fn count(&self, index: &str) -> u64 {
        self.request("POST", &format!("/{index}/_refresh"));
        let (_, body) = self.request("GET", &format!("/{index}/_count"));
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        v["count"].as_u64().unwrap_or(0)
    }
}

impl Drop for Noida {
    fn drop(&mut self) {
        self.stop();
    }
}

fn today_index() -> String {
    format!("studio-logs-{}", chrono::Utc::now().format("%Y.%m.%d"))
}

/// `{"seq":i,"message":"event i"}` for each i of `range`.
fn seq_lines(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range
        .map(|i| format!(r#"{{"seq":{i},"message":"event {i}"}}"#))
        .collect()
}

/// `sluice_events_sent_total` of the sink `es`.
fn es_sent(s: &Server) -> f64 {
    s.metric(r#"sluice_events_sent_total{component="es",component_type="elasticsearch"}"#)
}

fn send_json_lines(port: u16, lines: &[String]) {
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    for l in lines {
        c.write_all(l.as_bytes()).unwrap();
        c.write_all(b"\n").unwrap();
    }
}

fn pipeline(es_port: u16, extra: &str) -> String {
    format!(
        r#"
[sources.json]
type = "json_lines"
address = "127.0.0.1:{{PORT}}"
[sinks.es]
type = "elasticsearch"
inputs = ["json"]
endpoints = ["http://127.0.0.1:{es_port}"]
index = "studio-logs-%{{+YYYY.MM.dd}}"
document_id = "%{{seq}}"
batch_timeout = "100ms"
retry = {{ initial = "100ms", max = "500ms" }}
{extra}
"#
    )
}

/// Daily indices, search-back of what was sent, a mapping conflict in the dead-letter
/// file with its reason while the rest flows, and gzip.
#[test]
fn events_land_in_todays_index_and_a_mapping_conflict_is_dead_lettered() {
    if !have("noida-db") {
        return;
    }
    let es = Noida::start(free_port());
    let s = Server::start(&pipeline(es.port, "compression = \"gzip\""));
    let mut lines: Vec<String> = (1..=200)
        .map(|i| format!(r#"{{"seq":{i},"n":{i},"message":"event {i}"}}"#))
        .collect();
    send_json_lines(s.port, &lines[..1]);
    // The first document maps `n` as a number; a string there conflicts.
    s.wait_for(30, "the first document", || es.count(&today_index()) == 1);
    lines.push(r#"{"seq":999,"n":"not a number","message":"conflict"}"#.to_owned());
    send_json_lines(s.port, &lines[1..]);
    s.wait_for(60, "199 more delivered and 1 dead-lettered", || {
        es_sent(&s) >= 200.0
            && s.metric(r#"sluice_events_dropped_total{component="es",component_type="elasticsearch",reason="dead_letter"}"#) >= 1.0
    });
    assert_eq!(es.count(&today_index()), 200);
    let dl = read_json_lines(&s.data("dead_letters/es/dead_letters.jsonl"));
    assert_eq!(dl.len(), 1, "{dl:#?}");
    assert_eq!(dl[0]["event"]["seq"], 999);
    assert_eq!(dl[0]["status"], 400);
    assert_eq!(dl[0]["index"], today_index());
    assert!(
        dl[0]["error"]["type"].as_str().unwrap().contains("parsing"),
        "{}",
        dl[0]
    );
    assert_eq!(http_get(s.admin, "/health").unwrap().0, 200);
}

/// Elasticsearch down at start: the events wait, the instance says it is degraded, and
/// every one lands once Elasticsearch comes up; 1000 more then land exactly once.
#[test]
fn events_wait_while_elasticsearch_is_down_and_land_when_it_comes_up() {
    if !have("noida-db") {
        return;
    }
    let port = free_port();
    let s = Server::start_degraded(&pipeline(port, ""));
    let lines = seq_lines(1..=500);
    send_json_lines(s.port, &lines);
    s.wait_for(30, "/health to say Elasticsearch is unreachable", || {
        http_get(s.admin, "/health").is_ok_and(|(c, b)| c == 503 && b.contains("Elasticsearch"))
    });
    assert_eq!(es_sent(&s), 0.0);
    let es = Noida::start(port);
    s.wait_for(60, "all 500 delivered", || es_sent(&s) >= 500.0);
    assert_eq!(es.count(&today_index()), 500);
    s.wait_for(10, "/health to recover", || {
        http_get(s.admin, "/health").is_ok_and(|(c, _)| c == 200)
    });
    // 1000 more land exactly once in today's index.
    let more = seq_lines(501..=1500);
    send_json_lines(s.port, &more);
    s.wait_for(60, "1500 delivered", || es_sent(&s) >= 1500.0);
    assert_eq!(es.count(&today_index()), 1500);
    let (_, body) = es.request(
        "GET",
        &format!("/{}/_search?size=0&track_total_hits=true", today_index()),
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["hits"]["total"]["value"], 1500, "{v}");
}

/// What our fault-injecting `_bulk` endpoint saw: documents stored by id (`_id`, else the
/// document's `seq`), requests, the bulk actions and indices; `root` is what it answers
/// to `GET /` (an Elasticsearch 8 by default).
#[derive(Default)]
struct Seen {
    stored: HashMap<String, u32>,
    requests: u32,
    actions: Vec<String>,
    indices: Vec<String>,
    root: Option<String>,
}

/// How the fault server answers one `_bulk` request.
enum Answer {
    /// This status for the whole request.
    Whole(u16),
    /// No answer: the connection is closed after the request was read.
    Drop,
    /// The items are stored (201), then the connection is closed without an answer.
    StoreThenDrop,
    /// A status per item, after a pause.
    Items(Vec<u16>, Duration),
}

/// `(request number from 1, the ids, the body's length) -> the answer`.
type Script = Arc<dyn Fn(u32, &[String], usize) -> Answer + Send + Sync>;

/// The first script: 1: 503; 2: the connection is dropped after reading (fate unknown);
/// 3: per item, id 3 is a 400 mapping error, even ids are 429, the rest 201; 4 and after:
/// 201 for all.
fn first_script() -> Script {
    Arc::new(|n, ids, _| match n {
        1 => Answer::Whole(503),
        2 => Answer::Drop,
        n => Answer::Items(
            ids.iter()
                .map(|id| match (n, id.parse::<u32>().unwrap_or(0)) {
                    (3, 3) => 400,
                    (3, i) if i % 2 == 0 => 429,
                    _ => 201,
                })
                .collect(),
            Duration::ZERO,
        ),
    })
}

/// Serves `_bulk` by `script`; stores (counts, by id) the items it accepts with 201.
fn fault_server(seen: Arc<Mutex<Seen>>, script: Script) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(conn) = conn else { return };
            let (seen, script) = (seen.clone(), script.clone());
            std::thread::spawn(move || serve_faults(conn, &seen, &script));
        }
    });
    port
}

fn serve_faults(conn: TcpStream, seen: &Mutex<Seen>, script: &Script) {
    let mut r = BufReader::new(conn.try_clone().unwrap());
    let mut w = conn;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split(' ').nth(1).unwrap_or("").to_owned();
        let mut len = 0;
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let (status, answer) = if path == "/" {
            let root = seen.lock().unwrap().root.clone();
            (
                200,
                root.unwrap_or_else(|| r#"{"version":{"number":"8.15.0"}}"#.to_owned()),
            )
        } else {
            let text = String::from_utf8_lossy(&body).into_owned();
            let lines: Vec<serde_json::Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            let mut ids = Vec::new();
            let n = {
                let mut seen = seen.lock().unwrap();
                seen.requests += 1;
                for pair in lines.chunks(2) {
                    let (action, meta) = pair[0].as_object().unwrap().iter().next().unwrap();
                    seen.actions.push(action.clone());
                    seen.indices
                        .push(meta["_index"].as_str().unwrap().to_owned());
                    ids.push(match meta["_id"].as_str() {
                        Some(id) => id.to_owned(),
                        None => pair[1]["seq"].to_string(),
                    });
                }
                seen.requests
            };
            match script(n, &ids, body.len()) {
                Answer::Whole(status) => (status, r#"{"error":"scripted"}"#.to_owned()),
                Answer::Drop => return, // the sender cannot know what happened
                Answer::StoreThenDrop => {
                    let mut seen = seen.lock().unwrap();
                    for id in &ids {
                        *seen.stored.entry(id.clone()).or_default() += 1;
                    }
                    return;
                }
                Answer::Items(statuses, pause) => {
                    std::thread::sleep(pause);
                    let mut seen = seen.lock().unwrap();
                    let items: Vec<String> = ids
                        .iter()
                        .zip(statuses)
                        .map(|(id, status)| {
                            if status == 201 {
                                *seen.stored.entry(id.clone()).or_default() += 1;
                            }
                            if status == 400 {
                                r#"{"index":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse [n]"}}}"#.to_owned()
                            } else {
                                format!(r#"{{"index":{{"status":{status}}}}}"#)
                            }
                        })
                        .collect();
                    (
                        200,
                        format!(r#"{{"errors":true,"items":[{}]}}"#, items.join(",")),
                    )
                }
            }
        };
        let _ = write!(
            w,
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        );
    }
}

/// 503s, a connection dropped mid-request, partial failures mixed with successes: every
/// event is delivered or dead-lettered, nothing in silence; with `document_id`, what the
/// endpoint stored has no duplicates.
#[test]
fn faults_lose_nothing_and_retry_only_what_failed() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let port = fault_server(seen.clone(), first_script());
    let s = Server::start(&pipeline(port, "batch_max_events = 20\nmax_in_flight = 1"));
    let lines = seq_lines(1..=10);
    send_json_lines(s.port, &lines);
    s.wait_for(30, "9 delivered and 1 dead-lettered", || {
        es_sent(&s) >= 9.0
            && s.metric(r#"sluice_events_dropped_total{component="es",component_type="elasticsearch",reason="dead_letter"}"#) >= 1.0
    });
    let seen = seen.lock().unwrap();
    let mut ids: Vec<&String> = seen.stored.keys().collect();
    ids.sort_by_key(|i| i.parse::<u32>().unwrap_or(0));
    assert_eq!(ids, ["1", "2", "4", "5", "6", "7", "8", "9", "10"]);
    assert!(
        seen.stored.values().all(|n| *n == 1),
        "stored twice: {:?}",
        seen.stored
    );
    // Request 4 carried only what request 3 did not settle: the five 429s.
    assert_eq!(seen.requests, 4);
    let dl = read_json_lines(&s.data("dead_letters/es/dead_letters.jsonl"));
    assert_eq!(dl.len(), 1);
    assert_eq!(dl[0]["event"]["seq"], 3);
    assert_eq!(dl[0]["error"]["type"], "mapper_parsing_exception");
    assert_eq!(dl[0]["attempts"], 3);
    assert_eq!(es_sent(&s), 9.0);
    // Items by outcome and status: every attempt accounted for.
    let items = |outcome: &str, status: &str| {
        s.metric(&format!(
            r#"sluice_sink_items_total{{component="es",component_type="elasticsearch",outcome="{outcome}",status="{status}"}}"#
        ))
    };
    assert_eq!(items("retried", "503"), 10.0);
    assert_eq!(items("retried", "none"), 10.0);
    assert_eq!(items("retried", "429"), 5.0);
    assert_eq!(items("dead_letter", "400"), 1.0);
    assert_eq!(items("delivered", "201"), 9.0);
    assert_eq!(
        s.metric(&format!(
            r#"sluice_sink_endpoint_up{{component="es",component_type="elasticsearch",endpoint="127.0.0.1:{port}"}}"#
        )),
        1.0
    );
    assert!(
        s.metric(
            r#"sluice_sink_bytes_total{component="es",component_type="elasticsearch",stage="sent"}"#
        ) > 0.0
    );
}

/// config/studio.toml, the mission's pipeline, into Elasticsearch: the Django lines over
/// Beats land in the daily index of their own date, parsed, redacted and tagged as in
/// the files.
#[test]
fn the_studio_pipeline_writes_daily_indices() {
    if !have("noida-db") {
        return;
    }
    let es = Noida::start(free_port());
    let (s, beats) = crate::studio::studio_with_es(Some(es.port));
    crate::studio::beats_send(
        beats,
        &[crate::studio::DJANGO_ERROR, crate::studio::DJANGO_LOGIN],
    );
    s.wait_for(30, "2 documents in studio-logs-2026.11.24", || {
        es.count("studio-logs-2026.11.24") == 2
    });
    let (_, body) = es.request("GET", "/studio-logs-2026.11.24/_search?q=level:ERROR");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let doc = &v["hits"]["hits"][0]["_source"];
    assert_eq!(doc["level"], "ERROR", "{v}");
    assert_eq!(doc["response_time"], 2500);
    assert_eq!(doc["process"]["pid"], 4242);
    assert_eq!(doc["tags"], serde_json::json!(["error"]));
    assert_eq!(doc["@timestamp"], "2026-11-24T12:00:00.123Z");
}

/// A mapping conflict ends in the dead-letter file; `dead-letters list` shows it by
/// reason; after the cause is fixed (here: the index is recreated), `dead-letters replay`
/// delivers it and the file is empty.
#[test]
fn dead_letters_are_listed_and_replayed_after_the_fix() {
    if !have("noida-db") {
        return;
    }
    let es = Noida::start(free_port());
    let s = Server::start(&pipeline(es.port, ""));
    send_json_lines(
        s.port,
        &[r#"{"seq":1,"n":1,"message":"number"}"#.to_owned()],
    );
    s.wait_for(30, "the first document", || es.count(&today_index()) == 1);
    send_json_lines(
        s.port,
        &[r#"{"seq":2,"n":"text","message":"conflict"}"#.to_owned()],
    );
    s.wait_for(30, "a dead letter", || {
        s.data("dead_letters/es/dead_letters.jsonl").exists()
    });
    let cfg = s.dir.path().join("sluice.toml");
    let run = |cmd: &str| sluice(&["dead-letters", cmd, "--sink", "es"], &cfg);
    let out = run("list");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("es: 1 dead letters")
            && text.contains("status 400")
            && text.contains("parsing"),
        "{text}"
    );
    // The fix: a fresh index whose `n` is not a number.
    assert_eq!(es.request("DELETE", &format!("/{}", today_index())).0, 200);
    let out = run("replay");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("1 delivered, 0 dead-lettered again"),
        "{text}"
    );
    assert_eq!(es.count(&today_index()), 1);
    assert!(read_json_lines(&s.data("dead_letters/es/dead_letters.jsonl")).is_empty());
    let out = run("list");
    assert!(String::from_utf8_lossy(&out.stdout).contains("no dead letters"));
}

/// A 413 splits the request until the document that is too large stands alone; it is
/// dead-lettered with that reason and the rest is delivered. A request slower than
/// `request_timeout` is sent again; with `document_id` that indexes the same ids again
/// rather than adding documents.
#[test]
fn too_large_requests_split_and_slow_ones_are_retried() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let script: Script = Arc::new(|n, ids, len| {
        if len > 3000 {
            Answer::Whole(413)
        } else {
            let pause = if n == 1 {
                Duration::from_millis(1500)
            } else {
                Duration::ZERO
            };
            Answer::Items(vec![201; ids.len()], pause)
        }
    });
    let port = fault_server(seen.clone(), script);
    let s = Server::start(&pipeline(
        port,
        "batch_max_events = 50\nmax_in_flight = 1\nrequest_timeout = \"500ms\"",
    ));
    let mut lines = seq_lines(1..=10);
    lines.insert(
        5,
        format!(r#"{{"seq":99,"message":"{}"}}"#, "x".repeat(4000)),
    );
    // The first request (small) is answered too late, then everything else goes through.
    send_json_lines(s.port, &lines[..1]);
    std::thread::sleep(Duration::from_millis(300));
    send_json_lines(s.port, &lines[1..]);
    s.wait_for(30, "10 delivered and 1 dead-lettered", || {
        es_sent(&s) >= 10.0
            && s.metric(r#"sluice_events_dropped_total{component="es",component_type="elasticsearch",reason="dead_letter"}"#) >= 1.0
    });
    let dl = read_json_lines(&s.data("dead_letters/es/dead_letters.jsonl"));
    assert_eq!(dl.len(), 1);
    assert_eq!(dl[0]["event"]["seq"], 99);
    assert_eq!(dl[0]["status"], 413);
    let seen = seen.lock().unwrap();
    let mut ids: Vec<u32> = seen.stored.keys().map(|i| i.parse().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, (1..=10).collect::<Vec<u32>>());
    // The slow request's document was indexed twice under one id: no extra document.
    assert!(seen.stored["1"] <= 2);
    assert!(
        s.metric(r#"sluice_sink_items_total{component="es",component_type="elasticsearch",outcome="retried",status="none"}"#) >= 1.0
    );
}

/// A storm of 429s: the items wait and are delivered when it ends; with `max_retries`,
/// items still refused after that many attempts are dead-lettered instead.
#[test]
fn a_429_storm_delays_but_loses_nothing() {
    let script: Script = Arc::new(|n, ids, _| {
        if n <= 6 {
            Answer::Whole(429)
        } else {
            Answer::Items(vec![201; ids.len()], Duration::ZERO)
        }
    });
    let seen = Arc::new(Mutex::new(Seen::default()));
    let port = fault_server(seen.clone(), script.clone());
    let s = Server::start(&pipeline(port, "max_in_flight = 1"));
    let lines = seq_lines(1..=20);
    send_json_lines(s.port, &lines);
    s.wait_for(30, "20 delivered after the storm", || es_sent(&s) >= 20.0);
    assert_eq!(seen.lock().unwrap().stored.len(), 20);
    assert!(
        s.metric(r#"sluice_sink_items_total{component="es",component_type="elasticsearch",outcome="retried",status="429"}"#) >= 20.0
    );
    assert!(!s.data("dead_letters/es/dead_letters.jsonl").exists());

    // The same storm with max_retries = 2: dead letters, with that reason.
    let seen = Arc::new(Mutex::new(Seen::default()));
    let port = fault_server(seen, script);
    let s = Server::start(&pipeline(port, "max_in_flight = 1\nmax_retries = 2"));
    send_json_lines(s.port, &lines[..5]);
    s.wait_for(30, "5 dead letters", || {
        s.metric(r#"sluice_events_dropped_total{component="es",component_type="elasticsearch",reason="dead_letter"}"#) >= 5.0
    });
    let dl = read_json_lines(&s.data("dead_letters/es/dead_letters.jsonl"));
    assert_eq!(dl.len(), 5);
    assert!(
        dl.iter()
            .all(|d| d["error"]["type"] == "max_retries" && d["attempts"] == 3),
        "{dl:#?}"
    );
}

/// `data_stream`: events go with `create` to `logs-<dataset>-<namespace>`, carry their
/// `data_stream.*` fields, and an event's own dataset routes it (auto-routing). noida-db
/// stores them; it does not enforce data-stream rules (append-only, `@timestamp`), which
/// only a real Elasticsearch does (deploy/docker-compose.yml).
#[test]
fn data_streams_are_written_with_create_and_routed_by_the_events() {
    if !have("noida-db") {
        return;
    }
    let es = Noida::start(free_port());
    let cfg = format!(
        r#"
[sources.json]
type = "json_lines"
address = "127.0.0.1:{{PORT}}"
[sinks.es]
type = "elasticsearch"
inputs = ["json"]
endpoints = ["http://127.0.0.1:{}"]
data_stream = {{ dataset = "studio", namespace = "prod" }}
batch_timeout = "100ms"
"#,
        es.port
    );
    let s = Server::start(&cfg);
    let mut lines = seq_lines(1..=20);
    lines.push(r#"{"seq":21,"message":"from nginx","data_stream":{"dataset":"nginx"}}"#.into());
    send_json_lines(s.port, &lines);
    s.wait_for(
        30,
        "20 events in logs-studio-prod and 1 in logs-nginx-prod",
        || es.count("logs-studio-prod") == 20 && es.count("logs-nginx-prod") == 1,
    );
    let (_, body) = es.request("GET", "/logs-studio-prod/_search?size=1");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let doc = &v["hits"]["hits"][0]["_source"];
    assert_eq!(
        doc["data_stream"],
        serde_json::json!({"type": "logs", "dataset": "studio", "namespace": "prod"}),
        "{v}"
    );
    assert!(doc["@timestamp"].is_string(), "{doc}");

    // The action is `create`, whatever the sink would index with otherwise.
    let seen = Arc::new(Mutex::new(Seen::default()));
    let port = fault_server(
        seen.clone(),
        Arc::new(|_, ids, _| Answer::Items(vec![201; ids.len()], Duration::ZERO)),
    );
    let s = Server::start(&cfg.replace(&es.port.to_string(), &port.to_string()));
    send_json_lines(s.port, &lines[..3]);
    s.wait_for(30, "3 delivered", || es_sent(&s) >= 3.0);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.actions, ["create"; 3]);
    assert_eq!(seen.indices, ["logs-studio-prod"; 3]);
}

/// A config mixing `data_stream` with `index` or `action = "index"` is refused, naming
/// the keys; so is a stream name Elasticsearch would refuse.
#[test]
fn data_stream_configs_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("es.toml");
    std::fs::write(
        &cfg,
        r#"
[sources.json]
type = "json_lines"
address = "127.0.0.1:0"
[sinks.es]
type = "elasticsearch"
inputs = ["json"]
endpoints = ["http://127.0.0.1:9200"]
index = "studio"
action = "index"
data_stream = { dataset = "my-app" }
"#,
    )
    .unwrap();
    let out = sluice(&["validate"], &cfg);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    for key in ["index", "action", "data_stream.dataset"] {
        assert!(
            err.contains(&format!("sinks.es.{key}")) || err.contains(&format!("`{key}`")),
            "{key}: {err}"
        );
    }
    assert!(err.contains("es.toml"), "{err}");
}

/// Two endpoints, one failing with 503: every event is delivered by the other, and the
/// failing one is rested (tried again only after its back-off), its up gauge at 0.
#[test]
fn a_failing_endpoint_is_rested_and_the_healthy_one_takes_the_load() {
    let good = Arc::new(Mutex::new(Seen::default()));
    let good_port = fault_server(
        good.clone(),
        Arc::new(|_, ids, _| Answer::Items(vec![201; ids.len()], Duration::ZERO)),
    );
    let bad = Arc::new(Mutex::new(Seen::default()));
    let bad_port = fault_server(bad.clone(), Arc::new(|_, _, _| Answer::Whole(503)));
    let cfg = pipeline(good_port, "batch_max_events = 10\nmax_in_flight = 1").replace(
        &format!(r#"endpoints = ["http://127.0.0.1:{good_port}"]"#),
        &format!(r#"endpoints = ["http://127.0.0.1:{bad_port}", "http://127.0.0.1:{good_port}"]"#),
    );
    let s = Server::start(&cfg);
    let lines = seq_lines(1..=200);
    for chunk in lines.chunks(10) {
        send_json_lines(s.port, chunk);
        std::thread::sleep(Duration::from_millis(20));
    }
    s.wait_for(30, "200 delivered", || es_sent(&s) >= 200.0);
    assert_eq!(good.lock().unwrap().stored.len(), 200);
    // Rested for 1 s, then 2 s, ...: a run of a few seconds reaches it a few times at
    // most, where plain round-robin would send it every other request.
    let bad_requests = bad.lock().unwrap().requests;
    let good_requests = good.lock().unwrap().requests;
    assert!(
        bad_requests <= 4 && good_requests >= 20,
        "bad endpoint: {bad_requests} requests, good: {good_requests}"
    );
    let up = |port: u16| {
        s.metric(&format!(
            r#"sluice_sink_endpoint_up{{component="es",component_type="elasticsearch",endpoint="127.0.0.1:{port}"}}"#
        ))
    };
    assert_eq!((up(bad_port), up(good_port)), (0.0, 1.0));
}

/// The same config against an OpenSearch 2 API and an Elasticsearch 7 API: the version
/// is read and logged, no `_type` is ever sent, and everything is delivered.
#[test]
fn opensearch_and_elasticsearch_7_take_the_same_requests() {
    for root in [
        r#"{"version":{"distribution":"opensearch","number":"2.11.1"}}"#,
        r#"{"version":{"number":"7.17.9"}}"#,
    ] {
        let seen = Arc::new(Mutex::new(Seen {
            root: Some(root.to_owned()),
            ..Seen::default()
        }));
        let port = fault_server(
            seen.clone(),
            Arc::new(|_, ids, _| Answer::Items(vec![201; ids.len()], Duration::ZERO)),
        );
        let s = Server::start(&pipeline(port, ""));
        let lines = seq_lines(1..=50);
        send_json_lines(s.port, &lines);
        s.wait_for(30, "50 delivered", || es_sent(&s) >= 50.0);
        s.wait_for(10, "the version in the log", || {
            s.stderr().contains("Elasticsearch reached")
        });
        let log = s.stderr();
        let v: serde_json::Value = serde_json::from_str(root).unwrap();
        assert!(
            log.contains(v["version"]["number"].as_str().unwrap()),
            "{log}"
        );
        if root.contains("opensearch") {
            assert!(log.contains("opensearch"), "{log}");
        }
        let seen = seen.lock().unwrap();
        assert_eq!(seen.stored.len(), 50);
        assert!(seen.actions.iter().all(|a| a == "index"));
    }
}

/// Without `document_id`, an attempt whose fate is unknown (the connection dropped after
/// the request was read, and the endpoint had stored it) can only be sent again: the
/// duplicates that makes are exactly the ones counted as possible duplicates.
#[test]
fn unknown_fates_without_document_id_are_counted_as_possible_duplicates() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    // Request 2 is stored, then its connection dropped before the answer.
    let stored_then_dropped: Script = Arc::new(|n, ids, _| {
        if n == 2 {
            Answer::StoreThenDrop
        } else {
            Answer::Items(vec![201; ids.len()], Duration::ZERO)
        }
    });
    let port = fault_server(seen.clone(), stored_then_dropped);
    let cfg = pipeline(port, "batch_max_events = 5\nmax_in_flight = 1")
        .replace("document_id = \"%{seq}\"\n", "");
    let s = Server::start(&cfg);
    let lines = seq_lines(1..=15);
    for chunk in lines.chunks(5) {
        send_json_lines(s.port, chunk);
        std::thread::sleep(Duration::from_millis(300));
    }
    s.wait_for(30, "15 delivered", || es_sent(&s) >= 15.0);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.stored.len(), 15, "{:?}", seen.stored);
    let duplicates: u32 = seen.stored.values().map(|n| n - 1).sum();
    assert_eq!(duplicates, 5, "{:?}", seen.stored);
    assert_eq!(
        s.metric(r#"sluice_sink_items_total{component="es",component_type="elasticsearch",outcome="possible_duplicate",status="201"}"#),
        f64::from(duplicates)
    );
}

/// `https://` endpoints: noida-db behind socat's TLS (a test CA and a server certificate
/// for 127.0.0.1, made by openssl). With the CA as `tls.ca_file` the events land; with
/// the system's trust store the handshake is refused and nothing is delivered, and
/// /health says why; `verify = false` trusts it.
#[test]
fn https_endpoints_check_the_certificate_against_ca_file() {
    if !have("noida-db") || !have("socat") || !have("openssl") {
        return;
    }
    let es = Noida::start(free_port());
    let dir = tempfile::tempdir().unwrap();
    let (ca, crt, key) = make_certs(dir.path());
    let tls_port = free_port();
    let _socat = Killed(
        Command::new("socat")
            .arg(format!(
                "OPENSSL-LISTEN:{tls_port},bind=127.0.0.1,reuseaddr,fork,verify=0,cert={},key={}",
                crt.display(),
                key.display()
            ))
            .arg(format!("TCP:127.0.0.1:{}", es.port))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let sink = |id: &str, tls: &str| {
        format!(
            r#"
[sinks.{id}]
type = "elasticsearch"
inputs = ["json"]
endpoints = ["https://127.0.0.1:{tls_port}"]
index = "{id}"
batch_timeout = "100ms"
retry = {{ initial = "100ms", max = "500ms" }}
{tls}
"#
        )
    };
    let cfg = format!(
        "[sources.json]\ntype = \"json_lines\"\naddress = \"127.0.0.1:{{PORT}}\"\n{}{}{}",
        sink(
            "with_ca",
            &format!("tls = {{ ca_file = \"{}\" }}", ca.display())
        ),
        sink("system_store", ""),
        sink("no_verify", "tls = { verify = false }"),
    );
    let s = Server::start_degraded(&cfg);
    let lines = seq_lines(1..=30);
    send_json_lines(s.port, &lines);
    s.wait_for(30, "30 events in with_ca and no_verify", || {
        es.count("with_ca") == 30 && es.count("no_verify") == 30
    });
    s.wait_for(10, "/health to name the certificate problem", || {
        http_get(s.admin, "/health")
            .is_ok_and(|(c, b)| c == 503 && b.contains("system_store") && b.contains("TLS"))
    });
    assert_eq!(es.count("system_store"), 0);
    assert_eq!(
        s.metric(
            r#"sluice_events_sent_total{component="system_store",component_type="elasticsearch"}"#
        ),
        0.0
    );
}
