//! [`Health`]: what a component says about its own state, for `/health` and `/ready`.

use std::sync::{Arc, Mutex};

/// A component's current problem, if it has one (a sink that cannot write). Shared by
/// the component, which sets and clears it, and the admin endpoint, which reports it.
#[derive(Clone, Debug, Default)]
pub struct Health(Arc<Mutex<Option<String>>>);

impl Health {
    /// Reports a problem; replaces the one before.
    pub fn set_problem(&self, why: impl Into<String>) {
        if let Ok(mut p) = self.0.lock() {
            *p = Some(why.into());
        }
    }

    /// The problem is gone.
    pub fn clear(&self) {
        if let Ok(mut p) = self.0.lock() {
            if p.is_some() {
                *p = None;
            }
        }
    }

    /// The current problem, if any.
    pub fn problem(&self) -> Option<String> {
        self.0.lock().ok().and_then(|p| p.clone())
    }
}
