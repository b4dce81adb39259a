//! The one way ccpulse replaces a file: write a temp file beside it, flush it to disk if asked,
//! rename it over the file, flush the folder. Readers, and other processes replacing the same
//! file at once, see the old file or the new one, never a mix or none; a writer killed at any
//! moment leaves the old file whole (plus, at worst, its temp file, which [`remove_leftovers`]
//! removes once the writer is gone).
//!
//! Temp files are named `.NAME.PID.RANDOM.tmp` (`NAME` the file's name, `PID` the writing
//! process), made by the `tempfile` crate, which also removes them when a write fails.
//!
//! Two forms: [`write`] / [`Options::write`] for bytes at hand, [`Options::create`] for a
//! [`AtomicFile`] to stream into, then [`AtomicFile::commit`].
//!
//! Under the `fault-points` feature, [`crate::fault`] names the points of a write where a test
//! can make the process die.

use std::ffi::OsStr;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How to replace a file. `Options::default()`: not durable, new permissions.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    durable: bool,
    keep_permissions: bool,
}

impl Options {
    pub fn new() -> Self {
        Self::default()
    }

    /// Flush the new file, and then the folder's entry, to disk before returning. Without it a
    /// power cut (not a kill) may leave the old file or an empty one; a cache that checks itself
    /// when read can skip the cost.
    pub fn durable(mut self, durable: bool) -> Self {
        self.durable = durable;
        self
    }

    /// Give the new file the permissions of the one it replaces (when there is one). Without
    /// it, a new file is readable and writable by its owner only.
    pub fn keep_permissions(mut self, keep: bool) -> Self {
        self.keep_permissions = keep;
        self
    }

    /// Start replacing `path` (its folder is created if missing): write into the returned
    /// file, then [`AtomicFile::commit`]. Dropped without a commit, the temp file is removed
    /// and `path` is untouched.
    pub fn create(self, path: impl AsRef<Path>) -> std::io::Result<AtomicFile> {
        let path = path.as_ref();
        let name = path
            .file_name()
            .ok_or_else(|| std::io::Error::other(format!("{} names no file", path.display())))?;
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        fault_point!(crate::fault::BEFORE_CREATE);
        std::fs::create_dir_all(folder)?;
        let prefix = temp_prefix(name, std::process::id());
        let tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(TEMP_SUFFIX)
            .rand_bytes(6)
            .tempfile_in(folder)?;
        if self.keep_permissions {
            if let Ok(meta) = std::fs::metadata(path) {
                tmp.as_file().set_permissions(meta.permissions())?;
            }
        }
        Ok(AtomicFile {
            tmp,
            path: path.to_path_buf(),
            durable: self.durable,
        })
    }

    /// Replace `path` with `bytes`.
    pub fn write(self, path: impl AsRef<Path>, bytes: &[u8]) -> std::io::Result<()> {
        let mut file = self.create(path)?;
        // In two halves, so that the mid-write fault point finds half a file.
        let (head, tail) = bytes.split_at(bytes.len() / 2);
        file.write_all(head)?;
        file.write_all(tail)?;
        file.commit().map(drop)
    }
}

/// Replace `path` with `bytes` (see [`Options`]; `durable`: [`Options::durable`]).
pub fn write(path: impl AsRef<Path>, bytes: &[u8], durable: bool) -> std::io::Result<()> {
    Options::new().durable(durable).write(path, bytes)
}

/// A new version of a file, in its temp file until [`AtomicFile::commit`]. Unbuffered: wrap
/// it in a `BufWriter` for many small writes.
#[derive(Debug)]
pub struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
    durable: bool,
}

