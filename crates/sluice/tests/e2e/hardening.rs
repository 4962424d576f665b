//! Issue 10: faults found by trying sluice as a new user and as an attacker. Each test
//! failed on the main branch before its fix.

use crate::support::*;
use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::path::Path;
use std::time::Duration;

fn send_tcp(port: u16, bytes: &[u8]) {
    let mut t = TcpStream::connect(("127.0.0.1", port)).unwrap();
    t.write_all(bytes).unwrap();
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(
                    e.path()
                        .strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out.sort();
    out
}

/// A sender-controlled hostname must not walk a templated sink path out of its
/// directory, over syslog RFC 5424, RFC 3164 and JSON lines.
#[test]
fn hostnames_from_the_network_stay_inside_the_sink_directory() {
    let json_port = free_port();
    let s = Server::start(&format!(
        r#"
[sources.tcp]
type = "syslog"
mode = "tcp"
address = "127.0.0.1:{{PORT}}"
[sources.udp]
type = "syslog"
mode = "udp"
address = "127.0.0.1:{{PORT}}"
[sources.json]
type = "json_lines"
address = "127.0.0.1:{json_port}"
[sinks.hosts]
type = "file"
inputs = ["tcp", "udp", "json"]
path = "out/%{{[host][hostname]}}.log"
"#
    ));
    send_tcp(
        s.port,
        b"<134>1 2026-11-24T12:00:00Z ../../../../x5424 app - - - five\n",
    );
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    u.send_to(
        b"<13>Nov 24 12:00:00 /etc/x3164 app: three",
        ("127.0.0.1", s.port),
    )
    .unwrap();
    send_tcp(
        json_port,
        b"{\"host\":{\"hostname\":\"../../xjson\"},\"message\":\"json\"}\n{\"host\":{\"hostname\":\"a\\nb\"},\"message\":\"nl\"}\n",
    );
    s.wait_for(30, "four events written", || {
        s.metric("sluice_events_sent_total{component=\"hosts\",component_type=\"file\"}") >= 4.0
    });
    let root = s.dir.path();
    let all = files_under(root);
    let outside: Vec<&String> = all
        .iter()
        .filter(|f| !f.starts_with("data/out/") && *f != "sluice.toml" && *f != "stderr.log")
        .collect();
    assert!(outside.is_empty(), "files outside data/out: {outside:?}");
    let inside: Vec<&String> = all.iter().filter(|f| f.starts_with("data/out/")).collect();
    assert_eq!(inside.len(), 4, "{inside:?}");
    assert!(
        inside.iter().all(|f| !f["data/out/".len()..].contains('/')),
        "{inside:?}"
    );
}

/// SIGHUP (logrotate's postrotate, a Logstash habit) used to end the process with exit
/// 129. Now it is logged, the server keeps serving, and file sinks reopen their files.
#[test]
fn sighup_is_logged_and_reopens_files_instead_of_killing_the_server() {
    let mut s = Server::start(
        r#"
[sources.tcp]
type = "syslog"
mode = "tcp"
address = "127.0.0.1:{PORT}"
[sinks.out]
type = "file"
inputs = ["tcp"]
path = "out.log"
"#,
    );
    send_tcp(s.port, b"<13>Nov 24 12:00:00 h app: before\n");
    s.wait_for(30, "the first event", || {
        std::fs::read_to_string(s.data("out.log"))
            .unwrap_or_default()
            .contains("before")
    });
    // What logrotate does: move the file away, then HUP.
    std::fs::rename(s.data("out.log"), s.data("out.log.1")).unwrap();
    s.signal("HUP");
    s.wait_for(10, "the SIGHUP log line", || s.stderr().contains("SIGHUP"));
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        s.alive(),
        "sluice exited on SIGHUP; stderr:\n{}",
        s.stderr()
    );
    send_tcp(s.port, b"<13>Nov 24 12:00:01 h app: after\n");
    s.wait_for(30, "the second event in a new out.log", || {
        std::fs::read_to_string(s.data("out.log"))
            .unwrap_or_default()
            .contains("after")
    });
    let moved = std::fs::read_to_string(s.data("out.log.1")).unwrap();
    assert!(
        moved.contains("before") && !moved.contains("after"),
        "{moved}"
    );
    assert_eq!(s.stop(), 0);
}

/// A second instance used to bind the same UDP port silently (SO_REUSEADDR) and take
/// every datagram. It is now refused as a second TCP listener is, with the address and
/// the fix, unless both ask for `reuse_port`.
#[test]
fn a_second_instance_cannot_steal_a_udp_port() {
    let body = r#"
[sources.udp]
type = "syslog"
mode = "udp"
address = "127.0.0.1:{PORT}"
[sinks.out]
type = "file"
inputs = ["udp"]
path = "out.log"
"#;
    let s = Server::start(body);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("second.toml");
    std::fs::write(
        &cfg,
        format!(
            "data_dir = \"{}\"\n[admin]\nenabled = false\n{}",
            dir.path().display(),
            body.replace("{PORT}", &s.port.to_string())
        ),
    )
    .unwrap();
    let out = sluice(&["run"], &cfg);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "second instance: {err}");
    assert!(
        err.contains(&format!("127.0.0.1:{}", s.port)) && err.contains("already listens"),
        "{err}"
    );
    // The first instance still gets the datagrams.
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    u.send_to(
        b"<13>Nov 24 12:00:00 h app: still mine",
        ("127.0.0.1", s.port),
    )
    .unwrap();
    s.wait_for(20, "the datagram at the first instance", || {
        std::fs::read_to_string(s.data("out.log"))
            .unwrap_or_default()
            .contains("still mine")
    });
}

