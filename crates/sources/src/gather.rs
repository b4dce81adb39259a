//! Everything the shells show, gathered in one place for all of them: the service snapshot, the
//! status line feed, the OAuth usage schedule's last reading, what the transcripts say, and
//! where an API key overrides the subscription. [`Observations::derive`] asks the core what
//! that means (the merged limits, the 529 waves), and [`Observations::view`] turns it into the
//! one view the CLI, the tray, the status line and the panel render.
//!
//! The tray keeps an [`Observations`] in its loop and replaces one part per event; the CLI
//! gathers it [`once`].

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use ccpulse_core::clock::Clock;
use ccpulse_core::config::Config;
use ccpulse_core::limits::history::History;
use ccpulse_core::limits::Limits;
use ccpulse_core::overload::{self, Overload};
use ccpulse_core::service::ServiceSnapshot;
use ccpulse_core::view::{self, Facts, View};

use crate::claude_usage;
use crate::doctor::key_overrides_here;
use crate::http::TIMEOUT;
use crate::monitor::{self, StatusMonitor};
use crate::oauth_usage;
use crate::plan_limits;
use crate::state_dir::StateDir;
use crate::statusline::Feed;
use crate::statuspage::StatuspageClient;
use crate::usage_log::watch::{Local, Reader, WatchOptions};

/// What was last observed of each source.
#[derive(Debug, Clone, Default)]
pub struct Observations {
    pub service: ServiceSnapshot,
    /// What Claude Code's status line last reported.
    pub feed: Feed,
    /// The OAuth usage endpoint's schedule and last good reading.
    pub oauth: oauth_usage::Cache,
    /// `None` until the transcripts are first looked at.
    pub local: Option<Local>,
    /// Where an API key that overrides the subscription is set, in words.
    pub key_overrides: Vec<String>,
    /// Every limit reading so far (`limit_history`): the pace of each window.
    pub history: History,
}

/// What the core makes of the observations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    pub limits: Limits,
    pub overload: Overload,
}

impl Observations {
    pub fn derive(&self, config: &Config, now: DateTime<Utc>) -> Derived {
        let none = Local::default();
        let local = self.local.as_ref().unwrap_or(&none);
        Derived {
            limits: plan_limits::merged(
                &self.feed,
                &self.oauth,
                local.evidence(),
                &self.history,
                now,
            ),
            overload: overload::assess(
                &local.overload_events(),
                self.service.status.as_ref(),
                &config.overload,
                now,
            ),
        }
    }

    /// The view, for a shell that derived the observations (to plan with them) and may have
    /// paused notifications.
    pub fn view(
        &self,
        derived: &Derived,
        paused_until: Option<DateTime<Utc>>,
        config: &Config,
        now: DateTime<Utc>,
        zone: Tz,
        clock: Clock,
    ) -> View {
        let local = self.local.as_ref();
        let facts = Facts {
            service: &self.service,
            limits: &derived.limits,
            overload: &derived.overload,
            usage: local.map(|l| &l.usage),
            spend: local.map_or(&[][..], |l| &l.spend),
            api_errors: local.map_or(&[][..], |l| &l.api_errors),
            login_problem: self.oauth.login_problem.as_deref(),
            key_overrides: &self.key_overrides,
            paused_until,
        };
        view::build(&facts, config, now, zone, clock)
    }

    /// Derived and viewed at once, for a shell that plans nothing (the command line).
    pub fn view_now(&self, config: &Config, now: DateTime<Utc>, zone: Tz, clock: Clock) -> View {
        self.view(&self.derive(config, now), None, config, now, zone, clock)
    }
}

/// The transcripts as every shell reads them, with the index and recent signals kept in
/// `state`.
pub fn transcripts(state: StateDir, zone: Tz) -> Reader {
    Reader::open(WatchOptions::from_env(state, zone))
}

/// What the transcripts say now (read where they grew); a history that cannot be read costs
/// the local evidence, with a warning, not the rest.
pub fn read_local(reader: &mut Reader, now: DateTime<Utc>) -> Local {
    reader.read(now, &mut |_| {}).1.unwrap_or_else(|e| {
        tracing::warn!("usage: {e}");
        Local::default()
    })
}

/// One look at everything, for a one-shot shell (`ccpulse status`): the status page polled
/// once (the state dir's last reading kept if it fails, never written), the OAuth usage
/// endpoint if its schedule allows, the transcripts where they grew, the key overrides of
/// this process with `env_files` (a project's `.env`), and the limit history (read, never
/// written).
pub async fn once(
    config: &Config,
    state: &StateDir,
    zone: Tz,
    env_files: &[PathBuf],
    now: DateTime<Utc>,
) -> Observations {
    let mut monitor = StatusMonitor::open(config.status.clone(), state.clone(), false);
    let mut client = StatuspageClient::new(&config.status.base_url, TIMEOUT);
    let observation = monitor::poll(&mut client, monitor.snapshot().status.as_ref()).await;
    monitor.apply(observation, now, None);
    let feed = Feed::load(state);
    // Claude Code itself when it is there and the status line is quiet, else the endpoint; the
    // two share one schedule.
    let oauth = match claude_usage::wanted(&config.claude_usage, feed.received_at, now) {
        Some(claude) => claude_usage::refresh(state, &claude, oauth_usage::EVERY, false, now).await,
        None => {
            let login = oauth_usage::Login::from_env();
            oauth_usage::refresh(
                state,
                &oauth_usage::client(),
                &oauth_usage::api_url(),
                login.as_ref(),
                oauth_usage::EVERY,
                false,
                now,
            )
            .await
        }
    };
    Observations {
        service: monitor.snapshot().clone(),
        feed,
        oauth,
        local: Some(read_local(&mut transcripts(state.clone(), zone), now)),
        key_overrides: key_overrides_here(env_files),
        // Read only: the tray alone records readings.
        history: crate::limit_history::read(state).unwrap_or_else(|e| {
            tracing::debug!("{e}");
            History::default()
        }),
    }
}
