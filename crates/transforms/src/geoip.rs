//! `geoip`: where an IP address is, from a MaxMind database (GeoIP2 / GeoLite2 City,
//! Country or ASN, `.mmdb`), Logstash's geoip filter; read with the `maxminddb` crate.
//!
//! sluice ships no database (MaxMind's licence does not allow it): `database` must name
//! one, and without it the config error says where to get one. The file is read into
//! memory once at start.
//!
//! Fields, under `target`:
//! - ECS (Logstash 8's default): `ip`, `geo.{city_name, country_name, country_iso_code,
//!   continent_code, continent_name, region_name, region_iso_code, postal_code, timezone,
//!   location.{lat, lon}}`, and from an ASN database `as.number`,
//!   `as.organization.name`. Without `target`, a source `[x][ip]` writes under `x`.
//! - `ecs_compatibility = "disabled"`: Logstash's older names under `geoip`: `ip`,
//!   `city_name`, `country_name`, `country_code2`, `continent_code`, `region_name`,
//!   `region_code`, `postal_code`, `timezone`, `latitude`, `longitude`, `location`,
//!   `asn`, `as_org`.
//!
//! `fields` keeps only the names listed. An address not in the database, or a value that
//! is not an address, is tagged with `tag_on_failure` (`_geoip_lookup_failure`).

use crate::common::{Common, CommonConfig};
use crate::ecs::Ecs;
use maxminddb::geoip2;
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{Event, FieldPath, Map, Value};
use std::net::IpAddr;
use std::path::PathBuf;

/// `type = "geoip"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    source: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    database: Option<PathBuf>,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default = "failure_tag")]
    tag_on_failure: Vec<String>,
    #[serde(default)]
    ecs_compatibility: Ecs,
    /// Logstash's choice of bundled database; sluice has none, so only the file counts.
    #[serde(default)]
    default_database_type: Option<String>,
    #[serde(flatten)]
    common: CommonConfig,
}

fn failure_tag() -> Vec<String> {
    vec!["_geoip_lookup_failure".into()]
}

/// A built geoip transform.
pub struct Geoip {
    source: FieldPath,
    target: FieldPath,
    reader: maxminddb::Reader<Vec<u8>>,
    asn: bool,
    ecs: bool,
    fields: Vec<String>,
    tag_on_failure: Vec<String>,
    on_success: Common,
}

impl std::fmt::Debug for Geoip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Geoip({})", self.reader.metadata.database_type)
    }
}

impl Config {
    /// Opens the database and compiles the field names.
    pub fn build(self, b: &mut Build<'_>) -> Option<Geoip> {
        let mark = b.mark();
        let ecs = self.ecs_compatibility.on();
        let source = b.path(&self.source, "source");
        let target_name = match (&self.target, ecs) {
            (Some(t), _) => Some(t.clone()),
            (None, false) => Some("geoip".into()),
            (None, true) => source.as_ref().and_then(|s| match s.segments() {
                [parent @ .., last] if last == "ip" && !parent.is_empty() => {
                    Some(FieldPath::from_segments(parent.to_vec()).to_string())
                }
                _ => None,
            }),
        };
        let target = match target_name {
            Some(t) => b.path(&t, "target"),
            None => {
                b.push("target", "set `target` (under ECS it is only implied for a source `[x][ip]`, as in Logstash)");
                None
            }
        };
        let _ = self.default_database_type;
        let reader = match &self.database {
            None => {
                b.push("database", "name a MaxMind database (.mmdb): sluice ships none; GeoLite2-City and GeoLite2-ASN are free from maxmind.com with an account");
                None
            }
            Some(p) => match maxminddb::Reader::open_readfile(p) {
                Ok(r) => Some(r),
                Err(e) => {
                    b.push(
                        "database",
                        format!("cannot open {} as a MaxMind database: {e}", p.display()),
                    );
                    None
                }
            },
        };
        let on_success = self.common.build(b);
        if !b.clean_since(mark) {
            return None;
        }
        let reader = reader?;
        let asn = reader.metadata.database_type.contains("ASN");
        Some(Geoip {
            source: source?,
            target: target?,
            reader,
            asn,
            ecs,
            fields: self.fields,
            tag_on_failure: self.tag_on_failure,
            on_success,
        })
    }
}

/// The English name in a `names` map.
fn en<'a>(names: &Option<std::collections::BTreeMap<&'a str, &'a str>>) -> Option<&'a str> {
    names.as_ref().and_then(|n| n.get("en").copied())
}

