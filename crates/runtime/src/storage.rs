//! Storage usage: what each sink keeps on disk (its files, its disk buffer, its dead
//! letters) and how full the file systems under them are, sampled every 15 seconds.
//! A file system that falls under 10 % free is logged as a warning once, and again
//! after it has recovered and fallen again; `sluice_filesystem_free_bytes` lets an
//! alert fire before it fills.

use sluice_core::{ComponentMetrics, Telemetry};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One thing to measure: a directory, a name prefix, and the gauge it goes to.
pub(crate) struct Measured {
    pub(crate) dir: PathBuf,
    pub(crate) prefix: String,
    pub(crate) gauge: prometheus::IntGauge,
}

/// Entries visited per directory tree at most, so a huge tree costs a bounded scan.
const MAX_ENTRIES: usize = 100_000;

fn bytes_under(dir: &Path, prefix: &str) -> u64 {
    let mut total = 0;
    let mut seen = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return total;
            }
            let Ok(m) = e.metadata() else { continue };
            let top = d == dir;
            if top && !e.file_name().to_string_lossy().starts_with(prefix) {
                continue;
            }
            if m.is_dir() {
                stack.push(e.path());
            } else {
                total += m.len();
            }
        }
    }
    total
}

/// The nearest existing ancestor of `dir` (a sink's directory may not exist yet).
fn existing(dir: &Path) -> Option<&Path> {
    dir.ancestors().find(|d| d.exists())
}

/// A sink, as the storage sampling sees it: its metrics, where its files are (a
/// directory and a name prefix), and whether it has a disk buffer.
pub(crate) type SinkStorage = (ComponentMetrics, Option<(PathBuf, String)>, bool);

/// What to measure for the sinks, and the directories whose file systems to watch.
pub(crate) fn plan(
    telemetry: &Telemetry,
    data_dir: &Path,
    sinks: &[SinkStorage],
) -> (Vec<Measured>, Vec<PathBuf>) {
    let mut measured = Vec::new();
    let mut dirs = vec![data_dir.to_owned()];
    for (m, files, disk) in sinks {
        if let Some((dir, prefix)) = files {
            dirs.push(dir.clone());
            measured.push(Measured {
                dir: dir.clone(),
                prefix: prefix.clone(),
                gauge: telemetry.storage_bytes(m, "files"),
            });
        }
        if *disk {
            measured.push(Measured {
                dir: sluice_buffer::dir(data_dir, &m.id),
                prefix: String::new(),
                gauge: telemetry.storage_bytes(m, "buffer"),
            });
        }
        measured.push(Measured {
            dir: data_dir.join("dead_letters").join(&m.id),
            prefix: String::new(),
            gauge: telemetry.storage_bytes(m, "dead_letters"),
        });
    }
    dirs.sort();
    dirs.dedup();
    (measured, dirs)
}

/// Samples until the process ends.
pub(crate) async fn monitor(
    telemetry: Telemetry,
    mut measured: Vec<Measured>,
    mut dirs: Vec<PathBuf>,
) {
    let mut low = vec![false; dirs.len()];
    loop {
        let (m2, d2, mut l2, t2) = (measured, dirs, low, telemetry.clone());
        let done = tokio::task::spawn_blocking(move || {
            for m in &m2 {
                m.gauge.set(bytes_under(&m.dir, &m.prefix) as i64);
            }
            for (i, d) in d2.iter().enumerate() {
                let Some(at) = existing(d) else { continue };
                let Ok(st) = rustix::fs::statvfs(at) else { continue };
                let size = st.f_blocks.saturating_mul(st.f_frsize);
                let free = st.f_bavail.saturating_mul(st.f_frsize);
                let label = d.display().to_string();
                let (g_free, g_size) = t2.filesystem(&label);
                g_free.set(free as i64);
                g_size.set(size as i64);
                let is_low = size > 0 && free.saturating_mul(10) < size;
                if is_low && !l2[i] {
                    tracing::warn!(path = %label, free_bytes = free, size_bytes = size, "The file system sluice writes to here has less than 10% free; a full disk holds the pipeline.");
                } else if !is_low && l2[i] {
                    tracing::info!(path = %label, free_bytes = free, "The file system has room again.");
                }
                l2[i] = is_low;
            }
            (m2, d2, l2)
        })
        .await;
        let Ok((m, d, l)) = done else { return };
        (measured, dirs, low) = (m, d, l);
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bytes_are_summed_under_a_prefix_and_in_subdirectories() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("app.log"), vec![0; 100]).unwrap();
        std::fs::write(d.path().join("app.log.1"), vec![0; 50]).unwrap();
        std::fs::write(d.path().join("other.log"), vec![0; 7]).unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/x"), vec![0; 3]).unwrap();
        assert_eq!(super::bytes_under(d.path(), "app.log"), 150);
        assert_eq!(super::bytes_under(d.path(), ""), 160);
        assert_eq!(super::bytes_under(&d.path().join("missing"), ""), 0);
    }
}
