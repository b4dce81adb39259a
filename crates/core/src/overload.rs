//! 529 waves: when the API is overloaded, Claude Code retries silently and the status page
//! often stays green for a while. The retry records and final errors in the transcripts show it
//! first. A wave is read from that timeline with hysteresis: it starts when the errors of the
//! last few minutes cross a threshold and ends only after a quiet spell, so errors flickering
//! around the threshold make one wave, not many. A status incident that speaks of errors or
//! overload confirms a local wave, or stands alone.
//!
//! Everything here is a function of the timeline and `now`: after a restart the same waves come
//! out, with the same start times (the keys their notifications are announced under).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::signals::{ApiError, ErrorOrigin};
use crate::status::{Incident, ServiceStatus};

/// When a wave starts and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaveRules {
    /// Retries within `window` that start a wave.
    pub start_retries: usize,
    /// Or final failures within `window`.
    pub start_failures: usize,
    pub window: Duration,
    /// A wave ends this long after its last error.
    pub quiet: Duration,
}

impl Default for WaveRules {
    fn default() -> Self {
        Self {
            start_retries: 5,
            start_failures: 2,
            window: Duration::minutes(10),
            quiet: Duration::minutes(15),
        }
    }
}

/// What one error record says about overload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strike {
    /// An attempt failed and was retried (the user waited, maybe without knowing).
    Retry,
    /// Retries ran out: the user saw the error.
    Failure,
}

/// An overload error as the detector counts it: when, which model, retry or failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub model: Option<String>,
    pub strike: Strike,
}

/// Server-side trouble (529 overloaded, 5xx), not the user's quota (429) or login (401).
fn is_server_side(status: Option<u16>, kind: Option<&str>) -> bool {
    matches!(status, Some(529 | 500..=504))
        || matches!(
            kind,
            Some("overloaded_error" | "server_error" | "api_error")
        )
}

/// The overload reading of an API error, if it is one.
pub fn event(e: &ApiError) -> Option<Event> {
    let strike = match e.origin {
        // A retry record without a status is still a retry; 429s are the user's rate limit.
        ErrorOrigin::Retry if e.status.is_none_or(|s| s != 429) => Strike::Retry,
        // Interactive sessions record only that the same request was sent again.
        ErrorOrigin::InteractiveRetry => Strike::Retry,
        ErrorOrigin::Final if is_server_side(e.status, e.kind.as_deref()) => Strike::Failure,
        _ => return None,
    };
    Some(Event {
        at: e.at,
        model: e.model.clone(),
        strike,
    })
}

/// How long after an interactive retry its request's final error may come (Claude Code's
/// back-off through ten attempts takes a few minutes).
const RETRY_CHAIN: Duration = Duration::minutes(10);

/// The overload events among `errors` (any order). An interactive retry does not say why the
/// request failed; when its session's next final error says it was the user's rate limit (429),
/// the retries before it were that too, not overload.
pub fn events(errors: &[ApiError]) -> Vec<Event> {
    let rate_limited = |e: &ApiError| {
        e.origin == ErrorOrigin::Final
            && (e.status == Some(429) || e.kind.as_deref() == Some("rate_limit"))
    };
    let mut sorted: Vec<&ApiError> = errors.iter().collect();
    sorted.sort_by_key(|e| e.at);
    // Walking back in time: per session, the next final error seen so far.
    let mut next_final: std::collections::HashMap<Option<&str>, &ApiError> = Default::default();
    let mut out = Vec::new();
    for e in sorted.into_iter().rev() {
        let session = e.session_id.as_deref();
        if e.origin == ErrorOrigin::Final {
            next_final.insert(session, e);
        }
        let was_rate_limit = e.origin == ErrorOrigin::InteractiveRetry
            && next_final
                .get(&session)
                .is_some_and(|f| rate_limited(f) && f.at - e.at <= RETRY_CHAIN);
        if !was_rate_limit {
            out.extend(event(e));
        }
    }
    out.reverse();
    out
}

/// One wave of errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wave {
    /// When the threshold was crossed (its notifications' key).
    pub started_at: DateTime<Utc>,
    pub last_error_at: DateTime<Utc>,
    /// `None` while it lasts.
    pub ended_at: Option<DateTime<Utc>>,
}

/// The waves in `events` (any order) as of `now`, oldest first.
pub fn waves(events: &[Event], rules: &WaveRules, now: DateTime<Utc>) -> Vec<Wave> {
    let mut sorted: Vec<&Event> = events.iter().filter(|e| e.at <= now).collect();
    sorted.sort_by_key(|e| e.at);
    let mut out: Vec<Wave> = Vec::new();
    let mut current: Option<Wave> = None;
    for (i, e) in sorted.iter().enumerate() {
        if let Some(w) = current.as_mut() {
            if e.at - w.last_error_at <= rules.quiet {
                w.last_error_at = e.at;
                continue;
            }
            let mut ended = current.take().expect("checked above");
            ended.ended_at = Some(ended.last_error_at + rules.quiet);
            out.push(ended);
        }
        // Not in a wave: does this event cross the threshold?
        let recent = sorted[..=i]
            .iter()
            .rev()
            .take_while(|x| e.at - x.at < rules.window);
        let (mut retries, mut failures) = (0, 0);
        for x in recent {
            match x.strike {
                Strike::Retry => retries += 1,
                Strike::Failure => failures += 1,
            }
        }
        if retries >= rules.start_retries || failures >= rules.start_failures {
            current = Some(Wave {
                started_at: e.at,
                last_error_at: e.at,
                ended_at: None,
            });
        }
    }
    if let Some(mut w) = current {
        if now - w.last_error_at > rules.quiet {
            w.ended_at = Some(w.last_error_at + rules.quiet);
        }
        out.push(w);
    }
    out
}

