//! Every input kept in `fuzz/regressions/<target>/` (crashes the fuzzers found, fixed,
//! and seeds worth keeping) replayed through the same bodies `cargo fuzz` runs
//! (`fuzz/bodies.rs`): none may panic again. Runs in the ordinary suite, on stable.

#[path = "../../../fuzz/bodies.rs"]
mod bodies;

use std::path::PathBuf;

/// A fuzz target's name and body.
type Target = (&'static str, fn(&[u8]));

#[test]
fn every_kept_fuzz_input_is_handled() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let targets: [Target; 10] = [
        ("condition", bodies::condition),
        ("config", bodies::config),
        ("date", bodies::date),
        ("framer", bodies::framer),
        ("grok", bodies::grok),
        ("json_event", bodies::json_event),
        ("kv", bodies::kv),
        ("logstash_conf", bodies::logstash_conf),
        ("lumberjack", bodies::lumberjack),
        ("syslog", bodies::syslog),
    ];
    let mut replayed = 0;
    for (name, body) in targets {
        let dir = root.join(name);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for f in rd.flatten() {
            let data = std::fs::read(f.path()).unwrap();
            let r = std::panic::catch_unwind(|| body(&data));
            assert!(r.is_ok(), "{name}: {} panics again", f.path().display());
            replayed += 1;
        }
    }
    eprintln!("{replayed} kept fuzz inputs replayed");
}
