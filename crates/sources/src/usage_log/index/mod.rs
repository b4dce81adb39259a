//! The usage engine: every transcript's entries, deduplicated, kept up to date incrementally, in
//! memory that stays bounded however large the history grows.
//!
//! Per file the engine remembers its identity (device, inode), size, modification time, how far
//! it was read (`consumed`: up to the last newline) and a checksum of the bytes just before that
//! point. A refresh stats every file and reads only what was appended.
//!
//! Deduplication splits exactly along message ids, so its state is kept in [`BUCKETS`] buckets
//! by message id, each a [`Dedupe`] of its own, stored in the keys file and read only when an
//! appended line's message falls in it. The kept entries, in the order a run over every file
//! gives them, are a stream of checksummed chunks in the main file; reports read it a chunk at a
//! time. An update merges the entries it made or replaced into a new stream. A first read
//! spills what it reads into a nameless temporary file by bucket, deduplicates bucket by bucket
//! and merges the buckets' kept entries into the stream. Layout in ARCHITECTURE.md.
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
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use ccpulse_core::usage::{Dedupe, Entry, Models, Path, SessionFile};

use super::entries::{entries_in, file_session, id_hash};
use super::paths::Transcript;
use crate::state_dir::StateDir;
use format::codec::{checksum, Malformed, Reader, Writer};
use format::store::{self, Bounds};
use spill::{Blob, Spill};

mod format;
mod spill;

const MAGIC: &[u8; 8] = b"CCPUIDX\0";
const KEYS_MAGIC: &[u8; 8] = b"CCPUKEY\0";
/// Bump when the layout or the meaning of a field changes: an index of another version is rebuilt.
const VERSION: u32 = 4;
/// Bytes before `consumed` whose checksum tells an appended file from a rewritten one.
const WINDOW: u64 = 4096;
/// How far readers may run ahead of the thread that takes their parts (groups of files):
/// enough to keep every core busy, few enough that their bytes and entries stay small.
const AHEAD: usize = 8;
/// Files are read in groups of neighbours of about this many new bytes, or this many files.
const GROUP_BYTES: u64 = 512 << 10;
const GROUP_FILES: usize = 16;
/// Progress is reported every this many files.
const BATCH: usize = 64;
/// Buckets of the deduplication state (by message id). Many, so an update reads few of them;
/// not so many that a first read's open chunks (4 KiB each) add up.
pub const BUCKETS: usize = 1024;
/// Entries without a message id are never deduplicated: a stream of their own in a first read.
const NO_ID: usize = BUCKETS;
/// Kept entries per chunk of the main file's stream.
const STREAM_CHUNK: u32 = 2048;
/// More new bytes than this and a refresh reads everything again (in bounded memory) rather
/// than holding what it read.
pub const MOST_APPENDED: u64 = 64 << 20;
/// Main file header: magic, version, path, meta length, meta checksum.
const HEADER: usize = 8 + 4 + 1 + 8 + 8;
/// Keys file header: magic, version, path, generation.
const KEYS_HEADER: usize = 8 + 4 + 1 + 8;

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

/// One file's newly read part.
struct Part {
    file: u32,
    entries: Vec<Entry>,
    models: Models,
    mark: Mark,
    tail: Vec<Entry>,
    read: u64,
}

impl Part {
    fn set_file(&mut self, file: u32) {
        self.file = file;
        for e in self.entries.iter_mut().chain(self.tail.iter_mut()) {
            e.file = file;
        }
    }
}

enum PartError {
    /// The bytes before `consumed` are not what was read: the file was rewritten.
    Rewritten,
    Io(String),
}

/// Read `t` from `from` (a file seen before) or from the start, up to its current end.
fn read_part(
    t: &Transcript,
    file: u32,
    from: Option<&Mark>,
    progress: bool,
) -> Result<Part, PartError> {
    let io = |e: std::io::Error| PartError::Io(e.to_string());
    let mut f = std::fs::File::open(&t.path).map_err(io)?;
    let (consumed, start) = match from {
        Some(m) => (m.consumed, m.consumed - m.consumed.min(WINDOW)),
        None => (0, 0),
    };
    f.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut buf = Vec::with_capacity(t.len.saturating_sub(start).min(1 << 30) as usize + 1);
    f.read_to_end(&mut buf).map_err(io)?;
    let known = (consumed - start) as usize;
    if let Some(m) = from {
        if buf.len() < known || checksum(&buf[..known]) != m.window {
            return Err(PartError::Rewritten);
        }
    }
    let new = &buf[known..];
    let complete = memchr::memrchr(b'\n', new).map_or(0, |i| i + 1);
    let session = file_session(&t.path);
    let session = id_hash(&session.session_id);
    let mut models = Models::default();
    let mark = from.cloned().unwrap_or_default();
    let (entries, skipped) = entries_in(
        &new[..complete],
        file,
        mark.next_seq,
        session,
        progress,
        &mut models,
    );
    let next_seq = mark.next_seq + entries.len() as u32;
    let tail_bytes = &new[complete..];
    let (tail, tail_skipped) =
        entries_in(tail_bytes, file, next_seq, session, progress, &mut models);
    let end = consumed + complete as u64;
    let window_start = (end - end.min(WINDOW) - start) as usize;
    let mark = Mark {
        path: t.path.to_string_lossy().into_owned(),
        dev: t.dev,
        ino: t.ino,
        len: start + buf.len() as u64,
        modified: t.modified,
        consumed: end,
        window: checksum(&buf[window_start..known + complete]),
        next_seq,
        skipped: mark.skipped + skipped,
        tail_len: tail_bytes.len() as u64,
        tail_skipped,
        tail_entries: tail.len() as u32,
    };
    Ok(Part {
        file,
        entries,
        models,
        mark,
        tail,
        read: new.len() as u64,
    })
}

