//! Usage entries from transcripts: deduplication and the daily report, with the same results and
//! JSON layout as ccusage 20 (docs/ccusage-reference.md §3, §4, §6, §8).

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

use crate::pricing::{self, Billable, Price};

pub mod codec;
pub mod store;

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

/// Keep `candidate` over `kept`? A non-sidechain copy wins, then more tokens, then a higher cost,
/// then the copy that says its speed; otherwise the first one stays.
fn better(candidate: &Entry, kept: &Entry, path: Path, models: &Models) -> bool {
    if candidate.sidechain != kept.sidechain {
        return kept.sidechain;
    }
    let (c, k) = (candidate.total_tokens(), kept.total_tokens());
    if c != k {
        return c > k;
    }
    if path == Path::Daily {
        let (c, k) = (candidate.cost(models), kept.cost(models));
        if c != k {
            return c > k;
        }
    }
    candidate.has_speed && !kept.has_speed
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

type Map<K, V> = HashMap<K, V, BuildHasherDefault<Mix>>;

/// The reference deduplicates slightly differently for the daily report than for the others
/// (docs/ccusage-reference.md §4); both are kept so each report matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Path {
    /// `daily`: copies without a request id must share their timestamp; sidechain replays need
    /// not; a higher cost breaks a tie.
    #[default]
    Daily,
    /// `weekly`, `monthly`, `session`, `blocks`: copies without a request id collapse whatever
    /// their time; sidechain replays must share their timestamp.
    Entries,
}

/// Deduplication, fed entries in file-path then line order. One response is
/// often written several times (streamed copies, resumed sessions, subagent replays); each is
/// counted once. Entries can be pushed as files are read, so the copies never pile up.
#[derive(Debug, Clone, Default)]
pub struct Dedupe {
    path: Path,
    /// Slots in the order they were made (a slot's index never changes: the maps point at it).
    kept: Vec<Entry>,
    /// Where each slot's first copy was read (file, seq): its place in the order reports read
    /// entries in. Slots pushed in file order are in that order; late ones need sorting.
    origin: Vec<(u32, u32)>,
    /// For each message id, the file its last copy came from. A late push is exact only when
    /// no copy of its message came from a file ordered after its own.
    last_file: Map<IdHash, u32>,
    by_request: Map<(IdHash, IdHash), usize>,
    /// Copies without a request id: (message, session, time) on the daily path; on the entries
    /// path the time is left out (`None`).
    by_time: Map<(IdHash, IdHash, Option<DateTime<Utc>>), usize>,
    /// (message, session) -> the first slot; later distinct slots of the same pair (rare) in
    /// `more_by_session`.
    by_session: Map<(IdHash, IdHash), usize>,
    more_by_session: Map<(IdHash, IdHash), Vec<usize>>,
}

impl Dedupe {
    pub fn new(path: Path) -> Self {
        Self {
            path,
            ..Self::default()
        }
    }

    /// Room for `n` entries, most of them different responses.
    pub fn with_capacity(path: Path, n: usize) -> Self {
        Self {
            path,
            kept: Vec::with_capacity(n),
            origin: Vec::with_capacity(n),
            last_file: Map::with_capacity_and_hasher(n, Default::default()),
            by_request: Map::with_capacity_and_hasher(n, Default::default()),
            by_session: Map::with_capacity_and_hasher(n, Default::default()),
            ..Self::default()
        }
    }

    fn time_key(&self, e: &Entry) -> Option<DateTime<Utc>> {
        (self.path == Path::Daily).then_some(e.at)
    }

    /// Add the next entry in file order, then line order. The slot it made or replaced, if any.
    pub fn push(&mut self, e: Entry, models: &Models) -> Option<usize> {
        let Some(msg) = e.message_id else {
            return Some(self.new_slot(e));
        };
        self.last_file.insert(msg, e.file);
        let exact = match e.request_id {
            Some(req) => self.by_request.get(&(msg, req)).copied(),
            None => self
                .by_time
                .get(&(msg, e.session, self.time_key(&e)))
                .copied(),
        };
        // A subagent replaying a message of its session under a new request id.
        let found = exact.or_else(|| {
            let key = (msg, e.session);
            let first = self.by_session.get(&key).copied();
            let more = self
                .more_by_session
                .get(&key)
                .into_iter()
                .flatten()
                .copied();
            first.into_iter().chain(more).find(|&i| {
                let k = &self.kept[i];
                (e.sidechain || k.sidechain) && (self.path == Path::Daily || k.at == e.at)
            })
        });
        let slot = match found {
            Some(i) if better(&e, &self.kept[i], self.path, models) => {
                self.kept[i] = e;
                i
            }
            Some(_) => return None,
            None => self.new_slot(e),
        };
        let e = &self.kept[slot];
        match e.request_id {
            Some(req) => {
                self.by_request.entry((msg, req)).or_insert(slot);
            }
            None => {
                let key = (msg, e.session, self.time_key(e));
                self.by_time.entry(key).or_insert(slot);
            }
        }
        let key = (msg, e.session);
        match self.by_session.get(&key) {
            None => {
                self.by_session.insert(key, slot);
            }
            Some(&first) if first != slot => {
                let more = self.more_by_session.entry(key).or_default();
                if !more.contains(&slot) {
                    more.push(slot);
                }
            }
            Some(_) => {}
        }
        Some(slot)
    }

