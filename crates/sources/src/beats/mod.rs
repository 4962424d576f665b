//! `type = "beats"`: Lumberjack v2 on 5044, what Filebeat and the other Beats, pylogbeat
//! and python-logstash-async's Beats transport speak.
//!
//! A connection is two halves. The reader decodes frames ([`sluice_codec::lumberjack`]),
//! gathers each window's events, gives the window one [`AckToken`] and sends it down the
//! pipeline. The writer ([`acks`]) waits for windows in order; it ACKs a window's highest
//! sequence number once every event of it has been let go by every sink, and while it
//! waits it sends a keepalive `ACK 0` every `ack_keepalive`, so clients that time out
//! (Filebeat after 30 s) keep waiting instead of resending.
//!
//! Sequence numbers: clients differ (go-lumber restarts at 1 per window, pylogbeat counts
//! on across windows, Logstash's output never restarts), so the ACK carries the highest
//! number seen in the window, and the keepalive carries 0, which no client can take for
//! an acknowledgement of the current window.
//!
//! A window that is incomplete when its connection ends is discarded and counted
//! (`dropped{reason="unacked_window"}`): it was never acknowledged, so the client sends
//! it again, and delivering it as well would duplicate it.

mod acks;
mod events;
#[cfg(test)]
mod tests;

use crate::listener::serve_connections;
use crate::DRAIN_QUIET;
use acks::{ack_writer, Outstanding, Pending};
use futures_util::StreamExt;
use sluice_codec::lumberjack::{LjFrame, LjLimits, LumberjackDecoder};
use sluice_core::{DropReason, ErrorType};
mod config;
pub use config::Config;
use sluice_event::{AckToken, Event, EventBatch};
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::FramedRead;

/// What a Beats source serves with.
pub type SourceContext = crate::SourceContext<Config>;

/// Windows whose ACK may be outstanding on one connection before the reader stops
/// reading (Filebeat pipelines two by default).
const MAX_PENDING_WINDOWS: usize = 8;

pub(crate) async fn serve(listener: TcpListener, ctx: SourceContext) {
    let max = ctx.config.max_connections;
    serve_connections(listener, &ctx, max, connection).await;
}

/// The events of the window being received.
struct Window {
    /// The size the client announced; without a `W` frame every event is its own window.
    expected: u32,
    events: EventBatch,
    max_seq: u32,
    bytes: u64,
}

impl Window {
    fn new(expected: u32) -> Self {
        Window {
            expected,
            events: Vec::with_capacity(expected.min(4096) as usize),
            max_seq: 0,
            bytes: 0,
        }
    }
}

async fn connection(stream: TcpStream, peer: SocketAddr, ctx: SourceContext) {
    let (rd, wr) = stream.into_split();
    let (ack_tx, ack_rx) = mpsc::channel::<Pending>(MAX_PENDING_WINDOWS);
    let outstanding = Outstanding::default();
    let writer = tokio::spawn(ack_writer(
        wr,
        ack_rx,
        outstanding.clone(),
        ctx.config.ack_keepalive.0,
        ctx.metrics.clone(),
        ctx.id.clone(),
        peer,
    ));
    let limits = LjLimits {
        max_frame_bytes: ctx.config.max_frame_bytes.0 as usize,
        max_inflated_bytes: ctx.config.max_inflated_bytes.0 as usize,
    };
    let mut frames = FramedRead::with_capacity(rd, LumberjackDecoder::new(limits), 64 * 1024);
    let builder = events::Builder::new(&ctx, peer);
    let mut window = Window::new(1);
    let mut draining = ctx.shutdown.is_cancelled();
    loop {
        let wait = if draining {
            DRAIN_QUIET
        } else {
            ctx.config.idle_timeout.0
        };
        let next = tokio::select! {
            n = tokio::time::timeout(wait, frames.next()) => n,
            _ = ctx.shutdown.cancelled(), if !draining => {
                draining = true;
                continue;
            }
        };
        let frame = match next {
            Err(_) if !draining && outstanding.any() => {
                // The client is quiet because it waits for our ACK: not idle.
                continue;
            }
            Err(_) => {
                tracing::debug!(component = %ctx.id, %peer, "Closing idle Beats connection.");
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                ctx.metrics.error(ErrorType::Protocol);
                tracing::warn!(component = %ctx.id, %peer, error = %e, "Closing Beats connection.");
                break;
            }
            Ok(Some(Ok(f))) => f,
        };
        match frame {
            LjFrame::Window(n) => {
                if n > ctx.config.max_window {
                    ctx.metrics.error(ErrorType::Protocol);
                    tracing::warn!(component = %ctx.id, %peer, window = n, max_window = ctx.config.max_window, "Closing Beats connection: window over max_window.");
                    break;
                }
                // A new window before the last one filled: the client gave up on the
                // count; hand on what arrived rather than mixing two windows.
                if !window.events.is_empty()
                    && !flush(&mut window, &ctx, &ack_tx, &outstanding).await
                {
                    break;
                }
                window = Window::new(n.max(1));
            }
            LjFrame::Json { seq, payload } => {
                window.bytes += payload.len() as u64;
                window.events.push(builder.json(&payload));
                window.max_seq = window.max_seq.max(seq);
            }
            LjFrame::Data { seq, pairs } => {
                window.bytes += pairs
                    .iter()
                    .map(|(k, v)| (k.len() + v.len()) as u64)
                    .sum::<u64>();
                window.events.push(builder.pairs(&pairs));
                window.max_seq = window.max_seq.max(seq);
            }
        }
        if window.events.len() >= window.expected as usize {
            let expected = window.expected;
            if !flush(&mut window, &ctx, &ack_tx, &outstanding).await {
                break;
            }
            window = Window::new(expected);
        }
    }
    if !window.events.is_empty() {
        let n = window.events.len() as u64;
        ctx.metrics.dropped(DropReason::UnackedWindow, n);
        tracing::debug!(component = %ctx.id, %peer, events = n, "Connection ended mid-window; the client resends it.");
    }
    drop(ack_tx);
    let _ = writer.await;
}

/// Sends the window down the pipeline with one ack token and queues its ACK.
/// Returns false when the connection should end.
async fn flush(
    window: &mut Window,
    ctx: &SourceContext,
    acks: &mpsc::Sender<Pending>,
    outstanding: &Outstanding,
) -> bool {
    let mut events: Vec<Event> = std::mem::take(&mut window.events);
    let n = events.len() as u64;
    let (tx, rx) = oneshot::channel();
    let token = AckToken::new(move |status| {
        let _ = tx.send(status);
    });
    for e in &mut events {
        e.meta_mut().ack = Some(token.clone());
    }
    drop(token);
    outstanding.add();
    if acks
        .send(Pending {
            seq: window.max_seq,
            status: rx,
        })
        .await
        .is_err()
    {
        // The writer has gone: the client closed or an ACK could not be written.
        ctx.metrics.dropped(DropReason::UnackedWindow, n);
        return false;
    }
    ctx.metrics.events_received.inc_by(n);
    ctx.metrics.bytes_received.inc_by(window.bytes);
    ctx.output.send(events).await.is_ok()
}
