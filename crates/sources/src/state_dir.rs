//! The state directory: small JSON files written atomically ([`crate::atomic`]: temp file,
//! fsync, rename), so a crash or a full disk never leaves half a file behind.

use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is corrupt ({message}); moved aside to {moved}")]
    Corrupt {
        path: PathBuf,
        message: String,
        moved: String,
    },
}

#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// `$CCPULSE_STATE_DIR`, else `<platform state dir>/ccpulse` (`~/.local/state/ccpulse`).
    pub fn default_location() -> Self {
        let root = crate::env::state_dir()
            .map(PathBuf::from)
            .or_else(|| dirs::state_dir().map(|d| d.join("ccpulse")))
            .or_else(|| dirs::data_local_dir().map(|d| d.join("ccpulse")))
            .unwrap_or_else(|| std::env::temp_dir().join("ccpulse-state"));
        Self { root }
    }

    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    /// Call `changed` whenever the file `name` is written (created or replaced), until the
    /// returned watcher is dropped.
    pub fn watch(
        &self,
        name: &str,
        changed: impl Fn() + Send + 'static,
    ) -> notify::Result<notify::RecommendedWatcher> {
        use notify::Watcher;
        std::fs::create_dir_all(&self.root).map_err(notify::Error::io)?;
        let name = std::ffi::OsString::from(name);
        let mut watcher = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
            if e.is_ok_and(|e| is_write(&e, &name)) {
                changed();
            }
        })?;
        watcher.watch(&self.root, notify::RecursiveMode::NonRecursive)?;
        Ok(watcher)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// `Ok(None)` when the file does not exist. A file that does not parse is moved aside (so it
    /// is never trusted, and never lost) and reported.
    pub fn load<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, StateError> {
        let path = self.path(name);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StateError::Read { path, source }),
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            let moved = path.with_extension("corrupt");
            let moved = match std::fs::rename(&path, &moved) {
                Ok(()) => moved.display().to_string(),
                Err(err) => format!("nowhere ({err})"),
            };
            StateError::Corrupt {
                path,
                message: e.to_string(),
                moved,
            }
        })
    }

    /// Remove the temp files of `name` that writers killed mid-write left behind (a writer
    /// that is still running keeps its own). Returns how many were removed.
    pub fn remove_leftovers(&self, name: &str) -> usize {
        crate::atomic::remove_leftovers(&self.root, name)
    }

    pub fn save<T: Serialize>(&self, name: &str, value: &T) -> Result<(), StateError> {
        let bytes = serde_json::to_vec_pretty(value).map_err(|e| StateError::Write {
            path: self.path(name),
            source: std::io::Error::other(e),
        })?;
        self.write(name, &bytes, true)
    }

    /// [`StateDir::save`] for a long-running loop that goes on with what it has in memory: a
    /// failure is said once (`failing` remembers it), and so is its end. Returns whether it
    /// was saved.
    pub fn save_or_say<T: Serialize>(&self, name: &str, value: &T, failing: &mut bool) -> bool {
        match self.save(name, value) {
            Ok(()) => {
                if std::mem::take(failing) {
                    tracing::warn!("state dir writable again: {}", self.path(name).display());
                }
                true
            }
            Err(e) => {
                if !std::mem::replace(failing, true) {
                    tracing::warn!("{e}; keeping state in memory only");
                }
                false
            }
        }
    }

    /// Write `bytes` atomically ([`crate::atomic`]: a temp file named after this process,
    /// renamed over the file): readers, and other processes writing the same file at once, see
    /// the old file or the new one, never a mix or none. `durable`: also flush file and folder
    /// to disk first; a cache that checks itself when read can skip that cost.
    pub fn write(&self, name: &str, bytes: &[u8], durable: bool) -> Result<(), StateError> {
        let path = self.path(name);
        crate::atomic::write(&path, bytes, durable)
            .map_err(|source| StateError::Write { path, source })
    }
}

/// Whether `event`, from a watch on a state dir, is a write of its file `name` (created,
/// replaced or its data changed): what wakes [`StateDir::watch`]. Reading the file (ours too)
/// reports opens and accesses, which must not wake it.
pub fn is_write(event: &notify::Event, name: &std::ffi::OsStr) -> bool {
    use notify::event::{EventKind, ModifyKind};
    let written = matches!(
        event.kind,
        EventKind::Create(_)
            | EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Name(_) | ModifyKind::Any)
    );
    written && event.paths.iter().any(|p| p.file_name() == Some(name))
}
