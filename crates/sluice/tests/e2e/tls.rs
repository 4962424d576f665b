//! TLS on listeners, with real clients: syslog over TLS (RFC 5425) from Python's ssl,
//! `openssl s_client` and rsyslog's ossl driver; mutual TLS; Beats over TLS from
//! pylogbeat; certificates replaced on disk while a connection stays open.

use crate::support::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

fn tls_send(args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let script = workspace_root().join("tests/clients/tls_send.py");
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (out.status.code(), lines)
}

fn syslog_tls(ca: &Path, crt: &Path, key: &Path, verify_client: bool) -> String {
    format!(
        r#"[sources.tls]
type = "syslog"
mode = "tls"
address = "127.0.0.1:{{PORT}}"
tls = {{ crt_file = "{}", key_file = "{}", ca_file = "{}", verify_client = {verify_client} }}
[sinks.out]
type = "file"
inputs = ["tls"]
path = "out.log"
"#,
        crt.display(),
        key.display(),
        ca.display()
    )
}

/// A `kind` source on TLS with `crt` and `key`, into `out.log`.
fn tls_listener(kind: &str, crt: &Path, key: &Path) -> String {
    format!(
        r#"[sources.{kind}]
type = "{kind}"
address = "127.0.0.1:{{PORT}}"
tls = {{ crt_file = "{}", key_file = "{}" }}
[sinks.out]
type = "file"
inputs = ["{kind}"]
path = "out.log"
"#,
        crt.display(),
        key.display()
    )
}

fn wait_lines(s: &Server, n: usize) -> Vec<Value> {
    s.wait_for(30, &format!("{n} lines"), || {
        read_json_lines(&s.data("out.log")).len() >= n
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    read_json_lines(&s.data("out.log"))
}

/// RFC 5425 from three real clients, one of which (rsyslog) also presents a client
/// certificate; a plain-TCP client gets nothing through.
#[test]
fn syslog_over_tls_from_python_openssl_and_rsyslog() {
    if !have("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ca, crt, key) = make_certs(dir.path());
    let (ccrt, ckey) = sign_cert(dir.path(), "client", "rsyslog client", true);
    let s = Server::start(&syslog_tls(&ca, &crt, &key, false));
    let port = s.port.to_string();
    let msg = |i: u32| format!("<134>1 2026-11-30T10:00:0{i}Z web01 studio 42 - - tls python {i}");
    let (code, out) = tls_send(&[&port, &ca.display().to_string(), &msg(1), &msg(2), &msg(3)]);
    assert_eq!(code, Some(0), "{out:?}");
    assert_eq!(out[0]["subject"], "127.0.0.1");

    // openssl s_client, one message per line.
    let mut c = Command::new("openssl")
        .args([
            "s_client",
            "-quiet",
            "-no_ign_eof",
            "-verify_return_error",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-CAfile",
        ])
        .arg(&ca)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    c.stdin
        .take()
        .unwrap()
        .write_all(b"<14>1 2026-11-30T10:00:09Z web02 studio 7 - - tls openssl\n")
        .unwrap();
    let _ = c.wait();

    let mut expect = 4;
    if have("rsyslogd")
        && sh("ls /usr/lib/*/rsyslog/lmnsd_ossl.so 2>/dev/null || true").contains("lmnsd_ossl")
    {
        let script = workspace_root().join("tests/clients/rsyslog_tls_fwd.sh");
        sh(&format!(
            "bash {} {port} 5 {} {} {}",
            script.display(),
            ca.display(),
            ccrt.display(),
            ckey.display()
        ));
        expect += 5;
    } else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "rsyslog-openssl is required under CI=true"
        );
    }
    // Plain TCP to a TLS port: the handshake fails, counted; nothing is delivered.
    let mut plain = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    let _ = plain.write_all(b"<14>1 - - - - - - plain text must not pass\n");
    drop(plain);
    let lines = wait_lines(&s, expect);
    assert_eq!(lines.len(), expect, "{lines:#?}");
    assert!(lines
        .iter()
        .all(|l| !l["message"].as_str().unwrap_or("").contains("plain text")));
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("tls python"))
            .count(),
        3
    );
    assert!(lines
        .iter()
        .any(|l| l["log"]["syslog"]["hostname"] == "web02"));
    if expect == 9 {
        let rs: Vec<&Value> = lines
            .iter()
            .filter(|l| l["log"]["syslog"]["hostname"] == "rsyslog-tls")
            .collect();
        assert_eq!(rs.len(), 5, "{lines:#?}");
        assert!(rs.iter().all(|l| l["message"]
            .as_str()
            .unwrap()
            .starts_with("rsyslog tls message")));
    }
    s.wait_for(10, "the failed handshake counted", || {
        s.metric(r#"sluice_component_errors_total{component="tls",component_type="syslog",error_type="tls"}"#) >= 1.0
    });
}

