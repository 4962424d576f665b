//! The syslog source's settings (★ keys).

use serde::Deserialize;
use sluice_core::config::{Build, ByteSize, HumanDuration, Zone};
use std::net::SocketAddr;

/// The transport of a syslog source.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SyslogMode {
    /// Datagrams; cannot push back, drops and counts when full.
    Udp,
    /// A stream with per-message framing.
    Tcp,
    /// TCP with TLS (RFC 5425): needs `tls`; octet-counted frames by default.
    Tls,
}

/// How TCP messages are delimited.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum FramingConfig {
    /// Per message: octet counting, or else LF or NUL.
    #[default]
    Auto,
    /// RFC 6587 `LEN SP MSG`.
    OctetCounting,
    /// LF-terminated.
    Newline,
    /// NUL-terminated (Python's SysLogHandler over TCP).
    Nul,
}

/// How each message is read.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum MessageCodec {
    /// RFC 5424 / RFC 3164 syslog.
    #[default]
    Syslog,
    /// The message as it is, in `message` (Logstash's `tcp`/`udp` inputs with the
    /// `line` or `plain` codec). On TCP, messages are lines.
    Plain,
    /// A JSON object (Logstash's `udp` with `codec => json`); a message that is not one
    /// is kept in `message`, tagged `_jsonparsefailure`. On TCP, messages are lines.
    Json,
}

/// `type = "syslog"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// udp | tcp | tls.
    pub mode: SyslogMode,
    /// Where to listen.
    pub address: SocketAddr,
    /// TCP framing.
    #[serde(default)]
    pub framing: FramingConfig,
    /// Longer messages are cut, tagged `_truncated` and counted.
    #[serde(default = "default_max_message")]
    pub max_message_bytes: ByteSize,
    /// Zone for RFC 3164 timestamps that carry none.
    #[serde(default)]
    pub timezone: Zone,
    /// Open TCP connections at most.
    #[serde(default = "crate::default_max_connections")]
    pub max_connections: usize,
    /// Close a TCP connection that sends nothing for this long.
    #[serde(default = "crate::default_idle")]
    pub idle_timeout: HumanDuration,
    /// Copy the raw message into `event.original`.
    #[serde(default)]
    pub keep_original: bool,
    /// SO_RCVBUF for UDP; larger rides out bursts.
    #[serde(default)]
    pub receive_buffer_bytes: Option<ByteSize>,
    /// SO_REUSEPORT: several processes may listen on this port on purpose, and the kernel
    /// spreads messages among them. Off, a second listener is refused.
    #[serde(default)]
    pub reuse_port: bool,
    /// Events per batch handed to the pipeline.
    #[serde(default = "crate::default_batch")]
    pub batch_size: usize,
    /// How each message is read: syslog (the default), plain text or JSON.
    #[serde(default)]
    pub codec: MessageCodec,
    /// With `mode = "tls"`: `{ crt_file, key_file, ca_file, verify_client }`.
    #[serde(default)]
    pub tls: Option<sluice_core::tls::ServerTlsConfig>,
}

fn default_max_message() -> ByteSize {
    ByteSize(65536)
}

impl Config {
    /// Checks what serde cannot.
    pub fn build(self, b: &mut Build<'_>) -> Option<Self> {
        match (self.mode, &self.tls) {
            (SyslogMode::Tls, None) => b.push(
                "tls",
                "mode \"tls\" needs tls = { crt_file, key_file } (and ca_file, verify_client for mutual TLS)",
            ),
            (SyslogMode::Udp | SyslogMode::Tcp, Some(_)) => b.push(
                "tls",
                "TLS is for mode = \"tls\" (RFC 5425); with mode \"tcp\" or \"udp\" remove it",
            ),
            _ => crate::tls::check(self.tls.as_ref(), b),
        }
        if self.max_message_bytes.0 < 64 {
            b.push("max_message_bytes", "must be at least 64 bytes");
        }
        b.at_least_one("batch_size", self.batch_size);
        b.at_least_one("max_connections", self.max_connections);
        // Kept even with problems, so that the graph checks (listener clashes) still
        // run and report in the same pass.
        Some(self)
    }
}
