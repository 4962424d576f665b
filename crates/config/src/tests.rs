use super::*;
use sluice_core::config::{BufferConfig, WhenFull};
use sluice_event::{Event, FieldPath, Value};
use sluice_sources::syslog::FramingConfig;
use sluice_sources::SourceConfig;

fn errs(text: &str) -> Vec<ConfigError> {
    load_str("test.toml", text)
        .expect_err("config should be invalid")
        .0
}

#[test]
fn embedded_default_is_valid() {
    let p = load_str(DEFAULT_CONFIG_NAME, DEFAULT_CONFIG).unwrap();
    assert_eq!(p.sources.len(), 4);
    assert_eq!(p.sinks.len(), 4);
    assert_eq!(p.sinks["alerts"].inputs, ["monitor.alerts"]);
    assert_eq!(p.transforms["monitor"].type_name, "alert");
    assert_eq!(p.sources["beats"].config.listener().unwrap().1.port(), 5044);
    assert_eq!(
        p.sources["app_json"].config.listener().unwrap().1.port(),
        5170
    );
    assert_eq!(p.admin.address.to_string(), "127.0.0.1:9600");
}

#[test]
fn architecture_example_keys_parse() {
    let p = load_str(
        "a.toml",
        r#"
data_dir = "/tmp/x"
shutdown_grace = "5s"
[sources.syslog_udp]
type = "syslog"
mode = "udp"
address = "0.0.0.0:514"
[sources.syslog_tcp]
type = "syslog"
mode = "tcp"
address = "0.0.0.0:514"
framing = "octet_counting"
max_message_bytes = "64KiB"
timezone = "Europe/Berlin"
[transforms.tag]
type = "mutate"
inputs = ["syslog_udp", "syslog_tcp"]
if = '[level] == "ERROR" or [level] == "CRITICAL"'
add_tag = ["error"]
add_field = { "labels.category" = "application" }
remove_field = ["[event][original]"]
[sinks.studio]
type = "file"
inputs = ["tag"]
path = "logs/%{+YYYY.MM.dd}/studio.log"
encoding = "text"
template = "%{level} %{@timestamp} %{message}"
max_bytes = "10MiB"
backup_count = 5
rotate_every = "1d"
max_age = "7d"
compress = "gzip"
buffer = { type = "memory", max_events = 500 }
when_full = "drop_newest"
"#,
    )
    .unwrap();
    assert_eq!(p.shutdown_grace, std::time::Duration::from_secs(5));
    let s = &p.sinks["studio"];
    assert_eq!(
        s.buffer,
        BufferConfig {
            max_events: 500,
            when_full: WhenFull::DropNewest,
            disk: None,
        }
    );
    // The file sink's own settings are checked in its module (sluice-sinks).
    assert_eq!(s.type_name, "file");
    let SourceConfig::Syslog(c) = &p.sources["syslog_tcp"].config else {
        panic!()
    };
    assert_eq!(c.max_message_bytes.0, 65536);
    assert_eq!(c.framing, FramingConfig::OctetCounting);
}

#[test]
fn beats_and_json_lines_defaults_limits_and_listener_clashes() {
    let p = load_str(
        "t.toml",
        r#"
[sources.beats]
type = "beats"
[sources.app_json]
type = "json_lines"
[sinks.o]
type = "blackhole"
inputs = ["beats", "app_json"]
"#,
    )
    .unwrap();
    let SourceConfig::Beats(b) = &p.sources["beats"].config else {
        panic!()
    };
    assert_eq!(b.address.port(), 5044);
    assert_eq!(b.max_window, 16384);
    assert_eq!(b.ack_keepalive.0, std::time::Duration::from_secs(5));
    let SourceConfig::JsonLines(j) = &p.sources["app_json"].config else {
        panic!()
    };
    assert_eq!(j.address.port(), 5170);
    assert_eq!(j.max_line_bytes.0, 1 << 20);

    let e = errs(
        r#"
[sources.beats]
type = "beats"
address = "127.0.0.1:5044"
max_window = 0
max_frame_bytes = "1MiB"
max_inflated_bytes = "64KiB"
[sources.lines]
type = "json_lines"
address = "127.0.0.1:5044"
max_line_bytes = "10B"
[sinks.o]
type = "blackhole"
inputs = ["beats", "lines"]
"#,
    );
    let e: Vec<String> = e.iter().map(ToString::to_string).collect();
    for want in [
        "test.toml: [sources.beats] key `max_window`: must be at least 1",
        "test.toml: [sources.beats] key `max_inflated_bytes`: must be at least max_frame_bytes",
        "test.toml: [sources.lines] key `max_line_bytes`: must be at least 64 bytes",
        "test.toml: [sources.lines] key `address`: tcp 127.0.0.1:5044 is already used by sources.beats",
    ] {
        assert!(e.iter().any(|l| l.starts_with(want)), "missing {want:?} in:\n{e:#?}");
    }
}

