//! Reloading the configuration while clients are connected: SIGHUP and
//! `--watch-config`.

use crate::support::*;
use std::io::Write;
use std::time::Duration;

const BASE: &str = r#"
[sources.app]
type = "json_lines"
address = "127.0.0.1:{PORT}"
[sinks.a]
type = "file"
inputs = ["app"]
path = "a.log"
"#;

/// A reload that adds a sink: the open connection is not dropped, what it sends after
/// the reload reaches both sinks; the listener keeps its socket (no "address in use").
/// Then a broken config is refused with its errors logged, counted, and the old
/// pipeline keeps running.
#[test]
fn sighup_adds_a_sink_without_dropping_an_open_connection_and_refuses_a_broken_config() {
    let s = Server::start(BASE);
    let cfg = s.dir.path().join("sluice.toml");
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    conn.write_all(b"{\"n\":1}\n").unwrap();
    s.wait_for(10, "the first line", || {
        read_json_lines(&s.data("a.log")).len() == 1
    });

    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        format!("{text}\n[sinks.b]\ntype = \"file\"\ninputs = [\"app\"]\npath = \"b.log\"\n"),
    )
    .unwrap();
    s.signal("HUP");
    s.wait_for(10, "the reload counted", || {
        s.metric(r#"sluice_config_reloads_total{result="ok"}"#) == 1.0
    });
    // The same connection, still open, after the reload.
    conn.write_all(b"{\"n\":2}\n").unwrap();
    s.wait_for(10, "line 2 in both sinks", || {
        read_json_lines(&s.data("a.log")).len() == 2 && read_json_lines(&s.data("b.log")).len() == 1
    });
    assert_eq!(read_json_lines(&s.data("b.log"))[0]["n"], 2);
    let (_, api) = http_get(s.admin, "/api/components").unwrap();
    assert!(api.contains("\"id\":\"b\""), "{api}");
    // The unchanged sink kept running; the source kept its connection.
    let log = s.stderr();
    assert!(
        log.contains(r#"kept_sinks=["a"]"#) && log.contains(r#"kept=["app"]"#),
        "{log}"
    );

    // A broken config: every error logged, counted, nothing changes.
    let good = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        format!("{good}\n[sinks.c]\ntype = \"file\"\ninputs = [\"nope\"]\npath = \"c.log\"\n[transforms.t]\ntype = \"grok\"\ninputs = [\"app\"]\npatterns = [\"%{{NOPE:x}}\"]\n"),
    )
    .unwrap();
    s.signal("HUP");
    s.wait_for(10, "the refused reload counted", || {
        s.metric(r#"sluice_config_reloads_total{result="error"}"#) == 1.0
    });
    let log = s.stderr();
    assert!(log.contains("Reload refused"), "{log}");
    assert!(log.contains("sinks.c") && log.contains("nope"), "{log}");
    assert!(
        log.contains("transforms.t") && log.contains("NOPE"),
        "{log}"
    );
    conn.write_all(b"{\"n\":3}\n").unwrap();
    s.wait_for(10, "line 3 through the old pipeline", || {
        read_json_lines(&s.data("a.log")).len() == 3 && read_json_lines(&s.data("b.log")).len() == 2
    });
    assert!(!s.data("c.log").exists());
    assert!(
        !log.contains("address already in use") && !log.contains("Address already in use"),
        "{log}"
    );
}

/// `--watch-config`: editing the file reloads it; a changed source is rebound on its
/// new address while the unchanged one keeps its connection.
#[test]
fn watch_config_reloads_on_change_and_moves_a_changed_listener() {
    let other = free_port();
    let s = Server::start_with_args(
        &format!(
            "{BASE}\n[sources.second]\ntype = \"json_lines\"\naddress = \"127.0.0.1:{other}\"\n[sinks.s]\ntype = \"file\"\ninputs = [\"second\"]\npath = \"s.log\"\n"
        ),
        &["--watch-config"],
    );
    let cfg = s.dir.path().join("sluice.toml");
    let mut kept = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    kept.write_all(b"{\"n\":1}\n").unwrap();
    s.wait_for(10, "line 1", || {
        read_json_lines(&s.data("a.log")).len() == 1
    });
    let moved = free_port();
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace(&format!("127.0.0.1:{other}"), &format!("127.0.0.1:{moved}")),
    )
    .unwrap();
    s.wait_for(15, "the watched change reloaded", || {
        s.metric(r#"sluice_config_reloads_total{result="ok"}"#) == 1.0
    });
    let mut c = std::net::TcpStream::connect(("127.0.0.1", moved)).unwrap();
    c.write_all(b"{\"moved\":true}\n").unwrap();
    kept.write_all(b"{\"n\":2}\n").unwrap();
    s.wait_for(10, "both lines", || {
        read_json_lines(&s.data("a.log")).len() == 2 && read_json_lines(&s.data("s.log")).len() == 1
    });
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", other)).is_err(),
        "the old address is released"
    );
}
