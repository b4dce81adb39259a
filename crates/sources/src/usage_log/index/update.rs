//! An update: the bytes appended to known files (and new files) pushed onto only the buckets
//! they fall in ([`Engine::push_pending`], refusing what only a full read can decide), the
//! changed bucket states appended to the keys file (compacted once mostly stale), and a new
//! stream merged from the old one and the entries made or replaced.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use ccpulse_core::usage::{Dedupe, Entry};

use super::blob::Out;
use super::error::{IndexError, Unusable};
use super::format::codec::checksum;
use super::format::{decode_bucket, encode_bucket, KEYS_HEADER};
use super::scan::{adopt_models, read_parts, unread, PartError};
use super::{
    bucket, io_error, key, run_threads, Delta, Engine, Keys, Mark, Place, Progress, Refresh,
    Refreshed, Transcript, BUCKETS, MOST_APPENDED, NO_ID,
};

/// What [`Engine::push_pending`] did: the entries it made or replaced, and where it wrote the
/// buckets' new states (and the keys file's new length).
struct Pushed {
    delta: Delta,
    places: Vec<(usize, Place)>,
    len: u64,
}

impl Engine {
    /// Bucket `b`'s deduplication state.
    fn load_bucket(&self, b: usize) -> Result<Dedupe, IndexError> {
        let p = self.keys.table[b];
        if p.len == 0 {
            return Ok(Dedupe::new(self.path));
        }
        let bytes = self
            .keys_blob()?
            .read_at(p.at, p.len as usize)
            .map_err(|e| IndexError::Keys(Unusable::NotReadable(e.into())))?;
        if checksum(&bytes) != p.sum {
            return Err(IndexError::Keys(Unusable::Checksum));
        }
        decode_bucket(&bytes, self.path, self.bounds())
            .map_err(|m| IndexError::Keys(Unusable::Decode(m.0)))
    }

    /// Push `pending` (by bucket, each in read order) onto the buckets' states. Entries made or
    /// replaced come back by their place in the stream. `save`: write the changed states to
    /// the keys file, and refuse a late entry a run in order would count differently; else
    /// (partial lines, never kept) such an entry is pushed anyway.
    fn push_pending(&self, mut pending: Vec<Vec<Entry>>, save: bool) -> Result<Pushed, IndexError> {
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
        let out = Mutex::new((Vec::new(), delta, self.keys.len, None::<IndexError>));
        let pending = &pending;
        std::thread::scope(|scope| {
            for _ in 0..run_threads().min(touched.len()) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&b) = touched.get(i) else { return };
                    let done = (|| -> Result<(Option<Vec<u8>>, Delta), IndexError> {
                        let mut d = self.load_bucket(b)?;
                        let mut changed = Vec::new();
                        for e in &pending[b] {
                            let slot = match d.push_late(e.clone(), &self.models, &self.rank) {
                                Ok(slot) => slot,
                                Err(_) if save => return Err(IndexError::OutOfOrder),
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
                                        out.3.get_or_insert(IndexError::WriteKeys(e.into()));
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
    fn compact_keys(&mut self) -> Result<(), IndexError> {
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
                .map_err(|e| IndexError::Keys(Unusable::NotReadable(e.into())))?;
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

    /// Read `jobs` onto the kept state; `self.rank` holds the ranks of the known files.
    pub(super) fn update(
        &mut self,
        jobs: Vec<(u32, &Transcript, Option<Mark>)>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Refresh, IndexError> {
        let jobs: Vec<(u32, &Transcript, Option<&Mark>)> = jobs
            .iter()
            .map(|(id, t, m)| (*id, *t, m.as_ref()))
            .collect();
        let new: u64 = jobs.iter().map(unread).sum();
        if new > MOST_APPENDED {
            return Err(IndexError::TooMuchNew { bytes: new });
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
                    return Err(IndexError::Rewritten {
                        path: t.path.clone(),
                    });
                }
                Err(PartError::Io(e)) if seen => {
                    return Err(IndexError::BecameUnreadable {
                        path: t.path.clone(),
                        error: e,
                    });
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

    /// What the entries of partial last lines add to the kept state (rare: a line being
    /// written as it was read). A partial line repeating a message of a later file is added
    /// where it was read (README, compatibility table).
    pub(super) fn tail_delta(&self, tails: Vec<Entry>) -> Result<Delta, IndexError> {
        if tails.is_empty() {
            return Ok(Delta::new());
        }
        let mut pending: Vec<Vec<Entry>> = vec![Vec::new(); BUCKETS + 1];
        for e in tails {
            pending[bucket(&e)].push(e);
        }
        Ok(self.push_pending(pending, false)?.delta)
    }
}