/// The bytes of a job (file id, transcript, where to start) not read yet.
fn unread((_, t, m): &(u32, &Transcript, Option<&Mark>)) -> u64 {
    t.len.saturating_sub(m.map_or(0, |m| m.consumed))
}

/// Read `jobs` (file id, transcript, where to start) on all cores while the calling thread
/// hands each part to `sink`, in the order given. Files are read in groups of neighbours (fewer
/// hand-overs for many small files); readers stay at most [`AHEAD`] groups ahead of the sink,
/// so memory stays flat however large the history. A sink error stops the readers.
fn read_parts(
    jobs: &[(u32, &Transcript, Option<&Mark>)],
    path: Path,
    progress: &mut dyn FnMut(Progress),
    mut sink: impl FnMut(&Transcript, bool, Result<Part, PartError>) -> Result<(), String>,
) -> Result<(), String> {
    use std::sync::atomic::AtomicBool;
    use std::sync::{mpsc, Condvar};

    let mut p = Progress {
        files_total: jobs.len(),
        bytes_total: jobs.iter().map(unread).sum(),
        ..Progress::default()
    };
    // Groups: consecutive jobs up to GROUP_BYTES, or GROUP_FILES files.
    let mut groups = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, job) in jobs.iter().enumerate() {
        bytes += unread(job);
        if bytes >= GROUP_BYTES || i + 1 - start == GROUP_FILES || i + 1 == jobs.len() {
            groups.push(start..i + 1);
            (start, bytes) = (i + 1, 0);
        }
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let sunk = (Mutex::new(0usize), Condvar::new());
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        for _ in 0..run_threads().min(groups.len()) {
            let tx = tx.clone();
            let (next, stop, sunk, groups) = (&next, &stop, &sunk, &groups);
            scope.spawn(move || loop {
                let g = next.fetch_add(1, Ordering::Relaxed);
                if g >= groups.len() || stop.load(Ordering::Relaxed) {
                    return;
                }
                {
                    let (done, cv) = sunk;
                    let mut done = done.lock().expect("progress lock");
                    while g >= *done + AHEAD && !stop.load(Ordering::Relaxed) {
                        done = cv.wait(done).expect("progress lock");
                    }
                }
                let parts: Vec<_> = jobs[groups[g].clone()]
                    .iter()
                    .map(|&(id, t, from)| read_part(t, id, from, path == Path::Daily))
                    .collect();
                if tx.send((g, parts)).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        let mut waiting = std::collections::BTreeMap::new();
        let mut want = 0;
        let mut result = Ok(());
        for (g, parts) in rx.iter() {
            waiting.insert(g, parts);
            while let Some(parts) = waiting.remove(&want) {
                for (i, part) in groups[want].clone().zip(parts) {
                    p.files_done += 1;
                    p.bytes_done += part.as_ref().map_or(0, |p| p.read);
                    if result.is_ok() {
                        result = sink(jobs[i].1, jobs[i].2.is_some(), part);
                        if result.is_err() {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    if p.files_done % BATCH == 0 || p.files_done == jobs.len() {
                        progress(p);
                    }
                }
                want += 1;
                let (done, cv) = &sunk;
                *done.lock().expect("progress lock") = want;
                cv.notify_all();
            }
        }
        result
    })
}

/// Map a part's thread-local model ids to the engine's table.
fn adopt_models(models: &mut Models, part: &mut Part) {
    let remap: Vec<_> = (0..part.models.len())
        .map(|i| models.id(part.models.name(i as u16)))
        .collect();
    for e in part.entries.iter_mut().chain(part.tail.iter_mut()) {
        e.model = e.model.map(|m| remap[m as usize]);
    }
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
    blob: OnceLock<Result<Blob, String>>,
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

/// What [`Engine::push_pending`] did: the entries it made or replaced, and where it wrote the
/// buckets' new states (and the keys file's new length).
struct Pushed {
    delta: Delta,
    places: Vec<(usize, Place)>,
    len: u64,
}

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

/// A place for a new file of the index, renamed over the old one once complete.
enum Out {
    Disk(std::io::BufWriter<tempfile::NamedTempFile>, PathBuf),
    Memory(Vec<u8>),
}

impl Out {
    fn new(home: &Home, name: &str) -> std::io::Result<Self> {
        Ok(match home {
            Home::Dir(d) => {
                std::fs::create_dir_all(d.root())?;
                let tmp = tempfile::NamedTempFile::new_in(d.root())?;
                Out::Disk(
                    std::io::BufWriter::with_capacity(1 << 16, tmp),
                    d.path(name),
                )
            }
            Home::Memory => Out::Memory(Vec::new()),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Out::Disk(w, _) => w.write_all(bytes),
            Out::Memory(v) => {
                v.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    /// Put the file in place; it stays open for reading.
    fn commit(self) -> std::io::Result<Blob> {
        match self {
            Out::Disk(w, path) => {
                let tmp = w.into_inner().map_err(|e| e.into_error())?;
                let file = tmp.persist(&path).map_err(|e| e.error)?;
                Ok(Blob::Disk(Mutex::new(file)))
            }
            Out::Memory(v) => Ok(Blob::Memory(Mutex::new(v))),
        }
    }
}

fn io_error(what: &str) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("cannot write {what}: {e}")
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
        let main = dir.path(&engine.main_name());
        let file = match std::fs::File::open(&main) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return (engine, Some("no index yet".into()));
            }
            Err(e) => return (engine, Some(format!("cannot read {}: {e}", main.display()))),
        };
        match engine.open_main(Blob::Disk(Mutex::new(file))) {
            Ok(()) => (engine, None),
            Err(why) => (
                Self::empty(path, home),
                Some(format!("the index was {why}")),
            ),
        }
    }

    /// Read the main file's header and meta, and check every chunk of its stream.
    fn open_main(&mut self, blob: Blob) -> Result<(), String> {
        let short = || "unreadable (too short)".to_string();
        let head = blob.read_at(0, HEADER).map_err(|_| short())?;
        let mut r = Reader::new(&head);
        let parsed = (|| -> Result<_, Malformed> {
            Ok((
                r.u64()?.to_le_bytes(),
                r.u32()?,
                r.u8()?,
                r.u64()?,
                r.u64()?,
            ))
        })();
        let (magic, version, stored_path, meta_len, sum) = parsed.map_err(|_| short())?;
        if &magic != MAGIC {
            return Err("not an index file".into());
        }
        if version != VERSION {
            return Err(format!("of another version ({version}, this is {VERSION})"));
        }
        if stored_path != self.path as u8 {
            return Err("for another report".into());
        }
        let meta_len = usize::try_from(meta_len).map_err(|_| short())?;
        let meta = blob.read_at(HEADER as u64, meta_len).map_err(|_| short())?;
        if checksum(&meta) != sum {
            return Err("damaged (checksum)".into());
        }
        self.decode_meta(&meta)
            .map_err(|m| format!("unreadable ({})", m.0))?;
        let at = (HEADER + meta_len) as u64;
        let end = blob.len().map_err(|e| format!("unreadable ({e})"))?;
        let mut next = at;
        while next < end {
            let (_, len) = read_chunk(&blob, next, end)?;
            next += 12 + len;
        }
        self.main = Some(Main { blob, at, end });
        Ok(())
    }

    fn encode_meta(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u64(self.keys.generation);
        w.u64(self.keys.len);
        for p in &self.keys.table {
            w.uv(p.at);
            w.uv(p.len);
            w.u64(p.sum);
        }
        w.u64(self.marks.len() as u64);
        for m in &self.marks {
            w.bytes(m.path.as_bytes());
            w.uv(m.dev);
            w.uv(m.ino);
            w.uv(m.len);
            w.iv(m.modified);
            w.uv(m.consumed);
            w.u64(m.window);
            w.uv(u64::from(m.next_seq));
            w.uv(m.skipped);
            w.uv(m.tail_len);
            w.uv(m.tail_skipped);
            w.uv(u64::from(m.tail_entries));
        }
        store::encode_models(&self.models, &mut w);
        w.buf
    }

    fn decode_meta(&mut self, meta: &[u8]) -> Result<(), Malformed> {
        let mut r = Reader::new(meta);
        self.keys.generation = r.u64()?;
        self.keys.len = r.u64()?;
        for p in &mut self.keys.table {
            *p = Place {
                at: r.uv()?,
                len: r.uv()?,
                sum: r.u64()?,
            };
        }
        let n = r.count(8)?;
        for _ in 0..n {
            let path = std::str::from_utf8(r.bytes()?)
                .map_err(|_| Malformed("path"))?
                .to_string();
            self.marks.push(Mark {
                path,
                dev: r.uv()?,
                ino: r.uv()?,
                len: r.uv()?,
                modified: r.iv()?,
                consumed: r.uv()?,
                window: r.u64()?,
                next_seq: u32::try_from(r.uv()?).map_err(|_| Malformed("seq"))?,
                skipped: r.uv()?,
                tail_len: r.uv()?,
                tail_skipped: r.uv()?,
                tail_entries: u32::try_from(r.uv()?).map_err(|_| Malformed("tail"))?,
            });
        }
        self.models = store::decode_models(&mut r)?;
        if !r.is_empty() {
            return Err(Malformed("trailing data"));
        }
        self.rank = (0..self.marks.len() as u32).collect();
        Ok(())
    }

    /// Write a new main file: the meta, then `kept` as chunks of the stream; not put in place
    /// if reading `kept` left an `error`.
    fn write_main(
        &self,
        kept: impl Iterator<Item = Placed>,
        error: &RefCell<Option<String>>,
    ) -> Result<Main, String> {
        let name = self.main_name();
        let err = io_error(&name);
        let meta = self.encode_meta();
        let mut out = Out::new(&self.home, &name).map_err(&err)?;
        let mut w = Writer::default();
        w.u64(u64::from_le_bytes(*MAGIC));
        w.u32(VERSION);
        w.u8(self.path as u8);
        w.u64(meta.len() as u64);
        w.u64(checksum(&meta));
        out.write(&w.buf).map_err(&err)?;
        out.write(&meta).map_err(&err)?;
        let at = (HEADER + meta.len()) as u64;
        let mut end = at;
        let mut chunk = Writer::default();
        let (mut count, mut prev) = (0u32, 0i64);
        let mut seal = |chunk: &mut Writer, count: &mut u32, out: &mut Out| {
            if *count == 0 {
                return Ok(());
            }
            let mut head = Writer::default();
            head.u32((chunk.buf.len() + 4) as u32);
            let mut body = count.to_le_bytes().to_vec();
            body.extend_from_slice(&chunk.buf);
            head.u64(checksum(&body));
            out.write(&head.buf)?;
            out.write(&body)?;
            end += 12 + body.len() as u64;
            chunk.buf.clear();
            *count = 0;
            std::io::Result::Ok(())
        };
        for (e, origin) in kept {
            store::put_placed(&mut chunk, &e, origin, &mut prev);
            count += 1;
            if count == STREAM_CHUNK {
                seal(&mut chunk, &mut count, &mut out).map_err(&err)?;
                prev = 0;
            }
        }
        seal(&mut chunk, &mut count, &mut out).map_err(&err)?;
        if let Some(e) = error.borrow().clone() {
            return Err(e);
        }
        let blob = out.commit().map_err(&err)?;
        Ok(Main { blob, at, end })
    }

    /// The keys file, opened and checked against what the main file says of it.
    fn keys_blob(&self) -> Result<&Blob, String> {
        self.keys
            .blob
            .get_or_init(|| {
                let Home::Dir(dir) = &self.home else {
                    return Err("the index has no keys".into());
                };
                let path = dir.path(&self.keys_name());
                let bad = |why: String| format!("the index keys were {why}");
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&path)
                    .map_err(|e| bad(format!("not readable ({e})")))?;
                let blob = Blob::Disk(Mutex::new(file));
                let head = blob
                    .read_at(0, KEYS_HEADER)
                    .map_err(|_| bad("unreadable (too short)".into()))?;
                let mut r = Reader::new(&head);
                let ok = (|| -> Result<bool, Malformed> {
                    Ok(r.u64()?.to_le_bytes() == *KEYS_MAGIC
                        && r.u32()? == VERSION
                        && r.u8()? == self.path as u8)
                })();
                if ok != Ok(true) {
                    return Err(bad("not a keys file of this version".into()));
                }
                if r.u64() != Ok(self.keys.generation) {
                    return Err("the index keys belong to another generation".into());
                }
                if blob.len().map_err(|e| bad(e.to_string()))? < self.keys.len {
                    return Err(bad("shorter than the index says".into()));
                }
                Ok(blob)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn keys_header(&self, generation: u64) -> Vec<u8> {
        let mut w = Writer::default();
        w.u64(u64::from_le_bytes(*KEYS_MAGIC));
        w.u32(VERSION);
        w.u8(self.path as u8);
        w.u64(generation);
        w.buf
    }

    /// Bucket `b`'s deduplication state.
    fn load_bucket(&self, b: usize) -> Result<Dedupe, String> {
        let p = self.keys.table[b];
        if p.len == 0 {
            return Ok(Dedupe::new(self.path));
        }
        let bad = |why: &str| format!("the index keys were {why}");
        let bytes = self
            .keys_blob()?
            .read_at(p.at, p.len as usize)
            .map_err(|e| bad(&format!("not readable ({e})")))?;
        if checksum(&bytes) != p.sum {
            return Err(bad("damaged (checksum)"));
        }
        decode_bucket(&bytes, self.path, self.bounds()).map_err(|m| bad(m.0))
    }

    /// Push `pending` (by bucket, each in read order) onto the buckets' states. Entries made or
    /// replaced come back by their place in the stream. `save`: write the changed states to
    /// the keys file, and refuse a late entry a run in order would count differently; else
    /// (partial lines, never kept) such an entry is pushed anyway.
    fn push_pending(&self, mut pending: Vec<Vec<Entry>>, save: bool) -> Result<Pushed, String> {
        let mut delta = Delta::new();
        for e in pending[NO_ID].drain(..) {
            let at = (e.file, e.seq);
            delta.insert(key(&self.rank, at), (e, at));
        }
        let touched: Vec<usize> = (0..BUCKETS).filter(|&b| !pending[b].is_empty()).collect();
        let blob = if save && !touched.is_empty() {
            Some(self.keys_blob()?)
        } else {
            None
        };
        let next = AtomicUsize::new(0);
        let out = Mutex::new((Vec::new(), delta, self.keys.len, None::<String>));
        let pending = &pending;
        std::thread::scope(|scope| {
            for _ in 0..run_threads().min(touched.len()) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&b) = touched.get(i) else { return };
                    let done = (|| -> Result<(Option<Vec<u8>>, Delta), String> {
                        let mut d = self.load_bucket(b)?;
                        let mut changed = Vec::new();
                        for e in &pending[b] {
                            let slot = match d.push_late(e.clone(), &self.models, &self.rank) {
                                Ok(slot) => slot,
                                Err(_) if save => {
                                    return Err("an appended line repeats a message of a file \
                                                ordered after it"
                                        .into())
                                }
                                Err(_) => d.push(e.clone(), &self.models),
                            };
                            changed.extend(slot);
                        }
                        let mut delta = Delta::new();
                        for slot in changed {
                            let (e, at) = d.slot(slot);
                            delta.insert(key(&self.rank, at), (e.clone(), at));
                        }
                        Ok((save.then(|| encode_bucket(&d)), delta))
                    })();
                    let mut out = out.lock().expect("bucket results");
                    match done {
                        Ok((bytes, delta)) => {
                            out.1.extend(delta);
                            if let (Some(bytes), Some(blob)) = (bytes, blob) {
                                match blob.append_at(out.2, &[&bytes]) {
                                    Ok(at) => {
                                        let len = bytes.len() as u64;
                                        let sum = checksum(&bytes);
                                        out.0.push((b, Place { at, len, sum }));
                                        out.2 += len;
                                    }
                                    Err(e) => {
                                        out.3.get_or_insert(format!("cannot write the keys: {e}"));
                                    }
                                }
                            }
                        }
                        Err(e) => {
                            out.3.get_or_insert(e);
                            next.store(touched.len(), Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        let (places, delta, len, error) = out.into_inner().expect("bucket results");
        match error {
            Some(e) => Err(e),
            None => Ok(Pushed { delta, places, len }),
        }
    }

    /// Rewrite the keys file with only the current bucket states, once the replaced ones take
    /// more room than the current ones.
    fn compact_keys(&mut self) -> Result<(), String> {
        let header = KEYS_HEADER as u64;
        if self.keys.len - header <= 2 * self.keys.live() + (4 << 10) {
            return Ok(());
        }
        let name = self.keys_name();
        let err = io_error(&name);
        let generation = fastrand::u64(..);
        let mut out = Out::new(&self.home, &name).map_err(&err)?;
        out.write(&self.keys_header(generation)).map_err(&err)?;
        let mut table = self.keys.table.clone();
        let mut len = header;
        let old = self.keys_blob()?;
        for p in table.iter_mut().filter(|p| p.len > 0) {
            let bytes = old
                .read_at(p.at, p.len as usize)
                .map_err(|e| format!("the index keys were not readable ({e})"))?;
            out.write(&bytes).map_err(&err)?;
            p.at = len;
            len += p.len;
        }
        let blob = out.commit().map_err(&err)?;
        self.keys = Keys {
            blob: OnceLock::from(Ok(blob)),
            generation,
            len,
            table,
        };
        Ok(())
    }

    /// The main file's kept entries, merged with `delta`.
    fn merged<'a>(
        &'a self,
        delta: Delta,
        error: &'a RefCell<Option<String>>,
    ) -> impl Iterator<Item = Placed> + 'a {
        let old = StreamReader::new(self.main.as_ref(), self.bounds(), error);
        let rank = &self.rank;
        let mut old = old.peekable();
        let mut new = delta.into_iter().peekable();
        std::iter::from_fn(move || {
            let old_key = old.peek().map(|(_, at)| key(rank, *at));
            match (old_key, new.peek()) {
                (Some(o), Some(&(n, _))) if n < o => new.next().map(|(_, v)| v),
                (Some(o), Some(&(n, _))) if n == o => {
                    old.next();
                    new.next().map(|(_, v)| v)
                }
                (Some(_), _) => old.next(),
                (None, _) => new.next().map(|(_, v)| v),
            }
        })
    }
}

/// A bucket's state as the keys file holds it.
fn encode_bucket(d: &Dedupe) -> Vec<u8> {
    let mut w = Writer::default();
    store::encode_dedupe(d, &mut w);
    w.buf
}

fn decode_bucket(bytes: &[u8], path: Path, bounds: Bounds) -> Result<Dedupe, Malformed> {
    let mut r = Reader::new(bytes);
    let d = store::decode_dedupe(&mut r, bounds)?;
    if !r.is_empty() {
        return Err(Malformed("trailing data"));
    }
    if d.path() != path {
        return Err(Malformed("dedupe path"));
    }
    Ok(d)
}

/// The chunk at `at` (before `end`): checked, its payload (entry count, then entries), and its
/// payload's length.
fn read_chunk(blob: &Blob, at: u64, end: u64) -> Result<(Vec<u8>, u64), String> {
    let short = || "unreadable (too short)".to_string();
    if end - at < 12 {
        return Err(short());
    }
    let head = blob.read_at(at, 12).map_err(|_| short())?;
    let len = u64::from(u32::from_le_bytes(head[..4].try_into().expect("4 bytes")));
    let sum = u64::from_le_bytes(head[4..].try_into().expect("8 bytes"));
    if len < 4 || end - at - 12 < len {
        return Err(short());
    }
    let body = blob.read_at(at + 12, len as usize).map_err(|_| short())?;
    if checksum(&body) != sum {
        return Err("damaged (checksum)".into());
    }
    Ok((body, len))
}

/// The chunk at `at` of `main`, decoded; and where the next one starts.
fn decode_chunk(blob: &Blob, at: u64, end: u64, b: Bounds) -> Result<(Vec<Placed>, u64), String> {
    let (body, len) = read_chunk(blob, at, end).map_err(|why| format!("the index was {why}"))?;
    let n = u32::from_le_bytes(body[..4].try_into().expect("4 bytes"));
    let placed = records(&body[4..], n, |r, prev| store::get_placed(r, b, prev))
        .map_err(|m| format!("the index was unreadable ({})", m.0))?;
    Ok((placed, at + 12 + len))
}

/// The `count` records of a chunk (of the main stream, or of a bucket's spilled entries),
/// each read by `get` after the one before it (times are differences from 0 in each chunk).
fn records<T>(
    bytes: &[u8],
    count: u32,
    mut get: impl FnMut(&mut Reader<'_>, &mut i64) -> Result<T, Malformed>,
) -> Result<Vec<T>, Malformed> {
    let mut r = Reader::new(bytes);
    let mut prev = 0;
    let mut out = Vec::with_capacity(count.min(STREAM_CHUNK) as usize);
    for _ in 0..count {
        out.push(get(&mut r, &mut prev)?);
    }
    Ok(out)
}

/// Where a [`StreamReader`] gets its chunks: a thread that decodes them ahead (a file), or
/// itself (memory).
enum Source<'a> {
    Ahead(std::sync::mpsc::Receiver<Result<Vec<Placed>, String>>),
    Here(&'a Main, u64),
    Done,
}

/// The main file's kept entries, a chunk at a time. A chunk that cannot be read ends it and
/// leaves its reason in `error`.
struct StreamReader<'a> {
    source: Source<'a>,
    bounds: Bounds,
    batch: std::vec::IntoIter<Placed>,
    error: &'a RefCell<Option<String>>,
}

impl<'a> StreamReader<'a> {
    fn new(main: Option<&'a Main>, bounds: Bounds, error: &'a RefCell<Option<String>>) -> Self {
        let source = match main {
            None => Source::Done,
            Some(m) => match m.blob.try_clone() {
                // Two chunks ahead at most: decoding runs beside the report.
                Some(blob) => {
                    let (tx, rx) = std::sync::mpsc::sync_channel(2);
                    let (mut at, end) = (m.at, m.end);
                    std::thread::spawn(move || {
                        while at < end {
                            let chunk = decode_chunk(&blob, at, end, bounds);
                            let stop = chunk.is_err();
                            let sent = tx.send(chunk.map(|(entries, next)| {
                                at = next;
                                entries
                            }));
                            if stop || sent.is_err() {
                                return;
                            }
                        }
                    });
                    Source::Ahead(rx)
                }
                None => Source::Here(m, m.at),
            },
        };
        Self {
            source,
            bounds,
            batch: Vec::new().into_iter(),
            error,
        }
    }
}

impl Iterator for StreamReader<'_> {
    type Item = Placed;

    fn next(&mut self) -> Option<Placed> {
        loop {
            if let Some(p) = self.batch.next() {
                return Some(p);
            }
            let chunk = match &mut self.source {
                Source::Done => return None,
                Source::Ahead(rx) => match rx.recv() {
                    Ok(chunk) => chunk,
                    Err(_) => return None,
                },
                Source::Here(main, at) if *at < main.end => {
                    decode_chunk(&main.blob, *at, main.end, self.bounds).map(|(entries, next)| {
                        *at = next;
                        entries
                    })
                }
                Source::Here(..) => return None,
            };
            match chunk {
                Ok(entries) => self.batch = entries.into_iter(),
                Err(why) => {
                    *self.error.borrow_mut() = Some(why);
                    self.source = Source::Done;
                    return None;
                }
            }
        }
    }
}

/// One bucket's kept entries from a first read's runs, in stream order. Decoded one entry at a
/// time, not a chunk at a time like [`records`]: a merge holds a reader per bucket (1025), and
/// a decoded chunk each would add about 11 MB at 1 GiB.
struct RunReader<'a> {
    runs: &'a Spill,
    stream: usize,
    chunk: usize,
    bytes: Vec<u8>,
    pos: usize,
    left: u32,
    prev: i64,
    bounds: Bounds,
}

impl RunReader<'_> {
    fn next(&mut self) -> Result<Option<Placed>, String> {
        while self.left == 0 {
            if self.chunk >= self.runs.chunks(self.stream) {
                return Ok(None);
            }
            let c = self
                .runs
                .chunk(self.stream, self.chunk)
                .map_err(|e| format!("cannot read back the spill file: {e}"))?;
            self.chunk += 1;
            (self.bytes, self.left, self.pos, self.prev) = (c.bytes, c.count, 0, 0);
        }
        let mut r = Reader::new(&self.bytes[self.pos..]);
        let placed = store::get_placed(&mut r, self.bounds, &mut self.prev)
            .map_err(|m| format!("the spill file was unreadable ({})", m.0))?;
        self.pos = self.bytes.len() - r.rest_len();
        self.left -= 1;
        Ok(Some(placed))
    }
}
/// What a refresh must do with the files found.
enum Plan<'a> {
    /// Read these (file id, or for a new file its rank; transcript; mark if seen before), in
    /// file order; and the rank of every known file.
    Read(Vec<(u32, &'a Transcript, Option<Mark>)>, Vec<u32>),
    Rebuild(String),
}

impl Engine {
    /// Compare the files found with what the index knows.
    fn plan<'a>(&self, found: &[&'a Transcript]) -> Plan<'a> {
        let known: HashMap<&str, u32> = self
            .marks
            .iter()
            .enumerate()
            .map(|(i, m)| (m.path.as_str(), i as u32))
            .collect();
        let mut rank = vec![u32::MAX; self.marks.len()];
        let mut read = Vec::new();
        for (i, &t) in found.iter().enumerate() {
            let name = t.path.to_string_lossy();
            let Some(&id) = known.get(name.as_ref()) else {
                // A new file: its id is given once it has been read.
                read.push((i as u32, t, None));
                continue;
            };
            rank[id as usize] = i as u32;
            let m = &self.marks[id as usize];
            if !m.same_file(t) {
                return Plan::Rebuild(format!("{name} was replaced"));
            }
            if t.len < m.consumed {
                return Plan::Rebuild(format!("{name} was truncated"));
            }
            if !m.unchanged(t) || m.tail_entries > 0 {
                read.push((id, t, Some(m.clone())));
            }
        }
        // A known file not found has no rank.
        if let Some(gone) = rank.iter().position(|&r| r == u32::MAX) {
            return Plan::Rebuild(format!("{} was deleted", self.marks[gone].path));
        }
        Plan::Read(read, rank)
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
            return self.rebuild(&found, "no index yet".into(), progress);
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
            Err(why) => self.rebuild(&found, why, progress),
        }
    }

    /// Read `jobs` onto the kept state; `self.rank` holds the ranks of the known files.
    fn update(
        &mut self,
        jobs: Vec<(u32, &Transcript, Option<Mark>)>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Refresh, String> {
        let jobs: Vec<(u32, &Transcript, Option<&Mark>)> = jobs
            .iter()
            .map(|(id, t, m)| (*id, *t, m.as_ref()))
            .collect();
        let new: u64 = jobs.iter().map(unread).sum();
        if new > MOST_APPENDED {
            return Err(format!("{} MiB were new", new >> 20));
        }
        let mut refresh = Refresh {
            how: Refreshed::Updated,
            ..Refresh::default()
        };
        // What the written index vouches for: if only partial lines were read, it still holds.
        let vouched = |m: &Mark| (m.consumed, m.next_seq, m.skipped, m.window);
        let before: Vec<_> = self.marks.iter().map(vouched).collect();
        let mut pending: Vec<Vec<Entry>> = vec![Vec::new(); BUCKETS + 1];
        let mut tails = Vec::new();
        let (marks, models, rank) = (&mut self.marks, &mut self.models, &mut self.rank);
        read_parts(&jobs, self.path, progress, |t, seen, part| {
            let mut p = match part {
                Ok(p) => p,
                Err(PartError::Rewritten) => {
                    return Err(format!("{} was rewritten", t.path.display()));
                }
                Err(PartError::Io(e)) if seen => {
                    return Err(format!("{} became unreadable: {e}", t.path.display()));
                }
                Err(PartError::Io(e)) => {
                    refresh.unreadable.push((t.path.clone(), e));
                    return Ok(());
                }
            };
            if seen {
                marks[p.file as usize] = p.mark.clone();
            } else {
                // A new file: its rank came as its id; now the next free id (files that could
                // not be read get none).
                rank.push(p.file);
                p.set_file(marks.len() as u32);
                marks.push(p.mark.clone());
            }
            adopt_models(models, &mut p);
            refresh.read_bytes += p.read;
            for e in p.entries {
                pending[bucket(&e)].push(e);
            }
            tails.extend(p.tail);
            Ok(())
        })?;
        let Pushed { delta, places, len } = self.push_pending(pending, true)?;
        for (b, p) in places {
            self.keys.table[b] = p;
        }
        self.keys.len = len;
        self.tails = self.tail_delta(tails)?;
        if delta.is_empty() && self.marks.iter().map(vouched).eq(before) {
            // Nothing but partial lines (read again next time): no need to write anything.
            return Ok(refresh);
        }
        self.compact_keys()?;
        let error = RefCell::new(None);
        let main = self.write_main(self.merged(delta, &error), &error)?;
        self.main = Some(main);
        Ok(refresh)
    }

    /// Read everything again (in memory when the state dir cannot be written).
    fn rebuild(
        &mut self,
        found: &[&Transcript],
        why: String,
        progress: &mut dyn FnMut(Progress),
    ) -> Refresh {
        match self.build(found, why.clone(), progress) {
            Ok(r) => r,
            Err(e) if matches!(self.home, Home::Dir(_)) => {
                self.home = Home::Memory;
                let mut r = self
                    .build(found, why.clone(), progress)
                    .unwrap_or_else(|e| {
                        *self = Self::new(self.path);
                        Refresh {
                            how: Refreshed::Built(why),
                            note: Some(format!("usage could not be read: {e}")),
                            ..Refresh::default()
                        }
                    });
                r.note
                    .get_or_insert(format!("the usage index was not saved: {e}"));
                r
            }
            Err(e) => {
                *self = Self::new(self.path);
                Refresh {
                    how: Refreshed::Built(why),
                    note: Some(format!("usage could not be read: {e}")),
                    ..Refresh::default()
                }
            }
        }
    }

    /// A first read: every file's entries spilled by bucket, each bucket deduplicated and its
    /// state written to a new keys file, then the buckets' kept entries merged into the stream.
    fn build(
        &mut self,
        found: &[&Transcript],
        why: String,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Refresh, String> {
        *self = Self::empty(self.path, self.home.clone());
        let mut refresh = Refresh {
            how: Refreshed::Built(why),
            ..Refresh::default()
        };
        let keys_name = self.keys_name();
        let err = io_error(&keys_name);
        // Made first: a state dir that cannot be written is found before anything is read.
        let mut keys = Out::new(&self.home, &keys_name).map_err(&err)?;
        let spill_dir = match &self.home {
            Home::Dir(d) => Some(d.root().to_path_buf()),
            Home::Memory => None,
        };
        let spill_err = |e: std::io::Error| format!("cannot write a spill file: {e}");
        let mut spill = Spill::new(spill_dir.as_deref(), BUCKETS + 1).map_err(spill_err)?;
        let mut tails = Vec::new();
        let all: Vec<(u32, &Transcript, Option<&Mark>)> =
            found.iter().map(|&t| (0, t, None)).collect();
        read_parts(&all, self.path, progress, |t, _, part| {
            match part {
                Ok(mut p) => {
                    // Ids in path order, given to the files that could be read.
                    p.set_file(self.marks.len() as u32);
                    adopt_models(&mut self.models, &mut p);
                    refresh.read_bytes += p.read;
                    for e in &p.entries {
                        spill
                            .push(bucket(e), |w, prev| store::put_entry(w, e, prev))
                            .map_err(spill_err)?;
                    }
                    tails.extend(p.tail);
                    self.marks.push(p.mark);
                }
                Err(PartError::Rewritten) => unreachable!("nothing to compare on a first read"),
                Err(PartError::Io(e)) => refresh.unreadable.push((t.path.clone(), e)),
            }
            Ok(())
        })?;
        spill.finish().map_err(spill_err)?;
        self.rank = (0..self.marks.len() as u32).collect();
        let tails_read = tails;

        // Each bucket on its own: its entries, deduplicated; its state to the keys file; its
        // kept entries to a run.
        let generation = fastrand::u64(..);
        keys.write(&self.keys_header(generation)).map_err(&err)?;
        // A spill of runs per thread, so none waits for another.
        let mut runs = (0..run_threads())
            .map(|_| Spill::new(spill_dir.as_deref(), BUCKETS + 1))
            .collect::<Result<Vec<_>, _>>()
            .map_err(spill_err)?;
        let written = Mutex::new((keys, KEYS_HEADER as u64, vec![Place::default(); BUCKETS]));
        let next = AtomicUsize::new(0);
        let failed = Mutex::new(None::<String>);
        let bounds = self.bounds();
        let mut owner = vec![0; NO_ID + 1];
        std::thread::scope(|scope| {
            let threads: Vec<_> = runs
                .iter_mut()
                .map(|runs| {
                    let (next, written, failed, spill) = (&next, &written, &failed, &spill);
                    let (err, models) = (&err, &self.models);
                    let path = self.path;
                    scope.spawn(move || {
                        let mut mine = Vec::new();
                        loop {
                            let b = next.fetch_add(1, Ordering::Relaxed);
                            if b > NO_ID {
                                return mine;
                            }
                            mine.push(b);
                            let done = (|| -> Result<(), String> {
                                let n = (0..spill.chunks(b)).map(|i| spill.count(b, i)).sum();
                                let mut d = Dedupe::with_capacity(path, n);
                                for i in 0..spill.chunks(b) {
                                    let c = spill.chunk(b, i).map_err(spill_err)?;
                                    let entries = records(&c.bytes, c.count, |r, prev| {
                                        store::get_entry(r, bounds, prev)
                                    })
                                    .map_err(|m| {
                                        format!("the spill file was unreadable ({})", m.0)
                                    })?;
                                    for e in entries {
                                        d.push(e, models);
                                    }
                                }
                                if b != NO_ID && d.kept().len() > 0 {
                                    let bytes = encode_bucket(&d);
                                    let mut w = written.lock().expect("keys writer");
                                    let (out, len, table) = &mut *w;
                                    out.write(&bytes).map_err(err)?;
                                    let n = bytes.len() as u64;
                                    table[b] = Place {
                                        at: *len,
                                        len: n,
                                        sum: checksum(&bytes),
                                    };
                                    *len += n;
                                }
                                for (e, at) in d.placed() {
                                    runs.push(b, |w, prev| store::put_placed(w, e, at, prev))
                                        .map_err(spill_err)?;
                                }
                                Ok(())
                            })();
                            if let Err(e) = done {
                                failed.lock().expect("failure").get_or_insert(e);
                                next.store(NO_ID + 1, Ordering::Relaxed);
                            }
                        }
                    })
                })
                .collect();
            for (t, handle) in threads.into_iter().enumerate() {
                for b in handle.join().expect("bucket thread") {
                    owner[b] = t;
                }
            }
        });
        if let Some(e) = failed.into_inner().expect("failure") {
            return Err(e);
        }
        drop(spill);
        let (keys, len, table) = written.into_inner().expect("keys writer");
        let blob = keys.commit().map_err(&err)?;
        self.keys = Keys {
            blob: OnceLock::from(Ok(blob)),
            generation,
            len,
            table,
        };
        for r in &mut runs {
            r.finish().map_err(spill_err)?;
        }

        // The runs merged by place (file ids are in path order now).
        let mut readers: Vec<RunReader<'_>> = (0..=NO_ID)
            .map(|stream| RunReader {
                runs: &runs[owner[stream]],
                stream,
                chunk: 0,
                bytes: Vec::new(),
                pos: 0,
                left: 0,
                prev: 0,
                bounds,
            })
            .collect();
        let rank = &self.rank;
        let error = RefCell::new(None);
        // Merged on a thread of its own, a batch at a time, while this one writes.
        let main = std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Placed>, String>>(4);
            scope.spawn(move || {
                let mut merge = || -> Result<(), String> {
                    let mut heads: Vec<Option<Placed>> = Vec::with_capacity(readers.len());
                    let mut heap = BinaryHeap::new();
                    for (i, r) in readers.iter_mut().enumerate() {
                        let head = r.next()?;
                        if let Some((_, at)) = &head {
                            heap.push(std::cmp::Reverse((key(rank, *at), i)));
                        }
                        heads.push(head);
                    }
                    let mut batch = Vec::with_capacity(STREAM_CHUNK as usize);
                    while let Some(std::cmp::Reverse((_, i))) = heap.pop() {
                        batch.extend(heads[i].take());
                        let head = readers[i].next()?;
                        if let Some((_, at)) = &head {
                            heap.push(std::cmp::Reverse((key(rank, *at), i)));
                        }
                        heads[i] = head;
                        if batch.len() == STREAM_CHUNK as usize {
                            let full = std::mem::replace(
                                &mut batch,
                                Vec::with_capacity(STREAM_CHUNK as usize),
                            );
                            tx.send(Ok(full)).map_err(|_| String::new())?;
                        }
                    }
                    tx.send(Ok(batch)).map_err(|_| String::new())
                };
                if let Err(e) = merge() {
                    let _ = tx.send(Err(e));
                }
            });
            let mut batch = Vec::new().into_iter();
            let merged = std::iter::from_fn(|| loop {
                if let Some(p) = batch.next() {
                    return Some(p);
                }
                match rx.recv() {
                    Ok(Ok(b)) => batch = b.into_iter(),
                    Ok(Err(e)) => {
                        error.borrow_mut().get_or_insert(e);
                        return None;
                    }
                    Err(_) => return None,
                }
            });
            self.write_main(merged, &error)
        })?;
        self.main = Some(main);
        self.tails = self.tail_delta(tails_read)?;
        Ok(refresh)
    }

    /// What the entries of partial last lines add to the kept state (rare: a line being
    /// written as it was read). A partial line repeating a message of a later file is added
    /// where it was read (README, compatibility table).
    fn tail_delta(&self, tails: Vec<Entry>) -> Result<Delta, String> {
        if tails.is_empty() {
            return Ok(Delta::new());
        }
        let mut pending: Vec<Vec<Entry>> = vec![Vec::new(); BUCKETS + 1];
        for e in tails {
            pending[bucket(&e)].push(e);
        }
        Ok(self.push_pending(pending, false)?.delta)
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
    error: RefCell<Option<String>>,
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
        self.error.borrow().clone()
    }
}
