//! The file sink's settings (★ keys).

use crate::encode::{Encoding, EncodingKind};
use serde::Deserialize;
use sluice_core::config::{Build, ByteSize, HumanDuration};
use sluice_parse::template::Template;
use std::time::Duration;

/// Rotated files are compressed with this.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// `.gz`.
    Gzip,
}

/// `type = "file"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    path: String,
    #[serde(default)]
    encoding: EncodingKind,
    template: Option<String>,
    max_bytes: Option<ByteSize>,
    #[serde(default = "default_backups")]
    backup_count: usize,
    rotate_every: Option<HumanDuration>,
    max_age: Option<HumanDuration>,
    compress: Option<Compression>,
    #[serde(default)]
    fsync: bool,
    #[serde(default = "default_open_files")]
    max_open_files: usize,
    #[serde(default = "default_max_files")]
    max_files: usize,
}

fn default_backups() -> usize {
    5
}
fn default_open_files() -> usize {
    256
}
fn default_max_files() -> usize {
    10_000
}

/// A built file sink's settings.
#[derive(Clone, Debug)]
pub struct FileSinkConfig {
    /// Resolved against `data_dir` when relative.
    pub path: Template,
    /// How each event becomes a line.
    pub encoding: Encoding,
    /// Size rotation like Python's RotatingFileHandler.
    pub max_bytes: Option<u64>,
    /// Rotated files kept.
    pub backup_count: usize,
    /// Time rotation; the rotated file gets a dated suffix.
    pub rotate_every: Option<Duration>,
    /// Rotated files older than this are removed.
    pub max_age: Option<Duration>,
    /// Compression of rotated files.
    pub compress: Option<Compression>,
    /// fsync after each batch.
    pub fsync: bool,
    /// Files open at once (a templated path may name many).
    pub max_open_files: usize,
    /// Distinct files a templated path may name in one run; events that would name
    /// another go to the path with every value from the event replaced by `_overflow`.
    pub max_files: usize,
}

impl Config {
    /// Compiles the path and the encoding; checks the rotation settings.
    pub fn build(self, b: &mut Build<'_>) -> Option<FileSinkConfig> {
        let mark = b.mark();
        let path = b.template(&self.path, "path");
        let encoding = Encoding::build(self.encoding, self.template.as_deref(), b);
        if self.max_bytes.is_some_and(|s| s.0 == 0) {
            b.push(
                "max_bytes",
                "must be more than 0 (leave it out to disable size rotation)",
            );
        }
        let rotate_every = self.rotate_every.map(|HumanDuration(d)| d);
        if rotate_every.is_some_and(|d| d < Duration::from_secs(1)) {
            b.push("rotate_every", "must be at least 1s");
        }
        if !b.clean_since(mark) {
            return None;
        }
        Some(FileSinkConfig {
            path: path?,
            encoding: encoding?,
            max_bytes: self.max_bytes.map(|s| s.0),
            backup_count: self.backup_count,
            rotate_every,
            max_age: self.max_age.map(|d| d.0),
            compress: self.compress,
            fsync: self.fsync,
            max_open_files: self.max_open_files.max(1),
            max_files: self.max_files.max(1),
        })
    }
}
