//! `sluice analyze`: the mission's log reports, offline, right, and streaming (★
//! subcommands `report`, `errors`, `slow`, `auth`, `db`, `patterns`, `export`).
//!
//! One pass over the files (oldest first within a rotated set, gzip read transparently)
//! reads each line as the start of a record, a traceback line joined to the record before
//! it, or an unparsed line (counted, never fatal; invalid UTF-8 is read lossily), and
//! counts what the report needs. Memory is bounded by the report, not the input (see
//! `report.rs`). Definitions are the seed's, corrected: errors per hour of their own
//! timestamp, slow requests above any `--threshold`, errors grouped by template (Drain,
//! the template transform's miner) rather than by text that carries request ids, brute
//! force as more than N failures from one address inside a window.

mod input;
mod line;
mod offline;
mod plot;
mod report;

pub(crate) use line::Format as InputFormat;

use crate::cli::{AnalyzeArgs, AnalyzeCommand};
use line::{Line, Record};
use report::{Report, Settings};
use std::io::{BufRead, Write};

/// `5/5m` -> (5, 300).
fn burst(s: &str) -> anyhow::Result<(usize, i64)> {
    let (n, d) = s
        .split_once('/')
        .ok_or_else(|| anyhow::anyhow!("--brute-force {s}: write COUNT/WINDOW, such as 5/5m"))?;
    let n = n
        .parse()
        .map_err(|_| anyhow::anyhow!("--brute-force {s}: `{n}` is not a count"))?;
    let d = sluice_core::config::parse_duration(d)
        .map_err(|e| anyhow::anyhow!("--brute-force {s}: {e}"))?;
    Ok((n, d.as_secs() as i64))
}

/// `--since`/`--until`: a time as the logs write it or RFC 3339, or relative to `now`:
/// `today` (its midnight), `yesterday`, or a duration ago (`24h`, `7d`).
fn time_arg(
    name: &str,
    v: Option<&str>,
    now: chrono::NaiveDateTime,
) -> anyhow::Result<Option<chrono::NaiveDateTime>> {
    let Some(s) = v else { return Ok(None) };
    let midnight = now.date().and_hms_opt(0, 0, 0).unwrap_or(now);
    let t = match s {
        "today" => Some(midnight),
        "yesterday" => Some(midnight - chrono::Duration::days(1)),
        _ => line::time_of(s).or_else(|| {
            sluice_core::config::parse_duration(s)
                .ok()
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .map(|d| now - d)
        }),
    };
    t.map(Some).ok_or_else(|| {
        anyhow::anyhow!("{name} {s}: write YYYY-MM-DD HH:MM:SS, RFC 3339, today, yesterday or a duration such as 24h")
    })
}

/// `--now`, or the wall clock in this machine's zone (the zone logs are written in).
fn now_arg(v: Option<&str>) -> anyhow::Result<chrono::NaiveDateTime> {
    match v {
        Some(s) => line::time_of(s)
            .ok_or_else(|| anyhow::anyhow!("--now {s}: write YYYY-MM-DD HH:MM:SS or RFC 3339")),
        None => Ok(chrono::Local::now().naive_local()),
    }
}

/// A piece of the input one thread reads: a whole file (stdin, gzip, small files) or a
/// byte range of a large plain file.
struct Piece {
    path: std::path::PathBuf,
    range: Option<(u64, u64)>,
}

/// Files above this are read by several threads, in ranges.
const SPLIT_BYTES: u64 = 8 << 20;

fn pieces(a: &AnalyzeArgs, threads: usize) -> anyhow::Result<Vec<Piece>> {
    let mut out = Vec::new();
    for path in input::expand(&a.files)? {
        let len = if path.as_os_str().is_empty() {
            0
        } else {
            std::fs::metadata(&path)?.len()
        };
        let gz = input::is_gzip(&path)?;
        if gz || len < SPLIT_BYTES || threads < 2 {
            out.push(Piece { path, range: None });
            continue;
        }
        let step = len.div_ceil(threads as u64 * 4);
        let mut start = 0;
        while start < len {
            let end = (start + step).min(len);
            out.push(Piece {
                path: path.clone(),
                range: Some((start, end)),
            });
            start = end;
        }
    }
    Ok(out)
}

