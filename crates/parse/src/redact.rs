//! Finding and replacing secrets and personal data in text. Pure.
//!
//! The built-in detectors cover the mission's rule ("logs must not contain passwords, API
//! keys or personal data"). Each can be switched off. Custom patterns add more.
//! Replacement is a fixed text, or a keyed hash (HMAC-SHA-256, first 12 hex digits) so
//! that equal values can still be correlated without being readable.

use hmac::{Hmac, Mac};
use regex::{Captures, Regex, RegexSet};
use sha2::Sha256;

/// The built-in detectors, by name (the names are config keys and metric labels).
pub const DETECTORS: &[&str] = &[
    "secret_keys",
    "bearer_tokens",
    "jwts",
    "aws_access_keys",
    "private_keys",
    "card_numbers",
    "emails",
];

fn builtin(name: &str) -> &'static str {
    match name {
        // `password=...`, `"api_key": "..."`, `token: ...`: only the value is replaced.
        "secret_keys" => {
            r#"(?i)(?P<keep>\b(?:password|passwd|pwd|pass|secret|client_secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|token|session[_-]?id|credentials?)\b["']?\s*[:=]\s*["']?)(?P<secret>[^\s"',;&}\]]+)"#
        }
        "bearer_tokens" => r"(?i)(?P<keep>\bbearer\s+)(?P<secret>[A-Za-z0-9\-._~+/]+=*)",
        "jwts" => r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
        "aws_access_keys" => r"\b(?:AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16}\b",
        "private_keys" => {
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?s:.*?)-----END [A-Z ]*PRIVATE KEY-----"
        }
        "card_numbers" => r"\b\d(?:[ -]?\d){12,18}\b",
        "emails" => r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b",
        _ => unreachable!("unknown detector {name}"),
    }
}

/// What a found secret becomes.
#[derive(Clone, Debug)]
pub enum Replacement {
    /// Replace each finding with this text.
    Text(String),
    /// HMAC-SHA-256 under this key: `[REDACTED:1a2b3c4d5e6f]`.
    KeyedHash(Vec<u8>),
}

#[derive(Clone, Debug)]
struct Detector {
    name: String,
    regex: Regex,
    luhn: bool,
}

/// A compiled set of detectors.
#[derive(Clone, Debug)]
pub struct Redactor {
    detectors: Vec<Detector>,
    /// All detectors at once: one scan tells which (if any) need running. Most strings
    /// hold no secret, so most strings cost one scan instead of one per detector.
    any: RegexSet,
    /// No detector matches text shorter than this (bytes): such text is not scanned.
    /// An event has many short strings (facility names, levels, addresses).
    min_len: usize,
    replacement: Replacement,
}

