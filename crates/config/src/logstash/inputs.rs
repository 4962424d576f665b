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
        // What Logstash adds to every event of an input: `type` (unless the event has
        // one), `tags`, `add_field`.
        let ty = as_text(t.remove("type"));
        let tags = t.remove("tags");
        let add_field = t.remove("add_field");
        // The csv codec is the csv filter on each line.
        let csv =
            (codec.as_deref() == Some("csv")).then(|| match attr(p, "codec").map(|a| &a.value) {
                Some(sluice_lscl::Value::Plugin(c)) => table(c),
                _ => toml::Table::new(),
            });
        let codec = if csv.is_some() {
            None
        } else {
            codec.as_deref()
        };
        let mut out = toml::Table::new();
        let mut built: Vec<(String, toml::Table)> = Vec::new();
        let name = if self.test && p.name != "pipeline" {
            // `sluice test` replaces every input, whatever it is, keeping how it decodes.
            let json = matches!(codec, Some("json" | "json_lines"));
            built.push((id.clone(), super::placeholder_input_table(json)));
            ""
        } else {
            p.name.as_str()
        };
        match name {
            "" => {}
            "beats" => {
                out.insert("type".into(), s("beats"));
                out.insert("address".into(), Self::address(&mut t, 5044));
                self.pass_rest(p, &mut out, t, &["ssl", "ssl_enabled"]);
                built.push((id, out));
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
                    built.push((format!("{id}_{mode}"), out));
                }
            }
            "tcp" if matches!(codec, Some("json_lines" | "json")) => {
                out.insert("type".into(), s("json_lines"));
                out.insert("address".into(), Self::address(&mut t, 0));
                self.server_mode(p, &mut t);
                self.pass_rest(p, &mut out, t, &["ssl_enable", "ssl_enabled"]);
                built.push((id, out));
            }
            "tcp" | "udp" => {
                let msg = match codec {
                    None | Some("line" | "plain") => "plain",
                    Some("json" | "json_lines") => "json",
                    Some(other) => {
                        return self.refuse(p, "input", &format!(
                            "its codec `{other}` is not available; `{}` reads lines or datagrams as text (codec => line / plain) or JSON (codec => json / json_lines)",
                            p.name
                        ))
                    }
                };
                out.insert("type".into(), s("syslog"));
                out.insert("mode".into(), s(&p.name));
                out.insert("codec".into(), s(msg));
                out.insert("address".into(), Self::address(&mut t, 0));
                if p.name == "tcp" {
                    self.server_mode(p, &mut t);
                } else {
                    // Logstash's UDP reader settings; sluice's loop needs none of them.
                    for k in ["workers", "queue_size", "buffer_size", "source_ip_fieldname"] {
                        t.remove(k);
                    }
                }
                self.pass_rest(p, &mut out, t, &["ssl_enable", "ssl_enabled"]);
                built.push((id, out));
            }
            "http" => {
                out.insert("type".into(), s("http"));
                out.insert("address".into(), Self::address(&mut t, 8080));
                self.pass_rest(p, &mut out, t, &[]);
                built.push((id, out));
            }
            "file" => return self.refuse(p, "input", "sluice has no file-tailing input yet: ship the file with Filebeat to a `beats` input"),
            "stdin" => {
                out.insert("type".into(), s("stdin"));
                match codec {
                    None | Some("line" | "plain") => {}
                    Some("json_lines" | "json") => {
                        out.insert("codec".into(), s("json_lines"));
                    }
                    Some(other) => return self.refuse(p, "input", &format!("its codec `{other}` is not available; stdin reads lines (codec => line) or JSON lines (codec => json_lines)")),
                }
                self.pass_rest(p, &mut out, t, &[]);
                built.push((id, out));
            }
            "pipeline" => {
                match as_text(t.remove("address")) {
                    Some(a) if self.chain.address.is_none() => self.chain.address = Some((a, at)),
                    Some(_) => self.error(String::new(), format!(
                        "line {}, column {}: a pipeline has one `pipeline` input at most (as in Logstash)",
                        p.pos.line, p.pos.column
                    )),
                    None => self.error("address".into(), format!(
                        "line {}, column {}: the `pipeline` input needs `address => \"...\"`",
                        p.pos.line, p.pos.column
                    )),
                }
                if ty.is_some() || tags.is_some() || add_field.is_some() {
                    self.warnings.push(format!("{}: `type`, `tags` and `add_field` on a `pipeline` input are not applied", self.at(p)));
                }
                return;
            }
            _ => return self.refuse(p, "input", "sluice's inputs are beats, syslog, tcp, udp, http, stdin and pipeline"),
        }
        for (id, out) in built {
            self.chain
                .sources
                .push((id.clone(), T::Table(out), at.clone()));
            // A codec leaves no `message`: the line is the fields.
            let decoder = csv.clone().map(|mut c| {
                c.insert("type".into(), s("csv"));
                c.insert("remove_field".into(), T::Array(vec![s("message")]));
                c
            });
            self.decorate(
                &id,
                &at,
                decoder,
                ty.as_deref(),
                tags.clone(),
                add_field.clone(),
            );
        }
    }

    /// `mode => "client"` on a tcp input connects out, which sluice does not do.
    fn server_mode(&mut self, p: &Plugin, t: &mut toml::Table) {
        if let Some(mode) = as_text(t.remove("mode")) {
            if mode != "server" {
                self.error("mode".into(), format!(
                    "line {}, column {}: `mode => {mode}`: sluice's tcp input listens (mode => server) and does not connect out",
                    p.pos.line, p.pos.column
                ));
            }
        }
    }

    /// The transforms that decode an input's lines (`decoder`: a codec done by a filter)
    /// and add its `type`, `tags` and `add_field`, to its events only, between the
    /// source and the pipeline's first filter.
    fn decorate(
        &mut self,
        source: &str,
        at: &str,
        decoder: Option<toml::Table>,
        ty: Option<&str>,
        tags: Option<T>,
        add_field: Option<T>,
    ) {
        let mut prev = source.to_owned();
        if let Some(mut d) = decoder {
            d.insert("inputs".into(), T::Array(vec![s(&prev)]));
            let id = format!("{source}_codec");
            self.chain
                .decorations
                .push((id.clone(), T::Table(d), format!("{at} (codec)")));
            prev = id;
        }
        if let Some(ty) = ty {
            let mut m = toml::Table::new();
            m.insert("type".into(), s("mutate"));
            m.insert("if".into(), s("![type]"));
            let mut f = toml::Table::new();
            f.insert("type".into(), s(ty));
            m.insert("add_field".into(), T::Table(f));
            m.insert("inputs".into(), T::Array(vec![s(&prev)]));
            let id = format!("{source}_type");
            self.chain
                .decorations
                .push((id.clone(), T::Table(m), format!("{at} (type)")));
            prev = id;
        }
        if tags.is_some() || add_field.is_some() {
            let mut m = toml::Table::new();
            m.insert("type".into(), s("mutate"));
            if let Some(tags) = tags {
                m.insert(
                    "add_tag".into(),
                    match tags {
                        T::Array(a) => T::Array(a),
                        one => T::Array(vec![one]),
                    },
                );
            }
            if let Some(f) = add_field {
                m.insert("add_field".into(), f);
            }
            m.insert("inputs".into(), T::Array(vec![s(&prev)]));
            let id = format!("{source}_fields");
            self.chain.decorations.push((
                id.clone(),
                T::Table(m),
                format!("{at} (tags, add_field)"),
            ));
            prev = id;
        }
        if prev != source {
            self.chain.outlets.insert(source.to_owned(), prev);
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
