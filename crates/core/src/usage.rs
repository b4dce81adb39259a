//! Usage entries from transcripts: deduplication and the reports (daily, weekly, monthly,
//! session, 5-hour blocks), with the same results and JSON layout as ccusage 20
//! (docs/ccusage-reference.md §3, §4, §6, §8).
//!
//! This module holds what every part shares: an [`Entry`], the [`Models`] table and the id
//! hashes. `dedupe` keeps one copy of each response; `sums` adds entries into a row; `dates`
//! turns times into local dates; `periods`, `sessions` and `blocks` are the reports. Everything is re-exported here, so callers name `usage::Dedupe`, `usage::daily`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use chrono::{DateTime, Utc};

use crate::pricing::{self, Billable, Price};

mod blocks;
mod dates;
mod dedupe;
mod periods;
mod sessions;
mod sums;

pub use blocks::{
    blocks, Block, BlockCost, BlockOptions, BlocksReport, BurnRate, Projection, TokenCounts,
    TokenLimitStatus,
};
pub use dates::Range;
pub use dedupe::{Dedupe, DedupeState, OutOfOrder, Path};
pub use periods::{
    daily, monthly, weekly, DailyReport, DailyRow, MonthRow, MonthlyReport, WeekRow, WeeklyReport,
};
pub use sessions::{sessions, SessionFile, SessionReport, SessionRow};
pub use sums::{ModelBreakdown, Sums, Totals};

/// Identifiers (message id, request id, session) are kept as 64-bit hashes: a history of
/// millions of lines then fits in little memory, and equal ids still compare equal. Keys combine
/// two of them (128 bits), so a false match is out of reach in practice.
pub type IdHash = u64;

/// Index of a model name in [`Models`].
pub type ModelId = u16;

/// The model names seen, each with its price (looked up once, when first asked: a reader's
/// table of the names in one file never needs them).
#[derive(Debug, Clone, Default)]
pub struct Models {
    names: Vec<String>,
    /// `<name>-fast`, how reports show fast-mode use; made once, not per entry.
    fast_names: Vec<String>,
    prices: Vec<std::sync::OnceLock<Option<Price>>>,
}

impl Models {
    pub fn id(&mut self, name: &str) -> ModelId {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return i as ModelId;
        }
        self.names.push(name.to_string());
        self.fast_names.push(format!("{name}-fast"));
        self.prices.push(std::sync::OnceLock::new());
        (self.names.len() - 1) as ModelId
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Every name, in id order (what the usage index's format writes; [`Models::id`] in the
    /// same order reads them back to the same ids).
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.names.iter().map(String::as_str)
    }

    pub fn name(&self, id: ModelId) -> &str {
        &self.names[id as usize]
    }

    pub fn price(&self, id: ModelId) -> Option<&Price> {
        self.prices[id as usize]
            .get_or_init(|| pricing::find(&self.names[id as usize]))
            .as_ref()
    }
}

/// One API response as a transcript line records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub message_id: Option<IdHash>,
    pub request_id: Option<IdHash>,
    /// The `sessionId` field, else the session the file path names.
    pub session: IdHash,
    /// `message.model` as written (`None` for a missing or `<synthetic>` model).
    pub model: Option<ModelId>,
    /// The file it was read from, as an index into the reader's [`SessionFile`] table.
    pub file: u32,
    /// Its place among the entries of its file (0, 1, ...): with `file`, where it was read.
    pub seq: u32,
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
    pub fn cost(&self, models: &Models) -> f64 {
        self.cost_usd.unwrap_or_else(|| {
            self.model
                .and_then(|m| models.price(m))
                .map_or(0.0, |p| pricing::cost(p, &self.tokens, self.fast))
        })
    }

    /// The name reports show: the model, with `-fast` for fast mode.
    pub fn display_model<'m>(&self, models: &'m Models) -> Option<&'m str> {
        self.model.map(|m| {
            let names = if self.fast {
                &models.fast_names
            } else {
                &models.names
            };
            names[m as usize].as_str()
        })
    }
}

/// A hasher for keys that are already hashes ([`IdHash`]): mixing them is enough.
#[derive(Default)]
pub struct Mix(u64);

impl Hasher for Mix {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_i32(&mut self, n: i32) {
        self.write_u64(n as u64);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by [`IdHash`]es (or tuples of them), hashed with [`Mix`]: the key maps of
/// [`Dedupe`].
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<Mix>>;

/// Entries for the tests of the deduplication and the reports.
#[cfg(test)]
mod testing {
    use super::*;

    /// Test ids: distinct short names give distinct sums.
    pub(super) fn h(s: &str) -> IdHash {
        s.bytes().map(IdHash::from).sum()
    }

    pub(super) fn entry(
        msg: &str,
        req: Option<&str>,
        session: &str,
        at: &str,
        output: u64,
        sidechain: bool,
    ) -> Entry {
        Entry {
            at: DateTime::parse_from_rfc3339(at).unwrap().to_utc(),
            message_id: Some(h(msg)),
            request_id: req.map(h),
            session: h(session),
            model: Some(0),
            file: 0,
            seq: 0,
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
}
