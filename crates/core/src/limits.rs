//! Plan limits: the 5-hour session window, the weekly window and per-model weekly caps, merged
//! from the sources that report them (Claude Code's status line feed, the OAuth usage endpoint,
//! local evidence), each figure with where it came from and how old it is; and how reset times
//! read in the user's zone and clock.

use chrono::{DateTime, Utc};

use crate::clock::{countdown, reset_label, Clock};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Where a figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Claude Code's status line input (`rate_limits`).
    Statusline,
    /// The OAuth usage endpoint.
    Oauth,
    /// Claude Code itself, asked for the plan's usage (its `get_usage` control request).
    Claude,
    /// Local transcripts (limit-hit messages).
    Local,
}

impl Source {
    /// Which of two equally fresh figures wins: the status line comes from Claude Code itself.
    fn priority(self) -> u8 {
        match self {
            Source::Statusline => 0,
            Source::Claude => 1,
            Source::Oauth => 2,
            Source::Local => 3,
        }
    }
}

/// One window as a source reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// 0 to 100; more than 100 happens.
    pub used_percent: f64,
    pub resets_at: Option<DateTime<Utc>>,
}

/// A per-model weekly cap as a source reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelReading {
    /// The model's name as the source gives it (`Opus`, `Sonnet`, or a display name).
    pub model: String,
    pub reading: Reading,
}

/// Extra usage (credits beyond the plan), in the currency's major units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtraUsage {
    pub enabled: bool,
    pub used: f64,
    pub limit: Option<f64>,
    pub currency: Option<String>,
}

/// What one source said, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    pub source: Source,
    pub as_of: DateTime<Utc>,
    pub session: Option<Reading>,
    pub weekly: Option<Reading>,
    #[serde(default)]
    pub models: Vec<ModelReading>,
    #[serde(default)]
    pub extra_usage: Option<ExtraUsage>,
}

/// A window as shown: the figure, its reset and its provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    pub used_percent: f64,
    /// `None` once the window has reset and no source has seen the next one yet.
    pub resets_at: Option<DateTime<Utc>>,
    pub source: Source,
    pub as_of: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelWindow {
    pub model: String,
    #[serde(flatten)]
    pub window: Window,
}

/// Everything known of the plan's limits (`ccpulse status --json` → `limits`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Limits {
    pub session: Option<Window>,
    pub weekly: Option<Window>,
    pub models: Vec<ModelWindow>,
    pub extra_usage: Option<ExtraUsage>,
    /// When the session window fills at the current pace.
    pub projection: Option<Projection>,
    /// Why a source could not be read (each names the source and what to do).
    pub errors: Vec<String>,
}

/// Which window: the 5-hour session, the week, or one model's weekly cap. In keys and JSON
/// it is written `session`, `weekly`, `model:<name>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WindowId {
    Session,
    Weekly,
    Model(String),
}

impl WindowId {
    /// `session`, `weekly`, `model:Opus`.
    pub fn key(&self) -> String {
        match self {
            Self::Session => "session".into(),
            Self::Weekly => "weekly".into(),
            Self::Model(m) => format!("model:{m}"),
        }
    }

    /// The inverse of [`WindowId::key`].
    pub fn from_key(key: &str) -> Self {
        match key {
            "session" => Self::Session,
            "weekly" => Self::Weekly,
            other => Self::Model(other.strip_prefix("model:").unwrap_or(other).to_string()),
        }
    }

    /// `Session (5h)`, `Weekly`, `Weekly Opus`.
    pub fn label(&self) -> String {
        match self {
            Self::Session => "Session (5h)".into(),
            Self::Weekly => "Weekly".into(),
            Self::Model(m) => format!("Weekly {m}"),
        }
    }

    /// `Session limit`, `Weekly limit`, `Weekly Opus limit`.
    pub fn limit_title(&self) -> String {
        match self {
            Self::Session => "Session limit".into(),
            Self::Weekly => "Weekly limit".into(),
            Self::Model(m) => format!("Weekly {m} limit"),
        }
    }

    pub fn model(&self) -> Option<&str> {
        match self {
            Self::Model(m) => Some(m),
            _ => None,
        }
    }
}

impl Serialize for WindowId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.key())
    }
}

