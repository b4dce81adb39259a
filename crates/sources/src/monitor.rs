//! Keeps the service status current: [`run`] polls Statuspage (with back-off) and hands each
//! outcome on; [`StatusMonitor::apply`] folds it into the snapshot, asks the core what to
//! announce (through the [`Alerting`] ledger and policy, when given one), and persists the last
//! good reading.
//!
//! Both long-running shells (tray, `ccpulse watch`) and the one-shot `ccpulse status` use this;
//! only the tray's monitor writes to the state dir and plans notifications, so a CLI run never
//! swallows a notification the tray still owes the user.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use ccpulse_core::alert::Alert;
use ccpulse_core::backoff::next_delay;
use ccpulse_core::config::StatusConfig;
use ccpulse_core::plan::status::{plan, Reading};
use ccpulse_core::service::ServiceSnapshot;
use ccpulse_core::status::{Incident, ServiceStatus};
use ccpulse_core::status_diff::departed;

use crate::alerting::Alerting;
use crate::http::{FetchError, TIMEOUT};
use crate::state_dir::StateDir;
use crate::statuspage::{StatuspageClient, Summary};

pub const STATUS_CACHE_FILE: &str = "status-cache.json";

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

pub struct StatusMonitor {
    config: StatusConfig,
    state: StateDir,
    /// Keep the last good reading in the state dir (the tray); otherwise only read it.
    persist: bool,
    snapshot: ServiceSnapshot,
    startup: bool,
    write_failing: bool,
}

impl StatusMonitor {
    /// Load the last good reading. A problem with it is reported and means starting without.
    /// `persist`: keep each new reading in the state dir.
    pub fn open(config: StatusConfig, state: StateDir, persist: bool) -> Self {
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
            persist,
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

    /// Plan with these settings from now on (the watched components changed).
    pub fn configure(&mut self, config: StatusConfig) {
        self.config = config;
    }

    /// Fold one poll into the state; with `alerting`, plan what it is worth announcing and
    /// return what to show now.
    pub fn apply(
        &mut self,
        observation: Observation,
        now: DateTime<Utc>,
        alerting: Option<&mut Alerting>,
    ) -> Vec<Alert> {
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
                let alerts = match alerting {
                    None => Vec::new(),
                    Some(alerting) => {
                        let reading = Reading {
                            prev: self.snapshot.status.as_ref(),
                            next: &status,
                            history: &history,
                            startup: self.startup,
                        };
                        alerting.submit(now, |ledger| {
                            plan(&reading, &self.config.relevance, ledger, now)
                        })
                    }
                };
                self.startup = false;
                self.snapshot.confirmed(Some(status), now);
                if self.persist {
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
    let summary = client.summary().await;
    match &summary {
        Ok(Summary::Fresh(_)) => tracing::debug!("{}: a new reading", client.summary_url()),
        Ok(Summary::NotModified) => tracing::debug!("{}: not modified", client.summary_url()),
        Err(e) => tracing::info!("{e}"),
    }
    match summary {
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

/// Poll forever: every `interval`, sooner when `refresh` is notified, backing off after
/// failures. `prev` is the last reading known (an incident that leaves it is looked up in the
/// history). Each outcome goes to `send`; polling stops when it returns `false`.
pub async fn run(
    config: &StatusConfig,
    mut prev: Option<ServiceStatus>,
    refresh: Arc<Notify>,
    mut send: impl FnMut(Observation) -> bool,
) {
    let mut client = StatuspageClient::new(&config.base_url, TIMEOUT);
    let mut failures = 0u32;
    loop {
        let observation = poll(&mut client, prev.as_ref()).await;
        failures = match &observation {
            Observation::Failed { .. } => failures.saturating_add(1),
            Observation::Fresh { status, .. } => {
                prev = Some(status.clone());
                0
            }
            Observation::NotModified => 0,
        };
        if !send(observation) {
            return;
        }
        let delay = next_delay(config.policy, failures, fastrand::f64());
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = refresh.notified() => {}
        }
    }
}
