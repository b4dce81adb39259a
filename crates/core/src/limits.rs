//! Plan limits: the 5-hour session window, the weekly window and per-model weekly caps, merged
//! from the sources that report them (Claude Code's status line feed, the OAuth usage endpoint,
//! local evidence), each figure with where it came from and how old it is; and how reset times
//! read in the user's zone and clock.

use chrono::{DateTime, Duration, Timelike, Utc};

use crate::clock::{countdown, reset_label, Clock};
use crate::signals::{LimitHit, LimitKind};
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
    /// Local transcripts (limit-hit messages).
    Local,
}

impl Source {
    /// Which of two equally fresh figures wins: the status line comes from Claude Code itself.
    fn priority(self) -> u8 {
        match self {
            Source::Statusline => 0,
            Source::Oauth => 1,
            Source::Local => 2,
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

/// The length of the session window.
pub const SESSION: Duration = Duration::hours(5);
/// The pace of the last this long is "the current burn rate".
pub const PACE_OVER: Duration = Duration::minutes(30);
/// A session figure below this is too coarse (whole percents) to scale local spend by.
const MIN_CALIBRATION_PERCENT: f64 = 5.0;

/// What the local transcripts show: limit hits, and the cost in USD of each recent response
/// (the last [`SESSION`] and more), in any order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Local<'a> {
    pub hits: &'a [LimitHit],
    pub spend: &'a [(DateTime<Utc>, f64)],
}

impl Local<'_> {
    fn spent(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
        self.spend
            .iter()
            .filter(|(at, _)| *at > from && *at <= to)
            .map(|(_, cost)| cost)
            .sum()
    }
}

/// When the session window fills at the current pace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Projection {
    /// The moment it reaches 100%; `None`: not before it resets.
    pub full_at: Option<DateTime<Utc>>,
    pub percent_per_hour: f64,
    pub basis: PaceBasis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaceBasis {
    /// Local spend of the last 30 minutes, in percent as the window's figure scales it.
    LocalSpend,
    /// The window's average since it began (no local spend to scale).
    WindowAverage,
}

/// One observation per limit hit: the window it names is full until its reset.
fn hit_observations(hits: &[LimitHit]) -> Vec<Observed> {
    hits.iter()
        .filter_map(|h| {
            let full = Reading {
                used_percent: 100.0,
                resets_at: h.resets_at,
            };
            let mut o = Observed {
                source: Source::Local,
                as_of: h.at,
                session: None,
                weekly: None,
                models: Vec::new(),
                extra_usage: None,
            };
            // The old message form names no window: a reset within 5 hours is the session's.
            let session_like = |at: Option<DateTime<Utc>>| at.is_some_and(|r| r - h.at <= SESSION);
            match &h.kind {
                LimitKind::Session => o.session = Some(full),
                LimitKind::Unspecified if session_like(h.resets_at) => o.session = Some(full),
                LimitKind::Weekly | LimitKind::Unspecified => o.weekly = Some(full),
                LimitKind::Opus => o.models.push(model_full("Opus", full)),
                LimitKind::Sonnet => o.models.push(model_full("Sonnet", full)),
                LimitKind::Other(_) => return None,
            }
            Some(o)
        })
        .collect()
}

fn model_full(model: &str, reading: Reading) -> ModelReading {
    ModelReading {
        model: model.to_string(),
        reading,
    }
}

/// Percent of the session window per USD of local spend, from the latest session figure a
/// source reported: its percent over the local spend of its window up to then.
fn calibration<'o>(
    observed: &'o [Observed],
    local: &Local,
) -> Option<(f64, &'o Observed, DateTime<Utc>)> {
    let (o, r) = observed
        .iter()
        .filter(|o| o.source != Source::Local)
        .filter_map(|o| o.session.map(|r| (o, r)))
        .max_by_key(|(o, _)| o.as_of)?;
    let resets = r.resets_at?;
    let spent = local.spent(resets - SESSION, o.as_of);
    (r.used_percent >= MIN_CALIBRATION_PERCENT && spent > 0.0)
        .then(|| (r.used_percent / spent, o, resets))
}