    /// Add an entry read after entries of files ordered after its own (lines appended to a
    /// transcript since the last run). The result is what a run over every file in order gives,
    /// its slots sorted by where their first copy was read ([`Dedupe::placed`]), unless a copy of
    /// the same message was read from a file ordered after this one: then nothing is changed and
    /// only such a run can tell. `rank[file]` is a file's place in the order.
    pub fn push_late(
        &mut self,
        e: Entry,
        models: &Models,
        rank: &[u32],
    ) -> Result<Option<usize>, OutOfOrder> {
        let file_rank = |f: u32| rank.get(f as usize).copied().unwrap_or(u32::MAX);
        if let Some(msg) = e.message_id {
            if let Some(&last) = self.last_file.get(&msg) {
                if file_rank(last) > file_rank(e.file) {
                    return Err(OutOfOrder);
                }
            }
        }
        Ok(self.push(e, models))
    }

    fn new_slot(&mut self, e: Entry) -> usize {
        let slot = self.kept.len();
        self.origin.push((e.file, e.seq));
        self.kept.push(e);
        slot
    }

    /// A slot's entry and where its first copy was read (file, seq): where reports place it.
    pub fn slot(&self, slot: usize) -> (&Entry, (u32, u32)) {
        (&self.kept[slot], self.origin[slot])
    }

    /// Which deduplication this is.
    pub fn path(&self) -> Path {
        self.path
    }

    /// The surviving entries so far with where each is placed, in slot order (the order
    /// reports read them in when every push was in file order).
    pub fn placed(&self) -> impl Iterator<Item = (&Entry, (u32, u32))> + '_ {
        self.kept.iter().zip(self.origin.iter().copied())
    }

    /// The surviving entries so far, in slot order.
    pub fn kept(&self) -> impl ExactSizeIterator<Item = &Entry> + '_ {
        self.kept.iter()
    }

    /// The surviving entries, in slot order.
    pub fn finish(self) -> Vec<Entry> {
        self.kept
    }
}

/// A late entry whose message was also read from a file ordered after its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfOrder;

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
pub struct DailyRow {
    pub date: String,
    #[serde(flatten)]
    pub sums: Sums,
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

/// Local dates of times in one zone, remembered per quarter hour: consecutive entries of a
/// transcript mostly fall in the same one, and a zone lookup costs more than the rest of a
/// report's work per entry.
struct LocalDates {
    zone: Tz,
    /// The quarter hour (seconds since the epoch / 900) and its date, when the date is the same
    /// at both ends of it and the offset does not change within it.
    last: Option<(i64, NaiveDate)>,
}

impl LocalDates {
    fn new(zone: Tz) -> Self {
        Self { zone, last: None }
    }

