//! The mission's pipeline (config/studio.toml) end to end: the Django verbose line from the
//! issue, over Beats (as Filebeat ships studio.log) and over syslog from `logger`, and a
//! pathological grok pattern that must not stall the pipeline.

use crate::support::*;
use serde_json::Value;
use sluice_codec::lumberjack::{encode_window, WindowEncoding};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub(crate) const DJANGO_ERROR: &str = "ERROR 2026-11-24 12:00:00,123 views 4242 140234 Database connection failed response_time:2500ms";
pub(crate) const DJANGO_LOGIN: &str = "INFO 2026-11-24 12:00:01,000 accounts 4242 140235 User login succeeded request_id=req-7f3a response_time:12ms";

/// config/studio.toml with its listeners on free loopback ports, without its Elasticsearch
/// output (or with it pointed at `es`); returns the beats port.
fn studio() -> (Server, u16) {
    studio_with_es(None)
}

pub(crate) fn studio_with_es(es: Option<u16>) -> (Server, u16) {
    let mut text = std::fs::read_to_string(workspace_root().join("config/studio.toml")).unwrap();
    match es {
        Some(port) => text = text.replace("127.0.0.1:9200", &format!("127.0.0.1:{port}")),
        None => {
            let at = text
                .find("[sinks.elasticsearch]")
                .expect("an Elasticsearch sink");
            text.truncate(at);
        }
    }
    let beats = free_port();
    let json = free_port();
    let body: String = text
        .lines()
        .filter(|l| {
            !l.starts_with("data_dir")
                && *l != "[admin]"
                && !l.starts_with("address = \"127.0.0.1:9600\"")
        })
        .collect::<Vec<_>>()
        .join("\n")
        .replace("0.0.0.0:514", "127.0.0.1:{PORT}")
        .replace("0.0.0.0:5044", &format!("127.0.0.1:{beats}"))
        .replace("0.0.0.0:5170", &format!("127.0.0.1:{json}"));
    (Server::start(&body), beats)
}

/// Runs a Python script (text) with the server's syslog port as its argument.
fn run_python(s: &Server, name: &str, script: &str) {
    let path = s.dir.path().join(name);
    std::fs::write(&path, script).unwrap();
    sh(&format!("python3 {} {}", path.display(), s.port));
}

pub(crate) fn beats_send(port: u16, lines: &[&str]) {
    let docs: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| {
            serde_json::json!({"message": l, "log": {"file": {"path": "/var/log/studio/studio.log"}}, "@metadata": {"beat": "filebeat"}})
        })
        .collect();
    beats_send_docs(port, &docs);
}

/// One Beats window of these documents; waits for its ACK.
pub(crate) fn beats_send_docs(port: u16, docs: &[serde_json::Value]) {
    let lines = docs;
    let docs: Vec<Vec<u8>> = docs.iter().map(|d| d.to_string().into_bytes()).collect();
    let events: Vec<(u32, &[u8])> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (i as u32 + 1, d.as_slice()))
        .collect();
    let mut wire = Vec::new();
    encode_window(&mut wire, &events, WindowEncoding::Compressed(3));
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    c.write_all(&wire).unwrap();
    let mut ack = [0u8; 6];
    loop {
        c.read_exact(&mut ack).expect("an ACK");
        if u32::from_be_bytes([ack[2], ack[3], ack[4], ack[5]]) as usize == lines.len() {
            break;
        }
    }
}

fn find<'a>(lines: &'a [Value], needle: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["message"].as_str().is_some_and(|m| m.contains(needle)))
        .unwrap_or_else(|| panic!("no line with {needle:?} in {lines:#?}"))
}

