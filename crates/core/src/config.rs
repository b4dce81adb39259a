//! Settings: the raw file shape (as written by people), and the validated config the rest of the
//! program uses. Reading the file and the environment is the shells' job; they hand the raw
//! values in here.

use std::time::Duration;

use serde::Deserialize;

use crate::alert::Kind;
use crate::backoff::PollPolicy;
use crate::policy::{Policy, QuietHours};
use crate::relevance::Relevance;

mod keys;

pub use keys::defaults;

pub const DEFAULT_STATUS_URL: &str = "https://status.claude.com";
/// `notifications.forecast_margin_minutes` when it is left out.
pub const DEFAULT_FORECAST_MARGIN_MINUTES: i64 = 15;
/// How an error in the `CCPULSE_STATUS_URL` override is named.
pub const STATUS_URL_ENV: &str = "CCPULSE_STATUS_URL";

/// The config file as written. Unknown keys are refused so a typo is reported, not ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub status: RawStatus,
    #[serde(default)]
    pub notifications: RawNotifications,
    #[serde(default)]
    pub overload: RawOverload,
    #[serde(default)]
    pub display: RawDisplay,
    #[serde(default)]
    pub limits: RawLimits,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    /// Ask Claude Code (`get_usage`, its own login) when the status line is quiet.
    pub claude_code: Option<bool>,
    /// The `claude` executable to ask; default: the one on `PATH`.
    pub claude_path: Option<String>,
}

/// How times are written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDisplay {
    /// `"auto"` (the locale's convention), `"12h"` or `"24h"`.
    pub clock: Option<String>,
}

/// When a 529 wave starts and ends.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverload {
    pub start_retries: Option<usize>,
    pub start_failures: Option<usize>,
    pub window_secs: Option<i64>,
    pub quiet_secs: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStatus {
    pub url: Option<String>,
    pub poll_secs: Option<u64>,
    pub components: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotifications {
    pub enabled: Option<bool>,
    pub limit_thresholds: Option<Vec<u8>>,
    /// Per-kind switches (see `policy::Kind::config_name`).
    pub incidents: Option<bool>,
    pub components: Option<bool>,
    pub maintenance: Option<bool>,
    pub overload: Option<bool>,
    pub limits: Option<bool>,
    /// The forecast notice: a window that fills before its reset at the current pace.
    pub forecast: Option<bool>,
    /// How long before the reset a window must fill for the forecast to be announced.
    pub forecast_margin_minutes: Option<i64>,
    /// `"22:00-07:00"`, local time.
    pub quiet_hours: Option<String>,
    pub repeat_minutes: Option<i64>,
    pub group_secs: Option<i64>,
}

/// Values from the environment, which win over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub status_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub status: StatusConfig,
    /// When and how notifications are shown.
    pub notifications: crate::policy::Policy,
    /// Plan-limit percents to announce, ascending.
    pub limit_thresholds: Vec<u8>,
    /// A window that fills at least this long before its reset is announced (the forecast).
    pub forecast_margin: chrono::Duration,
    pub overload: crate::overload::WaveRules,
    /// The 12- or 24-hour clock, or the locale's (`sources::clock` turns it into a `Clock`).
    pub clock: ClockSetting,
    pub claude_usage: ClaudeUsage,
}

/// `limits.claude_code` (on by default: off is `disabled`) and `limits.claude_path`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaudeUsage {
    pub disabled: bool,
    pub path: Option<String>,
}

/// `display.clock`: which clock convention times are written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClockSetting {
    /// The locale's convention (`Clock::from_locale`).
    #[default]
    Auto,
    H12,
    H24,
}

impl ClockSetting {
    /// The word the file uses for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::H12 => "12h",
            Self::H24 => "24h",
        }
    }

    fn parse(word: &str) -> Result<Self, ConfigError> {
        [Self::Auto, Self::H12, Self::H24]
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(word.trim()))
            .ok_or_else(|| ConfigError {
                key: "display.clock",
                message: format!(
                    "{word:?} is not a clock: use \"auto\" (your locale's), \"12h\" or \"24h\""
                ),
            })
    }
}

