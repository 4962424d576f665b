use super::rotate::OpenFile;
use super::*;
use chrono::{TimeZone, Utc};
use sluice_core::{ComponentKind, Telemetry};
use sluice_event::{Event, FieldPath};
use std::collections::HashSet;
use std::io::Read;

fn file_cfg(body: &str) -> FileSinkConfig {
    let c: Config = toml::from_str(body).unwrap();
    let mut b = sluice_core::config::Build::new("t.toml");
    let built = c.build(&mut b);
    assert!(b.into_problems().is_empty());
    built.unwrap()
}

#[test]
fn sizes_and_durations_are_read_in_human_units() {
    let f = file_cfg("path = \"x.log\"\nmax_bytes = \"10MiB\"\nrotate_every = \"1d\"");
    assert_eq!(f.max_bytes, Some(10 << 20));
    assert_eq!(f.rotate_every, Some(std::time::Duration::from_secs(86400)));
    let c: Config =
        toml::from_str("path = \"x.log\"\nmax_bytes = 0\nrotate_every = \"10ms\"").unwrap();
    let mut b = sluice_core::config::Build::new("t.toml");
    assert!(c.build(&mut b).is_none());
    let keys: Vec<String> = b.into_problems().into_iter().map(|p| p.key).collect();
    assert_eq!(keys, ["max_bytes", "rotate_every"]);
}

fn ev(i: usize, host: &str) -> Event {
    let mut e = Event::new();
    e.insert(
        &FieldPath::parse("message").unwrap(),
        format!("line {i:06} {}", "p".repeat(i % 37)),
    );
    e.insert(&FieldPath::parse("host.hostname").unwrap(), host);
    e.insert(&FieldPath::parse("seq").unwrap(), i as i64);
    e
}

fn run(cfg: FileSinkConfig, dir: &std::path::Path, batches: Vec<EventBatch>) -> ComponentMetrics {
    let metrics = Telemetry::new().component("f", "file", ComponentKind::Sink);
    let (tx, rx) = mpsc::channel(batches.len().max(1));
    for b in batches {
        tx.try_send(b).unwrap();
    }
    drop(tx);
    run_file(
        rx,
        FileSinkContext {
            id: "f".into(),
            config: cfg,
            data_dir: dir.to_owned(),
            metrics: metrics.clone(),
            reopen: Default::default(),
        },
    );
    metrics
}

/// Every line of every file under `dir` (gunzipping `.gz`).
fn all_lines(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let mut text = String::new();
            if p.extension().is_some_and(|x| x == "gz") {
                flate2::read::GzDecoder::new(std::fs::File::open(&p).unwrap())
                    .read_to_string(&mut text)
                    .unwrap();
            } else {
                text = std::fs::read_to_string(&p).unwrap();
            }
            out.extend(text.lines().map(str::to_owned));
        }
    }
    out
}

fn assert_each_once(lines: &[String], n: usize) {
    let mut seen = HashSet::new();
    for l in lines {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("split or broken line {l:?}: {e}"));
        assert!(seen.insert(v["seq"].as_i64().unwrap()), "duplicate {l}");
    }
    assert_eq!(seen.len(), n, "lines lost");
}

#[test]
fn size_rotation_loses_splits_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = file_cfg("path = \"logs/app.log\"\nmax_bytes = 4096\nbackup_count = 1000");
    let batches: Vec<EventBatch> = (0..50)
        .map(|b| (0..40).map(|i| ev(b * 40 + i, "h")).collect())
        .collect();
    let m = run(cfg, dir.path(), batches);
    assert_eq!(m.events_sent.get(), 2000);
    let lines = all_lines(dir.path());
    assert_each_once(&lines, 2000);
    // Every file but the live one is full to within one line of the limit, never over.
    for e in std::fs::read_dir(dir.path().join("logs"))
        .unwrap()
        .flatten()
    {
        let len = e.metadata().unwrap().len();
        assert!(len <= 4096, "{} is {len} bytes", e.path().display());
    }
    // Python numbering: the newest backup is .1 and holds lines newer than .2.
    let first = |p: &str| -> i64 {
        let t = std::fs::read_to_string(dir.path().join("logs").join(p)).unwrap();
        let v: serde_json::Value = serde_json::from_str(t.lines().next().unwrap()).unwrap();
        v["seq"].as_i64().unwrap()
    };
    assert!(first("app.log.1") > first("app.log.2"));
    assert!(first("app.log") > first("app.log.1"));
}

