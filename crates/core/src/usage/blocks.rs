//! The 5-hour block report: usage grouped the way ccusage estimates Claude's session windows,
//! with the active block's burn rate and projection.

use std::borrow::Borrow;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::dates::Range;
use super::{Entry, Models};

/// Options of the 5-hour block report.
#[derive(Debug, Clone, Copy)]
pub struct BlockOptions {
    /// Block length (5 hours: Claude's session window).
    pub length: chrono::Duration,
    /// Keep only the active block.
    pub active_only: bool,
    /// Keep blocks that started in the last 3 days, and the active one.
    pub recent_only: bool,
    /// Token limit for the projection's status; `Some(None)`: the largest finished block.
    pub token_limit: Option<Option<u64>>,
}

impl Default for BlockOptions {
    fn default() -> Self {
        Self {
            length: chrono::Duration::hours(5),
            active_only: false,
            recent_only: false,
            token_limit: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BurnRate {
    pub cost_per_hour: f64,
    pub tokens_per_minute: f64,
    pub tokens_per_minute_for_indicator: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Projection {
    pub remaining_minutes: i64,
    pub total_cost: f64,
    pub total_tokens: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenCounts {
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenLimitStatus {
    pub limit: u64,
    pub percent_used: f64,
    pub projected_usage: u64,
    pub status: &'static str,
}

/// A cost printed as an integer when it has no fraction, as the reference does for blocks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockCost(pub f64);

impl Serialize for BlockCost {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 {
            s.serialize_i64(v as i64)
        } else {
            s.serialize_f64(v)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Block {
    pub actual_end_time: Option<String>,
    pub burn_rate: Option<BurnRate>,
    #[serde(rename = "costUSD")]
    pub cost_usd: BlockCost,
    pub end_time: String,
    pub entries: usize,
    pub id: String,
    pub is_active: bool,
    pub is_gap: bool,
    pub models: Vec<String>,
    pub projection: Option<Projection>,
    pub start_time: String,
    pub token_counts: TokenCounts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_limit_status: Option<TokenLimitStatus>,
    pub total_tokens: u64,
    #[serde(skip)]
    start: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlocksReport {
    pub blocks: Vec<Block>,
}

fn millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn make_block(
    start: DateTime<Utc>,
    group: &[&Entry],
    models: &Models,
    o: &BlockOptions,
    now: DateTime<Utc>,
) -> Block {
    let end = start + o.length;
    let mut counts = TokenCounts::default();
    let mut cost = 0.0;
    let mut names: Vec<String> = Vec::new();
    for e in group {
        let t = &e.tokens;
        counts.input_tokens += t.input;
        counts.output_tokens += t.output;
        counts.cache_creation_input_tokens += t.cache_write_5m + t.cache_write_1h;
        counts.cache_read_input_tokens += t.cache_read;
        cost += e.cost(models);
        if let Some(m) = e.display_model(models) {
            if !names.iter().any(|n| n == m) {
                names.push(m.to_string());
            }
        }
    }
    let total = counts.input_tokens
        + counts.output_tokens
        + counts.cache_creation_input_tokens
        + counts.cache_read_input_tokens;
    let (first, last) = (group[0].at, group[group.len() - 1].at);
    let active = now - last < o.length && now < end;
    let minutes = (last - first).num_milliseconds() as f64 / 60_000.0;
    let burn = (active && last != first).then(|| BurnRate {
        tokens_per_minute: total as f64 / minutes,
        tokens_per_minute_for_indicator: (counts.input_tokens + counts.output_tokens) as f64
            / minutes,
        cost_per_hour: cost / minutes * 60.0,
    });
    let projection = burn.as_ref().map(|b| {
        let remaining = ((end - now).num_milliseconds() as f64 / 60_000.0).round() as i64;
        Projection {
            remaining_minutes: remaining,
            total_tokens: (total as f64 + b.tokens_per_minute * remaining as f64).round() as u64,
            total_cost: ((cost + b.cost_per_hour / 60.0 * remaining as f64) * 100.0).round()
                / 100.0,
        }
    });
    Block {
        actual_end_time: Some(millis(last)),
        burn_rate: burn,
        cost_usd: BlockCost(cost),
        end_time: millis(end),
        entries: group.len(),
        id: millis(start),
        is_active: active,
        is_gap: false,
        models: names,
        projection,
        start_time: millis(start),
        token_counts: counts,
        token_limit_status: None,
        total_tokens: total,
        start,
    }
}

fn gap(start: DateTime<Utc>, end: DateTime<Utc>) -> Block {
    Block {
        actual_end_time: None,
        burn_rate: None,
        cost_usd: BlockCost(0.0),
        end_time: millis(end),
        entries: 0,
        id: format!("gap-{}", millis(start)),
        is_active: false,
        is_gap: true,
        models: Vec::new(),
        projection: None,
        start_time: millis(start),
        token_counts: TokenCounts::default(),
        token_limit_status: None,
        total_tokens: 0,
        start,
    }
}

/// Usage in 5-hour blocks as ccusage estimates Claude's session windows: a block starts at the
/// UTC hour of its first entry and lasts 5 hours; an entry more than 5 hours after the block's
/// start or after the previous entry opens a new block (and, after a pause, a gap block).
/// `entries` come from the [`Path::Entries`] deduplication; `range` filters by the block's local
/// start date.
pub fn blocks(
    entries: impl IntoIterator<Item = impl Borrow<Entry>>,
    models: &Models,
    zone: Tz,
    range: Range,
    o: BlockOptions,
    now: DateTime<Utc>,
) -> BlocksReport {
    let all: Vec<Entry> = entries.into_iter().map(|e| e.borrow().clone()).collect();
    // By time, ties in dedupe order (a stable sort of indexes: entries are large to move).
    let mut by_time: Vec<u32> = (0..all.len() as u32).collect();
    by_time.sort_by_key(|&i| all[i as usize].at);
    let sorted = by_time.iter().map(|&i| &all[i as usize]);
    let hour_floor = |t: DateTime<Utc>| {
        let ms = t.timestamp_millis().div_euclid(3_600_000) * 3_600_000;
        DateTime::<Utc>::from_timestamp_millis(ms).expect("an hour boundary is a valid time")
    };
    let mut out = Vec::new();
    let mut start: Option<DateTime<Utc>> = None;
    let mut group: Vec<&Entry> = Vec::new();
    for e in sorted {
        match start {
            None => start = Some(hour_floor(e.at)),
            Some(s) => {
                let last = group[group.len() - 1].at;
                if e.at - s > o.length || e.at - last > o.length {
                    out.push(make_block(s, &group, models, &o, now));
                    if e.at - last > o.length {
                        out.push(gap(last + o.length, e.at));
                    }
                    start = Some(hour_floor(e.at));
                    group.clear();
                }
            }
        }
        group.push(e);
    }
    if let Some(s) = start {
        out.push(make_block(s, &group, models, &o, now));
    }
    out.retain(|b| {
        let date = b.start.with_timezone(&zone).date_naive();
        !(range.since.is_some_and(|s| date < s) || range.until.is_some_and(|u| date > u))
    });
    out.sort_by_key(|b| b.start);
    if o.recent_only {
        out.retain(|b| b.start >= now - chrono::Duration::days(3) || b.is_active);
    }
    if o.active_only {
        out.retain(|b| b.is_active);
    }
    if let Some(limit) = o.token_limit {
        let limit = limit.unwrap_or_else(|| {
            out.iter()
                .filter(|b| !b.is_gap && !b.is_active)
                .map(|b| b.total_tokens)
                .max()
                .unwrap_or(0)
        });
        if limit > 0 {
            for b in &mut out {
                if let Some(p) = &b.projection {
                    let projected = p.total_tokens;
                    let percent = projected as f64 / limit as f64 * 100.0;
                    let status = if projected > limit {
                        "exceeds"
                    } else if projected as f64 > 0.8 * limit as f64 {
                        "warning"
                    } else {
                        "ok"
                    };
                    b.token_limit_status = Some(TokenLimitStatus {
                        limit,
                        percent_used: percent,
                        projected_usage: projected,
                        status,
                    });
                }
            }
        }
    }
    BlocksReport { blocks: out }
}
