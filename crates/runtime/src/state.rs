//! Transform state on disk: what alert rules and models have learned, kept under
//! `data_dir/state/<id>.json` so that a restart or a reload neither forgets a window nor
//! fires an alert twice.
//!
//! A snapshot is written whole to a temporary file, synced and renamed over the old one,
//! so a crash leaves the previous snapshot or the new one, never half of either. The
//! chain that runs the transform writes it every [`EVERY`] and when its inputs close.

use sluice_transforms::Transform;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often a running transform's state is written.
pub(crate) const EVERY: Duration = Duration::from_secs(60);

/// Where the state of transform `id` is kept.
pub(crate) fn path(data_dir: &Path, id: &str) -> PathBuf {
    data_dir.join("state").join(format!("{id}.json"))
}

/// Hands a saved state back to `t`, if there is one; a missing file is a first start, an
/// unreadable or refused one is logged and the transform starts afresh.
pub(crate) fn restore(id: &str, t: &dyn Transform, file: &Path) {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            tracing::warn!(component = %id, file = %file.display(), error = %e, "Cannot read the saved state; starting afresh.");
            return;
        }
    };
    let result = t.restore(&bytes);
    match result {
        Ok(()) => {
            tracing::info!(component = %id, file = %file.display(), "Restored the saved state.")
        }
        Err(e) => {
            tracing::warn!(component = %id, file = %file.display(), error = %e, "The saved state is not usable; starting afresh.")
        }
    }
}

/// Writes `state` to `file` atomically.
pub(crate) fn save(file: &Path, state: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = file.with_extension("json.tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(state)?;
        f.sync_data()?;
    }
    std::fs::rename(&tmp, file)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_state_replaces_the_old_one_whole() {
        let dir = tempfile::tempdir().unwrap();
        let f = path(dir.path(), "monitor");
        save(&f, br#"{"a": 1}"#).unwrap();
        save(&f, br#"{"a": 2}"#).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        assert_eq!(v["a"], 2);
        assert!(!f.with_extension("json.tmp").exists());
    }
}
