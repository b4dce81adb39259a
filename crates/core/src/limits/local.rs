//! Local evidence in the limits: a limit hit in the transcripts fills its window until the
//! reset, or until a later reply in that window succeeded; between figures, the session window is carried forward by what was spent locally
//! since the latest figure, scaled by that figure (percent per USD of local spend in its
//! window), into the next window too; and the projection takes the local pace of the last 30
//! minutes, else the window's average.

use chrono::{DateTime, Duration, Timelike, Utc};
use serde::Serialize;

use super::{
    merge, Limits, ModelReading, Observed, Reading, Source, SpendReading, Window, WindowId,
};
use crate::signals::{LimitHit, LimitKind};

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
    /// The window's own readings of the last hour (`forecast`).
    Readings,
}

/// The window a limit hit names. The old message form names none: a reset within 5 hours is
/// the session's, any other the week's. A kind named only in words ("your Fable limit") is a
/// weekly cap by that name when Claude Code's names do not know it.
fn hit_window(h: &LimitHit) -> Option<WindowId> {
    let session_like = h.resets_at.is_some_and(|r| r - h.at <= SESSION);
    Some(match &h.kind {
        LimitKind::Session => WindowId::Session,
        LimitKind::Unspecified if session_like => WindowId::Session,
        LimitKind::Weekly | LimitKind::Unspecified => WindowId::Weekly,
        LimitKind::Opus => WindowId::Model("Opus".into()),
        LimitKind::Sonnet => WindowId::Model("Sonnet".into()),
        LimitKind::Other(name) => {
            let words = name.trim();
            match WindowId::from_client(words) {
                Some(id) => id,
                None if words.contains("credit") || words.contains("extra usage") => {
                    WindowId::Credits
                }
                None if words.contains("spend") => WindowId::Spend(None),
                None => return None,
            }
        }
    })
}

/// Whether a reply succeeded after the hit and before its reset: then the window was not full
/// any more (a reset earlier than the message said, credits bought, a cap raised), and the
/// hit stops counting. A weekly cap of one model is left alone: a reply does not say which
/// model answered it.
fn answered(h: &LimitHit, id: &WindowId, replies: &[(DateTime<Utc>, f64)]) -> bool {
    !matches!(id, WindowId::Model(_))
        && replies
            .iter()
            .any(|(at, _)| *at > h.at && h.resets_at.is_none_or(|r| *at < r))
}

/// One observation per limit hit: the window it names is full until its reset, or until a
/// later reply in the same window succeeded.
fn hit_observations(local: &Local) -> Vec<Observed> {
    local
        .hits
        .iter()
        .filter_map(|h| {
            let id = hit_window(h)?;
            if answered(h, &id, local.spend) {
                return None;
            }
            let full = Reading {
                used_percent: 100.0,
                resets_at: h.resets_at,
            };
            let mut o = Observed::empty(Source::Local, h.at);
            match id {
                WindowId::Session => o.session = Some(full),
                WindowId::Weekly => o.weekly = Some(full),
                WindowId::Model(model) => o.models.push(ModelReading {
                    model,
                    reading: full,
                }),
                WindowId::Spend(period) => {
                    o.spend = Some(Box::new(SpendReading {
                        reading: full,
                        used_usd: None,
                        limit_usd: None,
                        period,
                    }))
                }
                WindowId::Credits => o.credits = Some(full),
            }
            Some(o)
        })
        .collect()
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
        session: Some(Reading {
            used_percent: base.1 + per_usd * local.spent(base.0, now),
            resets_at: Some(resets),
        }),
        ..Observed::empty(Source::Local, last)
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
    all.extend(hit_observations(&local));
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
    use crate::limits::Source;
    use crate::test_support::{observed, utc};

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

    fn hit(kind: LimitKind, at: &str, resets: &str) -> LimitHit {
        LimitHit {
            at: utc(at),
            kind,
            resets_at: Some(utc(resets)),
            session_id: None,
        }
    }

    #[test]
    fn a_later_reply_in_the_window_ends_the_hit() {
        let hits = [
            hit(
                LimitKind::Session,
                "2026-11-25T10:00:00Z",
                "2026-11-25T12:00:00Z",
            ),
            hit(
                LimitKind::Opus,
                "2026-11-25T10:00:00Z",
                "2026-11-28T00:00:00Z",
            ),
        ];
        let now = utc("2026-11-25T11:00:00Z");
        // A reply before the hit, and one after the window's reset, change nothing.
        let outside = [
            (utc("2026-11-25T09:59:00Z"), 0.5),
            (utc("2026-11-25T12:00:00Z"), 0.5),
        ];
        let l = merge_with_local(
            &[],
            Local {
                hits: &hits,
                spend: &outside,
            },
            vec![],
            now,
        );
        assert_eq!(l.session.unwrap().used_percent, 100.0);
        // A reply after the hit, in its window: the session was not full any more.
        let after = [(utc("2026-11-25T10:20:00Z"), 0.0)];
        let l = merge_with_local(
            &[],
            Local {
                hits: &hits,
                spend: &after,
            },
            vec![],
            now,
        );
        assert_eq!(l.session, None, "the hit's 100% is gone");
        // A reply says nothing of which model answered: the Opus cap stays.
        assert_eq!(l.models[0].window.used_percent, 100.0);
        // A figure older than the hit comes back once the hit stops counting.
        let figure = statusline_at("2026-11-25T09:00:00Z", 70.0, "2026-11-25T12:00:00Z");
        let l = merge_with_local(
            &[figure],
            Local {
                hits: &hits,
                spend: &after,
            },
            vec![],
            now,
        );
        assert_eq!(l.session.unwrap().used_percent, 70.0);
    }

    #[test]
    fn hits_by_other_names_fill_their_windows() {
        let hits = [
            hit(
                LimitKind::Other("seven_day_overage_included".into()),
                "2026-11-25T10:00:00Z",
                "2026-11-28T00:00:00Z",
            ),
            hit(
                LimitKind::Other("overage".into()),
                "2026-11-25T10:00:00Z",
                "2026-12-01T00:00:00Z",
            ),
            hit(
                LimitKind::Other("spend_limit".into()),
                "2026-11-25T10:00:00Z",
                "2026-12-01T00:00:00Z",
            ),
            // Words Claude Code's names do not know are left out.
            hit(
                LimitKind::Other("mystery".into()),
                "2026-11-25T10:00:00Z",
                "2026-12-01T00:00:00Z",
            ),
        ];
        let l = merge_with_local(
            &[],
            Local {
                hits: &hits,
                spend: &[],
            },
            vec![],
            utc("2026-11-25T11:00:00Z"),
        );
        let full: Vec<(String, f64)> = l
            .windows()
            .iter()
            .map(|(id, w)| (id.key(), w.used_percent))
            .collect();
        assert_eq!(
            full,
            [
                ("model:Fable".to_string(), 100.0),
                ("spend".to_string(), 100.0),
                ("credits".to_string(), 100.0),
            ]
        );
    }
}
