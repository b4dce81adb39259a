//! `ccpulse usage daily|weekly|monthly`: token use and cost from the local transcripts, with the
//! same numbers and JSON layout as ccusage 20's `claude <report> --json --offline`.

use std::io::Write;

use anyhow::Context;
use chrono::NaiveDate;
use chrono_tz::Tz;
use clap::{Args, Subcommand};

use ccpulse_core::usage::{
    blocks, daily, monthly, sessions, weekly, BlockOptions, DailyReport, Path, Range, Sums,
};
use ccpulse_sources::clock::local_zone;
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::usage_log::index::{Engine, Entries, Progress, Refreshed};
use ccpulse_sources::usage_log::paths::{roots_from_env, transcripts, Found};

#[derive(Subcommand)]
pub enum Report {
    /// One row per day.
    Daily {
        #[command(flatten)]
        filters: Filters,
        /// A bar per day, its cost, scaled to the terminal's width (`COLUMNS`, else 80).
        #[arg(long, conflicts_with = "json")]
        chart: bool,
    },
    /// One row per week.
    Weekly {
        #[command(flatten)]
        filters: Filters,
        /// The first day of a week.
        #[arg(long, short = 'w', default_value = "sunday", value_parser = parse_weekday)]
        start_of_week: chrono::Weekday,
    },
    /// One row per month.
    Monthly(Filters),
    /// One row per Claude Code session, most expensive first.
    Session(Filters),
    /// Usage in 5-hour blocks (an estimate of Claude's session windows), with the burn rate and
    /// projection of the active one.
    Blocks {
        #[command(flatten)]
        filters: Filters,
        /// Only the active block.
        #[arg(long, short = 'a')]
        active: bool,
        /// Only blocks of the last 3 days (and the active one).
        #[arg(long, short = 'r')]
        recent: bool,
        /// Token limit for the projection's status: a number, or `max` (the largest past block).
        #[arg(long, short = 't', value_parser = parse_limit)]
        token_limit: Option<Option<u64>>,
    },
}

fn parse_limit(s: &str) -> Result<Option<u64>, String> {
    match s {
        "" | "max" => Ok(None),
        n => n
            .parse()
            .map(Some)
            .map_err(|_| format!("{s:?}: expected a number of tokens or max")),
    }
}

fn parse_weekday(s: &str) -> Result<chrono::Weekday, String> {
    s.parse::<chrono::Weekday>()
        .map_err(|_| format!("{s:?}: expected a day such as monday or sunday"))
}

#[derive(Args)]
pub struct Filters {
    /// Print JSON (ccusage's keys and layout).
    #[arg(long)]
    json: bool,
    /// IANA time zone for the dates (default: the system's).
    #[arg(long, short = 'z', value_parser = parse_zone)]
    pub timezone: Option<Tz>,
    /// First day to include: YYYY-MM-DD or YYYYMMDD.
    #[arg(long, short = 's', value_parser = parse_date)]
    since: Option<NaiveDate>,
    /// Last day to include: YYYY-MM-DD or YYYYMMDD.
    #[arg(long, short = 'u', value_parser = parse_date)]
    until: Option<NaiveDate>,
}

pub fn parse_zone(s: &str) -> Result<Tz, String> {
    s.parse::<Tz>()
        .map_err(|_| format!("{s:?} is not an IANA time zone such as Europe/Vienna"))
}

pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y%m%d"))
        .map_err(|_| format!("{s:?}: expected YYYY-MM-DD or YYYYMMDD"))
}

/// What was read, beside ccusage's keys in `--json` output (`scan`).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scan {
    files: usize,
    bytes: u64,
    /// Bytes read from transcripts by this run (the rest came from the index).
    read_bytes: u64,
    /// Lines that carry usage but could not be read (bad JSON, wrong types, odd timestamps).
    pub skipped_lines: u64,
    unreadable: Vec<String>,
    /// `unchanged`, `updated` or `built`.
    index: &'static str,
    /// Why the index was built from scratch, or why it could not be saved.
    index_note: Option<String>,
}

