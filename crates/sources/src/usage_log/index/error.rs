//! Why the usage index could not be used, brought up to date or written: [`IndexError`], and
//! [`Unusable`] for what was wrong with one of its files. The messages are the ones users read
//! (as a refresh's note or the reason it read everything again), so their wording is kept.

use std::path::PathBuf;
use std::sync::Arc;

/// Why the index could not be used, updated or written. Each is also a reason to read every
/// transcript again. Cloned where one failure answers several callers (the keys file is opened
/// once), hence the I/O errors behind an [`Arc`].
#[derive(Debug, Clone, thiserror::Error)]
pub enum IndexError {
    #[error("no index yet")]
    NoIndex,
    /// The main file is there but could not be opened.
    #[error("cannot read {}: {error}", .path.display())]
    Open {
        path: PathBuf,
        error: Arc<std::io::Error>,
    },
    /// The main file (its header, meta or a chunk of its stream).
    #[error("the index was {0}")]
    Main(Unusable),
    /// The keys file (its header or a bucket's state).
    #[error("the index keys were {0}")]
    Keys(Unusable),
    #[error("the index keys belong to another generation")]
    KeysGeneration,
    /// The index lives in memory, and has no keys file to open.
    #[error("the index has no keys")]
    NoKeys,
    /// A new file of the index (`name`, in the state dir) could not be written.
    #[error("cannot write {name}: {error}")]
    Write {
        name: String,
        error: Arc<std::io::Error>,
    },
    /// Bucket states could not be appended to the keys file.
    #[error("cannot write the keys: {0}")]
    WriteKeys(Arc<std::io::Error>),
    #[error("cannot write a spill file: {0}")]
    WriteSpill(Arc<std::io::Error>),
    #[error("cannot read back the spill file: {0}")]
    ReadSpill(Arc<std::io::Error>),
    #[error("the spill file was unreadable ({0})")]
    SpillUnreadable(&'static str),
    /// A line appended to a file repeats a message read from a file ordered after it: only a
    /// read of every file in order can tell which copy counts.
    #[error("an appended line repeats a message of a file ordered after it")]
    OutOfOrder,
    /// A first read's merge lost the thread writing its result (which then has an error of
    /// its own to tell).
    #[error("the merge's writer stopped")]
    MergeStopped,
    #[error("{} was replaced", .path.display())]
    Replaced { path: PathBuf },
    #[error("{} was truncated", .path.display())]
    Truncated { path: PathBuf },
    #[error("{} was deleted", .path.display())]
    Deleted { path: PathBuf },
    /// The bytes before where the file was read up to changed.
    #[error("{} was rewritten", .path.display())]
    Rewritten { path: PathBuf },
    /// A file read before could not be read now.
    #[error("{} became unreadable: {error}", .path.display())]
    BecameUnreadable { path: PathBuf, error: String },
    /// More was appended than an update holds ([`super::MOST_APPENDED`]).
    #[error("{} MiB were new", .bytes >> 20)]
    TooMuchNew { bytes: u64 },
}

/// What is wrong with a file of the index (the end of "the index was ...", "the index keys
/// were ...").
#[derive(Debug, Clone, thiserror::Error)]
pub enum Unusable {
    #[error("unreadable (too short)")]
    TooShort,
    #[error("not an index file")]
    NotAnIndex,
    #[error("not a keys file of this version")]
    NotKeys,
    #[error("of another version ({found}, this is {current})")]
    OtherVersion { found: u32, current: u32 },
    #[error("for another report")]
    OtherReport,
    #[error("damaged (checksum)")]
    Checksum,
    #[error("shorter than the index says")]
    Shorter,
    /// Its bytes did not decode (what did not fit).
    #[error("unreadable ({0})")]
    Malformed(&'static str),
    /// Its length could not be read.
    #[error("unreadable ({0})")]
    NoLength(Arc<std::io::Error>),
    #[error("not readable ({0})")]
    NotReadable(Arc<std::io::Error>),
    /// The keys file's length could not be read (said as the bare I/O error).
    #[error("{0}")]
    Io(Arc<std::io::Error>),
    /// A bucket's state did not decode (said as the bare reason).
    #[error("{0}")]
    Decode(&'static str),
}
