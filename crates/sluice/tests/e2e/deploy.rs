//! The files in deploy/ are shipped to users: they must at least be valid.

use crate::support::*;
use std::process::Command;

#[test]
fn deploy_config_validates_and_prometheus_scrape_config_passes_promtool() {
    let root = workspace_root();
    let out = Command::new(sluice_bin())
        .args(["validate", "--config"])
        .arg(root.join("deploy/sluice.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "deploy/sluice.toml: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if have("promtool") {
        sh(&format!(
            "promtool check config {}",
            root.join("deploy/prometheus.yml").display()
        ));
    }
}

#[test]
fn compose_and_unit_reference_files_that_exist() {
    let root = workspace_root();
    let compose = std::fs::read_to_string(root.join("deploy/docker-compose.yml")).unwrap();
    for f in [
        "./sluice.toml",
        "./prometheus.yml",
        "./filebeat.yml",
        "deploy/Dockerfile",
    ] {
        assert!(compose.contains(f), "compose does not mention {f}");
        let p = match f.strip_prefix("./") {
            Some(rel) => root.join("deploy").join(rel),
            None => root.join(f),
        };
        assert!(p.exists(), "{} is missing", p.display());
    }
    for port in [
        "514:514/udp",
        "514:514/tcp",
        "5044:5044",
        "9600:9600",
        "5601:5601",
    ] {
        assert!(compose.contains(port), "compose does not publish {port}");
    }
    let unit = std::fs::read_to_string(root.join("deploy/sluice.service")).unwrap();
    assert!(unit.contains("ExecStart=/usr/local/bin/sluice run --config /etc/sluice/sluice.toml"));
    assert!(unit.contains("AmbientCapabilities=CAP_NET_BIND_SERVICE"));
}

/// What docker-compose mounts is the studio pipeline (grok, redaction, security.log), not
/// a bare copy of its listeners: secrets must not land in clear in a container.
#[test]
fn the_deployed_pipeline_is_the_studio_pipeline() {
    let root = workspace_root();
    let body = |path: &str, data_dir: &str, admin: &str| {
        let text = std::fs::read_to_string(root.join(path)).unwrap();
        let start = text.find("data_dir = ").expect("data_dir");
        text[start..]
            .replacen(&format!("data_dir = \"{data_dir}\""), "data_dir = X", 1)
            .replacen(&format!("address = \"{admin}\""), "address = X", 1)
    };
    let deployed = body("deploy/sluice.toml", "/var/lib/sluice", "0.0.0.0:9600")
        .replace("http://elasticsearch:9200", "http://127.0.0.1:9200")
        .replace("/var/lib/sluice/dead_letters", "data/dead_letters");
    let studio = body("config/studio.toml", "./data", "127.0.0.1:9600");
    assert_eq!(
        deployed, studio,
        "deploy/sluice.toml has drifted from config/studio.toml"
    );
    assert!(deployed.contains("type = \"redact\"") && deployed.contains("security.log"));
    assert!(deployed.contains("index = \"studio-logs-%{+YYYY.MM.dd}\""));
    // studio.toml is the embedded default plus the Elasticsearch output.
    let default = body("config/default.toml", "./data", "127.0.0.1:9600");
    assert!(
        studio.starts_with(default.trim_end()),
        "config/studio.toml has drifted from config/default.toml"
    );
}

/// Debian's docker-compose parses and validates the stack (no Docker engine is needed
/// for `config`): services, ports, volumes, the pipeline it mounts.
#[test]
fn docker_compose_accepts_the_stack() {
    if !have("docker-compose") {
        return;
    }
    let root = workspace_root();
    let out = Command::new("docker-compose")
        .args(["-f"])
        .arg(root.join("deploy/docker-compose.yml"))
        .arg("config")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for service in [
        "sluice:",
        "elasticsearch:",
        "kibana:",
        "prometheus:",
        "filebeat:",
    ] {
        assert!(text.contains(service), "no {service} in:\n{text}");
    }
    assert!(text.contains("/etc/sluice/sluice.toml"), "{text}");

    // The drop-in variant: the Logstash pipeline directory, loaded unchanged.
    let out = Command::new("docker-compose")
        .args(["-f"])
        .arg(root.join("deploy/docker-compose.yml"))
        .arg("-f")
        .arg(root.join("deploy/docker-compose.logstash-pipeline.yml"))
        .arg("config")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("/usr/share/logstash/pipeline/studio.conf"),
        "{text}"
    );
    assert!(text.contains("/etc/sluice/settings.toml"), "{text}");
}

/// What the drop-in compose variant runs loads: the studio's .conf as Logstash's image
/// mounts it, with deploy/settings.toml beside it.
#[test]
fn the_logstash_pipeline_variant_validates() {
    let root = workspace_root();
    let dir = tempfile::tempdir().unwrap();
    let settings = std::fs::read_to_string(root.join("deploy/settings.toml"))
        .unwrap()
        .replace(
            "/var/lib/sluice",
            &dir.path().join("data").display().to_string(),
        );
    std::fs::write(dir.path().join("settings.toml"), settings).unwrap();
    let out = Command::new(sluice_bin())
        .args(["validate", "-f"])
        .arg(root.join("config/studio.conf"))
        .arg("-f")
        .arg(dir.path().join("settings.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
