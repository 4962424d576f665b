//! `sluice buffer inspect|verify|repair`: the disk buffers, offline.

use crate::cli::{BufferArgs, BufferCommand};
use sluice_buffer::scan;
use std::path::PathBuf;
use std::process::ExitCode;

/// The buffer directories asked for: `(sink id, dir)`.
fn buffers(a: &BufferArgs) -> Result<Vec<(String, PathBuf)>, String> {
    let root = a.data_dir.join("buffers");
    if let Some(id) = &a.sink {
        let d = sluice_buffer::dir(&a.data_dir, id);
        return if d.is_dir() {
            Ok(vec![(id.clone(), d)])
        } else {
            Err(format!(
                "no disk buffer for sink `{id}` in {}",
                root.display()
            ))
        };
    }
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&root)
        .map_err(|e| format!("{}: {e}", root.display()))?
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort();
    Ok(out)
}

pub fn main(cmd: BufferCommand) -> ExitCode {
    let (a, what) = match &cmd {
        BufferCommand::Inspect(a) => (a, "inspect"),
        BufferCommand::Verify(a) => (a, "verify"),
        BufferCommand::Repair(a) => (a, "repair"),
    };
    let list = match buffers(a) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("sluice: {e}");
            return ExitCode::from(1);
        }
    };
    if list.is_empty() {
        println!(
            "no disk buffers in {}",
            a.data_dir.join("buffers").display()
        );
        return ExitCode::SUCCESS;
    }
    let mut damaged = false;
    for (id, dir) in list {
        let s = match scan::scan(&dir) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("sluice: {}: {e}", dir.display());
                return ExitCode::from(2);
            }
        };
        println!(
            "{id}: {} events, {} bytes waiting in {} segments, from segment {} offset {}",
            s.records(),
            s.bytes(),
            s.segments.len(),
            s.start.segment,
            s.start.offset
        );
        if let Some(why) = &s.ledger_problem {
            println!("  ledger: {why}");
        }
        if what == "inspect" {
            for seg in &s.segments {
                println!(
                    "  segment {}: {} bytes, {} events from offset {}{}",
                    seg.id,
                    seg.bytes,
                    seg.records,
                    seg.from,
                    if seg.corrupt > 0 {
                        format!(", {} damaged", seg.corrupt)
                    } else {
                        String::new()
                    }
                );
            }
        }
        for seg in s.segments.iter().filter(|g| g.corrupt > 0) {
            damaged = true;
            let cut = seg
                .cut_at
                .map(|at| format!("; unreadable from byte {at} on"))
                .unwrap_or_default();
            println!("  segment {}: {} damaged records{cut}", seg.id, seg.corrupt);
        }
        if what == "repair" {
            match scan::repair(&dir, &s) {
                Ok(0) => println!("  nothing to cut"),
                Ok(n) => println!("  cut {n} damaged tails; records skipped inside segments are skipped again on reading"),
                Err(e) => {
                    eprintln!("sluice: cannot repair {}: {e}", dir.display());
                    return ExitCode::from(2);
                }
            }
        }
    }
    if what == "verify" && damaged {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
