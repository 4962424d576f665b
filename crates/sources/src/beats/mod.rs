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
use sluice_codec::lumberjack::{InflateBudget, LjFrame, LjLimits, LumberjackDecoder};
use sluice_core::{DropReason, ErrorType};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
mod config;
use crate::tls::Stream;
pub use config::Config;
use sluice_event::{AckToken, Event, EventBatch};
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::FramedRead;

/// What a Beats source serves with.
pub type SourceContext = crate::SourceContext<Config>;

/// Windows whose ACK may be outstanding on one connection before the reader stops
/// reading (Filebeat pipelines two by default).
const MAX_PENDING_WINDOWS: usize = 8;

/// How long a connection waits for room in the in-flight budget before it is closed.
const BUDGET_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

pub(crate) async fn serve(listener: TcpListener, ctx: SourceContext) {
    let max = ctx.config.max_connections;
    let budget = crate::byte_budget(ctx.config.max_inflight_bytes);
    // Inflated compressed blocks of every connection share one budget of the same size.
    let inflate =
        InflateBudget::new(usize::try_from(ctx.config.max_inflight_bytes.0).unwrap_or(usize::MAX));
    let tls = ctx.config.tls.clone();
    serve_connections(listener, &ctx, max, tls.as_ref(), move |s, peer, ctx| {
        connection(s, peer, ctx, budget.clone(), inflate.clone())
    })
    .await;
}

/// The events of the window being received.
struct Window {
    /// The size the client announced; without a `W` frame every event is its own window.
    expected: u32,
    events: EventBatch,
    max_seq: u32,
    bytes: u64,
    /// The window's share of the in-flight budget, returned when it is handed on.
    held: Option<OwnedSemaphorePermit>,
}

impl Window {
    fn new(expected: u32) -> Self {
        Window {
            expected,
            events: Vec::with_capacity(expected.min(4096) as usize),
            max_seq: 0,
            bytes: 0,
            held: None,
        }
    }

    /// Takes `n` more bytes of the budget for this window; false when the window would
    /// grow past `max_window_bytes`, or no room came within [`BUDGET_WAIT`].
    async fn reserve(&mut self, n: usize, max_window: u64, budget: &Arc<Semaphore>) -> bool {
        if self.bytes + n as u64 > max_window {
            return false;
        }
        let n = u32::try_from(n.max(1)).unwrap_or(u32::MAX);
        let permit = match budget.clone().try_acquire_many_owned(n) {
            Ok(p) => p,
            Err(_) => match tokio::time::timeout(BUDGET_WAIT, budget.clone().acquire_many_owned(n))
                .await
            {
                Ok(Ok(p)) => p,
                _ => return false,
            },
        };
        match &mut self.held {
            Some(h) => h.merge(permit),
            None => self.held = Some(permit),
        }
        true
    }
}

async fn connection(
    stream: Stream,
    peer: SocketAddr,
    ctx: SourceContext,
    budget: Arc<Semaphore>,
    inflate: InflateBudget,
) {
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
        budget: Some(inflate),
    };
    let mut frames = FramedRead::with_capacity(rd, LumberjackDecoder::new(limits), 64 * 1024);
    let builder = events::Builder::new(&ctx, peer);
    let mut window = Window::new(1);
    // The version of the client's last window frame: its ACKs are sent in the same.
    let mut ack_version = b'2';
    let mut draining = ctx.shutdown.is_cancelled();
    loop {
        let wait = if draining {
            DRAIN_QUIET
        } else {
            ctx.config.idle_timeout.0
        };
        if outstanding.any() {
            // The client is quiet because it waits for our ACK: not idle.
            ctx.conn.touch();
        }
        let next = tokio::select! {
            n = tokio::time::timeout(wait, frames.next()) => n,
            _ = ctx.shutdown.cancelled(), if !draining => {
                draining = true;
                continue;
            }
            _ = ctx.conn.shed().cancelled() => {
                tracing::debug!(component = %ctx.id, %peer, "Closing an idle Beats connection to make room for a new one.");
                break;
            }
        };
        ctx.conn.touch();
        let frame = match next {
            Err(_) if !draining && outstanding.any() => {
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
            LjFrame::Window { size: n, version } => {
                ack_version = version;
                if n > ctx.config.max_window {
                    ctx.metrics.error(ErrorType::Protocol);
                    tracing::warn!(component = %ctx.id, %peer, window = n, max_window = ctx.config.max_window, "Closing Beats connection: window over max_window.");
                    break;
                }
                // A new window before the last one filled: the client gave up on the
                // count; hand on what arrived rather than mixing two windows.
                if !window.events.is_empty()
                    && !flush(&mut window, &ctx, &ack_tx, &outstanding, ack_version).await
                {
                    break;
                }
                window = Window::new(n.max(1));
            }
            LjFrame::Json { seq, payload } => {
                if !window
                    .reserve(payload.len(), ctx.config.max_window_bytes.0, &budget)
                    .await
                {
                    over_budget(&ctx, peer, &window);
                    break;
                }
                window.bytes += payload.len() as u64;
                window.events.push(builder.json(&payload));
                window.max_seq = window.max_seq.max(seq);
            }
            LjFrame::Data { seq, pairs } => {
                let n: usize = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
                if !window
                    .reserve(n, ctx.config.max_window_bytes.0, &budget)
                    .await
                {
                    over_budget(&ctx, peer, &window);
                    break;
                }
                window.bytes += n as u64;
                window.events.push(builder.pairs(&pairs));
                window.max_seq = window.max_seq.max(seq);
            }
        }
        if window.events.len() >= window.expected as usize {
            let expected = window.expected;
            if !flush(&mut window, &ctx, &ack_tx, &outstanding, ack_version).await {
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

/// Logs and counts a window that grew past `max_window_bytes`, or found no room in the
/// in-flight budget: the connection is closed and the client resends the window.
fn over_budget(ctx: &SourceContext, peer: SocketAddr, window: &Window) {
    ctx.metrics.error(ErrorType::Protocol);
    tracing::warn!(
        component = %ctx.id, %peer, window_bytes = window.bytes,
        max_window_bytes = ctx.config.max_window_bytes.0,
        "Closing Beats connection: its window is over max_window_bytes, or every connection's windows together fill max_inflight_bytes; the client resends."
    );
}

/// Sends the window down the pipeline with one ack token and queues its ACK.
/// Returns false when the connection should end.
async fn flush(
    window: &mut Window,
    ctx: &SourceContext,
    acks: &mpsc::Sender<Pending>,
    outstanding: &Outstanding,
    version: u8,
) -> bool {
    let mut events: Vec<Event> = std::mem::take(&mut window.events);
    // Handed on: the pipeline's bounded buffers hold it from here.
    window.held = None;
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
            version,
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
