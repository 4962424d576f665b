//! The Elasticsearch sink's settings (★ keys).

use serde::Deserialize;
use sluice_core::config::{Build, ByteSize, HumanDuration};
use sluice_parse::template::Template;
use std::collections::BTreeMap;
use std::time::Duration;

/// `action`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Index (replace a document with the same id).
    #[default]
    Index,
    /// Create only: a document whose id exists is a duplicate (409), not an error.
    Create,
}

impl Action {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::Index => "index",
            Action::Create => "create",
        }
    }
}

/// What is done with a bulk item that failed with a status (`on_status`).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OnStatus {
    /// Send it again, with back-off.
    Retry,
    /// Write it to the dead-letter file.
    DeadLetter,
}

/// `auth`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, untagged)]
pub enum Auth {
    /// HTTP basic.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// `Authorization: ApiKey ...`.
    ApiKey {
        /// The encoded API key.
        api_key: String,
    },
}

/// `retry = { initial, max }`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// The first wait.
    pub initial: HumanDuration,
    /// The longest wait (each doubles, with jitter).
    pub max: HumanDuration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        // Logstash's: 2 s doubling to 64 s.
        RetryConfig {
            initial: HumanDuration(Duration::from_secs(2)),
            max: HumanDuration(Duration::from_secs(64)),
        }
    }
}

/// `type = "elasticsearch"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    endpoints: Vec<String>,
    #[serde(default = "default_index")]
    index: String,
    #[serde(default)]
    action: Action,
    #[serde(default)]
    document_id: Option<String>,
    #[serde(default)]
    pipeline: Option<String>,
    #[serde(default)]
    auth: Option<Auth>,
    #[serde(default)]
    compression: Option<crate::file::Compression>,
    #[serde(default = "default_batch_events")]
    batch_max_events: usize,
    #[serde(default = "default_batch_bytes")]
    batch_max_bytes: ByteSize,
    #[serde(default = "default_batch_timeout")]
    batch_timeout: HumanDuration,
    #[serde(default = "default_request_timeout")]
    request_timeout: HumanDuration,
    #[serde(default = "default_in_flight")]
    max_in_flight: usize,
    #[serde(default)]
    retry: RetryConfig,
    /// Attempts per item before it is dead-lettered; absent: forever.
    #[serde(default)]
    max_retries: Option<u32>,
    #[serde(default)]
    on_status: BTreeMap<String, OnStatus>,
    /// Accepted so that a config naming it gets a clear "not yet" from `build`.
    #[serde(default)]
    tls: Option<serde::de::IgnoredAny>,
    /// Accepted so that a config naming it gets a clear "not yet" from `build`.
    #[serde(default)]
    data_stream: Option<serde::de::IgnoredAny>,
}

fn default_index() -> String {
    "logstash-%{+YYYY.MM.dd}".into()
}
fn default_batch_events() -> usize {
    1000
}
fn default_batch_bytes() -> ByteSize {
    ByteSize(10 << 20)
}
fn default_batch_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(1))
}
fn default_in_flight() -> usize {
    4
}
fn default_request_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(60))
}

/// A built Elasticsearch sink's settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `host:port` of each endpoint (plain HTTP).
    pub endpoints: Vec<(String, String)>,
    /// The index of each event.
    pub index: Template,
    /// index or create.
    pub action: Action,
    /// The id of each event, when set: retries then never duplicate.
    pub document_id: Option<Template>,
    /// An ingest pipeline.
    pub pipeline: Option<String>,
    /// The `Authorization` header value.
    pub authorization: Option<String>,
    /// gzip the request bodies.
    pub gzip: bool,
    /// Events per request at most.
    pub batch_max_events: usize,
    /// Body bytes per request at most (before compression).
    pub batch_max_bytes: usize,
    /// How long a partial batch waits for more events.
    pub batch_timeout: Duration,
    /// One request's time limit.
    pub request_timeout: Duration,
    /// Requests at once (each batch is one or more requests, sent in order).
    pub max_in_flight: usize,
    /// Back-off.
    pub retry: RetryConfig,
    /// Attempts per item; `None`: forever.
    pub max_retries: Option<u32>,
    /// What an item that failed with a status becomes.
    pub on_status: BTreeMap<u16, OnStatus>,
}

