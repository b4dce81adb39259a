//! Notifications for plan limits: a threshold crossed (80% and 95% by default), a limit hit,
//! and a window that reset after one of those. Each is keyed by the window and its reset time,
//! so it is announced once per window, through the same kind of ledger as status alerts.

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;

use crate::alert::{Alert, AlertLedger, Kind, Urgency};
use crate::clock::{countdown, reset_label, Clock};
use crate::limits::{Limits, WindowId};

/// Default thresholds, in percent.
pub const DEFAULT_THRESHOLDS: [u8; 2] = [80, 95];
/// The last word of a forecast's key (`plan::forecast`).
const FORECAST: &str = "forecast";
/// A reset announced later than this after it happened is old news (the app was not running).
const RESET_NEWS: Duration = Duration::hours(1);

/// A window's reset time to the minute: sources round differently (the OAuth endpoint adds
/// the microseconds of the request), and the same window must keep its key.
fn minute(at: DateTime<Utc>) -> i64 {
    (at.timestamp() + 30).div_euclid(60) * 60
}

fn key(id: &WindowId, resets: DateTime<Utc>, what: &str) -> String {
    format!("limit:{}:{}:{what}", id.key(), minute(resets))
}

/// Decide what to announce for `limits`, recording it in `ledger`. `thresholds` are percents
/// in ascending order; only the highest one crossed is announced (the lower ones are recorded
/// with it), and a limit hit stands for all of them.
pub fn plan(
    limits: &Limits,
    thresholds: &[u8],
    ledger: &mut AlertLedger,
    now: DateTime<Utc>,
    zone: Tz,
    clock: Clock,
) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let named = limits.windows();
    // Resets first: a new window's figures follow them.
    for (id, window) in &named {
        alerts.extend(passed_resets(id, window.resets_at, ledger, now));
    }
    // A window gone from the figures (its source went quiet, a model's cap no longer
    // reported) still resets on time: every window the ledger warned about is looked at.
    let gone: std::collections::BTreeSet<WindowId> = ledger
        .seen
        .keys()
        .filter_map(|k| {
            let mut parts = k.rsplitn(3, ':');
            let (what, _secs, rest) = (parts.next()?, parts.next()?, parts.next()?);
            // A forecast is no warning of a limit reached: its window's reset is no news.
            (what != FORECAST)
                .then(|| rest.strip_prefix("limit:").map(WindowId::from_key))
                .flatten()
        })
        .filter(|id| !named.iter().any(|(n, _)| n == id))
        .collect();
    for id in gone {
        alerts.extend(passed_resets(&id, None, ledger, now));
    }
    for (id, window) in &named {
        let Some(resets_at) = window.resets_at else {
            continue;
        };
        let used = window.used_percent;
        let when = reset_label(resets_at, now, zone, clock);
        let left = countdown(resets_at, now);
        if used >= 100.0 {
            let k = key(id, resets_at, "hit");
            if ledger.contains(&k) {
                continue;
            }
            for t in thresholds {
                ledger.seen.insert(key(id, resets_at, &t.to_string()), now);
            }
            ledger.seen.insert(k.clone(), now);
            let body = match id {
                WindowId::Spend(_) => format!(
                    "Claude Code stops until the period resets in {left}. Raise the limit with \
                     /usage-credits or wait for the reset; /usage shows where you stand."
                ),
                WindowId::Credits => format!(
                    "Claude Code stops until the reset in {left}. Add credits or raise their \
                     limit with /usage-credits; /usage shows where you stand."
                ),
                WindowId::Model(m) => format!(
                    "Claude Code stops until the reset in {left}. Wait for it or switch to \
                     another model with /model (the {m} cap is separate), see where you stand \
                     with /usage, or keep going on extra usage with /usage-credits."
                ),
                WindowId::Session | WindowId::Weekly => format!(
                    "Claude Code stops until the reset in {left}. Wait for it, see where you \
                     stand with /usage, or keep going on extra usage with /usage-credits."
                ),
            };
            alerts.push(Alert {
                key: k,
                title: format!("{} reached: resets {when}", id.limit_title()),
                body,
                url: None,
                urgency: Urgency::Critical,
                kind: Kind::Limit,
                subject: subject(id),
                ends: false,
            });
            continue;
        }
        let Some(top) = thresholds.iter().rev().find(|t| used >= f64::from(**t)) else {
            continue;
        };
        let k = key(id, resets_at, &top.to_string());
        if ledger.contains(&k) {
            continue;
        }
        for t in thresholds.iter().filter(|t| *t <= top) {
            ledger.seen.insert(key(id, resets_at, &t.to_string()), now);
        }
        alerts.push(Alert {
            key: k,
            title: format!("{} at {used:.0}%: resets {when}", id.limit_title()),
            body: format!(
                "{:.0}% left until the reset in {left}. /usage shows the details; /compact keeps \
                 long sessions lighter.",
                (100.0 - used).max(0.0)
            ),
            url: None,
            urgency: if *top >= 95 {
                Urgency::Critical
            } else {
                Urgency::Normal
            },
            kind: Kind::Limit,
            subject: subject(id),
            ends: false,
        });
    }
    alerts
}

