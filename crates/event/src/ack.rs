//! End-to-end acknowledgement without a runtime dependency.
//!
//! A source that can acknowledge (Beats, HTTP) creates one [`AckToken`] per window and
//! attaches a clone to every event of it. Every component that drops an event drops its
//! clone; a sink drops its clone only after the write is durable. When the last clone
//! goes, the callback runs with the worst status any holder reported.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

/// The outcome of a window of events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum BatchStatus {
    /// Every event reached its sinks (or was deliberately dropped by a filter).
    Delivered = 0,
    /// A sink failed with an error it may recover from; the sender should resend.
    Errored = 1,
    /// A sink rejected an event for good (it went to a dead-letter queue or was lost).
    Rejected = 2,
}

type Callback = Box<dyn FnOnce(BatchStatus) + Send>;

struct Inner {
    status: AtomicU8,
    callback: Mutex<Option<Callback>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let status = match self.status.load(Ordering::Acquire) {
            0 => BatchStatus::Delivered,
            1 => BatchStatus::Errored,
            _ => BatchStatus::Rejected,
        };
        let cb = self.callback.get_mut().ok().and_then(Option::take);
        if let Some(cb) = cb {
            cb(status);
        }
    }
}

/// A shared handle; the callback fires when the last clone is dropped.
#[derive(Clone)]
pub struct AckToken(Arc<Inner>);

impl AckToken {
    /// A token that calls `callback` once, when its last copy is dropped.
    pub fn new(callback: impl FnOnce(BatchStatus) + Send + 'static) -> Self {
        AckToken(Arc::new(Inner {
            status: AtomicU8::new(0),
            callback: Mutex::new(Some(Box::new(callback))),
        }))
    }

    /// Records a worse outcome; the final status is the worst reported.
    pub fn update(&self, status: BatchStatus) {
        self.0.status.fetch_max(status as u8, Ordering::AcqRel);
    }
}

impl fmt::Debug for AckToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AckToken")
            .field("holders", &Arc::strong_count(&self.0))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn fires_once_after_last_clone_with_worst_status() {
        let (tx, rx) = mpsc::channel();
        let t = AckToken::new(move |s| tx.send(s).unwrap());
        let a = t.clone();
        let b = t.clone();
        drop(t);
        a.update(BatchStatus::Errored);
        drop(a);
        assert!(rx.try_recv().is_err(), "must not fire while a clone lives");
        drop(b);
        assert_eq!(rx.try_recv().unwrap(), BatchStatus::Errored);
        assert!(rx.try_recv().is_err());
    }
}
