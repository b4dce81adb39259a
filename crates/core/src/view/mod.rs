//! One view of everything ccpulse knows, for every shell: the service, the plan limits, 529
//! waves, local activity and what to do now, each part with its words and its colour. The CLI
//! prints it (`ccpulse status`, `--json`), the panel renders it, the tray and the status line
//! take their lines from it ([`tray`], [`statusline`]); none of them decides anything.

pub mod activity;
pub mod bar;
pub mod history;
pub mod limits;
pub mod overload;
pub mod service;
pub mod setup;
pub mod statusline;
pub mod tray;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::advice::{advise, Advice, Inputs, Tone};
use crate::clock::Clock;
use crate::config::Config;
use crate::limits::Limits;
use crate::overload::Overload;
use crate::service::{Level, ServiceSnapshot};
use crate::signals::ApiError;

use activity::{activity, Activity, LocalUsage};
use limits::{limits_view, LimitsView};
use overload::{overload_view, OverloadView};
use service::{service_report, ServiceReport};

/// What the view is a function of: what the sources observed, and what the core made of it
/// (the merged limits, the assessed waves).
pub struct Facts<'a> {
    pub service: &'a ServiceSnapshot,
    pub limits: &'a Limits,
    pub overload: &'a Overload,
    /// Today's local use; `None` until the transcripts are first looked at.
    pub usage: Option<&'a LocalUsage>,
    /// Local spend: (when, USD).
    pub spend: &'a [(DateTime<Utc>, f64)],
    pub api_errors: &'a [ApiError],
    /// The login problem the usage endpoint ran into: a knowledge base id.
    pub login_problem: Option<&'a str>,
    /// Where an API key that overrides the subscription is set, in words.
    pub key_overrides: &'a [String],
    /// Notifications are paused until then.
    pub paused_until: Option<DateTime<Utc>>,
}

impl<'a> Facts<'a> {
    /// The service, limits and waves alone: nothing local (no transcripts read yet, no login
    /// problem, no key, no pause).
    pub fn without_local(
        service: &'a ServiceSnapshot,
        limits: &'a Limits,
        overload: &'a Overload,
    ) -> Self {
        Facts {
            service,
            limits,
            overload,
            usage: None,
            spend: &[],
            api_errors: &[],
            login_problem: None,
            key_overrides: &[],
            paused_until: None,
        }
    }
}

/// Everything a shell shows (`ccpulse status --json`, the panel's state).
#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub service: ServiceReport,
    pub limits: LimitsView,
    pub overload: OverloadView,
    pub activity: Activity,
    /// What to do now, the most pressing first.
    pub advice: Vec<AdviceCard>,
    pub paused_until: Option<DateTime<Utc>>,
}

/// One piece of advice and its colour.
#[derive(Debug, Clone, Serialize)]
pub struct AdviceCard {
    #[serde(flatten)]
    pub advice: Advice,
    /// Blocked is drawn as an outage, degraded as degraded, info as maintenance (blue).
    pub level: Level,
}

pub fn build(facts: &Facts, config: &Config, now: DateTime<Utc>, zone: Tz, clock: Clock) -> View {
    let relevance = &config.status.relevance;
    let advice = advise(&Inputs {
        service: facts.service,
        relevance,
        overload: facts.overload,
        limits: facts.limits,
        near_percent: config.near_limit_percent(),
        login_problem: facts.login_problem,
        key_overrides: facts.key_overrides,
        now,
        zone,
        clock,
    });
    View {
        service: service_report(facts.service, relevance, now),
        limits: limits_view(facts.limits, &config.limit_thresholds, now, zone, clock),
        overload: overload_view(facts.overload),
        activity: activity(facts.usage, facts.spend, facts.api_errors, now),
        advice: advice
            .into_iter()
            .map(|advice| AdviceCard {
                level: match advice.tone {
                    Tone::Blocked => Level::Outage,
                    Tone::Degraded => Level::Degraded,
                    Tone::Info => Level::Maintenance,
                },
                advice,
            })
            .collect(),
        paused_until: facts.paused_until.filter(|u| *u > now),
    }
}

/// The view before anything was observed.
pub fn starting(config: &Config, now: DateTime<Utc>, zone: Tz, clock: Clock) -> View {
    let (service, limits, overload) = Default::default();
    build(
        &Facts::without_local(&service, &limits, &overload),
        config,
        now,
        zone,
        clock,
    )
}
