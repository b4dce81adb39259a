//! Plan limits as Claude Code models them: the 5-hour session window, the weekly window, weekly
//! caps by the client's names (`seven_day_opus`, `seven_day_sonnet`, any other `seven_day_*`
//! key, `limits[]` / `model_scoped` entries by display name), a spend limit per period
//! (`spend_limit`, in USD when given) and the usage credit limit (`overage`), merged from the
//! sources that report them (Claude Code's status line feed, the OAuth usage endpoint, Claude
//! Code's own usage answer, local evidence), each figure with where it came from and how old it
//! is; and how reset times read in the user's zone and clock.

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

/// A spend limit as a source reports it (`rate_limits.spend_limit`): the percent used of a cap
/// over a period (`monthly`, ...), and the amounts in USD when the cap is in USD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendReading {
    #[serde(flatten)]
    pub reading: Reading,
    #[serde(default)]
    pub used_usd: Option<f64>,
    #[serde(default)]
    pub limit_usd: Option<f64>,
    /// As the client names it (`monthly`); `None` when it does not say.
    #[serde(default)]
    pub period: Option<String>,
}

/// What one source said, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    pub source: Source,
    pub as_of: DateTime<Utc>,
    pub session: Option<Reading>,
    pub weekly: Option<Reading>,
    /// Weekly caps by name: a model's (`Opus`, `Sonnet`, a display name) or any other
    /// `seven_day_*` key's (`seven_day_overage_included` is `Fable`, as Claude Code names it).
    #[serde(default)]
    pub models: Vec<ModelReading>,
    #[serde(default)]
    pub extra_usage: Option<ExtraUsage>,
    /// The spend limit (`spend_limit`); boxed, as most sources report none.
    #[serde(default)]
    pub spend: Option<Box<SpendReading>>,
    /// The usage credit limit (`overage`).
    #[serde(default)]
    pub credits: Option<Reading>,
}

impl Observed {
    /// What `source` said at `as_of`, with nothing in it yet.
    pub fn empty(source: Source, as_of: DateTime<Utc>) -> Observed {
        Observed {
            source,
            as_of,
            session: None,
            weekly: None,
            models: Vec::new(),
            extra_usage: None,
            spend: None,
            credits: None,
        }
    }

    /// Whether it holds any window at all.
    pub fn has_windows(&self) -> bool {
        self.session.is_some()
            || self.weekly.is_some()
            || !self.models.is_empty()
            || self.spend.is_some()
            || self.credits.is_some()
    }

    /// Take in a window by the name Claude Code gives it (`five_hour`, `seven_day`,
    /// `seven_day_opus`, any `seven_day_*`, `overage`); other names are left out. A weekly cap
    /// already there by the same name is kept.
    pub fn set_named(&mut self, name: &str, reading: Reading) -> bool {
        match WindowId::from_client(name) {
            Some(WindowId::Session) => self.session = Some(reading),
            Some(WindowId::Weekly) => self.weekly = Some(reading),
            Some(WindowId::Model(m)) => {
                if !self.models.iter().any(|x| x.model == m) {
                    self.models.push(ModelReading { model: m, reading });
                }
            }
            Some(WindowId::Credits) => self.credits = Some(reading),
            Some(WindowId::Spend(_)) | None => return false,
        }
        true
    }
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

/// The spend limit as shown: the window, and the amounts in USD when the cap is in USD.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpendWindow {
    #[serde(flatten)]
    pub window: Window,
    pub used_usd: Option<f64>,
    pub limit_usd: Option<f64>,
    pub period: Option<String>,
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
    /// The spend limit per period (`spend_limit`).
    pub spend: Option<SpendWindow>,
    /// The usage credit limit (`overage`).
    pub credits: Option<Window>,
    pub extra_usage: Option<ExtraUsage>,
    /// When the session window fills at the current pace.
    pub projection: Option<Projection>,
    /// When each window fills at the pace of its readings (`forecast::forecasts`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forecasts: Vec<Forecast>,
    /// Why a source could not be read (each names the source and what to do).
    pub errors: Vec<String>,
}

/// When a window fills at the current pace: `None` when not before it resets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    pub window: WindowId,
    pub full_at: Option<DateTime<Utc>>,
    pub percent_per_hour: f64,
    pub basis: PaceBasis,
}

/// Which window: the 5-hour session, the week, a weekly cap by name (a model's, or another
/// `seven_day_*` key's), the spend limit of a period, or the usage credit limit. In keys and
/// JSON it is written `session`, `weekly`, `model:<name>`, `spend` / `spend:<period>`,
/// `credits`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WindowId {
    Session,
    Weekly,
    Model(String),
    /// The spend limit, by its period (`monthly`) when the source names one.
    Spend(Option<String>),
    /// The usage credit limit (Claude Code's `overage`).
    Credits,
}