/// Reads one piece, calling `each` on every whole record kept by the time range. A range
/// starts at the first record that starts at or after its first byte, and ends before
/// the first record that starts at or after its last: a traceback that crosses the
/// boundary stays with its record.
fn read_piece(
    piece: &Piece,
    format: line::Format,
    report: &mut Report,
    each: &mut dyn FnMut(&mut Report, &Record),
    progress: Option<&indicatif::ProgressBar>,
) -> anyhow::Result<()> {
    let mut unreported = 0u64;
    let mut r = input::open(&piece.path)?;
    let (start, end) = piece.range.unwrap_or((0, u64::MAX));
    let mut offset = 0u64;
    let mut buf = Vec::with_capacity(4096);
    if start > 0 {
        input::seek(&mut r, &piece.path, start - 1)?;
        offset = start - 1;
        offset += r.read_until(b'\n', &mut buf)? as u64;
    }
    let mut begun = start == 0;
    let mut pending: Option<Record> = None;
    loop {
        buf.clear();
        let at = offset;
        let n = r.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        offset += n as u64;
        unreported += n as u64;
        if unreported >= 1 << 22 {
            if let Some(p) = progress {
                p.inc(unreported);
            }
            unreported = 0;
        }
        // Valid UTF-8 is the rule: checked without the lossy path's copy.
        let lossy;
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => t,
            Err(_) => {
                lossy = String::from_utf8_lossy(&buf);
                &lossy
            }
        };
        let text = text.strip_suffix('\n').unwrap_or(text);
        let l = line::read(text, format);
        let starts = matches!(l, Line::Start(_));
        if !begun {
            if !starts {
                continue;
            }
            begun = true;
        }
        if at >= end && starts {
            break;
        }
        report.lines += 1;
        match l {
            Line::Start(rec) => {
                if let Some(p) = pending.take() {
                    if report.wanted(&p) {
                        each(report, &p);
                    }
                }
                pending = Some(rec);
            }
            Line::More => match &mut pending {
                Some(p) if !text.trim().is_empty() => {
                    p.message.push('\n');
                    p.message.push_str(text);
                }
                Some(_) => {}
                None => report.unparsed += u64::from(!text.trim().is_empty()),
            },
            Line::Unparsed => report.unparsed += 1,
        }
    }
    if let Some(p) = pending.take() {
        if report.wanted(&p) {
            each(report, &p);
        }
    }
    if let Some(p) = progress {
        p.inc(unreported);
    }
    Ok(())
}

/// A progress bar on a terminal for inputs over 256 MiB (of plain files).
fn progress_bar(work: &[Piece]) -> Option<indicatif::ProgressBar> {
    let total: u64 = work
        .iter()
        .map(|p| match p.range {
            Some((s, e)) => e - s,
            None => std::fs::metadata(&p.path).map_or(0, |m| m.len()),
        })
        .sum();
    if total < 256 << 20 || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

/// Reads every file of `a` in order on this thread, calling `each` on every record.
fn scan(
    a: &AnalyzeArgs,
    report: &mut Report,
    mut each: impl FnMut(&mut Report, &Record),
) -> anyhow::Result<()> {
    for p in pieces(a, 1)? {
        read_piece(&p, a.input_format, report, &mut each, None)?;
    }
    Ok(())
}

/// The report of `a`, read by as many threads as there are cores, each on its own
/// pieces; their counts are merged.
fn full_report(a: &AnalyzeArgs) -> anyhow::Result<Report> {
    let s = settings(a)?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let work = pieces(a, threads)?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let bar = progress_bar(&work);
    let results: Vec<anyhow::Result<Report>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(work.len()).max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut rep = Report::new(s.clone());
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(p) = work.get(i) else { break };
                        read_piece(
                            p,
                            a.input_format,
                            &mut rep,
                            &mut |r, rec| r.add(rec),
                            bar.as_ref(),
                        )?;
                    }
                    Ok(rep)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a reader thread panicked")))
            })
            .collect()
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut total = Report::new(s);
    for r in results {
        total.merge(r?);
    }
    for w in total.warnings() {
        eprintln!("sluice analyze: {w}");
    }
    Ok(total)
}

