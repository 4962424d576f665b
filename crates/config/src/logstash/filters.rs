//! Logstash filters as a chain of sluice transforms; branches on markers set once.

use super::values::*;
use super::Conv;
use sluice_lscl::{Item, Plugin};
use toml::Value as T;

impl Conv {
    /// The filters of `items`; `guard` is the marker (or condition) every one of them
    /// runs under.
    pub(super) fn filters(&mut self, items: &[Item], guard: Option<&str>) {
        for item in items {
            match item {
                Item::Plugin(p) => self.filter(p, guard.map(str::to_owned)),
                Item::Branch(b) => {
                    let single = b.cases.len() == 1
                        && b.otherwise.is_none()
                        && matches!(b.cases[0].1.as_slice(), [Item::Plugin(_)]);
                    if single {
                        let cond = match guard {
                            Some(g) => format!("({g}) and ({})", b.cases[0].0.text),
                            None => b.cases[0].0.text.clone(),
                        };
                        if let [Item::Plugin(p)] = b.cases[0].1.as_slice() {
                            self.filter(p, Some(cond));
                        }
                        continue;
                    }
                    self.markers += 1;
                    let n = self.markers;
                    let line = b.cases[0].0.pos.line;
                    let mut earlier: Vec<String> = Vec::new();
                    let mut cases: Vec<(String, &[Item])> = Vec::new();
                    let count = b.cases.len() + usize::from(b.otherwise.is_some());
                    for k in 0..count {
                        let marker = format!("[@metadata][_sluice_branch_{n}_{k}]");
                        let mut parts: Vec<String> =
                            guard.iter().map(|g| format!("({g})")).collect();
                        parts.extend(earlier.iter().map(|m| format!("!{m}")));
                        let body: &[Item] = match b.cases.get(k) {
                            Some((c, body)) => {
                                parts.push(format!("({})", c.text));
                                body
                            }
                            None => b.otherwise.as_deref().unwrap_or(&[]),
                        };
                        let cond = if parts.is_empty() {
                            "true".to_owned()
                        } else {
                            parts.join(" and ")
                        };
                        let mut m = toml::Table::new();
                        m.insert("type".into(), s("mutate"));
                        if cond != "true" {
                            m.insert("if".into(), s(&cond));
                        }
                        let mut add = toml::Table::new();
                        add.insert(marker.clone(), s("1"));
                        m.insert("add_field".into(), T::Table(add));
                        let id = format!("{}branch_{line}_{k}", self.prefix);
                        self.used.insert(id.clone());
                        self.chain.transforms.push((
                            id,
                            T::Table(m),
                            format!("{}:{} (condition)", self.file, line),
                        ));
                        earlier.push(marker.clone());
                        cases.push((marker, body));
                    }
                    for (marker, body) in cases {
                        self.filters(body, Some(&marker));
                    }
                }
            }
        }
    }

    fn filter(&mut self, p: &Plugin, cond: Option<String>) {
        self.check(p);
        let mut t = table(p);
        let id = self.id(p);
        let at = self.at(p);
        let ty = match p.name.as_str() {
            "grok" => {
                match t.remove("match") {
                    Some(T::Table(m)) if m.len() == 1 => {
                        let Some((field, pats)) = m.into_iter().next() else {
                            return;
                        };
                        t.insert("field".into(), s(&field));
                        t.insert(
                            "patterns".into(),
                            match pats {
                                T::Array(a) => T::Array(a),
                                other => T::Array(vec![other]),
                            },
                        );
                    }
                    Some(T::Array(a)) if a.len() >= 2 && a.len() % 2 == 0 => {
                        let fields: Vec<&T> = a.iter().step_by(2).collect();
                        if fields.iter().any(|f| *f != fields[0]) {
                            return self.refuse(p, "filter", "one grok here matches several fields: write one grok per field");
                        }
                        t.insert("field".into(), fields[0].clone());
                        t.insert("patterns".into(), T::Array(a.iter().skip(1).step_by(2).cloned().collect()));
                    }
                    Some(T::Table(_)) => {
                        return self.refuse(p, "filter", "one grok here matches several fields: write one grok per field");
                    }
                    Some(_) | None => {
                        return self.refuse(p, "filter", "its `match` must be a hash { \"field\" => \"pattern\" } or an array [\"field\", \"pattern\", ...]");
                    }
                }
                "grok"
            }
            "date" => {
                match t.remove("match") {
                    Some(T::Array(a)) if a.len() >= 2 => {
                        t.insert("field".into(), a[0].clone());
                        t.insert("formats".into(), T::Array(a[1..].to_vec()));
                    }
                    _ => return self.refuse(p, "filter", "its `match` must be [\"field\", \"format\", ...]"),
                }
                "date"
            }
            "mutate" => {
                if let Some(T::Array(a)) = t.remove("gsub") {
                    if a.len() % 3 != 0 {
                        return self.refuse(p, "filter", "its `gsub` must hold field, pattern, replacement triples");
                    }
                    t.insert("gsub".into(), T::Array(a.chunks(3).map(|c| T::Array(c.to_vec())).collect()));
                }
                "mutate"
            }
            "json" | "kv" | "dissect" => p.name.as_str(),
            "drop" => "drop",
            "ruby" => return self.refuse(p, "filter", "sluice runs no embedded code: use mutate, grok, dissect or kv, or open an issue with what the script does"),
            "aggregate" | "throttle" | "elapsed" => return self.refuse(p, "filter", "sluice keeps no state across events here yet; the alerting transform (a later issue) covers counting in windows"),
            "clone" => return self.refuse(p, "filter", "use two sinks (every sink gets its own copy) or a route transform"),
            "split" => return self.refuse(p, "filter", "splitting an array into events is not built yet"),
            "fingerprint" | "translate" | "csv" | "cidr" | "useragent" | "geoip" | "syslog_pri" | "prune" | "xml" | "dns" | "urldecode" | "de_dot" | "truncate" | "uuid" | "metrics" | "environment" | "http" | "jdbc_streaming" | "jdbc_static" | "memcached" | "elasticsearch" => {
                return self.refuse(p, "filter", "it is not built yet (see docs/LOGSTASH.md for what is)")
            }
            _ => return self.refuse(p, "filter", "sluice's filters are grok, date, mutate, json, kv, dissect and drop (see docs/LOGSTASH.md)"),
        };
        let mut out = toml::Table::new();
        out.insert("type".into(), s(ty));
        if let Some(c) = cond {
            out.insert("if".into(), s(&c));
        }
        out.extend(t);
        self.chain.transforms.push((id, T::Table(out), at));
    }
}
