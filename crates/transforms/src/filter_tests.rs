//! The filters Logstash pipelines bring: clone, syslog_pri, fingerprint, csv, cidr,
//! translate, useragent, geoip; each checked against what the Logstash plugin's docs
//! and specs say it produces.

use crate::tests::{apply, node, Node};
use crate::Run;
use sluice_event::{Event, FieldPath, Value};

fn ev(pairs: &[(&str, Value)]) -> Event {
    let mut e = Event::new();
    for (k, v) in pairs {
        e.insert(&FieldPath::parse(k).unwrap(), v.clone());
    }
    e
}

fn get<'a>(e: &'a Event, path: &str) -> Option<&'a Value> {
    e.get(&FieldPath::parse(path).unwrap())
}

fn text(e: &Event, path: &str) -> String {
    get(e, path).map(Value::to_string_lossy).unwrap_or_default()
}

/// Applies a transform that may add events.
fn grow(n: &Node, batch: &mut Vec<Event>) {
    n.transform.apply(batch, &mut Run::plain(n.when.as_ref()));
}

#[test]
fn clone_follows_the_original_with_a_marked_copy_per_name() {
    let n = node("type = \"clone\"\nclones = [\"a\", \"b\"]\nadd_tag = [\"copy\"]\nif = '[keep]'");
    let mut batch = vec![
        ev(&[("keep", Value::Bool(true)), ("message", "m".into())]),
        ev(&[("message", "skip".into())]),
    ];
    grow(&n, &mut batch);
    assert_eq!(batch.len(), 4);
    assert!(!batch[0].has_tag("copy"), "the original is unchanged");
    assert!(batch[1].has_tag("a") && batch[1].has_tag("copy") && !batch[1].has_tag("b"));
    assert!(batch[2].has_tag("b"));
    assert_eq!(text(&batch[3], "message"), "skip");
    let legacy = node("type = \"clone\"\nclones = [\"x\"]\necs_compatibility = \"disabled\"");
    let mut batch = vec![ev(&[("type", "orig".into())])];
    grow(&legacy, &mut batch);
    assert_eq!(text(&batch[0], "type"), "orig");
    assert_eq!(text(&batch[1], "type"), "x");
}

#[test]
fn syslog_pri_splits_facility_and_severity_with_names() {
    let n = node("type = \"syslog_pri\"\necs_compatibility = \"disabled\"");
    let mut batch = vec![
        ev(&[("syslog_pri", "134".into())]),
        ev(&[]),
        ev(&[("syslog_pri", "999".into())]),
    ];
    apply(&n, &mut batch);
    // 134 = local0 (16) * 8 + informational (6).
    assert_eq!(
        get(&batch[0], "syslog_facility_code"),
        Some(&Value::Integer(16))
    );
    assert_eq!(text(&batch[0], "syslog_facility"), "local0");
    assert_eq!(text(&batch[0], "syslog_severity"), "informational");
    // A missing priority is 13: user-level notice, as in Logstash.
    assert_eq!(text(&batch[1], "syslog_facility"), "user-level");
    assert_eq!(text(&batch[1], "syslog_severity"), "notice");
    assert!(batch[2].has_tag("_syslogpriparsefailure"));
    let ecs = node("type = \"syslog_pri\"");
    let mut batch = vec![ev(&[("[log][syslog][priority]", Value::Integer(11))])];
    apply(&ecs, &mut batch);
    assert_eq!(
        text(&batch[0], "[log][syslog][facility][name]"),
        "user-level"
    );
    assert_eq!(text(&batch[0], "[log][syslog][severity][name]"), "error");
}

