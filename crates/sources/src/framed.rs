//! Reading a framed TCP stream into batches: shared by every line- or frame-oriented
//! source (syslog over TCP, JSON lines).

use crate::tls::Stream;
use crate::{SourceContext, DRAIN_QUIET};
use futures_util::{FutureExt, StreamExt};
use sluice_codec::SyslogFramer;
use sluice_core::ErrorType;
use sluice_event::{Event, EventBatch, Timestamp};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_util::codec::FramedRead;

/// How a connection is read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StreamSettings {
    /// Close the connection after this long without data.
    pub idle_timeout: Duration,
    /// Events per batch handed on.
    pub batch_size: usize,
}

/// Reads frames until the peer closes, goes idle, breaks the framing, or (after shutdown)
/// has been quiet for [`DRAIN_QUIET`]. Frames already readable join one batch. Waiting
/// for room in the pipeline is the back-pressure: nothing is read meanwhile.
/// `decode(bytes, truncated, receive_time)` turns a frame into an event.
pub(crate) async fn read_frames<C>(
    stream: Stream,
    peer: SocketAddr,
    framer: SyslogFramer,
    settings: StreamSettings,
    ctx: &SourceContext<C>,
    mut decode: impl FnMut(&[u8], bool, Timestamp) -> Event,
) {
    let oversize = ctx.metrics.noted(ErrorType::Oversize);
    let mut frames = FramedRead::with_capacity(stream, framer, 64 * 1024);
    let mut draining = ctx.shutdown.is_cancelled();
    let protocol_error = |e: &dyn std::fmt::Display| {
        ctx.metrics.error(ErrorType::Protocol);
        tracing::warn!(component = %ctx.id, %peer, error = %e, "Closing connection: stream cannot be resynchronised.");
    };
    loop {
        let wait = if draining {
            DRAIN_QUIET
        } else {
            settings.idle_timeout
        };
        let next = tokio::select! {
            n = tokio::time::timeout(wait, frames.next()) => n,
            _ = ctx.shutdown.cancelled(), if !draining => {
                draining = true;
                continue;
            }
            _ = ctx.conn.shed().cancelled() => {
                // Shed to make room (max_connections): whatever it sent is delivered.
                tracing::debug!(component = %ctx.id, %peer, "Closing an idle connection to make room for a new one.");
                return deliver_tail(frames, &mut decode, ctx).await;
            }
        };
        ctx.conn.touch();
        let first = match next {
            Err(_) => {
                if !draining {
                    tracing::debug!(component = %ctx.id, %peer, "Closing idle connection.");
                }
                return deliver_tail(frames, &mut decode, ctx).await;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                protocol_error(&e);
                break;
            }
            Ok(Some(Ok(f))) => f,
        };
        let now = chrono::Utc::now();
        let mut batch: EventBatch = Vec::with_capacity(settings.batch_size.min(64));
        let mut bytes = 0u64;
        let mut end = false;
        let mut frame = Some(first);
        while let Some(f) = frame.take() {
            if f.truncated {
                oversize.note(1, &format_args!(
                    "A message from {peer} is longer than the limit; it is cut and tagged _truncated."
                ));
            }
            bytes += f.bytes.len() as u64;
            batch.push(decode(&f.bytes, f.truncated, now));
            if batch.len() >= settings.batch_size {
                break;
            }
            // More frames already buffered or readable right now join this batch.
            match frames.next().now_or_never() {
                Some(Some(Ok(f))) => frame = Some(f),
                Some(Some(Err(e))) => {
                    protocol_error(&e);
                    end = true;
                }
                Some(None) => end = true,
                None => {}
            }
        }
        let n = batch.len() as u64;
        ctx.metrics.bytes_received.inc_by(bytes);
        ctx.metrics.events_received.inc_by(n);
        if ctx.output.send(batch).await.is_err() {
            break;
        }
        if end {
            break;
        }
    }
}

/// Hands on what the peer sent before going quiet (or being shed), as at EOF: a last
/// message without its delimiter, or one whose end was still undecided.
async fn deliver_tail<C>(
    frames: FramedRead<Stream, SyslogFramer>,
    decode: &mut impl FnMut(&[u8], bool, Timestamp) -> Event,
    ctx: &SourceContext<C>,
) {
    let tail = leftovers(frames, decode);
    if !tail.is_empty() {
        ctx.metrics.events_received.inc_by(tail.len() as u64);
        let _ = ctx.output.send(tail).await;
    }
}

/// The frames still in the read buffer, decoded as at the end of the stream.
fn leftovers(
    frames: FramedRead<Stream, SyslogFramer>,
    decode: &mut impl FnMut(&[u8], bool, Timestamp) -> Event,
) -> EventBatch {
    use tokio_util::codec::Decoder;
    let parts = frames.into_parts();
    let (mut codec, mut buf) = (parts.codec, parts.read_buf);
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    while let Ok(Some(f)) = codec.decode_eof(&mut buf) {
        out.push(decode(&f.bytes, f.truncated, now));
    }
    out
}
