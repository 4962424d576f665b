//! The Beats source's settings (★ keys).

use serde::Deserialize;
use sluice_core::config::{Build, ByteSize, HumanDuration};
use std::net::SocketAddr;
use std::time::Duration;

/// `type = "beats"`: Lumberjack v2 (Filebeat, Winlogbeat, pylogbeat, Logstash's output).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where to listen.
    pub address: SocketAddr,
    /// Open connections at most.
    pub max_connections: usize,
    /// Close a connection that sends nothing (and awaits no ACK) for this long.
    pub idle_timeout: HumanDuration,
    /// Largest window a client may announce, in events.
    pub max_window: u32,
    /// Largest single frame, compressed blocks included.
    pub max_frame_bytes: ByteSize,
    /// Largest size a compressed block may inflate to.
    pub max_inflated_bytes: ByteSize,
    /// While a window waits for the pipeline, send a keepalive ACK this often.
    pub ack_keepalive: HumanDuration,
    /// Bytes one window may hold before it is complete; past it the connection is closed
    /// (the client resends the window).
    pub max_window_bytes: ByteSize,
    /// Bytes of incomplete windows, all connections together (and, apart, of inflated
    /// compressed blocks). A connection that cannot get room within a few seconds is
    /// closed; its client resends.
    pub max_inflight_bytes: ByteSize,
    /// TLS: `{ crt_file, key_file, ca_file, verify_client }` (certificates reloaded when
    /// their files change).
    pub tls: Option<sluice_core::tls::ServerTlsConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            address: SocketAddr::from(([0, 0, 0, 0], 5044)),
            max_connections: crate::DEFAULT_MAX_CONNECTIONS,
            // Logstash's client_inactivity_timeout.
            idle_timeout: HumanDuration(Duration::from_secs(60)),
            max_window: 16384,
            max_frame_bytes: ByteSize(16 << 20),
            max_inflated_bytes: ByteSize(64 << 20),
            ack_keepalive: HumanDuration(Duration::from_secs(5)),
            max_window_bytes: ByteSize(64 << 20),
            max_inflight_bytes: ByteSize(256 << 20),
            tls: None,
        }
    }
}

impl Config {
    /// Checks the limits against each other.
    pub fn build(self, b: &mut Build<'_>) -> Option<Self> {
        crate::tls::check(self.tls.as_ref(), b);
        b.at_least_one("max_connections", self.max_connections);
        b.at_least_one("max_window", self.max_window as usize);
        if self.max_frame_bytes.0 < 1024 {
            b.push("max_frame_bytes", "must be at least 1KiB");
        }
        if self.max_inflated_bytes.0 < self.max_frame_bytes.0 {
            b.push(
                "max_inflated_bytes",
                "must be at least max_frame_bytes (a block inflates to more than it takes on the wire)",
            );
        }
        if self.max_inflight_bytes.0 < self.max_window_bytes.0.max(self.max_inflated_bytes.0) {
            b.push(
                "max_inflight_bytes",
                "must be at least max_window_bytes and max_inflated_bytes (one whole window, and one inflated block, must fit)",
            );
        }
        if self.ack_keepalive.0.is_zero() {
            b.push("ack_keepalive", "must be longer than 0s");
        }
        // Kept even with problems, so that the graph checks (listener clashes) still
        // run and report in the same pass.
        Some(self)
    }
}
