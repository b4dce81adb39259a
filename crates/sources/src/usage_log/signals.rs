//! Limit hits and API errors, read from one transcript in order.

use std::collections::HashMap;
use std::io::BufRead;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use ccpulse_core::signals::{parse_limit_text, ApiError, ErrorOrigin, LimitHit, LimitKind};

use super::line::{parse, Assistant, Record};
use super::paths::Transcript;
use crate::state_dir::StateDir;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signals {
    pub limit_hits: Vec<LimitHit>,
    pub api_errors: Vec<ApiError>,
    /// Lines that looked like a signal (they name a request or an error) but were not JSON or
    /// not a shape we know how to read.
    pub bad_lines: usize,
}

/// Per session: the last request sent, to tell a retry from a new request.
#[derive(Default, Serialize, Deserialize)]
struct Session {
    digest: Option<String>,
    model: Option<String>,
    /// A retry record already reported the failure of the last request.
    retry_recorded: bool,
}

/// Reads one transcript's lines in order, remembering per session the last request sent (to tell
/// a retry from a new request), so a file can be read in pieces as it grows.
#[derive(Default, Serialize, Deserialize)]
pub struct Scanner {
    /// By session id (`""` for lines without one).
    sessions: HashMap<String, Session>,
}

impl Scanner {
    /// Read one line (without its newline) into `out`. `local` is the zone for reset times that
    /// name none.
    pub fn line(&mut self, line: &[u8], local: Tz, out: &mut Signals) {
        if !may_signal(line) {
            return;
        }
        let record = match parse(line) {
            Ok(r) => r,
            Err(_) => {
                out.bad_lines += 1;
                return;
            }
        };
        match record {
            Record::ApiRequest {
                at,
                session_id,
                digest,
                model,
            } => {
                let s = self.sessions.entry(key(&session_id)).or_default();
                let repeated = digest.is_some() && digest == s.digest;
                if repeated && !s.retry_recorded {
                    out.api_errors.push(ApiError {
                        at,
                        origin: ErrorOrigin::InteractiveRetry,
                        status: None,
                        model: model.clone(),
                        kind: None,
                        session_id,
                    });
                }
                s.digest = digest;
                s.model = model;
                s.retry_recorded = false;
            }
            Record::Retry {
                at,
                session_id,
                status,
                ..
            } => {
                let s = self.sessions.entry(key(&session_id)).or_default();
                s.retry_recorded = true;
                out.api_errors.push(ApiError {
                    at,
                    origin: ErrorOrigin::Retry,
                    status,
                    model: s.model.clone(),
                    kind: None,
                    session_id,
                });
            }
            Record::Assistant(a) => {
                let model = self
                    .sessions
                    .get(a.session_id.as_deref().unwrap_or_default())
                    .and_then(|s| s.model.clone());
                final_error(&a, model, local, out);
            }
            Record::Other => {}
        }
    }
}

/// Only requests (`"api-request"`), retries (`"api_error"`) and error responses
/// (`"isApiErrorMessage":true`) carry signals; every other line (most of a history) is skipped
/// without being decoded. Claude Code writes compact JSON, so the markers are exact bytes.
fn markers() -> &'static [memchr::memmem::Finder<'static>; 3] {
    use memchr::memmem::Finder;
    use std::sync::LazyLock;
    static MARKERS: LazyLock<[Finder<'static>; 3]> = LazyLock::new(|| {
        [
            Finder::new(b"\"isApiErrorMessage\":true"),
            Finder::new(b"\"api_error\""),
            Finder::new(b"\"api-request\""),
        ]
    });
    &MARKERS
}

fn may_signal(line: &[u8]) -> bool {
    markers().iter().any(|m| m.find(line).is_some())
}

fn key(session_id: &Option<String>) -> String {
    session_id.clone().unwrap_or_default()
}

/// Read `reader` to its end. `local` is the zone for reset times that name none.
pub fn scan(reader: impl BufRead, local: Tz) -> Signals {
    let mut out = Signals::default();
    let mut scanner = Scanner::default();
    for line in reader.split(b'\n') {
        let Ok(line) = line else { break };
        scanner.line(&line, local, &mut out);
    }
    out
}

fn final_error(a: &Assistant, model: Option<String>, local: Tz, out: &mut Signals) {
    let Some(e) = &a.error else { return };
    let from_text = parse_limit_text(&e.text, a.at, local);
    let is_limit = e.api_error.as_deref() == Some("usage_limit_reached") || from_text.is_some();
    if is_limit {
        let info = e.rate_limit.as_ref();
        let kind = info
            .and_then(|i| i.rate_limit_type.as_deref())
            .map(LimitKind::from_rate_limit_type)
            .or_else(|| from_text.as_ref().map(|(k, _)| k.clone()))
            .unwrap_or(LimitKind::Unspecified);
        let resets_at = info
            .and_then(|i| i.resets_at)
            .and_then(|s| Utc.timestamp_opt(s, 0).single())
            .or_else(|| from_text.and_then(|(_, r)| r));
        out.limit_hits.push(LimitHit {
            at: a.at,
            kind,
            resets_at,
            session_id: a.session_id.clone(),
        });
    }
    out.api_errors.push(ApiError {
        at: a.at,
        origin: ErrorOrigin::Final,
        status: e.status,
        model: model.or_else(|| a.model.clone().filter(|m| m != "<synthetic>")),
        kind: e.kind.clone(),
        session_id: a.session_id.clone(),
    });
}

