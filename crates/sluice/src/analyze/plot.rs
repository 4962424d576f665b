//! `sluice analyze plot`: the error trend per hour and the response-time distribution,
//! one chart above the other, as PNG or SVG (plotters). The text needs a TrueType font:
//! `--font`, or DejaVu Sans where Debian and others put it.

use super::report::{Report, RT_BUCKETS, RT_BUCKET_MS};
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Where DejaVu Sans usually is.
const FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
];

fn font(given: Option<&Path>) -> anyhow::Result<()> {
    let path = match given {
        Some(p) => p.to_owned(),
        None => FONTS
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .ok_or_else(|| anyhow::anyhow!("no font for the charts' text: install fonts-dejavu-core, or pass --font FILE.ttf"))?,
    };
    let bytes = std::fs::read(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
        .map_err(|_| anyhow::anyhow!("{}: not a TrueType font", path.display()))?;
    Ok(())
}

/// Draws the two charts of `rep` into `out` (`.png` or `.svg`).
pub(crate) fn plot(rep: &Report, out: &Path, font_file: Option<&Path>) -> anyhow::Result<()> {
    font(font_file)?;
    let size = (1200, 800);
    match out.extension().and_then(|e| e.to_str()) {
        Some("svg") => draw(SVGBackend::new(out, size).into_drawing_area(), rep),
        Some("png") => draw(BitMapBackend::new(out, size).into_drawing_area(), rep),
        _ => anyhow::bail!("{}: write .png or .svg", out.display()),
    }
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    rep: &Report,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow::anyhow!("drawing: {e:?}");
    root.fill(&WHITE).map_err(err)?;
    let (top, bottom) = root.split_vertically(400);
    let j = rep.json();

    // Errors per hour, over the hours of the input.
    let hours: Vec<(chrono::NaiveDateTime, u64)> = j["errors_by_hour"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| {
            let t = chrono::NaiveDateTime::parse_from_str(h["hour"].as_str()?, "%Y-%m-%dT%H:%M:%S")
                .ok()?;
            Some((t, h["count"].as_u64()?))
        })
        .collect();
    let (first, last) = match (hours.first(), hours.last()) {
        (Some(f), Some(l)) => (f.0, l.0 + chrono::Duration::hours(1)),
        _ => {
            let now = chrono::NaiveDateTime::default();
            (now, now + chrono::Duration::hours(1))
        }
    };
    let ymax = hours.iter().map(|h| h.1).max().unwrap_or(1).max(1);
    let span = (last - first).num_hours().max(1);
    let mut c = ChartBuilder::on(&top)
        .caption("ERROR and CRITICAL per hour", ("sans-serif", 26))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0i64..span, 0u64..ymax + ymax / 10 + 1)
        .map_err(err)?;
    let label = |i: &i64| {
        (first + chrono::Duration::hours(*i))
            .format("%m-%d %H:00")
            .to_string()
    };
    c.configure_mesh()
        .x_labels(12)
        .x_label_formatter(&label)
        .y_desc("events")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    // Every hour, with the hours without errors at zero.
    let mut series = Vec::new();
    let mut t = first;
    let mut it = hours.iter().peekable();
    while t < last {
        let n = match it.peek() {
            Some((h, n)) if *h == t => {
                it.next();
                *n
            }
            _ => 0,
        };
        series.push(((t - first).num_hours(), n));
        t += chrono::Duration::hours(1);
    }
    c.draw_series(
        AreaSeries::new(series.clone(), 0, RED.mix(0.2)).border_style(RED.stroke_width(2)),
    )
    .map_err(err)?;

    // Response times: a histogram in 50 ms buckets, the threshold marked.
    let hist = &rep.rt_hist;
    let used = hist
        .iter()
        .rposition(|n| *n > 0)
        .map_or(20, |i| i + 1)
        .max(20);
    let top_count = hist.iter().copied().max().unwrap_or(1).max(1);
    let xmax = used as u64 * RT_BUCKET_MS;
    let mut c = ChartBuilder::on(&bottom)
        .caption(
            format!(
                "Response times ({} requests over {} ms)",
                j["slow_requests"]["count"],
                rep.threshold_ms()
            ),
            ("sans-serif", 26),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0u64..xmax, (1u64..top_count * 2).log_scale())
        .map_err(err)?;
    c.configure_mesh()
        .x_desc(if used >= RT_BUCKETS {
            "ms (the last bar: all slower)"
        } else {
            "ms"
        })
        .y_desc("requests (log scale)")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    c.draw_series(
        hist.iter()
            .take(used)
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| {
                let x0 = i as u64 * RT_BUCKET_MS;
                let color = if x0 >= rep.threshold_ms() { RED } else { BLUE };
                Rectangle::new(
                    [(x0, 1), (x0 + RT_BUCKET_MS, (*n).max(1) + 1)],
                    color.mix(0.6).filled(),
                )
            }),
    )
    .map_err(err)?;
    let th = rep.threshold_ms().min(xmax);
    c.draw_series(LineSeries::new(
        [(th, 1), (th, top_count * 2)],
        BLACK.stroke_width(2),
    ))
    .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
