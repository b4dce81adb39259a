//! The kept entries as a stream of checksummed chunks in the main file: writing a new one
//! ([`Engine::write_main`]), reading it a chunk at a time ([`StreamReader`], decoded ahead on a
//! second thread) and merging the entries an update made into it ([`Engine::merged`]).

use std::cell::RefCell;

use super::blob::{Blob, Out};
use super::error::{IndexError, Unusable};
use super::format::codec::{checksum, Writer};
use super::format::store::{self, Bounds};
use super::format::{read_chunk, records, HEADER, MAGIC, STREAM_CHUNK, VERSION};
use super::{io_error, key, Delta, Engine, Main, Placed};

impl Engine {
    /// Write a new main file: the meta, then `kept` as chunks of the stream; not put in place
    /// if reading `kept` left an `error`.
    pub(super) fn write_main(
        &self,
        kept: impl Iterator<Item = Placed>,
        error: &RefCell<Option<IndexError>>,
    ) -> Result<Main, IndexError> {
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

    /// The main file's kept entries, merged with `delta`.
    pub(super) fn merged<'a>(
        &'a self,
        delta: Delta,
        error: &'a RefCell<Option<IndexError>>,
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

/// The chunk at `at` of `main`, decoded; and where the next one starts.
fn decode_chunk(
    blob: &Blob,
    at: u64,
    end: u64,
    b: Bounds,
) -> Result<(Vec<Placed>, u64), IndexError> {
    let (body, len) = read_chunk(blob, at, end).map_err(IndexError::Main)?;
    let n = u32::from_le_bytes(body[..4].try_into().expect("4 bytes"));
    let placed = records(&body[4..], n, |r, prev| store::get_placed(r, b, prev))
        .map_err(|m| IndexError::Main(Unusable::Malformed(m.0)))?;
    Ok((placed, at + 12 + len))
}

/// Where a [`StreamReader`] gets its chunks: a thread that decodes them ahead (a file), or
/// itself (memory).
enum Source<'a> {
    Ahead(std::sync::mpsc::Receiver<Result<Vec<Placed>, IndexError>>),
    Here(&'a Main, u64),
    Done,
}

/// The main file's kept entries, a chunk at a time. A chunk that cannot be read ends it and
/// leaves its reason in `error`.
struct StreamReader<'a> {
    source: Source<'a>,
    bounds: Bounds,
    batch: std::vec::IntoIter<Placed>,
    error: &'a RefCell<Option<IndexError>>,
}

impl<'a> StreamReader<'a> {
    fn new(main: Option<&'a Main>, bounds: Bounds, error: &'a RefCell<Option<IndexError>>) -> Self {
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
