//! The source tasks: each watches one source and sends what it observed to the tray's loop
//! ([`Event`]); none of them keeps or locks the tray's state.
//!
//! - the status page, polled with back-off (sooner when asked: [`Controls::refresh`]);
//! - the OAuth usage endpoint, on its schedule (at once when asked), or Claude Code's own
//!   `get_usage` instead when the loop says which (`[limits] claude_code` on, the status line
//!   quiet);
//! - the transcripts, moments after a file changes (the usage watcher's thread);
//! - Claude Code's status line feed, when it is written (a watcher on the state dir, writes
//!   only);
//! - the config file, when it is written.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::Notify;

use ccpulse_core::config::StatusConfig;
use ccpulse_core::plan::AT_LEAST_EVERY;
use ccpulse_core::status::ServiceStatus;
use ccpulse_sources::oauth_usage::{self, Login};
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::statusline::FEED_FILE;
use ccpulse_sources::usage_log::watch::{self, WatchOptions};
use ccpulse_sources::{claude_usage, monitor};

use crate::events::Event;

/// Asking the source tasks for a look now.
pub struct Controls {
    refresh_status: Arc<Notify>,
    oauth: UnboundedSender<Look>,
}

/// A look at the usage schedule: on demand (the user asked) or not, and the Claude Code to ask
/// instead of the endpoint, if the loop's config and feed say so (`claude_usage::wanted`).
struct Look {
    on_demand: bool,
    claude: Option<PathBuf>,
}

impl Controls {
    /// "Refresh now": poll the status page, and ask for the plan's usage if its schedule
    /// permits an attempt on demand.
    pub fn refresh(&self, claude: Option<PathBuf>) {
        self.refresh_status.notify_one();
        self.look_at_oauth(true, claude);
    }

    /// Look at the usage schedule (kept in the state dir, shared with the CLI) and make the
    /// attempt it allows: of `claude` when given, else of the OAuth endpoint.
    pub fn look_at_oauth(&self, on_demand: bool, claude: Option<PathBuf>) {
        let _ = self.oauth.send(Look { on_demand, claude });
    }
}

/// What keeps running as long as it is held: the state dir watcher.
pub struct Running {
    _watchers: Vec<Box<dyn std::any::Any + Send>>,
}

/// Start every source task; each sends to `events` until the loop is gone.
pub fn start(
    status: StatusConfig,
    prev: Option<ServiceStatus>,
    state: StateDir,
    zone: chrono_tz::Tz,
    events: UnboundedSender<Event>,
) -> (Controls, Running) {
    let (oauth, requests) = tokio::sync::mpsc::unbounded_channel();
    let controls = Controls {
        refresh_status: Arc::new(Notify::new()),
        oauth,
    };
    status_task(
        status,
        prev,
        controls.refresh_status.clone(),
        events.clone(),
    );
    oauth_task(state.clone(), requests, events.clone());
    usage_task(state.clone(), zone, events.clone());
    let feed = events.clone();
    let feed_watcher = state
        .watch(FEED_FILE, move || {
            let _ = feed.send(Event::FeedWritten);
        })
        .map_err(|e| {
            tracing::warn!(
                "cannot watch the status line feed ({e}); reading it every {} s",
                AT_LEAST_EVERY.num_seconds()
            )
        })
        .ok()
        .map(|w| Box::new(w) as Box<dyn std::any::Any + Send>);
    let config = events.clone();
    let config_watcher = match ccpulse_sources::config_file::watch(move || {
        let _ = config.send(Event::ConfigChanged);
    }) {
        Some(Ok(w)) => Some(Box::new(w) as Box<dyn std::any::Any + Send>),
        Some(Err(e)) => {
            tracing::warn!("cannot watch the config file ({e}); a change needs a restart");
            None
        }
        None => None,
    };
    (
        controls,
        Running {
            _watchers: feed_watcher.into_iter().chain(config_watcher).collect(),
        },
    )
}

fn status_task(
    config: StatusConfig,
    prev: Option<ServiceStatus>,
    refresh: Arc<Notify>,
    events: UnboundedSender<Event>,
) {
    tauri::async_runtime::spawn(async move {
        monitor::run(&config, prev, refresh, |observation| {
            events.send(Event::StatusObserved(observation)).is_ok()
        })
        .await;
    });
}

/// When the loop asks (it knows when the schedule allows the next attempt): the schedule
/// looked at, and the attempt it allows made.
fn oauth_task(
    state: StateDir,
    mut requests: UnboundedReceiver<Look>,
    events: UnboundedSender<Event>,
) {
    tauri::async_runtime::spawn(async move {
        let (client, url, login) = (
            oauth_usage::client(),
            oauth_usage::api_url(),
            Login::from_env(),
        );
        while let Some(mut look) = requests.recv().await {
            // Requests that piled up while the last attempt ran are one look, as the latest
            // says, on demand if any was.
            while let Ok(more) = requests.try_recv() {
                look = Look {
                    on_demand: look.on_demand || more.on_demand,
                    claude: more.claude,
                };
            }
            // Claude Code itself or the endpoint: the two share one schedule.
            let (on_demand, now) = (look.on_demand, Utc::now());
            let cache = match look.claude {
                Some(claude) => {
                    claude_usage::refresh(&state, &claude, oauth_usage::EVERY, on_demand, now).await
                }
                None => {
                    oauth_usage::refresh(
                        &state,
                        &client,
                        &url,
                        login.as_ref(),
                        oauth_usage::EVERY,
                        on_demand,
                        now,
                    )
                    .await
                }
            };
            if events.send(Event::OauthObserved(cache)).is_err() {
                return;
            }
        }
    });
}

fn usage_task(state: StateDir, zone: chrono_tz::Tz, events: UnboundedSender<Event>) {
    watch::spawn(WatchOptions::from_env(state, zone), move |local| {
        events.send(Event::UsageChanged(Box::new(local))).is_ok()
    });
}