/// The session window now, estimated from local spend: the latest figure plus what was spent
/// since, scaled; or, once that window has reset, the spend of the window that began with the
/// first response after it (at the start of its hour, as Claude's windows begin).
fn estimate(
    (per_usd, o, mut resets): (f64, &Observed, DateTime<Utc>),
    local: &Local,
    now: DateTime<Utc>,
) -> Option<Observed> {
    let mut base = (o.as_of, o.session?.used_percent);
    while resets <= now {
        let first = local
            .spend
            .iter()
            .map(|(at, _)| *at)
            .filter(|at| *at >= resets && *at <= now)
            .min()?;
        let start = first
            .with_minute(0)
            .and_then(|t| t.with_second(0))
            .and_then(|t| t.with_nanosecond(0))?;
        resets = start + SESSION;
        base = (start, 0.0);
    }
    let last = local
        .spend
        .iter()
        .map(|(at, _)| *at)
        .filter(|at| *at > base.0 && *at <= now)
        .max()?;
    Some(Observed {
        source: Source::Local,
        as_of: last,
        session: Some(Reading {
            used_percent: base.1 + per_usd * local.spent(base.0, now),
            resets_at: Some(resets),
        }),
        weekly: None,
        models: Vec::new(),
        extra_usage: None,
    })
}

/// When `session` fills: at the local pace of the last [`PACE_OVER`] when local spend can be
/// scaled to percent (`per_usd`), else at the window's average pace so far.
fn project(
    session: &Window,
    per_usd: Option<f64>,
    local: &Local,
    now: DateTime<Utc>,
) -> Option<Projection> {
    let resets = session.resets_at.filter(|r| *r > now)?;
    if session.used_percent >= 100.0 {
        return Some(Projection {
            full_at: Some(session.as_of.min(now)),
            percent_per_hour: 0.0,
            basis: PaceBasis::WindowAverage,
        });
    }
    let hours = |d: Duration| d.num_seconds() as f64 / 3600.0;
    let (pace, basis, from) = match per_usd {
        Some(per_usd) => (
            per_usd * local.spent(now - PACE_OVER, now) / hours(PACE_OVER),
            PaceBasis::LocalSpend,
            now,
        ),
        None => {
            let elapsed = hours(session.as_of - (resets - SESSION));
            if elapsed < 5.0 / 60.0 {
                return None;
            }
            (
                session.used_percent / elapsed,
                PaceBasis::WindowAverage,
                session.as_of,
            )
        }
    };
    let full_at = (pace > 0.0)
        .then(|| {
            let secs = (100.0 - session.used_percent) / pace * 3600.0;
            from + Duration::seconds(secs.min(1e9) as i64)
        })
        .filter(|at| *at < resets);
    Some(Projection {
        full_at,
        percent_per_hour: pace,
        basis,
    })
}