impl Config {
    /// A window at or above this percent is near its limit: the lowest threshold announced
    /// (80 when none is).
    pub fn near_limit_percent(&self) -> f64 {
        self.limit_thresholds
            .first()
            .map_or(80.0, |t| f64::from(*t))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusConfig {
    /// Page base URL without a trailing slash; the API lives under `<base>/api/v2/`.
    pub base_url: String,
    pub policy: PollPolicy,
    pub relevance: Relevance,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            status: StatusConfig {
                base_url: DEFAULT_STATUS_URL.to_string(),
                policy: PollPolicy::default(),
                relevance: Relevance::default(),
            },
            notifications: crate::policy::Policy::default(),
            limit_thresholds: crate::plan::limits::DEFAULT_THRESHOLDS.to_vec(),
            forecast_margin: chrono::Duration::minutes(DEFAULT_FORECAST_MARGIN_MINUTES),
            overload: crate::overload::WaveRules::default(),
            clock: ClockSetting::Auto,
            claude_usage: ClaudeUsage::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub key: &'static str,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub fn resolve(raw: RawConfig, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        // The file is checked even when the environment overrides it: a bad file is reported.
        if let Some(url) = raw.status.url {
            config.status.base_url = base_url("status.url", &url)?;
        }
        if let Some(url) = &overrides.status_url {
            config.status.base_url = base_url(STATUS_URL_ENV, url)?;
        }
        if let Some(secs) = raw.status.poll_secs {
            if !(1..=3600).contains(&secs) {
                return Err(ConfigError {
                    key: "status.poll_secs",
                    message: format!("{secs} is out of range: use 1 to 3600 seconds"),
                });
            }
            config.status.policy.interval = Duration::from_secs(secs);
        }
        if let Some(components) = raw.status.components {
            config.status.relevance = relevance(components)?;
        }
        config.notifications = policy(&raw.notifications)?;
        if let Some(mut thresholds) = raw.notifications.limit_thresholds {
            if let Some(bad) = thresholds.iter().find(|t| !(1..=99).contains(*t)) {
                return Err(ConfigError {
                    key: "notifications.limit_thresholds",
                    message: format!(
                        "{bad} is out of range: use percents from 1 to 99 (a limit hit is always \
                         announced)"
                    ),
                });
            }
            thresholds.sort_unstable();
            thresholds.dedup();
            config.limit_thresholds = thresholds;
        }
        if let Some(m) = raw.notifications.forecast_margin_minutes {
            if !(0..=300).contains(&m) {
                return Err(ConfigError {
                    key: "notifications.forecast_margin_minutes",
                    message: format!("{m} is out of range: use 0 to 300 minutes"),
                });
            }
            config.forecast_margin = chrono::Duration::minutes(m);
        }
        let o = raw.overload;
        let count = |key: &'static str, v: Option<usize>, default: usize| match v {
            Some(n) if !(1..=1000).contains(&n) => Err(ConfigError {
                key,
                message: format!("{n} is out of range: use 1 to 1000"),
            }),
            v => Ok(v.unwrap_or(default)),
        };
        let secs = |key: &'static str, v: Option<i64>, default: chrono::Duration| match v {
            Some(n) if !(1..=86_400).contains(&n) => Err(ConfigError {
                key,
                message: format!("{n} is out of range: use 1 to 86400 seconds"),
            }),
            Some(n) => Ok(chrono::Duration::seconds(n)),
            None => Ok(default),
        };
        let d = crate::overload::WaveRules::default();
        config.overload = crate::overload::WaveRules {
            start_retries: count("overload.start_retries", o.start_retries, d.start_retries)?,
            start_failures: count(
                "overload.start_failures",
                o.start_failures,
                d.start_failures,
            )?,
            window: secs("overload.window_secs", o.window_secs, d.window)?,
            quiet: secs("overload.quiet_secs", o.quiet_secs, d.quiet)?,
        };
        if let Some(clock) = &raw.display.clock {
            config.clock = ClockSetting::parse(clock)?;
        }
        if let Some(on) = raw.limits.claude_code {
            config.claude_usage.disabled = !on;
        }
        if let Some(path) = raw.limits.claude_path {
            if !std::path::Path::new(&path).is_absolute() {
                let message = format!("{path:?} is not an absolute path (leave it out: PATH's)");
                return Err(ConfigError {
                    key: "limits.claude_path",
                    message,
                });
            }
            config.claude_usage.path = Some(path);
        }
        Ok(config)
    }
}

