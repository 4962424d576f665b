//! Binding and the TCP accept loop, shared by every network source.

use crate::tls::{Stream, TlsServer, HANDSHAKE};
use sluice_core::tls::ServerTlsConfig;
use sluice_core::ComponentMetrics;
use sluice_core::ErrorType;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Binds a TCP listener with SO_REUSEADDR (a restart need not wait for TIME_WAIT; Linux
/// still refuses a second listener) and a deep backlog. `reuse_port`: SO_REUSEPORT,
/// which lets several processes share the port on purpose. Needs a tokio runtime.
pub fn bind_tcp(addr: SocketAddr, reuse_port: bool) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    s.set_reuse_address(true)?;
    if reuse_port {
        s.set_reuse_port(true)?;
    }
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    s.listen(1024)?;
    TcpListener::from_std(s.into())
}

/// Binds a UDP socket asking for a `receive_buffer` of SO_RCVBUF (the kernel may grant
/// less). Without `reuse_port` no address reuse is asked for: on Linux SO_REUSEADDR lets a
/// second process bind the same UDP port and silently take every datagram, so a second
/// instance is refused like a second TCP listener. Needs a tokio runtime.
pub fn bind_udp(
    addr: SocketAddr,
    receive_buffer: usize,
    reuse_port: bool,
) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if reuse_port {
        s.set_reuse_port(true)?;
    }
    s.set_recv_buffer_size(receive_buffer)?;
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    UdpSocket::from_std(s.into())
}

/// One open connection as the accept loop sees it: when it last received something,
/// and the token that closes it when it is shed to make room.
#[derive(Clone, Debug, Default)]
pub struct Conn {
    last: Arc<AtomicU64>,
    shed: CancellationToken,
}

impl Conn {
    fn new() -> Self {
        let c = Conn::default();
        c.touch();
        c
    }

    /// The peer sent something (or awaits an answer): not idle.
    pub fn touch(&self) {
        self.last.store(sluice_core::now_ms(), Ordering::Relaxed);
    }

    /// Cancelled when the connection is shed: close it.
    pub fn shed(&self) -> &CancellationToken {
        &self.shed
    }

    fn idle_ms(&self) -> u64 {
        sluice_core::now_ms().saturating_sub(self.last.load(Ordering::Relaxed))
    }
}

/// A connection idle at least this long may be shed when the limit is reached.
const SHED_AFTER: Duration = Duration::from_secs(1);

/// The open connections of one listener.
#[derive(Default)]
struct Open {
    next: AtomicU64,
    conns: Mutex<HashMap<u64, Conn>>,
}

impl Open {
    fn add(&self, c: &Conn) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut m) = self.conns.lock() {
            m.insert(id, c.clone());
        }
        id
    }

    fn remove(&self, id: u64) {
        if let Ok(mut m) = self.conns.lock() {
            m.remove(&id);
        }
    }

    /// Closes the connection idle longest, if one has been idle for [`SHED_AFTER`].
    fn shed_idlest(&self) -> bool {
        let Ok(m) = self.conns.lock() else {
            return false;
        };
        let idlest = m
            .values()
            .filter(|c| !c.shed.is_cancelled())
            .max_by_key(|c| c.idle_ms());
        match idlest {
            Some(c) if c.idle_ms() >= SHED_AFTER.as_millis() as u64 => {
                c.shed.cancel();
                true
            }
            _ => false,
        }
    }
}

