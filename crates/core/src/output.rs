//! [`Output`]: one component's fan-out to the input buffers of its consumers.

use crate::ComponentMetrics;
use sluice_event::EventBatch;
use tokio::sync::mpsc;

/// One consumer's input buffer.
#[derive(Clone, Debug)]
pub struct Target {
    pub tx: mpsc::Sender<EventBatch>,
    /// Drop instead of waiting when the buffer is full.
    pub drop_when_full: bool,
    /// The consumer's metrics: buffer gauge and drop counter live there.
    pub metrics: ComponentMetrics,
}

/// Every consumer is gone; nothing downstream will ever read again.
#[derive(Debug, PartialEq, Eq)]
pub struct SendError;

/// Sends batches to every consumer of a component.
#[derive(Clone, Debug, Default)]
pub struct Output {
    targets: Vec<Target>,
}

impl Output {
    pub fn new(targets: Vec<Target>) -> Self {
        Output { targets }
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// False when a consumer that applies back-pressure has a full buffer: a source that
    /// can refuse work (HTTP answers 429) checks this instead of waiting.
    pub fn has_room(&self) -> bool {
        self.targets
            .iter()
            .all(|t| t.drop_when_full || t.tx.capacity() > 0)
    }

    /// Delivers `batch` to every consumer. Waits for space unless a consumer drops when
    /// full. Fails only when no consumer is left.
    pub async fn send(&self, batch: EventBatch) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let n = self.targets.len();
        let mut batch = Some(batch);
        let mut alive = 0;
        for (i, t) in self.targets.iter().enumerate() {
            let b = copy_for(i, n, &mut batch);
            let len = b.len() as i64;
            // Count before sending: the consumer may take it out at once.
            t.metrics.buffer_events.add(len);
            let res = if t.drop_when_full {
                match t.tx.try_send(b) {
                    Ok(()) => Ok(()),
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        t.metrics.buffer_events.sub(len);
                        t.metrics.dropped("buffer_full", len as u64);
                        alive += 1;
                        continue;
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => Err(()),
                }
            } else {
                t.tx.send(b).await.map_err(|_| ())
            };
            match res {
                Ok(()) => alive += 1,
                Err(()) => t.metrics.buffer_events.sub(len),
            }
        }
        if alive == 0 && n > 0 {
            Err(SendError)
        } else {
            Ok(())
        }
    }
}

impl Output {
    /// Like [`Output::send`] but never waits: a consumer whose buffer is full loses the
    /// batch, counted as `queue_full` on that consumer. For sources that cannot push back.
    pub fn try_send_or_drop(&self, batch: EventBatch) -> Result<(), SendError> {
        let n = self.targets.len();
        let mut batch = Some(batch);
        let mut alive = 0;
        for (i, t) in self.targets.iter().enumerate() {
            let b = copy_for(i, n, &mut batch);
            let len = b.len() as i64;
            t.metrics.buffer_events.add(len);
            match t.tx.try_send(b) {
                Ok(()) => alive += 1,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    t.metrics.buffer_events.sub(len);
                    t.metrics.dropped("queue_full", len as u64);
                    alive += 1;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => t.metrics.buffer_events.sub(len),
            }
        }
        if alive == 0 && n > 0 {
            Err(SendError)
        } else {
            Ok(())
        }
    }
}

/// The batch for target `i` of `n`: a clone for all but the last, which takes it.
fn copy_for(i: usize, n: usize, batch: &mut Option<EventBatch>) -> EventBatch {
    if i + 1 == n {
        batch.take().unwrap_or_default()
    } else {
        batch.as_ref().cloned().unwrap_or_default()
    }
}

/// Called by a consumer when it takes a batch out of its buffer. (Memory buffers track
/// events; `sluice_buffer_bytes` is reported by buffers that know their byte size.)
pub fn taken(metrics: &ComponentMetrics, batch: &EventBatch) {
    metrics.buffer_events.sub(batch.len() as i64);
}