#[test]
fn the_missions_django_line_comes_out_as_logstash_made_it() {
    let (s, beats) = studio();
    beats_send(beats, &[DJANGO_ERROR, DJANGO_LOGIN]);
    // Beats ACKs after writing: the lines are there now.
    let all = read_json_lines(&s.data("logs/studio.log"));
    let e = find(&all, "Database connection failed");
    assert_eq!(e["level"], "ERROR");
    assert_eq!(e["module"], "views");
    assert_eq!(e["@timestamp"], "2026-11-24T12:00:00.123Z");
    // Logstash leaves the verbose format's pid and thread in the message; the studio
    // pipeline moves them to ECS fields.
    assert_eq!(
        e["message"],
        "Database connection failed response_time:2500ms"
    );
    assert_eq!(e["process"]["pid"], 4242);
    assert_eq!(e["process"]["thread"]["id"], 140234);
    assert_eq!(e["response_time"], 2500, "an integer: {e}");
    assert!(e["response_time"].is_i64());
    assert_eq!(e["tags"], serde_json::json!(["error"]));
    assert_eq!(e["labels"]["category"], "performance");
    assert!(
        e.get("timestamp").is_none(),
        "the parsed asctime is removed"
    );

    let l = find(&all, "User login succeeded");
    assert_eq!(l["level"], "INFO");
    assert_eq!(l["request_id"], "req-7f3a");
    assert_eq!(l["response_time"], 12);
    assert_eq!(l["labels"]["category"], "security");
    assert!(l.get("tags").is_none(), "no failure tags: {l}");

    let errors = read_json_lines(&s.data("logs/studio_error.log"));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let security = read_json_lines(&s.data("logs/security.log"));
    assert_eq!(security.len(), 1);
    assert_eq!(security[0]["request_id"], "req-7f3a");
}

#[test]
fn syslog_from_logger_goes_through_the_same_pipeline() {
    if !have("logger") {
        return;
    }
    let (s, _) = studio();
    sh(&format!(
        "logger -n 127.0.0.1 -P {} -T --rfc5424 -t django -p local0.err '{DJANGO_ERROR}'",
        s.port
    ));
    s.wait_for(20, "the line", || {
        read_json_lines(&s.data("logs/studio.log")).len() == 1
    });
    let e = &read_json_lines(&s.data("logs/studio.log"))[0];
    assert_eq!(e["level"], "ERROR");
    assert_eq!(e["@timestamp"], "2026-11-24T12:00:00.123Z");
    assert_eq!(e["response_time"], 2500);
    assert_eq!(e["process"]["name"], "django");
    assert_eq!(e["log"]["syslog"]["facility"]["name"], "local0");
}

