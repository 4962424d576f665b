use super::*;
use sluice_event::{FieldPath, Value};

fn build(text: &str) -> Result<Webhook, String> {
    let c: Config = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut b = Build::new("t.toml");
    let w = c.build(&mut b);
    let problems = b.into_problems();
    match w {
        Some(w) if problems.is_empty() => Ok(w),
        _ => Err(format!("{problems:?}")),
    }
}

fn alert() -> Event {
    let mut e = Event::new();
    e.insert(
        &FieldPath::parse("message").unwrap(),
        Value::from("[critical] db \"down\""),
    );
    e.insert(
        &FieldPath::parse("[alert][severity]").unwrap(),
        Value::from("critical"),
    );
    e
}

use sluice_event::Event;

#[test]
fn slack_bodies_carry_the_rendered_text_and_json_bodies_the_event() {
    let w = build("url = \"http://127.0.0.1:9/hook\"").unwrap();
    let b: serde_json::Value = serde_json::from_slice(&send::body(&w.s, &alert())).unwrap();
    assert_eq!(b, serde_json::json!({"text": "[critical] db \"down\""}));
    let w = build("url = \"http://127.0.0.1:9/hook\"\ntemplate = \":rotating_light: %{[alert][severity]}: %{message}\"").unwrap();
    let b: serde_json::Value = serde_json::from_slice(&send::body(&w.s, &alert())).unwrap();
    assert_eq!(
        b["text"],
        ":rotating_light: critical: [critical] db \"down\""
    );
    let w = build("url = \"http://127.0.0.1:9/hook\"\nformat = \"json\"").unwrap();
    let b: serde_json::Value = serde_json::from_slice(&send::body(&w.s, &alert())).unwrap();
    assert_eq!(b["alert"]["severity"], "critical");
}

#[test]
fn the_secret_in_a_slack_url_is_not_shown() {
    let w = build("url = \"https://hooks.slack.com/services/T000/B000/XXXXSECRET\"").unwrap();
    assert_eq!(w.s.url, "https://hooks.slack.com:443/…");
    assert_eq!(w.s.endpoint.prefix, "/services/T000/B000/XXXXSECRET");
}

#[test]
fn config_errors_name_their_keys() {
    let e = build("url = \"ftp://x\"").unwrap_err();
    assert!(e.contains("url"), "{e}");
    let e = build("url = \"http://x/\"\nheaders = { \"bad header\" = \"v\" }").unwrap_err();
    assert!(e.contains("headers.bad header"), "{e}");
    let e = build("url = \"http://x/\"\ntls = { verify = false }").unwrap_err();
    assert!(e.contains("tls"), "{e}");
    let e = build("url = \"http://x/\"\nformat = \"teams\"").unwrap_err();
    assert!(e.contains("teams"), "{e}");
    assert!(build("url = \"http://x/\"\nauth = { bearer = \"t0k\" }").is_ok());
}
