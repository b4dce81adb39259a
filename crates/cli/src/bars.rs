//! `ccpulse status --format waybar|polybar|i3blocks|tmux [--watch]`: the state in one line for a
//! status bar or a dock, worded and coloured by the core (`view::bar`). Once, or on and on: a
//! line each time it changes (the status page polled on its interval, the local sources looked
//! at every few seconds).

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use chrono_tz::Tz;

use ccpulse_core::clock::Clock;
use ccpulse_core::config::Config;
use ccpulse_core::view::bar::{bar, render, Format};
use ccpulse_sources::clock::{clock as clock_of, local_zone};
use ccpulse_sources::gather::{self, Observations};
use ccpulse_sources::monitor::{self, StatusMonitor};
use ccpulse_sources::oauth_usage;
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::statusline::Feed;

/// How often the local sources (status line feed, usage schedule, transcripts) are looked at.
const LOCAL_EVERY: Duration = Duration::from_secs(5);

fn line(
    observed: &Observations,
    config: &Config,
    format: Format,
    zone: Tz,
    clock: Clock,
) -> String {
    let view = observed.view_now(config, Utc::now(), zone, clock);
    render(&bar(&view, zone), format)
}

fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush().context("writing to stdout")
}

pub async fn once(config: Config, format: Format) -> anyhow::Result<()> {
    let (zone, clock) = (local_zone(), clock_of(config.clock));
    let state = StateDir::default_location();
    let observed = gather::once(&config, &state, zone, &[], Utc::now()).await;
    print(&line(&observed, &config, format, zone, clock))
}

pub async fn watch(config: Config, format: Format) -> anyhow::Result<()> {
    let state = StateDir::default_location();
    let mut monitor = StatusMonitor::open(config.status.clone(), state.clone(), false);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (status, prev) = (config.status.clone(), monitor.snapshot().status.clone());
    tokio::spawn(async move {
        monitor::run(&status, prev, Arc::default(), |o| tx.send(o).is_ok()).await;
    });
    let (zone, clock) = (local_zone(), clock_of(config.clock));
    let mut reader = gather::transcripts(state.clone(), zone);
    let mut observed = Observations::default();
    // The first line says what the status page says now, not what was cached.
    if let Some(first) = rx.recv().await {
        monitor.apply(first, Utc::now(), None);
    }
    observed.service = monitor.snapshot().clone();
    let mut last = String::new();
    loop {
        let now = Utc::now();
        observed.feed = Feed::load(&state);
        observed.oauth = oauth_usage::Cache::load(&state);
        observed.local = Some(gather::read_local(&mut reader, now));
        let text = line(&observed, &config, format, zone, clock);
        if text != last {
            // A closed pipe (the bar went away) ends the watch.
            if print(&text).is_err() {
                return Ok(());
            }
            last = text;
        }
        tokio::select! {
            observation = rx.recv() => match observation {
                Some(o) => {
                    monitor.apply(o, Utc::now(), None);
                    observed.service = monitor.snapshot().clone();
                }
                None => return Ok(()),
            },
            () = tokio::time::sleep(LOCAL_EVERY) => {}
        }
    }
}