impl AtomicFile {
    /// The file this replaces.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Put the new file in place of the old. Returns it, open for reading and writing at
    /// the end of what was written. On an error the temp file is removed and the old file is
    /// untouched (unless the error was flushing the folder, after the rename).
    pub fn commit(self) -> std::io::Result<File> {
        if self.durable {
            self.tmp.as_file().sync_all()?;
        }
        fault_point!(crate::fault::BEFORE_RENAME);
        // `std::fs::rename`, not `persist`: on Windows (10 and later, NTFS) std renames with
        // POSIX semantics, so the file replaced may still be open (with share-delete, as std and
        // `tempfile` open files) in this process or another, as on Unix; `persist` uses
        // `MoveFileEx`, which refuses that. `keep` first (on Windows it clears the temporary
        // attribute of the file at the temp path), so a failed rename removes the temp file here.
        let (file, temp) = self.tmp.into_parts();
        let temp = temp.keep().map_err(|e| e.error)?;
        if let Err(e) = replace(&temp, &self.path) {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
        fault_point!(crate::fault::AFTER_RENAME);
        if self.durable {
            sync_dir(self.path.parent().unwrap_or(Path::new(".")))?;
        }
        Ok(file)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.tmp.as_file_mut().write(buf)?;
        if n > 0 {
            fault_point!(crate::fault::MID_WRITE);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tmp.as_file_mut().flush()
    }
}

const TEMP_SUFFIX: &str = ".tmp";

fn temp_prefix(name: &OsStr, pid: u32) -> std::ffi::OsString {
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(format!(".{pid}."));
    prefix
}

/// Remove the temp files of `name` in `folder` that writers killed mid-write left behind (a
/// writer still running keeps its own). Returns how many were removed.
pub fn remove_leftovers(folder: &Path, name: &str) -> usize {
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            let file = e.file_name();
            // `PID.RANDOM`, or `PID` alone as named before this module.
            let Some(pid) = file
                .to_str()
                .and_then(|f| f.strip_prefix(&prefix)?.strip_suffix(TEMP_SUFFIX))
                .and_then(|rest| rest.split('.').next()?.parse::<u32>().ok())
            else {
                return false;
            };
            !writer_alive(pid, e)
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

/// Whether the process that named a temp file may still be writing it: on Linux, whether it
/// exists; elsewhere, whether the file is younger than a minute.
fn writer_alive(pid: u32, entry: &std::fs::DirEntry) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        return Path::new(&format!("/proc/{pid}")).exists();
    }
    entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_none_or(|age| age < std::time::Duration::from_secs(60))
}

/// Rename `temp` over `path`.
fn replace(temp: &Path, path: &Path) -> std::io::Result<()> {
    match std::fs::rename(temp, path) {
        #[cfg(windows)]
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && path.exists() => {
            replace_open(temp, path).map_err(|_| e)
        }
        // Unix renames over a file that is open; so does Windows 10 and later on NTFS.
        done => done,
    }
}

/// Where Windows cannot rename over a file that is open (no POSIX rename semantics: FAT,
/// network shares, older Windows, Wine): move the old file aside (an open file can be renamed
/// when it was opened with share-delete, as std and `tempfile` open them), put the new one in
/// its place, and remove the old one (gone once its last handle closes). Between the two
/// renames a reader finds no file (an index reader then rebuilds); a failed second rename puts
/// the old file back. The aside name is a temp file name, so [`remove_leftovers`] removes it
/// should the process die in between.
#[cfg(windows)]
fn replace_open(temp: &Path, path: &Path) -> std::io::Result<()> {
    let name = path.file_name().unwrap_or_default();
    let mut aside = temp_prefix(name, std::process::id());
    aside.push(format!(
        "old{:06x}{TEMP_SUFFIX}",
        fastrand::u32(..0xff_ffff)
    ));
    let aside = path.with_file_name(aside);
    std::fs::rename(path, &aside)?;
    if let Err(e) = std::fs::rename(temp, path) {
        let _ = std::fs::rename(&aside, path);
        return Err(e);
    }
    let _ = std::fs::remove_file(&aside);
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Windows has no handle for a folder to flush (`FlushFileBuffers` wants a file); NTFS journals
/// the rename itself.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write(&path, b"one", true).unwrap();
        write(&path, b"two", false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(names(dir.path()), ["a.json"]);
    }

    #[test]
    fn replaces_a_file_that_is_open() {
        use std::io::Read;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index");
        write(&path, b"old", false).unwrap();
        let mut open = File::open(&path).unwrap();
        write(&path, b"new", false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let mut read = Vec::new();
        open.read_to_end(&mut read).unwrap();
        assert_eq!(
            read, b"old",
            "the open handle still reads the file it opened"
        );
        drop(open);
        assert_eq!(names(dir.path()), ["index"], "nothing left aside");
    }

    #[test]
    fn creates_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/er/a.json");
        write(&path, b"x", true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
    }

    #[test]
    fn streams_and_returns_the_file_open() {
        use std::io::{Read, Seek};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index");
        let mut out = std::io::BufWriter::new(Options::new().create(&path).unwrap());
        for n in 0..1000 {
            write!(out, "{n},").unwrap();
        }
        let mut file = out.into_inner().unwrap().commit().unwrap();
        file.rewind().unwrap();
        let mut read = String::new();
        file.read_to_string(&mut read).unwrap();
        assert!(read.starts_with("0,1,2,") && read.ends_with("999,"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), read);
    }

    #[test]
    fn dropped_without_commit_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        write(&path, b"old", false).unwrap();
        let mut out = Options::new().create(&path).unwrap();
        out.write_all(b"new").unwrap();
        let temps = names(dir.path());
        assert_eq!(temps.len(), 2, "{temps:?}");
        let pid = std::process::id();
        assert!(temps[0].starts_with(&format!(".a.{pid}.")) && temps[0].ends_with(".tmp"));
        drop(out);
        assert_eq!(names(dir.path()), ["a"]);
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions_when_asked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        write(&path, b"{}", false).unwrap();
        assert_eq!(mode(&path), 0o600, "a new file is its owner's");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        Options::new()
            .keep_permissions(true)
            .write(&path, b"{}")
            .unwrap();
        assert_eq!(mode(&path), 0o640);
        write(&path, b"{}", false).unwrap();
        assert_eq!(mode(&path), 0o600, "not kept unless asked");
    }

    #[test]
    fn removes_only_dead_writers_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let dead = u32::MAX - 1;
        let me = std::process::id();
        for f in [
            format!(".a.{dead}.AbC123.tmp"),
            format!(".a.{dead}.tmp"),
            format!(".a.{me}.XyZ789.tmp"),
            format!(".a.b.{dead}.AbC123.tmp"),
            format!(".a.{dead}.AbC123.tmp.not"),
            "a".to_string(),
        ] {
            std::fs::write(dir.path().join(f), b"").unwrap();
        }
        let removed = remove_leftovers(dir.path(), "a");
        if cfg!(target_os = "linux") {
            assert_eq!(removed, 2);
            let mut kept = vec![
                format!(".a.{dead}.AbC123.tmp.not"),
                format!(".a.{me}.XyZ789.tmp"),
                format!(".a.b.{dead}.AbC123.tmp"),
                "a".to_string(),
            ];
            kept.sort();
            assert_eq!(names(dir.path()), kept);
        } else {
            // No /proc to ask: a leftover goes once it is a minute old, and these are new.
            assert_eq!(removed, 0);
        }
    }

    #[cfg(not(unix))]
    #[test]
    #[ignore = "Unix file modes: Windows files have only the read-only attribute"]
    fn keeps_permissions_when_asked() {}
}