/// Puts `v` at the dotted `name` inside `m`.
fn put(m: &mut Map, name: &str, v: Value) {
    match name.split_once('.') {
        None => {
            m.insert(name.into(), v);
        }
        Some((head, rest)) => {
            let slot = m.get_or_insert_with(head, || Value::Object(Map::new()));
            if let Value::Object(inner) = slot {
                put(inner, rest, v);
            }
        }
    }
}

impl Geoip {
    /// Applies the filter to one event.
    pub fn apply_one(&self, e: &mut Event) {
        let text = match e.get(&self.source) {
            Some(Value::Array(a)) => a.first().map(Value::to_string_lossy),
            Some(v) => Some(v.to_string_lossy()),
            None => return,
        };
        let found = text
            .and_then(|t| t.trim().parse::<IpAddr>().ok())
            .and_then(|ip| self.lookup(ip));
        let Some(pairs) = found.filter(|p| !p.is_empty()) else {
            for t in &self.tag_on_failure {
                e.add_tag(t);
            }
            return;
        };
        let mut out = match e.get(&self.target) {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        for (name, v) in pairs {
            let short = name.rsplit('.').next().unwrap_or(name);
            let listed = |f: &String| {
                f == name
                    || f == short
                    || name
                        .strip_prefix(f.as_str())
                        .is_some_and(|r| r.starts_with('.'))
            };
            if self.fields.is_empty() || self.fields.iter().any(listed) {
                put(&mut out, name, v);
            }
        }
        e.insert(&self.target, Value::Object(out));
        self.on_success.apply(e);
    }

    /// The fields found for `ip`, by their names under the target.
    fn lookup(&self, ip: IpAddr) -> Option<Vec<(&'static str, Value)>> {
        let s = |v: &str| Value::from(v);
        let mut out: Vec<(&'static str, Value)> = Vec::new();
        let mut add = |ecs: &'static str, legacy: &'static str, v: Option<Value>| {
            if let Some(v) = v {
                out.push((if self.ecs { ecs } else { legacy }, v));
            }
        };
        if self.asn {
            let r: geoip2::Asn = self.reader.lookup(ip).ok()??;
            add(
                "as.number",
                "asn",
                r.autonomous_system_number
                    .map(|n| Value::from(i64::from(n))),
            );
            add(
                "as.organization.name",
                "as_org",
                r.autonomous_system_organization.map(s),
            );
        } else {
            let r: geoip2::City = self.reader.lookup(ip).ok()??;
            let country = r.country.as_ref();
            let sub = r.subdivisions.as_ref().and_then(|v| v.first());
            add(
                "geo.city_name",
                "city_name",
                r.city.as_ref().and_then(|c| en(&c.names)).map(s),
            );
            add(
                "geo.country_name",
                "country_name",
                country.and_then(|c| en(&c.names)).map(s),
            );
            add(
                "geo.country_iso_code",
                "country_code2",
                country.and_then(|c| c.iso_code).map(s),
            );
            add(
                "geo.continent_code",
                "continent_code",
                r.continent.as_ref().and_then(|c| c.code).map(s),
            );
            if self.ecs {
                add(
                    "geo.continent_name",
                    "",
                    r.continent.as_ref().and_then(|c| en(&c.names)).map(s),
                );
            }
            add(
                "geo.region_name",
                "region_name",
                sub.and_then(|c| en(&c.names)).map(s),
            );
            let region_code = sub.and_then(|c| c.iso_code);
            add(
                "geo.region_iso_code",
                "region_code",
                region_code.map(|code| match (self.ecs, country.and_then(|c| c.iso_code)) {
                    (true, Some(cc)) => Value::from(format!("{cc}-{code}")),
                    _ => s(code),
                }),
            );
            add(
                "geo.postal_code",
                "postal_code",
                r.postal.as_ref().and_then(|p| p.code).map(s),
            );
            let loc = r.location.as_ref();
            add(
                "geo.timezone",
                "timezone",
                loc.and_then(|l| l.time_zone).map(s),
            );
            if let Some((lat, lon)) = loc.and_then(|l| Some((l.latitude?, l.longitude?))) {
                if !self.ecs {
                    add("", "latitude", Some(Value::Float(lat)));
                    add("", "longitude", Some(Value::Float(lon)));
                }
                add("geo.location.lat", "location.lat", Some(Value::Float(lat)));
                add("geo.location.lon", "location.lon", Some(Value::Float(lon)));
            }
        }
        if !out.is_empty() {
            out.push(("ip", Value::from(ip.to_string())));
        }
        Some(out)
    }
}
