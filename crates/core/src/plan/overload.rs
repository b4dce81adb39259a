//! The notifications of a 529 wave: its start, the status page confirming it, its end.

use chrono::{DateTime, Utc};

use crate::alert::{Alert, AlertLedger, Kind, Urgency};
use crate::overload::{Overload, State, WaveRules, UNKNOWN_MODEL};

/// The errors of the last 15 minutes in words: "14 errors in the last 15 minutes
/// (claude-opus-4-5: 12, claude-sonnet-4-5: 2)".
fn errors_line(o: &Overload) -> String {
    let total: usize = o
        .models
        .iter()
        .map(|m| m.retries_15m + m.failures_15m)
        .sum();
    let named: Vec<String> = o
        .models
        .iter()
        .filter(|m| m.model != UNKNOWN_MODEL)
        .take(3)
        .map(|m| format!("{}: {}", m.model, m.retries_15m + m.failures_15m))
        .collect();
    let by_model = match named.is_empty() {
        true => String::new(),
        false => format!(" ({})", named.join(", ")),
    };
    format!("{total} errors in the last 15 minutes{by_model}")
}

/// The notifications of a wave: its start (once), the status page confirming it (once), its
/// end (once, only for a wave that was announced). Keys are the wave's start time, so a
/// restart in the middle of a wave announces nothing again.
/// Every wave notice speaks of the same condition: one wave at a time.
const SUBJECT: &str = "wave";

