//! [`Spill`]: streams of records that go to a nameless temporary file once they outgrow a
//! bound, so a pass over a history of any size holds a bounded number of bytes in memory.

use std::path::Path as FsPath;

use super::blob::Blob;
use super::format::codec::Writer;

/// Records that fill a stream's open chunk; a full chunk is sealed.
const CHUNK_BYTES: usize = 2 << 10;
/// Room for the record that fills an open chunk (its buffer never grows past this).
const CHUNK_ROOM: usize = CHUNK_BYTES + 256;
/// Sealed chunks held in memory before they are written out.
const HELD_BYTES: usize = 4 << 20;

/// Streams of records, each read back in the order written, a chunk at a time.
pub(crate) struct Spill {
    blob: Blob,
    /// Sealed chunks not yet written to the blob; they follow its `written` bytes.
    held: Vec<u8>,
    written: u64,
    streams: Vec<Stream>,
}

#[derive(Default)]
struct Stream {
    open: Writer,
    /// The time of the last record in the open chunk (records store differences).
    prev: i64,
    count: u32,
    /// (where, length, records) of each sealed chunk.
    chunks: Vec<(u64, u32, u32)>,
}

/// One sealed chunk: its records, each encoded after the one before from a `prev` of 0.
pub(crate) struct Chunk {
    pub count: u32,
    pub bytes: Vec<u8>,
}

impl Spill {
    /// `streams` streams in `dir` (memory only when there is none).
    pub fn new(dir: Option<&FsPath>, streams: usize) -> std::io::Result<Self> {
        Ok(Self {
            blob: match dir {
                Some(d) => Blob::temporary(d)?,
                None => Blob::memory(),
            },
            held: Vec::new(),
            written: 0,
            streams: (0..streams).map(|_| Stream::default()).collect(),
        })
    }

    /// Add a record to stream `s`; `put` writes it after a record of time `prev`.
    pub fn push(
        &mut self,
        s: usize,
        put: impl FnOnce(&mut Writer, &mut i64),
    ) -> std::io::Result<()> {
        let st = &mut self.streams[s];
        if st.open.buf.capacity() == 0 {
            st.open.buf.reserve_exact(CHUNK_ROOM);
        }
        put(&mut st.open, &mut st.prev);
        st.count += 1;
        if st.open.buf.len() >= CHUNK_BYTES {
            self.seal(s)?;
        }
        Ok(())
    }

    fn seal(&mut self, s: usize) -> std::io::Result<()> {
        let st = &mut self.streams[s];
        if st.count == 0 {
            return Ok(());
        }
        let at = self.written + self.held.len() as u64;
        self.held.extend_from_slice(&st.count.to_le_bytes());
        self.held.extend_from_slice(&st.open.buf);
        st.chunks.push((at, 4 + st.open.buf.len() as u32, st.count));
        st.open.buf.clear();
        (st.prev, st.count) = (0, 0);
        if self.held.len() >= HELD_BYTES {
            self.blob.append_at(self.written, &[&self.held])?;
            self.written += self.held.len() as u64;
            self.held.clear();
        }
        Ok(())
    }

    /// Seal every open chunk: then every record can be read.
    pub fn finish(&mut self) -> std::io::Result<()> {
        for s in 0..self.streams.len() {
            self.seal(s)?;
        }
        Ok(())
    }

    pub fn chunks(&self, s: usize) -> usize {
        self.streams[s].chunks.len()
    }

    /// Records in chunk `i` of stream `s`.
    pub fn count(&self, s: usize, i: usize) -> usize {
        self.streams[s].chunks[i].2 as usize
    }

    /// Chunk `i` of stream `s` (after [`Spill::finish`]).
    pub fn chunk(&self, s: usize, i: usize) -> std::io::Result<Chunk> {
        let (at, len, _) = self.streams[s].chunks[i];
        let bytes = match at.checked_sub(self.written) {
            Some(h) => self.held[h as usize..h as usize + len as usize].to_vec(),
            None => self.blob.read_at(at, len as usize)?,
        };
        let count = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
        Ok(Chunk {
            count,
            bytes: bytes[4..].to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records come back per stream in the order written, whether their chunks were still held
    /// in memory or had gone to the file.
    #[test]
    fn streams_read_back_in_order_from_memory_and_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        for place in [None, Some(dir.path())] {
            let mut spill = Spill::new(place, 3).unwrap();
            // Enough records that sealed chunks go to the file (past HELD_BYTES).
            let n = 3 * HELD_BYTES / 16;
            for i in 0..n as u64 {
                spill
                    .push((i % 3) as usize, |w, prev| {
                        w.iv(i as i64 - *prev);
                        *prev = i as i64;
                        w.u64(i * 7);
                    })
                    .unwrap();
            }
            spill.finish().unwrap();
            assert!(
                spill.written > 0 || place.is_none(),
                "nothing went to the file"
            );
            for s in 0..3 {
                let mut want = (s as u64..n as u64).step_by(3);
                for c in 0..spill.chunks(s) {
                    let chunk = spill.chunk(s, c).unwrap();
                    assert_eq!(chunk.count as usize, spill.count(s, c));
                    let mut r = crate::usage_log::index::format::codec::Reader::new(&chunk.bytes);
                    let mut prev = 0;
                    for _ in 0..chunk.count {
                        prev += r.iv().unwrap();
                        let i = want.next().unwrap();
                        assert_eq!((prev as u64, r.u64().unwrap()), (i, i * 7));
                    }
                    assert!(r.is_empty());
                }
                assert_eq!(want.next(), None, "stream {s} came back whole");
            }
        }
    }
}
