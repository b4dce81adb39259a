//! Claude Code's status line input: the JSON Claude Code writes on the stdin of its
//! `statusLine` command (DATA-SOURCES §2a), read leniently (any field may be missing or of an
//! unexpected type), and the feed ccpulse keeps of it in the state dir.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use ccpulse_core::limits::{Observed, Reading, Source, SpendReading};

use crate::state_dir::StateDir;

/// The state file the status line feed is kept in.
pub const FEED_FILE: &str = "statusline-feed.json";

/// What ccpulse keeps of one status line input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub session_id: Option<String>,
    /// `model.display_name`, else `model.id`.
    pub model: Option<String>,
    pub version: Option<String>,
    pub cost_usd: Option<f64>,
    pub context_used_percent: Option<f64>,
    /// `rate_limits.five_hour` and `.seven_day` (absent for API-key users and before the
    /// first response of a session).
    pub five_hour: Option<Reading>,
    pub seven_day: Option<Reading>,
    /// The other windows of `rate_limits` by Claude Code's names (`seven_day_opus`, any
    /// `seven_day_*`, `overage`), in the order given.
    #[serde(default)]
    pub windows: Vec<(String, Reading)>,
    /// `rate_limits.spend_limit` (sessions through a Claude apps gateway).
    #[serde(default)]
    pub spend_limit: Option<SpendReading>,
}

impl Input {
    /// Read a status line payload. Only input that is not a JSON object is an error.
    pub fn parse(bytes: &[u8]) -> Result<Input, String> {
        let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON ({e})"))?;
        if !v.is_object() {
            return Err("not a JSON object".into());
        }
        let text = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_owned);
        let number = |p: &str| v.pointer(p).and_then(Value::as_f64);
        let reading = |w: &Value| {
            Some(Reading {
                used_percent: w.get("used_percentage")?.as_f64()?,
                resets_at: w
                    .get("resets_at")
                    .and_then(Value::as_f64)
                    .and_then(|s| DateTime::from_timestamp(s as i64, 0)),
            })
        };
        let window = |name: &str| reading(v.pointer(&format!("/rate_limits/{name}"))?);
        let mut windows = Vec::new();
        for (name, w) in v
            .get("rate_limits")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let named = ccpulse_core::limits::WindowId::from_client(name);
            let other = matches!(
                named,
                Some(
                    ccpulse_core::limits::WindowId::Model(_)
                        | ccpulse_core::limits::WindowId::Credits
                )
            );
            if let (true, Some(r)) = (other, reading(w)) {
                windows.push((name.clone(), r));
            }
        }
        let spend_limit = v.pointer("/rate_limits/spend_limit").and_then(|w| {
            let usd = |k: &str| w.get(k).and_then(Value::as_f64);
            Some(SpendReading {
                reading: reading(w)?,
                used_usd: usd("used_usd"),
                limit_usd: usd("limit_usd"),
                period: w
                    .get("period")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_lowercase),
            })
        });
        Ok(Input {
            session_id: text("/session_id"),
            model: text("/model/display_name").or_else(|| text("/model/id")),
            version: text("/version"),
            cost_usd: number("/cost/total_cost_usd"),
            context_used_percent: number("/context_window/used_percentage"),
            five_hour: window("five_hour"),
            seven_day: window("seven_day"),
            windows,
            spend_limit,
        })
    }
}

/// The feed: the latest input, and the latest limits any session reported (a session that
/// reports none, such as one on an API key, does not erase what another one said).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Feed {
    pub latest: Option<Input>,
    pub received_at: Option<DateTime<Utc>>,
    pub limits: Option<Observed>,
}

impl Feed {
    /// The feed with `input`, received `now`, taken in.
    pub fn with(mut self, input: Input, now: DateTime<Utc>) -> Feed {
        let mut o = Observed {
            session: input.five_hour,
            weekly: input.seven_day,
            spend: input.spend_limit.clone().map(Box::new),
            ..Observed::empty(Source::Statusline, now)
        };
        for (name, reading) in &input.windows {
            o.set_named(name, *reading);
        }
        if o.has_windows() {
            self.limits = Some(o);
        }
        self.latest = Some(input);
        self.received_at = Some(now);
        self
    }

