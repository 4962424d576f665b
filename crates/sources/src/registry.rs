//! The source types of the config language (★ `type = "..."`): one line each.

use serde::Deserialize;
use sluice_core::config::Build;
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

macro_rules! registry {
    ($($name:literal => $variant:ident($config:path)),* $(,)?) => {
        /// A source's config, by type.
        #[derive(Clone, Debug, Deserialize)]
        pub enum SourceConfig {
            $(
                #[doc = concat!("`type = \"", $name, "\"`")]
                #[serde(rename = $name)]
                $variant($config),
            )*
        }

        impl SourceConfig {
            /// Every type name, as written in the config.
            pub const TYPES: &'static [&'static str] = &[$($name),*];

            /// The type name, as written in the config.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(SourceConfig::$variant(_) => $name,)*
                }
            }

            /// Checks what serde cannot; problems go to `b`.
            pub fn build(self, b: &mut Build<'_>) -> Option<Self> {
                match self {
                    $(SourceConfig::$variant(c) => c.build(b).map(SourceConfig::$variant),)*
                }
            }
        }
    };
}

registry! {
    "syslog" => Syslog(crate::syslog::Config),
    "beats" => Beats(crate::beats::Config),
    "json_lines" => JsonLines(crate::json_lines::Config),
    "http" => Http(crate::http::Config),
}

impl SourceConfig {
    /// The address the source listens on, and over what.
    pub fn listener(&self) -> (Transport, SocketAddr) {
        use crate::syslog::SyslogMode;
        match self {
            SourceConfig::Syslog(c) => match c.mode {
                SyslogMode::Udp => (Transport::Udp, c.address),
                SyslogMode::Tcp | SyslogMode::Tls => (Transport::Tcp, c.address),
            },
            SourceConfig::Beats(c) => (Transport::Tcp, c.address),
            SourceConfig::JsonLines(c) => (Transport::Tcp, c.address),
            SourceConfig::Http(c) => (Transport::Tcp, c.address),
        }
    }
}
