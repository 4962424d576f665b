//! [`Output`]: one component's fan-out to the input buffers of its consumers.
//!
//! It is also where sends are counted: the owner's `sluice_events_sent_total` grows by
//! what it hands on, and what nobody takes is counted as a `no_consumer` drop, so no
//! component counts its own sends.

use crate::{ComponentMetrics, DropReason};
use sluice_event::{Event, EventBatch};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Which events a consumer takes (a sink's `if`), checked before anything is copied.
pub type Selector = Arc<dyn Fn(&Event) -> bool + Send + Sync>;

/// One consumer's input buffer.
#[derive(Clone)]
pub struct Target {
    /// The consumer's input buffer.
    pub tx: mpsc::Sender<EventBatch>,
    /// Drop instead of waiting when the buffer is full.
    pub drop_when_full: bool,
    /// The consumer's metrics: buffer gauge and drop counter live there.
    pub metrics: ComponentMetrics,
    /// Only events it selects are sent (and copied) to this consumer.
    pub select: Option<Selector>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("consumer", &self.metrics.id)
            .field("drop_when_full", &self.drop_when_full)
            .field("select", &self.select.is_some())
            .finish()
    }
}

/// Every consumer is gone; nothing downstream will ever read again.
#[derive(Debug, PartialEq, Eq)]
pub struct SendError;

/// Sends batches to every consumer of a component, and counts them.
#[derive(Clone, Debug)]
pub struct Output {
    /// The sending component: its sends and `no_consumer` drops are counted here.
    owner: ComponentMetrics,
    targets: Vec<Target>,
    /// A source's consumers, which a reload replaces while the source keeps running.
    switch: Option<Arc<Switch>>,
}

/// The consumers of a source's output, replaceable: a reload holds it (waiting for the
/// sends in flight; new sends wait meanwhile, which is back-pressure on the senders),
/// drains the old graph, and puts the new consumers in.
#[derive(Debug, Default)]
pub struct Switch {
    targets: Arc<tokio::sync::RwLock<Vec<Target>>>,
}

/// A held [`Switch`]: no send passes until it is dropped.
pub type SwitchHold = tokio::sync::OwnedRwLockWriteGuard<Vec<Target>>;

impl Switch {
    /// A switch to `targets`.
    pub fn new(targets: Vec<Target>) -> Arc<Self> {
        Arc::new(Switch {
            targets: Arc::new(tokio::sync::RwLock::new(sorted(targets))),
        })
    }

    /// Waits for the sends in flight, then stops every further send until the hold is
    /// dropped.
    pub async fn hold(&self) -> SwitchHold {
        self.targets.clone().write_owned().await
    }

    /// Puts `targets` in place of the held ones (dropping those: their consumers see
    /// their input close once nothing else feeds them).
    pub fn replace(hold: &mut SwitchHold, targets: Vec<Target>) {
        **hold = sorted(targets);
    }
}

/// The consumers that select a subset first: the last takes the batch itself.
fn sorted(mut targets: Vec<Target>) -> Vec<Target> {
    targets.sort_by_key(|t| t.select.is_none());
    targets
}

impl Output {
    /// `owner`'s output to `targets`. The consumers that select a subset come first: the
    /// last consumer takes the batch itself, without a copy, so it is best one that takes
    /// every event.
    pub fn new(owner: ComponentMetrics, targets: Vec<Target>) -> Self {
        Output {
            owner,
            targets: sorted(targets),
            switch: None,
        }
    }

    /// `owner`'s output to whatever `switch` holds: a source's, so that a reload can
    /// repoint it without stopping the source.
    pub fn switched(owner: ComponentMetrics, switch: Arc<Switch>) -> Self {
        Output {
            owner,
            targets: Vec::new(),
            switch: Some(switch),
        }
    }

    /// Counts a send of `n` events by its outcome.
    fn count(&self, n: u64, r: Result<(), SendError>) -> Result<(), SendError> {
        match r {
            Ok(()) => self.owner.events_sent.inc_by(n),
            Err(SendError) => self.owner.dropped(DropReason::NoConsumer, n),
        }
        r
    }

    /// True when nobody consumes this output.
    pub fn is_empty(&self) -> bool {
        match &self.switch {
            Some(s) => s.targets.try_read().is_ok_and(|t| t.is_empty()),
            None => self.targets.is_empty(),
        }
    }

