//! A first read (and any read of everything again): every file's entries spilled by bucket,
//! each bucket deduplicated on all cores (its state to a new keys file, its kept entries to a
//! run), then the runs merged by place into the stream.

use std::cell::RefCell;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use ccpulse_core::usage::Dedupe;

use super::blob::Out;
use super::error::IndexError;
use super::format::codec::{checksum, Reader};
use super::format::store::{self, Bounds};
use super::format::{encode_bucket, records, KEYS_HEADER, STREAM_CHUNK};
use super::scan::{adopt_models, read_parts, PartError};
use super::spill::Spill;
use super::{
    bucket, io_error, key, run_threads, Engine, Home, Keys, Mark, Place, Placed, Progress, Refresh,
    Refreshed, Transcript, BUCKETS, NO_ID,
};

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
    fn next(&mut self) -> Result<Option<Placed>, IndexError> {
        while self.left == 0 {
            if self.chunk >= self.runs.chunks(self.stream) {
                return Ok(None);
            }
            let c = self
                .runs
                .chunk(self.stream, self.chunk)
                .map_err(|e| IndexError::ReadSpill(e.into()))?;
            self.chunk += 1;
            (self.bytes, self.left, self.pos, self.prev) = (c.bytes, c.count, 0, 0);
        }
        let mut r = Reader::new(&self.bytes[self.pos..]);
        let placed = store::get_placed(&mut r, self.bounds, &mut self.prev)
            .map_err(|m| IndexError::SpillUnreadable(m.0))?;
        self.pos = self.bytes.len() - r.rest_len();
        self.left -= 1;
        Ok(Some(placed))
    }
}

impl Engine {
    /// Read everything again (in memory when the state dir cannot be written).
    pub(super) fn rebuild(
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
    ) -> Result<Refresh, IndexError> {
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
        let spill_err = |e: std::io::Error| IndexError::WriteSpill(e.into());
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
        let failed = Mutex::new(None::<IndexError>);
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
                            let done = (|| -> Result<(), IndexError> {
                                let n = (0..spill.chunks(b)).map(|i| spill.count(b, i)).sum();
                                let mut d = Dedupe::with_capacity(path, n);
                                for i in 0..spill.chunks(b) {
                                    let c = spill.chunk(b, i).map_err(spill_err)?;
                                    let entries = records(&c.bytes, c.count, |r, prev| {
                                        store::get_entry(r, bounds, prev)
                                    })
                                    .map_err(|m| IndexError::SpillUnreadable(m.0))?;
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
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Placed>, IndexError>>(4);
            scope.spawn(move || {
                let mut merge = || -> Result<(), IndexError> {
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
                            tx.send(Ok(full)).map_err(|_| IndexError::MergeStopped)?;
                        }
                    }
                    tx.send(Ok(batch)).map_err(|_| IndexError::MergeStopped)
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
}