/// Weekly caps Claude Code names differently from their key (its own table).
const CLIENT_NAMES: [(&str, &str); 3] = [
    ("seven_day_opus", "Opus"),
    ("seven_day_sonnet", "Sonnet"),
    ("seven_day_overage_included", "Fable"),
];

impl WindowId {
    /// The window a name of Claude Code's means (`rate_limits` keys, the usage endpoint's keys,
    /// `rateLimitType`): `five_hour`, `seven_day`, `seven_day_<x>` (a weekly cap named as the
    /// client names it, else after `<x>`: `seven_day_oauth_apps` is `Oauth Apps`),
    /// `spend_limit`, `overage`. `None` for a name it does not know.
    pub fn from_client(name: &str) -> Option<Self> {
        match name {
            "five_hour" => Some(Self::Session),
            "seven_day" => Some(Self::Weekly),
            "overage" => Some(Self::Credits),
            "spend_limit" | "spend" => Some(Self::Spend(None)),
            _ => {
                if let Some((_, n)) = CLIENT_NAMES.iter().find(|(k, _)| *k == name) {
                    return Some(Self::Model((*n).to_string()));
                }
                let rest = name.strip_prefix("seven_day_")?;
                let words: Vec<String> = rest
                    .split('_')
                    .filter(|w| !w.is_empty())
                    .map(|w| {
                        let mut c = w.chars();
                        c.next().map_or(String::new(), |f| {
                            f.to_uppercase().collect::<String>() + c.as_str()
                        })
                    })
                    .collect();
                (!words.is_empty()).then(|| Self::Model(words.join(" ")))
            }
        }
    }

    /// `session`, `weekly`, `model:Opus`, `spend:monthly`, `credits`.
    pub fn key(&self) -> String {
        match self {
            Self::Session => "session".into(),
            Self::Weekly => "weekly".into(),
            Self::Model(m) => format!("model:{m}"),
            Self::Spend(None) => "spend".into(),
            Self::Spend(Some(p)) => format!("spend:{p}"),
            Self::Credits => "credits".into(),
        }
    }

    /// The inverse of [`WindowId::key`].
    pub fn from_key(key: &str) -> Self {
        match key {
            "session" => Self::Session,
            "weekly" => Self::Weekly,
            "spend" => Self::Spend(None),
            "credits" => Self::Credits,
            other => match other.strip_prefix("spend:") {
                Some(p) => Self::Spend(Some(p.to_string())),
                None => Self::Model(other.strip_prefix("model:").unwrap_or(other).to_string()),
            },
        }
    }

    /// `Session (5h)`, `Weekly`, `Weekly Opus`, `Spend (monthly)`, `Usage credits`.
    pub fn label(&self) -> String {
        match self {
            Self::Session => "Session (5h)".into(),
            Self::Weekly => "Weekly".into(),
            Self::Model(m) => format!("Weekly {m}"),
            Self::Spend(None) => "Spend".into(),
            Self::Spend(Some(p)) => format!("Spend ({p})"),
            Self::Credits => "Usage credits".into(),
        }
    }

    /// `Session limit`, `Weekly limit`, `Weekly Opus limit`, `Monthly spend limit`,
    /// `Usage credit limit`.
    pub fn limit_title(&self) -> String {
        match self {
            Self::Session => "Session limit".into(),
            Self::Weekly => "Weekly limit".into(),
            Self::Model(m) => format!("Weekly {m} limit"),
            Self::Spend(None) => "Spend limit".into(),
            Self::Spend(Some(p)) => {
                let mut c = p.chars();
                let p = c.next().map_or(String::new(), |f| {
                    f.to_uppercase().collect::<String>() + c.as_str()
                });
                format!("{p} spend limit")
            }
            Self::Credits => "Usage credit limit".into(),
        }
    }

