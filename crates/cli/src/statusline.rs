//! `ccpulse statusline`: a Claude Code `statusLine` command. It keeps what Claude Code says of
//! the plan's limits in the state dir (for `ccpulse status` and the tray) and prints one line.
//! It never fails Claude Code: whatever the input, it prints a line and exits 0.
//!
//! `ccpulse statusline install | uninstall` put it into Claude Code's `settings.json` and take
//! it out again.

use std::io::{IsTerminal, Read, Write};

use anyhow::Context;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use clap::Subcommand;

use ccpulse_core::clock::Clock;
use ccpulse_core::config::Config;
use ccpulse_core::limits;
use ccpulse_core::service::{Level, ServiceSnapshot};
use ccpulse_core::view::limits::limits_view;
use ccpulse_core::view::service::service_report;
use ccpulse_core::view::statusline;
use ccpulse_sources::clock::{clock as clock_of, local_zone};
use ccpulse_sources::monitor::STATUS_CACHE_FILE;
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::statusline::{Feed, Input};
use ccpulse_sources::{oauth_usage, plan_limits, statusline_install};

#[derive(Subcommand)]
pub enum Action {
    /// Make ccpulse Claude Code's status line (settings.json is backed up first).
    Install {
        /// Keep the status line command already set: run it and show its line after ccpulse's.
        #[arg(long)]
        chain: bool,
    },
    /// Put settings.json back as it was before `install`.
    Uninstall,
}

/// Input larger than this is not a status line payload.
const MOST_INPUT: u64 = 1 << 20;

/// Run as Claude Code's status line command.
pub fn run(config: &Config, chain: Option<&str>) {
    let now = Utc::now();
    let dir = StateDir::default_location();
    let mut bytes = Vec::new();
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let _ = stdin.lock().take(MOST_INPUT).read_to_end(&mut bytes);
    }
    let mut feed = Feed::load(&dir);
    if let Ok(input) = Input::parse(&bytes) {
        feed = feed.with(input, now);
        // A state dir that cannot be written costs the other shells this reading, not the line.
        let _ = feed.save(&dir);
    }
    let service = service_level(config, &dir, now);
    let oauth = oauth_usage::Cache::load(&dir);
    let mut line = line(
        &feed,
        &oauth,
        service,
        &config.limit_thresholds,
        now,
        local_zone(),
        clock_of(config.clock),
    );
    if let Some(command) = chain {
        if let Some(theirs) = chained(command, &bytes) {
            line = format!("{line} · {theirs}");
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The service level from the cache the tray and `ccpulse status` keep (no network here).
fn service_level(config: &Config, dir: &StateDir, now: DateTime<Utc>) -> Option<Level> {
    let snapshot = dir.load::<ServiceSnapshot>(STATUS_CACHE_FILE).ok()??;
    snapshot.status.as_ref()?;
    Some(service_report(&snapshot, &config.status.relevance, now).level)
}

/// `5h 42% ↻3:45pm · wk 18% · Claude ok`; without limits, the model and the session's cost.
pub fn line(
    feed: &Feed,
    oauth: &oauth_usage::Cache,
    service: Option<Level>,
    thresholds: &[u8],
    now: DateTime<Utc>,
    zone: Tz,
    clock: Clock,
) -> String {
    // No transcripts here: the status line must stay fast.
    let none = limits::history::History::default();
    let limits = plan_limits::merged(feed, oauth, limits::Local::default(), &none, now);
    let latest = feed.latest.as_ref();
    statusline::line(
        &limits_view(&limits, thresholds, now, zone, clock),
        service,
        latest.and_then(|i| i.model.as_deref()),
        latest.and_then(|i| i.cost_usd),
    )
}

/// The first line another status line command prints for the same input.
fn chained(command: &str, input: &[u8]) -> Option<String> {
    let mut child = shell(command)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    let out = child.wait_with_output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .next()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
}

fn shell(command: &str) -> std::process::Command {
    if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", command]);
        c
    } else {
        let mut c = std::process::Command::new("sh");
        c.args(["-c", command]);
        c
    }
}

pub fn install(chain: bool) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("finding the ccpulse binary")?;
    let said = statusline_install::install(&exe, chain, &StateDir::default_location())?;
    println!("{said}");
    Ok(())
}

pub fn uninstall() -> anyhow::Result<()> {
    let said = statusline_install::uninstall(&StateDir::default_location())?;
    println!("{said}");
    Ok(())
}
