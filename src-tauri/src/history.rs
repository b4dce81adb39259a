//! The History tab's command, in the panel process only: the usage index in the state dir
//! brought up to date (only what was appended since is read) and the core's history view of it,
//! the same numbers as `ccpulse history --json` and `ccpulse usage daily`, with the plan limits
//! over time from the limit history the tray keeps. Errors cross IPC as
//! `{code, message}`.

use chrono::Utc;

use ccpulse_core::usage::Path;
use ccpulse_core::view::history::{history, HistoryView, Window, DAY_CHOICES};
use ccpulse_sources::clock::{clock as clock_of, local_zone};
use ccpulse_sources::config_file;
use ccpulse_sources::limit_history;
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::usage_log::index::Engine;
use ccpulse_sources::usage_log::paths::{roots_from_env, transcripts, Found};

use crate::commands::CommandError;

/// The last `days` days (30 or 90), today last, in the user's zone and clock.
pub fn view(days: u32) -> Result<HistoryView, CommandError> {
    if !DAY_CHOICES.contains(&days) {
        return Err(CommandError {
            code: "days",
            message: format!("the history shows 30 or 90 days, not {days}"),
        });
    }
    let clock = clock_of(config_file::load(None).unwrap_or_default().clock);
    let files: Vec<_> = transcripts(&roots_from_env())
        .into_iter()
        .filter_map(|f| match f {
            Found::File(t) => Some(t),
            Found::Unreadable { path, error } => {
                tracing::warn!("cannot read {}: {error}", path.display());
                None
            }
        })
        .collect();
    let (mut engine, _) = Engine::load(&StateDir::default_location(), Path::Daily);
    let refresh = engine.refresh(&files, &mut |_| {});
    if let Some(note) = refresh.note {
        tracing::warn!("usage index: {note}");
    }
    let entries = engine.entries();
    let window = Window {
        days,
        zone: local_zone(),
        clock,
        now: Utc::now(),
    };
    let zone = window.zone;
    let view = history(entries.iter(), engine.models(), window);
    // The plan limits over time, from the readings the tray keeps (read only: the tray is the
    // file's one writer).
    let view = match limit_history::read(&StateDir::default_location()) {
        Ok(limits) => view.with_limits(&limits, zone),
        Err(e) => {
            tracing::warn!("limit history: {e}");
            view
        }
    };
    match entries.error() {
        Some(e) => Err(CommandError {
            code: "index",
            message: format!("the transcripts changed while they were read ({e}); try again"),
        }),
        None => Ok(view),
    }
}

/// The History tab's view (off the main thread: it reads the index and what was appended).
#[tauri::command]
pub async fn history_state(days: u32) -> Result<HistoryView, CommandError> {
    tauri::async_runtime::spawn_blocking(move || view(days))
        .await
        .map_err(|e| CommandError {
            code: "history",
            message: format!("the history could not be made: {e}"),
        })?
}
