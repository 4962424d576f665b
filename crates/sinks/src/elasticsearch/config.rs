//! The Elasticsearch sink's settings (★ keys).

use super::data_stream::{DataStream, DataStreamConfig};
use serde::Deserialize;
use sluice_core::config::{Build, ByteSize, HumanDuration};
use sluice_core::tls::ClientTlsConfig;
use sluice_parse::template::Template;
use std::collections::BTreeMap;
use std::sync::Arc;
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
    /// Absent: `logstash-%{+YYYY.MM.dd}`, unless `data_stream` is set.
    #[serde(default)]
    index: Option<String>,
    /// Absent: `index`, or `create` with `data_stream`.
    #[serde(default)]
    action: Option<Action>,
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
    /// For `https://` endpoints: `{ ca_file, verify }`; absent: the system's trust store.
    #[serde(default)]
    tls: Option<ClientTlsConfig>,
    #[serde(default)]
    data_stream: Option<DataStreamConfig>,
}

const DEFAULT_INDEX: &str = "logstash-%{+YYYY.MM.dd}";
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

/// Where events are written.
#[derive(Clone, Debug)]
pub enum Target {
    /// An index, by template.
    Index(Template),
    /// A data stream, by event or by config.
    DataStream(DataStream),
}

/// One node: `http[s]://host[:port][/prefix]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `https://`.
    pub tls: bool,
    /// The host name or address (for TLS's server name), without brackets.
    pub host: String,
    /// `host:port`, to connect to and for the `Host` header and metric labels.
    pub addr: String,
    /// A path prefix (a proxy's), without a trailing slash; empty for none.
    pub prefix: String,
}

impl Endpoint {
    /// Parses an endpoint URL; the port defaults to 9200.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        Self::parse_with_port(url, 9200)
    }

    /// Parses a URL; the port defaults to `default_port` (for `http://`; 443 for
    /// `https://` when `default_port` is 80).
    pub fn parse_with_port(url: &str, default_port: u16) -> Result<Endpoint, String> {
        let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(format!("`{url}` is not an http:// or https:// URL"));
        };
        let rest = rest.trim_end_matches('/');
        let (hostport, prefix) = match rest.split_once('/') {
            Some((h, p)) => (h, format!("/{p}")),
            None => (rest, String::new()),
        };
        if hostport.contains('@') {
            return Err(format!(
                "`{url}` has credentials in it; use `auth = {{ user, password }}`"
            ));
        }
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("`{url}` has an unclosed `[`"))?;
            (h, after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err(format!("`{url}` has no host"));
        }
        let port: u16 = match port {
            Some(p) => p
                .parse()
                .map_err(|_| format!("`{url}` has a bad port `{p}`"))?,
            None if default_port == 80 && tls => 443,
            None => default_port,
        };
        let addr = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Ok(Endpoint {
            tls,
            host: host.to_owned(),
            addr,
            prefix,
        })
    }
}

/// A built Elasticsearch sink's settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The nodes requests go to.
    pub endpoints: Vec<Endpoint>,
    /// The TLS client of the `https://` endpoints.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Where each event goes.
    pub target: Target,
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

/// Standard base64 with padding (RFC 4648), for Basic auth.
fn base64(input: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(input)
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
            match Endpoint::parse(e) {
                Ok(e) => endpoints.push(e),
                Err(why) => b.push(format!("endpoints[{i}]"), why),
            }
        }
        let tls = if endpoints.iter().any(|e| e.tls) {
            match self.tls.clone().unwrap_or_default().build() {
                Ok(c) => Some(c),
                Err(why) => {
                    b.push("tls", why);
                    None
                }
            }
        } else {
            if self.tls.is_some() {
                b.push("tls", "is set, but no endpoint is https://");
            }
            None
        };
        if self.tls.as_ref().is_some_and(|t| !t.verify) {
            tracing::warn!("An Elasticsearch sink has tls.verify = false: it trusts any server.");
        }
        let target = match self.data_stream {
            Some(ds) => {
                if self.index.is_some() {
                    b.push(
                        "index",
                        "a data stream's name comes from data_stream.{type,dataset,namespace}; remove `index`",
                    );
                }
                if self.action == Some(Action::Index) {
                    b.push(
                        "action",
                        "data streams take only `create` (they are append-only); remove `action`",
                    );
                }
                ds.build(b).map(Target::DataStream)
            }
            None => b
                .template(self.index.as_deref().unwrap_or(DEFAULT_INDEX), "index")
                .map(Target::Index),
        };
        let action = match (&target, self.action) {
            (Some(Target::DataStream(_)), _) => Action::Create,
            (_, a) => a.unwrap_or_default(),
        };
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
            tls,
            target: target?,
            action,
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
    use super::Endpoint;

    #[test]
    fn endpoints_parse_with_their_defaults() {
        let e = Endpoint::parse("https://es.example:9243/proxy/").unwrap();
        assert_eq!(
            e,
            Endpoint {
                tls: true,
                host: "es.example".into(),
                addr: "es.example:9243".into(),
                prefix: "/proxy".into()
            }
        );
        let e = Endpoint::parse("http://[::1]").unwrap();
        assert_eq!((e.host.as_str(), e.addr.as_str()), ("::1", "[::1]:9200"));
        assert!(Endpoint::parse("es:9200")
            .unwrap_err()
            .contains("not an http"));
        assert!(Endpoint::parse("http://u:p@es")
            .unwrap_err()
            .contains("auth"));
        assert!(Endpoint::parse("http://es:port")
            .unwrap_err()
            .contains("bad port"));
    }
    #[test]
    fn base64_as_rfc_4648() {
        assert_eq!(super::base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(super::base64(b"a"), "YQ==");
        assert_eq!(super::base64(b"ab"), "YWI=");
    }
}
