//! The source types of the config language (★ `type = "..."`): one line each.

use std::net::SocketAddr;

/// The transport a listener uses; two sources may share an address on different ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Datagrams.
    Udp,
    /// A stream.
    Tcp,
}

impl Transport {
    /// `udp` or `tcp`.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

sluice_core::registry! {
    /// A source's config, by type.
    #[derive(Clone)]
    pub enum SourceConfig -> SourceConfig, wrap = SourceConfig::from;
    "syslog" => Syslog(crate::syslog::Config),
    "beats" => Beats(crate::beats::Config),
    "json_lines" => JsonLines(crate::json_lines::Config),
    "http" => Http(crate::http::Config),
    "stdin" => Stdin(crate::stdin::Config),
}

impl SourceConfig {
    /// The address the source listens on, and over what; `None` for standard input.
    pub fn listener(&self) -> Option<(Transport, SocketAddr)> {
        use crate::syslog::SyslogMode;
        Some(match self {
            SourceConfig::Syslog(c) => match c.mode {
                SyslogMode::Udp => (Transport::Udp, c.address),
                SyslogMode::Tcp | SyslogMode::Tls => (Transport::Tcp, c.address),
            },
            SourceConfig::Beats(c) => (Transport::Tcp, c.address),
            SourceConfig::JsonLines(c) => (Transport::Tcp, c.address),
            SourceConfig::Http(c) => (Transport::Tcp, c.address),
            SourceConfig::Stdin(_) => return None,
        })
    }
}