/// [`merge`], with the local evidence: limit hits, and the session window estimated from local
/// spend; then the projection.
pub fn merge_with_local(
    observed: &[Observed],
    local: Local,
    errors: Vec<String>,
    now: DateTime<Utc>,
) -> Limits {
    let scale = calibration(observed, &local);
    let mut all = observed.to_vec();
    all.extend(hit_observations(local.hits));
    all.extend(scale.and_then(|c| estimate(c, &local, now)));
    let mut limits = merge(&all, errors, now);
    limits.projection = limits
        .session
        .as_ref()
        .and_then(|s| project(s, scale.map(|(per_usd, ..)| per_usd), &local, now));
    limits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn observed(source: Source, as_of: &str, used: f64, resets: &str) -> Observed {
        Observed {
            source,
            as_of: utc(as_of),
            session: Some(Reading {
                used_percent: used,
                resets_at: Some(utc(resets)),
            }),
            weekly: None,
            models: vec![],
            extra_usage: None,
        }
    }

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

    /// Reset labels around the DST changes of two zones, and across midnight, in both clocks.
    fn statusline_at(as_of: &str, used: f64, resets: &str) -> Observed {
        observed(Source::Statusline, as_of, used, resets)
    }

    #[test]
    fn a_limit_hit_fills_its_window_until_the_reset() {
        let hit = |kind, at: &str, resets: &str| LimitHit {
            at: utc(at),
            kind,
            resets_at: Some(utc(resets)),
            session_id: None,
        };
        let hits = [
            hit(
                LimitKind::Session,
                "2026-11-25T10:00:00Z",
                "2026-11-25T12:00:00Z",
            ),
            hit(
                LimitKind::Opus,
                "2026-11-24T10:00:00Z",
                "2026-11-28T00:00:00Z",
            ),
            // The old form names no window; a reset 3 days on is the weekly one.
            hit(
                LimitKind::Unspecified,
                "2026-11-24T09:00:00Z",
                "2026-11-27T00:00:00Z",
            ),
        ];
        let older = statusline_at("2026-11-25T09:00:00Z", 70.0, "2026-11-25T12:00:00Z");
        let local = Local {
            hits: &hits,
            spend: &[],
        };
        let l = merge_with_local(&[older], local, vec![], utc("2026-11-25T11:00:00Z"));
        let session = l.session.unwrap();
        assert_eq!(
            (session.used_percent, session.source),
            (100.0, Source::Local)
        );
        assert_eq!(session.resets_at, Some(utc("2026-11-25T12:00:00Z")));
        assert_eq!(l.weekly.unwrap().used_percent, 100.0);
        assert_eq!(l.models[0].model, "Opus");
        // Past its reset the window is open again.
        let l = merge_with_local(&[], local, vec![], utc("2026-11-25T12:00:01Z"));
        assert_eq!(l.session.unwrap().used_percent, 0.0);
    }

    #[test]
    fn local_spend_carries_the_last_figure_forward_and_projects() {
        // 20% at 10:00 after $2 spent locally in the window (08:00 to 13:00): 10% per USD.
        let figure = statusline_at("2026-11-25T10:00:00Z", 20.0, "2026-11-25T13:00:00Z");
        let mut spend = vec![
            (utc("2026-11-25T07:30:00Z"), 50.0), // before the window: not counted
            (utc("2026-11-25T09:00:00Z"), 1.0),
            (utc("2026-11-25T09:30:00Z"), 1.0),
            (utc("2026-11-25T10:20:00Z"), 1.0),
        ];
        let now = utc("2026-11-25T10:30:00Z");
        let l = merge_with_local(
            std::slice::from_ref(&figure),
            Local {
                hits: &[],
                spend: &spend,
            },
            vec![],
            now,
        );
        let s = l.session.unwrap();
        assert_eq!(
            (s.source, s.as_of),
            (Source::Local, utc("2026-11-25T10:20:00Z"))
        );
        assert!((s.used_percent - 30.0).abs() < 1e-9, "{}", s.used_percent);
        // $1 in the last 30 minutes is 20% an hour: 70% more takes past the reset.
        let p = l.projection.unwrap();
        assert_eq!((p.basis, p.full_at), (PaceBasis::LocalSpend, None));
        assert!((p.percent_per_hour - 20.0).abs() < 1e-9);

        // Spend $3 more: 60%, at 80% an hour, full half an hour from now.
        spend.push((utc("2026-11-25T10:25:00Z"), 3.0));
        let local = Local {
            hits: &[],
            spend: &spend,
        };
        let l = merge_with_local(std::slice::from_ref(&figure), local, vec![], now);
        assert!((l.session.unwrap().used_percent - 60.0).abs() < 1e-9);
        assert_eq!(
            l.projection.unwrap().full_at,
            Some(utc("2026-11-25T11:00:00Z"))
        );

        // After the reset, the window that began with the next response, at its hour.
        spend.push((utc("2026-11-25T13:40:00Z"), 1.0));
        let local = Local {
            hits: &[],
            spend: &spend,
        };
        let l = merge_with_local(
            std::slice::from_ref(&figure),
            local,
            vec![],
            utc("2026-11-25T14:10:00Z"),
        );
        let s = l.session.unwrap();
        assert!((s.used_percent - 10.0).abs() < 1e-9);
        assert_eq!(s.resets_at, Some(utc("2026-11-25T18:00:00Z")));

        // A fresher figure wins over the estimate.
        let newer = statusline_at("2026-11-25T10:29:00Z", 41.0, "2026-11-25T13:00:00Z");
        let l = merge_with_local(&[figure, newer], local, vec![], now);
        assert_eq!(l.session.unwrap().source, Source::Statusline);
    }

    #[test]
    fn without_local_spend_the_window_average_projects() {
        // 50% two hours into the window: 25% an hour, full at 12:00, before the 13:00 reset.
        let figure = statusline_at("2026-11-25T10:00:00Z", 50.0, "2026-11-25T13:00:00Z");
        let now = utc("2026-11-25T10:05:00Z");
        let l = merge_with_local(&[figure], Local::default(), vec![], now);
        let p = l.projection.unwrap();
        assert_eq!(p.basis, PaceBasis::WindowAverage);
        assert_eq!(p.full_at, Some(utc("2026-11-25T12:00:00Z")));
        // 10% in four hours will not fill before the reset.
        let slow = statusline_at("2026-11-25T12:00:00Z", 10.0, "2026-11-25T13:00:00Z");
        let l = merge_with_local(&[slow], Local::default(), vec![], now);
        assert_eq!(l.projection.unwrap().full_at, None);
        // A figure below 5% is too coarse to scale local spend: no estimate.
        let low = statusline_at("2026-11-25T10:00:00Z", 4.0, "2026-11-25T13:00:00Z");
        let spend = [
            (utc("2026-11-25T09:00:00Z"), 1.0),
            (utc("2026-11-25T10:01:00Z"), 1.0),
        ];
        let local = Local {
            hits: &[],
            spend: &spend,
        };
        let l = merge_with_local(&[low], local, vec![], now);
        assert_eq!(l.session.unwrap().source, Source::Statusline);
    }
}