/// `verify_client = true`: a client without a certificate, or with one from another CA,
/// is refused at the handshake; one with a certificate from `ca_file` gets through.
#[test]
fn mutual_tls_requires_a_client_certificate_from_the_ca() {
    if !have("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ca, crt, key) = make_certs(dir.path());
    let (ccrt, ckey) = sign_cert(dir.path(), "client", "studio client", true);
    let other = tempfile::tempdir().unwrap();
    make_certs(other.path());
    let (rogue_crt, rogue_key) = sign_cert(other.path(), "rogue", "rogue client", true);
    let s = Server::start(&syslog_tls(&ca, &crt, &key, true));
    let port = s.port.to_string();
    let ca_s = ca.display().to_string();
    let (code, out) = tls_send(&[&port, &ca_s, "<14>1 - h a - - - without a certificate"]);
    assert_eq!(
        code,
        Some(3),
        "refused without a client certificate: {out:?}"
    );
    let (code, out) = tls_send(&[
        &port,
        &ca_s,
        "--cert",
        &rogue_crt.display().to_string(),
        "--key",
        &rogue_key.display().to_string(),
        "<14>1 - h a - - - with a rogue certificate",
    ]);
    assert_eq!(
        code,
        Some(3),
        "refused with another CA's certificate: {out:?}"
    );
    let (code, out) = tls_send(&[
        &port,
        &ca_s,
        "--cert",
        &ccrt.display().to_string(),
        "--key",
        &ckey.display().to_string(),
        "<14>1 - h a - - - with the right certificate",
    ]);
    assert_eq!(code, Some(0), "{out:?}");
    let lines = wait_lines(&s, 1);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0]["message"], "with the right certificate");
    assert!(s.metric(r#"sluice_component_errors_total{component="tls",component_type="syslog",error_type="tls"}"#) >= 2.0);
}

/// Beats over TLS from pylogbeat (ssl_enable, the server checked against the CA).
#[test]
fn beats_over_tls_from_pylogbeat() {
    if !have("openssl") || !have_py("pylogbeat") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ca, crt, key) = make_certs(dir.path());
    let s = Server::start(&tls_listener("beats", &crt, &key));
    let (code, out) = tls_send(&[
        &s.port.to_string(),
        &ca.display().to_string(),
        "--beats",
        "50",
    ]);
    assert_eq!(code, Some(0), "{out:?}");
    let lines = wait_lines(&s, 50);
    assert_eq!(lines.len(), 50);
    let mut seqs: Vec<i64> = lines.iter().map(|l| l["seq"].as_i64().unwrap()).collect();
    seqs.sort();
    assert_eq!(seqs, (1..=50).collect::<Vec<_>>());
}