/// A config that `validate` accepted used to abort the server on its first event (a field
/// named 100,000 levels deep overflowed the stack), and 10,000 nested parentheses aborted
/// `validate` itself. Both are now config errors naming the file, component and key.
#[test]
fn absurdly_deep_configs_are_refused_not_crashed_on() {
    let dir = tempfile::tempdir().unwrap();
    let deep_field = "[a]".repeat(100_000);
    let deep_if = format!("{}[a]{}", "(".repeat(10_000), ")".repeat(10_000));
    let cfg = dir.path().join("deep.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"
[sources.s]
type = "syslog"
mode = "udp"
address = "127.0.0.1:0"
[transforms.m]
type = "mutate"
inputs = ["s"]
add_field = {{ "{deep_field}" = "v" }}
[transforms.f]
type = "filter"
inputs = ["m"]
if = "{deep_if}"
[sinks.o]
type = "blackhole"
inputs = ["f"]
"#
        ),
    )
    .unwrap();
    let out = sluice(&["validate"], &cfg);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("[transforms.m] key `add_field`") && err.contains("64 levels"),
        "{}",
        &err[..err.len().min(2000)]
    );
    assert!(
        err.contains("[transforms.f] key `if`") && err.contains("nested more than 64"),
        "{}",
        &err[..err.len().min(2000)]
    );
}

/// Django's asctime carries no zone. Logstash reads it in the platform's zone; sluice used
/// to assume UTC, five hours off under TZ=America/New_York.
#[test]
fn times_without_a_zone_are_read_in_the_local_zone_unless_one_is_set() {
    let body = r#"
[sources.tcp]
type = "syslog"
mode = "tcp"
address = "127.0.0.1:{PORT}"
[transforms.d]
type = "grok"
inputs = ["tcp"]
patterns = ["%{LOGLEVEL:level} %{TIMESTAMP_ISO8601:timestamp} %{GREEDYDATA:message}"]
overwrite = ["message"]
[transforms.local]
type = "date"
inputs = ["d"]
field = "timestamp"
formats = ["yyyy-MM-dd HH:mm:ss,SSS"]
[transforms.berlin]
type = "date"
inputs = ["local"]
field = "timestamp"
formats = ["yyyy-MM-dd HH:mm:ss,SSS"]
timezone = "Europe/Berlin"
target = "berlin"
[sinks.out]
type = "file"
inputs = ["berlin"]
path = "out.log"
"#;
    let s = Server::start_with_env(body, &[("TZ", "America/New_York")]);
    send_tcp(
        s.port,
        b"<13>Nov 24 12:00:00 h app: INFO 2026-11-24 12:00:01,000 hello\n",
    );
    s.wait_for(20, "the event", || s.data("out.log").exists());
    s.wait_for(20, "the event", || {
        !read_json_lines(&s.data("out.log")).is_empty()
    });
    let e = &read_json_lines(&s.data("out.log"))[0];
    assert_eq!(e["@timestamp"], "2026-11-24T17:00:01.000Z", "{e}");
    assert_eq!(e["berlin"], "2026-11-24T11:00:01.000Z", "{e}");
}

