//! One open output file and its rotation.
//!
//! Size rotation follows Python's RotatingFileHandler: before a line that would take the
//! file past `max_bytes`, `f.N-1 -> f.N ... f -> f.1` and a new `f` is started; the
//! oldest falls off the end. A single line longer than `max_bytes` still goes into a
//! fresh file whole: lines are never split. Like Python, `backup_count = 0` disables
//! size rotation. Time rotation renames `f` to `f.<period start>` (`2026-11-24` for
//! daily, `2026-11-24_13` for hourly) when the wall clock enters a new period.

use super::{Compression, FileSinkConfig};
use chrono::{DateTime, TimeZone, Utc};
use flate2::write::GzEncoder;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub(super) struct OpenFile {
    path: PathBuf,
    file: BufWriter<File>,
    size: u64,
    /// The size at the last successful flush: a failed batch is cut back to it.
    durable: u64,
    /// Bytes of a partial last line cut off when the file was opened (a crash left it).
    pub(super) cut_tail: u64,
    /// Index of the time period the file belongs to (seconds since epoch / period).
    period: Option<i64>,
}

fn period_of(t: DateTime<Utc>, cfg: &FileSinkConfig) -> Option<i64> {
    cfg.rotate_every
        .map(|d| t.timestamp().div_euclid(d.as_secs().max(1) as i64))
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    PathBuf::from(s)
}

fn gz(path: &Path) -> PathBuf {
    sibling(path, "gz")
}

fn compress_file(src: &Path) -> io::Result<()> {
    let dst = gz(src);
    let mut input = File::open(src)?;
    let out = File::create(&dst)?;
    let mut enc = GzEncoder::new(BufWriter::new(out), flate2::Compression::default());
    io::copy(&mut input, &mut enc)?;
    enc.finish()?.flush()?;
    fs::remove_file(src)
}

/// Cuts a last line that has no newline (a write a crash interrupted) off `file`, so
/// that the next line does not glue onto it; returns the bytes cut.
fn cut_partial_line(file: &File) -> io::Result<u64> {
    use std::os::unix::fs::FileExt;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(0);
    }
    let mut last = [0u8; 1];
    file.read_exact_at(&mut last, len - 1)?;
    if last[0] == b'\n' {
        return Ok(0);
    }
    // Back to the last newline, reading 64 KiB at a time.
    let mut end = len;
    let mut buf = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        file.read_exact_at(chunk, start)?;
        if let Some(i) = memchr_last(chunk) {
            let keep = start + i as u64 + 1;
            file.set_len(keep)?;
            return Ok(len - keep);
        }
        end = start;
    }
    file.set_len(0)?;
    Ok(len)
}

fn memchr_last(b: &[u8]) -> Option<usize> {
    b.iter().rposition(|&c| c == b'\n')
}