#[test]
fn every_error_is_reported_with_file_component_and_key() {
    let e = errs(
        r#"
[sources.a]
type = "syslog"
mode = "udp"
adress = "0.0.0.0:514"

[sources.b]
type = "syslog"
mode = "tcp"
address = "127.0.0.1:5514"
max_message_bytes = "big"

[sources.c]
type = "syslog"
mode = "tcp"
address = "127.0.0.1:5514"
timezone = "Mars/Olympus"

[sources.d]
type = "syslog"
mode = "tcp"
address = "127.0.0.1:5514"

[transforms.t]
type = "mutate"
inputs = ["nope"]
if = '[level] = "x"'

[sinks.s]
type = "file"
inputs = ["d"]
path = "x-%{[a}"
"#,
    );
    let find = |comp: &str, key: &str| {
        e.iter()
            .find(|x| x.component == comp && x.key == key)
            .unwrap_or_else(|| panic!("no error for {comp} {key}: {e:#?}"))
    };
    assert!(find("sources.a", "adress")
        .message
        .contains("unknown field"));
    assert!(find("sources.b", "max_message_bytes")
        .message
        .contains("big"));
    assert!(find("sources.c", "timezone")
        .message
        .contains("Mars/Olympus"));
    assert!(find("transforms.t", "if").message.contains("column 9"));
    assert!(find("sinks.s", "path").message.contains("column"));
    assert!(e.iter().all(|x| x.file == "test.toml"));
    assert!(e.iter().all(|x| !x.to_string().is_empty()));
}

#[test]
fn graph_errors() {
    let e = errs(
        r#"
[sources.in]
type = "syslog"
mode = "udp"
address = "127.0.0.1:5514"
[sources.in2]
type = "syslog"
mode = "udp"
address = "127.0.0.1:5514"
[transforms.a]
type = "mutate"
inputs = ["b"]
[transforms.b]
type = "mutate"
inputs = ["a"]
[sinks.out]
type = "console"
inputs = ["ghost", "out"]
"#,
    );
    let text: Vec<String> = e.iter().map(ToString::to_string).collect();
    let all = text.join("\n");
    assert!(all.contains("cycle"), "{all}");
    assert!(all.contains("unknown input `ghost`"), "{all}");
    assert!(all.contains("it is a sink"), "{all}");
    assert!(all.contains("already used by sources.in"), "{all}");
}

#[test]
fn udp_and_tcp_may_share_a_port() {
    assert!(load_str(DEFAULT_CONFIG_NAME, DEFAULT_CONFIG).is_ok());
}

#[test]
fn unknown_types_and_top_level_keys() {
    let e = errs(
        "colour = 1\n[sources.x]\ntype = \"sysl0g\"\n[sinks.y]\ntype = \"file\"\ninputs=[\"x\"]\n",
    );
    let all: Vec<String> = e.iter().map(ToString::to_string).collect();
    assert!(
        all.iter()
            .any(|m| m.contains("colour") && m.contains("unknown top-level key")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|m| m.contains("sources.x") && m.contains("sysl0g")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|m| m.contains("sinks.y") && m.contains("path")),
        "{all:?}"
    );
}

#[test]
fn files_are_merged_and_duplicates_named() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.toml");
    let b = dir.path().join("b.toml");
    std::fs::write(
        &a,
        "[sources.s]\ntype=\"syslog\"\nmode=\"udp\"\naddress=\"127.0.0.1:0\"\n",
    )
    .unwrap();
    std::fs::write(&b, "[sources.s]\ntype=\"syslog\"\nmode=\"udp\"\naddress=\"127.0.0.1:0\"\n[sinks.o]\ntype=\"blackhole\"\ninputs=[\"s\"]\n").unwrap();
    let e = load_files(&[&a, &b]).unwrap_err().0;
    assert!(
        e[0].file.ends_with("b.toml") && e[0].message.contains("defined twice"),
        "{e:?}"
    );
}

