//! `fingerprint`: a stable hash of some fields, Logstash's fingerprint filter, mostly
//! to make a `document_id` that deduplicates resent events.
//!
//! - `method`: `SHA1` (default), `SHA256`, `SHA384`, `SHA512`, `MD5` (each an HMAC when
//!   `key` is set, hex or with `base64encode` base64), `MURMUR3` (32-bit, seed 0, an
//!   integer), `UUID` (a random one), `PUNCTUATION` (the source without letters, digits
//!   and blanks), `IPV4_NETWORK` (the network of an address, `key` the prefix length).
//! - Several `source` fields: each is hashed in turn and the last one present wins, as in
//!   Logstash; with `concatenate_sources` they are hashed together as
//!   `|name|value|name|value|` in sorted name order; `concatenate_all_fields` takes every
//!   field of the event.
//! - The target is `fingerprint` (`[event][hash]` under ECS, Logstash 8's default).
//! - Values are hashed as their text; objects and arrays as their JSON with sorted keys,
//!   which differs from Logstash's Ruby rendering (noted in docs/LOGSTASH.md).

use crate::common::{Common, CommonConfig};
use crate::ecs::Ecs;
use base64::Engine;
use hmac::{Mac, SimpleHmac};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{Event, FieldPath, Value};
use std::net::Ipv4Addr;

/// How the fingerprint is made.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// SHA-1.
    #[default]
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
    /// MD5.
    Md5,
    /// MurmurHash3, 32 bits.
    Murmur3,
    /// A random UUID.
    Uuid,
    /// The punctuation of the source.
    Punctuation,
    /// The network an IPv4 address belongs to.
    #[serde(rename = "IPV4_NETWORK")]
    Ipv4Network,
}

/// `type = "fingerprint"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "message")]
    source: Vec<String>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    method: Method,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    base64encode: bool,
    #[serde(default)]
    concatenate_sources: bool,
    #[serde(default)]
    concatenate_all_fields: bool,
    #[serde(default)]
    ecs_compatibility: Ecs,
    #[serde(flatten)]
    common: CommonConfig,
}

fn message() -> Vec<String> {
    vec!["message".into()]
}

/// A built fingerprint transform.
#[derive(Debug)]
pub struct Fingerprint {
    /// Names as written (for the concatenation) and their paths, sorted by name.
    source: Vec<(String, FieldPath)>,
    target: FieldPath,
    method: Method,
    key: Option<Vec<u8>>,
    /// The prefix length of `IPV4_NETWORK`.
    prefix: u32,
    base64: bool,
    concatenate: bool,
    all_fields: bool,
    on_success: Common,
}

impl Config {
    /// Checks the method's needs and compiles the field names.
    pub fn build(self, b: &mut Build<'_>) -> Option<Fingerprint> {
        let mark = b.mark();
        let mut source: Vec<(String, FieldPath)> = self
            .source
            .iter()
            .filter_map(|s| b.path(s, "source").map(|p| (s.clone(), p)))
            .collect();
        if self.concatenate_sources {
            source.sort_by(|a, c| a.0.cmp(&c.0));
        }
        let default_target = if self.ecs_compatibility.on() {
            "[event][hash]"
        } else {
            "fingerprint"
        };
        let target = b.path(self.target.as_deref().unwrap_or(default_target), "target");
        let mut prefix = 0;
        if self.method == Method::Ipv4Network {
            match self.key.as_deref().map(str::parse::<u32>) {
                Some(Ok(n)) if n <= 32 => prefix = n,
                _ => b.push(
                    "key",
                    "IPV4_NETWORK needs `key` = the prefix length, 0 to 32",
                ),
            }
        }
        let on_success = self.common.build(b);
        if !b.clean_since(mark) {
            return None;
        }
        Some(Fingerprint {
            source,
            target: target?,
            method: self.method,
            key: self.key.map(String::into_bytes),
            prefix,
            base64: self.base64encode,
            concatenate: self.concatenate_sources,
            all_fields: self.concatenate_all_fields,
            on_success,
        })
    }
}

