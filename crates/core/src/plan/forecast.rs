//! The forecast notice: a window that, at its current pace (`forecast`), fills at least the
//! margin (`notifications.forecast_margin_minutes`, 15 by default) before it resets. Once per
//! window (keyed by the window, its reset minute and `forecast`), never for a full window nor
//! for one the pace says will last; a new window can be announced again. Its own kind
//! (`notifications.forecast`), through the one policy.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::alert::{Alert, AlertLedger, Kind, Urgency};
use crate::clock::{countdown, reset_label, Clock};
use crate::limits::history::reset_minute;
use crate::limits::{Limits, WindowId};

/// The ledger key of `id`'s forecast in the window that resets at `resets`.
pub fn key(id: &WindowId, resets: DateTime<Utc>) -> String {
    format!("limit:{}:{}:forecast", id.key(), reset_minute(resets))
}

/// "the 5-hour limit", "the weekly limit", "the weekly Opus limit", ...
fn name(id: &WindowId) -> String {
    match id {
        WindowId::Session => "the 5-hour limit".into(),
        WindowId::Weekly => "the weekly limit".into(),
        WindowId::Model(m) => format!("the weekly {m} limit"),
        WindowId::Spend(_) | WindowId::Credits => {
            format!("the {}", id.limit_title().to_lowercase())
        }
    }
}

/// What to do about it, with the commands the limit notices name.
fn advice(id: &WindowId) -> String {
    match id {
        WindowId::Session | WindowId::Weekly => "Slow down, switch to a lighter model with \
            /model, /compact long sessions, or keep going on extra usage with /usage-credits; \
            /usage shows where you stand."
            .into(),
        WindowId::Model(m) => format!(
            "Slow down or switch to another model with /model (the {m} cap is separate); \
             /usage shows where you stand."
        ),
        WindowId::Spend(_) | WindowId::Credits => "Slow down, or raise the limit with \
            /usage-credits; /usage shows where you stand."
            .into(),
    }
}

/// Decide which forecasts to announce, recording them in `ledger`.
pub fn plan(
    limits: &Limits,
    margin: Duration,
    ledger: &mut AlertLedger,
    now: DateTime<Utc>,
    zone: Tz,
    clock: Clock,
) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let windows = limits.windows();
    for f in &limits.forecasts {
        let Some((_, w)) = windows.iter().find(|(id, _)| *id == f.window) else {
            continue;
        };
        let (Some(full_at), Some(resets_at)) = (f.full_at, w.resets_at) else {
            continue;
        };
        if w.used_percent >= 100.0 || resets_at <= now || resets_at - full_at < margin {
            continue;
        }
        let k = key(&f.window, resets_at);
        if ledger.contains(&k) {
            continue;
        }
        ledger.seen.insert(k.clone(), now);
        alerts.push(Alert {
            key: k,
            title: format!(
                "At this pace {} is reached at {}, {} before it resets",
                name(&f.window),
                reset_label(full_at, now, zone, clock),
                countdown(resets_at, full_at)
            ),
            body: format!(
                "{:.0}% used; it resets {}. {}",
                w.used_percent,
                reset_label(resets_at, now, zone, clock),
                advice(&f.window)
            ),
            url: None,
            urgency: Urgency::Normal,
            kind: Kind::Forecast,
            subject: format!("forecast:{}", f.window.key()),
            ends: false,
        });
    }
    alerts
}

#[cfg(test)]
mod tests;
