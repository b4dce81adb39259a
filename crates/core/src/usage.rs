//! Usage entries from transcripts: deduplication and the daily report, with the same results and
//! JSON layout as ccusage 20 (docs/ccusage-reference.md §3, §4, §6, §8).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::pricing::{self, Billable};

/// One API response as a transcript line records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub message_id: Option<String>,
    pub request_id: Option<String>,
    /// The `sessionId` field, else the session the file path names.
    pub session: String,
    /// `message.model` as written (`None` for a missing or `<synthetic>` model).
    pub model: Option<String>,
    pub tokens: Billable,
    pub sidechain: bool,
    /// `speed` was written (`standard` or `fast`).
    pub has_speed: bool,
    pub fast: bool,
    /// `costUSD` as written by old Claude Code versions.
    pub cost_usd: Option<f64>,
}

impl Entry {
    /// input + output + cache writes + cache reads.
    pub fn total_tokens(&self) -> u64 {
        let t = &self.tokens;
        t.input + t.output + t.cache_write_5m + t.cache_write_1h + t.cache_read
    }

    /// The written `costUSD`, else the cost from the price table (0 for unknown models).
    pub fn cost(&self) -> f64 {
        self.cost_usd.unwrap_or_else(|| {
            self.model
                .as_deref()
                .and_then(pricing::find)
                .map_or(0.0, |p| pricing::cost(&p, &self.tokens, self.fast))
        })
    }

    /// The name reports show: the model, with `-fast` for fast mode.
    pub fn display_model(&self) -> Option<String> {
        self.model.as_ref().map(|m| {
            if self.fast {
                format!("{m}-fast")
            } else {
                m.clone()
            }
        })
    }
}

/// Keep `candidate` over `kept`? A non-sidechain copy wins, then more tokens, then a higher cost,
/// then the copy that says its speed; otherwise the first one stays.
fn better(candidate: &Entry, kept: &Entry) -> bool {
    if candidate.sidechain != kept.sidechain {
        return kept.sidechain;
    }
    let (c, k) = (candidate.total_tokens(), kept.total_tokens());
    if c != k {
        return c > k;
    }
    let (c, k) = (candidate.cost(), kept.cost());
    if c != k {
        return c > k;
    }
    candidate.has_speed && !kept.has_speed
}

