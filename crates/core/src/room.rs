//! [`BufferRoom`]: a consumer's input buffer bounded in events, not only in batches.
//!
//! Channels count batches, and batches differ in size (a Beats window is one batch of
//! up to `max_window` events), so `buffer.max_events` was only approximate: 19,263 events
//! were seen in a buffer of 10,000. The room is a semaphore of events: a sender takes
//! permits for a batch before it enters, the consumer gives them back when it takes the
//! batch out. A batch larger than the whole buffer takes all of it, so it still enters an
//! empty buffer.

use std::sync::Arc;
use tokio::sync::Semaphore;

/// The events a buffer may still take.
#[derive(Clone, Debug)]
pub struct BufferRoom {
    sem: Arc<Semaphore>,
    max: usize,
}

impl BufferRoom {
    /// Room for `max_events` (at least 1).
    pub fn new(max_events: usize) -> Self {
        let max = max_events.clamp(1, u32::MAX as usize);
        BufferRoom {
            sem: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    fn permits(&self, n: usize) -> u32 {
        n.min(self.max) as u32
    }

    /// Waits until a batch of `n` events fits, and takes the room.
    pub async fn reserve(&self, n: usize) {
        if let Ok(p) = self.sem.acquire_many(self.permits(n)).await {
            p.forget();
        }
    }

    /// Takes the room for `n` events if it is there now.
    pub fn try_reserve(&self, n: usize) -> bool {
        match self.sem.try_acquire_many(self.permits(n)) {
            Ok(p) => {
                p.forget();
                true
            }
            Err(_) => false,
        }
    }

    /// Gives back the room of `n` events (taken out, or never sent).
    pub fn release(&self, n: usize) {
        self.sem.add_permits(self.permits(n) as usize);
    }
}
