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
    fn storage(&self, data_dir: &std::path::Path) -> Option<(PathBuf, String)> {
        match self.path.literal() {
            // The file and its rotated siblings.
            Some(p) => {
                let path = resolve(data_dir, p);
                let name = path.file_name()?.to_string_lossy().into_owned();
                Some((path.parent()?.to_owned(), name))
            }
            // Everything under the directory before the first reference.
            None => {
                let src = self.path.source();
                let fixed = &src[..src.find("%{").unwrap_or(src.len())];
                let dir = match fixed.rfind('/') {
                    Some(i) => &fixed[..i.max(1)],
                    None => ".",
                };
                Some((resolve(data_dir, dir), String::new()))
            }
        }
    }

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

/// The state of one file sink's writing.
struct Writer<'a> {
    ctx: &'a FileSinkContext,
    files: Files,
    line: Vec<u8>,
    scratch: String,
    path_buf: String,
    static_path: Option<PathBuf>,
    /// The files a templated path has named so far (bounded by max_files).
    named: std::collections::HashSet<PathBuf>,
    file_limit: sluice_core::Noted,
    torn: prometheus::IntCounter,
    /// Events of the batch whose own file could not be written: (index, path, error).
    skipped: Vec<(usize, PathBuf, std::io::Error)>,
}

/// Whether an error holds the whole sink (a full disk, a quota, a read-only or failing
/// file system: nothing else can be written either, and it passes) rather than one
/// file an event names.
fn holds(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        StorageFull | QuotaExceeded | ReadOnlyFilesystem | Interrupted | TimedOut
    ) || e.raw_os_error() == Some(5)
}

impl Writer<'_> {
    /// The file `e` goes to.
    fn path_of(&mut self, e: &sluice_event::Event) -> PathBuf {
        if let Some(p) = &self.static_path {
            return p.clone();
        }
        let cfg = &self.ctx.config;
        self.path_buf.clear();
        cfg.path
            .render_into_with(e, &mut self.path_buf, &mut confine);
        let mut path = resolve(&self.ctx.data_dir, &self.path_buf);
        if !self.named.contains(&path) {
            if self.named.len() >= cfg.max_files {
                // Senders name files: past the bound, one overflow file takes the rest.
                self.path_buf.clear();
                cfg.path
                    .render_into_with(e, &mut self.path_buf, &mut |_, out| {
                        out.push_str("_overflow")
                    });
                path = resolve(&self.ctx.data_dir, &self.path_buf);
                self.file_limit.note(
                    1,
                    &format_args!(
                        "Over max_files ({}) distinct files: events go to {}",
                        cfg.max_files,
                        path.display()
                    ),
                );
            } else {
                self.named.insert(path.clone());
            }
        }
        path
    }

    /// Opens `path` (cutting a torn last line a crash left, counted).
    fn file(
        &mut self,
        path: &PathBuf,
        now: chrono::DateTime<chrono::Utc>,
    ) -> std::io::Result<&mut OpenFile> {
        open_file(&mut self.files, self.ctx, &self.torn, path, now)
    }

    /// Writes and flushes the whole batch; on an error, every open file is cut back to
    /// its last flush, so that nothing of the batch stays and a retry writes it once.
    fn attempt(&mut self, batch: &EventBatch) -> Result<(), (PathBuf, std::io::Error)> {
        let now = chrono::Utc::now();
        self.skipped.clear();
        let result = self.write_all(batch, now).and_then(|()| {
            let fsync = self.ctx.config.fsync;
            for (p, (f, _)) in self.files.open.iter_mut() {
                f.flush(fsync).map_err(|err| (p.clone(), err))?;
            }
            Ok(())
        });
        if result.is_err() {
            // Files that cannot even be cut back are closed; they reopen on the retry.
            self.files.open.retain(|_, (f, _)| f.undo().is_ok());
        }
        result
    }

    fn write_all(
        &mut self,
        batch: &EventBatch,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), (PathBuf, std::io::Error)> {
        let cfg = &self.ctx.config;
        if let Some(path) = &self.static_path {
            // One file for every event: looked up once per batch, not once per event.
            let f = open_file(&mut self.files, self.ctx, &self.torn, path, now)
                .map_err(|err| (path.clone(), err))?;
            for e in batch {
                self.line.clear();
                encode_line(e, &cfg.encoding, &mut self.line, &mut self.scratch);
                f.write_line(&self.line, cfg, now)
                    .map_err(|err| (path.clone(), err))?;
            }
            return Ok(());
        }
        for (i, e) in batch.iter().enumerate() {
            let path = self.path_of(e);
            self.line.clear();
            encode_line(e, &cfg.encoding, &mut self.line, &mut self.scratch);
            let r = open_file(&mut self.files, self.ctx, &self.torn, &path, now)
                .and_then(|f| f.write_line(&self.line, cfg, now));
            match r {
                Ok(()) => {}
                // A full disk holds every file: the batch waits.
                Err(err) if holds(&err) => return Err((path, err)),
                // One file an event names cannot be written (a file where its
                // directory should be, no permission): that event is not written, the
                // others are.
                Err(err) => {
                    self.files.open.remove(&path);
                    self.skipped.push((i, path, err));
                }
            }
        }
        Ok(())
    }
}

