//! The ★ command line: validate, version, exit codes, messages that say where.

use crate::support::*;
use std::process::Command;

#[test]
fn validate_reports_every_error_with_file_component_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        r#"
[sources.a]
type = "syslog"
mode = "udp"
adress = "0.0.0.0:514"
[sources.b]
type = "syslog"
mode = "tcp"
address = "0.0.0.0:6514"
[sources.c]
type = "syslog"
mode = "tcp"
address = "0.0.0.0:6514"
[transforms.g]
type = "grok"
inputs = ["b"]
patterns = ["%{SYSLOGLINE}"]
[sinks.s]
type = "file"
inputs = ["ghost"]
if = '[level] = "ERROR"'
path = "x.log"
"#,
    )
    .unwrap();
    let out = Command::new(sluice_bin())
        .args(["validate", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "bad.toml: [sources.a] key `adress`",
        "already used by sources.b",
        "[sinks.s] key `inputs`: unknown input `ghost`",
        "[sinks.s] key `if`: column 9",
        // ECS names asked for (the default), legacy names in the built-in library.
        "bad.toml: [transforms.g] key `patterns[0]`: %{SYSLOGLINE} captures fields named the legacy way (timestamp, ",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn validate_accepts_the_shipped_configs_and_version_prints() {
    let root = workspace_root();
    let out = Command::new(sluice_bin())
        .args(["validate", "--config"])
        .arg(root.join("config/default.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = Command::new(sluice_bin())
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).starts_with("sluice "));
}

#[test]
fn a_port_in_use_is_exit_2_with_the_address_and_a_fix() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!("data_dir = \"{}\"\n[admin]\nenabled = false\n[sources.t]\ntype=\"syslog\"\nmode=\"tcp\"\naddress=\"127.0.0.1:{port}\"\n[sinks.o]\ntype=\"blackhole\"\ninputs=[\"t\"]\n", dir.path().display()),
    )
    .unwrap();
    let out = Command::new(sluice_bin())
        .args(["run", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("another process"),
        "{err}"
    );
}

#[test]
fn embedded_default_falls_back_to_5514_when_unprivileged() {
    // Needs root to drop to an unprivileged user with setpriv, and a free port 5514.
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let busy = [
        "0.0.0.0:5514",
        "0.0.0.0:5044",
        "0.0.0.0:5170",
        "127.0.0.1:9600",
    ]
    .iter()
    .any(|a| std::net::TcpListener::bind(a).is_err());
    if !root || !have("setpriv") || busy {
        eprintln!("skipping: needs root, setpriv and free ports 5514, 5044, 5170, 9600");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    sh(&format!("chmod 777 {}", dir.path().display()));
    let mut child = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(sluice_bin())
        .args(["run", "--data-dir"])
        .arg(dir.path().join("data"))
        .stderr(std::fs::File::create(dir.path().join("err.log")).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut ok = false;
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect("127.0.0.1:5514").is_ok() {
            ok = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let st = child.wait().unwrap();
    let err = std::fs::read_to_string(dir.path().join("err.log")).unwrap();
    assert!(ok, "no listener on 5514: {err}");
    assert!(err.contains("falls back to port 5514"), "{err}");
    assert_eq!(st.code(), Some(0), "{err}");
}