/// How far back limit hits and API errors are kept: a weekly limit hit matters for a week.
pub const HORIZON: chrono::Duration = chrono::Duration::days(8);

/// The limit hits and API errors of the last [`HORIZON`], kept current by reading only what was
/// appended to each transcript since the last refresh. Files not modified within the horizon are
/// never opened.
#[derive(Serialize, Deserialize)]
pub struct Recent {
    version: u32,
    files: HashMap<std::path::PathBuf, Tracked>,
}

#[derive(Serialize, Deserialize)]
struct Tracked {
    identity: (u64, u64),
    /// Read up to here (just past the last newline).
    offset: u64,
    scanner: Scanner,
    signals: Signals,
}

impl Default for Recent {
    fn default() -> Self {
        Self {
            version: Self::VERSION,
            files: HashMap::new(),
        }
    }
}

/// Where [`Recent`] is kept between runs.
pub const RECENT_FILE: &str = "signals-recent.json";

impl Recent {
    const VERSION: u32 = 1;

    /// The tracker as the last run left it; a missing, old or damaged file starts afresh.
    pub fn load(dir: &StateDir) -> Self {
        match dir.load::<Recent>(RECENT_FILE) {
            Ok(Some(r)) if r.version == Self::VERSION => r,
            _ => Self::default(),
        }
    }

    pub fn save(&self, dir: &StateDir) -> Result<(), crate::state_dir::StateError> {
        dir.write(
            RECENT_FILE,
            &serde_json::to_vec(self).unwrap_or_default(),
            false,
        )
    }

    /// Read what was appended to `files` (the current listing), forget files that are gone or
    /// older than the horizon, and drop signals older than it.
    /// Returns whether anything changed (worth saving).
    pub fn refresh(&mut self, files: &[Transcript], now: DateTime<Utc>, local: Tz) -> bool {
        let mut changed = false;
        let cutoff = now - HORIZON;
        let cutoff_nanos = cutoff.timestamp_nanos_opt().unwrap_or(i64::MIN);
        let mut seen = std::collections::HashSet::new();
        for file in files.iter().filter(|f| f.modified >= cutoff_nanos) {
            seen.insert(file.path.as_path());
            let identity = (file.dev, file.ino);
            let tracked = self
                .files
                .entry(file.path.clone())
                .or_insert_with(|| Tracked::new(identity));
            if tracked.identity != identity || file.len < tracked.offset {
                // Replaced or truncated: read it again from the start.
                *tracked = Tracked::new(identity);
            }
            if file.len > tracked.offset {
                changed = true;
                if let Err(e) = tracked.read(&file.path, file.len, local) {
                    tracing::warn!("signals: {}: {e}", file.path.display());
                }
            }
            tracked.signals.limit_hits.retain(|h| h.at >= cutoff);
            tracked.signals.api_errors.retain(|e| e.at >= cutoff);
        }
        let before = self.files.len();
        self.files.retain(|path, _| seen.contains(path.as_path()));
        changed || before != self.files.len()
    }

    pub fn limit_hits(&self) -> impl Iterator<Item = &LimitHit> {
        self.files.values().flat_map(|t| &t.signals.limit_hits)
    }

    pub fn api_errors(&self) -> impl Iterator<Item = &ApiError> {
        self.files.values().flat_map(|t| &t.signals.api_errors)
    }
}

impl Tracked {
    fn new(identity: (u64, u64)) -> Self {
        Self {
            identity,
            offset: 0,
            scanner: Scanner::default(),
            signals: Signals::default(),
        }
    }

    /// Read complete lines from the offset on; a partial last line waits for its newline.
    /// Blocks are searched for the markers as a whole: only the lines around a hit are cut out
    /// and decoded, in order.
    fn read(&mut self, path: &std::path::Path, len: u64, local: Tz) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        const BLOCK: usize = 4 << 20;
        let mut file = std::fs::File::open(path)?;
        file.seek(SeekFrom::Start(self.offset))?;
        let mut left = len.saturating_sub(self.offset);
        let mut buf = Vec::new();
        loop {
            let kept = buf.len();
            // What the listing saw, a block at a time; then whatever was appended since.
            let want = usize::try_from(left)
                .unwrap_or(BLOCK)
                .clamp(64 * 1024, BLOCK);
            buf.resize(kept + want, 0);
            let n = file.read(&mut buf[kept..])?;
            buf.truncate(kept + n);
            left = left.saturating_sub(n as u64);
            // Up to the last newline; the rest waits for the next block (or refresh).
            let Some(end) = memchr::memrchr(b'\n', &buf).map(|i| i + 1) else {
                if n == 0 || buf.len() > 64 * BLOCK {
                    // No newline for 256 MiB: not a transcript line we could use.
                    return Ok(());
                }
                continue;
            };
            let mut next = 0;
            for line_at in signal_lines(&buf[..end]) {
                if line_at.start >= next {
                    self.scanner
                        .line(&buf[line_at.clone()], local, &mut self.signals);
                    next = line_at.end;
                }
            }
            self.offset += end as u64;
            buf.drain(..end);
            if n == 0 {
                return Ok(());
            }
        }
    }
}

/// The lines of `block` (whole lines) that hold a marker, in order (a line can repeat).
fn signal_lines(block: &[u8]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut hits: Vec<usize> = markers().iter().flat_map(|m| m.find_iter(block)).collect();
    hits.sort_unstable();
    hits.into_iter().map(move |at| {
        let start = memchr::memrchr(b'\n', &block[..at]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &block[at..]).map_or(block.len(), |i| at + i);
        start..end
    })
}
