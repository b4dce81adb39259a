//! One policy for every notification, whatever its source (status page, 529 waves, plan
//! limits), after what Alertmanager does well. The planners decide *what* happened, once per
//! key; this decides *when and how* it is shown:
//!
//! - **Switches**: notifications off, or one kind off (`notifications.incidents`, ...): dropped.
//! - **Pause** (from the tray menu, for a chosen time) and **quiet hours**: held back. When they
//!   end, what is still worth telling comes out, one notification per kind.
//! - **Ends pair with beginnings**: an end (resolved, reset, wave over) is told only for a
//!   condition whose beginning was told; one that began and ended while held back is dropped
//!   whole. Several notices of one subject waiting together come out as the latest.
//! - **Minimum repeat interval** (`repeat_minutes`, 15 by default): a condition that ended is
//!   not announced as begun again until that long after it was last announced as begun; if it
//!   ends again meanwhile, neither is told. This is what keeps flapping quiet.
//! - **Grouping** (`group_secs`, 20 by default): the first notice of a kind is shown at once;
//!   more of that kind within the interval wait for its end and come out as one notification.
//!   Critical notices (a limit hit, 95%, a major incident) never wait for a group; they take
//!   what waits of their kind along.
//!
//! Its state lives in the [`AlertLedger`], persisted by the shell after every step that changed
//! it and before it shows anything.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::alert::{clip, Alert, AlertLedger, Kind, Shown, Urgency, Waiting};

const GROUP_LINES: usize = 6;

/// Local hours during which nothing is shown, e.g. 22:00 to 07:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    /// `"22:00-07:00"`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (a, b) = text
            .split_once('-')
            .ok_or_else(|| format!("{text:?} is not a span such as \"22:00-07:00\""))?;
        let time = |t: &str| {
            NaiveTime::parse_from_str(t.trim(), "%H:%M")
                .map_err(|_| format!("{:?} is not a time such as 07:00", t.trim()))
        };
        let (start, end) = (time(a)?, time(b)?);
        if start == end {
            return Err(format!("{text:?} is empty: start and end are the same"));
        }
        Ok(Self { start, end })
    }

    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start < self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// When the quiet spell around `now` ends, or `None` when it is not quiet now.
    pub fn ends_after(&self, now: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&zone);
        if !self.contains(local.time()) {
            return None;
        }
        let mut day = local.date_naive();
        if local.time() >= self.end {
            day = day.succ_opt()?;
        }
        // A DST gap at the end: the first valid minute after it.
        (0..=120)
            .map(|m| day.and_time(self.end) + Duration::minutes(m))
            .find_map(|t| zone.from_local_datetime(&t).earliest())
            .map(|t| t.to_utc())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Off: nothing is shown (nor held).
    pub enabled: bool,
    /// The kinds switched off.
    pub muted: Vec<Kind>,
    pub quiet_hours: Option<QuietHours>,
    pub repeat: Duration,
    pub group: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            enabled: true,
            muted: Vec::new(),
            quiet_hours: None,
            repeat: Duration::minutes(15),
            group: Duration::seconds(20),
        }
    }
}

/// Why nothing is shown right now, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Paused(DateTime<Utc>),
    Quiet(DateTime<Utc>),
}

impl Policy {
    pub fn gate(&self, ledger: &AlertLedger, now: DateTime<Utc>, zone: Tz) -> Option<Gate> {
        if let Some(until) = ledger.paused_until.filter(|u| *u > now) {
            return Some(Gate::Paused(until));
        }
        self.quiet_hours
            .and_then(|q| q.ends_after(now, zone))
            .map(Gate::Quiet)
    }