#[test]
fn grok_and_date_errors_name_the_key_and_position() {
    let e = errs(
        r#"
[sources.s]
type = "syslog"
mode = "udp"
address = "127.0.0.1:0"
[transforms.g]
type = "grok"
inputs = ["s"]
patterns = ["%{WORD:a}", "%{NOPE:b} x"]
[transforms.d]
type = "date"
inputs = ["g"]
field = "ts"
formats = ["yyyy-qq"]
timezone = "Mars/Base"
[transforms.k]
type = "kv"
inputs = ["s"]
field_split_pattern = "(unclosed"
[transforms.m]
type = "mutate"
inputs = ["d"]
convert = { "n" = "number" }
gsub = [["msg", "(unclosed", "x"], ["only-two", "x"]]
[sinks.o]
type = "blackhole"
inputs = ["m"]
"#,
    );
    let e: Vec<String> = e.iter().map(ToString::to_string).collect();
    for want in [
        "test.toml: [transforms.g] key `patterns[1]`: unknown pattern %{NOPE} at position 0 of `%{NOPE:b} x`",
        "test.toml: [transforms.d] key `formats[0]`: unsupported date pattern letter `q`",
        "test.toml: [transforms.d] key `timezone`: unknown time zone `Mars/Base`",
        "test.toml: [transforms.m] key `convert.n`: unknown type `number`",
        "test.toml: [transforms.k] key `field_split_pattern`: invalid regex `(unclosed`",
        "test.toml: [transforms.m] key `gsub[0]`: invalid regex `(unclosed`",
        "test.toml: [transforms.m] key `gsub[1]`: expected [field, regex, replacement]",
    ] {
        assert!(e.iter().any(|l| l.starts_with(want)), "missing {want:?} in:\n{e:#?}");
    }
}

/// With ECS names requested (the default), a built-in definition that captures a legacy
/// field name is a config error naming both ways out; either way out loads.
#[test]
fn ecs_mode_refuses_the_builtin_legacy_names() {
    let dir = tempfile::tempdir().unwrap();
    let doc = |extra: &str| {
        format!(
            "[sources.s]\ntype = \"syslog\"\nmode = \"udp\"\naddress = \"127.0.0.1:0\"\n\
             [transforms.g]\ntype = \"grok\"\ninputs = [\"s\"]\n\
             patterns = [\"%{{WORD:verb}} %{{SYSLOGPROG}}\"]\n{extra}\n\
             [sinks.o]\ntype = \"blackhole\"\ninputs = [\"g\"]\n"
        )
    };
    let e: Vec<String> = errs(&doc("")).iter().map(ToString::to_string).collect();
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].starts_with("test.toml: [transforms.g] key `patterns[0]`: %{SYSLOGPROG} captures fields named the legacy way (program, pid)"),
        "{e:#?}"
    );
    assert!(e[0].contains("patterns_dir") && e[0].contains("ecs_compatibility = \"disabled\""));
    // Legacy names asked for: fine.
    load_str("t.toml", &doc("ecs_compatibility = \"disabled\"")).unwrap();
    // An ECS definition from a logstash-patterns-core style tree replaces the built-in.
    std::fs::create_dir(dir.path().join("ecs-v1")).unwrap();
    std::fs::write(
        dir.path().join("ecs-v1/mine"),
        "SYSLOGPROG %{PROG:[process][name]}(?:\\[%{POSINT:[process][pid]:int}\\])?\n",
    )
    .unwrap();
    let p = load_str(
        "t.toml",
        &doc(&format!(
            "patterns_dir = [{:?}]",
            dir.path().display().to_string()
        )),
    )
    .unwrap();
    // The ECS definition is the one that runs: its captures land in ECS fields.
    let mut e = Event::new();
    e.insert(&FieldPath::parse("message").unwrap(), "GET sshd[42]");
    let mut batch = vec![e];
    p.transforms["g"]
        .transform
        .apply(&mut batch, &mut sluice_transforms::Run::plain(None));
    let get = |f: &str| batch[0].get(&FieldPath::parse(f).unwrap()).cloned();
    assert_eq!(get("verb"), Some(Value::from("GET")));
    assert_eq!(get("[process][name]"), Some(Value::from("sshd")));
    assert_eq!(get("[process][pid]"), Some(Value::Integer(42)));
    assert_eq!(get("program"), None);
}

