//! Where transcripts live: every root of `CLAUDE_CONFIG_DIR` (comma-separated), else both
//! `$XDG_CONFIG_HOME/claude` (`~/.config/claude`) and `~/.claude`; in each,
//! `projects/<project>/<session>.jsonl` and `projects/<project>/<session>/subagents/*.jsonl`.

use std::path::{Path, PathBuf};

/// The one config dir Claude Code keeps its settings and login in: the first root of
/// `CLAUDE_CONFIG_DIR`, else `~/.claude`; and whether the variable named it.
pub fn config_dir(claude_config_dir: Option<&str>, home: Option<&Path>) -> Option<(PathBuf, bool)> {
    let named = roots(claude_config_dir, None, None).into_iter().next();
    named
        .map(|d| (d, true))
        .or_else(|| home.map(|h| (h.join(".claude"), false)))
}

/// The config roots to look in; missing ones are simply not there.
pub fn roots(
    claude_config_dir: Option<&str>,
    home: Option<&Path>,
    xdg_config: Option<&Path>,
) -> Vec<PathBuf> {
    if let Some(list) = claude_config_dir.filter(|s| !s.trim().is_empty()) {
        return list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect();
    }
    let mut roots = Vec::new();
    if let Some(xdg) = xdg_config
        .map(Path::to_path_buf)
        .or_else(|| home.map(|h| h.join(".config")))
    {
        roots.push(xdg.join("claude"));
    }
    if let Some(home) = home {
        roots.push(home.join(".claude"));
    }
    roots
}

/// The roots from the environment.
pub fn roots_from_env() -> Vec<PathBuf> {
    use crate::env::{var, CLAUDE_CONFIG_DIR, XDG_CONFIG_HOME};
    let xdg = var(XDG_CONFIG_HOME).map(PathBuf::from);
    roots(
        var(CLAUDE_CONFIG_DIR).as_deref(),
        dirs::home_dir().as_deref(),
        xdg.as_deref(),
    )
}

/// A transcript file and what `stat` said of it when it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    pub path: PathBuf,
    pub len: u64,
    /// Modification time, nanoseconds since the epoch.
    pub modified: i64,
    /// Device and inode on Unix, volume serial number and file index on Windows (0 where
    /// the file could not be opened): a file replaced under the same name has a new identity.
    pub dev: u64,
    pub ino: u64,
}

impl Transcript {
    pub fn from_metadata(path: PathBuf, m: &std::fs::Metadata) -> Self {
        let modified = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        #[cfg(unix)]
        let (dev, ino) = {
            use std::os::unix::fs::MetadataExt;
            (m.dev(), m.ino())
        };
        // Windows: the volume serial number and the file index, from the file's handle (the
        // directory listing has neither). A file that cannot be opened has none.
        #[cfg(windows)]
        let (dev, ino) = std::fs::File::open(&path)
            .and_then(winapi_util::file::information)
            .map_or((0, 0), |i| (i.volume_serial_number(), i.file_index()));
        // Neither Unix nor Windows (no such target is built): no identity, so a file replaced
        // under the same name is told by its length and time alone.
        #[cfg(not(any(unix, windows)))]
        let (dev, ino) = (0, 0);
        Self {
            path,
            len: m.len(),
            modified,
            dev,
            ino,
        }
    }
}

/// A transcript file found, or a place that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    File(Transcript),
    Unreadable { path: PathBuf, error: String },
}

/// Every `*.jsonl` below `<root>/projects`, each file once even when roots overlap
/// (roots are compared by their canonical path, so files need no `canonicalize` each). Project
/// folders are walked on all cores.
pub fn transcripts(roots: &[PathBuf]) -> Vec<Found> {
    let mut found = Vec::new();
    let mut seen_roots = std::collections::HashSet::new();
    for root in roots {
        let projects = root.join("projects");
        if !projects.is_dir() {
            continue;
        }
        let canonical = std::fs::canonicalize(&projects).unwrap_or_else(|_| projects.clone());
        if !seen_roots.insert(canonical) {
            continue;
        }
        let mut top = Vec::new();
        let dirs = list(&projects, &mut top);
        found.extend(top);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per_thread = dirs.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let parts: Vec<_> = dirs
                .chunks(per_thread)
                .map(|part| {
                    scope.spawn(move || {
                        let mut out = Vec::new();
                        for d in part {
                            walk(d, 1, &mut out);
                        }
                        out
                    })
                })
                .collect();
            for p in parts {
                found.extend(p.join().expect("walker thread"));
            }
        });
    }
    found
}

/// The `*.jsonl` files of `dir` go to `out` (with their metadata); its folders are returned.
/// Types come from the directory listing; symbolic links are followed.
fn list(dir: &Path, out: &mut Vec<Found>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.push(Found::Unreadable {
                path: dir.to_path_buf(),
                error: e.to_string(),
            });
            return Vec::new();
        }
    };
    let mut names: Vec<(std::ffi::OsString, std::fs::DirEntry)> =
        entries.flatten().map(|e| (e.file_name(), e)).collect();
    // Names in one folder: comparing their bytes is the path order.
    names.sort_by(|a, b| a.0.as_encoded_bytes().cmp(b.0.as_encoded_bytes()));
    let mut dirs = Vec::new();
    for (name, entry) in names {
        let path = entry.path();
        // The entry's own type and metadata (no lookup of the whole path), unless it is a
        // symbolic link, which is followed.
        let kind = entry.file_type().ok().filter(|t| !t.is_symlink());
        if kind.map_or_else(|| path.is_dir(), |k| k.is_dir()) {
            dirs.push(path);
            continue;
        }
        if Path::new(&name).extension().is_none_or(|x| x != "jsonl") {
            continue;
        }
        let meta = match kind {
            Some(_) => entry.metadata(),
            None => std::fs::metadata(&path),
        };
        match meta {
            Ok(m) => out.push(Found::File(Transcript::from_metadata(path, &m))),
            Err(e) => out.push(Found::Unreadable {
                path,
                error: e.to_string(),
            }),
        }
    }
    dirs
}

/// projects/<project>/<session>.jsonl is depth 1; <session>/subagents/*.jsonl is depth 3.
fn walk(dir: &Path, depth: usize, out: &mut Vec<Found>) {
    for sub in list(dir, out) {
        if depth < 4 {
            walk(&sub, depth + 1, out);
        }
    }
}