    fn date(&mut self, at: DateTime<Utc>) -> NaiveDate {
        use chrono::{Offset, TimeZone};
        let quarter = at.timestamp().div_euclid(900);
        if let Some((q, date)) = self.last {
            if q == quarter {
                return date;
            }
        }
        let date = at.with_timezone(&self.zone).date_naive();
        let start = DateTime::<Utc>::from_timestamp(quarter * 900, 0);
        let end = DateTime::<Utc>::from_timestamp(quarter * 900 + 899, 0);
        if let (Some(start), Some(end)) = (start, end) {
            let offset =
                |t: DateTime<Utc>| self.zone.offset_from_utc_datetime(&t.naive_utc()).fix();
            let local = |t: DateTime<Utc>| t.with_timezone(&self.zone).date_naive();
            let steady = offset(start) == offset(end) && local(start) == local(end);
            self.last = steady.then_some((quarter, date));
        }
        date
    }
}

/// One row per local date in `zone`, oldest first; entries in dedupe order.
pub fn daily(
    entries: impl IntoIterator<Item = impl Borrow<Entry>>,
    models: &Models,
    zone: Tz,
    range: Range,
) -> DailyReport {
    let mut days: BTreeMap<NaiveDate, Sums> = BTreeMap::new();
    let mut dates = LocalDates::new(zone);
    for e in entries {
        let e = e.borrow();
        let date = dates.date(e.at);
        if range.since.is_some_and(|s| date < s) || range.until.is_some_and(|u| date > u) {
            continue;
        }
        days.entry(date).or_default().add_entry(e, models);
    }
    let daily: Vec<DailyRow> = days
        .into_iter()
        .map(|(date, mut sums)| {
            sums.finish();
            DailyRow {
                date: date.format("%Y-%m-%d").to_string(),
                sums,
            }
        })
        .collect();
    let totals = totals_of(daily.iter().map(|d| &d.sums));
    DailyReport { daily, totals }
}

/// Token and cost sums of a row (a day, week, month or session), in ccusage's layout.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sums {
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    pub input_tokens: u64,
    pub model_breakdowns: Vec<ModelBreakdown>,
    pub models_used: Vec<String>,
    pub output_tokens: u64,
    pub total_cost: f64,
    pub total_tokens: u64,
}

impl Sums {
    /// Add one entry; costs are summed in the order entries come, as the reference does.
    pub fn add_entry(&mut self, e: &Entry, models: &Models) {
        let t = &e.tokens;
        let cost = e.cost(models);
        self.total_tokens += e.total_tokens();
        self.total_cost += cost;
        let part = ModelBreakdown {
            cache_creation_tokens: t.cache_write_5m + t.cache_write_1h,
            cache_read_tokens: t.cache_read,
            cost,
            input_tokens: t.input,
            model_name: String::new(),
            output_tokens: t.output,
        };
        self.input_tokens += part.input_tokens;
        self.output_tokens += part.output_tokens;
        self.cache_creation_tokens += part.cache_creation_tokens;
        self.cache_read_tokens += part.cache_read_tokens;
        // An entry without a model counts in the row, but in no model's breakdown.
        if let Some(name) = e.display_model(models) {
            self.add_model(name, &part);
        }
    }

