//! TCP: framed streams, a connection limit, idle timeouts, and back-pressure by simply
//! not reading while the pipeline is full.

use super::{framing, Decoder, SourceContext, DRAIN_QUIET};
use futures_util::{FutureExt, StreamExt};
use sluice_codec::SyslogFramer;
use sluice_event::EventBatch;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::codec::FramedRead;
use tokio_util::task::TaskTracker;

pub(super) async fn serve(listener: TcpListener, ctx: SourceContext) {
    let limit = Arc::new(Semaphore::new(ctx.config.max_connections));
    let tracker = TaskTracker::new();
    let mut backoff = Duration::from_millis(5);
    loop {
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = ctx.shutdown.cancelled() => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = ctx.shutdown.cancelled() => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = Duration::from_millis(5);
                let ctx = ctx.clone();
                tracker.spawn(async move {
                    connection(stream, peer, ctx).await;
                    drop(permit);
                });
            }
            Err(e) => {
                // Out of file descriptors and the like: back off, do not spin.
                ctx.metrics.error("accept");
                tracing::warn!(component = %ctx.id, error = %e, "Accept failed; backing off.");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
    // Connections that completed the handshake before the signal are waiting in the
    // backlog; their data was sent before shutdown, so take them too.
    while let Some(Ok((stream, peer))) = listener.accept().now_or_never() {
        let ctx = ctx.clone();
        tracker.spawn(async move { connection(stream, peer, ctx).await });
    }
    drop(listener);
    tracker.close();
    tracker.wait().await;
}

async fn connection(stream: TcpStream, peer: SocketAddr, ctx: SourceContext) {
    let _ = stream.set_nodelay(true);
    let gauge = ctx.metrics.connections.clone();
    if let Some(g) = &gauge {
        g.inc();
    }
    let dec = Decoder::new(&ctx);
    let oversize = ctx.metrics.error_counter("oversize");
    let max = ctx.config.max_message_bytes.0 as usize;
    let mut frames = FramedRead::with_capacity(
        stream,
        SyslogFramer::new(framing(&ctx.config), max),
        64 * 1024,
    );
    let idle = ctx.config.idle_timeout.0;
    let batch_size = ctx.config.batch_size;
    let mut draining = ctx.shutdown.is_cancelled();
    loop {
        let wait = if draining { DRAIN_QUIET } else { idle };
        let next = tokio::select! {
            n = tokio::time::timeout(wait, frames.next()) => n,
            _ = ctx.shutdown.cancelled(), if !draining => {
                draining = true;
                continue;
            }
        };
        let first = match next {
            Err(_) => {
                if !draining {
                    tracing::debug!(component = %ctx.id, %peer, "Closing idle connection.");
                }
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                ctx.metrics.error("protocol");
                tracing::warn!(component = %ctx.id, %peer, error = %e, "Closing connection: stream cannot be resynchronised.");
                break;
            }
            Ok(Some(Ok(f))) => f,
        };
        let now = chrono::Utc::now();
        let mut batch: EventBatch = Vec::with_capacity(batch_size.min(64));
        let mut bytes = 0u64;
        let mut end = false;
        let mut frame = Some(first);
        while let Some(f) = frame.take() {
            if f.truncated {
                oversize.inc();
            }
            bytes += f.bytes.len() as u64;
            batch.push(dec.decode(&f.bytes, peer, now, f.truncated));
            if batch.len() >= batch_size {
                break;
            }
            // More frames already buffered or readable right now join this batch.
            match frames.next().now_or_never() {
                Some(Some(Ok(f))) => frame = Some(f),
                Some(Some(Err(e))) => {
                    ctx.metrics.error("protocol");
                    tracing::warn!(component = %ctx.id, %peer, error = %e, "Closing connection: stream cannot be resynchronised.");
                    end = true;
                }
                Some(None) => end = true,
                None => {}
            }
        }
        let n = batch.len() as u64;
        ctx.metrics.bytes_received.inc_by(bytes);
        ctx.metrics.events_received.inc_by(n);
        // Waiting here is the back-pressure: we stop reading until there is room.
        if ctx.output.send(batch).await.is_err() {
            break;
        }
        ctx.metrics.events_sent.inc_by(n);
        if end {
            break;
        }
    }
    if let Some(g) = &gauge {
        g.dec();
    }
}
