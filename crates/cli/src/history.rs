//! `ccpulse history [--days N] [--json]`: the panel's History tab in the terminal. The view is
//! the core's (`view::history`), over the daily report's deduplication; `--json` prints it as
//! the panel receives it.

use std::io::Write;

use anyhow::Context;
use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use ccpulse_core::clock::Clock;
use ccpulse_core::usage::Path;
use ccpulse_core::view::history::{history, HistoryView, Window};
use ccpulse_sources::clock::local_zone;
use ccpulse_sources::limit_history;
use ccpulse_sources::state_dir::StateDir;

use crate::usage::{parse_date, parse_zone, refresh};

#[derive(clap::Args)]
pub struct Args {
    /// How many days, the last one today (or `--until`).
    #[arg(long, short = 'd', default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3660))]
    days: u32,
    /// Print the view as JSON (what the panel's History tab draws).
    #[arg(long)]
    json: bool,
    /// IANA time zone for the days and hours (default: the system's).
    #[arg(long, short = 'z', value_parser = parse_zone)]
    timezone: Option<Tz>,
    /// The last day shown, YYYY-MM-DD (default: today).
    #[arg(long, short = 'u', value_parser = parse_date)]
    until: Option<NaiveDate>,
}

pub fn run(args: Args, clock: Clock) -> anyhow::Result<()> {
    let zone = args.timezone.unwrap_or_else(local_zone);
    let now = match args.until {
        // Noon of that day: the same local date whatever the zone's offset.
        Some(day) => zone
            .from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("noon")))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .context("that day has no noon in this zone")?,
        None => Utc::now(),
    };
    let (engine, scan) = refresh(Path::Daily);
    let entries = engine.entries();
    let window = Window {
        days: args.days,
        zone,
        clock,
        now,
    };
    let view = history(entries.iter(), engine.models(), window);
    // The plan limits over time, from the readings the tray keeps in the state dir.
    let view = match limit_history::read(&StateDir::default_location()) {
        Ok(limits) => view.with_limits(&limits, zone),
        Err(e) => {
            tracing::warn!("limit history: {e}");
            view
        }
    };
    if let Some(e) = entries.error() {
        anyhow::bail!("the history is incomplete: {e}; run it again");
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &view)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", summary(&view))?;
        if scan.skipped_lines > 0 {
            writeln!(
                out,
                "({} transcript lines with usage could not be read and were skipped)",
                scan.skipped_lines
            )?;
        }
    }
    out.flush().context("writing to stdout")
}

/// The view in words: the range and its sums, the week, each model, the busiest days and hours.
pub fn summary(v: &HistoryView) -> String {
    let mut out = format!("{} ({})\n{}\n{}\n", v.title, v.zone, v.summary, v.week.line);
    if !v.series.is_empty() {
        out.push_str("\nBy model\n");
        for s in &v.series {
            out.push_str(&format!(
                "  {:<28} {:>12} {:>16}\n",
                s.label, s.total.cost_label, s.total.tokens_label
            ));
        }
    }
    let mut busiest: Vec<_> = v.days.iter().filter(|d| d.total.tokens > 0).collect();
    busiest.sort_by(|a, b| b.total.cost_usd.total_cmp(&a.total.cost_usd));
    if !busiest.is_empty() {
        out.push_str("\nBusiest days\n");
        for d in busiest.iter().take(5) {
            out.push_str(&format!(
                "  {:<28} {:>12} {:>16}\n",
                d.label, d.total.cost_label, d.total.tokens_label
            ));
        }
    }
    let mut hours: Vec<_> = v
        .heatmap
        .rows
        .iter()
        .flat_map(|r| &r.cells)
        .filter(|c| c.tokens > 0)
        .collect();
    hours.sort_by_key(|c| std::cmp::Reverse(c.tokens));
    if !hours.is_empty() {
        out.push_str(&format!("\nBusiest hours ({})\n", v.heatmap.note));
        for c in hours.iter().take(3) {
            out.push_str(&format!("  {}\n", c.description));
        }
    }
    if let Some(limits) = &v.limits {
        out.push_str("\nPlan limits (the highest read each day)\n");
        for w in &limits.windows {
            let peak = w
                .points
                .iter()
                .max_by(|a, b| a.used_percent.total_cmp(&b.used_percent));
            if let (Some(last), Some(peak)) = (w.points.last(), peak) {
                out.push_str(&format!(
                    "  {}: {:.0}% on {}, at most {:.0}% on {}\n",
                    w.label, last.used_percent, last.date, peak.used_percent, peak.date
                ));
            }
        }
    }
    out
}
