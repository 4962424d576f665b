//! Real third-party senders against the real binary: logger, Python's SysLogHandler,
//! rsyslog's omfwd. Fields are checked the way a user reading the output would.

use crate::support::*;
use serde_json::Value;

const PIPE: &str = r#"
[sources.udp]
type = "syslog"
mode = "udp"
address = "127.0.0.1:{PORT}"
[sources.tcp]
type = "syslog"
mode = "tcp"
address = "127.0.0.1:{PORT}"
[sinks.out]
type = "file"
inputs = ["udp", "tcp"]
path = "out.log"
"#;

fn by_message<'a>(lines: &'a [Value], needle: &str) -> &'a Value {
    lines
        .iter()
        .find(|v| v["message"].as_str().is_some_and(|m| m.contains(needle)))
        .unwrap_or_else(|| panic!("no line with {needle:?} in {lines:#?}"))
}

fn wait_lines(s: &Server, n: usize) -> Vec<Value> {
    s.wait_for(20, &format!("{n} lines"), || {
        read_json_lines(&s.data("out.log")).len() >= n
    });
    read_json_lines(&s.data("out.log"))
}

#[test]
fn logger_udp_tcp_octet_counted_5424_and_3164() {
    if !have("logger") {
        return;
    }
    let s = Server::start(PIPE);
    let p = s.port.to_string();
    sh(&format!("logger -n 127.0.0.1 -P {p} -d --rfc5424 --msgid TEST --sd-id test@32473 --sd-param 'seq=\"7\"' -t loggertest -i -p local0.info 'logger udp 5424'"));
    sh(&format!(
        "logger -n 127.0.0.1 -P {p} -T --rfc3164 -t myapp -p local0.err 'logger tcp 3164'"
    ));
    sh(&format!("logger -n 127.0.0.1 -P {p} -T --octet-count --rfc5424 -t octet -p auth.warning 'logger tcp octet'"));
    sh(&format!("printf 'line one\\nline two\\n' | logger -n 127.0.0.1 -P {p} -T --rfc5424 -t multi -p user.notice"));
    let lines = wait_lines(&s, 5);

    let u = by_message(&lines, "logger udp 5424");
    assert_eq!(u["message"], "logger udp 5424");
    assert_eq!(u["log"]["syslog"]["facility"]["name"], "local0");
    assert_eq!(u["log"]["syslog"]["severity"]["name"], "informational");
    assert_eq!(u["log"]["syslog"]["priority"], 134);
    assert_eq!(u["log"]["syslog"]["version"], 1);
    assert_eq!(u["log"]["syslog"]["msgid"], "TEST");
    assert_eq!(
        u["log"]["syslog"]["structured_data"]["test@32473"]["seq"],
        "7"
    );
    assert_eq!(u["process"]["name"], "loggertest");
    assert!(u["process"]["pid"].is_i64(), "pid is an integer: {u}");
    assert_eq!(u["host"]["ip"], "127.0.0.1");
    assert!(u["host"]["hostname"].is_string());
    let ts = u["@timestamp"].as_str().unwrap();
    assert!(
        ts.ends_with('Z') && ts.len() >= 24,
        "RFC 3339 UTC with Z: {ts}"
    );

    let t = by_message(&lines, "logger tcp 3164");
    assert_eq!(t["message"], "logger tcp 3164");
    assert_eq!(t["log"]["syslog"]["severity"]["name"], "error");
    assert!(t["log"]["syslog"].get("version").is_none());
    assert_eq!(t["process"]["name"], "myapp");

    let o = by_message(&lines, "logger tcp octet");
    assert_eq!(o["log"]["syslog"]["facility"]["name"], "auth");
    assert_eq!(o["log"]["syslog"]["severity"]["name"], "warning");

    assert_eq!(by_message(&lines, "line one")["message"], "line one");
    assert_eq!(by_message(&lines, "line two")["message"], "line two");
    assert!(
        lines.iter().all(|l| l.get("tags").is_none()),
        "no parse failures: {lines:#?}"
    );
    assert_eq!(s.metric(r#"sluice_component_errors_total{component="tcp",component_type="syslog",error_type="parse"}"#), 0.0);
}

#[test]
fn python_sysloghandler_udp_and_tcp() {
    let Some(shared) = shared_dir() else { return };
    if !have("python3") {
        return;
    }
    let s = Server::start(PIPE);
    let script = shared.join("clients/py_sysloghandler.py");
    sh(&format!(
        "python3 {} 127.0.0.1 {} 3 udp",
        script.display(),
        s.port
    ));
    sh(&format!(
        "python3 {} 127.0.0.1 {} 3 tcp",
        script.display(),
        s.port
    ));
    let lines = wait_lines(&s, 6);
    assert_eq!(lines.len(), 6);
    for l in &lines {
        // `<PRI>ident: msg\0`: no timestamp, no hostname; the NUL must be gone.
        let m = l["message"].as_str().unwrap();
        assert!(m.contains("python SysLogHandler message"), "{l}");
        assert!(!m.contains('\0'));
        assert_eq!(l["process"]["name"], "pyapp");
        assert_eq!(l["log"]["syslog"]["facility"]["name"], "local3");
        assert!(l.get("tags").is_none(), "{l}");
    }
    let warn = lines
        .iter()
        .filter(|l| l["log"]["syslog"]["severity"]["name"] == "warning")
        .count();
    assert_eq!(warn, 2, "messages 2 of each run are warnings");
}

#[test]
fn python_sysloghandler_json_on_local0_like_the_mission() {
    if !have("python3") {
        return;
    }
    let s = Server::start(PIPE);
    let py = format!(
        r#"
import logging, logging.handlers, json, socket
h = logging.handlers.SysLogHandler(address=("127.0.0.1", {}), facility=logging.handlers.SysLogHandler.LOG_LOCAL0)
class J(logging.Formatter):
    def format(self, r):
        return json.dumps({{"level": r.levelname, "logger": r.name, "message": r.getMessage(), "request_id": "req-42"}})
h.setFormatter(J())
log = logging.getLogger("security"); log.addHandler(h); log.setLevel(logging.INFO)
log.error("Failed login for admin")
h.close()
"#,
        s.port
    );
    std::fs::write(s.dir.path().join("j.py"), py).unwrap();
    sh(&format!("python3 {}", s.dir.path().join("j.py").display()));
    let lines = wait_lines(&s, 1);
    let l = &lines[0];
    assert_eq!(l["log"]["syslog"]["facility"]["name"], "local0");
    assert_eq!(l["log"]["syslog"]["severity"]["name"], "error");
    let inner: Value =
        serde_json::from_str(l["message"].as_str().unwrap()).expect("JSON payload kept whole");
    assert_eq!(inner["request_id"], "req-42");
}

#[test]
fn rsyslog_omfwd_octet_counted_and_traditional() {
    let Some(shared) = shared_dir() else { return };
    if !have("rsyslogd") {
        return;
    }
    let s = Server::start(PIPE);
    let script = shared.join("clients/rsyslog_fwd.sh");
    sh(&format!(
        "bash {} 127.0.0.1 {} 5 tcp-octet rfc5424",
        script.display(),
        s.port
    ));
    sh(&format!(
        "bash {} 127.0.0.1 {} 5 tcp rfc3164",
        script.display(),
        s.port
    ));
    let lines = wait_lines(&s, 10);
    assert_eq!(lines.len(), 10, "{lines:#?}");
    for l in &lines {
        let m = l["message"].as_str().unwrap();
        assert!(
            m.starts_with("rsyslog omfwd test message"),
            "no leading space or trailing LF: {m:?}"
        );
        assert_eq!(l["log"]["syslog"]["hostname"], "rsyslog-test");
        assert_eq!(l["log"]["syslog"]["appname"], "rsyslogtest");
        assert_eq!(l["log"]["syslog"]["facility"]["name"], "local1");
        assert_eq!(l["log"]["syslog"]["severity"]["name"], "notice");
        assert!(l.get("tags").is_none(), "{l}");
    }
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["log"]["syslog"]["version"] == 1)
            .count(),
        5
    );
}
