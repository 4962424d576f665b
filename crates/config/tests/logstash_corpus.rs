//! How many real pipelines of `shared/corpus/logstash-configs` load fully into sluice,
//! and which plugins stop the others. Prints the tally; fails if fewer load than the
//! last measured count (a regression) or if a file that parses fails for anything but
//! a missing plugin or setting.

use std::collections::BTreeMap;
use std::path::PathBuf;

#[test]
fn real_corpus_pipelines_load_or_name_what_stops_them() {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/logstash-configs");
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "shared/corpus is required under CI=true"
        );
        return;
    }
    let index = std::fs::read_to_string(dir.join("index.tsv")).unwrap();
    let (mut real, mut loaded) = (0, 0);
    let mut blockers: BTreeMap<String, usize> = BTreeMap::new();
    let mut other: BTreeMap<String, usize> = BTreeMap::new();
    for row in index.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f[3] != "real" {
            continue;
        }
        real += 1;
        let text = std::fs::read_to_string(dir.join(f[0])).unwrap();
        let toml = match sluice_config::logstash::to_toml(&[(f[0].to_owned(), text)]) {
            Ok((t, _)) => t,
            Err(e) => {
                let mut seen = std::collections::BTreeSet::new();
                for err in &e.0 {
                    if let Some(name) = err
                        .message
                        .split("plugin `")
                        .nth(1)
                        .and_then(|r| r.split('`').next())
                    {
                        let kind = err
                            .message
                            .split("the ")
                            .nth(1)
                            .and_then(|r| r.split(' ').next())
                            .unwrap_or("");
                        seen.insert(format!("{kind}:{name}"));
                    } else {
                        seen.insert(format!(
                            "other: {}",
                            err.message.lines().next().unwrap_or("")
                        ));
                    }
                }
                for s in seen {
                    *blockers.entry(s).or_default() += 1;
                }
                continue;
            }
        };
        // Listeners on port 0, so that the load does not depend on this machine.
        match sluice_config::load_str(f[0], &toml) {
            Ok(_) => loaded += 1,
            Err(e) => {
                for err in &e.0 {
                    let key = format!(
                        "{} `{}`",
                        err.component.split('.').next().unwrap_or(""),
                        err.key
                    );
                    *other.entry(key).or_default() += 1;
                }
            }
        }
    }
    // Pipelines split over several files: each directory of several real files loaded
    // as one pipeline, as Logstash's `path.config` reads it.
    let mut dirs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in index.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f[3] == "real" {
            let parent = f[0].rsplit_once('/').map_or("", |p| p.0).to_owned();
            dirs.entry(parent).or_default().push(f[0].to_owned());
        }
    }
    let (mut split, mut split_loaded) = (0, 0);
    for files in dirs.values().filter(|f| f.len() > 1) {
        split += 1;
        let sources: Vec<(String, String)> = files
            .iter()
            .map(|f| (f.clone(), std::fs::read_to_string(dir.join(f)).unwrap()))
            .collect();
        if let Ok((toml, _)) = sluice_config::logstash::to_toml(&sources) {
            if sluice_config::load_str("dir", &toml).is_ok() {
                split_loaded += 1;
            }
        }
    }
    eprintln!("{split_loaded} of {split} directories of several files load fully as one pipeline");
    let mut by_count: Vec<_> = blockers.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1));
    eprintln!("{loaded} of {real} real pipelines load fully");
    eprintln!("plugins that stop the rest (files): {by_count:?}");
    eprintln!("settings refused by the loader (errors): {other:?}");
    assert!(
        loaded >= LOADED,
        "only {loaded} of {real} load now (was {LOADED})"
    );
}

/// Measured when this test was written (see the crate docs).
const LOADED: usize = 22;

/// logstash-core's spec cases that parse but must not compile: duplicate keys in one
/// hash (06, 07) and two codecs on one plugin (21, 22); a setting repeated as a whole
/// merges instead (24).
#[test]
fn spec_cases_that_logstash_refuses_to_compile_are_refused() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/logstash-configs/elastic-logstash/grammar-spec-cases");
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "shared/corpus is required under CI=true"
        );
        return;
    }
    let conv = |name: &str| {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        sluice_config::logstash::to_toml(&[(name.to_owned(), text)])
    };
    for (file, want) in [
        (
            "06-duplicate-hash-key.conf",
            "line 5, column 7: duplicate key `message`",
        ),
        (
            "07-duplicate-key-in-nested-hash.conf",
            "line 7, column 9: duplicate key `cool`",
        ),
        ("21-two-codecs-input.conf", "more than one codec"),
        ("22-two-codecs-output.conf", "more than one codec"),
    ] {
        let e = conv(file).unwrap_err().to_string();
        assert!(e.contains(want), "{file}: {e}");
    }
    let (toml, _) = conv("24-repeated-hash-directive-duplicate-keys.conf").unwrap();
    assert!(toml.contains(r#"patterns = ["foo", "bar"]"#), "{toml}");
}