/// Words an incident about errors or capacity uses.
const OVERLOAD_WORDS: [&str; 6] = [
    "elevated error",
    "increased error",
    "error rate",
    "overload",
    "529",
    "capacity",
];

/// An open incident whose name or latest update speaks of errors or overload.
pub fn overload_incident(status: &ServiceStatus) -> Option<&Incident> {
    status.incidents.iter().find(|i| {
        !i.status.is_closed() && {
            let text = format!(
                "{} {}",
                i.name,
                i.latest_update().map_or("", |u| u.body.as_str())
            )
            .to_lowercase();
            OVERLOAD_WORDS.iter().any(|w| text.contains(w))
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Calm,
    /// Local errors make a wave; the status page says nothing of it (yet).
    LocalWave,
    /// A local wave and a status incident about errors or overload.
    ConfirmedWave,
    /// An incident about errors or overload, and no local wave.
    StatusOnly,
}

/// How errors without a model are listed.
pub const UNKNOWN_MODEL: &str = "<unknown>";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelErrors {
    /// As recorded (`<unknown>` when no model was named).
    pub model: String,
    pub retries_15m: usize,
    pub failures_15m: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentRef {
    pub id: String,
    pub name: String,
    pub url: String,
}

/// `ccpulse status --json` → `overload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overload {
    pub state: State,
    /// When the current wave (or incident) began.
    pub since: Option<DateTime<Utc>>,
    /// Errors of the last 15 minutes, by model, most first.
    pub models: Vec<ModelErrors>,
    /// Overload errors in each minute of the last hour, oldest first (60 numbers).
    pub per_minute: Vec<usize>,
    /// The current wave, or the last one if it ended within the hour.
    pub wave: Option<Wave>,
    pub incident: Option<IncidentRef>,
}

impl Default for Overload {
    fn default() -> Self {
        Self {
            state: State::Calm,
            since: None,
            models: Vec::new(),
            per_minute: vec![0; 60],
            wave: None,
            incident: None,
        }
    }
}

pub fn assess(
    events: &[Event],
    status: Option<&ServiceStatus>,
    rules: &WaveRules,
    now: DateTime<Utc>,
) -> Overload {
    let all = waves(events, rules, now);
    let wave = all
        .last()
        .filter(|w| w.ended_at.is_none_or(|end| now - end < Duration::hours(1)))
        .cloned();
    let ongoing = wave.as_ref().filter(|w| w.ended_at.is_none());
    let incident = status.and_then(overload_incident);
    let incident_since = incident
        .and_then(|i| i.created_at)
        .map(|t| t.with_timezone(&Utc));
    let (state, since) = match (ongoing, incident) {
        (Some(w), Some(_)) => (
            State::ConfirmedWave,
            Some(incident_since.map_or(w.started_at, |i| i.min(w.started_at))),
        ),
        (Some(w), None) => (State::LocalWave, Some(w.started_at)),
        (None, Some(_)) => (State::StatusOnly, incident_since),
        (None, None) => (State::Calm, None),
    };
    let mut models: Vec<ModelErrors> = Vec::new();
    let mut per_minute = vec![0; 60];
    for e in events.iter().filter(|e| e.at <= now) {
        let ago = now - e.at;
        if ago < Duration::minutes(15) {
            let name = e.model.as_deref().unwrap_or(UNKNOWN_MODEL);
            let i = match models.iter().position(|m| m.model == name) {
                Some(i) => i,
                None => {
                    models.push(ModelErrors {
                        model: name.to_string(),
                        retries_15m: 0,
                        failures_15m: 0,
                    });
                    models.len() - 1
                }
            };
            match e.strike {
                Strike::Retry => models[i].retries_15m += 1,
                Strike::Failure => models[i].failures_15m += 1,
            }
        }
        if let Ok(minute) = usize::try_from(ago.num_minutes()) {
            if minute < 60 {
                per_minute[59 - minute] += 1;
            }
        }
    }
    models.sort_by(|a, b| {
        (b.retries_15m + b.failures_15m)
            .cmp(&(a.retries_15m + a.failures_15m))
            .then_with(|| a.model.cmp(&b.model))
    });
    Overload {
        state,
        since,
        models,
        per_minute,
        wave,
        incident: incident.map(|i| IncidentRef {
            id: i.id.clone(),
            name: i.name.clone(),
            url: i.url.clone(),
        }),
    }
}
