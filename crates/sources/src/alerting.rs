//! The one ledger of notifications, shared by every loop that plans them (status page, limits
//! and waves): each planner records its keys in it, `core::policy` decides what is shown now and
//! what waits, and the ledger is saved atomically (temp file, fsync, rename) *before* anything
//! is shown. A kill at any moment leaves the old or the new ledger: what the old one did not
//! record is planned again after a restart (nothing was shown of it), what the new one recorded
//! is never shown again. Only a kill in the instant between the rename and the hand-over to the
//! notification service can lose a notification; none can repeat one.
//!
//! `Alerting` is plain data with `&mut self` methods: its owner (one loop) decides how it is
//! shared, if at all.

use ccpulse_core::alert::{Alert, AlertLedger};
use ccpulse_core::policy::Policy;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::state_dir::StateDir;

pub const LEDGER_FILE: &str = "alerts-ledger.json";
/// Where version 1 kept limit and wave keys: merged into the ledger when it is first opened.
const LEGACY_FILE: &str = "local-alerts.json";

pub struct Alerting {
    state: StateDir,
    policy: Policy,
    zone: Tz,
    inner: Inner,
}

struct Inner {
    ledger: AlertLedger,
    /// Saving failed last time (said once; said again when it works).
    failing: bool,
}

impl Alerting {
    /// Load the ledger (a corrupt one is moved aside and reported; notifications then start
    /// afresh rather than not at all).
    pub fn open(state: StateDir, policy: Policy, zone: Tz) -> Self {
        let load = |name| match state.load::<AlertLedger>(name) {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        };
        state.remove_leftovers(LEDGER_FILE);
        let mut ledger = load(LEDGER_FILE).unwrap_or_default();
        let legacy = load(LEGACY_FILE);
        if let Some(old) = &legacy {
            ledger.seen.extend(old.seen.clone());
        }
        if ledger.version > AlertLedger::VERSION {
            tracing::warn!(
                "the notification ledger is of a newer version ({}); keeping its keys",
                ledger.version
            );
        }
        ledger.version = AlertLedger::VERSION;
        let mut alerting = Self {
            state,
            policy,
            zone,
            inner: Inner {
                ledger,
                failing: false,
            },
        };
        if legacy.is_some() && alerting.save() {
            let _ = std::fs::remove_file(alerting.state.path(LEGACY_FILE));
        }
        alerting
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Follow another policy from now on (the settings changed); what waits is looked at again
    /// under it at the next step.
    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    /// Run a planner against the ledger, pass what it planned through the policy, save the
    /// ledger if anything changed, and return what to show now.
    pub fn submit(
        &mut self,
        now: DateTime<Utc>,
        plan: impl FnOnce(&mut AlertLedger) -> Vec<Alert>,
    ) -> Vec<Alert> {
        let ledger = &mut self.inner.ledger;
        let before = ledger.clone();
        let planned = plan(ledger);
        let shown = self.policy.step(ledger, planned, now, self.zone);
        ledger.prune(now);
        if *ledger != before {
            self.save();
        }
        if !shown.is_empty() {
            fault_point!(crate::fault::BEFORE_SHOW);
        }
        shown
    }

    /// What has come due since (a group's end, a pause's end, quiet hours over).
    pub fn release(&mut self, now: DateTime<Utc>) -> Vec<Alert> {
        self.submit(now, |_| Vec::new())
    }

    /// When [`Alerting::release`] will have something, if anything waits.
    pub fn next_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.policy.next_due(&self.inner.ledger, now, self.zone)
    }

    /// Pause until `until` (`None`: resume). Returns what resuming releases.
    pub fn pause(&mut self, until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Vec<Alert> {
        self.submit(now, |ledger| {
            ledger.paused_until = until;
            Vec::new()
        })
    }

    pub fn paused_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.inner.ledger.paused_until.filter(|u| *u > now)
    }

    fn save(&mut self) -> bool {
        let inner = &mut self.inner;
        self.state
            .save_or_say(LEDGER_FILE, &inner.ledger, &mut inner.failing)
    }
}
