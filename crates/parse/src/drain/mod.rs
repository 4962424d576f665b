//! Drain: online log template mining (He et al., "Drain: An Online Log Parsing Approach
//! with Fixed Depth Tree", ICWS 2017), written for sluice.
//!
//! A message is split into tokens at whitespace, after `masks` (regexes) and, with
//! `mask_digits`, every token that contains a digit have become `<*>`. The tree's first
//! level is the token count; the next `depth - 2` levels are the leading tokens (a token
//! with a digit, or any token once a node has `max_children`, goes under `<*>`). A leaf
//! holds clusters; the message joins the most similar one (the share of positions with
//! the same token; a `<*>` of the template counts as the same only for a `<*>` already in
//! the message, with `masked_match`, as Drain3's named masks do, and never in the
//! original Drain; ties go to the template with more `<*>`) when that
//! share reaches `similarity`, and the template's differing
//! positions become `<*>`. Otherwise it starts a cluster of its own.
//!
//! Bounded: at most `max_clusters` clusters; past it the least recently used tenth is
//! forgotten. Serialisable, so a running transform keeps what it learned across restarts.
//!
//! A cluster's id is a hash of the first message that made it (16 hex digits): stable as
//! the template generalises, so `new_term` on it fires for a new message shape once.

mod tree;

use serde::{Deserialize, Serialize};
pub use tree::Drain;

/// The wildcard of a template.
pub const WILDCARD: &str = "<*>";

/// Drain's parameters.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Params {
    /// Tree depth, at least 3 (root, length, then `depth - 2` token levels).
    pub depth: usize,
    /// Similarity a message needs to join a cluster, 0 to 1.
    pub similarity: f64,
    /// Children per tree node at most.
    pub max_children: usize,
    /// Clusters at most.
    pub max_clusters: usize,
    /// Tokens with a digit are variables.
    pub mask_digits: bool,
    /// A masked token of the message matches a `<*>` of a template (without it, a
    /// message of mostly variables never joins its own template, as in the original).
    pub masked_match: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            depth: 4,
            similarity: 0.5,
            max_children: 100,
            max_clusters: 10_000,
            mask_digits: true,
            masked_match: true,
        }
    }
}

/// What [`Drain::add`] found for a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The cluster's id.
    pub id: u64,
    /// Its template now.
    pub template: String,
    /// The cluster is new.
    pub new: bool,
}

/// FNV-1a, 64 bits: a cluster id that stays the same across runs and builds.
pub fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A cluster id as written in `log.template_id`.
pub fn id_hex(id: u64) -> String {
    format!("{id:016x}")
}

#[cfg(test)]
mod tests;
