//! The session report: one row per session, its transcript and subagent files together.

use std::borrow::Borrow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::dates::{LocalDates, Range};
use super::sums::{totals_of, Sums, Totals};
use super::{Entry, Models};

/// The session a transcript file belongs to, as its path says: `<project>/<session>.jsonl` or
/// `<project>/<session>/subagents/<agent>.jsonl` (docs/ccusage-reference.md §6.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionFile {
    pub project_path: String,
    pub session_id: String,
}

impl SessionFile {
    /// From the path components after the first `projects` component.
    pub fn from_components(r: &[String]) -> Self {
        let joined = |parts: &[String]| {
            let j = parts.join("/");
            if j.is_empty() {
                "Unknown Project".to_string()
            } else {
                j
            }
        };
        let (session_id, project_path) = match r {
            [project, file] => (
                file.strip_suffix(".jsonl").unwrap_or(file).to_string(),
                project.clone(),
            ),
            [head @ .., session, sub, _] if sub == "subagents" && !head.is_empty() => {
                (session.clone(), joined(head))
            }
            [head @ .., session, _] => (
                session.clone(),
                if head.is_empty() {
                    "Unknown Project".into()
                } else {
                    joined(head)
                },
            ),
            [only] => (only.clone(), "Unknown Project".to_string()),
            [] => ("unknown".to_string(), "Unknown Project".to_string()),
        };
        Self {
            project_path,
            session_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRow {
    pub first_activity: String,
    pub last_activity: String,
    pub project_path: String,
    pub session_id: String,
    #[serde(flatten)]
    pub sums: Sums,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionReport {
    pub sessions: Vec<SessionRow>,
    pub totals: Totals,
}

/// One row per session file (subagent files join their session), most expensive first; sessions
/// with no tokens are left out. `entries` come from the [`Path::Entries`] deduplication; the range
/// filters entries by their local date in `zone`.
pub fn sessions(
    entries: impl IntoIterator<Item = impl Borrow<Entry>>,
    models: &Models,
    files: &[SessionFile],
    zone: Tz,
    range: Range,
) -> SessionReport {
    struct Acc {
        sums: Sums,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
    }
    let mut order: Vec<&SessionFile> = Vec::new();
    let mut groups: HashMap<&SessionFile, Acc> = HashMap::new();
    let mut dates = LocalDates::new(zone);
    for e in entries {
        let e = e.borrow();
        let date = dates.date(e.at);
        if range.since.is_some_and(|s| date < s) || range.until.is_some_and(|u| date > u) {
            continue;
        }
        let key = &files[e.file as usize];
        let acc = groups.entry(key).or_insert_with(|| {
            order.push(key);
            Acc {
                sums: Sums::default(),
                first: e.at,
                last: e.at,
            }
        });
        acc.first = acc.first.min(e.at);
        acc.last = acc.last.max(e.at);
        acc.sums.add_entry(e, models);
    }
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut rows: Vec<SessionRow> = order
        .into_iter()
        .filter_map(|key| {
            let mut acc = groups.remove(key)?;
            (acc.sums.total_tokens > 0).then(|| {
                acc.sums.finish();
                SessionRow {
                    first_activity: stamp(acc.first),
                    last_activity: stamp(acc.last),
                    project_path: key.project_path.clone(),
                    session_id: key.session_id.clone(),
                    sums: acc.sums,
                }
            })
        })
        .collect();
    rows.sort_by(|a, b| b.sums.total_cost.total_cmp(&a.sums.total_cost));
    let totals = totals_of(rows.iter().map(|r| &r.sums));
    SessionReport {
        sessions: rows,
        totals,
    }
}