#[test]
fn fingerprint_methods_match_known_digests() {
    let one = |cfg: &str, e: Event| {
        let n = node(&format!(
            "type = \"fingerprint\"\necs_compatibility = \"disabled\"\n{cfg}"
        ));
        let mut batch = vec![e];
        apply(&n, &mut batch);
        batch.remove(0)
    };
    let msg = || ev(&[("message", "hello".into())]);
    // Digests of "hello" from sha1sum / sha256sum / md5sum.
    assert_eq!(
        text(&one("", msg()), "fingerprint"),
        "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
    );
    assert_eq!(
        text(&one("method = \"SHA256\"", msg()), "fingerprint"),
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert_eq!(
        text(&one("method = \"MD5\"", msg()), "fingerprint"),
        "5d41402abc4b2a76b9719d911017c592"
    );
    // HMAC-SHA256 of "hello" under "key" (openssl dgst -sha256 -hmac key).
    assert_eq!(
        text(
            &one("method = \"SHA256\"\nkey = \"key\"", msg()),
            "fingerprint"
        ),
        "9307b3b915efb5171ff14d8cb55fbcc798c6c0ef1456d66ded1a6aa723a58b7b"
    );
    assert_eq!(
        text(&one("base64encode = true", msg()), "fingerprint"),
        "qvTGHdzF6KLavt4PO0gs2a6pQ00="
    );
    // MurmurHash3 x86_32, seed 0, of "hello" is 0x248bfa47.
    assert_eq!(
        get(&one("method = \"MURMUR3\"", msg()), "fingerprint"),
        Some(&Value::Integer(0x248b_fa47))
    );
    assert_eq!(
        text(
            &one(
                "method = \"PUNCTUATION\"",
                ev(&[("message", "a, b; c!".into())])
            ),
            "fingerprint"
        ),
        ",;!"
    );
    assert_eq!(
        text(
            &one(
                "method = \"IPV4_NETWORK\"\nkey = \"24\"",
                ev(&[("message", "10.1.2.3".into())])
            ),
            "fingerprint"
        ),
        "10.1.2.0"
    );
    let uuid = text(&one("method = \"UUID\"", msg()), "fingerprint");
    assert_eq!(uuid.len(), 36, "{uuid}");
    // Concatenated sources are sorted by name: `|a|1|b|2|` whatever the order given.
    let both = ev(&[("a", "1".into()), ("b", "2".into())]);
    let x = text(
        &one(
            "source = [\"b\", \"a\"]\nconcatenate_sources = true",
            both.clone(),
        ),
        "fingerprint",
    );
    let y = text(
        &one("source = [\"a\", \"b\"]\nconcatenate_sources = true", both),
        "fingerprint",
    );
    assert_eq!(x, y);
    // sha1 of "|a|1|b|2|".
    assert_eq!(x, "47d7ead16239ee4ea1c05f4c7577a241c5506404");
    let ecs = node("type = \"fingerprint\"");
    let mut batch = vec![msg()];
    apply(&ecs, &mut batch);
    assert_eq!(
        text(&batch[0], "[event][hash]"),
        "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
    );
}

#[test]
fn csv_names_converts_and_drops_headers() {
    let n = node(
        "type = \"csv\"\ncolumns = [\"ts\", \"level\", \"ms\"]\nconvert = { ms = \"integer\" }\nskip_header = true",
    );
    let mut batch = vec![
        ev(&[("message", "ts,level,ms".into())]),
        ev(&[("message", "2024-05-01,\"ERROR, bad\",120,extra".into())]),
        ev(&[("message", "\"unclosed,1".into())]),
    ];
    apply(&n, &mut batch);
    assert_eq!(batch.len(), 2, "the header line is dropped");
    assert_eq!(text(&batch[0], "level"), "ERROR, bad");
    assert_eq!(get(&batch[0], "ms"), Some(&Value::Integer(120)));
    assert_eq!(text(&batch[0], "column4"), "extra");
    assert!(batch[1].has_tag("_csvparsefailure"));
    let auto =
        node("type = \"csv\"\nautodetect_column_names = true\nseparator = \";\"\ntarget = \"row\"");
    let mut batch = vec![
        ev(&[("message", "a;b".into())]),
        ev(&[("message", "1;2".into())]),
    ];
    apply(&auto, &mut batch);
    assert_eq!(batch.len(), 1);
    assert_eq!(text(&batch[0], "[row][b]"), "2");
}

#[test]
fn cidr_tags_addresses_inside_the_networks() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("nets.txt");
    std::fs::write(&f, "# office\n192.168.0.0/16\n2001:db8::/32\n").unwrap();
    let n = node(&format!(
        "type = \"cidr\"\naddress = [\"%{{clientip}}\"]\nnetwork = [\"10.0.0.0/8\"]\nnetwork_path = \"{}\"\nadd_tag = [\"internal\"]",
        f.display()
    ));
    let mut batch: Vec<Event> = ["10.2.3.4", "192.168.9.9", "2001:db8::1", "8.8.8.8", "junk"]
        .iter()
        .map(|ip| ev(&[("clientip", (*ip).into())]))
        .collect();
    apply(&n, &mut batch);
    let tagged: Vec<bool> = batch.iter().map(|e| e.has_tag("internal")).collect();
    assert_eq!(tagged, [true, true, true, false, false]);
}