/// A sink path that cannot be written used to be found only on the first event, logged
/// without the OS reason, with /health and /ready still "ok". Now `validate` (and so
/// `run`) refuses what can be seen up front, and a sink that fails while running makes
/// the instance degraded, with the reason, until it writes again.
#[test]
fn unwritable_sink_paths_are_found_early_and_reflected_in_health() {
    // Up front: a file stands where the sink's directory must be.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("blocker"), "not a directory").unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        format!(
            "data_dir = \"{}\"\n[sources.s]\ntype = \"syslog\"\nmode = \"udp\"\naddress = \"127.0.0.1:0\"\n[sinks.out]\ntype = \"file\"\ninputs = [\"s\"]\npath = \"blocker/out.log\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    for cmd in ["validate", "run"] {
        let out = sluice(&[cmd], &cfg);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{cmd}: {err}");
        assert!(
            err.contains("[sinks.out] key `path`") && err.contains("is not a directory"),
            "{cmd}: {err}"
        );
    }

    // While running: one host's directory is blocked by a file.
    let s = Server::start_degraded(
        r#"
[sources.tcp]
type = "syslog"
mode = "tcp"
address = "127.0.0.1:{PORT}"
[sinks.out]
type = "file"
inputs = ["tcp"]
path = "out/%{[host][hostname]}/app.log"
"#,
    );
    assert_eq!(http_get(s.admin, "/health").unwrap().0, 200);
    std::fs::create_dir_all(s.data("out")).unwrap();
    std::fs::write(s.data("out/blocked"), "a file, not a directory").unwrap();
    send_tcp(
        s.port,
        b"<13>1 2026-11-24T12:00:00Z blocked app - - - lost\n",
    );
    s.wait_for(20, "/health to turn degraded", || {
        http_get(s.admin, "/health").is_ok_and(|(code, _)| code == 503)
    });
    let (code, body) = http_get(s.admin, "/ready").unwrap();
    assert_eq!(code, 503);
    assert!(
        body.contains("degraded")
            && body.contains("out/blocked/app.log")
            && body.contains("(os error"),
        "{body}"
    );
    let reason = body
        .split(": ")
        .last()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        s.stderr().contains(&reason),
        "the OS reason {reason:?} is logged: {}",
        s.stderr()
    );
    // It writes again: healthy again.
    send_tcp(s.port, b"<13>1 2026-11-24T12:00:01Z fine app - - - kept\n");
    s.wait_for(20, "/health to recover", || {
        http_get(s.admin, "/health").is_ok_and(|(code, _)| code == 200)
    });
    assert!(std::fs::read_to_string(s.data("out/fine/app.log"))
        .unwrap()
        .contains("kept"));
}

fn write_cfg(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Rough edges a new user hits: `sluice --config X` without `run`, colour codes in log
/// files, `--log-format json` for config errors, cascade errors after a TOML error, and
/// no "did you mean".
#[test]
fn rough_edges_of_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let admin = free_port();
    let good = write_cfg(
        dir.path(),
        "good.toml",
        &format!(
            "data_dir = \"{}\"\n[admin]\naddress = \"127.0.0.1:{admin}\"\n[sources.s]\ntype = \"syslog\"\nmode = \"udp\"\naddress = \"127.0.0.1:0\"\n[sinks.o]\ntype = \"blackhole\"\ninputs = [\"s\"]\n",
            dir.path().display()
        ),
    );
    // `run` is the default command, with or without its flags.
    let log = dir.path().join("stderr.log");
    let mut child = std::process::Command::new(sluice_bin())
        .arg("--config")
        .arg(&good)
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while http_get(admin, "/ready").map(|r| r.0).unwrap_or(0) != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "not ready: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "exited: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("sluice started"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "colour codes in a log file: {text:?}"
    );

    // Did you mean.
    let typo = write_cfg(
        dir.path(),
        "typo.toml",
        "[sources.parse]\ntype = \"syslog\"\nmode = \"udp\"\nadress = \"127.0.0.1:0\"\n[sinks.o]\ntype = \"blackhol\"\ninputs = [\"prase\"]\n",
    );
    let out = sluice(&["validate"], &typo);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("did you mean `address`?"), "{err}");
    assert!(err.contains("did you mean `blackhole`?"), "{err}");

    // A file that is not TOML gives one error, not a cascade.
    let broken = write_cfg(dir.path(), "broken.toml", "[sources.s\ntype = ");
    let out = sluice(&["validate"], &broken);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("sluice: configuration has 1 problem(s):"),
        "{err}"
    );
    assert!(
        err.contains("not valid TOML") && !err.contains("no sources"),
        "{err}"
    );

    // --log-format json covers config errors: one JSON object per problem.
    let out = sluice(&["--log-format", "json", "validate"], &typo);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.len() >= 2, "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["component"] == "sources.parse" && l["fields"]["key"] == "adress"),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| l["level"] == "ERROR"), "{lines:?}");
}

/// Oversize, parse and refused-request problems used to be counted but never logged; a
/// log line per event would be a flood. Now each kind is logged at once and then at most
/// every ten seconds, with how many were not logged.
#[test]
fn problems_are_logged_once_then_rate_limited() {
    let s = Server::start(
        r#"
[sources.tcp]
type = "json_lines"
address = "127.0.0.1:{PORT}"
max_line_bytes = 100
[sinks.out]
type = "file"
inputs = ["tcp"]
path = "out.log"
"#,
    );
    let mut junk = String::new();
    for i in 0..500 {
        junk.push_str(&format!("not json {i}\n"));
    }
    junk.push_str(&format!("{}\n", "x".repeat(500)));
    send_tcp(s.port, junk.as_bytes());
    s.wait_for(30, "501 events", || {
        s.metric(r#"sluice_events_sent_total{component="out",component_type="file"}"#) >= 501.0
    });
    assert_eq!(
        s.metric(r#"sluice_component_errors_total{component="tcp",component_type="json_lines",error_type="parse"}"#),
        501.0
    );
    let log = s.stderr();
    let parse = log.lines().filter(|l| l.contains("problem=parse")).count();
    let oversize = log
        .lines()
        .filter(|l| l.contains("problem=oversize"))
        .count();
    assert_eq!(parse, 1, "{log}");
    assert_eq!(oversize, 1, "{log}");
}
