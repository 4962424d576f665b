//! Per-transform cost on the mission's Django line, and the whole studio chain
//! (config/default.toml's transforms in order), next to the syslog decode it follows;
//! then what the studio alert pack, the anomaly model and template mining add.
//!
//! Events are what the syslog source makes of an RFC 5424 line carrying the Django
//! record, in batches of [`BATCH`] as the pipeline moves them. Every time is per batch
//! (divide by [`BATCH`] for one event; 1 s / that is events/s on one core), and
//! throughput is in bytes of syslog line per second. Each transform gets the event as the
//! transforms before it in the studio chain leave it.

/// The allocator the sluice binary uses, so that allocation costs match production.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sluice_event::Event;
use sluice_parse::condition::Condition;
use sluice_parse::syslog::{decode, parse, DecodeOptions, ParseOptions};
use sluice_transforms::{Run, Transform, TransformConfig};
use std::sync::Arc;

const BATCH: usize = 256;

const LINE: &[u8] = b"<134>1 2026-11-24T12:00:00.123456+00:00 web-01.example.com django 4242 - - ERROR 2026-11-24 12:00:00,123 views 4242 140234 Database connection failed request_id=req-7f3a response_time:2500ms user=bob";

/// A built transform and its `if`, as the runtime runs it.
struct TransformNode {
    transform: Arc<dyn Transform>,
    condition: Option<Condition>,
}

/// Applies one transform node to a batch, as the runtime's chain does.
fn apply(n: &TransformNode, batch: &mut Vec<Event>) {
    n.transform
        .apply(batch, &mut Run::plain(n.condition.as_ref()));
}

/// A transform from its TOML table, built through the registry as the loader does.
fn from_table(mut t: toml::Table) -> TransformNode {
    let ty = t.remove("type").unwrap();
    t.remove("inputs");
    let condition = t
        .remove("if")
        .map(|c| Condition::parse(c.as_str().unwrap()).unwrap());
    let mut outer = toml::Table::new();
    outer.insert(ty.as_str().unwrap().to_owned(), toml::Value::Table(t));
    let c: TransformConfig = toml::Value::Table(outer).try_into().unwrap();
    let mut b = sluice_core::config::Build::new("bench.toml");
    let transform = c.build(&mut b).unwrap();
    TransformNode {
        transform,
        condition,
    }
}

fn node(body: &str) -> TransformNode {
    from_table(toml::from_str(body).unwrap())
}

fn opts() -> DecodeOptions {
    DecodeOptions {
        parse: ParseOptions::default(),
        keep_original: false,
        peer_ip: Some("127.0.0.1".parse().unwrap()),
    }
}

/// A batch straight from the syslog decoder, then through `before`.
fn batch(before: &[&TransformNode]) -> Vec<Event> {
    let o = opts();
    let mut b: Vec<Event> = (0..BATCH)
        .map(|_| decode(LINE, &o).unwrap_or_else(|e| e))
        .collect();
    for n in before {
        apply(n, &mut b);
    }
    b
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("transform");
    g.throughput(Throughput::Bytes((LINE.len() * BATCH) as u64));

    // What the transforms are compared with: the syslog parse alone (borrowed fields, no
    // event), and the syslog source's whole work per event (parse and build the event).
    let po = ParseOptions::default();
    g.bench_function("syslog_parse", |b| {
        b.iter(|| {
            (0..BATCH)
                .filter(|_| parse(std::hint::black_box(LINE), &po).is_ok())
                .count()
        })
    });
    let o = opts();
    g.bench_function("syslog_decode", |b| {
        b.iter(|| {
            (0..BATCH)
                .map(|_| decode(std::hint::black_box(LINE), &o).unwrap_or_else(|e| e))
                .collect::<Vec<Event>>()
        })
    });

    let grok = node("type = \"grok\"\npatterns = [\"%{LOGLEVEL:level} %{TIMESTAMP_ISO8601:timestamp} %{DATA:module} %{GREEDYDATA:message}\"]\noverwrite = [\"message\"]");
    let date =
        node("type = \"date\"\nfield = \"timestamp\"\nformats = [\"yyyy-MM-dd HH:mm:ss,SSS\"]");
    let mutate = node("type = \"mutate\"\nif = '[level] in [\"ERROR\", \"CRITICAL\"]'\nadd_tag = [\"error\"]\nrename = { \"module\" = \"[log][logger]\" }");
    let kv = node("type = \"kv\"\ntarget = \"kv\"");
    let redact = node("type = \"redact\"");
    let cases: [(&str, Vec<&TransformNode>, Vec<&TransformNode>); 6] = [
        ("grok_django", vec![], vec![&grok]),
        ("date_asctime", vec![&grok], vec![&date]),
        ("mutate_tag_convert", vec![&grok, &date], vec![&mutate]),
        ("grok_date_mutate", vec![], vec![&grok, &date, &mutate]),
        ("kv", vec![&grok], vec![&kv]),
        ("redact_all_detectors", vec![&grok], vec![&redact]),
    ];
    for (name, before, run) in &cases {
        g.bench_function(*name, |b| {
            b.iter_batched(
                || batch(before),
                |mut events| {
                    for n in run {
                        apply(n, &mut events);
                    }
                    events
                },
                BatchSize::PerIteration,
            )
        });
    }

    // The studio chain, as the embedded default runs it.
    let doc: toml::Table = toml::from_str(include_str!("../../../config/default.toml")).unwrap();
    let transforms = doc["transforms"].as_table().unwrap();
    let order = [
        "json_records",
        "django",
        "django_process",
        "asctime",
        "errors",
        "timings",
        "request_ids",
        "cat_security",
        "client_ip_field",
        "client_ip",
        "cat_audit",
        "cat_performance",
        "cat_system",
        "cat_application",
        "redact",
    ];
    // The monitor (alert) is measured on its own below.
    assert_eq!(
        order.len() + 1,
        transforms.len(),
        "the studio chain changed"
    );
    let nodes: Vec<TransformNode> = order
        .iter()
        .map(|id| from_table(transforms[*id].as_table().unwrap().clone()))
        .collect();
    let chain: Vec<&TransformNode> = nodes.iter().collect();
    g.bench_function("studio_chain", |b| {
        b.iter_batched(
            || batch(&[]),
            |mut events| {
                for n in &chain {
                    apply(n, &mut events);
                }
                events
            },
            BatchSize::PerIteration,
        )
    });

    // What the issue-15 transforms add per event, on events the studio chain made: the
    // `studio` alert pack, the anomaly model, template mining, and the three together.
    let studio = |_: ()| {
        let mut b = batch(&[]);
        for n in &chain {
            apply(n, &mut b);
        }
        b
    };
    let pack = node("type = \"alert\"\npacks = [\"studio\"]");
    let anomaly = node("type = \"anomaly\"");
    let template = node("type = \"template\"");
    let extra: [(&str, Vec<&TransformNode>); 4] = [
        ("studio_pack", vec![&pack]),
        ("anomaly", vec![&anomaly]),
        ("template", vec![&template]),
        ("pack_anomaly_template", vec![&pack, &anomaly, &template]),
    ];
    for (name, run) in &extra {
        g.bench_function(*name, |b| {
            b.iter_batched(
                || studio(()),
                |mut events| {
                    for n in run {
                        n.transform.apply(
                            &mut events,
                            &mut Run {
                                when: None,
                                named: &mut [Vec::new()],
                                findings: &mut [],
                                errors: &mut [],
                            },
                        );
                    }
                    events
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