#[test]
fn translate_exact_regex_substring_fallback_and_files() {
    let n = node(
        "type = \"translate\"\nsource = \"status\"\ntarget = \"desc\"\nfallback = \"unknown\"\n[dictionary]\n\"200\" = \"OK\"\n\"500\" = \"Server Error\"",
    );
    let mut batch = vec![
        ev(&[("status", Value::Integer(200))]),
        ev(&[("status", "418".into())]),
    ];
    apply(&n, &mut batch);
    assert_eq!(text(&batch[0], "desc"), "OK");
    assert_eq!(text(&batch[1], "desc"), "unknown");
    let sub = node("type = \"translate\"\nsource = \"m\"\ntarget = \"m\"\nexact = false\n[dictionary]\ncat = \"dog\"");
    let mut batch = vec![ev(&[("m", "cat and cat".into())])];
    apply(&sub, &mut batch);
    assert_eq!(text(&batch[0], "m"), "dog and dog");
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [
        ("d.yml", "\"^5\\\\d\\\\d$\": server\n\"^4\": client\n"),
        (
            "d.json",
            "{\"^5\\\\d\\\\d$\": \"server\", \"^4\": \"client\"}",
        ),
        ("d.csv", "^5\\d\\d$,server\n^4,client\n"),
    ] {
        let f = dir.path().join(name);
        std::fs::write(&f, body).unwrap();
        let n = node(&format!(
            "type = \"translate\"\nsource = \"status\"\ntarget = \"class\"\nregex = true\ndictionary_path = \"{}\"",
            f.display()
        ));
        let mut batch = vec![
            ev(&[("status", "503".into())]),
            ev(&[("status", "404".into())]),
            ev(&[("status", "200".into())]),
        ];
        apply(&n, &mut batch);
        assert_eq!(text(&batch[0], "class"), "server", "{name}");
        assert_eq!(text(&batch[1], "class"), "client", "{name}");
        assert_eq!(get(&batch[2], "class"), None, "{name}");
    }
    // An existing target is kept unless `override`.
    let keep =
        node("type = \"translate\"\nsource = \"s\"\ntarget = \"t\"\n[dictionary]\na = \"b\"");
    let mut batch = vec![ev(&[("s", "a".into()), ("t", "mine".into())])];
    apply(&keep, &mut batch);
    assert_eq!(text(&batch[0], "t"), "mine");
}

#[test]
fn useragent_names_browser_and_os() {
    let n = node("type = \"useragent\"\nsource = \"agent\"");
    let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    let mut batch = vec![ev(&[("agent", ua.into())])];
    apply(&n, &mut batch);
    assert_eq!(text(&batch[0], "[user_agent][name]"), "Chrome");
    assert_eq!(text(&batch[0], "[user_agent][version]"), "120.0.0.0");
    assert_eq!(text(&batch[0], "[user_agent][os][name]"), "Windows 10");
    assert_eq!(text(&batch[0], "[user_agent][device][name]"), "pc");
    assert_eq!(text(&batch[0], "[user_agent][original]"), ua);
}

