//! The Drain tree and its clusters.

use super::{fnv1a, Found, Params, WILDCARD};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One template and how it is used.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Cluster {
    id: u64,
    tokens: Vec<String>,
    size: u64,
    /// The add counter when last matched, for forgetting the least recently used.
    used: u64,
}

/// A node: children by token, or (at the leaf level) clusters by index.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Node {
    children: HashMap<String, Node>,
    clusters: Vec<u32>,
}

/// A Drain parser: the tree and the clusters.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Drain {
    params: Params,
    /// By token count.
    root: HashMap<usize, Node>,
    /// Clusters by slot; `None` once forgotten (the slot is reused).
    clusters: Vec<Option<Cluster>>,
    free: Vec<u32>,
    live: usize,
    adds: u64,
}

fn has_digit(t: &str) -> bool {
    t.bytes().any(|b| b.is_ascii_digit())
}

impl Drain {
    /// A parser with `params` (depth at least 3, similarity in 0..=1).
    pub fn new(mut params: Params) -> Self {
        params.depth = params.depth.max(3);
        params.max_children = params.max_children.max(2);
        params.max_clusters = params.max_clusters.max(1);
        Drain {
            params,
            root: HashMap::new(),
            clusters: Vec::new(),
            free: Vec::new(),
            live: 0,
            adds: 0,
        }
    }

    /// Its parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Clusters now.
    pub fn len(&self) -> usize {
        self.live
    }

    /// No cluster yet.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Every cluster: id, template, messages.
    pub fn clusters(&self) -> impl Iterator<Item = (u64, String, u64)> + '_ {
        self.clusters
            .iter()
            .flatten()
            .map(|c| (c.id, c.tokens.join(" "), c.size))
    }

    /// The tokens of `message` (already masked): whitespace-separated, and with
    /// `mask_digits` each token with a digit as `<*>`.
    pub fn tokens<'a>(&self, message: &'a str) -> Vec<&'a str> {
        message
            .split_whitespace()
            .map(|t| {
                if self.params.mask_digits && has_digit(t) {
                    WILDCARD
                } else {
                    t
                }
            })
            .collect()
    }

    /// The template of `message` now (its cluster's), without learning from it.
    pub fn template_of(&self, message: &str) -> Option<(u64, String)> {
        let tokens = self.tokens(message);
        let leaf = self.leaf(&tokens)?;
        let c = self.best(leaf, &tokens)?;
        let c = self.clusters[c as usize].as_ref()?;
        Some((c.id, c.tokens.join(" ")))
    }

    /// Learns from `message` (already masked) and returns its cluster.
    pub fn add(&mut self, message: &str) -> Found {
        let tokens = self.tokens(message);
        self.adds += 1;
        let now = self.adds;
        if let Some(slot) = self.leaf(&tokens).and_then(|leaf| self.best(leaf, &tokens)) {
            let c = self.clusters[slot as usize]
                .as_mut()
                .expect("leaves hold live clusters");
            for (t, m) in c.tokens.iter_mut().zip(&tokens) {
                if t != m && t != WILDCARD {
                    *t = WILDCARD.to_owned();
                }
            }
            c.size += 1;
            c.used = now;
            return Found {
                id: c.id,
                template: c.tokens.join(" "),
                new: false,
            };
        }
        if self.live >= self.params.max_clusters {
            self.forget();
        }
        let template = tokens.join(" ");
        let cluster = Cluster {
            id: fnv1a(&template),
            tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
            size: 1,
            used: now,
        };
        let id = cluster.id;
        let slot = match self.free.pop() {
            Some(s) => {
                self.clusters[s as usize] = Some(cluster);
                s
            }
            None => {
                self.clusters.push(Some(cluster));
                (self.clusters.len() - 1) as u32
            }
        };
        self.live += 1;
        self.insert(&tokens, slot);
        Found {
            id,
            template,
            new: true,
        }
    }

    /// The leaf `tokens` lead to, if the tree has one.
    fn leaf(&self, tokens: &[&str]) -> Option<&Node> {
        let mut node = self.root.get(&tokens.len())?;
        for t in tokens.iter().take(self.params.depth - 2) {
            node = node
                .children
                .get(*t)
                .or_else(|| node.children.get(WILDCARD))?;
        }
        Some(node)
    }

    /// The most similar cluster of `leaf`, if similar enough.
    fn best(&self, leaf: &Node, tokens: &[&str]) -> Option<u32> {
        let mut best: Option<(f64, usize, u32)> = None;
        for &slot in &leaf.clusters {
            let Some(c) = &self.clusters[slot as usize] else {
                continue;
            };
            let (mut same, mut wild) = (0usize, 0usize);
            for (t, m) in c.tokens.iter().zip(tokens) {
                // A masked token (`<*>` already in the message) matches a wildcard, as
                // Drain3's named masks do; otherwise a message of mostly variables
                // would never join its own template.
                if t == WILDCARD {
                    wild += 1;
                    if self.params.masked_match && *m == WILDCARD {
                        same += 1;
                    }
                } else if t == m {
                    same += 1;
                }
            }
            let sim = if tokens.is_empty() {
                1.0
            } else {
                same as f64 / tokens.len() as f64
            };
            if best.is_none_or(|(s, w, _)| sim > s || (sim == s && wild > w)) {
                best = Some((sim, wild, slot));
            }
        }
        best.filter(|(s, _, _)| *s >= self.params.similarity)
            .map(|(_, _, slot)| slot)
    }

    /// Adds cluster `slot` under the path of `tokens`, growing the tree.
    fn insert(&mut self, tokens: &[&str], slot: u32) {
        let max = self.params.max_children;
        let levels = self.params.depth - 2;
        let mut node = self.root.entry(tokens.len()).or_default();
        for t in tokens.iter().take(levels) {
            let key = if node.children.contains_key(*t) {
                (*t).to_owned()
            } else if has_digit(t) || *t == WILDCARD {
                WILDCARD.to_owned()
            } else if node.children.contains_key(WILDCARD) {
                if node.children.len() < max {
                    (*t).to_owned()
                } else {
                    WILDCARD.to_owned()
                }
            } else if node.children.len() + 1 < max {
                (*t).to_owned()
            } else {
                WILDCARD.to_owned()
            };
            node = node.children.entry(key).or_default();
        }
        node.clusters.push(slot);
    }

    /// Forgets the least recently used tenth of the clusters.
    fn forget(&mut self) {
        let mut used: Vec<(u64, u32)> = self
            .clusters
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (c.used, i as u32)))
            .collect();
        let n = (used.len() / 10).max(1);
        used.select_nth_unstable(n - 1);
        let gone: std::collections::HashSet<u32> = used[..n].iter().map(|(_, s)| *s).collect();
        for &s in &gone {
            self.clusters[s as usize] = None;
            self.free.push(s);
        }
        self.live -= gone.len();
        fn prune(node: &mut Node, gone: &std::collections::HashSet<u32>) {
            node.clusters.retain(|s| !gone.contains(s));
            for c in node.children.values_mut() {
                prune(c, gone);
            }
            node.children
                .retain(|_, c| !c.clusters.is_empty() || !c.children.is_empty());
        }
        for n in self.root.values_mut() {
            prune(n, &gone);
        }
        self.root
            .retain(|_, n| !n.clusters.is_empty() || !n.children.is_empty());
    }
}