    /// The feed in `dir`; an empty one when there is none or it cannot be read.
    pub fn load(dir: &StateDir) -> Feed {
        dir.load::<Feed>(FEED_FILE)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Write the feed (atomically: runs of several sessions at once leave a whole file).
    pub fn save(&self, dir: &StateDir) -> Result<(), String> {
        let bytes = serde_json::to_vec(self).map_err(|e| e.to_string())?;
        dir.write(FEED_FILE, &bytes, false)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_payload_and_odd_ones() {
        let doc = br#"{"session_id":"s1","model":{"id":"claude-opus-4-5","display_name":"Opus 4.5"},
            "cost":{"total_cost_usd":1.25},"context_window":{"used_percentage":12.5},"version":"2.1.80",
            "rate_limits":{"five_hour":{"used_percentage":23.5,"resets_at":1738425600},
            "seven_day":{"used_percentage":141.2,"resets_at":1738857600}}}"#;
        let i = Input::parse(doc).unwrap();
        assert_eq!(i.model.as_deref(), Some("Opus 4.5"));
        assert_eq!(i.cost_usd, Some(1.25));
        let five = i.five_hour.unwrap();
        assert_eq!(five.used_percent, 23.5);
        assert_eq!(five.resets_at.unwrap().timestamp(), 1_738_425_600);
        assert_eq!(i.seven_day.unwrap().used_percent, 141.2);

        // Wrong types and missing windows are not errors: those fields are just absent.
        let odd = br#"{"model":"x","rate_limits":{"five_hour":{"used_percentage":"9"},"seven_day":null}}"#;
        assert_eq!(Input::parse(odd).unwrap(), Input::default());
        for bad in [&b""[..], b"not json", b"[1,2]", b"null"] {
            assert!(Input::parse(bad).is_err());
        }
    }

    #[test]
    fn a_session_without_limits_keeps_what_another_reported() {
        let now = DateTime::from_timestamp(1_795_560_000, 0).unwrap();
        let with = Input::parse(
            br#"{"rate_limits":{"five_hour":{"used_percentage":42,"resets_at":1795570376}}}"#,
        )
        .unwrap();
        let without = Input::parse(br#"{"session_id":"api-key-session"}"#).unwrap();
        let feed = Feed::default()
            .with(with, now)
            .with(without, now + chrono::Duration::minutes(1));
        let limits = feed.limits.unwrap();
        assert_eq!(limits.as_of, now);
        assert_eq!(limits.session.unwrap().used_percent, 42.0);
        assert_eq!(
            feed.latest.unwrap().session_id.as_deref(),
            Some("api-key-session")
        );
    }

    #[test]
    fn a_spend_limit_and_named_windows_are_read_as_the_client_writes_them() {
        // A session through a Claude apps gateway: the spend limit's cap is in USD.
        let input = br#"{"session_id":"s2","model":{"id":"claude-sonnet-4-5","display_name":"Sonnet 4.5"},
            "version":"2.1.332","cost":{"total_cost_usd":0.12},
            "rate_limits":{"five_hour":{"used_percentage":12,"resets_at":1796193733},
            "seven_day":{"used_percentage":17,"resets_at":1796445733},
            "seven_day_overage_included":{"used_percentage":96,"resets_at":1796445733},
            "overage":{"used_percentage":3.5,"resets_at":1798761600},
            "tokens_per_minute":{"used_percentage":1,"resets_at":1796193733},
            "spend_limit":{"used_percentage":85,"resets_at":1798761600,"used_usd":42.5,"limit_usd":50,"period":"monthly"}}}"#;
        let i = Input::parse(input).unwrap();
        let spend = i.spend_limit.clone().unwrap();
        assert_eq!(spend.reading.used_percent, 85.0);
        assert_eq!(spend.reading.resets_at.unwrap().timestamp(), 1_798_761_600);
        assert_eq!((spend.used_usd, spend.limit_usd), (Some(42.5), Some(50.0)));
        assert_eq!(spend.period.as_deref(), Some("monthly"));
        let now = DateTime::from_timestamp(1_796_190_000, 0).unwrap();
        let o = Feed::default().with(i, now).limits.unwrap();
        assert_eq!(o.spend.as_deref(), Some(&spend));
        assert_eq!(o.models.len(), 1, "the unknown key is left out");
        assert_eq!(
            (o.models[0].model.as_str(), o.models[0].reading.used_percent),
            ("Fable", 96.0)
        );
        assert_eq!(o.credits.unwrap().used_percent, 3.5);

        // A percent-only cap (not in USD), and a spend limit on its own still makes a feed.
        let only = Input::parse(
            br#"{"rate_limits":{"spend_limit":{"used_percentage":100,"resets_at":1798761600,"period":"Weekly"}}}"#,
        )
        .unwrap();
        let o = Feed::default().with(only, now).limits.unwrap();
        let spend = o.spend.unwrap();
        assert_eq!((spend.used_usd, spend.limit_usd), (None, None));
        assert_eq!(spend.period.as_deref(), Some("weekly"));
        assert_eq!(o.session, None);
        // A spend limit without a percent is not a window.
        let bad = Input::parse(br#"{"rate_limits":{"spend_limit":{"used_usd":3}}}"#).unwrap();
        assert_eq!(bad.spend_limit, None);
    }
}
