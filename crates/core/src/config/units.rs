//! Human units: byte sizes (`10MiB`, `1GB`, `4096`) and durations (`500ms`, `30s`, `1h`, `7d`).

use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// `" 1.5 MiB "` -> `Some((1.5, "MiB"))`: the number, then the unit (trimmed).
fn split_number_unit(s: &str) -> Option<(f64, &str)> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    (n.is_finite() && n >= 0.0).then_some((n, unit.trim()))
}

/// `"10MiB"` -> 10485760. Decimal (`MB`) and binary (`MiB`) suffixes; bare numbers are bytes.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let (n, unit) =
        split_number_unit(s).ok_or_else(|| format!("`{s}` is not a size like \"10MiB\""))?;
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown size unit `{other}` in `{s}` (use B, KiB, MiB, GiB, KB, MB, GB)"
            ))
        }
    };
    let bytes = n * mult as f64;
    if bytes >= u64::MAX as f64 {
        return Err(format!("`{s}` is too large a size"));
    }
    Ok(bytes as u64)
}

/// `"1h"` -> 3600 s. Units: ms, s, m, h, d, w.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let (n, unit) = split_number_unit(s)
        .ok_or_else(|| format!("`{s}` is not a duration like \"30s\" or \"1h\""))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        "w" => n * 7.0 * 86400.0,
        other => {
            return Err(format!(
                "unknown duration unit `{other}` in `{s}` (use ms, s, m, h, d, w)"
            ))
        }
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{s}` is too long a duration"))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrStr {
    Num(u64),
    Str(String),
}

/// A byte size in config: a number or a string with a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match NumOrStr::deserialize(d)? {
            NumOrStr::Num(n) => Ok(ByteSize(n)),
            NumOrStr::Str(s) => parse_bytes(&s)
                .map(ByteSize)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// A duration in config: seconds as a number, or a string with a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match NumOrStr::deserialize(d)? {
            NumOrStr::Num(n) => Ok(HumanDuration(Duration::from_secs(n))),
            NumOrStr::Str(s) => parse_duration(&s)
                .map(HumanDuration)
                .map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_bytes("10MiB").unwrap(), 10 << 20);
        assert_eq!(parse_bytes("1.5 KB").unwrap(), 1500);
        assert_eq!(parse_bytes("4096").unwrap(), 4096);
        assert!(parse_bytes("10 parsecs").is_err());
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(
            parse_duration("7d").unwrap(),
            Duration::from_secs(7 * 86400)
        );
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn absurd_values_are_errors_not_panics() {
        let huge = format!("{}w", "9".repeat(40));
        assert!(parse_duration(&huge).unwrap_err().contains("too long"));
        assert!(parse_bytes(&format!("{}TiB", "9".repeat(40)))
            .unwrap_err()
            .contains("too large"));
        assert!(parse_bytes("1.2.3MiB").is_err());
    }
}

/// An IANA time zone in config (`"Europe/Berlin"`, `"UTC"`), checked when decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Zone(pub chrono_tz::Tz);

impl TryFrom<String> for Zone {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse::<chrono_tz::Tz>().map(Zone).map_err(|_| {
            format!("unknown time zone `{s}` (use an IANA name like \"Europe/Berlin\" or \"UTC\")")
        })
    }
}

impl Zone {
    /// The zone of this machine, as Logstash takes the platform's: `TZ` when it names an
    /// IANA zone (`America/New_York`, `:Europe/Berlin`), else the system's
    /// (`/etc/localtime`), else UTC. The `String` names where it came from.
    pub fn local() -> (Zone, String) {
        if let Ok(tz) = std::env::var("TZ") {
            let name = tz.trim_start_matches(':');
            if let Ok(z) = name.parse::<chrono_tz::Tz>() {
                return (Zone(z), format!("TZ={tz}"));
            }
        }
        match iana_time_zone::get_timezone() {
            Ok(name) => match name.parse::<chrono_tz::Tz>() {
                Ok(z) => (Zone(z), format!("the system zone {name}")),
                Err(_) => (Zone::default(), format!("UTC (unknown system zone {name})")),
            },
            Err(_) => (Zone::default(), "UTC (no system zone found)".into()),
        }
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone(chrono_tz::Tz::UTC)
    }
}
