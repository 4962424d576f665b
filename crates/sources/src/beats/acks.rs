//! The writing half of a Beats connection: ACKs in window order, keepalives meanwhile.

use crate::tls::WriteHalf;
use sluice_codec::lumberjack::encode_ack_version;
use sluice_core::ComponentMetrics;
use sluice_core::ErrorType;
use sluice_event::BatchStatus;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};

/// A window handed to the pipeline, waiting for its outcome.
#[derive(Debug)]
pub(super) struct Pending {
    /// The highest sequence number in the window: what the ACK carries.
    pub seq: u32,
    /// The protocol version byte of the window: the ACK is sent in the same.
    pub version: u8,
    pub status: oneshot::Receiver<BatchStatus>,
}

/// How many windows of a connection await their ACK; the reader does not close a
/// connection for idleness while this is above zero.
#[derive(Clone, Debug, Default)]
pub(super) struct Outstanding(Arc<AtomicUsize>);

impl Outstanding {
    pub(crate) fn add(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
    fn done(&self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
    pub(crate) fn any(&self) -> bool {
        self.0.load(Ordering::Acquire) > 0
    }
}

/// ACKs each window once the pipeline is done with it; while one waits, writes `ACK 0`
/// every `keepalive`. A window that a sink failed is not acknowledged: the connection is
/// closed so the client resends it. Returns when the reader is done and every window is
/// answered, or the client has gone.
pub(super) async fn ack_writer(
    mut wr: WriteHalf,
    mut windows: mpsc::Receiver<Pending>,
    outstanding: Outstanding,
    keepalive: Duration,
    metrics: ComponentMetrics,
    id: Arc<str>,
    peer: SocketAddr,
) {
    let keepalives = metrics.acks_counter("keepalive");
    let acks = metrics.acks_counter("ack");
    while let Some(mut p) = windows.recv().await {
        let status = loop {
            tokio::select! {
                s = &mut p.status => break s.unwrap_or(BatchStatus::Errored),
                _ = tokio::time::sleep(keepalive) => {
                    if wr.write_all(&encode_ack_version(p.version, 0)).await.is_err() {
                        return;
                    }
                    keepalives.inc();
                }
            }
        };
        outstanding.done();
        if status != BatchStatus::Delivered {
            metrics.error(ErrorType::Delivery);
            tracing::warn!(component = %id, %peer, ?status, "A sink failed this window; closing so the client resends it.");
            let _ = wr.shutdown().await;
            return;
        }
        if wr
            .write_all(&encode_ack_version(p.version, p.seq))
            .await
            .is_err()
        {
            return;
        }
        acks.inc();
    }
    let _ = wr.shutdown().await;
}