#[test]
fn a_pathological_pattern_tags_every_event_and_keeps_flowing() {
    let s = Server::start(
        r#"
[sources.tcp]
type = "syslog"
mode = "tcp"
address = "127.0.0.1:{PORT}"
[transforms.bad]
type = "grok"
inputs = ["tcp"]
patterns = ['^(\w+\s?)+$']
[sinks.out]
type = "file"
inputs = ["bad"]
path = "out.log"
"#,
    );
    let line = format!(
        "<134>1 2026-11-24T12:00:00Z h app - - - {}!\n",
        "word ".repeat(40)
    );
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    for _ in 0..200 {
        c.write_all(line.as_bytes()).unwrap();
    }
    drop(c);
    // Each match gives up at its step budget (~ms); 200 events take well under the wait.
    s.wait_for(30, "200 lines", || {
        read_json_lines(&s.data("out.log")).len() == 200
    });
    let out = read_json_lines(&s.data("out.log"));
    assert!(
        out.iter()
            .all(|e| e["tags"] == serde_json::json!(["_groktimeout"])),
        "{:#?}",
        &out[..2]
    );
    // Counted (issue 10: `_groktimeout` went uncounted) and logged, not 200 times.
    assert_eq!(
        s.metric(r#"sluice_component_errors_total{component="bad",component_type="grok",error_type="timeout"}"#),
        200.0
    );
    let log = s.stderr();
    let lines = log
        .lines()
        .filter(|l| l.contains("problem=timeout"))
        .count();
    assert!(
        (1..=5).contains(&lines),
        "{lines} timeout log lines:\n{log}"
    );
}

#[test]
fn route_sends_each_event_to_every_matching_output_and_the_rest_to_unmatched() {
    let s = Server::start(
        r#"
[sources.tcp]
type = "syslog"
mode = "tcp"
address = "127.0.0.1:{PORT}"
[transforms.route]
type = "route"
inputs = ["tcp"]
[transforms.route.routes]
security = '[log][syslog][facility][name] in ["auth", "authpriv"]'
errors = '[log][syslog][severity][code] <= 3'
[sinks.security]
type = "file"
inputs = ["route.security"]
path = "security.log"
[sinks.errors]
type = "file"
inputs = ["route.errors"]
path = "errors.log"
[sinks.rest]
type = "file"
inputs = ["route._unmatched"]
path = "rest.log"
"#,
    );
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    // auth.err (both routes), auth.info (security), local0.err (errors), local0.info (neither).
    for (pri, msg) in [
        (35, "auth-err"),
        (38, "auth-info"),
        (131, "app-err"),
        (134, "app-info"),
    ] {
        c.write_all(format!("<{pri}>1 2026-11-24T12:00:00Z h app - - - {msg}\n").as_bytes())
            .unwrap();
    }
    drop(c);
    s.wait_for(20, "4 routed lines", || {
        read_json_lines(&s.data("rest.log")).len() == 1
            && read_json_lines(&s.data("security.log")).len() == 2
            && read_json_lines(&s.data("errors.log")).len() == 2
    });
    let msgs = |f: &str| -> Vec<String> {
        read_json_lines(&s.data(f))
            .iter()
            .map(|l| l["message"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(msgs("security.log"), ["auth-err", "auth-info"]);
    assert_eq!(msgs("errors.log"), ["auth-err", "app-err"]);
    assert_eq!(msgs("rest.log"), ["app-info"]);
}

#[test]
fn no_secret_from_the_redaction_list_reaches_an_output() {
    let (s, beats) = studio();
    let secrets = [
        "hunter2-Secret",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
        "AKIAIOSFODNN7EXAMPLE",
        "4111 1111 1111 1111",
        "alice@example.com",
        "MIIEpAIBAAKCAQEA75",
    ];
    let lines = [
        format!("ERROR 2026-11-24 12:00:02,000 accounts 1 2 Login failed for alice@example.com password={}", secrets[0]),
        format!("INFO 2026-11-24 12:00:03,000 billing 1 2 charge card {} api_key={}", secrets[4], secrets[1]),
        format!("WARNING 2026-11-24 12:00:04,000 api 1 2 Authorization: Bearer {} aws {}", secrets[2], secrets[3]),
        format!("INFO 2026-11-24 12:00:05,000 ops 1 2 -----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----", secrets[6]),
    ];
    beats_send(beats, &lines.iter().map(String::as_str).collect::<Vec<_>>());
    let mut written = String::new();
    for f in [
        "logs/studio.log",
        "logs/studio_error.log",
        "logs/security.log",
    ] {
        written.push_str(&std::fs::read_to_string(s.data(f)).unwrap_or_default());
    }
    assert_eq!(read_json_lines(&s.data("logs/studio.log")).len(), 4);
    for secret in secrets {
        assert!(
            !written.contains(secret),
            "{secret} reached an output:\n{written}"
        );
    }
    assert!(written.contains("password=[REDACTED]"), "{written}");
    // The findings are counted per detector.
    let m = s.metrics();
    for d in [
        "secret_keys",
        "emails",
        "card_numbers",
        "jwts",
        "aws_access_keys",
        "private_keys",
    ] {
        assert!(
            m.contains(&format!("sluice_redactions_total{{component=\"redact\",component_type=\"redact\",detector=\"{d}\"}}")),
            "no {d} counter in metrics"
        );
    }
    assert!(s.metric(r#"sluice_redactions_total{component="redact",component_type="redact",detector="secret_keys"}"#) >= 2.0);
}

/// The studio's Python side: a JSON formatter on SysLogHandler, facility local0, UDP, as
/// the mission describes it; the `security` logger's records.
const PY_JSON_SYSLOG: &str = r#"
import json, logging, logging.handlers, socket, sys
class Json(logging.Formatter):
    def format(self, r):
        return json.dumps({"timestamp": "2026-11-24T12:00:05.250Z", "level": r.levelname, "logger": r.name,
                           "message": r.getMessage(), "request_id": getattr(r, "request_id", None)})
h = logging.handlers.SysLogHandler(address=("127.0.0.1", int(sys.argv[1])),
                                   facility=logging.handlers.SysLogHandler.LOG_LOCAL0, socktype=socket.SOCK_DGRAM)
h.ident = "studio: "
h.setFormatter(Json())
log = logging.getLogger("security"); log.setLevel(logging.INFO); log.addHandler(h)
log.warning("Failed login for bob from 10.0.0.7 password=hunter2", extra={"request_id": "req-55"})
logging.getLogger("app").addHandler(h)
logging.getLogger("app").setLevel(logging.INFO)
logging.getLogger("app").error("Payment failed for alice@example.com", extra={"request_id": "req-56"})
h.close()
"#;

#[test]
fn python_sysloghandler_json_records_are_parsed_categorised_and_redacted() {
    if !have("python3") {
        return;
    }
    let (s, _) = studio();
    run_python(&s, "py_json_syslog.py", PY_JSON_SYSLOG);
    // Each file is its own sink, written on its own schedule: wait for all three.
    s.wait_for(20, "2 lines, 1 security, 1 error", || {
        read_json_lines(&s.data("logs/studio.log")).len() == 2
            && !read_json_lines(&s.data("logs/security.log")).is_empty()
            && !read_json_lines(&s.data("logs/studio_error.log")).is_empty()
    });
    let all = read_json_lines(&s.data("logs/studio.log"));
    let sec = find(&all, "Failed login");
    assert_eq!(sec["logger"], "security");
    assert_eq!(sec["level"], "WARNING");
    assert_eq!(sec["request_id"], "req-55");
    assert_eq!(sec["@timestamp"], "2026-11-24T12:00:05.250Z");
    assert_eq!(sec["labels"]["category"], "security");
    assert_eq!(sec["log"]["syslog"]["facility"]["name"], "local0");
    assert_eq!(sec["process"]["name"], "studio");
    assert_eq!(
        sec["message"],
        "Failed login for bob from 10.0.0.7 password=[REDACTED]"
    );
    let err = find(&all, "Payment failed");
    assert_eq!(err["tags"], serde_json::json!(["error"]));
    assert_eq!(err["message"], "Payment failed for [REDACTED]");
    let security = read_json_lines(&s.data("logs/security.log"));
    assert_eq!(security.len(), 1);
    assert_eq!(security[0]["request_id"], "req-55");
    assert_eq!(read_json_lines(&s.data("logs/studio_error.log")).len(), 1);
}

/// The seed's Django side as users write it: a "JSON" formatter that is a `%`-template,
/// on SysLogHandler over TCP (NUL-terminated records), with `logger.exception` and a
/// message holding quotes. Each record must arrive as one event with its level, request
/// id and error tag; the traceback stays with it.
const PY_TEMPLATE_JSON_TCP: &str = r#"
import logging, logging.handlers, socket, sys
h = logging.handlers.SysLogHandler(address=("127.0.0.1", int(sys.argv[1])),
                                   facility=logging.handlers.SysLogHandler.LOG_LOCAL0, socktype=socket.SOCK_STREAM)
h.ident = "studio: "
h.setFormatter(logging.Formatter('{"timestamp": "%(asctime)s", "level": "%(levelname)s", "logger": "%(name)s", '
                                 '"message": "%(message)s", "request_id": "%(request_id)s"}'))
log = logging.getLogger("payments"); log.setLevel(logging.INFO); log.addHandler(h)
try:
    1 / 0
except ZeroDivisionError:
    log.exception("Payment failed", extra={"request_id": "req-9"})
log.warning('User "bob" said: stop, "now"', extra={"request_id": "req-10"})
h.close()
"#;

#[test]
fn python_tracebacks_over_tcp_and_template_json_arrive_whole() {
    if !have("python3") {
        return;
    }
    let (s, _) = studio();
    run_python(&s, "py_template_json.py", PY_TEMPLATE_JSON_TCP);
    s.wait_for(20, "2 events in studio.log and 1 error", || {
        read_json_lines(&s.data("logs/studio.log")).len() >= 2
            && !read_json_lines(&s.data("logs/studio_error.log")).is_empty()
    });
    std::thread::sleep(Duration::from_millis(300));
    let all = read_json_lines(&s.data("logs/studio.log"));
    assert_eq!(all.len(), 2, "one event per record: {all:#?}");
    let err = find(&all, "Payment failed");
    assert_eq!(err["message"], "Payment failed");
    assert_eq!(err["level"], "ERROR");
    assert_eq!(err["request_id"], "req-9");
    assert_eq!(err["logger"], "payments");
    let tags = err["tags"].as_array().unwrap();
    assert!(tags.contains(&Value::from("error")), "{tags:?}");
    assert!(tags.contains(&Value::from("_jsonlenient")), "{tags:?}");
    assert!(
        !tags.contains(&Value::from("_syslogparsefailure")),
        "{tags:?}"
    );
    let trace = err["error"]["stack_trace"].as_str().unwrap();
    assert!(
        trace.starts_with("Traceback") && trace.contains("ZeroDivisionError"),
        "{trace}"
    );
    let quoted = find(&all, "said: stop");
    assert_eq!(quoted["message"], "User \"bob\" said: stop, \"now\"");
    assert_eq!(quoted["request_id"], "req-10");
    assert_eq!(quoted["level"], "WARNING");
    let errors = read_json_lines(&s.data("logs/studio_error.log"));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["request_id"], "req-9");
}