impl Settings {
    /// What an item that failed with `status` becomes: `on_status`, else Logstash's
    /// rules (429 and 5xx are retried, other errors are dead-lettered).
    pub fn policy(&self, status: u16) -> OnStatus {
        if let Some(p) = self.on_status.get(&status) {
            return *p;
        }
        if status == 429 || status >= 500 {
            OnStatus::Retry
        } else {
            OnStatus::DeadLetter
        }
    }
}

fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for c in input.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Config {
    /// Checks the endpoints, templates and policies.
    pub fn build(self, b: &mut Build<'_>) -> Option<Settings> {
        let mark = b.mark();
        if self.endpoints.is_empty() {
            b.push(
                "endpoints",
                "needs at least one endpoint, like \"http://127.0.0.1:9200\"",
            );
        }
        let mut endpoints = Vec::new();
        for (i, e) in self.endpoints.iter().enumerate() {
            let key = format!("endpoints[{i}]");
            if e.starts_with("https://") {
                b.push(
                    key,
                    "https endpoints are not implemented yet (TLS is a later issue); use http://",
                );
                continue;
            }
            let Some(rest) = e.strip_prefix("http://") else {
                b.push(key, format!("`{e}` is not an http:// URL"));
                continue;
            };
            let rest = rest.trim_end_matches('/');
            let (hostport, prefix) = match rest.split_once('/') {
                Some((h, p)) => (h, format!("/{p}")),
                None => (rest, String::new()),
            };
            let hostport = if hostport.contains(':') {
                hostport.to_owned()
            } else {
                format!("{hostport}:9200")
            };
            endpoints.push((hostport, prefix));
        }
        if self.tls.is_some() {
            b.push(
                "tls",
                "TLS is not implemented yet for this sink (a later issue)",
            );
        }
        if self.data_stream.is_some() {
            b.push(
                "data_stream",
                "data streams are not implemented yet; use `index` with action = \"create\"",
            );
        }
        let index = b.template(&self.index, "index");
        let document_id = self
            .document_id
            .as_deref()
            .and_then(|t| b.template(t, "document_id"));
        b.at_least_one("batch_max_events", self.batch_max_events);
        b.at_least_one("max_in_flight", self.max_in_flight);
        let mut on_status = BTreeMap::new();
        for (k, v) in &self.on_status {
            match k.parse::<u16>() {
                Ok(s) if (400..600).contains(&s) => {
                    on_status.insert(s, *v);
                }
                _ => b.push(
                    format!("on_status.{k}"),
                    "expected an HTTP error status (400-599)",
                ),
            }
        }
        if self.retry.initial.0.is_zero() || self.retry.max.0 < self.retry.initial.0 {
            b.push("retry", "initial must be above 0s and max at least initial");
        }
        let authorization = self.auth.map(|a| match a {
            Auth::Basic { user, password } => {
                format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
            }
            Auth::ApiKey { api_key } => format!("ApiKey {api_key}"),
        });
        if !b.clean_since(mark) {
            return None;
        }
        Some(Settings {
            endpoints,
            index: index?,
            action: self.action,
            document_id,
            pipeline: self.pipeline,
            authorization,
            gzip: self.compression.is_some(),
            batch_max_events: self.batch_max_events,
            batch_max_bytes: self.batch_max_bytes.0 as usize,
            batch_timeout: self.batch_timeout.0,
            request_timeout: self.request_timeout.0,
            max_in_flight: self.max_in_flight,
            retry: self.retry,
            max_retries: self.max_retries,
            on_status,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_as_rfc_4648() {
        assert_eq!(super::base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(super::base64(b"a"), "YQ==");
        assert_eq!(super::base64(b"ab"), "YWI=");
    }
}