    /// False when a consumer that applies back-pressure has a full buffer (or a reload
    /// is replacing the consumers): a source that can refuse work (HTTP answers 429)
    /// checks this instead of waiting.
    pub fn has_room(&self) -> bool {
        let room = |targets: &[Target]| {
            targets
                .iter()
                .all(|t| t.drop_when_full || t.tx.capacity() > 0)
        };
        match &self.switch {
            Some(s) => s.targets.try_read().is_ok_and(|t| room(&t)),
            None => room(&self.targets),
        }
    }

    /// Delivers `batch` to every consumer. Waits for space unless a consumer drops when
    /// full. Fails only when no consumer is left (or there never was one); the events
    /// are then counted as dropped for `no_consumer`.
    pub async fn send(&self, batch: EventBatch) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let events = batch.len() as u64;
        let r = match &self.switch {
            // Held across the send: a reload waits for it, and this waits for a reload.
            Some(s) => deliver(&s.targets.read().await, batch).await,
            None => deliver(&self.targets, batch).await,
        };
        self.count(events, r)
    }

    /// Like [`Output::send`] but never waits: a consumer whose buffer is full loses the
    /// batch, counted as `queue_full` on that consumer. For sources that cannot push back.
    /// While a reload replaces the consumers, the batch is dropped and counted as
    /// `queue_full` on this component.
    pub fn try_send_or_drop(&self, batch: EventBatch) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let events = batch.len() as u64;
        match &self.switch {
            Some(s) => match s.targets.try_read() {
                Ok(t) => self.count(events, offer_all(&t, batch)),
                Err(_) => {
                    self.owner.dropped(DropReason::QueueFull, events);
                    Ok(())
                }
            },
            None => self.count(events, offer_all(&self.targets, batch)),
        }
    }
}

/// Offers `batch` to every target without waiting.
fn offer_all(targets: &[Target], batch: EventBatch) -> Result<(), SendError> {
    let n = targets.len();
    let mut batch = Some(batch);
    let mut alive = 0;
    for (i, t) in targets.iter().enumerate() {
        let b = copy_for(i, n, &mut batch, t.select.as_ref());
        let open = if b.is_empty() {
            !t.tx.is_closed()
        } else {
            offer(t, b, DropReason::QueueFull)
        };
        alive += usize::from(open);
    }
    outcome(alive, n)
}

/// Delivers `batch` to every target, waiting for room unless a target drops when full.
async fn deliver(targets: &[Target], batch: EventBatch) -> Result<(), SendError> {
    {
        let n = targets.len();
        let mut batch = Some(batch);
        let mut alive = 0;
        for (i, t) in targets.iter().enumerate() {
            let b = copy_for(i, n, &mut batch, t.select.as_ref());
            let open = if b.is_empty() {
                !t.tx.is_closed()
            } else if t.drop_when_full {
                offer(t, b, DropReason::BufferFull)
            } else {
                let len = b.len() as i64;
                if let Some(room) = t.metrics.buffer_room() {
                    room.reserve(b.len()).await;
                }
                // Count before sending: the consumer may take it out at once.
                let bytes = approx_bytes(&b);
                t.metrics.buffer_events.add(len);
                t.metrics.buffer_bytes.add(bytes);
                let sent = t.tx.send(b).await.is_ok();
                if !sent {
                    t.metrics.buffer_events.sub(len);
                    t.metrics.buffer_bytes.sub(bytes);
                    if let Some(room) = t.metrics.buffer_room() {
                        room.release(len as usize);
                    }
                }
                sent
            };
            alive += usize::from(open);
        }
        outcome(alive, n)
    }
}

/// Offers `b` to `t` without waiting. A full buffer drops the batch, counted under
/// `full_reason`. False only when the consumer is gone.
fn offer(t: &Target, b: EventBatch, full_reason: DropReason) -> bool {
    let len = b.len() as i64;
    let room = t.metrics.buffer_room();
    let fits = room.is_none_or(|r| r.try_reserve(b.len()));
    // Count before sending: the consumer may take it out at once.
    let bytes = approx_bytes(&b);
    t.metrics.buffer_events.add(len);
    t.metrics.buffer_bytes.add(bytes);
    let sent = if fits {
        t.tx.try_send(b)
    } else {
        Err(mpsc::error::TrySendError::Full(b))
    };
    if sent.is_err() && fits {
        if let Some(r) = room {
            r.release(len as usize);
        }
    }
    match sent {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            t.metrics.buffer_events.sub(len);
            t.metrics.buffer_bytes.sub(bytes);
            t.metrics.noted_drop(full_reason).note(
                len as u64,
                &format_args!(
                    "Input buffer full: {len} events dropped ({})",
                    full_reason.as_str()
                ),
            );
            true
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {
            t.metrics.buffer_events.sub(len);
            t.metrics.buffer_bytes.sub(bytes);
            false
        }
    }
}

