//! The ledger: where the reader is, made durable by write, fsync, rename, fsync of the
//! directory, so that it is either the old one or the new one after a crash.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A position in the log: a segment and a byte offset in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// The segment's number.
    pub segment: u64,
    /// Bytes into it.
    pub offset: u64,
}

/// The ledger file of a buffer directory.
pub fn path(dir: &Path) -> PathBuf {
    dir.join("ledger.json")
}

/// The acknowledged position; `Err` says why there is none to trust (missing, empty,
/// not a ledger).
pub fn load(dir: &Path) -> Result<Pos, String> {
    let p = path(dir);
    let text = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    if text.is_empty() {
        return Err(format!("{} is empty", p.display()));
    }
    let v: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| format!("{} is not a ledger: {e}", p.display()))?;
    match (v["segment"].as_u64(), v["offset"].as_u64()) {
        (Some(segment), Some(offset)) => Ok(Pos { segment, offset }),
        _ => Err(format!("{} has no segment and offset", p.display())),
    }
}

/// Makes `pos` the acknowledged position, durably.
pub fn store(dir: &Path, pos: Pos) -> std::io::Result<()> {
    let tmp = dir.join("ledger.json.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    writeln!(
        f,
        "{{\"version\":1,\"segment\":{},\"offset\":{}}}",
        pos.segment, pos.offset
    )?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path(dir))?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_positions_load_and_damage_is_reported() {
        let d = tempfile::tempdir().unwrap();
        assert!(load(d.path()).is_err());
        let pos = Pos {
            segment: 3,
            offset: 4096,
        };
        store(d.path(), pos).unwrap();
        assert_eq!(load(d.path()).unwrap(), pos);
        std::fs::write(path(d.path()), b"").unwrap();
        assert!(load(d.path()).unwrap_err().contains("empty"));
        std::fs::write(path(d.path()), b"{\"segm").unwrap();
        assert!(load(d.path()).unwrap_err().contains("not a ledger"));
    }
}