pub fn plan(
    o: &Overload,
    rules: &WaveRules,
    ledger: &mut AlertLedger,
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let Some(wave) = &o.wave else {
        return Vec::new();
    };
    let start_key = format!("wave:{}", wave.started_at.timestamp());
    let confirmed_key = format!("{start_key}:confirmed");
    let end_key = format!("{start_key}:end");
    let mut alerts = Vec::new();
    let record = |ledger: &mut AlertLedger, key: &str| ledger.seen.insert(key.to_string(), now);
    if wave.ended_at.is_some() {
        if ledger.contains(&start_key) && !ledger.contains(&end_key) {
            record(ledger, &end_key);
            alerts.push(Alert {
                key: end_key,
                title: "Claude overload over: requests go through again".into(),
                body: format!(
                    "No overload errors for {}.",
                    crate::clock::countdown(now, now - rules.quiet)
                ),
                url: None,
                urgency: Urgency::Low,
                kind: Kind::Overload,
                subject: SUBJECT.into(),
                ends: true,
            });
        }
        return alerts;
    }
    let confirmed = o.state == State::ConfirmedWave;
    let incident = o.incident.as_ref();
    if !ledger.contains(&start_key) {
        record(ledger, &start_key);
        if confirmed {
            record(ledger, &confirmed_key);
        }
        let seen = match incident.filter(|_| confirmed) {
            Some(i) => format!(" The status page confirms it: {}.", i.name),
            None => " The status page does not show it yet.".to_string(),
        };
        alerts.push(Alert {
            key: start_key,
            title: "Claude is overloaded: requests are failing and being retried".into(),
            body: format!(
                "{}.{seen} This is not your usage limit: capacity is per model, so /model to \
                 switch may get you going now. ccpulse will say when it is over.",
                errors_line(o)
            ),
            url: incident.filter(|_| confirmed).map(|i| i.url.clone()),
            urgency: Urgency::Normal,
            kind: Kind::Overload,
            subject: SUBJECT.into(),
            ends: false,
        });
    } else if confirmed && !ledger.contains(&confirmed_key) {
        record(ledger, &confirmed_key);
        if let Some(i) = incident {
            alerts.push(Alert {
                key: confirmed_key,
                title: format!("Overload confirmed: {}", i.name),
                body: "The status page now reports the errors you are seeing. /model to \
                       another model may still work."
                    .into(),
                url: Some(i.url.clone()),
                urgency: Urgency::Normal,
                kind: Kind::Overload,
                subject: SUBJECT.into(),
                ends: false,
            });
        }
    }
    alerts
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::overload::*;
    use crate::policy::{Policy, QuietHours};
    use crate::signals::{ApiError, ErrorOrigin};
    use crate::status::{Impact, IncidentStatus, IncidentUpdate};
    use crate::status::{Incident, ServiceStatus};

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn retries(from_secs: i64, every: i64, n: i64, model: &str) -> Vec<Event> {
        (0..n)
            .map(|k| Event {
                at: t0() + Duration::seconds(from_secs + k * every),
                model: Some(model.to_string()),
                strike: Strike::Retry,
            })
            .collect()
    }

    fn incident(opened_secs: i64) -> ServiceStatus {
        let at = (t0() + Duration::seconds(opened_secs)).fixed_offset();
        ServiceStatus {
            incidents: vec![Incident {
                id: "inc1".into(),
                name: "Elevated errors on Claude Opus 4.5".into(),
                status: IncidentStatus::Investigating,
                impact: Impact::Minor,
                url: "https://status.claude.com/incidents/inc1".into(),
                created_at: Some(at),
                updated_at: Some(at),
                scheduled_for: None,
                scheduled_until: None,
                updates: vec![IncidentUpdate {
                    id: "u1".into(),
                    status: IncidentStatus::Investigating,
                    body: "We are seeing 529 responses.".into(),
                    created_at: Some(at),
                }],
                component_ids: vec![],
            }],
            page_url: "https://status.claude.com".into(),
            indicator: crate::status::Indicator::Minor,
            description: "Minor Service Outage".into(),
            components: vec![],
            maintenances: vec![],
        }
    }

    /// Replay a timeline on a virtual clock ticking every 30 s for `minutes`: what is
    /// shown (planned, then through the notification policy), and at which second.
    /// `status_at(secs)` is the status page then; `restart_at` reloads the ledger from its JSON
    /// as a restarted app would.
    fn replay(
        events: &[Event],
        status_at: &dyn Fn(i64) -> Option<ServiceStatus>,
        minutes: i64,
        restart_at: Option<i64>,
    ) -> Vec<(i64, String)> {
        replay_with(
            events,
            status_at,
            minutes,
            restart_at,
            &Policy::default(),
            AlertLedger::new(),
        )
    }

    fn replay_with(
        events: &[Event],
        status_at: &dyn Fn(i64) -> Option<ServiceStatus>,
        minutes: i64,
        restart_at: Option<i64>,
        policy: &Policy,
        mut ledger: AlertLedger,
    ) -> Vec<(i64, String)> {
        let mut said = Vec::new();
        for tick in (0..=minutes * 60).step_by(30) {
            if restart_at == Some(tick) {
                let json = serde_json::to_string(&ledger).unwrap();
                ledger = serde_json::from_str(&json).unwrap();
            }
            let now = t0() + Duration::seconds(tick);
            let seen: Vec<Event> = events.iter().filter(|e| e.at <= now).cloned().collect();
            let status = status_at(tick);
            let o = assess(&seen, status.as_ref(), &WaveRules::default(), now);
            let planned = plan(&o, &WaveRules::default(), &mut ledger, now);
            for a in policy.step(&mut ledger, planned, now, chrono_tz::UTC) {
                said.push((tick, a.title));
            }
        }
        said
    }

    const START: &str = "Claude is overloaded: requests are failing and being retried";
    const END: &str = "Claude overload over: requests go through again";

    #[test]
    fn a_wave_starts_at_the_threshold_peaks_and_ends_after_a_quiet_spell() {
        // Four retries are not a wave; the fifth within 10 minutes is. Then a peak: a retry
        // every 20 s for 20 minutes. The last at 22:00; quiet from then on.
        let mut events = retries(0, 30, 5, "claude-opus-4-5");
        events.extend(retries(140, 20, 60, "claude-opus-4-5"));
        let said = replay(&events, &|_| None, 60, None);
        let last = 140 + 59 * 20;
        assert_eq!(
            said,
            [
                (120, START.to_string()),
                (last + 15 * 60 + 30, END.to_string())
            ]
        );
        // At the peak: counts per model and per minute.
        let now = t0() + Duration::minutes(15);
        let o = assess(&events, None, &WaveRules::default(), now);
        assert_eq!(o.state, State::LocalWave);
        assert_eq!(o.since, Some(t0() + Duration::seconds(120)));
        assert_eq!(o.models[0].model, "claude-opus-4-5");
        // 39 retries of the peak so far, and 4 of the first 5 (the one at 0 s is 15 minutes old).
        assert_eq!(o.models[0].retries_15m, 4 + 39);
        assert_eq!(o.per_minute.len(), 60);
        assert_eq!(o.per_minute[59], 3, "three retries in the last minute");
        assert_eq!(o.per_minute.iter().sum::<usize>(), 5 + 39);
    }

    #[test]
    fn flapping_at_the_threshold_is_one_wave_and_below_it_none() {
        // Bursts of 5 retries every 12 minutes for an hour: each crosses the threshold, the
        // gaps are shorter than the quiet spell: one wave, one start, one end.
        let events: Vec<Event> = (0..5)
            .flat_map(|b| retries(b * 720, 10, 5, "claude-sonnet-4-5"))
            .collect();
        let said = replay(&events, &|_| None, 120, None);
        let titles: Vec<&str> = said.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(titles, [START, END]);
        // Four retries every 11 minutes never reach the threshold.
        let events: Vec<Event> = (0..6)
            .flat_map(|b| retries(b * 660, 10, 4, "claude-sonnet-4-5"))
            .collect();
        assert!(replay(&events, &|_| None, 120, None).is_empty());
        // Two final failures within 10 minutes are a wave on their own.
        let failures: Vec<Event> = [0, 300]
            .iter()
            .map(|s| Event {
                at: t0() + Duration::seconds(*s),
                model: None,
                strike: Strike::Failure,
            })
            .collect();
        assert_eq!(
            replay(&failures, &|_| None, 30, None)[0],
            (300, START.into())
        );
    }

    #[test]
    fn a_status_incident_before_or_after_the_local_wave() {
        let events = retries(600, 30, 10, "claude-opus-4-5");
        // The incident is open first: status-only, then the wave starts confirmed (one notice
        // with the incident's link; the incident itself is the status alerts' business).
        let before = |_| Some(incident(0));
        let o = assess(&[], before(0).as_ref(), &WaveRules::default(), t0());
        assert_eq!((o.state, o.since), (State::StatusOnly, Some(t0())));
        let said = replay(&events, &before, 60, None);
        let titles: Vec<&str> = said.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(titles, [START, END]);
        // The incident comes 5 minutes into the wave: the start, then the confirmation.
        let after = |s| (s >= 1020).then(|| incident(1020));
        let said = replay(&events, &after, 60, None);
        assert_eq!(
            said,
            [
                (720, START.to_string()),
                (
                    1020,
                    "Overload confirmed: Elevated errors on Claude Opus 4.5".to_string()
                ),
                // The last retry at 870 s; quiet for 15 minutes from then: the tick after 1770 s.
                (1800, END.to_string()),
            ]
        );
        let o = assess(
            &events,
            after(1020).as_ref(),
            &WaveRules::default(),
            t0() + Duration::seconds(1020),
        );
        assert_eq!(o.state, State::ConfirmedWave);
        assert_eq!(o.incident.unwrap().id, "inc1");
    }

    #[test]
    fn a_restart_in_the_middle_of_a_wave_repeats_nothing() {
        let events = retries(0, 30, 40, "claude-opus-4-5");
        let straight = replay(&events, &|_| None, 60, None);
        assert_eq!(straight.len(), 2);
        assert_eq!(replay(&events, &|_| None, 60, Some(600)), straight);
        // An app started after a wave ended announces neither its start nor its end.
        let mut ledger = AlertLedger::new();
        let later = t0() + Duration::minutes(50);
        let o = assess(&events, None, &WaveRules::default(), later);
        assert!(o.wave.as_ref().unwrap().ended_at.is_some());
        assert!(plan(&o, &WaveRules::default(), &mut ledger, later).is_empty());
    }

    #[test]
    fn pause_and_quiet_hours_hold_a_wave_back() {
        // A wave from 720 s (10 retries from 600 s, 30 s apart); over at 1800 s.
        let events = retries(600, 30, 10, "claude-opus-4-5");
        let paused = |secs| AlertLedger {
            paused_until: Some(t0() + Duration::seconds(secs)),
            ..AlertLedger::new()
        };
        // Paused past its end: it came and went unseen, nothing is told.
        let p = Policy::default();
        assert!(replay_with(&events, &|_| None, 60, None, &p, paused(1800)).is_empty());
        // Paused until 20 minutes: told then, and its end.
        let said = replay_with(&events, &|_| None, 60, Some(900), &p, paused(1200));
        assert_eq!(said, [(1200, START.into()), (1800, END.into())]);
        // Quiet from 10:05 to 10:25 (t0 is 10:00 UTC): the same, held until 10:25.
        let quiet = Policy {
            quiet_hours: Some(QuietHours::parse("10:05-10:25").unwrap()),
            ..Policy::default()
        };
        let said = replay_with(&events, &|_| None, 60, None, &quiet, AlertLedger::new());
        assert_eq!(said, [(1500, START.into()), (1800, END.into())]);
    }

    #[test]
    fn interactive_retries_that_end_in_a_rate_limit_are_not_overload() {
        let at = |s| t0() + Duration::seconds(s);
        let e = |secs, origin, status: Option<u16>, kind: Option<&str>, session: &str| ApiError {
            at: at(secs),
            origin,
            status,
            model: Some("claude-sonnet-4-5".into()),
            kind: kind.map(String::from),
            session_id: Some(session.into()),
        };
        use ErrorOrigin::{Final, InteractiveRetry as Again};
        let errors = [
            // Session a: three retries, then a 429: the user's rate limit.
            e(0, Again, None, None, "a"),
            e(2, Again, None, None, "a"),
            e(5, Again, None, None, "a"),
            e(9, Final, Some(429), Some("rate_limit"), "a"),
            // Session b: three retries, then a 529: overload.
            e(1, Again, None, None, "b"),
            e(3, Again, None, None, "b"),
            e(6, Again, None, None, "b"),
            e(10, Final, Some(529), Some("overloaded_error"), "b"),
            // Session a again, an hour later: retries that went through in the end.
            e(3600, Again, None, None, "a"),
        ];
        let got: Vec<(i64, Strike)> = events(&errors)
            .iter()
            .map(|e| ((e.at - t0()).num_seconds(), e.strike))
            .collect();
        assert_eq!(
            got,
            [
                (1, Strike::Retry),
                (3, Strike::Retry),
                (6, Strike::Retry),
                (10, Strike::Failure),
                (3600, Strike::Retry),
            ]
        );
    }

    #[test]
    fn which_errors_are_overload() {
        let e = |origin, status, kind: Option<&str>| ApiError {
            at: t0(),
            origin,
            status,
            model: None,
            kind: kind.map(String::from),
            session_id: None,
        };
        let strike = |a: ApiError| event(&a).map(|e| e.strike);
        assert_eq!(
            strike(e(ErrorOrigin::Retry, Some(529), None)),
            Some(Strike::Retry)
        );
        assert_eq!(
            strike(e(ErrorOrigin::Retry, None, None)),
            Some(Strike::Retry)
        );
        assert_eq!(
            strike(e(ErrorOrigin::Retry, Some(429), None)),
            None,
            "the user's rate limit"
        );
        assert_eq!(
            strike(e(ErrorOrigin::InteractiveRetry, None, None)),
            Some(Strike::Retry)
        );
        assert_eq!(
            strike(e(ErrorOrigin::Final, Some(529), None)),
            Some(Strike::Failure)
        );
        assert_eq!(
            strike(e(ErrorOrigin::Final, None, Some("overloaded_error"))),
            Some(Strike::Failure)
        );
        assert_eq!(
            strike(e(ErrorOrigin::Final, Some(429), Some("rate_limit"))),
            None
        );
        assert_eq!(
            strike(e(
                ErrorOrigin::Final,
                Some(401),
                Some("authentication_failed")
            )),
            None
        );
    }
}
