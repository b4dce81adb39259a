//! Keeps the service status current: polls Statuspage, folds each outcome into the snapshot,
//! asks the core what to announce (through the shared [`Alerting`] ledger and policy), and
//! persists the last good reading.
//!
//! Both long-running shells (tray, `ccpulse watch`) and the one-shot `ccpulse status` use this;
//! only a [`Mode::Notifying`] monitor writes to the state dir, so a CLI run never swallows a
//! notification the tray still owes the user.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use ccpulse_core::alerts::{plan, Alert, Reading};
use ccpulse_core::backoff::next_delay;
use ccpulse_core::config::StatusConfig;
use ccpulse_core::service::ServiceSnapshot;
use ccpulse_core::status::{Incident, ServiceStatus};
use ccpulse_core::status_diff::departed;

use crate::alerting::Alerting;
use crate::http::{FetchError, TIMEOUT};
use crate::state_dir::StateDir;
use crate::statuspage::{StatuspageClient, Summary};

pub const STATUS_CACHE_FILE: &str = "status-cache.json";

#[derive(Clone)]
pub enum Mode {
    /// Plans alerts through the ledger and policy, and persists the last good reading. (The
    /// lock is the sharing's, for now: the tray's loops share one `Alerting`.)
    Notifying(Arc<Mutex<Alerting>>),
    /// Reads the state dir (for the last good reading) and never writes it.
    ReadOnly,
}

/// One poll's outcome.
#[derive(Debug, Clone)]
pub enum Observation {
    Fresh {
        status: ServiceStatus,
        /// `incidents.json`, fetched only when an incident left the summary.
        history: Vec<Incident>,
    },
    NotModified,
    Failed {
        error: String,
        /// Nothing answered at all (see [`ServiceSnapshot::offline`]).
        offline: bool,
    },
}

pub fn warn(message: impl std::fmt::Display) {
    eprintln!("ccpulse: {message}");
}

pub struct StatusMonitor {
    config: StatusConfig,
    state: StateDir,
    mode: Mode,
    snapshot: ServiceSnapshot,
    startup: bool,
    write_failing: bool,
}

impl StatusMonitor {
    /// Load the last good reading. A problem with it is reported and means starting without.
    pub fn open(config: StatusConfig, state: StateDir, mode: Mode) -> Self {
        let snapshot = match state.load::<ServiceSnapshot>(STATUS_CACHE_FILE) {
            Ok(Some(cached)) => ServiceSnapshot {
                error: None,
                offline: false,
                ..cached
            },
            Ok(None) => ServiceSnapshot::default(),
            Err(e) => {
                tracing::warn!("{e}");
                ServiceSnapshot::default()
            }
        };
        Self {
            config,
            state,
            mode,
            snapshot,
            startup: true,
            write_failing: false,
        }
    }

    pub fn snapshot(&self) -> &ServiceSnapshot {
        &self.snapshot
    }

    pub fn config(&self) -> &StatusConfig {
        &self.config
    }

    /// Fold one poll into the state; returns what to show now (empty in read-only mode).
    pub fn apply(&mut self, observation: Observation, now: DateTime<Utc>) -> Vec<Alert> {
        match observation {
            Observation::Failed { error, offline } => {
                self.snapshot.failed(error, offline);
                Vec::new()
            }
            Observation::NotModified => {
                self.snapshot.confirmed(None, now);
                Vec::new()
            }
            Observation::Fresh { status, history } => {
                let alerts = match &self.mode {
                    Mode::ReadOnly => Vec::new(),
                    Mode::Notifying(alerting) => {
                        let reading = Reading {
                            prev: self.snapshot.status.as_ref(),
                            next: &status,
                            history: &history,
                            startup: self.startup,
                        };
                        let mut alerting = alerting.lock().expect("alerting lock");
                        alerting.submit(now, |ledger| {
                            plan(&reading, &self.config.relevance, ledger, now)
                        })
                    }
                };
                self.startup = false;
                self.snapshot.confirmed(Some(status), now);
                if matches!(self.mode, Mode::Notifying(_)) {
                    self.state.save_or_say(
                        STATUS_CACHE_FILE,
                        &self.snapshot,
                        &mut self.write_failing,
                    );
                }
                alerts
            }
        }
    }
}

/// One poll: the summary, and the history when an incident left it.
pub async fn poll(client: &mut StatuspageClient, prev: Option<&ServiceStatus>) -> Observation {
    match client.summary().await {
        Err(e) => Observation::Failed {
            offline: matches!(e, FetchError::Connect { .. }),
            error: e.to_string(),
        },
        Ok(Summary::NotModified) => Observation::NotModified,
        Ok(Summary::Fresh(parsed)) => {
            for w in &parsed.warnings {
                tracing::warn!("{}: {w}", client.summary_url());
            }
            let status = parsed.value;
            let history = match prev.map(|p| departed(p, &status)) {
                Some(gone) if !gone.is_empty() => match client.incidents().await {
                    Ok(list) => list.value,
                    Err(e) => {
                        tracing::warn!("{e}; cannot tell how the incident ended");
                        Vec::new()
                    }
                },
                _ => Vec::new(),
            };
            Observation::Fresh { status, history }
        }
    }
}

/// Poll forever: every `interval`, sooner when `refresh` is notified, backing off after failures.
/// `on_update` sees the monitor after each poll with what to announce.
pub async fn run(
    monitor: &mut StatusMonitor,
    refresh: Arc<Notify>,
    mut on_update: impl FnMut(&StatusMonitor, Vec<Alert>),
) {
    let mut client = StatuspageClient::new(&monitor.config.base_url, TIMEOUT);
    let mut failures = 0u32;
    loop {
        let observation = poll(&mut client, monitor.snapshot.status.as_ref()).await;
        failures = match observation {
            Observation::Failed { .. } => failures.saturating_add(1),
            _ => 0,
        };
        let alerts = monitor.apply(observation, Utc::now());
        on_update(monitor, alerts);
        let delay = next_delay(monitor.config.policy, failures, fastrand::f64());
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = refresh.notified() => {}
        }
    }
}