impl OpenFile {
    pub(super) fn open(
        path: PathBuf,
        cfg: &FileSinkConfig,
        now: DateTime<Utc>,
    ) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)?;
        let cut_tail = cut_partial_line(&file)?;
        let meta = file.metadata()?;
        // A file left from an earlier period (a restart across midnight) is rotated
        // on the first write, into the period it was last written in.
        let mtime: DateTime<Utc> = meta.modified().map(DateTime::<Utc>::from).unwrap_or(now);
        let period = if meta.len() > 0 {
            period_of(mtime, cfg)
        } else {
            period_of(now, cfg)
        };
        let f = OpenFile {
            path,
            file: BufWriter::with_capacity(256 * 1024, file),
            size: meta.len(),
            durable: meta.len(),
            cut_tail,
            period,
        };
        f.expire(cfg, now);
        Ok(f)
    }

    pub(super) fn write_line(
        &mut self,
        line: &[u8],
        cfg: &FileSinkConfig,
        now: DateTime<Utc>,
    ) -> io::Result<()> {
        if let (Some(cur), Some(p)) = (period_of(now, cfg), self.period) {
            if cur != p && self.size > 0 {
                self.rotate_time(p, cfg, now)?;
            }
            self.period = Some(cur);
        }
        if let Some(max) = cfg.max_bytes {
            if cfg.backup_count > 0 && self.size > 0 && self.size + line.len() as u64 > max {
                self.rotate_size(cfg)?;
            }
        }
        self.file.write_all(line)?;
        self.size += line.len() as u64;
        Ok(())
    }

    pub(super) fn flush(&mut self, fsync: bool) -> io::Result<()> {
        self.file.flush()?;
        if fsync {
            self.file.get_ref().sync_data()?;
        }
        self.durable = self.size;
        Ok(())
    }

    /// Forgets what was written since the last successful flush: the buffered bytes
    /// are discarded and the file is cut back, so that no partial line stays and a
    /// retry writes the lines once.
    pub(super) fn undo(&mut self) -> io::Result<()> {
        let placeholder = BufWriter::new(File::open("/dev/null")?);
        let (file, _discarded) = std::mem::replace(&mut self.file, placeholder).into_parts();
        file.set_len(self.durable)?;
        self.size = self.durable;
        self.file = BufWriter::with_capacity(256 * 1024, file);
        Ok(())
    }

    fn reopen(&mut self) -> io::Result<()> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&self.path)?;
        self.file = BufWriter::with_capacity(256 * 1024, file);
        self.size = 0;
        self.durable = 0;
        Ok(())
    }

    fn rotate_size(&mut self, cfg: &FileSinkConfig) -> io::Result<()> {
        self.file.flush()?;
        let compress = cfg.compress == Some(Compression::Gzip);
        let name = |i: usize| {
            let p = sibling(&self.path, &i.to_string());
            if compress {
                gz(&p)
            } else {
                p
            }
        };
        let n = cfg.backup_count;
        let _ = fs::remove_file(name(n));
        for i in (1..n).rev() {
            let from = name(i);
            if from.exists() {
                fs::rename(&from, name(i + 1))?;
            }
        }
        let first = sibling(&self.path, "1");
        fs::rename(&self.path, &first)?;
        if compress {
            compress_file(&first)?;
        }
        self.reopen()
    }

    fn rotate_time(
        &mut self,
        old_period: i64,
        cfg: &FileSinkConfig,
        now: DateTime<Utc>,
    ) -> io::Result<()> {
        self.file.flush()?;
        let secs = cfg.rotate_every.map_or(86400, |d| d.as_secs().max(1));
        let start = Utc
            .timestamp_opt(old_period * secs as i64, 0)
            .single()
            .unwrap_or(now);
        let fmt = if secs.is_multiple_of(86400) {
            "%Y-%m-%d"
        } else if secs.is_multiple_of(3600) {
            "%Y-%m-%d_%H"
        } else {
            "%Y-%m-%d_%H-%M-%S"
        };
        let stamp = start.format(fmt).to_string();
        let mut target = sibling(&self.path, &stamp);
        let mut k = 1;
        while target.exists() || gz(&target).exists() {
            target = sibling(&self.path, &format!("{stamp}.{k}"));
            k += 1;
        }
        fs::rename(&self.path, &target)?;
        if cfg.compress == Some(Compression::Gzip) {
            compress_file(&target)?;
        }
        self.reopen()?;
        self.expire(cfg, now);
        Ok(())
    }

    /// Removes rotated siblings older than `max_age`.
    fn expire(&self, cfg: &FileSinkConfig, now: DateTime<Utc>) {
        let Some(max_age) = cfg.max_age else { return };
        let (Some(dir), Some(base)) = (self.path.parent(), self.path.file_name()) else {
            return;
        };
        let prefix = format!("{}.", base.to_string_lossy());
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        let cutoff = std::time::SystemTime::from(now) - max_age;
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !name.to_string_lossy().starts_with(&prefix) {
                continue;
            }
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|m| m < cutoff);
            if old {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}
