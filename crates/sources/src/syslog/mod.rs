//! `type = "syslog"`: RFC 5424/3164 over UDP and TCP.

mod tcp;
mod udp;

use sluice_config::{FramingConfig, SyslogMode, SyslogSourceConfig};
use sluice_core::{ComponentMetrics, Output};
use sluice_parse::syslog::{decode, DecodeOptions, ParseOptions};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A listener bound and ready to serve.
#[derive(Debug)]
pub enum Bound {
    Udp(tokio::net::UdpSocket),
    Tcp(tokio::net::TcpListener),
}

impl Bound {
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            Bound::Udp(s) => s.local_addr(),
            Bound::Tcp(l) => l.local_addr(),
        }
    }
}

/// Binds the source's address (with SO_REUSEADDR, and SO_RCVBUF for UDP when set).
/// Must be called inside a tokio runtime.
pub fn bind(cfg: &SyslogSourceConfig, addr: SocketAddr) -> std::io::Result<Bound> {
    use socket2::{Domain, Protocol, Socket, Type};
    let domain = Domain::for_address(addr);
    match cfg.mode {
        SyslogMode::Udp => {
            let s = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
            s.set_reuse_address(true)?;
            if let Some(b) = cfg.receive_buffer_bytes {
                s.set_recv_buffer_size(b.0 as usize)?;
            }
            s.set_nonblocking(true)?;
            s.bind(&addr.into())?;
            Ok(Bound::Udp(tokio::net::UdpSocket::from_std(s.into())?))
        }
        SyslogMode::Tcp | SyslogMode::Tls => {
            let s = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
            s.set_reuse_address(true)?;
            s.set_nonblocking(true)?;
            s.bind(&addr.into())?;
            s.listen(1024)?;
            Ok(Bound::Tcp(tokio::net::TcpListener::from_std(s.into())?))
        }
    }
}

/// What a serving source needs besides its socket.
#[derive(Clone, Debug)]
pub struct SourceContext {
    pub id: Arc<str>,
    pub config: SyslogSourceConfig,
    pub output: Output,
    pub metrics: ComponentMetrics,
    pub shutdown: CancellationToken,
}

/// Serves until `shutdown` fires and everything received has been handed on.
pub async fn serve(bound: Bound, ctx: SourceContext) {
    match bound {
        Bound::Udp(s) => udp::serve(s, ctx).await,
        Bound::Tcp(l) => tcp::serve(l, ctx).await,
    }
}

/// Per-source decoding state shared by UDP and TCP.
#[derive(Clone, Debug)]
pub(crate) struct Decoder {
    tz: chrono_tz::Tz,
    keep_original: bool,
    source: Arc<str>,
    parse_errors: prometheus::IntCounter,
}

impl Decoder {
    pub(crate) fn new(ctx: &SourceContext) -> Self {
        Decoder {
            tz: ctx.config.timezone.parse().unwrap_or(chrono_tz::Tz::UTC),
            keep_original: ctx.config.keep_original,
            source: ctx.id.clone(),
            parse_errors: ctx.metrics.error_counter("parse"),
        }
    }

    /// One message to one event; failures are counted here and kept, tagged.
    pub(crate) fn decode(
        &self,
        bytes: &[u8],
        peer: SocketAddr,
        now: chrono::DateTime<chrono::Utc>,
        truncated: bool,
    ) -> sluice_event::Event {
        // Receive time is reported at millisecond precision: finer digits would claim
        // a precision the sender never had.
        let now = chrono::SubsecRound::trunc_subsecs(now, 3);
        let opts = DecodeOptions {
            parse: ParseOptions {
                timezone: self.tz,
                now,
            },
            keep_original: self.keep_original,
            peer_ip: Some(peer.ip()),
        };
        let mut ev = match decode(bytes, &opts) {
            Ok(e) => e,
            Err(e) => {
                self.parse_errors.inc();
                e
            }
        };
        if truncated {
            ev.add_tag("_truncated");
        }
        let meta = ev.meta_mut();
        meta.peer = Some(peer);
        meta.source = Some(self.source.clone());
        ev
    }
}

pub(crate) fn framing(cfg: &SyslogSourceConfig) -> sluice_codec::Framing {
    match cfg.framing {
        FramingConfig::Auto => sluice_codec::Framing::Auto,
        FramingConfig::OctetCounting => sluice_codec::Framing::OctetCounting,
        FramingConfig::Newline => sluice_codec::Framing::Newline,
        FramingConfig::Nul => sluice_codec::Framing::Nul,
    }
}

/// How long a connection may stay quiet during shutdown before it is closed.
pub(crate) const DRAIN_QUIET: Duration = Duration::from_millis(300);

#[cfg(test)]
mod tests;
