//! Every component type reports the standard ★ metric set.
//!
//! The pipeline below uses each type of each registry once; a new type that is missing
//! from it fails the test, so the check cannot silently skip a component.

use sluice_core::Telemetry;
use sluice_sinks::SinkConfig;
use sluice_sources::SourceConfig;
use sluice_transforms::TransformConfig;
use std::collections::BTreeSet;

const PIPELINE: &str = r#"
[sources.syslog]
type = "syslog"
mode = "udp"
address = "127.0.0.1:0"
[sources.beats]
type = "beats"
address = "127.0.0.1:0"
[sources.json_lines]
type = "json_lines"
address = "127.0.0.1:0"
[sources.http]
type = "http"
address = "127.0.0.1:0"
[sources.stdin]
type = "stdin"

[transforms.grok]
type = "grok"
inputs = ["syslog", "beats", "json_lines", "http", "stdin"]
patterns = ["%{WORD:w}"]
[transforms.date]
type = "date"
inputs = ["grok"]
field = "t"
formats = ["ISO8601"]
[transforms.dissect]
type = "dissect"
inputs = ["date"]
mapping = { message = "%{a} %{b}" }
[transforms.json]
type = "json"
inputs = ["dissect"]
[transforms.kv]
type = "kv"
inputs = ["json"]
[transforms.mutate]
type = "mutate"
inputs = ["kv"]
add_tag = ["x"]
[transforms.redact]
type = "redact"
inputs = ["mutate"]
[transforms.filter]
type = "filter"
inputs = ["redact"]
if = "[w]"
[transforms.drop]
type = "drop"
inputs = ["filter"]
if = "[nothing]"
[transforms.clone]
type = "clone"
inputs = ["drop"]
clones = ["c"]
[transforms.split]
type = "split"
inputs = ["clone"]
[transforms.prune]
type = "prune"
inputs = ["split"]
[transforms.syslog_pri]
type = "syslog_pri"
inputs = ["prune"]
[transforms.fingerprint]
type = "fingerprint"
inputs = ["syslog_pri"]
[transforms.csv]
type = "csv"
inputs = ["fingerprint"]
[transforms.cidr]
type = "cidr"
inputs = ["csv"]
address = ["%{ip}"]
network = ["10.0.0.0/8"]
[transforms.translate]
type = "translate"
inputs = ["cidr"]
source = "s"
dictionary = { a = "b" }
[transforms.useragent]
type = "useragent"
inputs = ["translate"]
source = "agent"
[transforms.alert]
type = "alert"
inputs = ["useragent"]
rules = { errors = { kind = "frequency", threshold = 10 } }
[transforms.template]
type = "template"
inputs = ["alert"]
[transforms.anomaly]
type = "anomaly"
inputs = ["template"]
[transforms.route]
type = "route"
inputs = ["anomaly"]
routes = { a = "[a]" }

[sinks.file]
type = "file"
inputs = ["route.a"]
path = "out.log"
[sinks.console]
type = "console"
inputs = ["route._unmatched"]
if = "[never]"
[sinks.blackhole]
type = "blackhole"
inputs = ["route._unmatched", "alert.alerts", "anomaly.anomalies"]
[sinks.webhook]
type = "webhook"
inputs = ["alert.alerts"]
url = "http://127.0.0.1:9/hook"
[sinks.elasticsearch]
type = "elasticsearch"
inputs = ["route._unmatched"]
endpoints = ["http://127.0.0.1:9"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_component_type_exports_the_standard_metric_set() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = sluice_config::load_str("compliance.toml", PIPELINE).unwrap();
    p.data_dir = dir.path().to_owned();

    let src: BTreeSet<&str> = p.sources.values().map(|s| s.config.type_name()).collect();
    let tr: BTreeSet<&str> = p.transforms.values().map(|t| t.type_name).collect();
    let sk: BTreeSet<&str> = p.sinks.values().map(|s| s.type_name).collect();
    assert_eq!(src, SourceConfig::TYPES.iter().copied().collect());
    // geoip needs a MaxMind database file, which sluice does not ship; its metrics come
    // from the same code as every other transform's.
    let all_but_geoip: BTreeSet<&str> = TransformConfig::TYPES
        .iter()
        .copied()
        .filter(|t| *t != "geoip")
        .collect();
    assert_eq!(tr, all_but_geoip);
    assert_eq!(sk, SinkConfig::TYPES.iter().copied().collect());

    let telemetry = Telemetry::new();
    let bound = crate::bind_sources(&p, None).unwrap();
    let running = crate::start(&p, bound, &telemetry);
    let families = telemetry.registry().gather();
    let has = |metric: &str, id: &str, ty: &str| {
        families.iter().any(|f| {
            f.get_name() == metric
                && f.get_metric().iter().any(|m| {
                    let l = m.get_label();
                    l.iter()
                        .any(|x| x.get_name() == "component" && x.get_value() == id)
                        && l.iter()
                            .any(|x| x.get_name() == "component_type" && x.get_value() == ty)
                })
        })
    };
    let mut missing = Vec::new();
    for c in &running.component_list() {
        let mut want = vec![
            "sluice_events_received_total",
            "sluice_bytes_received_total",
            "sluice_events_sent_total",
            "sluice_buffer_events",
            "sluice_buffer_bytes",
        ];
        match c.kind {
            sluice_core::ComponentKind::Source => want.push("sluice_connections_active"),
            sluice_core::ComponentKind::Sink => want.push("sluice_sink_request_duration_seconds"),
            sluice_core::ComponentKind::Transform => {}
        }
        for m in want {
            if !has(m, &c.id, &c.component_type) {
                missing.push(format!("{m} for {} ({})", c.id, c.component_type));
            }
        }
    }
    assert!(missing.is_empty(), "missing: {missing:#?}");
    assert_eq!(running.component_list().len(), 32);
    running.shutdown();
    running.wait().await;
}
