//! The planners: from what was observed to the notifications it is worth, each at most once
//! (its key recorded in the [`AlertLedger`](crate::alert::AlertLedger)): [`status`] for the
//! status page, [`limits`] for the plan's windows, [`forecast`] for a window that fills before
//! its reset at the current pace, [`overload`] for 529 waves. What they plan
//! goes through `policy` before anything is shown. And [`next_wake`]: when something planned
//! here can change without anything being observed.

pub mod forecast;
pub mod limits;
pub mod overload;
pub mod status;

use chrono::{DateTime, Duration, Utc};

use crate::limits::Limits;
use crate::overload::{Overload, WaveRules};

/// Look again at least this often: figures age, quiet hours begin on the wall clock.
pub const AT_LEAST_EVERY: Duration = Duration::seconds(60);
/// Never sooner than this after the last look.
const AT_MOST_EVERY: Duration = Duration::milliseconds(50);

/// What can come due on its own.
pub struct Due<'a> {
    /// The next attempt the OAuth usage endpoint's schedule allows.
    pub oauth_attempt: Option<DateTime<Utc>>,
    /// Each window resets at its time.
    pub limits: &'a Limits,
    /// A wave ends a quiet spell after its last error.
    pub overload: &'a Overload,
    pub rules: &'a WaveRules,
    /// What the policy holds back comes out then (a group's end, quiet hours' end).
    pub held: Option<DateTime<Utc>>,
    /// A pause ends.
    pub paused_until: Option<DateTime<Utc>>,
}

/// When to look again: the first of those still to come, within [50 ms, 60 s] from `now`.
pub fn next_wake(due: &Due, now: DateTime<Utc>) -> DateTime<Utc> {
    let resets = due
        .limits
        .windows()
        .into_iter()
        .filter_map(|(_, w)| w.resets_at);
    let wave_end = due
        .overload
        .wave
        .iter()
        .filter(|w| w.ended_at.is_none())
        .map(|w| w.last_error_at + due.rules.quiet + Duration::seconds(1));
    let first = due
        .oauth_attempt
        .into_iter()
        .chain(resets)
        .chain(wave_end)
        .chain(due.held)
        .chain(due.paused_until)
        .filter(|at| *at > now)
        .min()
        .unwrap_or(now + AT_LEAST_EVERY);
    first.clamp(now + AT_MOST_EVERY, now + AT_LEAST_EVERY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{Source, Window};
    use crate::overload::Wave;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn the_first_thing_to_come_wakes_within_bounds() {
        let now = at(0);
        let rules = WaveRules::default();
        let window = |resets| Window {
            used_percent: 50.0,
            resets_at: Some(resets),
            source: Source::Oauth,
            as_of: now,
        };
        let mut limits = Limits::default();
        let mut overload = Overload::default();
        let due = |limits: &Limits, overload: &Overload, oauth, held, paused| {
            next_wake(
                &Due {
                    oauth_attempt: oauth,
                    limits,
                    overload,
                    rules: &rules,
                    held,
                    paused_until: paused,
                },
                now,
            )
        };
        // Nothing: a minute.
        assert_eq!(due(&limits, &overload, None, None, None), at(60));
        // Past times do not count (a reset already passed).
        limits.session = Some(window(at(-5)));
        assert_eq!(due(&limits, &overload, None, None, None), at(60));
        limits.weekly = Some(window(at(40)));
        assert_eq!(due(&limits, &overload, Some(at(50)), None, None), at(40));
        assert_eq!(due(&limits, &overload, Some(at(30)), None, None), at(30));
        // A wave without errors for its quiet spell ends then (and a second later, it is over).
        overload.wave = Some(Wave {
            started_at: at(-600),
            last_error_at: at(-rules.quiet.num_seconds() + 10),
            ended_at: None,
        });
        assert_eq!(due(&limits, &overload, None, None, None), at(11));
        // The policy's held notices and a pause's end.
        assert_eq!(
            due(&limits, &overload, None, Some(at(3)), Some(at(2))),
            at(2)
        );
        // Never sooner than 50 ms, never later than a minute.
        let soon = now + Duration::milliseconds(1);
        assert_eq!(
            due(&limits, &overload, Some(soon), None, None),
            now + Duration::milliseconds(50)
        );
        limits = Limits::default();
        overload = Overload::default();
        assert_eq!(due(&limits, &overload, Some(at(3600)), None, None), at(60));
    }
}
