//! Where transcripts live: every root of `CLAUDE_CONFIG_DIR` (comma-separated), else both
//! `$XDG_CONFIG_HOME/claude` (`~/.config/claude`) and `~/.claude`; in each,
//! `projects/<project>/<session>.jsonl` and `projects/<project>/<session>/subagents/*.jsonl`.

use std::path::{Path, PathBuf};

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
    let xdg = std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from);
    roots(
        std::env::var("CLAUDE_CONFIG_DIR").ok().as_deref(),
        dirs::home_dir().as_deref(),
        xdg.as_deref(),
    )
}

/// A transcript file found, or a place that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    File(PathBuf),
    Unreadable { path: PathBuf, error: String },
}

/// Every `*.jsonl` below `<root>/projects`, sorted, each file once even when roots overlap.
pub fn transcripts(roots: &[PathBuf]) -> Vec<Found> {
    let mut found = Vec::new();
    for root in roots {
        let projects = root.join("projects");
        if projects.is_dir() {
            walk(&projects, 0, &mut found);
        }
    }
    let mut seen = std::collections::HashSet::new();
    found.retain(|f| match f {
        Found::File(p) => seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())),
        Found::Unreadable { .. } => true,
    });
    found
}

/// projects/<project>/<session>.jsonl is depth 1; <session>/subagents/*.jsonl is depth 3.
fn walk(dir: &Path, depth: usize, out: &mut Vec<Found>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.push(Found::Unreadable {
                path: dir.to_path_buf(),
                error: e.to_string(),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            if depth < 4 {
                walk(&path, depth + 1, out);
            }
        } else if path.extension().is_some_and(|x| x == "jsonl") {
            out.push(Found::File(path));
        }
    }
}

/// The user's time zone: `$TZ` (an IANA name), else what `/etc/localtime` links to, else UTC.
pub fn local_zone() -> chrono_tz::Tz {
    let from_env = std::env::var("TZ")
        .ok()
        .and_then(|z| z.trim_start_matches(':').parse().ok());
    let from_link = || {
        let target = std::fs::read_link("/etc/localtime").ok()?;
        let s = target.to_string_lossy().into_owned();
        s.split_once("zoneinfo/")?.1.parse().ok()
    };
    from_env.or_else(from_link).unwrap_or(chrono_tz::UTC)
}
