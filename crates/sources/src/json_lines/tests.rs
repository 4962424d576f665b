use crate::test_support::{collect, source_config, start};
use sluice_core::ErrorType;
use sluice_event::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn objects_bad_lines_and_long_lines() {
    let mut s = start(
        source_config("type=\"json_lines\"\naddress=\"127.0.0.1:0\"\nmax_line_bytes=\"100B\""),
        64,
    )
    .await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let long = format!("{{\"message\":\"{}\"}}\n", "x".repeat(300));
    let input = format!(
        "{{\"@timestamp\":\"2026-11-24T21:12:19.564Z\",\"message\":\"one\",\"level\":\"INFO\"}}\r\nnot json at all\n{long}{{\"message\":\"after\"}}\n"
    );
    c.write_all(input.as_bytes()).await.unwrap();
    drop(c);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    s.shutdown.cancel();
    let got = collect(&mut s.rx).await;
    s.handle.await.unwrap();
    assert_eq!(got.len(), 4, "{got:?}");
    let f = got[0].fields();
    assert_eq!(f.get("level"), Some(&Value::from("INFO")));
    assert_eq!(
        got[0]
            .timestamp()
            .map(|t| sluice_event::timestamp::format_rfc3339(&t)),
        Some("2026-11-24T21:12:19.564Z".to_owned())
    );
    assert!(!got[0].has_tag("_jsonparsefailure"));
    assert!(got[1].has_tag("_jsonparsefailure"));
    assert_eq!(
        got[1].fields().get("message"),
        Some(&Value::from("not json at all"))
    );
    // The long line is cut at 100 bytes: no longer JSON, so kept, tagged twice.
    assert!(got[2].has_tag("_truncated") && got[2].has_tag("_jsonparsefailure"));
    assert_eq!(
        got[2]
            .fields()
            .get("message")
            .and_then(Value::as_str)
            .map(str::len),
        Some(100)
    );
    assert_eq!(got[3].fields().get("message"), Some(&Value::from("after")));
    assert_eq!(s.metrics.error_counter(ErrorType::Parse).get(), 2);
    assert_eq!(s.metrics.error_counter(ErrorType::Oversize).get(), 1);
    assert_eq!(s.metrics.events_received.get(), 4);
}
