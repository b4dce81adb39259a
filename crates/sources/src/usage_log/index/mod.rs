//! The usage engine: every transcript's entries, deduplicated, kept up to date incrementally, in
//! memory that stays bounded however large the history grows.
//!
//! Per file the engine remembers its identity (device, inode), size, modification time, how far
//! it was read (`consumed`: up to the last newline) and a checksum of the bytes just before that
//! point. A refresh stats every file and reads only what was appended.
//!
//! Deduplication splits exactly along message ids, so its state is kept in [`BUCKETS`] buckets
//! by message id, each a [`Dedupe`](ccpulse_core::usage::Dedupe) of its own, stored in the keys
//! file and read only when an appended line's message falls in it. The kept entries, in the
//! order a run over every file gives them, are a stream of checksummed chunks in the main file;
//! reports read it a chunk at a time. An update merges the entries it made or replaced into a
//! new stream. A first read spills what it reads into a nameless temporary file by bucket,
//! deduplicates bucket by bucket and merges the buckets' kept entries into the stream. Layout in
//! ARCHITECTURE.md.
//!
//! The parts: `scan` compares the listing with the file table and reads new bytes on all cores;
//! `update` pushes appended entries onto their buckets; `build` is a first read (`spill` holds
//! what it reads); `stream` writes and reads the kept entries; `format` is the files' bytes
//! (with `codec` and `store`); `blob` the files themselves, and the one atomic write
//! (`blob::Out`). This module holds the engine's state and its public API.
//!
//! A partial last line (no newline yet) is never consumed: its entry, if it has one, is merged
//! into each answer but not into the kept state, and it is read again until its newline arrives.
//!
//! Rebuilt from scratch, never patched: when the index is missing, damaged or of another
//! version; when a file was deleted, truncated, replaced (new identity) or rewritten (the
//! checksum before `consumed` differs); when an appended line's message was also read from a file
//! ordered after its own (only a run in order can tell which copy counts); when more than
//! [`MOST_APPENDED`] bytes are new (a first read bounds its memory; an update holds what it read).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use ccpulse_core::usage::{Entry, Models, Path, SessionFile};

use super::entries::file_session;
use super::paths::Transcript;
use crate::state_dir::StateDir;
use blob::Blob;
pub use error::{IndexError, Unusable};
use format::store::Bounds;
use scan::Plan;

mod blob;
mod build;
mod error;
mod format;
mod scan;
mod spill;
mod stream;
mod update;

/// Buckets of the deduplication state (by message id). Many, so an update reads few of them;
/// not so many that a first read's open chunks (4 KiB each) add up.
pub const BUCKETS: usize = 1024;
/// Entries without a message id are never deduplicated: a stream of their own in a first read.
const NO_ID: usize = BUCKETS;
/// More new bytes than this and a refresh reads everything again (in bounded memory) rather
/// than holding what it read.
pub const MOST_APPENDED: u64 = 64 << 20;

fn bucket(e: &Entry) -> usize {
    e.message_id.map_or(NO_ID, |m| {
        (m.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - BUCKETS.trailing_zeros())) as usize
    })
}

/// Where an entry goes in the stream: its file's place in path order, then its `seq`.
fn key(rank: &[u32], at: (u32, u32)) -> u64 {
    u64::from(rank.get(at.0 as usize).copied().unwrap_or(u32::MAX)) << 32 | u64::from(at.1)
}

/// What the engine knows of one file.
#[derive(Debug, Clone, Default, PartialEq)]
struct Mark {
    path: String,
    dev: u64,
    ino: u64,
    len: u64,
    modified: i64,
    /// Bytes read into the kept state: up to and including the last newline.
    consumed: u64,
    /// Checksum of the (up to) [`WINDOW`] bytes before `consumed`.
    window: u64,
    /// Entries read so far from complete lines (the next one's `seq`).
    next_seq: u32,
    /// Usage lines that could not be read, in complete lines.
    skipped: u64,
    /// The partial last line: its length, whether it is a skipped usage line, and whether it
    /// gave an entry (then it is read on every refresh).
    tail_len: u64,
    tail_skipped: u64,
    tail_entries: u32,
}

