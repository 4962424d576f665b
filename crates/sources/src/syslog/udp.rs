//! UDP: one datagram is one message. UDP cannot push back, so when the pipeline stays
//! full the source drops and counts (`sluice_events_dropped_total{reason="queue_full"}`).
//!
//! To drop as little as possible, the socket is drained continuously, even while the
//! pipeline is full: datagrams gather in one pending batch of at most
//! [`PENDING_BATCHES`] x `batch_size` events, which is handed on as soon as there is room.
//! Only past that bound are events dropped. Without this, a sink's brief stall (a flush,
//! a rotation) let the kernel's socket buffer overflow at 75k msgs/s; see
//! docs/BENCHMARKS.md.

use super::{Decoder, SourceContext};
use sluice_core::ErrorType;
use sluice_event::EventBatch;
use std::io::ErrorKind;
use std::time::Duration;

/// How many batches' worth of events may wait in the source while the pipeline is full.
const PENDING_BATCHES: usize = 16;

/// How often a waiting batch retries when no datagram arrives meanwhile.
const RETRY: Duration = Duration::from_millis(2);

pub(super) async fn serve(sock: tokio::net::UdpSocket, ctx: SourceContext) {
    let watcher = tokio::spawn(super::kernel_drops::watch(
        std::os::fd::AsRawFd::as_raw_fd(&sock),
        ctx.metrics.noted_drop(super::kernel_drops::REASON),
        ctx.shutdown.clone(),
    ));
    serve_socket(&sock, &ctx).await;
    watcher.abort();
}

async fn serve_socket(sock: &tokio::net::UdpSocket, ctx: &SourceContext) {
    let ctx = ctx.clone();
    let dec = Decoder::new(&ctx);
    let max = ctx.config.max_message_bytes.0 as usize;
    // One byte more than allowed tells us the datagram was cut.
    let mut buf = vec![0u8; max + 1];
    let oversize = ctx.metrics.noted(ErrorType::Oversize);
    let io_errors = ctx.metrics.error_counter(ErrorType::Io);
    let batch_size = ctx.config.batch_size;
    let max_pending = batch_size.saturating_mul(PENDING_BATCHES);
    let mut pending: EventBatch = Vec::new();
    let mut draining = false;
    loop {
        let first = if draining {
            match sock.try_recv_from(&mut buf) {
                Ok(x) => Some(x),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => break,
            }
        } else {
            tokio::select! {
                r = sock.recv_from(&mut buf) => match r {
                    Ok(x) => Some(x),
                    Err(e) => {
                        // ICMP errors and the like: count, keep serving.
                        io_errors.inc();
                        tracing::debug!(component = %ctx.id, error = %e, "UDP receive error");
                        continue;
                    }
                },
                _ = tokio::time::sleep(RETRY), if !pending.is_empty() => None,
                _ = ctx.shutdown.cancelled() => {
                    draining = true;
                    continue;
                }
            }
        };
        let now = chrono::Utc::now();
        // Decodes one datagram; returns the bytes kept.
        let take = |n: usize, peer, buf: &[u8], batch: &mut EventBatch| {
            let truncated = n > max;
            if truncated {
                oversize.note(1, &format_args!(
                    "A datagram from {peer} is longer than max_message_bytes; it is cut and tagged _truncated."
                ));
            }
            let n = n.min(max);
            batch.push(dec.decode(&buf[..n], peer, now, truncated));
            n as u64
        };
        if let Some((n, peer)) = first {
            let before = pending.len();
            let mut bytes = take(n, peer, &buf, &mut pending);
            // Take what else is already waiting, without blocking.
            let limit = pending.len() + batch_size;
            while pending.len() < limit {
                match sock.try_recv_from(&mut buf) {
                    Ok((n, peer)) => bytes += take(n, peer, &buf, &mut pending),
                    Err(_) => break,
                }
            }
            // Counted once per burst, not per datagram.
            ctx.metrics.bytes_received.inc_by(bytes);
            ctx.metrics
                .events_received
                .inc_by((pending.len() - before) as u64);
        }
        if draining {
            if ctx.output.send(std::mem::take(&mut pending)).await.is_err() {
                break;
            }
            continue;
        }
        if ctx.output.has_room() || pending.len() >= max_pending {
            // Past the bound, drops (if any) are counted on the consumer that is full.
            if ctx
                .output
                .try_send_or_drop(std::mem::take(&mut pending))
                .is_err()
            {
                break;
            }
        }
    }
    // A failed send is counted by the output.
    let _ = ctx.output.send(pending).await;
}
