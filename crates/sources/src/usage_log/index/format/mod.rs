//! The usage index's files as bytes: the main file's header and meta (file table, models, where
//! each bucket's state is in the keys file), the keys file's header and bucket states, and the
//! framing of the stream's chunks; all checked when read. [`codec`] is the little-endian codec
//! they are written in, [`store`] the engine's values (entries, deduplication states, models) in
//! it.

use std::sync::Mutex;

use ccpulse_core::usage::{Dedupe, Path};

use super::blob::Blob;
use super::error::{IndexError, Unusable};
use super::{Engine, Home, Main, Mark, Place};
use codec::{checksum, Malformed, Reader, Writer};
use store::Bounds;

pub(super) mod codec;
pub(super) mod store;

pub(super) const MAGIC: &[u8; 8] = b"CCPUIDX\0";
const KEYS_MAGIC: &[u8; 8] = b"CCPUKEY\0";
/// Bump when the layout or the meaning of a field changes: an index of another version is rebuilt.
pub(super) const VERSION: u32 = 4;
/// Kept entries per chunk of the main file's stream.
pub(super) const STREAM_CHUNK: u32 = 2048;
/// Main file header: magic, version, path, meta length, meta checksum.
pub(super) const HEADER: usize = 8 + 4 + 1 + 8 + 8;
/// Keys file header: magic, version, path, generation.
pub(super) const KEYS_HEADER: usize = 8 + 4 + 1 + 8;

impl Engine {
    /// Read the main file's header and meta, and check every chunk of its stream.
    pub(super) fn open_main(&mut self, blob: Blob) -> Result<(), Unusable> {
        let short = || Unusable::TooShort;
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
            return Err(Unusable::NotAnIndex);
        }
        if version != VERSION {
            return Err(Unusable::OtherVersion {
                found: version,
                current: VERSION,
            });
        }
        if stored_path != self.path as u8 {
            return Err(Unusable::OtherReport);
        }
        let meta_len = usize::try_from(meta_len).map_err(|_| short())?;
        let meta = blob.read_at(HEADER as u64, meta_len).map_err(|_| short())?;
        if checksum(&meta) != sum {
            return Err(Unusable::Checksum);
        }
        self.decode_meta(&meta)
            .map_err(|m| Unusable::Malformed(m.0))?;
        let at = (HEADER + meta_len) as u64;
        let end = blob.len().map_err(|e| Unusable::NoLength(e.into()))?;
        let mut next = at;
        while next < end {
            let (_, len) = read_chunk(&blob, next, end)?;
            next += 12 + len;
        }
        self.main = Some(Main { blob, at, end });
        Ok(())
    }

    pub(super) fn encode_meta(&self) -> Vec<u8> {
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

    /// The keys file, opened and checked against what the main file says of it.
    pub(super) fn keys_blob(&self) -> Result<&Blob, IndexError> {
        self.keys
            .blob
            .get_or_init(|| {
                let Home::Dir(dir) = &self.home else {
                    return Err(IndexError::NoKeys);
                };
                let path = dir.path(&self.keys_name());
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&path)
                    .map_err(|e| IndexError::Keys(Unusable::NotReadable(e.into())))?;
                let blob = Blob::Disk(Mutex::new(file));
                let head = blob
                    .read_at(0, KEYS_HEADER)
                    .map_err(|_| IndexError::Keys(Unusable::TooShort))?;
                let mut r = Reader::new(&head);
                let ok = (|| -> Result<bool, Malformed> {
                    Ok(r.u64()?.to_le_bytes() == *KEYS_MAGIC
                        && r.u32()? == VERSION
                        && r.u8()? == self.path as u8)
                })();
                if ok != Ok(true) {
                    return Err(IndexError::Keys(Unusable::NotKeys));
                }
                if r.u64() != Ok(self.keys.generation) {
                    return Err(IndexError::KeysGeneration);
                }
                let len = blob.len();
                if len.map_err(|e| IndexError::Keys(Unusable::Io(e.into())))? < self.keys.len {
                    return Err(IndexError::Keys(Unusable::Shorter));
                }
                Ok(blob)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    pub(super) fn keys_header(&self, generation: u64) -> Vec<u8> {
        let mut w = Writer::default();
        w.u64(u64::from_le_bytes(*KEYS_MAGIC));
        w.u32(VERSION);
        w.u8(self.path as u8);
        w.u64(generation);
        w.buf
    }
}

/// A bucket's state as the keys file holds it.
pub(super) fn encode_bucket(d: &Dedupe) -> Vec<u8> {
    let mut w = Writer::default();
    store::encode_dedupe(d, &mut w);
    w.buf
}

pub(super) fn decode_bucket(bytes: &[u8], path: Path, bounds: Bounds) -> Result<Dedupe, Malformed> {
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
pub(super) fn read_chunk(blob: &Blob, at: u64, end: u64) -> Result<(Vec<u8>, u64), Unusable> {
    let short = || Unusable::TooShort;
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
        return Err(Unusable::Checksum);
    }
    Ok((body, len))
}

/// The `count` records of a chunk (of the main stream, or of a bucket's spilled entries),
/// each read by `get` after the one before it (times are differences from 0 in each chunk).
pub(super) fn records<T>(
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
