//! `ccpulse`: the terminal shell over ccpulse's core. It reads the same sources as the tray and
//! prints what the core makes of them; it never sends notifications and never writes the alert
//! ledger (the tray owns it). What it writes to the state dir: the usage index, the status line
//! feed and the OAuth usage schedule (ARCHITECTURE.md).

mod doctor;
mod fix;
mod render;
mod statusline;
mod usage;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use ccpulse_core::advice::{advise, Inputs};
use ccpulse_core::config::Config;
use ccpulse_core::overload;
use ccpulse_core::report::{service_report, Report};
use ccpulse_core::tray_view::limits_view;
use ccpulse_sources::config_file;
use ccpulse_sources::doctor::key_overrides_here;
use ccpulse_sources::http::TIMEOUT;
use ccpulse_sources::monitor::{self, Mode, StatusMonitor};
use ccpulse_sources::oauth_usage;
use ccpulse_sources::plan_limits;
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::statusline::Feed;
use ccpulse_sources::statuspage::StatuspageClient;
use ccpulse_sources::usage_log::paths::{local_clock, local_zone, roots_from_env};
use ccpulse_sources::usage_log::watch;

#[derive(Parser)]
#[command(name = "ccpulse", version, about = "Can I work with Claude right now?")]
struct Cli {
    /// Config file (default: ~/.config/ccpulse/config.toml, or $CCPULSE_CONFIG).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show Claude's service status once.
    Status {
        /// Print JSON (the same keys the panel reads).
        #[arg(long)]
        json: bool,
    },
    /// Keep showing the service status, redrawing when it changes.
    Watch,
    /// What a Claude Code error means and what to do: paste the message (or an entry's id).
    /// Exits 1 when nothing matches.
    Fix(fix::Args),
    /// Check this machine for the local causes of Claude Code's connection and login errors.
    /// Exits 1 when a check warns or fails.
    Doctor(doctor::Args),
    /// Token use and cost from Claude Code's local transcripts.
    #[command(subcommand)]
    Usage(usage::Report),
    /// Claude Code's status line: reads what Claude Code writes on stdin, keeps its plan limits
    /// for the other shells, prints one line. Always exits 0.
    Statusline {
        #[command(subcommand)]
        action: Option<statusline::Action>,
        /// Run this status line command too and show its line after ccpulse's (set by
        /// `install --chain`).
        #[arg(long, value_name = "COMMAND")]
        chain: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Statusline {
        action: None,
        chain,
    } = &cli.command
    {
        // Never fails Claude Code: a bad config file falls back to the defaults.
        let config = config_file::load(cli.config.as_deref()).unwrap_or_default();
        statusline::run(&config, chain.as_deref());
        return ExitCode::SUCCESS;
    }
    // Neither needs a config: they work even when the set-up is what is broken.
    if let Command::Fix(args) = cli.command {
        return verdict(fix::run(args, color()));
    }
    if let Command::Doctor(args) = cli.command {
        return verdict(doctor::run(args, color()));
    }
    let config = match config_file::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ccpulse: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime always builds");
    let result = runtime.block_on(async {
        match cli.command {
            Command::Status { json } => status(config, json).await,
            Command::Watch => watch(config).await,
            Command::Usage(report) => usage::run(report),
            Command::Fix(_) | Command::Doctor(_) => unreachable!("run above"),
            Command::Statusline { action, .. } => match action {
                Some(statusline::Action::Install { chain }) => statusline::install(chain),
                Some(statusline::Action::Uninstall) => statusline::uninstall(),
                None => unreachable!("run above"),
            },
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `ccpulse status | head` is not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ccpulse: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// 0 when it found what it looked for (or all was well), 1 when not, 2 when it could not run.
fn verdict(result: anyhow::Result<bool>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ccpulse: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

fn color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// One poll; a failing source is reported in its section, never as a failing exit code.
async fn status(config: Config, json: bool) -> anyhow::Result<()> {
    let mut monitor = StatusMonitor::open(
        config.status.clone(),
        StateDir::default_location(),
        Mode::ReadOnly,
    );
    let mut client = StatuspageClient::new(&config.status.base_url, TIMEOUT);
    let observation = monitor::poll(&mut client, monitor.snapshot().status.as_ref()).await;
    let now = chrono::Utc::now();
    monitor.apply(observation, now);
    // The usage endpoint, if its schedule allows (the state dir keeps it for every shell).
    let state = StateDir::default_location();
    let login = oauth_usage::Login::from_env();
    let oauth = oauth_usage::refresh(
        &state,
        &oauth_usage::client(),
        &oauth_usage::api_url(),
        login.as_ref(),
        oauth_usage::EVERY,
        false,
        now,
    )
    .await;
    let local = local_evidence(&mut transcripts_reader(state.clone()), now);
    let mut report = Report {
        service: service_report(monitor.snapshot(), &config.status.relevance, now),
        limits: plan_limits::merged(&Feed::load(&state), &oauth, local.evidence(), now),
        overload: overload::assess(
            &local.overload_events(),
            monitor.snapshot().status.as_ref(),
            &config.overload,
            now,
        ),
        advice: Vec::new(),
    };
    let view = limits_view(&report.limits, now, local_zone(), local_clock());
    // Run from a project, its `.env` counts too: Claude Code started here would load it.
    let env_files: Vec<_> = std::env::current_dir()
        .map(|d| d.join(".env"))
        .into_iter()
        .collect();
    let keys = key_overrides_here(&env_files);
    report.advice = advise(&Inputs {
        service: &report.service,
        overload: &report.overload,
        limits: &view,
        near_percent: config.near_limit_percent(),
        login_problem: oauth.login_problem.as_deref(),
        key_overrides: &keys,
    });
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", render::service(&report.service, color()))?;
        write!(out, "{}", render::advice(&report.advice, color()))?;
        write!(out, "{}", render::overload(&report.overload, color()))?;
        write!(out, "{}", render::limits(&view, color()))?;
    }
    out.flush().context("writing to stdout")
}

/// The transcripts, read where they grew since the last run (the index and the recent signals
/// are kept in the state dir).
fn transcripts_reader(state: StateDir) -> watch::Reader {
    watch::Reader::open(watch::WatchOptions {
        roots: roots_from_env(),
        state,
        zone: local_zone(),
    })
}

/// What the transcripts say (limit hits, recent spend, API errors); a history that cannot be
/// read costs the local evidence, with a warning, not the report.
fn local_evidence(reader: &mut watch::Reader, now: chrono::DateTime<chrono::Utc>) -> watch::Local {
    reader.read(now, &mut |_| {}).1.unwrap_or_else(|e| {
        monitor::warn(format!("usage: {e}"));
        watch::Local::default()
    })
}

async fn watch(config: Config) -> anyhow::Result<()> {
    let tty = std::io::stdout().is_terminal();
    let mut monitor = StatusMonitor::open(
        config.status.clone(),
        StateDir::default_location(),
        Mode::ReadOnly,
    );
    let relevance = config.status.relevance.clone();
    let every = config.status.policy.interval.as_secs();
    let mut last = String::new();
    let rules = config.overload;
    let mut reader = transcripts_reader(StateDir::default_location());
    let redraw = move |m: &StatusMonitor, _alerts| {
        let now = chrono::Utc::now();
        // 529 waves from the transcripts (read where they grew) beside the status, at each poll.
        let local = local_evidence(&mut reader, now);
        let waves = overload::assess(
            &local.overload_events(),
            m.snapshot().status.as_ref(),
            &rules,
            now,
        );
        let text = render::service(
            &service_report(m.snapshot(), &relevance, now),
            tty && color(),
        ) + &render::overload(&waves, tty && color());
        if text == last {
            return;
        }
        let mut out = std::io::stdout().lock();
        let result = if tty {
            write!(
                out,
                "\x1b[2J\x1b[H{text}\nWatching {} every {every} s · Ctrl-C to quit\n",
                m.config().base_url
            )
        } else {
            writeln!(out, "--- {}\n{text}", now.format("%Y-%m-%d %H:%M:%S UTC"))
        };
        // A closed pipe (`ccpulse watch | head`) ends the watch like Ctrl-C would.
        if result.and_then(|()| out.flush()).is_err() {
            std::process::exit(0);
        }
        last = text;
    };
    let refresh = Arc::new(tokio::sync::Notify::new());
    tokio::select! {
        () = monitor::run(&mut monitor, refresh, redraw) => Ok(()),
        r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C"),
    }
}