impl Limits {
    /// "At this pace the session fills at 4:10pm (40m)", or lasts until its reset; `None`
    /// without a projection or once the session is full.
    pub fn projection_line(&self, now: DateTime<Utc>, zone: Tz, clock: Clock) -> Option<String> {
        let p = self.projection.as_ref()?;
        if self.session.as_ref()?.used_percent >= 100.0 {
            return None;
        }
        Some(match p.full_at {
            Some(at) => format!(
                "At this pace the session fills at {} ({})",
                reset_label(at, now, zone, clock),
                countdown(at, now)
            ),
            None => "At this pace the session lasts until its reset".to_string(),
        })
    }

    /// Every window known, the session first, then the week, then the models.
    pub fn windows(&self) -> Vec<(WindowId, &Window)> {
        let mut out = Vec::new();
        out.extend(self.session.as_ref().map(|w| (WindowId::Session, w)));
        out.extend(self.weekly.as_ref().map(|w| (WindowId::Weekly, w)));
        out.extend(
            self.models
                .iter()
                .map(|m| (WindowId::Model(m.model.clone()), &m.window)),
        );
        out
    }
}

/// The window a reading describes now: a window whose reset has passed has started again at 0
/// (its next reset is not known until a source sees it).
fn window(r: &Reading, source: Source, as_of: DateTime<Utc>, now: DateTime<Utc>) -> Window {
    match r.resets_at {
        Some(at) if at <= now => Window {
            used_percent: 0.0,
            resets_at: None,
            source,
            as_of,
        },
        resets_at => Window {
            used_percent: r.used_percent,
            resets_at,
            source,
            as_of,
        },
    }
}

/// The freshest figure for each window; a tie goes to the status line, then OAuth.
pub fn merge(observed: &[Observed], errors: Vec<String>, now: DateTime<Utc>) -> Limits {
    let mut by_freshness: Vec<&Observed> = observed.iter().collect();
    by_freshness.sort_by(|a, b| {
        b.as_of
            .cmp(&a.as_of)
            .then(a.source.priority().cmp(&b.source.priority()))
    });
    let pick = |get: &dyn Fn(&Observed) -> Option<Reading>| {
        by_freshness
            .iter()
            .find_map(|o| get(o).map(|r| window(&r, o.source, o.as_of, now)))
    };
    let mut models: Vec<ModelWindow> = Vec::new();
    for o in &by_freshness {
        for m in &o.models {
            if !models.iter().any(|x| x.model == m.model) {
                models.push(ModelWindow {
                    model: m.model.clone(),
                    window: window(&m.reading, o.source, o.as_of, now),
                });
            }
        }
    }
    Limits {
        session: pick(&|o| o.session),
        weekly: pick(&|o| o.weekly),
        models,
        extra_usage: by_freshness.iter().find_map(|o| o.extra_usage.clone()),
        projection: None,
        errors,
    }
}

mod local;

pub use local::{merge_with_local, Local, PaceBasis, Projection, PACE_OVER, SESSION};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{observed, utc};

    #[test]
    fn the_freshest_source_wins_and_a_tie_goes_to_the_status_line() {
        let now = utc("2026-07-03T00:00:00Z");
        let a = observed(
            Source::Oauth,
            "2026-07-02T23:50:00Z",
            11.0,
            "2026-07-03T00:30:00Z",
        );
        let b = observed(
            Source::Statusline,
            "2026-07-02T23:40:00Z",
            9.0,
            "2026-07-03T00:30:00Z",
        );
        let l = merge(&[b.clone(), a.clone()], vec![], now);
        let s = l.session.unwrap();
        assert_eq!((s.used_percent, s.source), (11.0, Source::Oauth));
        let tie = Observed {
            as_of: a.as_of,
            ..b
        };
        let s = merge(&[a, tie], vec![], now).session.unwrap();
        assert_eq!((s.used_percent, s.source), (9.0, Source::Statusline));
        assert_eq!(merge(&[], vec![], now), Limits::default());
    }

    #[test]
    fn a_window_past_its_reset_starts_again_at_zero() {
        let o = observed(
            Source::Statusline,
            "2026-07-02T20:00:00Z",
            97.0,
            "2026-07-02T21:00:00Z",
        );
        let s = merge(&[o], vec![], utc("2026-07-02T21:00:00Z"))
            .session
            .unwrap();
        assert_eq!((s.used_percent, s.resets_at), (0.0, None));
    }
}
