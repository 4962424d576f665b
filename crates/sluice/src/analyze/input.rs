//! Which files `sluice analyze` reads, in which order: files, directories, globs, stdin;
//! a rotated set (`studio.log.2.gz`, `studio.log.1`, `studio.log`) oldest first; gzip
//! read transparently.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The rotation number of `name` relative to its base (`studio.log.2.gz` -> 2), 0 for
/// the live file.
fn rotation(name: &str) -> (String, u32) {
    let plain = name.strip_suffix(".gz").unwrap_or(name);
    if let Some((base, n)) = plain.rsplit_once('.') {
        if let Ok(n) = n.parse::<u32>() {
            return (base.to_owned(), n);
        }
    }
    (plain.to_owned(), 0)
}

/// The files `args` name (`-` is stdin, returned as an empty path), oldest first within
/// each rotated set.
pub(crate) fn expand(args: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for a in args {
        let s = a.to_string_lossy();
        if s == "-" {
            files.push(PathBuf::new());
        } else if a.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(a)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            inside.sort();
            files.extend(inside);
        } else if s.contains(['*', '?', '[']) {
            let mut hits: Vec<PathBuf> = glob::glob(&s)?.filter_map(Result::ok).collect();
            if hits.is_empty() {
                anyhow::bail!("{s}: no file matches");
            }
            hits.sort();
            files.extend(hits);
        } else if a.exists() {
            files.push(a.clone());
        } else {
            anyhow::bail!("{}: no such file", a.display());
        }
    }
    if files.is_empty() {
        files.push(PathBuf::new());
    }
    // Oldest first: a set's highest rotation number first, the live file last.
    files.sort_by(|a, b| {
        let name = |p: &Path| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let (ra, rb) = (rotation(&name(a)), rotation(&name(b)));
        (a.parent(), &ra.0, std::cmp::Reverse(ra.1)).cmp(&(
            b.parent(),
            &rb.0,
            std::cmp::Reverse(rb.1),
        ))
    });
    files.dedup();
    Ok(files)
}

/// True for a gzip file (by its magic bytes).
pub(crate) fn is_gzip(path: &Path) -> anyhow::Result<bool> {
    if path.as_os_str().is_empty() {
        return Ok(false);
    }
    let mut f =
        std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic)?;
    Ok(n == 2 && magic == [0x1f, 0x8b])
}

/// Re-opens plain file `path` at byte `at` (a reader from [`open`] cannot seek).
pub(crate) fn seek(r: &mut Box<dyn BufRead>, path: &Path, at: u64) -> anyhow::Result<()> {
    use std::io::Seek;
    let mut f =
        std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    f.seek(std::io::SeekFrom::Start(at))?;
    *r = Box::new(BufReader::with_capacity(1 << 20, f));
    Ok(())
}

/// A reader of `path` (stdin for an empty path), gunzipped when it is gzip.
pub(crate) fn open(path: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    if path.as_os_str().is_empty() {
        return Ok(Box::new(BufReader::with_capacity(
            1 << 20,
            std::io::stdin(),
        )));
    }
    let mut f =
        std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic)?;
    use std::io::Seek;
    f.seek(std::io::SeekFrom::Start(0))?;
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(f),
        )))
    } else {
        Ok(Box::new(BufReader::with_capacity(1 << 20, f)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_set_is_read_oldest_first() {
        let d = tempfile::tempdir().unwrap();
        for n in [
            "studio.log",
            "studio.log.1",
            "studio.log.2.gz",
            "studio.log.10",
            "other.log",
        ] {
            std::fs::write(d.path().join(n), "").unwrap();
        }
        let got: Vec<String> = expand(&[d.path().to_owned()])
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            got,
            [
                "other.log",
                "studio.log.10",
                "studio.log.2.gz",
                "studio.log.1",
                "studio.log"
            ]
        );
    }
}
