//! The usage engine: every transcript's entries, deduplicated, kept up to date incrementally.
//!
//! Per file the engine remembers its identity (device, inode), size, modification time, how far
//! it was read (`consumed`: up to the last newline) and a checksum of the bytes just before that
//! point. A refresh stats every file and reads only what was appended; the deduplication state
//! (kept entries and their keys) lives on, so appended lines are pushed onto it
//! ([`Dedupe::push_late`]) and the slots reordered as a run in file order would have made them.
//! The state persists in the state dir in checksummed files (see ARCHITECTURE.md): a repeated
//! CLI run reads nothing but the main one and the directory listing.
//!
//! A partial last line (no newline yet) is never consumed: its entry, if it has one, is added to
//! each answer but not to the kept state, and it is read again until its newline arrives.
//!
//! Rebuilt from scratch, never patched: when the index is missing, damaged or of another
//! version; when a file was deleted, truncated, replaced (new identity) or rewritten (the
//! checksum before `consumed` differs); when an appended line's message was also read from a file
//! ordered after its own (only a run in order can tell which copy counts).

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use ccpulse_core::usage::codec::{checksum, Malformed, Reader, Writer};
use ccpulse_core::usage::store::{self, Bounds};
use ccpulse_core::usage::{Dedupe, Entry, Models, Path, SessionFile};

use super::entries::{entries_in, file_session, id_hash};
use super::paths::Transcript;
use crate::state_dir::StateDir;

const MAGIC: &[u8; 8] = b"CCPUIDX\0";
/// Bump when the layout or the meaning of a field changes: an index of another version is rebuilt.
const VERSION: u32 = 3;
/// Bytes before `consumed` whose checksum tells an appended file from a rewritten one.
const WINDOW: u64 = 4096;
/// How far readers may run ahead of the thread that takes their parts (files): enough to keep
/// every core busy, few enough that their bytes and entries stay small next to what
/// deduplication keeps.
const AHEAD: usize = 32;
/// Progress is reported every this many files.
const BATCH: usize = 64;