fn subject(id: &WindowId) -> String {
    format!("limit:{}", id.key())
}

/// Every window of `id` the ledger warned about that has ended (its reset time is past, or
/// before `current`) and whose reset was not announced: announce it if it is recent news,
/// record it either way.
fn passed_resets(
    id: &WindowId,
    current: Option<DateTime<Utc>>,
    ledger: &mut AlertLedger,
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let prefix = format!("limit:{}:", id.key());
    let mut ended: Vec<i64> = ledger
        .seen
        .keys()
        .filter_map(|k| k.strip_prefix(&prefix))
        .filter(|rest| !rest.ends_with(&format!(":{FORECAST}")))
        .filter_map(|rest| rest.split(':').next()?.parse::<i64>().ok())
        .filter(|secs| {
            let at = Utc.timestamp_opt(*secs, 0).single();
            at.is_some_and(|at| at <= now || current.is_some_and(|c| *secs < minute(c)))
        })
        .collect();
    ended.dedup();
    let mut out = Vec::new();
    for secs in ended {
        let Some(at) = Utc.timestamp_opt(secs, 0).single() else {
            continue;
        };
        let k = key(id, at, "reset");
        if ledger.contains(&k) {
            continue;
        }
        ledger.seen.insert(k.clone(), now);
        if now - at.min(now) > RESET_NEWS {
            continue;
        }
        out.push(Alert {
            key: k,
            title: format!("{} reset: you can continue", id.limit_title()),
            body: "A new window has begun.".into(),
            url: None,
            urgency: Urgency::Normal,
            kind: Kind::Limit,
            subject: subject(id),
            ends: true,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Window;
    use crate::limits::{ModelWindow, Source};
    use crate::test_support::utc;

    fn session(used: f64, resets: &str) -> Limits {
        Limits {
            session: Some(Window {
                used_percent: used,
                resets_at: Some(utc(resets)),
                source: Source::Statusline,
                as_of: utc("2026-11-25T10:00:00Z"),
            }),
            ..Limits::default()
        }
    }

    fn titles(a: &[Alert]) -> Vec<&str> {
        a.iter().map(|a| a.title.as_str()).collect()
    }

    #[test]
    fn each_threshold_once_per_window_then_the_reset() {
        let mut ledger = AlertLedger::new();
        let now = utc("2026-11-25T13:00:00Z");
        let r1 = "2026-11-25T15:45:00Z";
        let plan = |l: &Limits, ledger: &mut AlertLedger, now| {
            plan(
                l,
                &DEFAULT_THRESHOLDS,
                ledger,
                now,
                chrono_tz::UTC,
                Clock::H12,
            )
        };
        assert!(plan(&session(50.0, r1), &mut ledger, now).is_empty());
        let a = plan(&session(81.0, r1), &mut ledger, now);
        assert_eq!(titles(&a), ["Session limit at 81%: resets 3:45pm"]);
        assert!(a[0].body.contains("2h 45m"), "{}", a[0].body);
        assert!(plan(&session(84.0, r1), &mut ledger, now).is_empty());
        let a = plan(&session(96.0, r1), &mut ledger, now);
        assert_eq!(titles(&a), ["Session limit at 96%: resets 3:45pm"]);
        assert_eq!(a[0].urgency, Urgency::Critical);
        assert!(plan(&session(97.0, r1), &mut ledger, now).is_empty());
        // The same window, its reset time off by a fraction of a second: nothing new.
        let jitter = "2026-11-25T15:45:00.282668Z";
        assert!(plan(&session(97.0, jitter), &mut ledger, now).is_empty());
        let jitter = "2026-11-25T15:44:59.9Z";
        assert!(plan(&session(97.0, jitter), &mut ledger, now).is_empty());
        // A new window: the reset, once; then its thresholds count again.
        let r2 = "2026-11-25T20:45:00Z";
        let later = utc("2026-11-25T15:46:00Z");
        let a = plan(&session(3.0, r2), &mut ledger, later);
        assert_eq!(titles(&a), ["Session limit reset: you can continue"]);
        assert!(plan(&session(3.0, r2), &mut ledger, later).is_empty());
        let a = plan(&session(82.0, r2), &mut ledger, later);
        assert_eq!(titles(&a), ["Session limit at 82%: resets 8:45pm"]);
    }

    #[test]
    fn a_jump_announces_only_the_highest_and_a_hit_stands_for_all() {
        let mut ledger = AlertLedger::new();
        let now = utc("2026-11-25T13:00:00Z");
        let r = "2026-11-25T15:00:00Z";
        let a = plan(
            &session(97.0, r),
            &[80, 95],
            &mut ledger,
            now,
            chrono_tz::UTC,
            Clock::H24,
        );
        assert_eq!(titles(&a), ["Session limit at 97%: resets 15:00"]);
        let mut ledger = AlertLedger::new();
        let a = plan(
            &session(100.0, r),
            &[80, 95],
            &mut ledger,
            now,
            chrono_tz::UTC,
            Clock::H24,
        );
        assert_eq!(titles(&a), ["Session limit reached: resets 15:00"]);
        assert!(a[0].body.contains("/usage-credits") && a[0].body.contains("/usage,"));
        assert!(plan(
            &session(99.0, r),
            &[80, 95],
            &mut ledger,
            now,
            chrono_tz::UTC,
            Clock::H24
        )
        .is_empty());
    }

    #[test]
    fn the_opus_cap_points_to_model_and_resets_pass_without_new_figures() {
        let mut ledger = AlertLedger::new();
        let now = utc("2026-11-25T13:00:00Z");
        let mut limits = Limits::default();
        limits.models.push(ModelWindow {
            model: "Opus".into(),
            window: Window {
                used_percent: 100.0,
                resets_at: Some(utc("2026-11-26T00:00:00Z")),
                source: Source::Oauth,
                as_of: now,
            },
        });
        let a = plan(
            &limits,
            &[80, 95],
            &mut ledger,
            now,
            chrono_tz::UTC,
            Clock::H12,
        );
        assert_eq!(
            titles(&a),
            ["Weekly Opus limit reached: resets Thu 12:00am"]
        );
        assert!(a[0].body.contains("/model"));
        // The window passes its reset, and the source no longer reports the Opus cap at all.
        limits.models.clear();
        let at = utc("2026-11-26T00:10:00Z");
        let a = plan(
            &limits,
            &[80, 95],
            &mut ledger,
            at,
            chrono_tz::UTC,
            Clock::H12,
        );
        assert_eq!(titles(&a), ["Weekly Opus limit reset: you can continue"]);
        // A session warned about, its source gone quiet, and the app back two hours after the
        // reset: recorded, not announced.
        let mut ledger = AlertLedger::new();
        plan(
            &session(85.0, "2026-11-25T15:00:00Z"),
            &[80, 95],
            &mut ledger,
            now,
            chrono_tz::UTC,
            Clock::H12,
        );
        let back = utc("2026-11-25T17:00:00Z");
        assert!(plan(
            &Limits::default(),
            &[80, 95],
            &mut ledger,
            back,
            chrono_tz::UTC,
            Clock::H12
        )
        .is_empty());
        let reset = utc("2026-11-25T15:00:00Z").timestamp();
        assert!(ledger.contains(&format!("limit:session:{reset}:reset")));
    }

    #[test]
    fn a_spend_limit_is_announced_at_thresholds_and_when_reached() {
        use crate::limits::SpendWindow;
        let now = utc("2026-12-10T12:00:00Z");
        let spend = |used: f64| Limits {
            spend: Some(SpendWindow {
                window: Window {
                    used_percent: used,
                    resets_at: Some(utc("2027-01-01T00:00:00Z")),
                    source: Source::Statusline,
                    as_of: now,
                },
                used_usd: None,
                limit_usd: None,
                period: Some("monthly".into()),
            }),
            ..Limits::default()
        };
        let mut ledger = AlertLedger::new();
        let mut plan = |l: &Limits| {
            plan(
                l,
                &DEFAULT_THRESHOLDS,
                &mut ledger,
                now,
                chrono_tz::UTC,
                Clock::H24,
            )
        };
        let a = plan(&spend(85.0));
        assert_eq!(
            titles(&a),
            ["Monthly spend limit at 85%: resets 1 Jan 00:00"]
        );
        assert_eq!(
            a[0].key,
            format!(
                "limit:spend:monthly:{}:80",
                utc("2027-01-01T00:00:00Z").timestamp()
            )
        );
        assert!(plan(&spend(90.0)).is_empty());
        let a = plan(&spend(100.0));
        assert_eq!(
            titles(&a),
            ["Monthly spend limit reached: resets 1 Jan 00:00"]
        );
        assert!(a[0].body.contains("/usage-credits") && a[0].body.contains("wait for the reset"));
        assert!(!a[0].body.contains("/model"));
        assert!(plan(&spend(100.0)).is_empty());
    }
}