    /// Take `incoming` (what the planners just decided to announce, their keys recorded in
    /// `ledger`) and return what to show now, grouped; the rest waits in the ledger. Called
    /// with nothing incoming, it releases what has come due.
    pub fn step(
        &self,
        ledger: &mut AlertLedger,
        incoming: Vec<Alert>,
        now: DateTime<Utc>,
        zone: Tz,
    ) -> Vec<Alert> {
        if ledger.paused_until.is_some_and(|u| u <= now) {
            ledger.paused_until = None;
        }
        for alert in incoming {
            if self.enabled && !self.muted.contains(&alert.kind) {
                ledger.waiting.push(Waiting { alert, since: now });
            }
        }
        if ledger.waiting.is_empty() || self.gate(ledger, now, zone).is_some() {
            return Vec::new();
        }
        collapse(ledger);
        let (due, later): (Vec<Waiting>, Vec<Waiting>) = std::mem::take(&mut ledger.waiting)
            .into_iter()
            .partition(|w| self.due_at(ledger, &w.alert, w.since) <= now);
        // A critical notice takes what waits of its kind along.
        let urgent: Vec<Kind> = due
            .iter()
            .filter(|w| w.alert.urgency == Urgency::Critical)
            .map(|w| w.alert.kind)
            .collect();
        let (along, rest): (Vec<Waiting>, Vec<Waiting>) = later.into_iter().partition(|w| {
            urgent.contains(&w.alert.kind) && self.repeat_due(ledger, &w.alert) <= now
        });
        ledger.waiting = rest;
        let mut by_kind: BTreeMap<Kind, Vec<Alert>> = BTreeMap::new();
        for w in due.into_iter().chain(along) {
            by_kind.entry(w.alert.kind).or_default().push(w.alert);
        }
        let mut out = Vec::new();
        for (kind, alerts) in by_kind {
            for a in &alerts {
                let before = ledger.shown.get(&a.subject);
                let opened_at = if a.ends {
                    before.and_then(|s| s.opened_at)
                } else {
                    Some(now)
                };
                ledger.shown.insert(
                    a.subject.clone(),
                    Shown {
                        at: now,
                        opened_at,
                        open: !a.ends,
                    },
                );
            }
            ledger.kinds_shown.insert(kind, now);
            out.push(group(kind, alerts, now));
        }
        out
    }

    /// When the next held notice may come out (for the shell's timer), if any waits.
    pub fn next_due(
        &self,
        ledger: &AlertLedger,
        now: DateTime<Utc>,
        zone: Tz,
    ) -> Option<DateTime<Utc>> {
        if ledger.waiting.is_empty() {
            return None;
        }
        match self.gate(ledger, now, zone) {
            Some(Gate::Paused(at) | Gate::Quiet(at)) => Some(at),
            None => ledger
                .waiting
                .iter()
                .map(|w| self.due_at(ledger, &w.alert, w.since))
                .min(),
        }
    }

    fn repeat_due(&self, ledger: &AlertLedger, alert: &Alert) -> DateTime<Utc> {
        let reopened = ledger
            .shown
            .get(&alert.subject)
            .filter(|s| !alert.ends && !s.open)
            .and_then(|s| s.opened_at);
        match reopened {
            Some(at) => at + self.repeat,
            None => DateTime::<Utc>::MIN_UTC,
        }
    }

    fn due_at(&self, ledger: &AlertLedger, alert: &Alert, since: DateTime<Utc>) -> DateTime<Utc> {
        let grouped = match ledger.kinds_shown.get(&alert.kind) {
            Some(at) if alert.urgency != Urgency::Critical => *at + self.group,
            _ => since,
        };
        since.max(grouped).max(self.repeat_due(ledger, alert))
    }
}

