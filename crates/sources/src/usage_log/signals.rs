//! Limit hits and API errors, read from one transcript in order.

use std::collections::HashMap;
use std::io::BufRead;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

use ccpulse_core::signals::{parse_limit_text, ApiError, ErrorOrigin, LimitHit, LimitKind};

use super::line::{parse, Assistant, Record};
use super::paths::Transcript;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    pub limit_hits: Vec<LimitHit>,
    pub api_errors: Vec<ApiError>,
    /// Lines that were not JSON or not a shape we know how to read.
    pub bad_lines: usize,
}

/// Per session: the last request sent, to tell a retry from a new request.
#[derive(Default)]
struct Session {
    digest: Option<String>,
    model: Option<String>,
    /// A retry record already reported the failure of the last request.
    retry_recorded: bool,
}

/// Reads one transcript's lines in order, remembering per session the last request sent (to tell
/// a retry from a new request), so a file can be read in pieces as it grows.
#[derive(Default)]
pub struct Scanner {
    sessions: HashMap<Option<String>, Session>,
}

impl Scanner {
    /// Read one line (without its newline) into `out`. `local` is the zone for reset times that
    /// name none.
    pub fn line(&mut self, line: &[u8], local: Tz, out: &mut Signals) {
        if line.iter().all(u8::is_ascii_whitespace) {
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
                let s = self.sessions.entry(session_id.clone()).or_default();
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
                let s = self.sessions.entry(session_id.clone()).or_default();
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
                    .get(&a.session_id)
                    .and_then(|s| s.model.clone());
                final_error(&a, model, local, out);
            }
            Record::Other => {}
        }
    }
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
#[derive(Default)]
pub struct Recent {
    files: HashMap<std::path::PathBuf, Tracked>,
}

struct Tracked {
    identity: (u64, u64),
    /// Read up to here (just past the last newline).
    offset: u64,
    scanner: Scanner,
    signals: Signals,
}

impl Recent {
    /// Read what was appended to `files` (the current listing), forget files that are gone or
    /// older than the horizon, and drop signals older than it.
    pub fn refresh(&mut self, files: &[Transcript], now: DateTime<Utc>, local: Tz) {
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
                if let Err(e) = tracked.read(&file.path, local) {
                    crate::monitor::warn(format!("signals: {}: {e}", file.path.display()));
                }
            }
            tracked.signals.limit_hits.retain(|h| h.at >= cutoff);
            tracked.signals.api_errors.retain(|e| e.at >= cutoff);
        }
        self.files.retain(|path, _| seen.contains(path.as_path()));
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
    fn read(&mut self, path: &std::path::Path, local: Tz) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        let mut file = std::fs::File::open(path)?;
        file.seek(SeekFrom::Start(self.offset))?;
        let mut reader = std::io::BufReader::with_capacity(64 * 1024, file);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 || line.last() != Some(&b'\n') {
                return Ok(());
            }
            self.offset += n as u64;
            self.scanner.line(&line[..n - 1], local, &mut self.signals);
        }
    }
}