/// The certificate files are replaced while a client holds a connection open: the next
/// connection is served with the new certificate, and the open one keeps working.
#[test]
fn certificates_reload_without_dropping_open_connections() {
    if !have("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ca, crt, key) = make_certs(dir.path());
    let s = Server::start(&tls_listener("json_lines", &crt, &key));
    let script = workspace_root().join("tests/clients/tls_send.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args([
            &s.port.to_string(),
            &ca.display().to_string(),
            "--frame",
            "lf",
            "--hold",
        ])
        .args([
            r#"{"n":1,"conn":"first"}"#,
            r#"{"n":2,"conn":"second"}"#,
            r#"{"n":3,"conn":"first"}"#,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut next = |line: &mut String| -> Value {
        line.clear();
        stdout.read_line(line).unwrap();
        serde_json::from_str(line).unwrap_or(Value::Null)
    };
    assert_eq!(next(&mut line)["subject"], "127.0.0.1");
    assert_eq!(next(&mut line)["held"], true);
    // A new certificate for the same key name, moved into place as a renewal tool would.
    let (new_crt, new_key) = sign_cert(dir.path(), "renewed", "127.0.0.1 renewed", false);
    std::fs::rename(&new_key, &key).unwrap();
    std::fs::rename(&new_crt, &crt).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    child.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
    assert_eq!(
        next(&mut line)["subject"],
        "127.0.0.1 renewed",
        "the next connection has the new certificate"
    );
    assert!(child.wait().unwrap().success());
    let lines = wait_lines(&s, 3);
    let mut got: Vec<(i64, String)> = lines
        .iter()
        .map(|l| {
            (
                l["n"].as_i64().unwrap(),
                l["conn"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (1, "first".into()),
            (2, "second".into()),
            (3, "first".into())
        ],
        "the open connection kept working"
    );
}

/// A certificate that does not load is a config error at the `tls` key, with the file.
#[test]
fn a_missing_certificate_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("t.toml");
    std::fs::write(
        &cfg,
        "[sources.t]\ntype = \"syslog\"\nmode = \"tls\"\naddress = \"127.0.0.1:0\"\ntls = { crt_file = \"/nonexistent/s.crt\", key_file = \"/nonexistent/s.key\" }\n[sources.u]\ntype = \"syslog\"\nmode = \"tls\"\naddress = \"127.0.0.1:0\"\n[sinks.o]\ntype = \"blackhole\"\ninputs = [\"t\", \"u\"]\n",
    )
    .unwrap();
    let out = sluice(&["validate"], &cfg);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("sources.t") && err.contains("`tls`") && err.contains("/nonexistent/s.crt"),
        "{err}"
    );
    assert!(
        err.contains("sources.u") && err.contains("needs tls"),
        "{err}"
    );
}

/// Secrets from the environment (`${VAR}`): an HTTP source's bearer token and an
/// Elasticsearch password work, and appear in no log line, not in `validate`'s output,
/// not in `/api/components`, not in `sluice convert`'s TOML.
#[test]
fn secrets_from_the_environment_are_used_and_never_printed() {
    let token = "tok-3f9a-secret-token";
    let password = "pw-77c1-secret-password";
    let body = r#"[sources.http]
type = "http"
address = "127.0.0.1:{PORT}"
auth = { bearer_token = "${SLUICE_TEST_TOKEN}" }
[sinks.out]
type = "file"
inputs = ["http"]
path = "out.log"
[sources.udp]
type = "syslog"
mode = "udp"
address = "127.0.0.1:{PORT}"
[sinks.es]
type = "elasticsearch"
inputs = ["udp"]
endpoints = ["http://127.0.0.1:9"]
auth = { user = "elastic", password = "${SLUICE_TEST_PASSWORD}" }
"#;
    let env = [
        ("SLUICE_TEST_TOKEN", token),
        ("SLUICE_TEST_PASSWORD", password),
        ("TZ", "UTC"),
    ];
    let s = Server::start_with_env(body, &env);
    let post = |auth: &str| {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        let body = r#"{"message":"hello"}"#;
        write!(
            c,
            "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut resp = String::new();
        std::io::Read::read_to_string(&mut c, &mut resp).unwrap();
        resp
    };
    assert!(
        post("wrong").starts_with("HTTP/1.1 401"),
        "a wrong token is refused"
    );
    assert!(
        post(token).starts_with("HTTP/1.1 200"),
        "the token from the environment works"
    );
    let lines = wait_lines(&s, 1);
    assert_eq!(lines[0]["message"], "hello");
    let (_, api) = http_get(s.admin, "/api/components").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let logs = s.stderr();
    let cfg = s.dir.path().join("sluice.toml");
    let validate = Command::new(sluice_bin())
        .args(["validate", "--config"])
        .arg(&cfg)
        .envs(env)
        .output()
        .unwrap();
    let shown = format!(
        "{api}\n{logs}\n{}{}",
        String::from_utf8_lossy(&validate.stdout),
        String::from_utf8_lossy(&validate.stderr)
    );
    assert!(validate.status.success(), "{shown}");
    for secret in [token, password] {
        assert!(!shown.contains(secret), "{secret} was printed:\n{shown}");
    }
}