/// Luhn's checksum over the digits of `s`.
fn luhn(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl Redactor {
    /// `enabled`: the built-in detectors to use; `custom`: (name, regex) pairs. A custom
    /// regex may have a group named `secret` to replace only that part.
    pub fn new(
        enabled: &[&str],
        custom: &[(String, String)],
        replacement: Replacement,
    ) -> Result<Self, regex::Error> {
        let mut detectors = Vec::new();
        for name in enabled {
            detectors.push(Detector {
                name: (*name).to_owned(),
                regex: Regex::new(builtin(name))?,
                luhn: *name == "card_numbers",
            });
        }
        for (name, re) in custom {
            detectors.push(Detector {
                name: name.clone(),
                regex: Regex::new(re)?,
                luhn: false,
            });
        }
        let any = RegexSet::new(detectors.iter().map(|d| d.regex.as_str()))?;
        // A pattern whose minimum length cannot be worked out counts as matching the
        // empty string, which turns the shortcut off.
        let min_len = detectors
            .iter()
            .map(|d| {
                regex_syntax::parse(d.regex.as_str())
                    .ok()
                    .and_then(|h| h.properties().minimum_len())
                    .unwrap_or(0)
            })
            .min()
            .unwrap_or(0);
        Ok(Redactor {
            detectors,
            any,
            min_len,
            replacement,
        })
    }

    /// The detectors' names, in the order [`Redactor::redact`] counts them.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.detectors.iter().map(|d| d.name.as_str())
    }

    fn replace(&self, secret: &str) -> String {
        match &self.replacement {
            Replacement::Text(t) => t.clone(),
            Replacement::KeyedHash(key) => {
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
                    .expect("HMAC takes keys of any length");
                mac.update(secret.as_bytes());
                let digest = mac.finalize().into_bytes();
                let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
                format!("[REDACTED:{hex}]")
            }
        }
    }

    /// `text` with every secret replaced, or `None` when there was none. `counts[i]` is
    /// incremented per finding of detector `i`.
    pub fn redact(&self, text: &str, counts: &mut [u64]) -> Option<String> {
        if text.len() < self.min_len || self.detectors.is_empty() || !self.any.is_match(text) {
            return None;
        }
        let hits = self.any.matches(text);
        if !hits.matched_any() {
            return None;
        }
        let mut current: Option<String> = None;
        for (i, d) in self.detectors.iter().enumerate() {
            if !hits.matched(i) {
                continue;
            }
            let src = current.as_deref().unwrap_or(text);
            let mut n = 0u64;
            let out = d.regex.replace_all(src, |c: &Captures<'_>| {
                let whole = c.get(0).map_or("", |m| m.as_str());
                if d.luhn && !luhn(whole) {
                    return whole.to_owned();
                }
                n += 1;
                match (c.name("keep"), c.name("secret")) {
                    (Some(k), Some(s)) => format!("{}{}", k.as_str(), self.replace(s.as_str())),
                    (None, Some(s)) => {
                        let m = c.get(0).expect("group 0 always matches");
                        let before = &whole[..s.start() - m.start()];
                        let after = &whole[s.end() - m.start()..];
                        format!("{before}{}{after}", self.replace(s.as_str()))
                    }
                    _ => self.replace(whole),
                }
            });
            if n > 0 {
                if let Some(c) = counts.get_mut(i) {
                    *c += n;
                }
                current = Some(out.into_owned());
            }
        }
        current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Redactor {
        Redactor::new(DETECTORS, &[], Replacement::Text("[REDACTED]".into())).unwrap()
    }

    #[test]
    fn every_builtin_detector_finds_its_kind() {
        let r = all();
        let cases = [
            ("login user=bob password=hunter2 ok", "login user=bob password=[REDACTED] ok"),
            (r#"{"api_key": "sk_live_abc123", "n": 1}"#, r#"{"api_key": "[REDACTED]", "n": 1}"#),
            ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer [REDACTED]"),
            ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end", "jwt [REDACTED] end"),
            ("key AKIAIOSFODNN7EXAMPLE used", "key [REDACTED] used"),
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "[REDACTED]"),
            ("card 4111 1111 1111 1111 charged", "card [REDACTED] charged"),
            ("mail alice@example.com now", "mail [REDACTED] now"),
            // The shortest text a detector matches is still scanned (no length shortcut
            // skips it): 5 bytes for `pwd=x`.
            ("pwd=x", "pwd=[REDACTED]"),
        ];
        for (input, want) in cases {
            let mut counts = vec![0; DETECTORS.len()];
            assert_eq!(
                r.redact(input, &mut counts).as_deref(),
                Some(want),
                "{input}"
            );
            assert_eq!(counts.iter().sum::<u64>(), 1, "{input}: {counts:?}");
        }
    }

    #[test]
    fn luhn_keeps_ordinary_numbers() {
        let r = all();
        let mut counts = vec![0; DETECTORS.len()];
        assert_eq!(
            r.redact(
                "order 4111 1111 1111 1112 and id 1234567890123",
                &mut counts
            ),
            None
        );
        assert!(luhn("5500 0000 0000 0004"));
    }

    #[test]
    fn keyed_hash_correlates_without_revealing() {
        let r = Redactor::new(&["emails"], &[], Replacement::KeyedHash(b"k".to_vec())).unwrap();
        let mut c = vec![0];
        let a = r.redact("from bob@example.com", &mut c).unwrap();
        let b = r.redact("to bob@example.com", &mut c).unwrap();
        let other = r.redact("to eve@example.com", &mut c).unwrap();
        assert!(!a.contains("bob"));
        assert_eq!(
            a.split(' ').nth(1),
            b.split(' ').nth(1),
            "same value, same hash"
        );
        assert_ne!(b, other);
        assert_eq!(c, [3]);
    }

    #[test]
    fn custom_patterns_with_a_secret_group() {
        let r = Redactor::new(
            &[],
            &[("ssn".into(), r"ssn=(?P<secret>\d{3}-\d{2}-\d{4})\b".into())],
            Replacement::Text("***".into()),
        )
        .unwrap();
        let mut c = vec![0];
        assert_eq!(
            r.redact("x ssn=123-45-6789 y", &mut c).as_deref(),
            Some("x ssn=*** y")
        );
    }
}