/// A send fails when every one of `n` consumers is gone, or there is none.
fn outcome(alive: usize, n: usize) -> Result<(), SendError> {
    if alive == 0 || n == 0 {
        Err(SendError)
    } else {
        Ok(())
    }
}

/// The batch for target `i` of `n`, holding only the events `select` takes: copies for
/// all but the last target, which takes the batch itself.
fn copy_for(
    i: usize,
    n: usize,
    batch: &mut Option<EventBatch>,
    select: Option<&Selector>,
) -> EventBatch {
    if i + 1 == n {
        let mut b = batch.take().unwrap_or_default();
        if let Some(s) = select {
            b.retain(|e| s(e));
        }
        b
    } else {
        match (batch.as_ref(), select) {
            (Some(b), Some(s)) => b.iter().filter(|e| s(e)).cloned().collect(),
            (Some(b), None) => b.clone(),
            (None, _) => Vec::new(),
        }
    }
}

/// `sluice_buffer_bytes` of a batch in a memory buffer: the first event's estimated
/// size times the events, so that counting costs the same for any batch size.
pub fn approx_bytes(b: &EventBatch) -> i64 {
    b.first().map_or(0, |e| e.estimated_size() * b.len()) as i64
}

/// Called by a consumer when it takes a batch out of its buffer.
pub fn taken(metrics: &ComponentMetrics, batch: &EventBatch) {
    metrics.buffer_events.sub(batch.len() as i64);
    metrics.buffer_bytes.sub(approx_bytes(batch));
    if let Some(room) = metrics.buffer_room() {
        room.release(batch.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ComponentKind, Telemetry};
    use sluice_event::Event;

    fn batch(n: usize) -> EventBatch {
        (0..n).map(|_| Event::new()).collect()
    }

    /// Issue 10: a buffer of `max_events = 10000` held 19,263 events, because channels
    /// count batches of any size. The room is now counted in events.
    #[tokio::test]
    async fn a_buffer_holds_at_most_max_events() {
        let t = Telemetry::new();
        let src = t.component("s", "x", ComponentKind::Source);
        let sink = t.component("o", "x", ComponentKind::Sink);
        sink.limit_buffer(100);
        let (tx, mut rx) = mpsc::channel(1000);
        let dropping = Output::new(
            src.clone(),
            vec![Target {
                tx: tx.clone(),
                drop_when_full: true,
                metrics: sink.clone(),
                select: None,
            }],
        );
        for _ in 0..5 {
            dropping.send(batch(60)).await.unwrap();
        }
        assert_eq!(sink.buffer_events.get(), 60, "only the first batch fits");
        let one = batch(1)[0].estimated_size() as i64;
        assert_eq!(
            sink.buffer_bytes.get(),
            60 * one,
            "bytes counted with the events"
        );
        assert_eq!(sink.dropped_counter(DropReason::BufferFull).get(), 240);
        // Taking it out makes room again.
        let b = rx.recv().await.unwrap();
        taken(&sink, &b);
        dropping.send(batch(60)).await.unwrap();
        assert_eq!(sink.buffer_events.get(), 60);

        // A blocking sender waits for room instead.
        let blocking = Output::new(
            src,
            vec![Target {
                tx,
                drop_when_full: false,
                metrics: sink.clone(),
                select: None,
            }],
        );
        let waiting = tokio::spawn(async move { blocking.send(batch(60)).await });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "sent past max_events");
        assert!(sink.buffer_events.get() <= 100);
        let b = rx.recv().await.unwrap();
        taken(&sink, &b);
        waiting.await.unwrap().unwrap();
        assert_eq!(sink.buffer_events.get(), 60);
        let b = rx.recv().await.unwrap();
        taken(&sink, &b);
        assert_eq!(sink.buffer_events.get(), 0);
        // A batch larger than the whole buffer still enters an empty one.
        dropping.send(batch(250)).await.unwrap();
        assert_eq!(rx.recv().await.unwrap().len(), 250);
    }
}
