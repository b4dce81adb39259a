//! The transcripts against the file table: what a refresh must do ([`Engine::plan`]: which files
//! grew, or why everything must be read again), and reading new bytes on all cores
//! ([`read_parts`]: groups of neighbouring files, handed over in path order).

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use ccpulse_core::usage::{Entry, Models, Path};

use super::error::IndexError;
use super::format::codec::checksum;
use super::{run_threads, Engine, Mark, Progress, Transcript};
use crate::usage_log::entries::{entries_in, file_session, id_hash};

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

/// One file's newly read part.
pub(super) struct Part {
    pub(super) file: u32,
    pub(super) entries: Vec<Entry>,
    pub(super) models: Models,
    pub(super) mark: Mark,
    pub(super) tail: Vec<Entry>,
    pub(super) read: u64,
}

impl Part {
    pub(super) fn set_file(&mut self, file: u32) {
        self.file = file;
        for e in self.entries.iter_mut().chain(self.tail.iter_mut()) {
            e.file = file;
        }
    }
}

pub(super) enum PartError {
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
pub(super) fn unread((_, t, m): &(u32, &Transcript, Option<&Mark>)) -> u64 {
    t.len.saturating_sub(m.map_or(0, |m| m.consumed))
}

/// Read `jobs` (file id, transcript, where to start) on all cores while the calling thread
/// hands each part to `sink`, in the order given. Files are read in groups of neighbours (fewer
/// hand-overs for many small files); readers stay at most [`AHEAD`] groups ahead of the sink,
/// so memory stays flat however large the history. A sink error stops the readers.
pub(super) fn read_parts(
    jobs: &[(u32, &Transcript, Option<&Mark>)],
    path: Path,
    progress: &mut dyn FnMut(Progress),
    mut sink: impl FnMut(&Transcript, bool, Result<Part, PartError>) -> Result<(), IndexError>,
) -> Result<(), IndexError> {
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
pub(super) fn adopt_models(models: &mut Models, part: &mut Part) {
    let remap: Vec<_> = (0..part.models.len())
        .map(|i| models.id(part.models.name(i as u16)))
        .collect();
    for e in part.entries.iter_mut().chain(part.tail.iter_mut()) {
        e.model = e.model.map(|m| remap[m as usize]);
    }
}

/// What a refresh must do with the files found.
pub(super) enum Plan<'a> {
    /// Read these (file id, or for a new file its rank; transcript; mark if seen before), in
    /// file order; and the rank of every known file.
    Read(Vec<(u32, &'a Transcript, Option<Mark>)>, Vec<u32>),
    Rebuild(IndexError),
}

impl Engine {
    /// Compare the files found with what the index knows.
    pub(super) fn plan<'a>(&self, found: &[&'a Transcript]) -> Plan<'a> {
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
                return Plan::Rebuild(IndexError::Replaced {
                    path: t.path.clone(),
                });
            }
            if t.len < m.consumed {
                return Plan::Rebuild(IndexError::Truncated {
                    path: t.path.clone(),
                });
            }
            if !m.unchanged(t) || m.tail_entries > 0 {
                read.push((id, t, Some(m.clone())));
            }
        }
        // A known file not found has no rank.
        if let Some(gone) = rank.iter().position(|&r| r == u32::MAX) {
            return Plan::Rebuild(IndexError::Deleted {
                path: self.marks[gone].path.clone().into(),
            });
        }
        Plan::Read(read, rank)
    }
}