#[test]
fn geoip_without_a_database_says_where_to_get_one() {
    let c: crate::TransformConfig = toml::from_str("[geoip]\nsource = \"[client][ip]\"").unwrap();
    let mut b = sluice_core::config::Build::new("t.toml");
    assert!(c.build(&mut b).is_none());
    let problems = format!("{:?}", b.into_problems());
    assert!(
        problems.contains("database") && problems.contains("maxmind.com"),
        "{problems}"
    );
}

#[test]
fn split_makes_an_event_per_piece_and_keeps_what_it_cannot_split() {
    let n = node("type = \"split\"\nfield = \"items\"\nadd_tag = [\"piece\"]\nmax_events = 3");
    let mut batch = vec![
        ev(&[
            (
                "items",
                Value::Array(vec!["a".into(), "".into(), "b".into()]),
            ),
            ("id", Value::Integer(1)),
        ]),
        ev(&[("items", "x\ny".into())]),
        ev(&[("items", "single".into())]),
        ev(&[("items", Value::Integer(5))]),
        ev(&[(
            "items",
            Value::Array(vec!["1".into(), "2".into(), "3".into(), "4".into()]),
        )]),
    ];
    grow(&n, &mut batch);
    let items: Vec<String> = batch.iter().map(|e| text(e, "items")).collect();
    assert_eq!(
        items,
        ["a", "b", "x", "y", "single", "5", r#"["1","2","3","4"]"#]
    );
    assert!(batch[0].has_tag("piece") && get(&batch[0], "id") == Some(&Value::Integer(1)));
    assert!(!batch[4].has_tag("piece"), "one piece: left alone");
    assert!(batch[5].has_tag("_split_type_failure"));
    assert!(
        batch[6].has_tag("_split_overflow"),
        "more than max_events: kept whole"
    );
}

#[test]
fn prune_keeps_and_drops_by_name_and_value() {
    let n = node(
        "type = \"prune\"\nwhitelist_names = [\"^msg$\", \"^level$\", \"^codes$\"]\n[blacklist_values]\ncodes = \"^5\"",
    );
    let mut batch = vec![ev(&[
        ("msg", "m".into()),
        ("level", "INFO".into()),
        ("secret", "x".into()),
        ("codes", Value::Array(vec!["200".into(), "500".into()])),
    ])];
    apply(&n, &mut batch);
    assert_eq!(text(&batch[0], "msg"), "m");
    assert_eq!(get(&batch[0], "secret"), None);
    assert_eq!(
        get(&batch[0], "codes"),
        Some(&Value::Array(vec!["200".into()]))
    );
    let default = node("type = \"prune\"");
    let mut batch = vec![ev(&[("%{unresolved}", "x".into()), ("ok", "y".into())])];
    apply(&default, &mut batch);
    assert_eq!(
        get(&batch[0], "ok").map(Value::to_string_lossy).as_deref(),
        Some("y")
    );
    assert_eq!(
        batch[0].fields().len(),
        1,
        "the leftover %{{}} name is gone"
    );
}

#[test]
fn template_masks_are_checked_one_by_one_and_as_one_pattern() {
    let c: crate::TransformConfig =
        toml::from_str("[template]\nmasks = ['(', '[', 'ok']\n").unwrap();
    let mut b = sluice_core::config::Build::new("t.toml");
    assert!(c.build(&mut b).is_none());
    let problems = b.into_problems();
    assert_eq!(problems.len(), 2, "each bad mask named: {problems:?}");
    // Many masks that are each fine can still be too big together.
    let big: Vec<String> = (0..16).map(|i| format!("'\\w{{120}}x{i}'")).collect();
    let c: crate::TransformConfig =
        toml::from_str(&format!("[template]\nmasks = [{}]\n", big.join(", "))).unwrap();
    let mut b = sluice_core::config::Build::new("t.toml");
    assert!(c.build(&mut b).is_none(), "a config error, not a panic");
    let problems = b.into_problems();
    assert_eq!(
        problems.len(),
        1,
        "one: the alternation, {:?}",
        problems.first()
    );
    assert_eq!(problems[0].key, "masks");
}