/// Two pieces of decoding side by side (the core spawns nothing; see `store::Join`).
fn both(a: &mut (dyn FnMut() + Send), b: &mut (dyn FnMut() + Send)) {
    std::thread::scope(|scope| {
        scope.spawn(a);
        b();
    });
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

/// The deduplication state: as loaded (the kept entries with the fields reports read; the keys
/// stay on disk until more must be pushed) or whole.
enum State {
    Loaded(Box<Report>),
    Ready(Box<Dedupe>),
}

/// The kept entries as the main file holds them, decoded when a report first asks (a refresh
/// that pushes more reads the keys file instead and never needs them).
struct Report {
    bytes: Vec<u8>,
    /// Where the report part starts in `bytes`.
    at: usize,
    bounds: Bounds,
    path: Path,
    entries: std::sync::OnceLock<Result<[Vec<Entry>; 2], String>>,
}

impl Report {
    fn entries(&self) -> Result<&[Vec<Entry>; 2], String> {
        self.entries_with(&both)
    }

    /// The entries, decoded by halves that `join` runs.
    fn entries_with(&self, join: store::Join<'_>) -> Result<&[Vec<Entry>; 2], String> {
        self.entries
            .get_or_init(|| {
                let mut r = Reader::new(&self.bytes[self.at..]);
                let bad = |why: &str| format!("the index was unreadable ({why})");
                let (path, kept) =
                    Dedupe::decode_report_with(&mut r, self.bounds, join).map_err(|m| bad(m.0))?;
                if path != self.path || !r.is_empty() {
                    return Err(bad("trailing data"));
                }
                Ok(kept)
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// The keys file a state can be rebuilt from: a snapshot of the whole deduplication state, then
/// a journal of records, each the entries pushed by one update. Only `len` bytes of it are
/// valid (a record written by a save that did not finish is ignored, then overwritten).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysFile {
    path: PathBuf,
    generation: u64,
    len: u64,
    /// Where the journal starts (the header and the snapshot end there).
    journal_at: u64,
}

pub struct Engine {
    path: Path,
    marks: Vec<Mark>,
    models: Models,
    state: State,
    /// Entries of partial last lines; not part of the kept state.
    tails: Vec<Entry>,
    /// `rank[file id]`: the file's place in path order, as of the last refresh.
    rank: Vec<u32>,
    /// The index changed since it was loaded or saved.
    dirty: std::sync::atomic::AtomicBool,
    /// The keys file on disk, and the entries pushed since it was written (in push order): a
    /// save appends them as a journal record instead of writing every key again.
    keys_file: Option<KeysFile>,
    journal: Vec<Entry>,
}

/// What a save wrote, for [`Engine::saved`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved(Option<KeysFile>);

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

/// Read `jobs` (file id, transcript, where to start) on all cores while the calling thread
/// hands each part to `sink`, in the order given. Readers stay at most [`AHEAD`] files ahead of
/// the sink, so memory stays flat however large the history. A sink error stops the readers.
fn read_parts(
    jobs: &[(u32, &Transcript, Option<&Mark>)],
    path: Path,
    progress: &mut dyn FnMut(Progress),
    mut sink: impl FnMut(&Transcript, bool, Result<Part, PartError>) -> Result<(), String>,
) -> Result<(), String> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{mpsc, Condvar, Mutex};

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut p = Progress {
        files_total: jobs.len(),
        bytes_total: jobs
            .iter()
            .map(|(_, t, m)| t.len.saturating_sub(m.map_or(0, |m| m.consumed)))
            .sum(),
        ..Progress::default()
    };
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let sunk = (Mutex::new(0usize), Condvar::new());
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        for _ in 0..threads.min(jobs.len()) {
            let tx = tx.clone();
            let (next, stop, sunk) = (&next, &stop, &sunk);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs.len() || stop.load(Ordering::Relaxed) {
                    return;
                }
                {
                    let (done, cv) = sunk;
                    let mut done = done.lock().expect("progress lock");
                    while i >= *done + AHEAD && !stop.load(Ordering::Relaxed) {
                        done = cv.wait(done).expect("progress lock");
                    }
                }
                let (id, t, from) = jobs[i];
                if tx
                    .send((i, read_part(t, id, from, path == Path::Daily)))
                    .is_err()
                {
                    return;
                }
            });
        }
        drop(tx);
        let mut waiting = std::collections::BTreeMap::new();
        let mut want = 0;
        let mut result = Ok(());
        for (i, part) in rx.iter() {
            waiting.insert(i, part);
            while let Some(part) = waiting.remove(&want) {
                p.files_done += 1;
                p.bytes_done += part.as_ref().map_or(0, |p| p.read);
                if result.is_ok() {
                    result = sink(jobs[want].1, jobs[want].2.is_some(), part);
                    if result.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                want += 1;
                let (done, cv) = &sunk;
                *done.lock().expect("progress lock") = want;
                cv.notify_all();
                if want % BATCH == 0 || want == jobs.len() {
                    progress(p);
                }
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

/// What a refresh must do with the files found.
enum Plan<'a> {
    /// Read these (file id, or for a new file its rank; transcript; mark if seen before), in
    /// file order; and the rank of every known file.
    Read(Vec<(u32, &'a Transcript, Option<Mark>)>, Vec<u32>),
    Rebuild(String),
}

impl Engine {
    /// An empty engine: the first refresh reads everything.
    pub fn new(path: Path) -> Self {
        Self {
            path,
            marks: Vec::new(),
            models: Models::default(),
            state: State::Ready(Box::new(Dedupe::new(path))),
            tails: Vec::new(),
            rank: Vec::new(),
            dirty: Default::default(),
            keys_file: None,
            journal: Vec::new(),
        }
    }

    fn file_name(path: Path) -> &'static str {
        match path {
            Path::Daily => "usage-index-daily",
            Path::Entries => "usage-index-entries",
        }
    }

    /// The engine as last saved in `dir`; an empty one (and why) when there is no usable index.
    pub fn load(dir: &StateDir, path: Path) -> (Self, Option<String>) {
        let main = dir.path(&format!("{}.bin", Self::file_name(path)));
        let bytes = match std::fs::read(&main) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return (Self::new(path), Some("no index yet".into()));
            }
            Err(e) => {
                return (
                    Self::new(path),
                    Some(format!("cannot read {}: {e}", main.display())),
                )
            }
        };
        let keys = dir.path(&format!("{}.keys", Self::file_name(path)));
        match Self::decode(bytes, path, keys) {
            Ok(engine) => (engine, None),
            Err(why) => (Self::new(path), Some(format!("the index was {why}"))),
        }
    }

    /// Check a file's header and checksum; the body and the generation it belongs to.
    fn open_file(bytes: &[u8], path: Path) -> Result<(Reader<'_>, u64), String> {
        let mut r = Reader::new(bytes);
        let header = (|| -> Result<_, Malformed> {
            let magic = r.u64()?.to_le_bytes();
            Ok((magic, r.u32()?, r.u8()?, r.u64()?, r.u64()?))
        })();
        let (magic, version, stored_path, generation, sum) =
            header.map_err(|_| "unreadable (too short)".to_string())?;
        if &magic != MAGIC {
            return Err("not an index file".into());
        }
        if version != VERSION {
            return Err(format!("of another version ({version}, this is {VERSION})"));
        }
        if stored_path != path as u8 {
            return Err("for another report".into());
        }
        let body = &bytes[bytes.len() - r.rest_len()..];
        if checksum(body) != sum {
            return Err("damaged (checksum)".into());
        }
        Ok((Reader::new(body), generation))
    }

    fn header(w: &mut Writer, path: Path, generation: u64, body: &[u8]) {
        w.u64(u64::from_le_bytes(*MAGIC));
        w.u32(VERSION);
        w.u8(path as u8);
        w.u64(generation);
        w.u64(checksum(body));
    }

    fn decode(bytes: Vec<u8>, path: Path, keys: PathBuf) -> Result<Self, String> {
        let (mut r, generation) = Self::open_file(&bytes, path)?;
        let bad = |m: Malformed| format!("unreadable ({})", m.0);
        let mut marks = Vec::new();
        let mut keys_at = (0, 0);
        let models = (|| -> Result<Models, Malformed> {
            keys_at = (r.u64()?, r.u64()?);
            let n = r.count(8)?;
            for _ in 0..n {
                let path = std::str::from_utf8(r.bytes()?)
                    .map_err(|_| Malformed("path"))?
                    .to_string();
                marks.push(Mark {
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
            Models::decode(&mut r)
        })()
        .map_err(bad)?;
        let mut engine = Self::new(path);
        engine.marks = marks;
        engine.models = models;
        let at = bytes.len() - r.rest_len();
        engine.state = State::Loaded(Box::new(Report {
            bytes,
            at,
            bounds: engine.bounds(),
            path,
            entries: Default::default(),
        }));
        engine.keys_file = Some(KeysFile {
            path: keys,
            generation,
            len: keys_at.0,
            journal_at: keys_at.1,
        });
        Ok(engine)
    }

    fn bounds(&self) -> Bounds {
        Bounds {
            files: self.marks.len() as u32,
            models: self.models.len(),
        }
    }

    /// Write the index to `dir` if it changed. The keys go first: as a journal record of the
    /// entries pushed since the keys file was written (small, appended), or, when there is no
    /// such file or its journal has grown to a quarter of its snapshot, as a new snapshot under a
    /// new generation. Then the main file, atomically, naming the generation and how much of
    /// the keys file is valid: a crash in between leaves the old main file, which ignores the
    /// new record, or a pair that does not match, which is rebuilt. Not flushed to disk: a damaged
    /// index is detected and rebuilt. Give the result to [`Engine::saved`] to go on from it.
    pub fn save(&self, dir: &StateDir) -> Result<Saved, String> {
        use std::sync::atomic::Ordering;
        if !self.dirty.load(Ordering::Relaxed) {
            return Ok(Saved(self.keys_file.clone()));
        }
        let State::Ready(d) = &self.state else {
            unreachable!("a changed engine holds its whole state")
        };
        let name = Self::file_name(self.path);
        let append = self.keys_file.as_ref().filter(|k| {
            let journal = k.len - k.journal_at + self.journal.len() as u64 * 64;
            journal < k.journal_at / 4
        });
        // The keys and the main file are made and written side by side.
        let (keys, main) = std::thread::scope(|scope| {
            let keys = scope.spawn(|| match append {
                Some(k) => self.append_journal(k),
                None => self.write_snapshot(dir, d),
            });
            let mut body = Writer::default();
            // Where the keys file ends and its journal starts: filled in once it is written.
            body.u64(0);
            body.u64(0);
            body.u64(self.marks.len() as u64);
            for m in &self.marks {
                body.bytes(m.path.as_bytes());
                body.uv(m.dev);
                body.uv(m.ino);
                body.uv(m.len);
                body.iv(m.modified);
                body.uv(m.consumed);
                body.u64(m.window);
                body.uv(u64::from(m.next_seq));
                body.uv(m.skipped);
                body.uv(m.tail_len);
                body.uv(m.tail_skipped);
                body.uv(u64::from(m.tail_entries));
            }
            self.models.encode(&mut body);
            d.encode_report(&mut body);
            (keys.join().expect("index writer"), body)
        });
        let keys = keys?;
        let mut main = main;
        main.buf[..8].copy_from_slice(&keys.len.to_le_bytes());
        main.buf[8..16].copy_from_slice(&keys.journal_at.to_le_bytes());
        let mut header = Writer::default();
        Self::header(&mut header, self.path, keys.generation, &main.buf);
        dir.write_parts(&format!("{name}.bin"), &[&header.buf, &main.buf], false)
            .map_err(|e| e.to_string())?;
        self.dirty.store(false, Ordering::Relaxed);
        Ok(Saved(Some(keys)))
    }

    /// Go on from what [`Engine::save`] wrote.
    pub fn saved(&mut self, saved: Saved) {
        if saved.0 != self.keys_file {
            self.journal.clear();
        }
        self.keys_file = saved.0;
    }

    fn write_snapshot(&self, dir: &StateDir, d: &Dedupe) -> Result<KeysFile, String> {
        let generation = fastrand::u64(..);
        // The size of the report part, then the report part and the keys.
        let mut body = Writer::default();
        body.u64(0);
        d.encode_slots(&mut body);
        let report_len = (body.buf.len() - 8) as u64;
        body.buf[..8].copy_from_slice(&report_len.to_le_bytes());
        d.encode_keys(&mut body);
        let mut header = Writer::default();
        Self::header(&mut header, self.path, generation, &body.buf);
        let name = format!("{}.keys", Self::file_name(self.path));
        dir.write_parts(&name, &[&header.buf, &body.buf], false)
            .map_err(|e| e.to_string())?;
        let len = (header.buf.len() + body.buf.len()) as u64;
        Ok(KeysFile {
            path: dir.path(&name),
            generation,
            len,
            journal_at: len,
        })
    }

    /// Append the entries pushed since `k` was written as one record: its length, checksum and
    /// the entries. Anything past `k.len` (a record of a save that did not finish) goes first.
    fn append_journal(&self, k: &KeysFile) -> Result<KeysFile, String> {
        use std::io::Write as _;
        let mut payload = Writer::default();
        store::encode_entries(&mut payload, &self.journal);
        let mut record = Writer::default();
        record.u64(payload.buf.len() as u64);
        record.u64(checksum(&payload.buf));
        let io = |e: std::io::Error| format!("cannot append to {}: {e}", k.path.display());
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&k.path)
            .map_err(io)?;
        f.set_len(k.len).map_err(io)?;
        f.seek(SeekFrom::End(0)).map_err(io)?;
        f.write_all(&record.buf).map_err(io)?;
        f.write_all(&payload.buf).map_err(io)?;
        Ok(KeysFile {
            len: k.len + (record.buf.len() + payload.buf.len()) as u64,
            ..k.clone()
        })
    }

    /// The whole deduplication state from the keys file: its snapshot, then its journal
    /// replayed (slots not yet in file order: see [`Dedupe::reorder`]).
    fn read_keys(&self, k: &KeysFile) -> Result<Dedupe, String> {
        let bad = |why: String| format!("the index keys were {why}");
        let bytes = std::fs::read(&k.path).map_err(|e| bad(format!("not readable ({e})")))?;
        let len = usize::try_from(k.len).unwrap_or(usize::MAX);
        let at = usize::try_from(k.journal_at).unwrap_or(usize::MAX);
        if bytes.len() < len || at > len {
            return Err(bad("shorter than the index says".into()));
        }
        let (mut r, generation) = Self::open_file(&bytes[..at], self.path).map_err(bad)?;
        if generation != k.generation {
            return Err("the index keys belong to another generation".into());
        }
        let malformed = |m: Malformed| bad(format!("unreadable ({})", m.0));
        let report_len = r.u64().map_err(malformed)?;
        let body = &bytes[at - r.rest_len()..at];
        let split = usize::try_from(report_len)
            .ok()
            .filter(|n| *n <= body.len())
            .ok_or_else(|| bad("unreadable (sizes)".into()))?;
        let (report, keys) = body.split_at(split);
        let (mut rr, mut kr) = (Reader::new(report), Reader::new(keys));
        let (path, [mut kept, rest]) =
            Dedupe::decode_report_with(&mut rr, self.bounds(), &both).map_err(malformed)?;
        kept.extend(rest);
        let mut d =
            Dedupe::with_keys(path, kept, &mut kr, self.bounds(), &both).map_err(malformed)?;
        if !rr.is_empty() || !kr.is_empty() {
            return Err(bad("unreadable (trailing data)".into()));
        }
        let mut journal = Reader::new(&bytes[at..len]);
        while !journal.is_empty() {
            let size = journal.count(1).map_err(malformed)?;
            let sum = journal.u64().map_err(malformed)?;
            let payload_at = len - journal.rest_len();
            let payload = bytes
                .get(payload_at..payload_at + size)
                .filter(|p| payload_at + size <= len && checksum(p) == sum)
                .ok_or_else(|| bad("damaged (journal)".into()))?;
            let entries = store::decode_entries(&mut Reader::new(payload), self.bounds())
                .map_err(malformed)?;
            for e in entries {
                d.push(e, &self.models);
            }
            journal = Reader::new(&bytes[payload_at + size..len]);
        }
        Ok(d)
    }

    fn dedupe(&mut self) -> Result<&mut Dedupe, String> {
        if let State::Loaded(_) = &self.state {
            let k = self
                .keys_file
                .clone()
                .ok_or_else(|| "the index has no keys".to_string())?;
            // The loaded entries go first: the keys file holds them all again.
            self.state = State::Ready(Box::new(Dedupe::new(self.path)));
            self.state = State::Ready(Box::new(self.read_keys(&k)?));
        }
        match &mut self.state {
            State::Ready(d) => Ok(d),
            State::Loaded(_) => unreachable!("decoded above"),
        }
    }

    /// A guess, before the folders are listed, that nothing changed: the `n` files written to
    /// last (where Claude Code appends) still have the size and time the index knows. A shell
    /// can then decode the kept entries while it lists ([`Engine::prefetch`]) instead of after.
    pub fn looks_unchanged(&self, n: usize) -> bool {
        if !matches!(self.state, State::Loaded(_)) {
            return false;
        }
        let mut recent: Vec<&Mark> = self.marks.iter().collect();
        let n = n.min(recent.len());
        if n == 0 {
            return false;
        }
        recent.select_nth_unstable_by_key(n - 1, |m| std::cmp::Reverse(m.modified));
        recent[..n].iter().all(|m| {
            std::fs::metadata(&m.path).is_ok_and(|meta| {
                m.unchanged(&Transcript::from_metadata(PathBuf::from(&m.path), &meta))
            })
        })
    }

    /// Decode the kept entries of a loaded index now, on this thread only (the shell lists
    /// folders on the others); later [`Engine::entries`] calls find them ready.
    pub fn prefetch(&self) {
        if let State::Loaded(report) = &self.state {
            let _ = report.entries_with(&store::sequential);
        }
    }

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
        self.dedupe()?;
        let jobs: Vec<(u32, &Transcript, Option<&Mark>)> = jobs
            .iter()
            .map(|(id, t, m)| (*id, *t, m.as_ref()))
            .collect();
        let mut refresh = Refresh {
            how: Refreshed::Updated,
            ..Refresh::default()
        };
        let State::Ready(d) = &mut self.state else {
            unreachable!("decoded above")
        };
        let (marks, models, rank, journal) = (
            &mut self.marks,
            &mut self.models,
            &mut self.rank,
            &mut self.journal,
        );
        let mut tails = Vec::new();
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
                journal.push(e.clone());
                d.push_late(e, models, rank).map_err(|_| {
                    "an appended line repeats a message of a file ordered after it".to_string()
                })?;
            }
            tails.extend(p.tail);
            Ok(())
        })?;
        d.reorder(&self.rank);
        self.tails = tails;
        *self.dirty.get_mut() = true;
        Ok(refresh)
    }

    fn rebuild(
        &mut self,
        found: &[&Transcript],
        why: String,
        progress: &mut dyn FnMut(Progress),
    ) -> Refresh {
        *self = Self::new(self.path);
        let mut refresh = Refresh {
            how: Refreshed::Built(why),
            ..Refresh::default()
        };
        let mut dedupe = Dedupe::new(self.path);
        let mut tails = Vec::new();
        let all: Vec<(u32, &Transcript, Option<&Mark>)> =
            found.iter().map(|&t| (0, t, None)).collect();
        let read = read_parts(&all, self.path, progress, |t, _, part| {
            match part {
                Ok(mut p) => {
                    // Ids in path order, given to the files that could be read.
                    p.set_file(self.marks.len() as u32);
                    adopt_models(&mut self.models, &mut p);
                    refresh.read_bytes += p.read;
                    for e in p.entries {
                        dedupe.push(e, &self.models);
                    }
                    tails.extend(p.tail);
                    self.marks.push(p.mark);
                }
                Err(PartError::Rewritten) => unreachable!("nothing to compare on a first read"),
                Err(PartError::Io(e)) => refresh.unreadable.push((t.path.clone(), e)),
            }
            Ok(())
        });
        debug_assert!(read.is_ok(), "the sink above never fails");
        self.rank = (0..self.marks.len() as u32).collect();
        self.state = State::Ready(Box::new(dedupe));
        self.tails = tails;
        *self.dirty.get_mut() = true;
        refresh
    }

    /// The kept entries in the order a run over every file gives them, with the entries of
    /// partial last lines added (those are not kept: their line may still grow). Fields only
    /// deduplication reads (ids, session, `seq`) may be empty.
    pub fn entries(&self) -> Result<Entries<'_>, String> {
        if self.tails.is_empty() {
            return Ok(match &self.state {
                State::Ready(d) => Entries::Kept(d),
                State::Loaded(report) => Entries::Halves(report.entries()?),
            });
        }
        // Rare (a line being written as it was read): a copy of the state takes the tails.
        let mut d = match &self.state {
            State::Ready(d) => (**d).clone(),
            State::Loaded(_) => {
                let k = self.keys_file.as_ref().ok_or("the index has no keys")?;
                self.read_keys(k)?
            }
        };
        for e in &self.tails {
            // A partial line repeating a message of a later file: added last, not in order
            // (README, compatibility table).
            if d.push_late(e.clone(), &self.models, &self.rank).is_err() {
                d.push(e.clone(), &self.models);
            }
        }
        d.reorder(&self.rank);
        Ok(Entries::Owned(d.finish()))
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
}

/// The kept entries for a report, in the order reports read them.
pub enum Entries<'a> {
    Halves(&'a [Vec<Entry>; 2]),
    Kept(&'a Dedupe),
    Owned(Vec<Entry>),
}

impl Entries<'_> {
    pub fn iter(&self) -> Box<dyn Iterator<Item = &Entry> + '_> {
        match self {
            Entries::Halves(h) => Box::new(h.iter().flatten()),
            Entries::Kept(d) => Box::new(d.kept()),
            Entries::Owned(v) => Box::new(v.iter()),
        }
    }
}