impl Mark {
    /// The same file (a file replaced under the same name has a new identity).
    fn same_file(&self, t: &Transcript) -> bool {
        (self.dev, self.ino) == (t.dev, t.ino)
    }

    /// The same file, not written to since it was read.
    fn unchanged(&self, t: &Transcript) -> bool {
        self.same_file(t) && (self.len, self.modified) == (t.len, t.modified)
    }
}

/// How a refresh went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Refreshed {
    /// Nothing changed since the index was written.
    #[default]
    Unchanged,
    /// Appended lines or new files were read.
    Updated,
    /// Everything was read again, and why.
    Built(String),
}

/// How far a long read has come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub files_done: usize,
    pub files_total: usize,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// Where the index lives: the state dir, or memory when it cannot be written.
#[derive(Clone)]
enum Home {
    Dir(StateDir),
    Memory,
}

/// A bucket's state in the keys file (`len` 0: empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Place {
    at: u64,
    len: u64,
    sum: u64,
}

/// The keys file: a header, then bucket states appended one after the other; the table says
/// which is each bucket's current one. Bytes past `len` (a write that did not finish) are
/// ignored, then overwritten.
struct Keys {
    /// Opened when an update first needs it.
    blob: OnceLock<Result<Blob, IndexError>>,
    generation: u64,
    len: u64,
    table: Vec<Place>,
}

impl Keys {
    fn none() -> Self {
        Self {
            blob: OnceLock::new(),
            generation: 0,
            len: 0,
            table: vec![Place::default(); BUCKETS],
        }
    }

    /// Bytes of the bucket states the table names.
    fn live(&self) -> u64 {
        self.table.iter().map(|p| p.len).sum()
    }
}

/// The main file's stream of kept entries.
struct Main {
    blob: Blob,
    /// Where the first chunk starts and the last ends.
    at: u64,
    end: u64,
}

/// A kept entry and its place among the others (see [`Dedupe::placed`]).
type Placed = (Entry, (u32, u32));

/// Entries made or replaced, by their place in the stream.
type Delta = BTreeMap<u64, Placed>;

pub struct Engine {
    path: Path,
    home: Home,
    marks: Vec<Mark>,
    models: Models,
    /// Entries of partial last lines; not part of the kept state.
    tails: Delta,
    /// `rank[file id]`: the file's place in path order, as of the last refresh.
    rank: Vec<u32>,
    keys: Keys,
    /// `None`: no entries yet.
    main: Option<Main>,
}

/// A failed write of the index's file `name`.
fn io_error(name: &str) -> impl Fn(std::io::Error) -> IndexError + '_ {
    move |e| IndexError::Write {
        name: name.to_string(),
        error: e.into(),
    }
}

