//! A value read from a file and read again when the file changes: `translate`'s
//! `dictionary_path`, `cidr`'s `network_path`.
//!
//! The file is looked at (one `stat`) at most once per interval, by whichever event
//! comes first after it; the others never wait for it. A file that fails to read or
//! parse on a later check keeps the last good value and is logged; at build time the
//! failure is a config error at its key.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

type Parse<T> = Box<dyn Fn(&str) -> Result<T, String> + Send + Sync>;

/// A file-backed value.
pub struct Reloaded<T> {
    path: PathBuf,
    every: Duration,
    parse: Parse<T>,
    value: RwLock<Arc<T>>,
    /// When to look next, and the modification time of what was read.
    next: Mutex<(Instant, Option<SystemTime>)>,
}

impl<T> std::fmt::Debug for Reloaded<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reloaded({})", self.path.display())
    }
}

impl<T: Default> Reloaded<T> {
    /// A value of `path`, parsed by `parse`, looked at every `every`. Empty until
    /// [`Reloaded::check`] first reads it.
    pub fn new(
        path: PathBuf,
        every: Duration,
        parse: impl Fn(&str) -> Result<T, String> + Send + Sync + 'static,
    ) -> Self {
        Reloaded {
            path,
            every,
            parse: Box::new(parse),
            value: RwLock::new(Arc::new(T::default())),
            next: Mutex::new((Instant::now() + every, None)),
        }
    }

    /// Reads the file now; the error says what is wrong with it.
    pub fn check(&self) -> Result<(), String> {
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
        let text = std::fs::read_to_string(&self.path)
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
        let v = (self.parse)(&text).map_err(|e| format!("{}: {e}", self.path.display()))?;
        if let Ok(mut slot) = self.value.write() {
            *slot = Arc::new(v);
        }
        if let Ok(mut next) = self.next.lock() {
            next.1 = Some(modified);
        }
        Ok(())
    }

    /// The current value, read again first if the interval has passed and the file
    /// changed.
    pub fn current(&self) -> Arc<T> {
        let due = match self.next.try_lock() {
            Ok(mut next) if Instant::now() >= next.0 => {
                next.0 = Instant::now() + self.every;
                let modified = std::fs::metadata(&self.path)
                    .and_then(|m| m.modified())
                    .ok();
                modified.is_some() && modified != next.1
            }
            _ => false,
        };
        if due {
            match self.check() {
                Ok(()) => {
                    tracing::info!(file = %self.path.display(), "Read the file again: it changed.")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "The file changed but cannot be used; keeping what was read before.")
                }
            }
        }
        self.value.read().map(|v| v.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_file_is_read_again_after_the_interval_and_a_broken_one_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("d.txt");
        std::fs::write(&f, "1").unwrap();
        let r = Reloaded::new(f.clone(), Duration::from_millis(20), |t: &str| {
            t.trim().parse::<u32>().map_err(|e| e.to_string())
        });
        r.check().unwrap();
        assert_eq!(*r.current(), 1);
        std::thread::sleep(Duration::from_millis(30));
        std::fs::write(&f, "2").unwrap();
        // The modification time must differ from the first write's.
        let later = SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&f)
            .unwrap()
            .set_modified(later)
            .unwrap();
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(*r.current(), 2);
        std::fs::write(&f, "not a number").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&f)
            .unwrap()
            .set_modified(later + Duration::from_secs(5))
            .unwrap();
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(*r.current(), 2, "a broken file keeps the last good value");
        assert!(
            Reloaded::<u32>::new(dir.path().join("none"), Duration::ZERO, |_| Ok(0))
                .check()
                .is_err()
        );
    }
}
