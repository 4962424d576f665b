//! [`Map`]: an event object, as a sorted vector of entries.
//!
//! Why not `BTreeMap`: a syslog event has about eight objects of two to twelve keys each.
//! A B-tree leaf for these entries is over 600 bytes whatever the count, and every key was
//! a heap `String`. Profiling the file pipeline showed building, serialising and freeing
//! those trees as the largest cost. A sorted vector holds the entries in one right-sized
//! allocation, keys of up to 24 bytes live inline ([`Key`]), and iteration is a slice walk.
//! Lookups are a binary search over a handful of keys. Output stays sorted, so JSON is
//! deterministic as before.
//!
//! Very wide objects (thousands of keys from a client's JSON) are built in one sort by
//! [`Map::from_iter`], not by repeated insertion.

use crate::Value;
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;

/// Whether two keys are equal, without a `bcmp` call for keys of up to 16 bytes: two
/// overlapping 8-byte loads (or a byte loop under 8) decide.
#[inline]
fn key_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if (8..=16).contains(&n) {
        let word =
            |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().unwrap_or_default());
        return word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8);
    }
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    a == b
}

/// Byte-wise order of two keys, as `str`'s `Ord`, without a `memcmp` call for the short
/// keys events have: most pairs differ within the first bytes. Profiles of grok and the
/// syslog decoder had a fifth of their time in `memcmp` from key comparisons.
#[inline]
fn cmp_key(a: &[u8], b: &[u8]) -> Ordering {
    let n = a.len().min(b.len());
    if n >= 8 {
        let x = u64::from_be_bytes(a[..8].try_into().unwrap_or_default());
        let y = u64::from_be_bytes(b[..8].try_into().unwrap_or_default());
        if x != y {
            return x.cmp(&y);
        }
        return a[8..].cmp(&b[8..]);
    }
    for i in 0..n {
        if a[i] != b[i] {
            return a[i].cmp(&b[i]);
        }
    }
    a.len().cmp(&b.len())
}

/// Objects up to this many keys are searched by an equality scan.
const SCAN_MAX: usize = 16;

/// A field name. Up to 24 bytes are stored inline, without an allocation.
pub type Key = compact_str::CompactString;

/// An object: field name to value, kept sorted by name.
#[derive(Clone, Default, PartialEq)]
pub struct Map {
    entries: Vec<(Key, Value)>,
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

impl Map {
    /// An empty map.
    pub const fn new() -> Self {
        Map {
            entries: Vec::new(),
        }
    }

    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        Map {
            entries: Vec::with_capacity(n),
        }
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        let key = key.as_bytes();
        self.entries
            .binary_search_by(|(k, _)| cmp_key(k.as_bytes(), key))
    }

    /// Whether `key` sorts after every key present, so that it can be appended.
    #[inline]
    fn goes_last(&self, key: &str) -> bool {
        self.entries
            .last()
            .is_none_or(|(k, _)| cmp_key(k.as_bytes(), key.as_bytes()).is_lt())
    }

    /// Puts a new entry at `i`, where [`Map::slot`] said it belongs; the common append
    /// is a plain push.
    #[inline]
    fn place(&mut self, i: usize, key: Key, value: Value) {
        if i == self.entries.len() {
            self.entries.push((key, value));
        } else {
            self.entries.insert(i, (key, value));
        }
    }

    /// Where `key` is (`Ok`), or where it belongs (`Err`). Builders often add keys in
    /// order, so a key past the last one is placed without a search.
    #[inline]
    fn slot(&self, key: &str) -> Result<usize, usize> {
        if self.goes_last(key) {
            Err(self.entries.len())
        } else {
            self.find(key)
        }
    }