fn run_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Engine {
    fn empty(path: Path, home: Home) -> Self {
        Self {
            path,
            home,
            marks: Vec::new(),
            models: Models::default(),
            tails: Delta::new(),
            rank: Vec::new(),
            keys: Keys::none(),
            main: None,
        }
    }

    /// Forget what was read: the next refresh reads everything again.
    pub fn discard(&mut self) {
        *self = Self::empty(self.path, self.home.clone());
    }

    /// An engine that keeps its index in memory: the first refresh reads everything.
    pub fn new(path: Path) -> Self {
        Self::empty(path, Home::Memory)
    }

    fn file_name(path: Path) -> &'static str {
        match path {
            Path::Daily => "usage-index-daily",
            Path::Entries => "usage-index-entries",
        }
    }

    fn main_name(&self) -> String {
        format!("{}.bin", Self::file_name(self.path))
    }

    fn keys_name(&self) -> String {
        format!("{}.keys", Self::file_name(self.path))
    }

    fn bounds(&self) -> Bounds {
        Bounds {
            files: self.marks.len() as u32,
            models: self.models.len(),
        }
    }

    /// The engine as last written in `dir` (where it goes on writing); an empty one, and why,
    /// when there is no usable index there.
    pub fn load(dir: &StateDir, path: Path) -> (Self, Option<String>) {
        let home = Home::Dir(dir.clone());
        let mut engine = Self::empty(path, home.clone());
        // What a writer killed mid-write left (a process still writing keeps its own).
        dir.remove_leftovers(&engine.main_name());
        dir.remove_leftovers(&engine.keys_name());
        let main = dir.path(&engine.main_name());
        let file = match std::fs::File::open(&main) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return (engine, Some(IndexError::NoIndex.to_string()));
            }
            Err(e) => {
                let error = IndexError::Open {
                    path: main,
                    error: e.into(),
                };
                return (engine, Some(error.to_string()));
            }
        };
        match engine.open_main(Blob::Disk(Mutex::new(file))) {
            Ok(()) => (engine, None),
            Err(why) => (
                Self::empty(path, home),
                Some(IndexError::Main(why).to_string()),
            ),
        }
    }

    /// Bring the engine up to date with `found` (as [`super::paths::transcripts`] lists them).
    /// Unreadable files are returned, not fatal.
    pub fn refresh(&mut self, found: &[Transcript], progress: &mut dyn FnMut(Progress)) -> Refresh {
        let mut found: Vec<&Transcript> = found.iter().collect();
        found.sort_by(|a, b| {
            a.path
                .as_os_str()
                .as_encoded_bytes()
                .cmp(b.path.as_os_str().as_encoded_bytes())
        });
        if self.marks.is_empty() && !found.is_empty() {
            return self.rebuild(&found, IndexError::NoIndex.to_string(), progress);
        }
        let outcome = match self.plan(&found) {
            Plan::Read(jobs, rank) if jobs.is_empty() => {
                self.tails.clear();
                self.rank = rank;
                Ok(Refresh {
                    how: Refreshed::Unchanged,
                    ..Refresh::default()
                })
            }
            Plan::Read(jobs, rank) => {
                self.rank = rank;
                self.update(jobs, progress)
            }
            Plan::Rebuild(why) => Err(why),
        };
        match outcome {
            Ok(r) => r,
            Err(why) => self.rebuild(&found, why.to_string(), progress),
        }
    }

    /// The kept entries in the order a run over every file gives them, with the entries of
    /// partial last lines merged in (those are not kept: their line may still grow). Fields
    /// only deduplication reads (ids, session, `seq`) are empty.
    pub fn entries(&self) -> Entries<'_> {
        Entries {
            engine: self,
            delta: self.tails.clone(),
            error: RefCell::new(None),
        }
    }

    pub fn models(&self) -> &Models {
        &self.models
    }

    /// The session of each file, by file id ([`Entry::file`]).
    pub fn sessions(&self) -> Vec<SessionFile> {
        self.marks
            .iter()
            .map(|m| file_session(std::path::Path::new(&m.path)))
            .collect()
    }

    /// Files and bytes known, and usage lines that could not be read.
    pub fn totals(&self) -> (usize, u64, u64) {
        let skipped = self.marks.iter().map(|m| m.skipped + m.tail_skipped).sum();
        let bytes = self.marks.iter().map(|m| m.len).sum();
        (self.marks.len(), bytes, skipped)
    }
}

/// What one refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refresh {
    pub how: Refreshed,
    /// Bytes read from transcripts.
    pub read_bytes: u64,
    pub unreadable: Vec<(PathBuf, String)>,
    /// Why the index could not be written (then it is kept in memory), or why usage could not
    /// be read at all.
    pub note: Option<String>,
}

/// The kept entries for a report, read from the index as they are iterated.
pub struct Entries<'a> {
    engine: &'a Engine,
    delta: Delta,
    error: RefCell<Option<IndexError>>,
}

impl Entries<'_> {
    /// The entries in the order reports read them.
    pub fn iter(&self) -> impl Iterator<Item = Entry> + '_ {
        self.engine
            .merged(self.delta.clone(), &self.error)
            .map(|(e, _)| e)
    }

    /// Why the last iteration ended early: then its report is incomplete.
    pub fn error(&self) -> Option<String> {
        self.error.borrow().as_ref().map(ToString::to_string)
    }
}