#[test]
fn backup_count_bounds_files_and_gzip_compresses() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = file_cfg("path = \"a.log\"\nmax_bytes = 2000\nbackup_count = 3\ncompress = \"gzip\"");
    let batches: Vec<EventBatch> = (0..10)
        .map(|b| (0..30).map(|i| ev(b * 30 + i, "h")).collect())
        .collect();
    run(cfg, dir.path(), batches);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a.log", "a.log.1.gz", "a.log.2.gz", "a.log.3.gz"]);
    // Newest lines survive, in order of age.
    let lines = all_lines(dir.path());
    assert!(lines.iter().any(|l| l.contains("\"seq\":299")));
}

#[test]
fn templated_paths_respect_the_open_file_bound() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = file_cfg("path = \"hosts/%{[host][hostname]}.log\"\nmax_open_files = 2\nencoding = \"text\"\ntemplate = \"%{seq} %{message}\"");
    let batch: EventBatch = (0..500).map(|i| ev(i, &format!("h{}", i % 5))).collect();
    run(cfg, dir.path(), vec![batch]);
    for h in 0..5 {
        let t = std::fs::read_to_string(dir.path().join(format!("hosts/h{h}.log"))).unwrap();
        assert_eq!(t.lines().count(), 100);
        assert!(t
            .lines()
            .all(|l| l.split(' ').next().unwrap().parse::<usize>().unwrap() % 5 == h));
    }
}

/// Issue 10's path traversal: a sender-controlled hostname rendered into a templated path
/// stays a file name inside the sink's directory, whatever it holds.
#[test]
fn sender_values_in_a_templated_path_cannot_leave_the_sink_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("d");
    std::fs::create_dir(&root).unwrap();
    let cfg = file_cfg("path = \"out/%{[host][hostname]}.log\"");
    let hostile = ["../../../../x", "/etc/evil", "a\nb", "..", "", "..\\..\\y"];
    let batch: EventBatch = hostile.iter().enumerate().map(|(i, h)| ev(i, h)).collect();
    run(cfg, &root, vec![batch]);
    // Nothing outside d/out, and every event was written inside it.
    let outside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, ["d"], "files outside the data dir: {outside:?}");
    let inside: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(inside, ["out"]);
    let mut names: Vec<String> = std::fs::read_dir(root.join("out"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            assert!(
                e.file_type().unwrap().is_file(),
                "{:?} is not a file",
                e.path()
            );
            e.file_name().into_string().unwrap()
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".._.._.._.._x.log",
            ".._.._y.log",
            "_.log",
            "_etc_evil.log",
            "a_b.log"
        ]
    );
    let lines: usize = names
        .iter()
        .map(|n| {
            std::fs::read_to_string(root.join("out").join(n))
                .unwrap()
                .lines()
                .count()
        })
        .sum();
    assert_eq!(lines, hostile.len());
}

#[test]
fn time_rotation_uses_dated_suffix_and_max_age_expires() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.log");
    let cfg = file_cfg("path = \"t.log\"\nrotate_every = \"1h\"");
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 12, 59, 0).unwrap();
    let mut f = OpenFile::open(path.clone(), &cfg, t0).unwrap();
    f.write_line(b"a\n", &cfg, t0).unwrap();
    f.write_line(b"b\n", &cfg, t0 + chrono::Duration::seconds(30))
        .unwrap();
    f.write_line(b"c\n", &cfg, t0 + chrono::Duration::minutes(2))
        .unwrap();
    f.flush(false).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("t.log.2026-11-24_12")).unwrap(),
        "a\nb\n"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "c\n");

    let aged = file_cfg("path = \"t.log\"\nrotate_every = \"1h\"\nmax_age = \"1h\"");
    let later = Utc::now() + chrono::Duration::hours(3);
    let _f = OpenFile::open(path.clone(), &aged, later).unwrap();
    assert!(
        !dir.path().join("t.log.2026-11-24_12").exists(),
        "expired backup should be removed"
    );
    assert!(path.exists(), "the live file is never expired");
}

/// Issue 10: 2,000 hostnames opened 2,000 files. The files a templated path may name are
/// bounded; the rest of the events go to one overflow file, and nothing is lost.
#[test]
fn a_templated_path_names_at_most_max_files() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = file_cfg("path = \"hosts/%{[host][hostname]}.log\"\nmax_files = 3");
    let batch: EventBatch = (0..60).map(|i| ev(i, &format!("h{}", i % 6))).collect();
    let m = run(cfg, dir.path(), vec![batch]);
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("hosts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["_overflow.log", "h0.log", "h1.log", "h2.log"]);
    let lines: usize = names
        .iter()
        .map(|n| {
            std::fs::read_to_string(dir.path().join("hosts").join(n))
                .unwrap()
                .lines()
                .count()
        })
        .sum();
    assert_eq!(lines, 60);
    assert_eq!(m.error_counter(ErrorType::FileLimit).get(), 30);
}
