//! `ccpulse`: the terminal shell over ccpulse's core. It reads the same sources as the tray and
//! prints what the core makes of them; it never sends notifications and never writes the alert
//! ledger (the tray owns it). What it writes to the state dir: the usage index, the status line
//! feed and the OAuth usage schedule (ARCHITECTURE.md).

mod bars;
mod chart;
mod doctor;
mod fix;
mod history;
mod render;
mod statusline;
mod usage;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use ccpulse_core::config::Config;
use ccpulse_sources::clock::{clock as clock_of, local_zone};
use ccpulse_sources::config_file;
use ccpulse_sources::env;
use ccpulse_sources::gather::{self, Observations};
use ccpulse_sources::monitor::{self, StatusMonitor};
use ccpulse_sources::state_dir::StateDir;

#[derive(Parser)]
#[command(name = "ccpulse", version, about = "Can I work with Claude right now?")]
struct Cli {
    /// Config file (default: ~/.config/ccpulse/config.toml, or $CCPULSE_CONFIG).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Say more on stderr: -v what it does, -vv details.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

/// What `ccpulse status` writes.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Human,
    Json,
    Waybar,
    Polybar,
    I3blocks,
    Tmux,
}

impl Format {
    fn bar(self) -> Option<ccpulse_core::view::bar::Format> {
        use ccpulse_core::view::bar::Format as Bar;
        match self {
            Format::Human | Format::Json => None,
            Format::Waybar => Some(Bar::Waybar),
            Format::Polybar => Some(Bar::Polybar),
            Format::I3blocks => Some(Bar::I3blocks),
            Format::Tmux => Some(Bar::Tmux),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Show Claude's service status once.
    Status {
        /// Print JSON (the same keys the panel reads); the same as `--format json`.
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// `human` (default), `json`, or one line for a bar: `waybar` (a JSON object with
        /// text, tooltip, class, percentage), `polybar`, `i3blocks`, `tmux`.
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<Format>,
        /// With a bar format: keep going, one line each time it changes.
        #[arg(long, requires = "format")]
        watch: bool,
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
    /// Cost and tokens per day of the last 30 days (or `--days N`), by model; this week against
    /// last; the busiest hours: the panel's History tab.
    History(history::Args),
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
    /// The config file: where it is, what a key is set to, set or unset one (checked like the file
    /// is when loaded; a bad value is refused and nothing is written; exits 2).
    #[command(subcommand)]
    Config(ConfigAction),
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Print the config file's path.
    Path,
    /// Print what the file sets KEY (`section.name`) to; exits 1 when it is not set (the
    /// default applies).
    Get { key: String },
    /// Set KEY (`section.name`) to VALUE (TOML: `[80, 95]`, `true`, `60`, `"22:00-07:00"`),
    /// keeping the file's comments and layout. The running tray applies it at once.
    Set { key: String, value: String },
    /// Remove KEY from the file, so its default applies again (checked and written as `set`).
    Unset { key: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ccpulse_sources::log::to_stderr(cli.verbose);
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
    // Works on a file that does not load: that may be what is being fixed.
    if let Command::Config(action) = cli.command {
        return config(action, cli.config.as_deref());
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
            Command::Status {
                json,
                format,
                watch,
            } => {
                let format = format.unwrap_or(if json { Format::Json } else { Format::Human });
                match (format.bar(), watch) {
                    (Some(bar), true) => bars::watch(config, bar).await,
                    (Some(bar), false) => bars::once(config, bar).await,
                    (None, true) => anyhow::bail!("--watch goes with a bar format (waybar, polybar, i3blocks, tmux); for the terminal, `ccpulse watch`"),
                    (None, false) => status(config, format == Format::Json).await,
                }
            }
            Command::Watch => watch(config).await,
            Command::Usage(report) => usage::run(report),
            Command::History(args) => history::run(args, clock_of(config.clock)),
            Command::Fix(_) | Command::Doctor(_) | Command::Config(_) => {
                unreachable!("run above")
            }
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

/// `ccpulse config`: 0 done (or set), 1 a key not set, 2 refused or could not run.
fn config(action: ConfigAction, explicit: Option<&std::path::Path>) -> ExitCode {
    let Some(path) = config_file::path(explicit) else {
        eprintln!("ccpulse: no config dir on this system; use --config PATH");
        return ExitCode::from(2);
    };
    let result = match action {
        ConfigAction::Path => {
            println!("{}", path.display());
            return ExitCode::SUCCESS;
        }
        ConfigAction::Get { key } => config_file::get(&path, &key).map(|value| match value {
            Some(value) => {
                println!("{value}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "ccpulse: {key} is not set in {}: the default applies",
                    path.display()
                );
                ExitCode::FAILURE
            }
        }),
        ConfigAction::Set { key, value } => config_file::set(&path, &key, &value).map(|_| {
            println!("{key} = {value} in {}", path.display());
            ExitCode::SUCCESS
        }),
        ConfigAction::Unset { key } => config_file::unset(&path, &key).map(|_| {
            println!("{key}: the default applies ({})", path.display());
            ExitCode::SUCCESS
        }),
    };
    result.unwrap_or_else(|e| {
        eprintln!("ccpulse: {e}; {} is unchanged", path.display());
        ExitCode::from(2)
    })
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

/// The reader of our output went away (`ccpulse ... | head`): not an error. Windows says so
/// with `ERROR_NO_DATA` (232, which std calls `BrokenPipe`) or `ERROR_PIPE_NOT_CONNECTED`
/// (233, which it does not).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    const ERROR_PIPE_NOT_CONNECTED: i32 = 233;
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| {
            io.kind() == std::io::ErrorKind::BrokenPipe
                || (cfg!(windows) && io.raw_os_error() == Some(ERROR_PIPE_NOT_CONNECTED))
        })
}

fn color() -> bool {
    std::io::stdout().is_terminal() && !env::is_set(env::NO_COLOR)
}

/// One poll; a failing source is reported in its section, never as a failing exit code.
async fn status(config: Config, json: bool) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let (zone, clock) = (local_zone(), clock_of(config.clock));
    // Run from a project, its `.env` counts too: Claude Code started here would load it.
    let env_files: Vec<_> = std::env::current_dir()
        .map(|d| d.join(".env"))
        .into_iter()
        .collect();
    let state = StateDir::default_location();
    let observed = gather::once(&config, &state, zone, &env_files, now).await;
    let view = observed.view_now(&config, now, zone, clock);
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &view)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", render::status(&view, color()))?;
    }
    out.flush().context("writing to stdout")
}

async fn watch(config: Config) -> anyhow::Result<()> {
    let tty = std::io::stdout().is_terminal();
    let state = StateDir::default_location();
    let mut monitor = StatusMonitor::open(config.status.clone(), state.clone(), false);
    let (zone, clock) = (local_zone(), clock_of(config.clock));
    let every = config.status.policy.interval.as_secs();
    let mut last = String::new();
    let mut reader = gather::transcripts(state, zone);
    let prev = monitor.snapshot().status.clone();
    let redraw = |observation| {
        let now = chrono::Utc::now();
        monitor.apply(observation, now, None);
        // 529 waves from the transcripts (read where they grew) beside the status, at each poll.
        let observed = Observations {
            service: monitor.snapshot().clone(),
            local: Some(gather::read_local(&mut reader, now)),
            ..Observations::default()
        };
        let view = observed.view_now(&config, now, zone, clock);
        let paint = tty && color();
        let text = render::service(&view.service, paint) + &render::overload(&view.overload, paint);
        if text == last {
            return true;
        }
        let mut out = std::io::stdout().lock();
        let result = if tty {
            write!(
                out,
                "\x1b[2J\x1b[H{text}\nWatching {} every {every} s · Ctrl-C to quit\n",
                config.status.base_url
            )
        } else {
            writeln!(out, "--- {}\n{text}", now.format("%Y-%m-%d %H:%M:%S UTC"))
        };
        // A closed pipe (`ccpulse watch | head`) ends the watch like Ctrl-C would.
        if result.and_then(|()| out.flush()).is_err() {
            std::process::exit(0);
        }
        last = text;
        true
    };
    let refresh = Arc::new(tokio::sync::Notify::new());
    tokio::select! {
        () = monitor::run(&config.status, prev, refresh, redraw) => Ok(()),
        r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C"),
    }
}