/// The report as ccusage lays it out, with ccpulse's `scan` section beside it, written straight
/// to stdout (a session report can be tens of MB).
fn write_json<T: serde::Serialize>(report: &T, scan: &Scan) -> anyhow::Result<()> {
    #[derive(serde::Serialize)]
    struct WithScan<'a, T> {
        #[serde(flatten)]
        report: &'a T,
        scan: &'a Scan,
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, &WithScan { report, scan })?;
    writeln!(out)?;
    out.flush().context("writing to stdout")
}

/// Every transcript's entries, deduplicated the way `path` says, through the usage index in the
/// state dir (only what was appended since the last run is read), which the refresh brings up to
/// date (in memory when the state dir cannot be written).
pub fn refresh(path: Path) -> (Engine, Scan) {
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    // The index loads (and checks itself) while the folders are listed.
    let (mut engine, not_loaded) = std::thread::scope(|scope| {
        let loading = scope.spawn(|| Engine::load(&StateDir::default_location(), path));
        for found in transcripts(&roots_from_env()) {
            match found {
                Found::File(t) => files.push(t),
                Found::Unreadable { path, error } => unreadable.push((path, error)),
            }
        }
        loading.join().expect("index loader")
    });
    let mut bar = ProgressBar::new();
    let refresh = engine.refresh(&files, &mut |p| bar.show(p));
    bar.clear();
    unreadable.extend(refresh.unreadable);
    if let Some(note) = &refresh.note {
        eprintln!("ccpulse: {note} (the next run reads everything again)");
    }
    for (path, error) in &unreadable {
        eprintln!("ccpulse: cannot read {}: {error}", path.display());
    }
    let (index, note) = match refresh.how {
        Refreshed::Unchanged => ("unchanged", None),
        Refreshed::Updated => ("updated", None),
        Refreshed::Built(why) => ("built", Some(not_loaded.unwrap_or(why))),
    };
    let (count, bytes, skipped) = engine.totals();
    let scan = Scan {
        files: count,
        bytes,
        read_bytes: refresh.read_bytes,
        skipped_lines: skipped,
        unreadable: unreadable
            .iter()
            .map(|(p, e)| format!("{}: {e}", p.display()))
            .collect(),
        index,
        index_note: note,
    };
    (engine, scan)
}

/// A one-line progress bar on standard error, shown only on a terminal and only for a read of
/// more than 64 MiB.
struct ProgressBar {
    tty: bool,
    shown: bool,
}