fn policy(raw: &RawNotifications) -> Result<Policy, ConfigError> {
    let mut p = Policy::default();
    if let Some(enabled) = raw.enabled {
        p.enabled = enabled;
    }
    let switches = [
        (Kind::Incident, raw.incidents),
        (Kind::Component, raw.components),
        (Kind::Maintenance, raw.maintenance),
        (Kind::Overload, raw.overload),
        (Kind::Limit, raw.limits),
        (Kind::Forecast, raw.forecast),
    ];
    p.muted = switches
        .into_iter()
        .filter(|(_, on)| *on == Some(false))
        .map(|(k, _)| k)
        .collect();
    if let Some(q) = &raw.quiet_hours {
        p.quiet_hours = Some(QuietHours::parse(q).map_err(|message| ConfigError {
            key: "notifications.quiet_hours",
            message,
        })?);
    }
    if let Some(m) = raw.repeat_minutes {
        if !(0..=1440).contains(&m) {
            return Err(ConfigError {
                key: "notifications.repeat_minutes",
                message: format!("{m} is out of range: use 0 to 1440 minutes"),
            });
        }
        p.repeat = chrono::Duration::minutes(m);
    }
    if let Some(secs) = raw.group_secs {
        if !(0..=3600).contains(&secs) {
            return Err(ConfigError {
                key: "notifications.group_secs",
                message: format!("{secs} is out of range: use 0 to 3600 seconds"),
            });
        }
        p.group = chrono::Duration::seconds(secs);
    }
    Ok(p)
}

fn base_url(key: &'static str, url: &str) -> Result<String, ConfigError> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(trimmed.to_string())
        }
        _ => Err(ConfigError {
            key,
            message: format!("{url:?} is not an http(s) URL such as {DEFAULT_STATUS_URL}"),
        }),
    }
}

