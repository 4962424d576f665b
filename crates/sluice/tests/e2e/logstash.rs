//! Logstash pipelines, unchanged: `.conf` files load, run, convert and report errors
//! with line, column and caret.

use crate::elasticsearch::Noida;
use crate::support::*;
use serde_json::json;

fn studio_conf() -> String {
    std::fs::read_to_string(workspace_root().join("config/studio.conf")).unwrap()
}

fn docs() -> Vec<serde_json::Value> {
    vec![
        json!({"message": crate::studio::DJANGO_ERROR, "fields": {"service": "studio"}}),
        json!({"message": crate::studio::DJANGO_LOGIN, "fields": {"service": "studio"}}),
        json!({"message": "ERROR 2026-11-24 12:00:02,000 other 1 2 not ours", "fields": {"service": "billing"}, "@timestamp": "2026-11-24T12:00:02.500Z"}),
    ]
}

/// The mission's studio.conf, as Logstash ran it (Beats in, the `[fields][service]`
/// conditional, the grok, the date, the error tag, the response_time grok, the
/// Elasticsearch output), runs unchanged and writes the documents Logstash would.
#[test]
fn the_studio_conf_runs_unchanged_into_elasticsearch() {
    if !have("noida-db") {
        return;
    }
    let es = Noida::start(free_port());
    let conf = studio_conf()
        .replace("port => 5044", "port => {PORT}\n    host => \"127.0.0.1\"")
        .replace("elasticsearch:9200", &format!("127.0.0.1:{}", es.port));
    let s = Server::start_with_files("", &[("studio.conf", &conf)]);
    crate::studio::beats_send_docs(s.port, &docs());
    s.wait_for(30, "3 documents in Elasticsearch", || {
        es.count("studio-logs-2026.11.24") == 3
    });
    let (_, body) = es.request("GET", "/studio-logs-2026.11.24/_search?q=level:ERROR");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let doc = &v["hits"]["hits"][0]["_source"];
    assert_eq!(doc["level"], "ERROR", "{v}");
    assert_eq!(doc["module"], "views");
    assert_eq!(doc["timestamp"], "2026-11-24 12:00:00,123");
    assert_eq!(doc["@timestamp"], "2026-11-24T12:00:00.123Z");
    assert_eq!(
        doc["message"],
        "4242 140234 Database connection failed response_time:2500ms"
    );
    assert_eq!(doc["response_time"], 2500);
    assert_eq!(doc["tags"], json!(["error"]));
    let (_, body) = es.request("GET", "/studio-logs-2026.11.24/_search?q=level:INFO");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let doc = &v["hits"]["hits"][0]["_source"];
    assert_eq!(doc["response_time"], 12);
    assert!(doc.get("tags").is_none(), "{doc}");
    // Not the studio's: untouched by the filters.
    let (_, body) = es.request(
        "GET",
        "/studio-logs-2026.11.24/_search?q=fields.service:billing",
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let doc = &v["hits"]["hits"][0]["_source"];
    assert!(doc.get("level").is_none(), "{doc}");
    assert_eq!(doc["fields"]["service"], "billing");
    assert_eq!(doc["@timestamp"], "2026-11-24T12:00:02.500Z");
}

/// `sluice convert` prints TOML that loads and behaves as the .conf does: the same
/// events in, the same lines out.
#[test]
fn convert_round_trips_to_toml_that_behaves_the_same() {
    let conf = studio_conf()
        .replace("port => 5044", "port => {PORT}\n    host => \"127.0.0.1\"")
        .replace(
            "elasticsearch {\n    hosts => [\"elasticsearch:9200\"]\n    index => \"studio-logs-%{+YYYY.MM.dd}\"\n  }",
            "file { path => \"out.json\" }",
        );
    assert!(conf.contains("file { path"), "{conf}");
    let dir = tempfile::tempdir().unwrap();
    let conf_path = dir.path().join("studio.conf");
    std::fs::write(&conf_path, conf.replace("{PORT}", "15044")).unwrap();
    let out = std::process::Command::new(sluice_bin())
        .arg("convert")
        .arg(&conf_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let toml = String::from_utf8(out.stdout)
        .unwrap()
        .replace("127.0.0.1:15044", "127.0.0.1:{PORT}");
    // The grok of line 12 of config/studio.conf (13 here: a `host` line was added).
    assert!(
        toml.contains("studio.conf:13\n[transforms.grok_13]"),
        "{toml}"
    );

    let a = Server::start_with_files("", &[("studio.conf", &conf)]);
    let b = Server::start(&toml);
    for s in [&a, &b] {
        crate::studio::beats_send_docs(s.port, &docs());
        s.wait_for(20, "3 lines written", || {
            read_json_lines(&s.data("out.json")).len() == 3
        });
    }
    let strip = |mut v: Vec<serde_json::Value>| {
        for l in &mut v {
            // Where the event came from differs between the two runs.
            l.as_object_mut().unwrap().remove("host");
        }
        v
    };
    assert_eq!(
        strip(read_json_lines(&a.data("out.json"))),
        strip(read_json_lines(&b.data("out.json")))
    );
}

/// A broken pipeline: `validate -f` names the file, the line and the column with a
/// caret; every plugin sluice does not have is reported in the same run.
#[test]
fn conf_errors_point_at_the_line_and_name_every_missing_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.conf");
    std::fs::write(&bad, "input {\n  beats { port => 5044 }\n}\nfilter {\n  grok { match => [\"message\" \"%{WORD:w}\"] }\n}\n").unwrap();
    let out = std::process::Command::new(sluice_bin())
        .args(["validate", "-f"])
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("bad.conf:5:30: expected `,`"), "{err}");
    assert!(
        err.contains("  grok { match => [\"message\" \"%{WORD:w}\"] }\n"),
        "{err}"
    );
    assert!(err.contains(&format!("\n  {}^", " ".repeat(29))), "{err}");

    let many = dir.path().join("many.conf");
    std::fs::write(&many, "input { generator { } }\nfilter {\n  ruby { code => \"event.cancel\" }\n  aggregate { task_id => \"%{id}\" }\n}\noutput { stdout { codec => rubydebug } }\n").unwrap();
    let out = std::process::Command::new(sluice_bin())
        .args(["validate", "-f"])
        .arg(&many)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for want in [
        "line 1, column 9: the input plugin `generator`",
        "line 3, column 3: the filter plugin `ruby`",
        "line 4, column 3: the filter plugin `aggregate`",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
}

/// `sluice test` passes the shipped cases of config/studio.conf, fails a broken case
/// with a readable diff, and runs logstash-filter-verifier's own basic cases.
#[test]
fn sluice_test_runs_cases_and_prints_a_diff_for_a_broken_one() {
    let root = workspace_root();
    let run = |conf: &std::path::Path, cases: &std::path::Path| {
        let out = std::process::Command::new(sluice_bin())
            .args(["test", "-f"])
            .arg(conf)
            .arg("--cases")
            .arg(cases)
            .env("TZ", "UTC")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = run(
        &root.join("config/studio.conf"),
        &root.join("config/studio-cases.json"),
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("1 passed, 0 failed"), "{text}");

    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    let cases = std::fs::read_to_string(root.join("config/studio-cases.json")).unwrap();
    std::fs::write(
        &broken,
        cases
            .replace("\"response_time\": 12", "\"response_time\": 13")
            .replace("\"tags\": [ \"error\" ]", "\"tags\": [ \"err\" ]"),
    )
    .unwrap();
    let (code, text) = run(&root.join("config/studio.conf"), &broken);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("FAIL") && text.contains("event 1:") && text.contains("event 2:"),
        "{text}"
    );
    assert!(
        text.contains(r#"~ [tags]: expected ["err"], got ["error"]"#),
        "{text}"
    );
    assert!(
        text.contains("~ [response_time]: expected 13, got 12"),
        "{text}"
    );
}

/// logstash-filter-verifier's own test suites, run by `sluice test` as LFV runs them
/// (`--pipeline-base` for a pipelines.yml): single files, directories, pipelines.yml
/// with `**` globs, pipeline-to-pipeline links, conditional and parallel outputs with
/// `export_outputs`, `@metadata` with `export_metadata`, per-case fields, JSON and csv
/// input codecs, YAML case files. The suites left out need what sluice does not have
/// (docs/LOGSTASH.md): the edn, cef, graphite and multiline codecs, LFV's filter mocks
/// and debug fields; special_chars, whose expected output holds an escaping quirk of
/// LFV's own; and issue_153, which expects the order Logstash's Java execution gives a
/// batch after a conditional (the `if` branch's events first), where sluice keeps the
/// order events arrived in.
#[test]
fn logstash_filter_verifier_suites_pass() {
    let Some(shared) = shared_dir() else { return };
    let lfv = shared.join("corpus/logstash-configs/magnusbaeck-logstash-filter-verifier/testdata");
    let suites = [
        "basic_logstash_config_file.conf",
        "basic_logstash_config_dir",
        "basic_pipeline",
        "codec_optional_test",
        "conditional_output",
        "drop_and_split",
        "issue_150",
        "issue_150a",
        "issue_155",
        "issue_166",
        "issue_175",
        "multiple_parallel_outputs",
        "pipeline_to_pipeline",
        "testcases_event",
    ];
    let mut cases_run = 0;
    for suite in suites {
        let yml = lfv.join(format!("{suite}.yml"));
        let mut cmd = std::process::Command::new(sluice_bin());
        cmd.args(["test", "-f"]);
        if yml.is_file() {
            cmd.arg(&yml).arg("--pipeline-base").arg(lfv.join(suite));
        } else {
            cmd.arg(lfv.join(suite));
        }
        cmd.arg("--cases");
        for f in std::fs::read_dir(lfv.join("testcases").join(suite)).unwrap() {
            cmd.arg(f.unwrap().path());
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{suite}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let passed: usize = text
            .lines()
            .last()
            .and_then(|l| l.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(passed > 0, "{suite}: {text}");
        cases_run += passed;
    }
    assert_eq!(cases_run, 30, "cases run");
}

/// A `pipelines.yml` of three pipelines, as modern deployments split them (intake,
/// errors, archive), run from standard input: the conditional `pipeline` output sends
/// only errors, every receiver gets its own copy, and the process exits by itself at the
/// end of its input, as Logstash does when its stdin input closes.
#[test]
fn pipelines_yml_links_pipelines_and_stdin_ends_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("conf")).unwrap();
    std::fs::write(
        d.join("pipelines.yml"),
        format!(
            "- pipeline.id: intake\n  path.config: \"conf/intake*.conf\"\n  pipeline.workers: 2\n\
             - pipeline.id: errors\n  config.string: |\n    input {{ pipeline {{ address => \"errors\" }} }}\n    \
             filter {{ mutate {{ add_tag => [\"routed\"] }} }}\n    output {{ file {{ path => \"{}/errors.log\" }} }}\n\
             - pipeline.id: archive\n  path.config: conf/archive.conf\n",
            d.display()
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("conf/intake.conf"),
        "input { stdin { } }\nfilter { grok { match => { \"message\" => \"%{LOGLEVEL:level} %{GREEDYDATA:rest}\" } } }\n\
         output {\n  if [level] == \"ERROR\" { pipeline { send_to => [\"errors\"] } }\n  pipeline { send_to => \"archive\" }\n}\n",
    )
    .unwrap();
    std::fs::write(
        d.join("conf/archive.conf"),
        format!(
            "input {{ pipeline {{ address => \"archive\" }} }}\noutput {{ file {{ path => \"{}/all.log\" }} }}\n",
            d.display()
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("settings.toml"),
        "data_dir = \"data\"\n[admin]\naddress = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let mut child = std::process::Command::new(sluice_bin())
        .current_dir(d)
        .args(["run", "-f", "pipelines.yml", "-f", "settings.toml"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for i in 0..300 {
            let level = if i % 3 == 0 { "ERROR" } else { "INFO" };
            writeln!(stdin, "{level} request {i}").unwrap();
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(
        status,
        Some(0),
        "sluice did not exit by itself at the end of stdin: {err}"
    );
    assert!(
        err.contains("`pipeline.workers` is a setting of Logstash's engine"),
        "{err}"
    );
    let read = |f: &str| -> Vec<serde_json::Value> {
        std::fs::read_to_string(d.join(f))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let all = read("all.log");
    let errors = read("errors.log");
    assert_eq!(all.len(), 300, "every line reaches the archive pipeline");
    assert_eq!(errors.len(), 100, "only errors reach the errors pipeline");
    assert!(errors
        .iter()
        .all(|e| e["level"] == "ERROR" && e["tags"] == json!(["routed"])));
    // Each receiver has its own copy: the errors pipeline's tag is not in the archive.
    assert!(all.iter().all(|e| e.get("tags").is_none()), "{:?}", all[0]);
}

/// The docker-elk shape of a pipeline: `tcp` with its default line codec and `udp` with
/// `codec => json`, inputs that set `type`, `tags` and `add_field`, a password from the
/// environment (`${VAR}`), and the filters of Logstash pipelines beyond grok: syslog_pri,
/// translate, cidr, fingerprint, csv and clone. Real sockets; the events are read back
/// from the file output.
#[test]
fn tcp_and_udp_inputs_with_decorations_and_the_enrichment_filters() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.log");
    let conf = format!(
        r#"input {{
  tcp {{ host => "127.0.0.1" port => {{PORT}} type => "app" tags => ["tcp"] add_field => {{ "env" => "${{SLUICE_TEST_ENV}}" "shard" => 3 }} }}
  udp {{ host => "127.0.0.1" port => {{PORT}} codec => json }}
}}
filter {{
  if [type] == "app" {{
    csv {{ columns => ["pri", "status", "client", "user"] convert => {{ "pri" => "integer" }} }}
    mutate {{ rename => ["pri", "syslog_pri"] }}
    syslog_pri {{ ecs_compatibility => disabled }}
    translate {{ source => "status" target => "status_text" dictionary => {{ "200" => "OK" "500" => "Server Error" }} fallback => "other" }}
    cidr {{ address => ["%{{client}}"] network => ["10.0.0.0/8", "192.168.0.0/16"] add_tag => ["internal"] }}
    fingerprint {{ source => ["user", "client"] concatenate_sources => true method => "SHA256" target => "[@metadata][id]" }}
    mutate {{ add_field => {{ "doc_id" => "%{{[@metadata][id]}}" }} }}
  }} else {{
    clone {{ clones => ["copy"] }}
  }}
}}
output {{ file {{ path => "{}" }} }}
"#,
        out.display()
    );
    let s = Server::start_with_env_files(
        "",
        &[("SLUICE_TEST_ENV", "staging"), ("TZ", "UTC")],
        &[("p.conf", &conf)],
    );
    {
        use std::io::Write;
        let mut tcp = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        tcp.write_all(b"134,500,10.1.2.3,alice\n11,200,8.8.8.8,bob\n")
            .unwrap();
    }
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.send_to(br#"{"message":"from udp","n":1}"#, ("127.0.0.1", s.port))
        .unwrap();
    s.wait_for(20, "4 events in the file", || {
        read_json_lines(&out).len() >= 4
    });
    let events = read_json_lines(&out);
    assert_eq!(events.len(), 4, "{events:?}");
    let by = |k: &str, v: &str| -> Vec<&serde_json::Value> {
        events.iter().filter(|e| e[k] == v).collect()
    };
    let alice = by("user", "alice")[0];
    assert_eq!(alice["type"], "app");
    assert_eq!(
        alice["env"], "staging",
        "the password-style ${{VAR}} came from the environment"
    );
    assert_eq!(alice["shard"], "3");
    assert_eq!(alice["syslog_facility"], "local0");
    assert_eq!(alice["syslog_severity"], "informational");
    assert_eq!(alice["status_text"], "Server Error");
    assert_eq!(alice["tags"], json!(["tcp", "internal"]));
    // sha256 of "|client|10.1.2.3|user|alice|" (sources sorted by name).
    assert_eq!(
        alice["doc_id"],
        "9fec2428af362d3594a9f72e1f2d92c159b511f37a0b2eb543c12582706d81f2"
    );
    let bob = by("user", "bob")[0];
    assert_eq!(bob["syslog_facility"], "user-level");
    assert_eq!(bob["syslog_severity"], "error");
    assert_eq!(bob["status_text"], "OK");
    assert_eq!(bob["tags"], json!(["tcp"]), "8.8.8.8 is not internal");
    let udp_events = by("message", "from udp");
    assert_eq!(udp_events.len(), 2, "the original and its clone");
    assert!(udp_events.iter().all(|e| e["n"] == 1));
    assert_eq!(
        udp_events
            .iter()
            .filter(|e| e["tags"] == json!(["copy"]))
            .count(),
        1
    );
}

/// geoip with real MaxMind databases written by MaxMind's own writer
/// (tests/clients/make_geoip_db.pl): City fields under ECS and the older names, ASN
/// fields, a private address tagged `_geoip_lookup_failure`; and the useragent filter
/// beside it. Run through `sluice test` with the nginx-style pipeline users have.
#[test]
fn geoip_and_useragent_enrich_from_a_real_maxmind_database() {
    let have_writer = std::process::Command::new("perl")
        .args(["-MMaxMind::DB::Writer::Tree", "-e1"])
        .status()
        .is_ok_and(|s| s.success());
    if !have_writer {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "MaxMind::DB::Writer is required under CI=true"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let script = workspace_root().join("tests/clients/make_geoip_db.pl");
    for kind in ["city", "asn"] {
        let ok = std::process::Command::new("perl")
            .arg(&script)
            .arg(d.join(format!("{kind}.mmdb")))
            .arg(kind)
            .status()
            .unwrap();
        assert!(ok.success());
    }
    std::fs::write(
        d.join("p.conf"),
        format!(
            r#"input {{ beats {{ port => 5044 }} }}
filter {{
  geoip {{ source => "[client][ip]" database => "{city}" }}
  geoip {{ source => "[client][ip]" target => "client" database => "{asn}" }}
  geoip {{ source => "[client][ip]" database => "{city}" ecs_compatibility => disabled fields => ["city_name", "country_code2", "location"] }}
  useragent {{ source => "agent" }}
}}
output {{ stdout {{ }} }}
"#,
            city = d.join("city.mmdb").display(),
            asn = d.join("asn.mmdb").display()
        ),
    )
    .unwrap();
    let ua = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
    std::fs::write(
        d.join("cases.json"),
        serde_json::to_string(&json!({
            "codec": "json_lines",
            "ignore": ["@timestamp", "agent"],
            "testcases": [{
                "input": [
                    json!({"client": {"ip": "81.2.69.142"}, "agent": ua}).to_string(),
                    json!({"client": {"ip": "10.0.0.1"}}).to_string()
                ],
                "expected": [
                    {
                        "client": {
                            "ip": "81.2.69.142",
                            "geo": {
                                "city_name": "London", "country_name": "United Kingdom",
                                "country_iso_code": "GB", "continent_code": "EU",
                                "continent_name": "Europe", "region_name": "England",
                                "region_iso_code": "GB-ENG", "postal_code": "EC4",
                                "timezone": "Europe/London",
                                "location": {"lat": 51.5142, "lon": -0.0931}
                            },
                            "as": {"number": 20712, "organization": {"name": "Andrews & Arnold Ltd"}}
                        },
                        "geoip": {"city_name": "London", "country_code2": "GB", "location": {"lat": 51.5142, "lon": -0.0931}},
                        "user_agent": {
                            "name": "Firefox", "version": "121.0", "original": ua,
                            "os": {"name": "Linux", "full": "Linux"},
                            "device": {"name": "pc"}
                        }
                    },
                    {
                        "client": {"ip": "10.0.0.1"},
                        "tags": ["_geoip_lookup_failure"]
                    }
                ]
            }]
        }))
        .unwrap(),
    )
    .unwrap();
    let out = std::process::Command::new(sluice_bin())
        .args(["test", "-f"])
        .arg(d.join("p.conf"))
        .arg("--cases")
        .arg(d.join("cases.json"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // No database: the error says so and where to get one.
    std::fs::write(d.join("none.conf"), "input { beats { port => 5044 } }\nfilter { geoip { source => \"[client][ip]\" } }\noutput { stdout { } }\n").unwrap();
    let out = std::process::Command::new(sluice_bin())
        .args(["validate", "-f"])
        .arg(d.join("none.conf"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("key `database`") && err.contains("sluice ships none"),
        "{err}"
    );
}
