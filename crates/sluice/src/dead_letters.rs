//! `sluice dead-letters list|replay`: what a sink could not deliver, summarised or sent
//! again through the same sink.

use crate::cli::{DeadLettersArgs, DeadLettersCommand};
use sluice_config::{load_files, Pipeline};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn load(args: &DeadLettersArgs) -> Result<Pipeline, ExitCode> {
    match load_files(&args.config) {
        Ok(mut p) => {
            if let Some(d) = &args.data_dir {
                p.data_dir = d.clone();
            }
            Ok(p)
        }
        Err(e) => {
            eprintln!("sluice: configuration has {} problem(s):", e.0.len());
            for err in &e.0 {
                eprintln!("  {err}");
            }
            Err(ExitCode::from(1))
        }
    }
}

fn dir(p: &Pipeline, sink: &str) -> PathBuf {
    p.data_dir.join("dead_letters").join(sink)
}

/// The dead-letter files of a sink, oldest first.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    // `replaying-*`: set aside by a replay that did not finish; taken up again.
    v.retain(|f| {
        f.file_name().is_some_and(|n| {
            let n = n.to_string_lossy();
            n.starts_with("dead_letters.jsonl") || n.starts_with("replaying-dead_letters.jsonl")
        })
    });
    // dead_letters.jsonl.5 is the oldest, dead_letters.jsonl the newest.
    v.sort_by_key(|f| {
        std::cmp::Reverse(
            f.extension()
                .and_then(|e| e.to_str()?.parse::<u32>().ok())
                .unwrap_or(0),
        )
    });
    v
}

fn records(files: &[PathBuf]) -> Vec<serde_json::Value> {
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|t| {
            t.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect::<Vec<serde_json::Value>>()
        })
        .collect()
}

pub fn main(cmd: DeadLettersCommand) -> ExitCode {
    match cmd {
        DeadLettersCommand::List(a) => list(&a),
        DeadLettersCommand::Replay(a) => {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("sluice: cannot start the async runtime: {e}");
                    return ExitCode::from(2);
                }
            };
            rt.block_on(replay(&a))
        }
    }
}

fn list(a: &DeadLettersArgs) -> ExitCode {
    let p = match load(a) {
        Ok(p) => p,
        Err(c) => return c,
    };
    let sinks: Vec<String> = match &a.sink {
        Some(s) => vec![s.clone()],
        None => p.sinks.keys().cloned().collect(),
    };
    let mut any = false;
    for sink in sinks {
        let recs = records(&files(&dir(&p, &sink)));
        if recs.is_empty() {
            continue;
        }
        any = true;
        println!(
            "{sink}: {} dead letters in {}",
            recs.len(),
            dir(&p, &sink).display()
        );
        let mut by: BTreeMap<(String, String), (usize, String)> = BTreeMap::new();
        for r in &recs {
            let key = (
                r["status"].to_string(),
                r["error"]["type"].as_str().unwrap_or("").to_owned(),
            );
            let e = by
                .entry(key)
                .or_insert((0, r["error"]["reason"].as_str().unwrap_or("").to_owned()));
            e.0 += 1;
        }
        for ((status, ty), (n, reason)) in by {
            println!("  {n:>8}  status {status:<5} {ty}: {reason}");
        }
    }
    if !any {
        println!("no dead letters");
    }
    ExitCode::SUCCESS
}

async fn replay(a: &DeadLettersArgs) -> ExitCode {
    let p = match load(a) {
        Ok(p) => p,
        Err(c) => return c,
    };
    let Some(id) = &a.sink else {
        eprintln!("sluice: dead-letters replay needs --sink ID");
        return ExitCode::from(1);
    };
    let Some(node) = p.sinks.get(id) else {
        eprintln!("sluice: no sink `{id}` in the configuration");
        return ExitCode::from(1);
    };
    let d = dir(&p, id);
    let old = files(&d);
    if old.is_empty() {
        println!("{id}: no dead letters");
        return ExitCode::SUCCESS;
    }
    // Set aside first: what fails again is written anew by the sink.
    let mut taken = Vec::new();
    for f in &old {
        if f.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("replaying-"))
        {
            taken.push(f.clone());
            continue;
        }
        let to = f.with_file_name(format!(
            "replaying-{}",
            f.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        if let Err(e) = std::fs::rename(f, &to) {
            eprintln!("sluice: cannot set aside {}: {e}", f.display());
            return ExitCode::from(2);
        }
        taken.push(to);
    }
    let recs = records(&taken);
    let now = chrono::Utc::now();
    let events: Vec<sluice_event::Event> = recs
        .iter()
        .filter_map(|r| {
            let bytes = serde_json::to_vec(&r["event"]).ok()?;
            Some(sluice_parse::json_event::event_from_json(&bytes, now).unwrap_or_else(|e| e))
        })
        .collect();
    let n = events.len();
    let telemetry = sluice_core::Telemetry::new();
    let metrics = telemetry.component(id, node.type_name, sluice_core::ComponentKind::Sink);
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let task = node.sink.start(
        rx,
        sluice_sinks::SinkContext {
            id: id.clone(),
            data_dir: p.data_dir.clone(),
            metrics: metrics.clone(),
            reopen: Default::default(),
        },
    );
    for chunk in events.chunks(1000) {
        if tx.send(chunk.to_vec()).await.is_err() {
            break;
        }
    }
    drop(tx);
    let _ = task.await;
    for f in &taken {
        let _ = std::fs::remove_file(f);
    }
    let again = records(&files(&d)).len();
    let delivered = metrics.events_sent.get();
    println!("{id}: replayed {n} dead letters: {delivered} delivered, {again} dead-lettered again");
    if again > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