    /// Where `key` is. Objects of up to [`SCAN_MAX`] keys (nearly all of an event's) are
    /// scanned for equality, which rejects most keys on their length alone and was
    /// measured cheaper than a binary search that orders strings (a condition on
    /// `[log][syslog][severity][code]` spent 46% of its time in the search).
    fn index_of(&self, key: &str) -> Option<usize> {
        if self.entries.len() <= SCAN_MAX {
            let k = key.as_bytes();
            self.entries
                .iter()
                .position(|(e, _)| key_eq(e.as_bytes(), k))
        } else {
            self.find(key).ok()
        }
    }

    /// The value at `key`.
    pub fn get<Q: Borrow<str> + ?Sized>(&self, key: &Q) -> Option<&Value> {
        let i = self.index_of(key.borrow())?;
        Some(&self.entries[i].1)
    }

    /// The value at `key`, to change.
    pub fn get_mut<Q: Borrow<str> + ?Sized>(&mut self, key: &Q) -> Option<&mut Value> {
        let i = self.index_of(key.borrow())?;
        Some(&mut self.entries[i].1)
    }

    /// True when `key` is present.
    pub fn contains_key<Q: Borrow<str> + ?Sized>(&self, key: &Q) -> bool {
        self.index_of(key.borrow()).is_some()
    }

    /// Sets `key`; returns the value it replaced. Inlined: moving a 64-byte entry through
    /// a call's stack frame stalled on store forwarding (a quarter of the decoder's time).
    #[inline]
    pub fn insert(&mut self, key: Key, value: Value) -> Option<Value> {
        match self.slot(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.place(i, key, value);
                None
            }
        }
    }

    /// Appends an entry whose key sorts after every key present: for builders that add
    /// fixed keys in order, which then pay for neither a comparison nor a call. The
    /// order is the builder's promise, checked in debug builds.
    #[inline(always)]
    pub fn push_in_order(&mut self, key: Key, value: Value) {
        debug_assert!(self.goes_last(&key), "{key:?} is out of order");
        self.entries.push((key, value));
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q: Borrow<str> + ?Sized>(&mut self, key: &Q) -> Option<Value> {
        let i = self.index_of(key.borrow())?;
        Some(self.entries.remove(i).1)
    }

    /// Sets `key` to `value` when absent; otherwise hands the present value and `value`
    /// to `merge`. One search either way.
    pub fn upsert(&mut self, key: &str, value: Value, merge: impl FnOnce(&mut Value, Value)) {
        match self.slot(key) {
            Ok(i) => merge(&mut self.entries[i].1, value),
            Err(i) => self.place(i, Key::from(key), value),
        }
    }

    /// The value at `key`, inserted from `default` first when absent.
    pub fn get_or_insert_with(&mut self, key: &str, default: impl FnOnce() -> Value) -> &mut Value {
        let i = match self.slot(key) {
            Ok(i) => i,
            Err(i) => {
                self.place(i, Key::from(key), default());
                i
            }
        };
        &mut self.entries[i].1
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Key, &Value)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Entries in key order, values to change.
    pub fn iter_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = (&Key, &mut Value)> + ExactSizeIterator {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Key> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Values in key order, to change.
    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut Value> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// Keeps the entries for which `f` is true.
    pub fn retain(&mut self, mut f: impl FnMut(&Key, &mut Value) -> bool) {
        self.entries.retain_mut(|(k, v)| f(k, v));
    }

    /// The entries as a sorted slice.
    pub fn as_slice(&self) -> &[(Key, Value)] {
        &self.entries
    }
}

impl std::ops::Index<&str> for Map {
    type Output = Value;
    /// Like `BTreeMap`'s index: panics when the key is absent. For tests and known keys.
    fn index(&self, key: &str) -> &Value {
        match self.get(key) {
            Some(v) => v,
            None => panic!("no key {key:?} in map"),
        }
    }
}

impl<K: Into<Key>> FromIterator<(K, Value)> for Map {
    /// Sorts once; of duplicate keys the last wins, as with repeated inserts.
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Self {
        let mut entries: Vec<(Key, Value)> = iter.into_iter().map(|(k, v)| (k.into(), v)).collect();
        // Stable sort keeps arrival order among equal keys; keep the last of each run.
        entries.sort_by(|a, b| cmp_key(a.0.as_bytes(), b.0.as_bytes()));
        let mut out: Vec<(Key, Value)> = Vec::with_capacity(entries.len());
        for e in entries {
            match out.last_mut() {
                Some(last) if last.0 == e.0 => *last = e,
                _ => out.push(e),
            }
        }
        Map { entries: out }
    }
}

impl<K: Into<Key>> Extend<(K, Value)> for Map {
    fn extend<I: IntoIterator<Item = (K, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k.into(), v);
        }
    }
}