fn settings(a: &AnalyzeArgs) -> anyhow::Result<Settings> {
    let (n, secs) = burst(&a.brute_force)?;
    let now = now_arg(a.now.as_deref())?;
    Ok(Settings {
        threshold_ms: a.threshold,
        burst: n,
        burst_secs: secs,
        since: time_arg("--since", a.since.as_deref(), now)?,
        until: time_arg("--until", a.until.as_deref(), now)?,
        top: a.top,
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Runs one `sluice analyze` subcommand; the exit code.
pub(crate) fn main(cmd: AnalyzeCommand) -> anyhow::Result<i32> {
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    match cmd {
        AnalyzeCommand::Report { args, format } => {
            let j = full_report(&args)?.json();
            let table = match format {
                Some(f) => f == "table",
                None => std::io::IsTerminal::is_terminal(&std::io::stdout()),
            };
            if table {
                write!(out, "{}", report_table(&j))?;
            } else {
                writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
            }
        }
        AnalyzeCommand::Errors { args, date } => {
            for h in full_report(&args)?.json()["errors_by_hour"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let hour = h["hour"].as_str().unwrap_or("");
                if date.as_deref().is_none_or(|d| hour.starts_with(d)) {
                    writeln!(out, "{}  {}", hour, h["count"])?;
                }
            }
        }
        AnalyzeCommand::Slow { args } => section(&args, "slow_requests", &mut out)?,
        AnalyzeCommand::Auth { args } => section(&args, "auth", &mut out)?,
        AnalyzeCommand::Db { args } => section(&args, "database", &mut out)?,
        AnalyzeCommand::Patterns { args } => {
            let mut rep = Report::new(settings(&args)?);
            let mut d = sluice_parse::drain::Drain::new(sluice_parse::drain::Params::default());
            let mut counts: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
            scan(&args, &mut rep, |_, rec| {
                let f = d.add(rec.message.lines().next().unwrap_or(""));
                *counts.entry(f.id).or_default() += 1;
            })?;
            let mut all: Vec<(u64, String)> = d
                .clusters()
                .map(|(id, t, _)| (counts.get(&id).copied().unwrap_or(0), t))
                .collect();
            all.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            for (n, t) in all.iter().take(args.top) {
                writeln!(out, "{n:>10}  {t}")?;
            }
        }
        AnalyzeCommand::Anomalies { args, warmup, json } => {
            let mut rep = Report::new(settings(&args)?);
            let mut model = offline::Offline::new(warmup)?;
            scan(&args, &mut rep, |_, rec| model.add(rec))?;
            model.flush();
            offline::print_anomalies(&model.found, json, &mut out)?;
        }
        AnalyzeCommand::Troubleshoot { topic, args } => {
            offline::troubleshoot(&topic, &full_report(&args)?, &mut out)?;
        }
        AnalyzeCommand::Plot {
            args,
            out: file,
            font,
        } => {
            let rep = full_report(&args)?;
            plot::plot(&rep, &file, font.as_deref())?;
            writeln!(out, "{}", file.display())?;
        }
        AnalyzeCommand::Export { args, csv } => {
            let mut rep = Report::new(settings(&args)?);
            let mut w = std::io::BufWriter::new(
                std::fs::File::create(&csv)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", csv.display()))?,
            );
            writeln!(w, "level,timestamp,module,message,response_time,ip")?;
            let mut err = None;
            scan(&args, &mut rep, |_, rec| {
                let row = format!(
                    "{},{},{},{},{},{}",
                    rec.level.map_or("", |l| line::LEVELS[l]),
                    rec.time
                        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string())
                        .unwrap_or_default(),
                    csv_field(&rec.module),
                    csv_field(&rec.message),
                    report::response_time(&rec.message)
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                    rec.ip
                        .clone()
                        .or_else(|| report::ipv4(&rec.message).map(str::to_owned))
                        .unwrap_or_default(),
                );
                if let Err(e) = writeln!(w, "{row}") {
                    err.get_or_insert(e);
                }
            })?;
            if let Some(e) = err {
                anyhow::bail!("{}: {e}", csv.display());
            }
            w.flush()?;
        }
    }
    out.flush()?;
    Ok(0)
}

fn section(args: &AnalyzeArgs, key: &str, out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&full_report(args)?.json()[key])?
    )?;
    Ok(())
}

/// The report for people.
fn report_table(j: &serde_json::Value) -> String {
    let mut s = String::new();
    use std::fmt::Write;
    let _ = writeln!(
        s,
        "lines {}  events {}  unparsed {}",
        j["lines"], j["events"], j["unparsed"]
    );
    let _ = writeln!(s, "\nlevels");
    for (k, v) in j["levels"].as_object().into_iter().flatten() {
        let _ = writeln!(s, "  {k:<9} {v:>10}");
    }
    let _ = writeln!(s, "\nerrors by hour");
    for h in j["errors_by_hour"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "  {}  {:>6}",
            h["hour"].as_str().unwrap_or(""),
            h["count"]
        );
    }
    let _ = writeln!(s, "\ntop errors");
    for e in j["top_errors"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "  {:>6}  {}",
            e["count"],
            e["template"].as_str().unwrap_or("")
        );
    }
    let sr = &j["slow_requests"];
    let _ = writeln!(
        s,
        "\nslow requests over {} ms: {}",
        sr["threshold_ms"], sr["count"]
    );
    for r in sr["slowest"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "  {:>7} ms  {}  {}",
            r["response_time"],
            r["timestamp"].as_str().unwrap_or(""),
            r["message"].as_str().unwrap_or("")
        );
    }
    let a = &j["auth"];
    let _ = writeln!(
        s,
        "\nlogins: {} succeeded, {} failed (success rate {:.3})",
        a["success"],
        a["failed"],
        a["success_rate"].as_f64().unwrap_or(0.0)
    );
    for b in a["brute_force"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "  brute force from {}: {} failures, {} to {}",
            b["ip"].as_str().unwrap_or(""),
            b["failures"],
            b["first"].as_str().unwrap_or(""),
            b["last"].as_str().unwrap_or("")
        );
    }
    let d = &j["database"];
    let _ = writeln!(
        s,
        "\ndatabase: {} errors, {} connection issues, {} slow queries",
        d["errors"], d["connection_issues"], d["slow_queries"]
    );
    s
}
