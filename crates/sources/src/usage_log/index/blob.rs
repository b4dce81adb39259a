//! The index's files: [`Blob`], one on disk or in memory, read and appended at any place; and
//! [`Out`], a new file written whole and then put in place of the old one (the index's one
//! atomic write).

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path as FsPath;
use std::sync::Mutex;

use super::Home;

/// A file of the index: on disk, or in memory when there is no state dir it can write.
pub(crate) enum Blob {
    Disk(Mutex<File>),
    Memory(Mutex<Vec<u8>>),
}

impl Blob {
    pub fn memory() -> Self {
        Blob::Memory(Mutex::default())
    }

    /// A nameless temporary file in `dir` (gone when dropped, or after a crash).
    pub fn temporary(dir: &FsPath) -> std::io::Result<Self> {
        Ok(Blob::Disk(Mutex::new(tempfile::tempfile_in(dir)?)))
    }

    /// Another handle on the same file, for a thread of its own (positioned reads only, so
    /// neither moves the other); `None` in memory.
    pub fn try_clone(&self) -> Option<Blob> {
        match self {
            // On Windows a cloned handle shares the file position, and reads there seek: the
            // threads would move each other's, so they share the one handle (`None`).
            Blob::Disk(f) if cfg!(unix) => f
                .lock()
                .expect("blob lock")
                .try_clone()
                .ok()
                .map(|f| Blob::Disk(Mutex::new(f))),
            _ => None,
        }
    }

    pub fn len(&self) -> std::io::Result<u64> {
        match self {
            Blob::Disk(f) => f.lock().expect("blob lock").metadata().map(|m| m.len()),
            Blob::Memory(v) => Ok(v.lock().expect("blob lock").len() as u64),
        }
    }

    /// `len` bytes from `at`; an error if the blob ends before.
    pub fn read_at(&self, at: u64, len: usize) -> std::io::Result<Vec<u8>> {
        match self {
            Blob::Disk(f) => {
                let mut buf = vec![0; len];
                #[cfg(unix)]
                {
                    use std::os::unix::fs::FileExt;
                    // Positioned: one call, no seek.
                    f.lock().expect("blob lock").read_exact_at(&mut buf, at)?;
                }
                #[cfg(not(unix))]
                {
                    use std::io::Read as _;
                    let mut f = f.lock().expect("blob lock");
                    f.seek(SeekFrom::Start(at))?;
                    f.read_exact(&mut buf)?;
                }
                Ok(buf)
            }
            Blob::Memory(v) => {
                let v = v.lock().expect("blob lock");
                usize::try_from(at)
                    .ok()
                    .and_then(|at| v.get(at..at.checked_add(len)?))
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| std::io::ErrorKind::UnexpectedEof.into())
            }
        }
    }

    /// Cut the blob to `len` bytes, then append `parts`; where they start.
    pub fn append_at(&self, len: u64, parts: &[&[u8]]) -> std::io::Result<u64> {
        match self {
            Blob::Disk(f) => {
                let mut f = f.lock().expect("blob lock");
                f.set_len(len)?;
                f.seek(SeekFrom::Start(len))?;
                for p in parts {
                    f.write_all(p)?;
                }
            }
            Blob::Memory(v) => {
                let mut v = v.lock().expect("blob lock");
                v.truncate(len as usize);
                for p in parts {
                    v.extend_from_slice(p);
                }
            }
        }
        Ok(len)
    }
}

/// A place for a new file of the index, renamed over the old one once complete: the index's one
/// atomic write, through the product's one atomic writer ([`crate::atomic`]; not durable: the
/// index checks itself when it is read). Nothing else in the index puts a file in place (the
/// keys file is appended to in place, spill files have no name).
pub(super) enum Out {
    Disk(std::io::BufWriter<crate::atomic::AtomicFile>),
    Memory(Vec<u8>),
}

impl Out {
    pub(super) fn new(home: &Home, name: &str) -> std::io::Result<Self> {
        Ok(match home {
            Home::Dir(d) => Out::Disk(std::io::BufWriter::with_capacity(
                1 << 16,
                crate::atomic::Options::new().create(d.path(name))?,
            )),
            Home::Memory => Out::Memory(Vec::new()),
        })
    }

    pub(super) fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Out::Disk(w) => w.write_all(bytes),
            Out::Memory(v) => {
                v.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    /// Put the file in place; it stays open for reading.
    pub(super) fn commit(self) -> std::io::Result<Blob> {
        match self {
            Out::Disk(w) => {
                let file = w.into_inner().map_err(|e| e.into_error())?.commit()?;
                Ok(Blob::Disk(Mutex::new(file)))
            }
            Out::Memory(v) => Ok(Blob::Memory(Mutex::new(v))),
        }
    }
}
