//! Binding and the TCP accept loop, shared by every network source.

use sluice_core::ComponentMetrics;
use sluice_core::ErrorType;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
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

/// Accepts connections until `shutdown`, at most `max_connections` at once, and runs
/// `handle` on each (which sees `shutdown` itself and drains). After the signal, the
/// connections already waiting in the backlog are taken too: their peers sent before it.
/// Returns once every connection has finished.
pub async fn accept_loop<F, Fut>(
    listener: TcpListener,
    max_connections: usize,
    id: &str,
    metrics: &ComponentMetrics,
    shutdown: &CancellationToken,
    handle: F,
) where
    F: Fn(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    use futures_util::FutureExt;
    let limit = Arc::new(Semaphore::new(max_connections));
    let tracker = TaskTracker::new();
    let mut backoff = Duration::from_millis(5);
    loop {
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = shutdown.cancelled() => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.cancelled() => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = Duration::from_millis(5);
                let _ = stream.set_nodelay(true);
                let conn = handle(stream, peer);
                let gauge = metrics.connections.clone();
                tracker.spawn(async move {
                    if let Some(g) = &gauge {
                        g.inc();
                    }
                    conn.await;
                    if let Some(g) = &gauge {
                        g.dec();
                    }
                    drop(permit);
                });
            }
            Err(e) => {
                // Out of file descriptors and the like: back off, do not spin.
                metrics.error(ErrorType::Accept);
                tracing::warn!(component = %id, error = %e, "Accept failed; backing off.");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
    while let Some(Ok((stream, peer))) = listener.accept().now_or_never() {
        tracker.spawn(handle(stream, peer));
    }
    drop(listener);
    tracker.close();
    tracker.wait().await;
}

/// [`accept_loop`] for a source: `conn(stream, peer, ctx)` serves each connection with its
/// own copy of the context.
pub(crate) async fn serve_connections<C, F, Fut>(
    listener: TcpListener,
    ctx: &crate::SourceContext<C>,
    max_connections: usize,
    conn: F,
) where
    C: Clone,
    F: Fn(TcpStream, SocketAddr, crate::SourceContext<C>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    accept_loop(
        listener,
        max_connections,
        &ctx.id,
        &ctx.metrics,
        &ctx.shutdown,
        |s, peer| conn(s, peer, ctx.clone()),
    )
    .await;
}
