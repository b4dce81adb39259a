//! `ccpulse statusline`: a Claude Code `statusLine` command. It keeps what Claude Code says of
//! the plan's limits in the state dir (for `ccpulse status` and the tray) and prints one line.
//! It never fails Claude Code: whatever the input, it prints a line and exits 0.
//!
//! `ccpulse statusline install | uninstall` put it into Claude Code's `settings.json` and take
//! it out again.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use clap::Subcommand;
use serde::{Deserialize, Serialize};

use ccpulse_core::clock::Clock;
use ccpulse_core::config::Config;
use ccpulse_core::limits;
use ccpulse_core::service::{Level, ServiceSnapshot};
use ccpulse_core::view::limits::limits_view;
use ccpulse_core::view::service::service_report;
use ccpulse_core::view::statusline;
use ccpulse_sources::atomic;
use ccpulse_sources::clock::{clock as clock_of, local_zone};
use ccpulse_sources::env;
use ccpulse_sources::monitor::STATUS_CACHE_FILE;
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::statusline::{Feed, Input};
use ccpulse_sources::usage_log::paths::config_dir;
use ccpulse_sources::{oauth_usage, plan_limits};

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
    let limits = plan_limits::merged(feed, oauth, limits::Local::default(), now);
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

/// What `install` changed, so `uninstall` can put it back.
#[derive(Serialize, Deserialize)]
struct Installed {
    settings: PathBuf,
    /// The file before (`None`: there was none).
    before: Option<String>,
    /// The file as `install` wrote it.
    after: String,
}

const INSTALLED_FILE: &str = "statusline-install.json";

/// Claude Code's user settings: in the first root of `CLAUDE_CONFIG_DIR`, else `~/.claude`.
fn settings_path() -> anyhow::Result<PathBuf> {
    let (root, _) = config_dir(
        env::var(env::CLAUDE_CONFIG_DIR).as_deref(),
        std::env::home_dir().as_deref(),
    )
    .context("no home folder to find Claude Code's settings in")?;
    Ok(root.join("settings.json"))
}

/// Quote for a POSIX shell.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn is_ours(command: &str) -> bool {
    command.contains("ccpulse") && command.contains(" statusline")
}

pub fn install(chain: bool) -> anyhow::Result<()> {
    let path = settings_path()?;
    let before = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut settings: serde_json::Value = match &before {
        Some(text) if !text.trim().is_empty() => serde_json::from_str(text)
            .with_context(|| format!("{} is not valid JSON; left as it is", path.display()))?,
        _ => serde_json::json!({}),
    };
    let Some(map) = settings.as_object_mut() else {
        bail!("{} is not a JSON object; left as it is", path.display());
    };
    let existing = map
        .get("statusLine")
        .and_then(|s| s.get("command"))
        .and_then(|c| c.as_str())
        .map(str::to_owned);
    let exe = std::env::current_exe().context("finding the ccpulse binary")?;
    let mut command = format!("{} statusline", quoted(&exe.to_string_lossy()));
    match existing {
        Some(c) if is_ours(&c) => {
            println!(
                "ccpulse is already Claude Code's status line ({}).",
                path.display()
            );
            return Ok(());
        }
        Some(c) if chain => command += &format!(" --chain {}", quoted(&c)),
        Some(c) => bail!(
            "Claude Code already runs a status line command: {c}\n\
             Run `ccpulse statusline install --chain` to keep it (its line is shown after \
             ccpulse's), or remove it from {} first.",
            path.display()
        ),
        None => {}
    }
    map.insert(
        "statusLine".into(),
        serde_json::json!({"type": "command", "command": command}),
    );
    let mut after = serde_json::to_string_pretty(&settings)?;
    after.push('\n');
    let dir = StateDir::default_location();
    if let Some(text) = &before {
        let backup = path.with_extension("json.ccpulse-backup");
        std::fs::write(&backup, text)
            .with_context(|| format!("writing the backup {}", backup.display()))?;
    }
    let record = Installed {
        settings: path.clone(),
        before,
        after: after.clone(),
    };
    dir.save(INSTALLED_FILE, &record)
        .context("recording the install (for uninstall)")?;
    replace(&path, &after)?;
    println!(
        "Claude Code's status line is now ccpulse ({}). Undo with `ccpulse statusline uninstall`.",
        path.display()
    );
    Ok(())
}

pub fn uninstall() -> anyhow::Result<()> {
    let dir = StateDir::default_location();
    let Some(record) = dir.load::<Installed>(INSTALLED_FILE)? else {
        bail!("ccpulse did not install a status line (nothing recorded in the state dir)");
    };
    let now = std::fs::read_to_string(&record.settings).ok();
    if now.as_deref() == Some(record.after.as_str()) {
        // Untouched since: exactly as it was.
        match &record.before {
            Some(text) => replace(&record.settings, text)?,
            None => std::fs::remove_file(&record.settings)
                .with_context(|| format!("removing {}", record.settings.display()))?,
        }
    } else if let Some(text) = now {
        // Changed since: take out only what install put in.
        let mut settings: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", record.settings.display()))?;
        let old = record
            .before
            .as_deref()
            .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
            .and_then(|b| b.get("statusLine").cloned());
        if let Some(map) = settings.as_object_mut() {
            match old {
                Some(v) => map.insert("statusLine".into(), v),
                None => map.remove("statusLine"),
            };
        }
        let mut out = serde_json::to_string_pretty(&settings)?;
        out.push('\n');
        replace(&record.settings, &out)?;
    }
    let _ = std::fs::remove_file(dir.path(INSTALLED_FILE));
    println!(
        "Claude Code's status line is back as it was ({}).",
        record.settings.display()
    );
    Ok(())
}

/// Replace `path` with `text` atomically (a temp file beside it, flushed, renamed over it), keeping
/// its permissions: Claude Code sees the old settings or the new, never half of them.
fn replace(path: &Path, text: &str) -> anyhow::Result<()> {
    atomic::Options::new()
        .durable(true)
        .keep_permissions(true)
        .write(path, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}