/// `patterns_files_glob` picks the files of a `patterns_dir`; a date `locale` other than
/// English is refused by name.
#[test]
fn patterns_files_glob_and_date_locale() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine.grok"), "MINE [a-z]+\n").unwrap();
    std::fs::write(dir.path().join("other.txt"), "OTHER [0-9]+\n").unwrap();
    let doc = |glob: &str, pattern: &str, locale: &str| {
        format!(
            "[sources.s]\ntype = \"syslog\"\nmode = \"udp\"\naddress = \"127.0.0.1:0\"\n\
             [transforms.g]\ntype = \"grok\"\ninputs = [\"s\"]\npatterns = [\"{pattern}\"]\n\
             patterns_dir = [{dir:?}]\npatterns_files_glob = \"{glob}\"\n\
             [transforms.d]\ntype = \"date\"\ninputs = [\"g\"]\nfield = \"t\"\n\
             formats = [\"dd/MMM/yyyy\"]\nlocale = \"{locale}\"\n\
             [sinks.o]\ntype = \"blackhole\"\ninputs = [\"d\"]\n",
            dir = dir.path().display().to_string()
        )
    };
    load_str("t.toml", &doc("*.grok", "%{MINE:x}", "en-US")).unwrap();
    let e: Vec<String> = errs(&doc("*.grok", "%{OTHER:x}", "de_DE"))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        e.iter().any(|l| l
            .starts_with("test.toml: [transforms.g] key `patterns[0]`: unknown pattern %{OTHER}")),
        "{e:#?}"
    );
    assert!(
        e.iter()
            .any(|l| l.starts_with("test.toml: [transforms.d] key `locale`: `de_DE`")),
        "{e:#?}"
    );
    load_str("t.toml", &doc("*", "%{OTHER:x}", "en")).unwrap();
}

#[test]
fn route_outputs_are_checked_by_name() {
    let base = r#"
[sources.s]
type = "syslog"
mode = "udp"
address = "127.0.0.1:0"
[transforms.r]
type = "route"
inputs = ["s"]
[transforms.r.routes]
security = '[a] == 1'
"#;
    let ok = format!(
        "{base}[sinks.o]\ntype = \"blackhole\"\ninputs = [\"r.security\", \"r._unmatched\"]\n"
    );
    load_str("t.toml", &ok).unwrap();
    for (input, want) in [
        (
            "r",
            "`r` is a route: take one of its outputs, `r.<name>` (security) or `r._unmatched`",
        ),
        ("r.nope", "route `r` has no output `nope`"),
    ] {
        let bad = format!("{base}[sinks.o]\ntype = \"blackhole\"\ninputs = [\"{input}\"]\n");
        let e: Vec<String> = errs(&bad).iter().map(ToString::to_string).collect();
        assert!(
            e.iter()
                .any(|l| l.ends_with(want) && l.contains("[sinks.o] key `inputs`")),
            "{want} in {e:#?}"
        );
    }
}

#[test]
fn flattened_common_options_still_reject_unknown_keys() {
    let base = "[sources.s]\ntype = \"syslog\"\nmode = \"udp\"\naddress = \"127.0.0.1:0\"\n[sinks.o]\ntype = \"blackhole\"\ninputs = [\"j\"]\n[transforms.j]\ntype = \"json\"\ninputs = [\"s\"]\n";
    load_str("t.toml", &format!("{base}add_tag = [\"ok\"]\n")).unwrap();
    let e: Vec<String> = errs(&format!("{base}add_tags = [\"typo\"]\n"))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        e.iter()
            .any(|l| l.contains("[transforms.j]") && l.contains("add_tags")),
        "{e:#?}"
    );
}

/// The migration guide's sluice side is a working config (with a sink added).
#[test]
fn logstash_guide_example_loads() {
    let doc = include_str!("../../../docs/LOGSTASH.md");
    let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + doc[start..].find("```").expect("closed");
    let text = format!(
        "{}\n[sinks.out]\ntype = \"console\"\ninputs = [\"timings\"]\n",
        &doc[start..end]
    );
    let p = load_str("LOGSTASH.md", &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.transforms.len(), 4);
}
