//! UDP: one datagram is one message. UDP cannot push back, so a full pipeline drops
//! and counts (`sluice_events_dropped_total{reason="queue_full"}`).

use super::{Decoder, SourceContext};
use sluice_event::EventBatch;
use std::io::ErrorKind;

pub(super) async fn serve(sock: tokio::net::UdpSocket, ctx: SourceContext) {
    let dec = Decoder::new(&ctx);
    let max = ctx.config.max_message_bytes.0 as usize;
    // One byte more than allowed tells us the datagram was cut.
    let mut buf = vec![0u8; max + 1];
    let oversize = ctx.metrics.error_counter("oversize");
    let io_errors = ctx.metrics.error_counter("io");
    let batch_size = ctx.config.batch_size;
    let mut draining = false;
    loop {
        let mut batch: EventBatch = Vec::new();
        let first = if draining {
            match sock.try_recv_from(&mut buf) {
                Ok(x) => x,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => break,
            }
        } else {
            tokio::select! {
                r = sock.recv_from(&mut buf) => match r {
                    Ok(x) => x,
                    Err(e) => {
                        // ICMP errors and the like: count, keep serving.
                        io_errors.inc();
                        tracing::debug!(component = %ctx.id, error = %e, "UDP receive error");
                        continue;
                    }
                },
                _ = ctx.shutdown.cancelled() => {
                    draining = true;
                    continue;
                }
            }
        };
        let now = chrono::Utc::now();
        let take = |n: usize, peer, buf: &[u8], batch: &mut EventBatch| {
            let truncated = n > max;
            if truncated {
                oversize.inc();
            }
            let n = n.min(max);
            ctx.metrics.bytes_received.inc_by(n as u64);
            batch.push(dec.decode(&buf[..n], peer, now, truncated));
        };
        take(first.0, first.1, &buf, &mut batch);
        // Take what else is already waiting, without blocking, to fill the batch.
        while batch.len() < batch_size {
            match sock.try_recv_from(&mut buf) {
                Ok((n, peer)) => take(n, peer, &buf, &mut batch),
                Err(_) => break,
            }
        }
        let n = batch.len() as u64;
        ctx.metrics.events_received.inc_by(n);
        if draining {
            if ctx.output.send(batch).await.is_err() {
                break;
            }
            ctx.metrics.events_sent.inc_by(n);
            continue;
        }
        // Drops, if any, are counted on the consumer whose buffer was full.
        if ctx.output.try_send_or_drop(batch).is_err() {
            break;
        }
        ctx.metrics.events_sent.inc_by(n);
    }
}
