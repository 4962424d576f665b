//! `type = "file"`: JSON or text lines, rotated by size (Python RotatingFileHandler
//! semantics), by time (dated suffix), or both, with gzip and age-based retention.
//! `path` may be a sprintf template; open files are bounded by `max_open_files`.

mod config;
mod rotate;

pub use config::{Compression, Config, FileSinkConfig};

use crate::{encode_line, received, Sink, SinkContext};
use rotate::OpenFile;
use sluice_core::{ComponentMetrics, DropReason, ErrorType};
use sluice_event::EventBatch;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;
use tokio::sync::mpsc;

/// What the file sink needs to run.
#[derive(Debug)]
pub struct FileSinkContext {
    /// The sink's id.
    pub id: String,
    /// Its settings.
    pub config: FileSinkConfig,
    /// Relative paths resolve against it.
    pub data_dir: PathBuf,
    /// Its metrics.
    pub metrics: ComponentMetrics,
    /// Files are reopened by name when this changes.
    pub reopen: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Sink for FileSinkConfig {
    fn start(
        &self,
        rx: mpsc::Receiver<sluice_event::EventBatch>,
        ctx: SinkContext,
    ) -> tokio::task::JoinHandle<()> {
        let ctx = FileSinkContext {
            id: ctx.id,
            config: self.clone(),
            data_dir: ctx.data_dir,
            metrics: ctx.metrics,
            reopen: ctx.reopen,
        };
        tokio::task::spawn_blocking(move || run_file(rx, ctx))
    }

    /// A fixed path whose directory cannot be created (a file stands where a directory
    /// must be), that names a directory, or whose nearest directory is read-only.
    fn preflight(&self, data_dir: &std::path::Path) -> Option<(&'static str, String)> {
        let path = resolve(data_dir, self.path.literal()?);
        if path.is_dir() {
            return Some(("path", format!("{} is a directory", path.display())));
        }
        let mut dir = path.parent();
        while let Some(d) = dir {
            match std::fs::metadata(d) {
                Ok(m) if !m.is_dir() => {
                    return Some((
                        "path",
                        format!(
                            "cannot create {}: {} is not a directory",
                            path.display(),
                            d.display()
                        ),
                    ))
                }
                Ok(m) if m.permissions().readonly() => {
                    return Some((
                        "path",
                        format!(
                            "cannot create {}: {} is read-only",
                            path.display(),
                            d.display()
                        ),
                    ))
                }
                Ok(_) => return None,
                Err(_) => dir = d.parent(),
            }
        }
        None
    }
}

/// Appends a value from an event to a file path so that it can name a file or a
/// directory level, never a way out of the sink's directory: `/`, `\\` and control
/// characters become `_`, and a value that is empty, `.` or `..` becomes `_`.
fn confine(value: &str, out: &mut String) {
    if value.is_empty() || value == "." || value == ".." {
        out.push('_');
        return;
    }
    out.extend(value.chars().map(|c| {
        if c == '/' || c == '\\' || c.is_control() {
            '_'
        } else {
            c
        }
    }));
}

struct Files {
    open: HashMap<PathBuf, (OpenFile, u64)>,
    tick: u64,
}

/// Runs until the input closes, then flushes and closes every file. Blocking: run it on
/// a blocking thread.
pub fn run_file(mut rx: mpsc::Receiver<EventBatch>, ctx: FileSinkContext) {
    let cfg = &ctx.config;
    let mut files = Files {
        open: HashMap::new(),
        tick: 0,
    };
    let mut line = Vec::with_capacity(4096);
    let mut scratch = String::new();
    let mut path_buf = String::new();
    let io_errors = ctx.metrics.error_counter(ErrorType::Io);
    let io_drops = ctx.metrics.dropped_counter(DropReason::IoError);
    let mut errors_logged = 0u64;
    let static_path = cfg
        .path
        .is_static()
        .then(|| resolve(&ctx.data_dir, cfg.path.source()));
    if let Some(path) = &static_path {
        // Found now rather than on the first event: a path that cannot be written.
        if let Err(e) = files.get(path, cfg, chrono::Utc::now()) {
            tracing::error!(component = %ctx.id, path = %path.display(), error = %e, "Cannot open the sink's file; events will be dropped until it can be written.");
            cannot_write(&ctx.metrics, path, &e);
        }
    }
    let mut generation = ctx.reopen.load(std::sync::atomic::Ordering::Relaxed);
    // The files a templated path has named so far (bounded by max_files).
    let mut named: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    let file_limit = ctx.metrics.noted(ErrorType::FileLimit);
    while let Some(batch) = rx.blocking_recv() {
        let started = Instant::now();
        let g = ctx.reopen.load(std::sync::atomic::Ordering::Relaxed);
        if g != generation {
            // Someone moved our files away (logrotate): close them, so that the next
            // write opens (and creates) each by name again.
            generation = g;
            for (_, (mut f, _)) in files.open.drain() {
                let _ = f.flush(cfg.fsync);
            }
        }
        received(&batch, &ctx.metrics);
        let now = chrono::Utc::now();
        let mut written = 0u64;
        let mut failed = 0u64;
        if let Some(path) = &static_path {
            // One file for every event: look it up once per batch, not once per event.
            let mut error = None;
            match files.get(path, cfg, now) {
                Ok(f) => {
                    for e in &batch {
                        line.clear();
                        encode_line(e, &cfg.encoding, &mut line, &mut scratch);
                        match f.write_line(&line, cfg, now) {
                            Ok(()) => written += 1,
                            Err(err) => {
                                failed += 1;
                                error.get_or_insert(err);
                            }
                        }
                    }
                }
                Err(err) => {
                    failed = batch.len() as u64;
                    error = Some(err);
                }
            }
            if let Some(err) = error {
                io_errors.inc();
                files.open.remove(path);
                cannot_write(&ctx.metrics, path, &err);
                if errors_logged.is_multiple_of(1000) {
                    tracing::error!(component = %ctx.id, path = %path.display(), error = %err, "Cannot write to file; events dropped.");
                }
                errors_logged += 1;
            }
        }
        for e in batch.iter().filter(|_| static_path.is_none()) {
            path_buf.clear();
            cfg.path.render_into_with(e, &mut path_buf, &mut confine);
            let mut path = resolve(&ctx.data_dir, &path_buf);
            if !named.contains(&path) {
                if named.len() >= cfg.max_files {
                    // Senders name files: past the bound, one overflow file takes the rest.
                    path_buf.clear();
                    cfg.path.render_into_with(e, &mut path_buf, &mut |_, out| {
                        out.push_str("_overflow")
                    });
                    path = resolve(&ctx.data_dir, &path_buf);
                    file_limit.note(
                        1,
                        &format_args!(
                            "Over max_files ({}) distinct files: events go to {}",
                            cfg.max_files,
                            path.display()
                        ),
                    );
                } else {
                    named.insert(path.clone());
                }
            }
            line.clear();
            encode_line(e, &cfg.encoding, &mut line, &mut scratch);
            let res = files
                .get(&path, cfg, now)
                .and_then(|f| f.write_line(&line, cfg, now));
            match res {
                Ok(()) => written += 1,
                Err(err) => {
                    failed += 1;
                    io_errors.inc();
                    files.open.remove(&path);
                    cannot_write(&ctx.metrics, &path, &err);
                    if errors_logged.is_multiple_of(1000) {
                        tracing::error!(component = %ctx.id, path = %path.display(), error = %err, "Cannot write to file; events dropped.");
                    }
                    errors_logged += 1;
                }
            }
        }
        // One flush per batch; the batch (and its ack tokens) is released after it.
        let mut flush_failed = false;
        for (p, (f, _)) in files.open.iter_mut() {
            if let Err(err) = f.flush(cfg.fsync) {
                flush_failed = true;
                io_errors.inc();
                cannot_write(&ctx.metrics, p, &err);
                tracing::error!(component = %ctx.id, path = %p.display(), error = %err, "Flush failed.");
            }
        }
        if flush_failed {
            files.open.clear();
        }
        if failed > 0 {
            io_drops.inc_by(failed);
        }
        if failed == 0 && !flush_failed && !batch.is_empty() {
            // Written again (the disk has room, the directory came back).
            ctx.metrics.health.clear();
        }
        if failed > 0 || flush_failed {
            // Tell acknowledging sources (Beats) not to ACK: their clients will resend.
            for t in batch.iter().filter_map(|e| e.meta().ack.as_ref()) {
                t.update(sluice_event::BatchStatus::Errored);
            }
        }
        ctx.metrics.events_sent.inc_by(written);
        if let Some(h) = &ctx.metrics.request_duration {
            h.observe(started.elapsed().as_secs_f64());
        }
        drop(batch);
    }
    for (_, (mut f, _)) in files.open.drain() {
        let _ = f.flush(cfg.fsync);
    }
}

/// `/health` and `/ready` say which file cannot be written, and why.
fn cannot_write(m: &ComponentMetrics, path: &std::path::Path, e: &dyn std::fmt::Display) {
    m.health
        .set_problem(format!("cannot write {}: {e}", path.display()));
}

fn resolve(data_dir: &std::path::Path, p: &str) -> PathBuf {
    let p = PathBuf::from(p);
    if p.is_absolute() {
        p
    } else {
        data_dir.join(p)
    }
}

impl Files {
    fn get(
        &mut self,
        path: &PathBuf,
        cfg: &FileSinkConfig,
        now: chrono::DateTime<chrono::Utc>,
    ) -> std::io::Result<&mut OpenFile> {
        self.tick += 1;
        let tick = self.tick;
        if !self.open.contains_key(path) {
            if self.open.len() >= cfg.max_open_files {
                // Close the least recently used file to stay within the bound.
                if let Some(old) = self
                    .open
                    .iter()
                    .min_by_key(|(_, (_, t))| *t)
                    .map(|(p, _)| p.clone())
                {
                    if let Some((mut f, _)) = self.open.remove(&old) {
                        f.flush(cfg.fsync)?;
                    }
                }
            }
            let f = OpenFile::open(path.clone(), cfg, now)?;
            self.open.insert(path.clone(), (f, tick));
        }
        let entry = self
            .open
            .get_mut(path)
            .ok_or_else(|| std::io::Error::other("file vanished from the open set"))?;
        entry.1 = tick;
        Ok(&mut entry.0)
    }
}

#[cfg(test)]
mod tests;