impl ProgressBar {
    fn new() -> Self {
        use std::io::IsTerminal;
        Self {
            tty: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    fn show(&mut self, p: Progress) {
        if !self.tty || p.bytes_total < 64 << 20 {
            return;
        }
        let mib = |b: u64| b >> 20;
        let width = 24;
        let filled = (p.bytes_done.min(p.bytes_total) * width / p.bytes_total.max(1)) as usize;
        eprint!(
            "\r\x1b[KReading transcripts [{}{}] {}/{} files, {}/{} MiB",
            "#".repeat(filled),
            " ".repeat(width as usize - filled),
            p.files_done,
            p.files_total,
            mib(p.bytes_done),
            mib(p.bytes_total)
        );
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }
}

pub fn run(report: Report) -> anyhow::Result<()> {
    let path = match &report {
        Report::Daily { .. } => Path::Daily,
        _ => Path::Entries,
    };
    let (engine, scan) = refresh(path);
    let entries = engine.entries();
    write_report(report, &entries, &engine, &scan)?;
    match entries.error() {
        // Checked when loaded, so only a change under a running report gets here.
        Some(e) => anyhow::bail!("the report above is incomplete: {e}; run it again"),
        None => Ok(()),
    }
}

fn write_report(
    report: Report,
    entries: &Entries<'_>,
    engine: &Engine,
    scan: &Scan,
) -> anyhow::Result<()> {
    let models = engine.models();
    let filters = match &report {
        Report::Daily { filters: f, .. }
        | Report::Weekly { filters: f, .. }
        | Report::Monthly(f)
        | Report::Session(f)
        | Report::Blocks { filters: f, .. } => f,
    };
    let zone = filters.timezone.unwrap_or_else(local_zone);
    let range = Range {
        since: filters.since,
        until: filters.until,
    };
    let json = filters.json;
    let lines: Vec<(String, Sums)> = match &report {
        Report::Daily { chart, .. } => {
            let r: DailyReport = daily(entries.iter(), models, zone, range);
            if json {
                return write_json(&r, scan);
            }
            if *chart {
                return crate::chart::write(&r);
            }
            r.daily
                .iter()
                .map(|d| (d.date.clone(), d.sums.clone()))
                .collect()
        }
        Report::Weekly { start_of_week, .. } => {
            let r = weekly(entries.iter(), models, zone, range, *start_of_week);
            if json {
                return write_json(&r, scan);
            }
            r.weekly.into_iter().map(|w| (w.week, w.sums)).collect()
        }
        Report::Session(_) => {
            let r = sessions(entries.iter(), models, &engine.sessions(), zone, range);
            if json {
                return write_json(&r, scan);
            }
            r.sessions
                .into_iter()
                .map(|s| (s.session_id.chars().take(10).collect(), s.sums))
                .collect()
        }
        Report::Blocks {
            active,
            recent,
            token_limit,
            ..
        } => {
            let options = BlockOptions {
                active_only: *active,
                recent_only: *recent,
                token_limit: *token_limit,
                ..BlockOptions::default()
            };
            let r = blocks(
                entries.iter(),
                models,
                zone,
                range,
                options,
                chrono::Utc::now(),
            );
            if json {
                return write_json(&r, scan);
            }
            r.blocks
                .iter()
                .filter(|b| !b.is_gap)
                .map(|b| {
                    let t = &b.token_counts;
                    let hour = b
                        .start_time
                        .get(5..13)
                        .unwrap_or_default()
                        .replace('T', " ");
                    let mark = if b.is_active { "*" } else { "" };
                    let sums = Sums {
                        input_tokens: t.input_tokens,
                        output_tokens: t.output_tokens,
                        cache_creation_tokens: t.cache_creation_input_tokens,
                        cache_read_tokens: t.cache_read_input_tokens,
                        total_cost: b.cost_usd.0,
                        ..Sums::default()
                    };
                    (format!("{hour}h{mark}"), sums)
                })
                .collect()
        }
        Report::Monthly(_) => {
            let r = monthly(entries.iter(), models, zone, range);
            if json {
                return write_json(&r, scan);
            }
            r.monthly.into_iter().map(|m| (m.month, m.sums)).collect()
        }
    };
    let mut out = std::io::stdout().lock();
    write!(out, "{}", table(&lines))?;
    if scan.skipped_lines > 0 {
        let n = scan.skipped_lines;
        writeln!(
            out,
            "({n} transcript lines with usage could not be read and were skipped)"
        )?;
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

/// Fits 80 columns: period, input, output, cache write, cache read, cost; a total line below.
fn table(rows: &[(String, Sums)]) -> String {
    let line = |label: &str, s: &Sums| {
        format!(
            "{label:<10} {:>11} {:>11} {:>14} {:>16} {:>11.2}\n",
            thousands(s.input_tokens),
            thousands(s.output_tokens),
            thousands(s.cache_creation_tokens),
            thousands(s.cache_read_tokens),
            s.total_cost
        )
    };
    let mut out = format!(
        "{:<10} {:>11} {:>11} {:>14} {:>16} {:>11}\n",
        "Period", "Input", "Output", "Cache write", "Cache read", "Cost (USD)"
    );
    let mut total = Sums::default();
    for (label, s) in rows {
        out.push_str(&line(label, s));
        total.input_tokens += s.input_tokens;
        total.output_tokens += s.output_tokens;
        total.cache_creation_tokens += s.cache_creation_tokens;
        total.cache_read_tokens += s.cache_read_tokens;
        total.total_cost += s.total_cost;
    }
    out.push_str(&format!("{}\n", "-".repeat(78)));
    out.push_str(&line("Total", &total));
    out
}