fn open_file<'f>(
    files: &'f mut Files,
    ctx: &FileSinkContext,
    torn: &prometheus::IntCounter,
    path: &PathBuf,
    now: chrono::DateTime<chrono::Utc>,
) -> std::io::Result<&'f mut OpenFile> {
    let f = files.get(path, &ctx.config, now)?;
    if f.cut_tail > 0 {
        tracing::warn!(component = %ctx.id, path = %path.display(), bytes = f.cut_tail, "The file ended inside a line (a crash mid-write): the partial line was cut off.");
        torn.inc();
        f.cut_tail = 0;
    }
    Ok(f)
}

/// Runs until the input closes, then flushes and closes every file. Blocking: run it on
/// a blocking thread.
///
/// A batch counts as sent only once it is written and flushed. When it cannot be (a
/// full disk, a directory that went away), what was written of it is cut back, the
/// problem shows in /health and the log (rate-limited), and the batch is tried again
/// with back-off (1 s doubling to 30 s) while it and its acknowledgements are held:
/// that is for what holds every file (a full disk, a quota, a read-only file system; any
/// error of a fixed path). An event whose own templated file cannot be written (a file
/// where its directory should be) is not written and counted (`io_error`); the rest
/// of the batch is.
/// back-pressure reaches the sources, and `when_full = "drop_newest"` on the sink turns
/// it into counted drops at its buffer. Writing resumes by itself once there is room.
/// Only at shutdown is a batch that still cannot be written given up (counted as
/// `io_error` drops, its acknowledging sources told).
pub fn run_file(mut rx: mpsc::Receiver<EventBatch>, ctx: FileSinkContext) {
    let cfg = &ctx.config;
    let io_errors = ctx.metrics.noted(ErrorType::Io);
    let io_drops = ctx.metrics.dropped_counter(DropReason::IoError);
    let static_path = cfg
        .path
        .is_static()
        .then(|| resolve(&ctx.data_dir, cfg.path.source()));
    let mut w = Writer {
        ctx: &ctx,
        files: Files {
            open: HashMap::new(),
            tick: 0,
        },
        line: Vec::with_capacity(4096),
        scratch: String::new(),
        path_buf: String::new(),
        static_path: static_path.clone(),
        named: Default::default(),
        file_limit: ctx.metrics.noted(ErrorType::FileLimit),
        torn: ctx.metrics.error_counter(ErrorType::TornTail),
        skipped: Vec::new(),
    };
    if let Some(path) = &static_path {
        // Found now rather than on the first event: a path that cannot be written.
        if let Err(e) = w.file(path, chrono::Utc::now()) {
            tracing::error!(component = %ctx.id, path = %path.display(), error = %e, "Cannot open the sink's file; events will wait until it can be written.");
            cannot_write(&ctx.metrics, path, &e);
        }
    }
    let mut generation = ctx.reopen.load(std::sync::atomic::Ordering::Relaxed);
    while let Some(batch) = rx.blocking_recv() {
        let started = Instant::now();
        let g = ctx.reopen.load(std::sync::atomic::Ordering::Relaxed);
        if g != generation {
            // Someone moved our files away (logrotate): close them, so that the next
            // write opens (and creates) each by name again.
            generation = g;
            for (_, (mut f, _)) in w.files.open.drain() {
                let _ = f.flush(cfg.fsync);
            }
        }
        received(&batch, &ctx.metrics);
        let mut wait = std::time::Duration::from_secs(1);
        let mut failing = false;
        loop {
            match w.attempt(&batch) {
                Ok(()) => {
                    if failing {
                        tracing::info!(component = %ctx.id, "Writing again.");
                    }
                    let skipped = w.skipped.len();
                    if let Some((_, path, err)) = w.skipped.first() {
                        io_errors.note(
                            skipped as u64,
                            &format_args!(
                                "cannot write {}: {err}; {skipped} events of the batch not written",
                                path.display()
                            ),
                        );
                        cannot_write(&ctx.metrics, path, err);
                        io_drops.inc_by(skipped as u64);
                        for (i, _, _) in &w.skipped {
                            if let Some(t) = &batch[*i].meta().ack {
                                t.update(sluice_event::BatchStatus::Errored);
                            }
                        }
                    } else {
                        ctx.metrics.health.clear();
                    }
                    ctx.metrics
                        .events_sent
                        .inc_by((batch.len() - skipped) as u64);
                    break;
                }
                Err((path, err)) => {
                    failing = true;
                    cannot_write(&ctx.metrics, &path, &err);
                    if rx.is_closed() {
                        // Shutting down: nothing will make room now.
                        io_errors.note(
                            1,
                            &format_args!(
                                "cannot write {}: {err}; shutting down, {} events not written",
                                path.display(),
                                batch.len()
                            ),
                        );
                        io_drops.inc_by(batch.len() as u64);
                        for t in batch.iter().filter_map(|e| e.meta().ack.as_ref()) {
                            t.update(sluice_event::BatchStatus::Errored);
                        }
                        break;
                    }
                    io_errors.note(1, &format_args!("cannot write {}: {err}; the batch of {} events is held and tried again in {wait:?} (back-pressure)", path.display(), batch.len()));
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(std::time::Duration::from_secs(30));
                }
            }
        }
        if let Some(h) = &ctx.metrics.request_duration {
            h.observe(started.elapsed().as_secs_f64());
        }
        drop(batch);
    }
    for (_, (mut f, _)) in w.files.open.drain() {
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