/// Accepts connections until `shutdown`, at most `max_connections` at once, and runs
/// `handle` on each (which sees `shutdown` itself and drains). After the signal, the
/// connections already waiting in the backlog are taken too: their peers sent before it.
/// Returns once every connection has finished.
///
/// At the limit, the connection idle longest (at least a second) is shed to make room,
/// so idle sockets cannot lock out senders; the event is counted
/// (`error_type="connection_limit"`) and logged, rate-limited.
///
/// With `tls`, each connection's handshake runs in its own task, bounded by
/// [`crate::tls::HANDSHAKE`]; a failed one is counted (`error_type="tls"`) and logged,
/// rate-limited, and the connection closed.
pub async fn accept_loop<F, Fut>(
    listener: TcpListener,
    max_connections: usize,
    id: &str,
    metrics: &ComponentMetrics,
    shutdown: &CancellationToken,
    tls: Option<Arc<TlsServer>>,
    handle: F,
) where
    F: Fn(Stream, SocketAddr, Conn) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let handle = Arc::new(handle);
    let tls_failed = metrics.noted(ErrorType::Tls);
    // The handshake (when there is TLS), then the connection.
    let start = move |stream: TcpStream, peer: SocketAddr, c: Conn| {
        let handle = handle.clone();
        let acceptor = tls.as_ref().map(|t| t.acceptor());
        let tls_failed = tls_failed.clone();
        async move {
            let stream = match acceptor {
                None => Stream::Plain(stream),
                Some(None) => return,
                Some(Some(a)) => match tokio::time::timeout(HANDSHAKE, a.accept(stream)).await {
                    Ok(Ok(s)) => Stream::Tls(Box::new(s)),
                    Ok(Err(e)) => {
                        tls_failed.note(1, &format_args!("TLS handshake with {peer} failed: {e}"));
                        return;
                    }
                    Err(_) => {
                        tls_failed.note(
                            1,
                            &format_args!(
                                "TLS handshake with {peer} did not finish within {HANDSHAKE:?}"
                            ),
                        );
                        return;
                    }
                },
            };
            handle(stream, peer, c).await
        }
    };
    use futures_util::FutureExt;
    let limit = Arc::new(Semaphore::new(max_connections));
    let open = Arc::new(Open::default());
    let at_limit = metrics.noted(ErrorType::ConnectionLimit);
    let tracker = TaskTracker::new();
    let mut backoff = Duration::from_millis(5);
    'serve: loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.cancelled() => break,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of file descriptors and the like: back off, do not spin.
                metrics.error(ErrorType::Accept);
                tracing::warn!(component = %id, error = %e, "Accept failed; backing off.");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        backoff = Duration::from_millis(5);
        // A sender is waiting: at the limit, make room by shedding the idlest connection,
        // and look again every second while none is idle enough.
        let permit = loop {
            if let Ok(p) = limit.clone().try_acquire_owned() {
                break p;
            }
            let shed = open.shed_idlest();
            at_limit.note(
                1,
                &format_args!(
                    "{max_connections} connections open (max_connections): {}",
                    if shed {
                        "closed the one idle longest to make room"
                    } else {
                        "none is idle; the new connection waits"
                    }
                ),
            );
            tokio::select! {
                p = limit.clone().acquire_owned() => match p {
                    Ok(p) => break p,
                    Err(_) => break 'serve,
                },
                _ = tokio::time::sleep(SHED_AFTER) => {}
                _ = shutdown.cancelled() => break 'serve,
            }
        };
        let _ = stream.set_nodelay(true);
        let c = Conn::new();
        let key = open.add(&c);
        let conn = start(stream, peer, c);
        let gauge = metrics.connections.clone();
        let open = open.clone();
        tracker.spawn(async move {
            if let Some(g) = &gauge {
                g.inc();
            }
            conn.await;
            if let Some(g) = &gauge {
                g.dec();
            }
            open.remove(key);
            drop(permit);
        });
    }
    while let Some(Ok((stream, peer))) = listener.accept().now_or_never() {
        tracker.spawn(start(stream, peer, Conn::new()));
    }
    drop(listener);
    tracker.close();
    tracker.wait().await;
}

/// [`accept_loop`] for a source: `conn(stream, peer, ctx)` serves each connection with its
/// own copy of the context.
/// With `tls`, connections are TLS (a certificate that does not load is logged and the
/// source does not serve; the loader has checked it before).
pub(crate) async fn serve_connections<C, F, Fut>(
    listener: TcpListener,
    ctx: &crate::SourceContext<C>,
    max_connections: usize,
    tls: Option<&ServerTlsConfig>,
    conn: F,
) where
    C: Clone + Send + Sync + 'static,
    F: Fn(Stream, SocketAddr, crate::SourceContext<C>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tls = match tls.map(|t| TlsServer::new(t, ctx.id.clone())) {
        None => None,
        Some(Ok(t)) => Some(Arc::new(t)),
        Some(Err(e)) => {
            ctx.metrics.error(ErrorType::Tls);
            tracing::error!(component = %ctx.id, error = %e, "TLS certificates do not load; not serving.");
            return;
        }
    };
    let owned = ctx.clone();
    accept_loop(
        listener,
        max_connections,
        &ctx.id,
        &ctx.metrics,
        &ctx.shutdown,
        tls,
        move |s, peer, c| {
            let mut ctx = owned.clone();
            ctx.conn = c;
            conn(s, peer, ctx)
        },
    )
    .await;
}
