//! `ccpulse usage daily`: token use and cost per day from the local transcripts, with the same
//! numbers and JSON layout as ccusage 20's `claude daily --json --offline`.

use std::io::Write;

use anyhow::Context;
use chrono::NaiveDate;
use chrono_tz::Tz;
use clap::{Args, Subcommand};

use ccpulse_core::usage::{daily, DailyReport, Dedupe, Range};
use ccpulse_sources::usage_log::entries::load;
use ccpulse_sources::usage_log::paths::{local_zone, roots_from_env, transcripts, Found};

#[derive(Subcommand)]
pub enum Report {
    /// One row per day.
    Daily(Filters),
}

#[derive(Args)]
pub struct Filters {
    /// Print JSON (ccusage's keys and layout).
    #[arg(long)]
    json: bool,
    /// IANA time zone for the dates (default: the system's).
    #[arg(long, short = 'z', value_parser = parse_zone)]
    timezone: Option<Tz>,
    /// First day to include: YYYY-MM-DD or YYYYMMDD.
    #[arg(long, short = 's', value_parser = parse_date)]
    since: Option<NaiveDate>,
    /// Last day to include: YYYY-MM-DD or YYYYMMDD.
    #[arg(long, short = 'u', value_parser = parse_date)]
    until: Option<NaiveDate>,
}

fn parse_zone(s: &str) -> Result<Tz, String> {
    s.parse::<Tz>()
        .map_err(|_| format!("{s:?} is not an IANA time zone such as Europe/Vienna"))
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y%m%d"))
        .map_err(|_| format!("{s:?}: expected YYYY-MM-DD or YYYYMMDD"))
}

pub fn run(report: Report) -> anyhow::Result<()> {
    let Report::Daily(f) = report;
    let mut files = Vec::new();
    for found in transcripts(&roots_from_env()) {
        match found {
            Found::File(p) => files.push(p),
            Found::Unreadable { path, error } => {
                eprintln!("ccpulse: cannot read {}: {error}", path.display());
            }
        }
    }
    let mut dedupe = Dedupe::default();
    let loaded = load(files, |e, models| dedupe.push(e, models));
    for (path, error) in &loaded.unreadable {
        eprintln!("ccpulse: cannot read {}: {error}", path.display());
    }
    let entries = dedupe.finish();
    let zone = f.timezone.unwrap_or_else(local_zone);
    let range = Range {
        since: f.since,
        until: f.until,
    };
    let report = daily(&entries, &loaded.models, zone, range);
    let mut out = std::io::stdout().lock();
    if f.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", table(&report))?;
        if loaded.skipped > 0 {
            writeln!(
                out,
                "({} transcript lines with usage could not be read and were skipped)",
                loaded.skipped
            )?;
        }
    }
    out.flush().context("writing to stdout")
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Fits 80 columns: date, input, output, cache write, cache read, cost.
fn table(r: &DailyReport) -> String {
    let mut s = format!(
        "{:<10} {:>11} {:>11} {:>14} {:>16} {:>11}\n",
        "Date", "Input", "Output", "Cache write", "Cache read", "Cost (USD)"
    );
    let row = |s: &mut String, date: &str, i: u64, o: u64, cw: u64, cr: u64, cost: f64| {
        s.push_str(&format!(
            "{date:<10} {:>11} {:>11} {:>14} {:>16} {:>11.2}\n",
            thousands(i),
            thousands(o),
            thousands(cw),
            thousands(cr),
            cost
        ));
    };
    for d in &r.daily {
        row(
            &mut s,
            &d.date,
            d.input_tokens,
            d.output_tokens,
            d.cache_creation_tokens,
            d.cache_read_tokens,
            d.total_cost,
        );
    }
    let t = &r.totals;
    s.push_str(&format!("{}\n", "-".repeat(78)));
    row(
        &mut s,
        "Total",
        t.input_tokens,
        t.output_tokens,
        t.cache_creation_tokens,
        t.cache_read_tokens,
        t.total_cost,
    );
    s
}