/// Per subject, only the latest waiting notice stays, if it changes what the user last saw: an
/// end only of a condition shown as begun; a beginning not after a flap (ended and begun
/// again while waiting) of a condition still shown as begun.
fn collapse(ledger: &mut AlertLedger) {
    let mut latest: BTreeMap<&str, (usize, bool)> = BTreeMap::new();
    for (i, w) in ledger.waiting.iter().enumerate() {
        let ended = latest.get(w.alert.subject.as_str()).is_some_and(|l| l.1);
        latest.insert(&w.alert.subject, (i, ended || w.alert.ends));
    }
    let keep: Vec<usize> = latest
        .into_iter()
        .filter(|(subject, (i, had_end))| {
            let open = ledger.shown.get(*subject).is_some_and(|s| s.open);
            if ledger.waiting[*i].alert.ends {
                open
            } else {
                !(open && *had_end)
            }
        })
        .map(|(_, (i, _))| i)
        .collect();
    let mut i = 0;
    ledger.waiting.retain(|_| {
        i += 1;
        keep.contains(&(i - 1))
    });
}

/// One notification for `alerts` of one kind: itself when alone, else a list of titles.
fn group(kind: Kind, mut alerts: Vec<Alert>, now: DateTime<Utc>) -> Alert {
    if alerts.len() == 1 {
        return alerts.remove(0);
    }
    let mut lines: Vec<String> = alerts
        .iter()
        .take(GROUP_LINES)
        .map(|a| format!("• {}", clip(&a.title, 120)))
        .collect();
    if alerts.len() > GROUP_LINES {
        lines.push(format!("and {} more", alerts.len() - GROUP_LINES));
    }
    Alert {
        key: format!("group:{}:{}", kind.config_name(), now.timestamp()),
        title: kind.group_title(alerts.len()),
        body: lines.join("\n"),
        url: alerts.iter().find_map(|a| a.url.clone()),
        urgency: alerts
            .iter()
            .map(|a| a.urgency)
            .max()
            .unwrap_or(Urgency::Normal),
        kind,
        subject: "group".into(),
        ends: alerts.iter().all(|a| a.ends),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .unwrap()
            .to_utc()
            + Duration::seconds(secs)
    }

    fn notice(kind: Kind, subject: &str, title: &str, ends: bool) -> Alert {
        Alert {
            key: format!("{subject}/{title}"),
            title: title.into(),
            body: String::new(),
            url: None,
            urgency: Urgency::Normal,
            kind,
            subject: subject.into(),
            ends,
        }
    }

    fn titles(a: &[Alert]) -> Vec<&str> {
        a.iter().map(|a| a.title.as_str()).collect()
    }

    /// Feed `timeline` (second, notice) on a virtual clock ticking every `tick` seconds up to
    /// `until`, the ledger through its JSON at every tick (a restart each time); what is shown,
    /// and when.
    fn replay(
        policy: &Policy,
        ledger: &mut AlertLedger,
        timeline: &[(i64, Alert)],
        tick: i64,
        until: i64,
    ) -> Vec<(i64, String)> {
        let mut said = Vec::new();
        for now in (0..=until).step_by(tick as usize) {
            *ledger = serde_json::from_str(&serde_json::to_string(&ledger).unwrap()).unwrap();
            let incoming: Vec<Alert> = timeline
                .iter()
                .filter(|(at, _)| (now - tick < *at || now == 0) && *at <= now)
                .map(|(_, a)| a.clone())
                .collect();
            for a in policy.step(ledger, incoming, t(now), chrono_tz::UTC) {
                said.push((now, a.title));
            }
        }
        said
    }

    #[test]
    fn a_burst_is_one_notification_and_more_of_its_kind_wait_for_the_group() {
        let policy = Policy::default();
        let mut ledger = AlertLedger::new();
        let burst =
            ["A", "B", "C"].map(|n| notice(Kind::Incident, n, &format!("Incident {n}"), false));
        let shown = policy.step(&mut ledger, burst.to_vec(), t(0), chrono_tz::UTC);
        assert_eq!(titles(&shown), ["Claude status: 3 notices"]);
        assert_eq!(shown[0].body, "• Incident A\n• Incident B\n• Incident C");
        // Another kind is not held by it; the same kind waits for the group's end.
        let limit = notice(Kind::Limit, "limit:session", "Session limit at 81%", false);
        assert_eq!(
            policy
                .step(&mut ledger, vec![limit], t(5), chrono_tz::UTC)
                .len(),
            1
        );
        let d = notice(Kind::Incident, "D", "Incident D", false);
        assert!(policy
            .step(&mut ledger, vec![d], t(5), chrono_tz::UTC)
            .is_empty());
        assert_eq!(policy.next_due(&ledger, t(5), chrono_tz::UTC), Some(t(20)));
        assert!(policy
            .step(&mut ledger, vec![], t(19), chrono_tz::UTC)
            .is_empty());
        let shown = policy.step(&mut ledger, vec![], t(20), chrono_tz::UTC);
        assert_eq!(titles(&shown), ["Incident D"]);
        assert_eq!(policy.next_due(&ledger, t(20), chrono_tz::UTC), None);
        // A critical notice does not wait, and takes what waits of its kind along.
        let e = notice(Kind::Incident, "E", "Incident E", false);
        assert!(policy
            .step(&mut ledger, vec![e], t(25), chrono_tz::UTC)
            .is_empty());
        let mut f = notice(Kind::Incident, "F", "Major outage F", false);
        f.urgency = Urgency::Critical;
        let shown = policy.step(&mut ledger, vec![f], t(26), chrono_tz::UTC);
        assert_eq!(titles(&shown), ["Claude status: 2 notices"]);
        assert_eq!(shown[0].urgency, Urgency::Critical);
        assert!(ledger.waiting.is_empty());
    }

    #[test]
    fn a_flapping_component_is_told_at_most_twice_per_repeat_interval() {
        // Degraded and operational in turn, a minute each, for an hour.
        let timeline: Vec<(i64, Alert)> = (0..60)
            .map(|m| {
                let ends = m % 2 == 1;
                let title = if ends {
                    "API: Operational"
                } else {
                    "API: Degraded"
                };
                (
                    m * 60,
                    notice(Kind::Component, "component/api", title, ends),
                )
            })
            .collect();
        let policy = Policy::default();
        let said = replay(&policy, &mut AlertLedger::new(), &timeline, 10, 3600);
        // At 0 and 60 s. Then each new degradation waits until 15 minutes after the last one
        // told, and is dropped with its end when that comes first: the first one still so when
        // the interval is over (at 960 s) is told, and its end.
        let want: Vec<(i64, String)> = [0, 60, 960, 1020, 1920, 1980, 2880, 2940]
            .iter()
            .map(|s| {
                let title = if s % 120 == 0 {
                    "API: Degraded"
                } else {
                    "API: Operational"
                };
                (*s, title.to_string())
            })
            .collect();
        assert_eq!(said, want);
        // Without the interval it would have been 60 notifications.
        let eager = Policy {
            repeat: Duration::zero(),
            ..Policy::default()
        };
        let said = replay(&eager, &mut AlertLedger::new(), &timeline, 10, 3600);
        assert_eq!(said.len(), 60);
    }

    #[test]
    fn pause_holds_back_and_tells_only_what_is_still_so() {
        let policy = Policy::default();
        let mut ledger = AlertLedger {
            paused_until: Some(t(3600)),
            ..AlertLedger::new()
        };
        let timeline = [
            (
                600,
                notice(Kind::Incident, "incident/1", "Incident one", false),
            ),
            (
                1200,
                notice(Kind::Incident, "incident/1", "Resolved: one", true),
            ),
            (
                1800,
                notice(Kind::Incident, "incident/2", "Incident two", false),
            ),
            (2400, notice(Kind::Overload, "wave", "Overloaded", false)),
            (
                2500,
                notice(Kind::Limit, "limit:session", "Session at 81%", false),
            ),
            (
                2600,
                notice(Kind::Limit, "limit:session", "Session at 96%", false),
            ),
        ];
        assert_eq!(
            policy.gate(&ledger, t(10), chrono_tz::UTC),
            Some(Gate::Paused(t(3600)))
        );
        let said = replay(&policy, &mut ledger, &timeline, 60, 3660);
        // Incident one began and ended unseen: nothing. The rest, once each, when the pause
        // ends: one notification per kind, the latest of each subject.
        assert_eq!(
            said,
            [
                (3600, "Incident two".to_string()),
                (3600, "Overloaded".to_string()),
                (3600, "Session at 96%".to_string()),
            ]
        );
        assert_eq!(ledger.paused_until, None);
    }

    #[test]
    fn quiet_hours_hold_back_until_they_end_in_the_local_zone() {
        let q = QuietHours::parse("22:00-07:00").unwrap();
        let vienna: Tz = "Europe/Vienna".parse().unwrap();
        let policy = Policy {
            quiet_hours: Some(q),
            ..Policy::default()
        };
        let mut ledger = AlertLedger::new();
        // 23:30 in Vienna (UTC+1 in November).
        let night = DateTime::parse_from_rfc3339("2026-11-25T22:30:00Z")
            .unwrap()
            .to_utc();
        let wave = notice(Kind::Overload, "wave", "Overloaded", false);
        assert!(policy
            .step(&mut ledger, vec![wave], night, vienna)
            .is_empty());
        let morning = DateTime::parse_from_rfc3339("2026-11-26T06:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(policy.next_due(&ledger, night, vienna), Some(morning));
        assert!(policy
            .step(&mut ledger, vec![], morning - Duration::seconds(1), vienna)
            .is_empty());
        assert_eq!(
            titles(&policy.step(&mut ledger, vec![], morning, vienna)),
            ["Overloaded"]
        );
        // A span within one day, and the night of a DST change (quiet until 02:30, a time
        // that does not exist on 29 March in Vienna: it ends at 03:00).
        let day = QuietHours::parse("12:00-13:30").unwrap();
        assert!(day.contains(NaiveTime::from_hms_opt(12, 0, 0).unwrap()));
        assert!(!day.contains(NaiveTime::from_hms_opt(13, 30, 0).unwrap()));
        let short = QuietHours::parse("01:00-02:30").unwrap();
        let at = DateTime::parse_from_rfc3339("2026-03-29T00:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            short.ends_after(at, vienna),
            Some(
                DateTime::parse_from_rfc3339("2026-03-29T01:00:00Z")
                    .unwrap()
                    .to_utc()
            )
        );
    }

    #[test]
    fn switched_off_kinds_and_notifications_off_drop_without_holding() {
        let policy = Policy {
            muted: vec![Kind::Component],
            ..Policy::default()
        };
        let mut ledger = AlertLedger::new();
        let c = notice(Kind::Component, "component/api", "API: Degraded", false);
        let w = notice(Kind::Overload, "wave", "Overloaded", false);
        let shown = policy.step(
            &mut ledger,
            vec![c.clone(), w.clone()],
            t(0),
            chrono_tz::UTC,
        );
        assert_eq!(titles(&shown), ["Overloaded"]);
        assert!(ledger.waiting.is_empty());
        let off = Policy {
            enabled: false,
            ..Policy::default()
        };
        let mut ledger = AlertLedger::new();
        assert!(off
            .step(&mut ledger, vec![c, w], t(0), chrono_tz::UTC)
            .is_empty());
        assert!(ledger.waiting.is_empty());
    }

    #[test]
    fn a_version_1_ledger_loads_with_its_keys() {
        let v1 = r#"{"version":1,"seen":{"incident/x/closed":"2026-11-20T10:00:00Z"}}"#;
        let l: AlertLedger = serde_json::from_str(v1).unwrap();
        assert!(l.contains("incident/x/closed"));
        assert!(l.waiting.is_empty() && l.paused_until.is_none());
    }
}
