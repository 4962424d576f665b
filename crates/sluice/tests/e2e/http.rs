//! The HTTP source with curl against the real binary.

use crate::support::*;
use std::io::Write;

const PIPE: &str = r#"
[sources.http]
type = "http"
address = "127.0.0.1:{PORT}"
path = "/events"
auth = { bearer_token = "t0ken" }
[sinks.out]
type = "file"
inputs = ["http"]
path = "out.log"
"#;

/// (status, body) of a curl POST.
fn curl(port: u16, args: &str) -> (u16, String) {
    let out = sh(&format!(
        "curl -s -w '\\n%{{http_code}}' -X POST http://127.0.0.1:{port}/events {args}"
    ));
    let (body, code) = out.trim_end().rsplit_once('\n').unwrap_or(("", out.trim()));
    (code.parse().unwrap_or(0), body.trim().to_owned())
}

#[test]
fn curl_ndjson_array_gzip_and_refusals() {
    if !have("curl") {
        return;
    }
    let s = Server::start(PIPE);
    let auth = "-H 'Authorization: Bearer t0ken'";
    let nd = s.dir.path().join("body.ndjson");
    std::fs::write(
        &nd,
        "{\"message\":\"one\",\"level\":\"INFO\"}\n{\"message\":\"two\"}\n",
    )
    .unwrap();
    let (st, body) = curl(
        s.port,
        &format!(
            "{auth} -H 'Content-Type: application/x-ndjson' --data-binary @{}",
            nd.display()
        ),
    );
    assert_eq!((st, body.as_str()), (200, "{\"accepted\":2}"));
    let (st, _) = curl(
        s.port,
        &format!("{auth} -H 'Content-Type: application/json' --data-binary '[{{\"message\":\"three\"}}]'"),
    );
    assert_eq!(st, 200);
    let gz = s.dir.path().join("body.gz");
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(b"{\"message\":\"four\"}\n").unwrap();
    std::fs::write(&gz, z.finish().unwrap()).unwrap();
    let (st, _) = curl(
        s.port,
        &format!(
            "{auth} -H 'Content-Encoding: gzip' --data-binary @{}",
            gz.display()
        ),
    );
    assert_eq!(st, 200);
    // 200 means written: the lines are in the file now, without waiting.
    let lines = read_json_lines(&s.data("out.log"));
    let msgs: Vec<&str> = lines.iter().filter_map(|l| l["message"].as_str()).collect();
    assert_eq!(msgs, ["one", "two", "three", "four"]);
    assert_eq!(lines[0]["level"], "INFO");

    let (st, _) = curl(s.port, "--data-binary '{}'");
    assert_eq!(st, 401);
    let (st, body) = curl(s.port, &format!("{auth} --data-binary 'nope'"));
    assert_eq!(st, 400);
    assert!(body.contains("line 1"), "{body}");
    assert_eq!(read_json_lines(&s.data("out.log")).len(), 4);
}