fn relevance(components: Vec<String>) -> Result<Relevance, ConfigError> {
    let components: Vec<String> = components
        .into_iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    if components.is_empty() {
        return Err(ConfigError {
            key: "status.components",
            message: "is empty: list component ids or names, or [\"all\"]".to_string(),
        });
    }
    if components.iter().any(|c| c.eq_ignore_ascii_case("all")) {
        return Ok(Relevance::All);
    }
    Ok(Relevance::Components(components))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(url: Option<&str>, poll: Option<u64>, components: Option<&[&str]>) -> RawConfig {
        RawConfig {
            status: RawStatus {
                url: url.map(Into::into),
                poll_secs: poll,
                components: components.map(|c| c.iter().map(|s| s.to_string()).collect()),
            },
            notifications: RawNotifications::default(),
            overload: RawOverload::default(),
            display: RawDisplay::default(),
            limits: RawLimits::default(),
        }
    }

    #[test]
    fn defaults() {
        let c = Config::resolve(RawConfig::default(), &Overrides::default()).unwrap();
        assert_eq!(c.status.base_url, "https://status.claude.com");
        assert_eq!(c.status.policy.interval, Duration::from_secs(60));
        assert_eq!(c.status.relevance, Relevance::default());
        assert_eq!(c.notifications, Policy::default());
        assert_eq!(c.limit_thresholds, [80, 95]);
    }

    #[test]
    fn limit_thresholds_are_percents_put_in_order() {
        let with = |t: &[u8]| {
            let mut r = RawConfig::default();
            r.notifications.limit_thresholds = Some(t.to_vec());
            Config::resolve(r, &Overrides::default())
        };
        assert_eq!(with(&[90, 50, 90]).unwrap().limit_thresholds, [50, 90]);
        assert_eq!(with(&[]).unwrap().limit_thresholds, [] as [u8; 0]);
        let mut r = RawConfig::default();
        r.overload.quiet_secs = Some(0);
        assert_eq!(
            Config::resolve(r, &Overrides::default()).unwrap_err().key,
            "overload.quiet_secs"
        );
        let mut r = RawConfig::default();
        r.overload.start_retries = Some(3);
        r.overload.quiet_secs = Some(5);
        let c = Config::resolve(r, &Overrides::default()).unwrap();
        assert_eq!(c.overload.start_retries, 3);
        assert_eq!(c.overload.quiet, chrono::Duration::seconds(5));
        assert_eq!(c.overload.window, chrono::Duration::minutes(10));
        for bad in [[0u8], [100]] {
            let e = with(&bad).unwrap_err();
            assert_eq!(e.key, "notifications.limit_thresholds");
            assert!(e.message.contains("1 to 99"), "{e}");
        }
    }

    #[test]
    fn notification_switches_quiet_hours_and_intervals() {
        let mut r = RawConfig::default();
        r.notifications.components = Some(false);
        r.notifications.limits = Some(true);
        r.notifications.quiet_hours = Some("22:30-07:00".into());
        r.notifications.repeat_minutes = Some(5);
        r.notifications.group_secs = Some(0);
        let p = Config::resolve(r, &Overrides::default())
            .unwrap()
            .notifications;
        assert_eq!(p.muted, [Kind::Component]);
        let q = p.quiet_hours.unwrap();
        assert_eq!(q.start, chrono::NaiveTime::from_hms_opt(22, 30, 0).unwrap());
        assert_eq!(p.repeat, chrono::Duration::minutes(5));
        assert_eq!(p.group, chrono::Duration::zero());
        for (bad, key) in [
            ("22:00", "notifications.quiet_hours"),
            ("25:00-07:00", "notifications.quiet_hours"),
            ("07:00-07:00", "notifications.quiet_hours"),
        ] {
            let mut r = RawConfig::default();
            r.notifications.quiet_hours = Some(bad.into());
            let e = Config::resolve(r, &Overrides::default()).unwrap_err();
            assert_eq!(e.key, key, "{bad}");
        }
        let mut r = RawConfig::default();
        r.notifications.group_secs = Some(-1);
        let e = Config::resolve(r, &Overrides::default()).unwrap_err();
        assert_eq!(e.key, "notifications.group_secs");
        // The forecast: a switch of its own, and its margin in minutes.
        let mut r = RawConfig::default();
        r.notifications.forecast = Some(false);
        r.notifications.forecast_margin_minutes = Some(40);
        let c = Config::resolve(r, &Overrides::default()).unwrap();
        assert_eq!(c.notifications.muted, [Kind::Forecast]);
        assert_eq!(c.forecast_margin, chrono::Duration::minutes(40));
        assert_eq!(
            Config::default().forecast_margin,
            chrono::Duration::minutes(15)
        );
        let mut r = RawConfig::default();
        r.notifications.forecast_margin_minutes = Some(-5);
        let e = Config::resolve(r, &Overrides::default()).unwrap_err();
        assert_eq!(e.key, "notifications.forecast_margin_minutes");
    }

    #[test]
    fn the_clock_is_auto_12h_or_24h() {
        let with = |word: &str| {
            let mut r = RawConfig::default();
            r.display.clock = Some(word.into());
            Config::resolve(r, &Overrides::default())
        };
        assert_eq!(Config::default().clock, ClockSetting::Auto);
        assert_eq!(with("auto").unwrap().clock, ClockSetting::Auto);
        assert_eq!(with("12h").unwrap().clock, ClockSetting::H12);
        assert_eq!(with(" 24H ").unwrap().clock, ClockSetting::H24);
        let e = with("25h").unwrap_err();
        assert_eq!(e.key, "display.clock");
        assert!(e.message.contains(r#""12h" or "24h""#), "{e}");
    }

    #[test]
    fn environment_wins_over_file() {
        let o = Overrides {
            status_url: Some("http://127.0.0.1:9/".into()),
        };
        let c = Config::resolve(raw(Some("https://example.com"), None, None), &o).unwrap();
        assert_eq!(c.status.base_url, "http://127.0.0.1:9");
    }

    #[test]
    fn bad_values_name_their_key() {
        let o = Overrides::default();
        let cases = [
            (raw(Some("ftp://x"), None, None), "status.url"),
            (raw(Some("https://"), None, None), "status.url"),
            (raw(None, Some(0), None), "status.poll_secs"),
            (raw(None, Some(7200), None), "status.poll_secs"),
            (raw(None, None, Some(&[" "])), "status.components"),
        ];
        let env = Overrides {
            status_url: Some("127.0.0.1:9".into()),
        };
        assert_eq!(
            Config::resolve(raw(None, None, None), &env)
                .unwrap_err()
                .key,
            "CCPULSE_STATUS_URL"
        );
        let good_env = Overrides {
            status_url: Some("http://127.0.0.1:9".into()),
        };
        assert_eq!(
            Config::resolve(raw(Some("ftp://x"), None, None), &good_env)
                .unwrap_err()
                .key,
            "status.url",
            "a bad file is reported even when the environment overrides it"
        );
        for (r, key) in cases {
            assert_eq!(Config::resolve(r, &o).unwrap_err().key, key);
        }
    }

    #[test]
    fn components_all_or_list() {
        let o = Overrides::default();
        let all = Config::resolve(raw(None, None, Some(&["ALL"])), &o).unwrap();
        assert_eq!(all.status.relevance, Relevance::All);
        let some = Config::resolve(raw(None, None, Some(&["claude.ai"])), &o).unwrap();
        assert_eq!(
            some.status.relevance,
            Relevance::Components(vec!["claude.ai".into()])
        );
    }
}
