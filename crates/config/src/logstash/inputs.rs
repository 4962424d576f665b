//! Logstash inputs as sluice sources.

use super::values::*;
use super::Conv;
use crate::error::ConfigError;
use sluice_lscl::{Item, Plugin};
use toml::Value as T;

impl Conv {
    /// `host:port` from a plugin's `host` (default all addresses) and `port`.
    fn address(t: &mut toml::Table, default_port: i64) -> T {
        let host = as_text(t.remove("host")).unwrap_or_else(|| "0.0.0.0".into());
        let port = as_text(t.remove("port")).unwrap_or_else(|| default_port.to_string());
        s(&format!("{host}:{port}"))
    }

    pub(super) fn input(&mut self, item: &Item) {
        let p = match item {
            Item::Plugin(p) => p,
            Item::Branch(b) => {
                let pos = &b.cases[0].0.pos;
                self.errors.push(ConfigError {
                    file: self.file.clone(),
                    component: String::new(),
                    key: String::new(),
                    message: format!(
                        "line {}, column {}: conditionals are not allowed in an input section (as in Logstash)",
                        pos.line, pos.column
                    ),
                });
                return;
            }
        };
        let (mut t, codec, id, at) = self.prepare(p);
        match p.name.as_str() {
            "beats" => {
                let mut out = toml::Table::new();
                out.insert("type".into(), s("beats"));
                out.insert("address".into(), Self::address(&mut t, 5044));
                self.pass_rest(p, &mut out, t, &["ssl", "ssl_enabled"]);
                self.chain.sources.push((id, T::Table(out), at));
            }
            "syslog" => {
                for mode in ["udp", "tcp"] {
                    let mut tt = t.clone();
                    let mut out = toml::Table::new();
                    out.insert("type".into(), s("syslog"));
                    out.insert("mode".into(), s(mode));
                    out.insert("address".into(), Self::address(&mut tt, 514));
                    if mode == "udp" {
                        self.pass_rest(p, &mut out, tt, &[]);
                    }
                    self.chain.sources.push((format!("{id}_{mode}"), T::Table(out), at.clone()));
                }
            }
            "tcp" if matches!(codec.as_deref(), Some("json_lines" | "json")) => {
                let mut out = toml::Table::new();
                out.insert("type".into(), s("json_lines"));
                out.insert("address".into(), Self::address(&mut t, 0));
                self.pass_rest(p, &mut out, t, &["mode"]);
                self.chain.sources.push((id, T::Table(out), at));
            }
            "http" => {
                let mut out = toml::Table::new();
                out.insert("type".into(), s("http"));
                out.insert("address".into(), Self::address(&mut t, 8080));
                self.pass_rest(p, &mut out, t, &[]);
                self.chain.sources.push((id, T::Table(out), at));
            }
            "tcp" | "udp" => self.refuse(p, "input", "sluice takes JSON lines over TCP (`codec => json_lines`), syslog over TCP and UDP (`syslog { }`), Beats and HTTP"),
            "file" => self.refuse(p, "input", "sluice has no file-tailing input yet: ship the file with Filebeat to a `beats` input"),
            "stdin" => {
                let mut out = toml::Table::new();
                out.insert("type".into(), s("stdin"));
                match codec.as_deref() {
                    None | Some("line" | "plain") => {}
                    Some("json_lines" | "json") => {
                        out.insert("codec".into(), s("json_lines"));
                    }
                    Some(other) => return self.refuse(p, "input", &format!("its codec `{other}` is not available; stdin reads lines (codec => line) or JSON lines (codec => json_lines)")),
                }
                self.pass_rest(p, &mut out, t, &[]);
                self.chain.sources.push((id, T::Table(out), at));
            }
            "pipeline" => match as_text(t.remove("address")) {
                Some(a) if self.chain.address.is_none() => self.chain.address = Some((a, at)),
                Some(_) => self.error(String::new(), format!(
                    "line {}, column {}: a pipeline has one `pipeline` input at most (as in Logstash)",
                    p.pos.line, p.pos.column
                )),
                None => self.error("address".into(), format!(
                    "line {}, column {}: the `pipeline` input needs `address => \"...\"`",
                    p.pos.line, p.pos.column
                )),
            },
            _ => self.refuse(p, "input", "sluice's inputs are beats, syslog, tcp with codec => json_lines, and http"),
        }
    }

    /// The rest of a plugin's settings go to the component as they are (the loader
    /// reports what it does not know, by key), but for the ones listed, which are
    /// dropped when false and refused when true.
    fn pass_rest(&mut self, p: &Plugin, out: &mut toml::Table, t: toml::Table, off_only: &[&str]) {
        for (k, v) in t {
            if off_only.contains(&k.as_str()) {
                if v != T::Boolean(false) && v != s("false") {
                    self.errors.push(ConfigError {
                        file: self.file.clone(),
                        component: String::new(),
                        key: k.clone(),
                        message: format!(
                            "line {}: `{k} => {v}` on `{}` is not available yet (TLS on listeners is a later issue)",
                            p.pos.line, p.name
                        ),
                    });
                }
                continue;
            }
            out.insert(k, v);
        }
    }
}
