//! `cidr`: whether an address is in one of some networks, Logstash's cidr filter. On a
//! match the shared options apply (`add_tag`, `add_field`, ...); otherwise nothing
//! changes.
//!
//! `address` lists templates (`%{clientip}`), `network` lists networks (`10.0.0.0/8`,
//! `2001:db8::/32`, or one address), and `network_path` names a file of networks, one
//! per line (`#` starts a comment), read again when it changes, at most once per
//! `refresh_interval`. A value that is not an address, or a network that does not
//! parse, never matches; bad networks in the config are errors at their key.

use crate::common::{Common, CommonConfig};
use crate::reloaded::Reloaded;
use serde::Deserialize;
use sluice_core::config::{Build, HumanDuration};
use sluice_event::Event;
use sluice_parse::template::Template;
use std::net::IpAddr;
use std::path::PathBuf;

/// `type = "cidr"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    address: Vec<String>,
    #[serde(default)]
    network: Vec<String>,
    #[serde(default)]
    network_path: Option<PathBuf>,
    #[serde(default = "crate::common::defaults::five_minutes")]
    refresh_interval: HumanDuration,
    /// The separator of `network_path`'s entries (a newline by default).
    #[serde(default = "newline")]
    separator: String,
    #[serde(flatten)]
    common: CommonConfig,
}

fn newline() -> String {
    "\n".into()
}

/// A network: its first address and prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Net {
    base: IpAddr,
    prefix: u8,
}

impl Net {
    /// `a.b.c.d/n`, `x::y/n` or one address.
    pub fn parse(s: &str) -> Option<Net> {
        let s = s.trim();
        let (ip, prefix) = match s.split_once('/') {
            Some((ip, n)) => (ip.parse::<IpAddr>().ok()?, Some(n.parse::<u8>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Net { base: ip, prefix })
    }

    /// Whether `ip` is in the network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.base, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = v4_mask(u32::from(self.prefix));
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The IPv4 netmask of a prefix length (0 to 32) as a number: 24 -> 0xffffff00.
pub(crate) fn v4_mask(prefix: u32) -> u32 {
    u32::MAX.checked_shl(32 - prefix.min(32)).unwrap_or(0)
}

/// A built cidr transform.
#[derive(Debug)]
pub struct Cidr {
    address: Vec<Template>,
    network: Vec<Net>,
    from_file: Option<Reloaded<Vec<Net>>>,
    on_match: Common,
}

impl Config {
    /// Parses the networks and templates, and reads `network_path` once.
    pub fn build(self, b: &mut Build<'_>) -> Option<Cidr> {
        let mark = b.mark();
        let address: Vec<Template> = self
            .address
            .iter()
            .filter_map(|a| b.template(a, "address"))
            .collect();
        if self.address.is_empty() {
            b.push(
                "address",
                "must name at least one address (a template such as \"%{clientip}\")",
            );
        }
        let mut network = Vec::new();
        for n in &self.network {
            match Net::parse(n) {
                Some(net) => network.push(net),
                None => b.push(
                    "network",
                    format!("`{n}` is not a network (10.0.0.0/8, 2001:db8::/32 or an address)"),
                ),
            }
        }
        let separator = self.separator.clone();
        let from_file = self.network_path.map(|p| {
            Reloaded::new(p, self.refresh_interval.0, move |text: &str| {
                Ok(text
                    .split(separator.as_str())
                    .map(|l| l.split('#').next().unwrap_or("").trim())
                    .filter(|l| !l.is_empty())
                    .filter_map(Net::parse)
                    .collect())
            })
        });
        if let Some(r) = &from_file {
            if let Err(e) = r.check() {
                b.push("network_path", e);
            }
        }
        if network.is_empty() && from_file.is_none() {
            b.push("network", "set `network` or `network_path`");
        }
        let on_match = self.common.build(b);
        if !b.clean_since(mark) {
            return None;
        }
        Some(Cidr {
            address,
            network,
            from_file,
            on_match,
        })
    }
}

impl Cidr {
    /// Applies the filter to one event.
    pub fn apply_one(&self, e: &mut Event) {
        let file = self.from_file.as_ref().map(Reloaded::current);
        let nets = self
            .network
            .iter()
            .chain(file.iter().flat_map(|f| f.iter()));
        let ips: Vec<IpAddr> = self
            .address
            .iter()
            .filter_map(|t| t.rendered(e).trim().parse().ok())
            .collect();
        let hit = nets
            .into_iter()
            .any(|n| ips.iter().any(|ip| n.contains(*ip)));
        if hit {
            self.on_match.apply(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_contain_their_addresses() {
        let n = Net::parse("192.168.0.0/16").unwrap();
        assert!(n.contains("192.168.3.4".parse().unwrap()));
        assert!(!n.contains("192.169.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:192.168.1.1".parse().unwrap()));
        let v6 = Net::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        assert!(Net::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Net::parse("10.0.0.1")
            .unwrap()
            .contains("10.0.0.1".parse().unwrap()));
        assert_eq!(Net::parse("10.0.0.0/33"), None);
        assert_eq!(Net::parse("nope/8"), None);
    }
}
