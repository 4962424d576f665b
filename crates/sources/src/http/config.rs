//! The HTTP source's settings (★ keys).

use serde::Deserialize;
use sluice_core::config::{Build, ByteSize, HumanDuration};
use std::net::SocketAddr;
use std::time::Duration;

/// `type = "http"`: `POST` NDJSON or a JSON array of objects.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where to listen.
    pub address: SocketAddr,
    /// The one path that accepts events.
    pub path: String,
    /// Larger bodies (after gzip decoding, too) are refused with 413.
    pub max_body_bytes: ByteSize,
    /// Credentials every request must carry.
    pub auth: Option<Auth>,
    /// Open connections at most.
    pub max_connections: usize,
    /// How long a request waits for its events to be written before answering 503.
    pub ack_timeout: HumanDuration,
    /// A request's headers must arrive within this, and a kept-alive connection is closed
    /// when no next request starts within it (slow-loris, idle sockets).
    pub header_timeout: HumanDuration,
    /// A request's whole body must arrive within this, or it is answered 408.
    pub body_timeout: HumanDuration,
    /// More events in one request are refused with 413 before any is parsed.
    pub max_events_per_request: usize,
    /// Request bodies being read and parsed, all connections together; past it, 429.
    pub max_inflight_bytes: ByteSize,
    /// TLS: `{ crt_file, key_file, ca_file, verify_client }` (certificates reloaded when
    /// their files change).
    pub tls: Option<sluice_core::tls::ServerTlsConfig>,
}

/// `auth = { bearer_token = "..." }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// Requests must carry `Authorization: Bearer <token>`.
    pub bearer_token: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            address: SocketAddr::from(([0, 0, 0, 0], 8080)),
            path: "/".into(),
            max_body_bytes: ByteSize(10 << 20),
            auth: None,
            max_connections: crate::DEFAULT_MAX_CONNECTIONS,
            ack_timeout: HumanDuration(Duration::from_secs(30)),
            header_timeout: HumanDuration(Duration::from_secs(10)),
            body_timeout: HumanDuration(Duration::from_secs(30)),
            max_events_per_request: 100_000,
            max_inflight_bytes: ByteSize(256 << 20),
            tls: None,
        }
    }
}

impl Config {
    /// Checks the path and the token.
    pub fn build(self, b: &mut Build<'_>) -> Option<Self> {
        crate::tls::check(self.tls.as_ref(), b);
        b.at_least_one("max_connections", self.max_connections);
        b.at_least_one("max_events_per_request", self.max_events_per_request);
        if self.header_timeout.0.is_zero() || self.body_timeout.0.is_zero() {
            b.push(
                if self.header_timeout.0.is_zero() {
                    "header_timeout"
                } else {
                    "body_timeout"
                },
                "must be longer than 0s",
            );
        }
        if self.max_inflight_bytes.0 < self.max_body_bytes.0 {
            b.push(
                "max_inflight_bytes",
                "must be at least max_body_bytes (one largest request must fit)",
            );
        }
        if !self.path.starts_with('/') {
            b.push("path", format!("must start with `/` (got `{}`)", self.path));
        }
        if self
            .auth
            .as_ref()
            .is_some_and(|a| a.bearer_token.is_empty())
        {
            b.push("auth.bearer_token", "must not be empty");
        }
        // Kept even with problems, so that the graph checks (listener clashes) still
        // run and report in the same pass.
        Some(self)
    }
}