/// The daily report's deduplication, over entries in file-path then line order. One response is
/// often written several times (streamed copies, resumed sessions, subagent replays); each is
/// counted once.
pub fn dedupe(entries: impl IntoIterator<Item = Entry>) -> Vec<Entry> {
    let mut kept: Vec<Entry> = Vec::new();
    let mut by_request: HashMap<(String, String), usize> = HashMap::new();
    let mut by_time: HashMap<(String, String, DateTime<Utc>), usize> = HashMap::new();
    let mut by_session: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for e in entries {
        let Some(msg) = e.message_id.clone() else {
            kept.push(e);
            continue;
        };
        let exact = match &e.request_id {
            Some(req) => by_request.get(&(msg.clone(), req.clone())).copied(),
            None => by_time
                .get(&(msg.clone(), e.session.clone(), e.at))
                .copied(),
        };
        // A subagent replaying a message of its session under a new request id.
        let found = exact.or_else(|| {
            by_session
                .get(&(msg.clone(), e.session.clone()))
                .and_then(|slots| {
                    slots
                        .iter()
                        .copied()
                        .find(|&i| e.sidechain || kept[i].sidechain)
                })
        });
        let slot = match found {
            Some(i) if better(&e, &kept[i]) => {
                kept[i] = e;
                i
            }
            Some(_) => continue,
            None => {
                kept.push(e);
                kept.len() - 1
            }
        };
        let e = &kept[slot];
        match &e.request_id {
            Some(req) => {
                by_request.entry((msg.clone(), req.clone())).or_insert(slot);
            }
            None => {
                by_time
                    .entry((msg.clone(), e.session.clone(), e.at))
                    .or_insert(slot);
            }
        }
        let slots = by_session.entry((msg, e.session.clone())).or_default();
        if !slots.contains(&slot) {
            slots.push(slot);
        }
    }
    kept
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelBreakdown {
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    pub cost: f64,
    pub input_tokens: u64,
    pub model_name: String,
    pub output_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyRow {
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    pub date: String,
    pub input_tokens: u64,
    pub model_breakdowns: Vec<ModelBreakdown>,
    pub models_used: Vec<String>,
    pub output_tokens: u64,
    pub total_cost: f64,
    pub total_tokens: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_cost: f64,
    pub total_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyReport {
    pub daily: Vec<DailyRow>,
    pub totals: Totals,
}

/// Which days to report, inclusive, as local dates.
#[derive(Debug, Clone, Copy, Default)]
pub struct Range {
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

/// One row per local date in `zone`, oldest first; entries in dedupe order.
pub fn daily(entries: &[Entry], zone: Tz, range: Range) -> DailyReport {
    struct Acc {
        row: DailyRow,
        models: Vec<ModelBreakdown>,
    }
    let mut days: BTreeMap<NaiveDate, Acc> = BTreeMap::new();
    for e in entries {
        let date = e.at.with_timezone(&zone).date_naive();
        if range.since.is_some_and(|s| date < s) || range.until.is_some_and(|u| date > u) {
            continue;
        }
        let acc = days.entry(date).or_insert_with(|| Acc {
            row: DailyRow {
                cache_creation_tokens: 0,
                cache_read_tokens: 0,
                date: date.format("%Y-%m-%d").to_string(),
                input_tokens: 0,
                model_breakdowns: Vec::new(),
                models_used: Vec::new(),
                output_tokens: 0,
                total_cost: 0.0,
                total_tokens: 0,
            },
            models: Vec::new(),
        });
        let t = &e.tokens;
        let cache_creation = t.cache_write_5m + t.cache_write_1h;
        let cost = e.cost();
        let row = &mut acc.row;
        row.input_tokens += t.input;
        row.output_tokens += t.output;
        row.cache_creation_tokens += cache_creation;
        row.cache_read_tokens += t.cache_read;
        row.total_tokens += e.total_tokens();
        row.total_cost += cost;
        if let Some(model) = e.display_model() {
            let b = match acc.models.iter_mut().position(|b| b.model_name == model) {
                Some(i) => &mut acc.models[i],
                None => {
                    row.models_used.push(model.clone());
                    acc.models.push(ModelBreakdown {
                        model_name: model,
                        ..Default::default()
                    });
                    acc.models.last_mut().expect("just pushed")
                }
            };
            b.input_tokens += t.input;
            b.output_tokens += t.output;
            b.cache_creation_tokens += cache_creation;
            b.cache_read_tokens += t.cache_read;
            b.cost += cost;
        }
    }
    let daily: Vec<DailyRow> = days
        .into_values()
        .map(|mut acc| {
            // Most expensive first; ties keep first-seen order (the sort is stable).
            acc.models.sort_by(|a, b| b.cost.total_cmp(&a.cost));
            acc.row.model_breakdowns = acc.models;
            acc.row
        })
        .collect();
    let totals = Totals {
        cache_creation_tokens: daily.iter().map(|d| d.cache_creation_tokens).sum(),
        cache_read_tokens: daily.iter().map(|d| d.cache_read_tokens).sum(),
        input_tokens: daily.iter().map(|d| d.input_tokens).sum(),
        output_tokens: daily.iter().map(|d| d.output_tokens).sum(),
        total_cost: daily.iter().map(|d| d.total_cost).sum(),
        total_tokens: daily.iter().map(|d| d.total_tokens).sum(),
    };
    DailyReport { daily, totals }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        msg: &str,
        req: Option<&str>,
        session: &str,
        at: &str,
        output: u64,
        sidechain: bool,
    ) -> Entry {
        Entry {
            at: DateTime::parse_from_rfc3339(at).unwrap().to_utc(),
            message_id: Some(msg.into()),
            request_id: req.map(Into::into),
            session: session.into(),
            model: Some("claude-sonnet-4-5".into()),
            tokens: Billable {
                input: 10,
                output,
                ..Default::default()
            },
            sidechain,
            has_speed: true,
            fast: false,
            cost_usd: None,
        }
    }

    const T: &str = "2026-11-24T10:00:00.000Z";
    const T2: &str = "2026-11-24T10:00:05.000Z";

    #[test]
    fn dedupe_cases() {
        // (entries, surviving (message, output) pairs)
        type Case = (Vec<Entry>, Vec<(&'static str, u64)>);
        let cases: Vec<Case> = vec![
            // streamed copies: one request, output growing: the largest stays
            (
                vec![
                    entry("m1", Some("r1"), "s", T, 5, false),
                    entry("m1", Some("r1"), "s", T2, 50, false),
                ],
                vec![("m1", 50)],
            ),
            // the same request in another session (a resumed session) is the same response
            (
                vec![
                    entry("m1", Some("r1"), "a", T, 5, false),
                    entry("m1", Some("r1"), "b", T, 5, false),
                ],
                vec![("m1", 5)],
            ),
            // a subagent replay of a parent message under a new request id: the parent's copy wins
            (
                vec![
                    entry("m1", Some("r2"), "s", T, 99, true),
                    entry("m1", Some("r1"), "s", T, 5, false),
                ],
                vec![("m1", 5)],
            ),
            // two non-sidechain copies with different request ids both count
            (
                vec![
                    entry("m1", Some("r1"), "s", T, 5, false),
                    entry("m1", Some("r2"), "s", T, 7, false),
                ],
                vec![("m1", 5), ("m1", 7)],
            ),
            // a replay in another session is not dropped
            (
                vec![
                    entry("m1", Some("r1"), "a", T, 5, false),
                    entry("m1", Some("r2"), "b", T, 7, true),
                ],
                vec![("m1", 5), ("m1", 7)],
            ),
            // without a request id: same session and same time collapse, another time does not
            (
                vec![
                    entry("m1", None, "s", T, 5, false),
                    entry("m1", None, "s", T, 9, false),
                    entry("m1", None, "s", T2, 9, false),
                ],
                vec![("m1", 9), ("m1", 9)],
            ),
        ];
        for (n, (input, want)) in cases.into_iter().enumerate() {
            let got: Vec<(String, u64)> = dedupe(input)
                .into_iter()
                .map(|e| (e.message_id.unwrap(), e.tokens.output))
                .collect();
            let want: Vec<(String, u64)> =
                want.into_iter().map(|(m, o)| (m.to_string(), o)).collect();
            assert_eq!(got, want, "case {n}");
        }
    }

    #[test]
    fn daily_rows_in_a_zone() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let mut fast = entry("m2", Some("r2"), "s", "2026-11-24T16:00:00Z", 1000, false);
        fast.model = Some("claude-opus-4-6".into());
        fast.fast = true;
        let entries = vec![
            entry("m1", Some("r1"), "s", "2026-11-24T14:59:59Z", 100, false),
            fast,
        ];
        let r = daily(&entries, tokyo, Range::default());
        let dates: Vec<&str> = r.daily.iter().map(|d| d.date.as_str()).collect();
        assert_eq!(dates, ["2026-11-24", "2026-11-25"]);
        assert_eq!(r.daily[1].models_used, ["claude-opus-4-6-fast"]);
        assert_eq!(
            r.daily[1].total_cost,
            (10.0 * 5e-06 + 1000.0 * 2.5e-05) * 6.0
        );
        assert_eq!(r.totals.total_tokens, 110 + 1010);
        let only = daily(
            &entries,
            tokyo,
            Range {
                since: NaiveDate::from_ymd_opt(2026, 11, 25),
                until: None,
            },
        );
        assert_eq!(only.daily.len(), 1);
    }
}