/// A value as the text that is hashed.
fn text(v: &Value) -> String {
    match v {
        Value::Object(_) | Value::Array(_) => sorted(v).to_string_lossy(),
        other => other.to_string_lossy(),
    }
}

/// `v` with every object's keys in order, so that equal values hash equally.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut pairs: Vec<(&str, &Value)> = m.iter().map(|(k, v)| (k.as_ref(), v)).collect();
            pairs.sort_by(|a, b| a.0.cmp(b.0));
            let mut out = sluice_event::Map::new();
            for (k, v) in pairs {
                out.insert(k.into(), sorted(v));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

impl Fingerprint {
    /// Applies the filter to one event.
    pub fn apply_one(&self, e: &mut Event) {
        let result = if self.method == Method::Uuid {
            Some(Value::from(uuid::Uuid::new_v4().to_string()))
        } else if self.all_fields {
            let v = sorted(&Value::Object(e.fields().clone()));
            Some(self.hash(&text(&v)))
        } else if self.concatenate {
            let mut all = String::from("|");
            for (name, path) in &self.source {
                all.push_str(name);
                all.push('|');
                all.push_str(&e.get(path).map(text).unwrap_or_default());
                all.push('|');
            }
            Some(self.hash(&all))
        } else {
            let mut last = None;
            for (_, path) in &self.source {
                if let Some(v) = e.get(path) {
                    last = Some(self.hash(&text(v)));
                }
            }
            last
        };
        match result {
            Some(Value::Null) => {
                e.add_tag("_fingerprintfailure");
            }
            Some(v) => {
                e.insert(&self.target, v);
                self.on_success.apply(e);
            }
            None => {}
        }
    }

    /// The fingerprint of `s` (`Null` when the method cannot take it).
    fn hash(&self, s: &str) -> Value {
        let bytes = match self.method {
            Method::Murmur3 => return Value::from(i64::from(murmur3_32(s.as_bytes(), 0))),
            Method::Punctuation => {
                return Value::from(
                    s.chars()
                        .filter(|c| !c.is_ascii_alphanumeric() && *c != ' ' && *c != '\t')
                        .collect::<String>(),
                )
            }
            Method::Ipv4Network => {
                return match s.trim().parse::<Ipv4Addr>() {
                    Ok(ip) => {
                        let mask = crate::cidr::v4_mask(self.prefix);
                        Value::from(Ipv4Addr::from(u32::from(ip) & mask).to_string())
                    }
                    Err(_) => Value::Null,
                }
            }
            Method::Uuid => return Value::Null,
            Method::Sha1 => digest::<sha1::Sha1>(self.key.as_deref(), s),
            Method::Sha256 => digest::<sha2::Sha256>(self.key.as_deref(), s),
            Method::Sha384 => digest::<sha2::Sha384>(self.key.as_deref(), s),
            Method::Sha512 => digest::<sha2::Sha512>(self.key.as_deref(), s),
            Method::Md5 => digest::<md5::Md5>(self.key.as_deref(), s),
        };
        Value::from(if self.base64 {
            base64::engine::general_purpose::STANDARD.encode(bytes)
        } else {
            hex(&bytes)
        })
    }
}

/// The digest of `s`, or its HMAC under `key`.
fn digest<D>(key: Option<&[u8]>, s: &str) -> Vec<u8>
where
    D: sha2::Digest + hmac::digest::core_api::BlockSizeUser,
{
    match key {
        // HMAC takes a key of any length, so this cannot fail.
        Some(k) => match <SimpleHmac<D> as hmac::digest::KeyInit>::new_from_slice(k) {
            Ok(mut m) => {
                m.update(s.as_bytes());
                m.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        },
        None => D::digest(s.as_bytes()).to_vec(),
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// MurmurHash3's x86 32-bit variant.
pub fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, b) in tail.iter().enumerate() {
            k |= u32::from(*b) << (8 * i);
        }
        h ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}