    /// The few letters Claude Code's status line has room for: `5h`, `wk`, `Opus`, `spend`,
    /// `credits`.
    pub fn short(&self) -> String {
        match self {
            Self::Session => "5h".into(),
            Self::Weekly => "wk".into(),
            Self::Model(m) => m.clone(),
            Self::Spend(_) => "spend".into(),
            Self::Credits => "credits".into(),
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

    /// Every window known: the session first, then the week, the weekly caps by name, the
    /// spend limit, the usage credits.
    pub fn windows(&self) -> Vec<(WindowId, &Window)> {
        let mut out = Vec::new();
        out.extend(self.session.as_ref().map(|w| (WindowId::Session, w)));
        out.extend(self.weekly.as_ref().map(|w| (WindowId::Weekly, w)));
        out.extend(
            self.models
                .iter()
                .map(|m| (WindowId::Model(m.model.clone()), &m.window)),
        );
        out.extend(
            self.spend
                .as_ref()
                .map(|s| (WindowId::Spend(s.period.clone()), &s.window)),
        );
        out.extend(self.credits.as_ref().map(|w| (WindowId::Credits, w)));
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
    let spend = by_freshness.iter().find_map(|o| {
        let s = o.spend.as_ref()?;
        let w = window(&s.reading, o.source, o.as_of, now);
        // A window past its reset has spent nothing of the next one yet.
        let reset = w.resets_at.is_none() && s.reading.resets_at.is_some();
        Some(SpendWindow {
            window: w,
            used_usd: s.used_usd.map(|u| if reset { 0.0 } else { u }),
            limit_usd: s.limit_usd,
            period: s.period.clone(),
        })
    });
    Limits {
        session: pick(&|o| o.session),
        weekly: pick(&|o| o.weekly),
        models,
        spend,
        credits: pick(&|o| o.credits),
        extra_usage: by_freshness.iter().find_map(|o| o.extra_usage.clone()),
        projection: None,
        forecasts: Vec::new(),
        errors,
    }
}

pub mod history;
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

    #[test]
    fn client_names_map_to_windows_and_keys_round_trip() {
        let cases = [
            ("five_hour", WindowId::Session, "session", "Session (5h)"),
            ("seven_day", WindowId::Weekly, "weekly", "Weekly"),
            (
                "seven_day_opus",
                WindowId::Model("Opus".into()),
                "model:Opus",
                "Weekly Opus",
            ),
            (
                "seven_day_overage_included",
                WindowId::Model("Fable".into()),
                "model:Fable",
                "Weekly Fable",
            ),
            (
                "seven_day_oauth_apps",
                WindowId::Model("Oauth Apps".into()),
                "model:Oauth Apps",
                "Weekly Oauth Apps",
            ),
            ("overage", WindowId::Credits, "credits", "Usage credits"),
            ("spend_limit", WindowId::Spend(None), "spend", "Spend"),
        ];
        for (name, id, key, label) in cases {
            assert_eq!(WindowId::from_client(name).as_ref(), Some(&id), "{name}");
            assert_eq!((id.key().as_str(), id.label().as_str()), (key, label));
            assert_eq!(WindowId::from_key(key), id);
        }
        for unknown in ["seven_day_", "tokens", ""] {
            assert_eq!(WindowId::from_client(unknown), None, "{unknown}");
        }
        let monthly = WindowId::Spend(Some("monthly".into()));
        assert_eq!(monthly.key(), "spend:monthly");
        assert_eq!(WindowId::from_key("spend:monthly"), monthly);
        assert_eq!(monthly.limit_title(), "Monthly spend limit");
        assert_eq!(WindowId::Credits.limit_title(), "Usage credit limit");
    }

    #[test]
    fn the_spend_limit_and_named_caps_merge_like_the_other_windows() {
        let now = utc("2026-12-10T12:00:00Z");
        let spend = |used: f64, used_usd: f64, resets: &str| SpendReading {
            reading: Reading {
                used_percent: used,
                resets_at: Some(utc(resets)),
            },
            used_usd: Some(used_usd),
            limit_usd: Some(50.0),
            period: Some("monthly".into()),
        };
        let mut older = Observed::empty(Source::Oauth, utc("2026-12-10T11:00:00Z"));
        older.spend = Some(Box::new(spend(40.0, 20.0, "2027-01-01T00:00:00Z")));
        assert!(older.set_named(
            "seven_day_overage_included",
            Reading {
                used_percent: 30.0,
                resets_at: None
            }
        ));
        assert!(!older.set_named(
            "tokens",
            Reading {
                used_percent: 1.0,
                resets_at: None
            }
        ));
        let mut newer = Observed::empty(Source::Statusline, utc("2026-12-10T11:55:00Z"));
        newer.spend = Some(Box::new(spend(85.0, 42.5, "2027-01-01T00:00:00Z")));
        newer.credits = Some(Reading {
            used_percent: 12.0,
            resets_at: None,
        });
        let l = merge(&[older.clone(), newer], vec![], now);
        let s = l.spend.as_ref().unwrap();
        assert_eq!(
            (
                s.window.used_percent,
                s.window.source,
                s.used_usd,
                s.limit_usd
            ),
            (85.0, Source::Statusline, Some(42.5), Some(50.0))
        );
        let ids: Vec<String> = l.windows().iter().map(|(id, _)| id.key()).collect();
        assert_eq!(ids, ["model:Fable", "spend:monthly", "credits"]);
        // Past its reset a spend window starts again: nothing spent of the next period.
        let l = merge(&[older], vec![], utc("2027-01-01T00:00:01Z"));
        let s = l.spend.unwrap();
        assert_eq!(
            (s.window.used_percent, s.window.resets_at, s.used_usd),
            (0.0, None, Some(0.0))
        );
    }
}
