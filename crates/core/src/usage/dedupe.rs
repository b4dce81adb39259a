//! Deduplication of usage entries (docs/ccusage-reference.md §4): [`Dedupe`] keeps one copy of
//! each response, pushed in file order ([`Dedupe::push`]) or appended later
//! ([`Dedupe::push_late`], which refuses what only a run in order can decide).

use chrono::{DateTime, Utc};

use super::{Entry, IdHash, IdMap, Models};

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

/// Deduplication, fed entries in file-path then line order. One response is
/// often written several times (streamed copies, resumed sessions, subagent replays); each is
/// counted once. Entries can be pushed as files are read, so the copies never pile up.
#[derive(Debug, Clone, Default)]
pub struct Dedupe {
    state: DedupeState,
}

/// A [`Dedupe`]'s state, field by field. Exposed for one reader and writer only: the usage
/// index's on-disk format (`ccpulse_sources::usage_log::index::format`), which saves a bucket's
/// deduplication and goes on pushing onto it in a later run ([`Dedupe::state`],
/// [`Dedupe::from_state`]). Everything else goes through [`Dedupe`]'s methods.
#[derive(Debug, Clone, Default)]
pub struct DedupeState {
    pub path: Path,
    /// Slots in the order they were made (a slot's index never changes: the maps point at it).
    pub kept: Vec<Entry>,
    /// Where each slot's first copy was read (file, seq): its place in the order reports read
    /// entries in. Slots pushed in file order are in that order; late ones need sorting.
    pub origin: Vec<(u32, u32)>,
    /// For each message id, the file its last copy came from. A late push is exact only when
    /// no copy of its message came from a file ordered after its own.
    pub last_file: IdMap<IdHash, u32>,
    pub by_request: IdMap<(IdHash, IdHash), usize>,
    /// Copies without a request id: (message, session, time) on the daily path; on the entries
    /// path the time is left out (`None`).
    pub by_time: IdMap<(IdHash, IdHash, Option<DateTime<Utc>>), usize>,
    /// (message, session) -> the first slot; later distinct slots of the same pair (rare) in
    /// `more_by_session`.
    pub by_session: IdMap<(IdHash, IdHash), usize>,
    pub more_by_session: IdMap<(IdHash, IdHash), Vec<usize>>,
}

impl Dedupe {
    pub fn new(path: Path) -> Self {
        Self {
            state: DedupeState {
                path,
                ..DedupeState::default()
            },
        }
    }

    /// Room for `n` entries, most of them different responses.
    pub fn with_capacity(path: Path, n: usize) -> Self {
        Self {
            state: DedupeState {
                path,
                kept: Vec::with_capacity(n),
                origin: Vec::with_capacity(n),
                last_file: IdMap::with_capacity_and_hasher(n, Default::default()),
                by_request: IdMap::with_capacity_and_hasher(n, Default::default()),
                by_session: IdMap::with_capacity_and_hasher(n, Default::default()),
                ..DedupeState::default()
            },
        }
    }

    fn time_key(&self, e: &Entry) -> Option<DateTime<Utc>> {
        (self.state.path == Path::Daily).then_some(e.at)
    }

    /// Add the next entry in file order, then line order. The slot it made or replaced, if any.
    pub fn push(&mut self, e: Entry, models: &Models) -> Option<usize> {
        let Some(msg) = e.message_id else {
            return Some(self.new_slot(e));
        };
        self.state.last_file.insert(msg, e.file);
        let exact = match e.request_id {
            Some(req) => self.state.by_request.get(&(msg, req)).copied(),
            None => self
                .state
                .by_time
                .get(&(msg, e.session, self.time_key(&e)))
                .copied(),
        };
        // A subagent replaying a message of its session under a new request id.
        let found = exact.or_else(|| {
            let key = (msg, e.session);
            let first = self.state.by_session.get(&key).copied();
            let more = self
                .state
                .more_by_session
                .get(&key)
                .into_iter()
                .flatten()
                .copied();
            first.into_iter().chain(more).find(|&i| {
                let k = &self.state.kept[i];
                (e.sidechain || k.sidechain) && (self.state.path == Path::Daily || k.at == e.at)
            })
        });
        let slot = match found {
            Some(i) if better(&e, &self.state.kept[i], self.state.path, models) => {
                self.state.kept[i] = e;
                i
            }
            Some(_) => return None,
            None => self.new_slot(e),
        };
        let e = &self.state.kept[slot];
        match e.request_id {
            Some(req) => {
                self.state.by_request.entry((msg, req)).or_insert(slot);
            }
            None => {
                let key = (msg, e.session, self.time_key(e));
                self.state.by_time.entry(key).or_insert(slot);
            }
        }
        let key = (msg, e.session);
        match self.state.by_session.get(&key) {
            None => {
                self.state.by_session.insert(key, slot);
            }
            Some(&first) if first != slot => {
                let more = self.state.more_by_session.entry(key).or_default();
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
            if let Some(&last) = self.state.last_file.get(&msg) {
                if file_rank(last) > file_rank(e.file) {
                    return Err(OutOfOrder);
                }
            }
        }
        Ok(self.push(e, models))
    }

    fn new_slot(&mut self, e: Entry) -> usize {
        let slot = self.state.kept.len();
        self.state.origin.push((e.file, e.seq));
        self.state.kept.push(e);
        slot
    }

    /// A slot's entry and where its first copy was read (file, seq): where reports place it.
    pub fn slot(&self, slot: usize) -> (&Entry, (u32, u32)) {
        (&self.state.kept[slot], self.state.origin[slot])
    }

    /// Which deduplication this is.
    pub fn path(&self) -> Path {
        self.state.path
    }

    /// The surviving entries so far with where each is placed, in slot order (the order
    /// reports read them in when every push was in file order).
    pub fn placed(&self) -> impl Iterator<Item = (&Entry, (u32, u32))> + '_ {
        self.state
            .kept
            .iter()
            .zip(self.state.origin.iter().copied())
    }

    /// The surviving entries so far, in slot order.
    pub fn kept(&self) -> impl ExactSizeIterator<Item = &Entry> + '_ {
        self.state.kept.iter()
    }

    /// The surviving entries, in slot order.
    pub fn finish(self) -> Vec<Entry> {
        self.state.kept
    }

    /// The whole state, to write it out (the usage index's on-disk format).
    pub fn state(&self) -> &DedupeState {
        &self.state
    }

    /// A deduplication that goes on from `state`, as [`Dedupe::state`] gave it. The state is
    /// trusted: every slot a map names must be below `kept.len()`, and `origin` as long as
    /// `kept` (a decoder checks this before it calls this).
    pub fn from_state(state: DedupeState) -> Self {
        Self { state }
    }
}

/// A late entry whose message was also read from a file ordered after its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfOrder;

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::super::testing::{entry, h};
    use super::*;
    use crate::pricing::Billable;

    /// [`Dedupe`] over a whole sequence.
    fn dedupe(entries: impl IntoIterator<Item = Entry>, path: Path, models: &Models) -> Vec<Entry> {
        let mut d = Dedupe::new(path);
        for e in entries {
            d.push(e, models);
        }
        d.finish()
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
}
