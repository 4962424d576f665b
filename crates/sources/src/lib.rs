//! Sources: where events enter sluice.
//!
//! Why a crate of its own: sources own sockets, connection limits and back-pressure, the
//! parts that must never panic on what the network sends. Parsing is delegated to the
//! pure `sluice-parse`, framing to `sluice-codec`.
//!
//! Decisions:
//! - Binding is separate from serving ([`bind`] then [`serve`]), so the binary can report
//!   a port that cannot be bound before anything starts, and tests can bind port 0.
//! - Every TCP source shares one accept loop ([`listener::accept_loop`]): a connection
//!   limit, accept back-off, and on shutdown it stops accepting, takes the connections
//!   already in the backlog, and waits for every connection to drain. A connection reads
//!   until it has been quiet briefly, so what a peer sent before the signal is not lost.
//!   UDP drains its socket buffer.
//! - Back-pressure: TCP stops reading; Beats also holds its ACK (sending keepalives);
//!   HTTP answers 429; UDP can only drop, and counts it.
//! - Sources that can acknowledge (Beats, HTTP) attach one ack token per window or
//!   request and answer only once every sink has let go of every event.

#![warn(unreachable_pub, missing_docs)]

pub mod beats;
mod framed;
pub mod http;
pub mod json_lines;
pub mod listener;
mod registry;
pub mod stdin;
pub mod syslog;
#[cfg(test)]
mod test_support;
pub mod tls;

pub use registry::{SourceConfig, Transport};

use sluice_core::config::HumanDuration;
use sluice_core::{ComponentMetrics, Output};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use syslog::SyslogMode;
use tokio_util::sync::CancellationToken;

/// How long a connection may stay quiet during shutdown before it is closed.
pub(crate) const DRAIN_QUIET: Duration = Duration::from_millis(300);

/// SO_RCVBUF asked for when `receive_buffer_bytes` is not set: rides out a sink's brief
/// stall at a few hundred thousand msgs/s. The kernel caps it at `net.core.rmem_max`.
const DEFAULT_UDP_RECEIVE_BUFFER: usize = 4 << 20;

/// Open connections a TCP source accepts at most, unless configured.
const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// How long a TCP connection may send nothing, unless configured.
const DEFAULT_IDLE: Duration = Duration::from_secs(600);
/// Events per batch, unless configured.
const DEFAULT_BATCH: usize = 512;

fn default_max_connections() -> usize {
    DEFAULT_MAX_CONNECTIONS
}
fn default_idle() -> HumanDuration {
    HumanDuration(DEFAULT_IDLE)
}
fn default_batch() -> usize {
    DEFAULT_BATCH
}

/// A semaphore of `bytes` permits: memory budgets shared by a source's connections.
fn byte_budget(bytes: sluice_core::config::ByteSize) -> Arc<tokio::sync::Semaphore> {
    Arc::new(tokio::sync::Semaphore::new(
        usize::try_from(bytes.0)
            .unwrap_or(usize::MAX)
            .min(tokio::sync::Semaphore::MAX_PERMITS),
    ))
}

/// A listener bound and ready to serve.
#[derive(Debug)]
pub enum Bound {
    /// A UDP socket.
    Udp(tokio::net::UdpSocket),
    /// A TCP listener.
    Tcp(tokio::net::TcpListener),
    /// Standard input (nothing to bind).
    Stdin,
}

impl Bound {
    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            Bound::Udp(s) => s.local_addr(),
            Bound::Tcp(l) => l.local_addr(),
            Bound::Stdin => Err(std::io::Error::other("standard input has no address")),
        }
    }
}

/// Binds the source's listener at `addr` (normally its configured address).
/// Must be called inside a tokio runtime.
pub fn bind(cfg: &SourceConfig, addr: SocketAddr) -> std::io::Result<Bound> {
    match cfg {
        SourceConfig::Syslog(c) if c.mode == SyslogMode::Udp => Ok(Bound::Udp(listener::bind_udp(
            addr,
            c.receive_buffer_bytes
                .map_or(DEFAULT_UDP_RECEIVE_BUFFER, |b| b.0 as usize),
            c.reuse_port,
        )?)),
        SourceConfig::Syslog(c) => Ok(Bound::Tcp(listener::bind_tcp(addr, c.reuse_port)?)),
        SourceConfig::Stdin(_) => Ok(Bound::Stdin),
        _ => Ok(Bound::Tcp(listener::bind_tcp(addr, false)?)),
    }
}

/// What a serving source needs besides its socket.
#[derive(Clone, Debug)]
pub struct SourceContext<C> {
    /// The source's id.
    pub id: Arc<str>,
    /// Its settings.
    pub config: C,
    /// Where its events go; counts what it sends.
    pub output: Output,
    /// Its metrics.
    pub metrics: ComponentMetrics,
    /// Cancelled at shutdown.
    pub shutdown: CancellationToken,
    /// The connection being served, for connection sources (activity, shedding).
    pub conn: listener::Conn,
}

impl<C> SourceContext<C> {
    /// The same context with another configuration.
    pub fn with_config<D>(self, config: D) -> SourceContext<D> {
        SourceContext {
            id: self.id,
            config,
            output: self.output,
            metrics: self.metrics,
            shutdown: self.shutdown,
            conn: self.conn,
        }
    }
}

/// Serves until `shutdown` fires and everything received has been handed on.
pub async fn serve(bound: Bound, ctx: SourceContext<SourceConfig>) {
    let config = ctx.config.clone();
    match (config, bound) {
        (SourceConfig::Syslog(c), b) => syslog::serve(b, ctx.with_config(c)).await,
        (SourceConfig::Beats(c), Bound::Tcp(l)) => beats::serve(l, ctx.with_config(c)).await,
        (SourceConfig::JsonLines(c), Bound::Tcp(l)) => {
            json_lines::serve(l, ctx.with_config(c)).await
        }
        (SourceConfig::Http(c), Bound::Tcp(l)) => http::serve(l, ctx.with_config(c)).await,
        (SourceConfig::Stdin(c), _) => stdin::serve(ctx.with_config(c)).await,
        (c, b) => {
            tracing::error!(component = %ctx.id, kind = c.type_name(), bound = ?b, "Bound to the wrong kind of socket; not serving.");
        }
    }
}