impl IntoIterator for Map {
    type Item = (Key, Value);
    type IntoIter = std::vec::IntoIter<(Key, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a Key, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Key, Value)>,
        fn(&'a (Key, Value)) -> (&'a Key, &'a Value),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_equality_is_str_equality() {
        let keys = [
            "",
            "a",
            "b",
            "ab",
            "abcdefg",
            "abcdefh",
            "abcdefgh",
            "abcdefgi",
            "bbcdefgh",
            "abcdefghijklmnop",
            "abcdefghijklmnoq",
            "bbcdefghijklmnop",
            "abcdefghXjklmnop",
            "abcdefghijklmnopq",
            "abcdefghijklmnopr",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(key_eq(a.as_bytes(), b.as_bytes()), a == b, "{a:?} vs {b:?}");
            }
        }
    }

    /// Lookups agree whichever search a map's size picks.
    #[test]
    fn lookups_in_small_and_large_maps() {
        for n in [1usize, 8, 9, 16, 17, 40] {
            let mut m = Map::new();
            for i in (0..n).rev() {
                m.insert(format!("key{i:03}").into(), Value::Integer(i as i64));
            }
            for i in 0..n {
                assert_eq!(
                    m.get(&format!("key{i:03}")),
                    Some(&Value::Integer(i as i64))
                );
            }
            assert_eq!(m.get("key"), None);
            assert_eq!(m.get("zzz"), None);
        }
    }

    #[test]
    fn key_order_is_str_order() {
        let keys = [
            "",
            "a",
            "ab",
            "abc",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefgi",
            "abcdefh",
            "b",
            "\u{0}",
            "a\u{0}",
            "abcdefgh\u{0}",
            "zzzzzzzzzzzz",
            "zzzzzzzzzzzy",
            "é",
            "e",
            "@timestamp",
            "message",
            "messages",
            "host",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(
                    cmp_key(a.as_bytes(), b.as_bytes()),
                    a.cmp(b),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }

    #[test]
    fn stays_sorted_and_replaces() {
        let mut m = Map::new();
        for k in ["m", "b", "z", "a", "b"] {
            m.insert(k.into(), Value::from(k));
        }
        assert_eq!(
            m.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["a", "b", "m", "z"]
        );
        assert_eq!(
            m.insert("m".into(), Value::Integer(1)),
            Some(Value::from("m"))
        );
        assert_eq!(m.get("m"), Some(&Value::Integer(1)));
        assert_eq!(m.remove("a"), Some(Value::from("a")));
        assert!(!m.contains_key("a"));
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn from_iter_keeps_the_last_duplicate() {
        let m: Map = [
            ("b", Value::Integer(1)),
            ("a", Value::Integer(2)),
            ("b", Value::Integer(3)),
        ]
        .into_iter()
        .collect();
        assert_eq!(m.as_slice().len(), 2);
        assert_eq!(m.get("b"), Some(&Value::Integer(3)));
    }

    #[test]
    fn get_or_insert_with_inserts_once() {
        let mut m = Map::new();
        *m.get_or_insert_with("n", || Value::Integer(0)) = Value::Integer(5);
        assert_eq!(
            m.get_or_insert_with("n", || Value::Integer(0)),
            &Value::Integer(5)
        );
    }
}
