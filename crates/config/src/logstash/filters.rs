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
                if let Some(ms) = as_text(t.remove("timeout_millis")) {
                    t.insert("timeout".into(), s(&format!("{ms}ms")));
                }
                match t.remove("named_captures_only") {
                    None | Some(T::Boolean(true)) => {}
                    Some(_) => return self.refuse(p, "filter", "`named_captures_only => false` (keeping unnamed captures) is not available; name the captures you need"),
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
                for k in ["convert", "rename", "replace", "update", "copy", "merge", "coerce", "split", "join"] {
                    if let Some(T::Array(a)) = t.get(k) {
                        match pairs(a) {
                            Some(table) => {
                                t.insert(k.into(), T::Table(table));
                            }
                            None => return self.refuse(p, "filter", &format!("its `{k}` must be a hash or an array of key, value pairs")),
                        }
                    }
                }
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
            "clone" | "syslog_pri" | "fingerprint" | "csv" | "cidr" | "translate" | "useragent" | "geoip" | "split" | "prune" => {
                if let Some(e) = attr(p, "ecs_compatibility").and_then(|a| a.value.as_str()) {
                    t.insert("ecs_compatibility".into(), s(e));
                }
                let lists: &[&str] = match p.name.as_str() {
                    "clone" => &["clones"],
                    "fingerprint" => &["source"],
                    "cidr" => &["address", "network"],
                    "geoip" => &["fields"],
                    "csv" => &["columns"],
                    "prune" => &["whitelist_names", "blacklist_names"],
                    _ => &[],
                };
                for k in lists {
                    if let Some(v) = t.get_mut(*k) {
                        if !matches!(v, T::Array(_)) {
                            *v = T::Array(vec![v.clone()]);
                        }
                    }
                }
                // Logstash gives intervals in seconds.
                if let Some(v) = t.get_mut("refresh_interval") {
                    if let Some(n) = as_text(Some(v.clone())) {
                        *v = s(&format!("{n}s"));
                    }
                }
                if let Some(T::String(m)) = t.get_mut("method") {
                    *m = m.to_ascii_uppercase();
                }
                // The old array form of a dictionary: ["key", "value", ...].
                if let Some(T::Array(a)) = t.get("dictionary") {
                    match pairs(a) {
                        Some(table) => {
                            t.insert("dictionary".into(), T::Table(table));
                        }
                        None => return self.refuse(p, "filter", "its `dictionary` array must hold key, value pairs"),
                    }
                }
                if let Some(T::Table(d)) = t.get_mut("dictionary") {
                    for (_, v) in d.iter_mut() {
                        if let Some(text) = as_text(Some(v.clone())) {
                            *v = s(&text);
                        }
                    }
                }
                p.name.as_str()
            }
            "ruby" => return self.refuse(p, "filter", "sluice runs no embedded code: use mutate, grok, dissect or kv, or open an issue with what the script does"),
            "aggregate" | "throttle" | "elapsed" => return self.refuse(p, "filter", "sluice keeps no state across events here yet; the alerting transform (a later issue) covers counting in windows"),
            "xml" | "dns" | "urldecode" | "de_dot" | "truncate" | "uuid" | "metrics" | "environment" | "http" | "jdbc_streaming" | "jdbc_static" | "memcached" | "elasticsearch" => {
                return self.refuse(p, "filter", "it is not built yet (see docs/LOGSTASH.md for what is)")
            }
            _ => return self.refuse(p, "filter", "see docs/LOGSTASH.md for the filters sluice has"),
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