    /// Add a finished row (a day into its week or month).
    fn add_sums(&mut self, other: &Sums) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_creation_tokens += other.cache_creation_tokens;
        self.cache_read_tokens += other.cache_read_tokens;
        self.total_tokens += other.total_tokens;
        self.total_cost += other.total_cost;
        for m in &other.models_used {
            if !self.models_used.contains(m) {
                self.models_used.push(m.clone());
            }
        }
        for m in &other.model_breakdowns {
            self.add_model(&m.model_name, m);
        }
    }

    /// Merge `part` into `name`'s breakdown, creating it (and naming the model) on first sight.
    fn add_model(&mut self, name: &str, part: &ModelBreakdown) {
        match self
            .model_breakdowns
            .iter_mut()
            .find(|x| x.model_name == name)
        {
            Some(x) => {
                x.input_tokens += part.input_tokens;
                x.output_tokens += part.output_tokens;
                x.cache_creation_tokens += part.cache_creation_tokens;
                x.cache_read_tokens += part.cache_read_tokens;
                x.cost += part.cost;
            }
            None => {
                if !self.models_used.iter().any(|m| m == name) {
                    self.models_used.push(name.to_string());
                }
                self.model_breakdowns.push(ModelBreakdown {
                    model_name: name.to_string(),
                    ..part.clone()
                });
            }
        }
    }

    /// Most expensive model first; ties keep first-seen order (the sort is stable).
    fn finish(&mut self) {
        self.model_breakdowns
            .sort_by(|a, b| b.cost.total_cmp(&a.cost));
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekRow {
    /// The first day of the week, `YYYY-MM-DD`.
    pub week: String,
    #[serde(flatten)]
    pub sums: Sums,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthRow {
    /// `YYYY-MM`.
    pub month: String,
    #[serde(flatten)]
    pub sums: Sums,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyReport {
    // Fields in alphabetical order, as the reference prints them.
    pub totals: Totals,
    pub weekly: Vec<WeekRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthlyReport {
    pub monthly: Vec<MonthRow>,
    pub totals: Totals,
}

/// Daily rows summed per key, keys ascending; within a key, rows and their models in order.
fn bucket(days: &[DailyRow], key: impl Fn(&DailyRow) -> String) -> Vec<(String, Sums)> {
    let mut buckets: BTreeMap<String, Sums> = BTreeMap::new();
    for d in days {
        buckets.entry(key(d)).or_default().add_sums(&d.sums);
    }
    buckets
        .into_iter()
        .map(|(k, mut b)| {
            b.finish();
            (k, b)
        })
        .collect()
}

fn totals_of<'a>(rows: impl Iterator<Item = &'a Sums> + Clone) -> Totals {
    Totals {
        cache_creation_tokens: rows.clone().map(|d| d.cache_creation_tokens).sum(),
        cache_read_tokens: rows.clone().map(|d| d.cache_read_tokens).sum(),
        input_tokens: rows.clone().map(|d| d.input_tokens).sum(),
        output_tokens: rows.clone().map(|d| d.output_tokens).sum(),
        total_cost: rows.clone().map(|d| d.total_cost).sum(),
        total_tokens: rows.map(|d| d.total_tokens).sum(),
    }
}

/// Weeks starting on `start` (the reference's default is Sunday). `entries` come from the
/// [`Path::Entries`] deduplication.
pub fn weekly(
    entries: impl IntoIterator<Item = impl Borrow<Entry>>,
    models: &Models,
    zone: Tz,
    range: Range,
    start: Weekday,
) -> WeeklyReport {
    let days = daily(entries, models, zone, range).daily;
    let weekly: Vec<WeekRow> = bucket(&days, |d| {
        let date = NaiveDate::parse_from_str(&d.date, "%Y-%m-%d").expect("rows carry ISO dates");
        let back = (date.weekday().num_days_from_sunday() + 7 - start.num_days_from_sunday()) % 7;
        (date - chrono::Duration::days(i64::from(back)))
            .format("%Y-%m-%d")
            .to_string()
    })
    .into_iter()
    .map(|(week, sums)| WeekRow { week, sums })
    .collect();
    let totals = totals_of(weekly.iter().map(|w| &w.sums));
    WeeklyReport { totals, weekly }
}

/// Calendar months. `entries` come from the [`Path::Entries`] deduplication.
pub fn monthly(
    entries: impl IntoIterator<Item = impl Borrow<Entry>>,
    models: &Models,
    zone: Tz,
    range: Range,
) -> MonthlyReport {
    let days = daily(entries, models, zone, range).daily;
    let monthly: Vec<MonthRow> = bucket(&days, |d| d.date[..7].to_string())
        .into_iter()
        .map(|(month, sums)| MonthRow { month, sums })
        .collect();
    let totals = totals_of(monthly.iter().map(|m| &m.sums));
    MonthlyReport { monthly, totals }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// [`Dedupe`] over a whole sequence.
    fn dedupe(entries: impl IntoIterator<Item = Entry>, path: Path, models: &Models) -> Vec<Entry> {
        let mut d = Dedupe::new(path);
        for e in entries {
            d.push(e, models);
        }
        d.finish()
    }

    /// Test ids: distinct short names give distinct sums.
    fn h(s: &str) -> IdHash {
        s.bytes().map(IdHash::from).sum()
    }

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

    /// Files read in order, then lines appended to them read late, give the same kept entries
    /// in the same order as one run over the final files, or say they cannot. Random histories
    /// over a few ids, so copies, replays and sidechains collide often.
    #[test]
    fn late_pushes_equal_a_full_run_or_say_they_cannot() {
        let mut seed: u64 = 0x5EED;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let mut models = Models::default();
        models.id("claude-sonnet-4-5");
        let (mut exact, mut refused) = (0, 0);
        for _ in 0..400 {
            let files = 1 + next(4) as u32;
            // Each file: its entries, and how many of them were there at the first run.
            let mut per_file: Vec<(Vec<Entry>, usize)> = Vec::new();
            for file in 0..files {
                let n = next(6) as u32;
                let entries: Vec<Entry> = (0..n)
                    .map(|seq| Entry {
                        at: DateTime::from_timestamp(1_790_000_000 + next(3) as i64, 0).unwrap(),
                        message_id: (next(8) != 0).then(|| next(5)),
                        request_id: (next(3) != 0).then(|| 100 + next(3)),
                        session: 200 + next(2),
                        model: Some(0),
                        file,
                        seq,
                        tokens: Billable {
                            input: next(3),
                            output: next(3),
                            ..Billable::default()
                        },
                        sidechain: next(2) == 0,
                        has_speed: next(2) == 0,
                        fast: false,
                        cost_usd: None,
                    })
                    .collect();
                let first = next(u64::from(n) + 1) as usize;
                per_file.push((entries, first));
            }
            // Files are ranked in reverse of their ids, as new files can sort anywhere.
            let rank: Vec<u32> = (0..files).map(|f| files - 1 - f).collect();
            let in_order = || {
                let mut fs: Vec<&(Vec<Entry>, usize)> = per_file.iter().collect();
                fs.sort_by_key(|(e, _)| rank[e.first().map_or(0, |e| e.file) as usize]);
                fs
            };
            for path in [Path::Daily, Path::Entries] {
                let mut full = Dedupe::new(path);
                for (entries, _) in in_order() {
                    for e in entries {
                        full.push(e.clone(), &models);
                    }
                }
                let mut inc = Dedupe::new(path);
                for (entries, first) in in_order() {
                    for e in &entries[..*first] {
                        inc.push(e.clone(), &models);
                    }
                }
                let late = in_order()
                    .into_iter()
                    .flat_map(|(entries, first)| entries[*first..].iter().cloned())
                    .try_for_each(|e| inc.push_late(e, &models, &rank).map(drop));
                if late.is_ok() {
                    let place =
                        |&(_, (file, seq)): &(&Entry, (u32, u32))| (rank[file as usize], seq);
                    let mut placed: Vec<_> = inc.placed().collect();
                    placed.sort_by_key(place);
                    assert!(placed.into_iter().map(|(e, _)| e).eq(full.kept()));
                    exact += 1;
                } else {
                    refused += 1;
                }
            }
        }
        assert!(
            exact > 400 && refused > 20,
            "{exact} exact, {refused} refused"
        );
    }

    /// The remembered quarter-hour dates equal a zone lookup per time, across DST changes,
    /// half-hour DST (Lord Howe) and a +05:45 offset.
    #[test]
    fn local_dates_equal_a_lookup_per_time() {
        let zones: [Tz; 5] = [
            "Europe/Vienna".parse().unwrap(),
            "America/New_York".parse().unwrap(),
            "Australia/Lord_Howe".parse().unwrap(),
            "Asia/Kathmandu".parse().unwrap(),
            "America/Santiago".parse().unwrap(),
        ];
        for zone in zones {
            let mut dates = LocalDates::new(zone);
            let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .unwrap()
                .to_utc();
            let mut t = start;
            while t < start + chrono::Duration::days(366) {
                assert_eq!(
                    dates.date(t),
                    t.with_timezone(&zone).date_naive(),
                    "{zone} {t}"
                );
                t += chrono::Duration::seconds(397);
            }
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
        let mut models = Models::default();
        models.id("claude-sonnet-4-5");
        for (n, (input, want)) in cases.into_iter().enumerate() {
            let got: Vec<(IdHash, u64)> = dedupe(input, Path::Daily, &models)
                .into_iter()
                .map(|e| (e.message_id.unwrap(), e.tokens.output))
                .collect();
            let want: Vec<(IdHash, u64)> = want.into_iter().map(|(m, o)| (h(m), o)).collect();
            assert_eq!(got, want, "case {n}");
        }
    }

    #[test]
    fn daily_rows_in_a_zone() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let mut models = Models::default();
        assert_eq!(models.id("claude-sonnet-4-5"), 0);
        let mut fast = entry("m2", Some("r2"), "s", "2026-11-24T16:00:00Z", 1000, false);
        fast.model = Some(models.id("claude-opus-4-6"));
        fast.fast = true;
        let entries = vec![
            entry("m1", Some("r1"), "s", "2026-11-24T14:59:59Z", 100, false),
            fast,
        ];
        let r = daily(&entries, &models, tokyo, Range::default());
        let dates: Vec<&str> = r.daily.iter().map(|d| d.date.as_str()).collect();
        assert_eq!(dates, ["2026-11-24", "2026-11-25"]);
        assert_eq!(r.daily[1].sums.models_used, ["claude-opus-4-6-fast"]);
        assert_eq!(
            r.daily[1].sums.total_cost,
            (10.0 * 5e-06 + 1000.0 * 2.5e-05) * 6.0
        );
        assert_eq!(r.totals.total_tokens, 110 + 1010);
        let since = Range {
            since: NaiveDate::from_ymd_opt(2026, 11, 25),
            until: None,
        };
        assert_eq!(daily(&entries, &models, tokyo, since).daily.len(), 1);
    }
}
