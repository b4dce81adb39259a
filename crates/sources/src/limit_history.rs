//! The history of limit readings in the state dir (`limit-history.txt`): the core's
//! [`History`] as lines of text, appended as readings come and rewritten compacted.
//!
//! The file: a first line `ccpulse limit history 1`, then one reading a line,
//! `<unix seconds> <source> <percent> <reset unix seconds or -> <window key>`, the source one
//! letter (`s` status line, `o` OAuth, `c` Claude Code, `l` local), the window as
//! `WindowId::key` writes it (last, as a model's name can hold spaces), for example
//! `1795560000 s 42.5 1795570380 session`. About 30 bytes a reading.
//!
//! New readings are appended (one write, ending in a newline); a last line without its newline
//! is a write cut short and is left out, and the file is rewritten without it when opened.
//! After [`REWRITE_AFTER`] bytes appended, the history is compacted (`History::compact`) and
//! the file replaced atomically ([`crate::atomic`]). So the file stays under the compacted
//! size plus [`REWRITE_AFTER`]: measured by the tests, a year of readings once a minute
//! (session, week and a model's cap from the status line, and the OAuth endpoint every 5
//! minutes: 2.1 million readings) keeps 8,851 of them in 332 KB, and the file was never larger
//! than 365 KB (364,510 bytes) over the year: under 1 MiB. A file that is not this format, or a line in it that does not
//! read, is moved aside (`limit-history.corrupt`) with a warning and the history starts
//! again; a state dir that cannot be written keeps the history in memory, said once.

use std::io::Write;

use chrono::{DateTime, Utc};

use ccpulse_core::limits::history::{History, Sample};
use ccpulse_core::limits::{Source, WindowId};

use crate::state_dir::StateDir;

pub const HISTORY_FILE: &str = "limit-history.txt";
const HEADER: &str = "ccpulse limit history 1";
/// Appended bytes after which the file is compacted and rewritten.
pub const REWRITE_AFTER: u64 = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a limit history ({message}); moved aside to {moved}")]
    SetAside {
        path: std::path::PathBuf,
        message: String,
        moved: String,
    },
}

fn letter(source: Source) -> char {
    match source {
        Source::Statusline => 's',
        Source::Oauth => 'o',
        Source::Claude => 'c',
        Source::Local => 'l',
    }
}

/// One reading as a line, with its newline.
pub fn encode(s: &Sample) -> String {
    let reset = s
        .resets_at
        .map_or("-".to_string(), |r| r.timestamp().to_string());
    let percent = format!("{:.2}", s.used_percent);
    let percent = percent.trim_end_matches('0').trim_end_matches('.');
    format!(
        "{} {} {percent} {reset} {}\n",
        s.at.timestamp(),
        letter(s.source),
        s.window.key()
    )
}

/// One line (without its newline) as a reading.
pub fn decode(line: &str) -> Option<Sample> {
    let mut parts = line.splitn(5, ' ');
    let at = DateTime::from_timestamp(parts.next()?.parse().ok()?, 0)?;
    let source = match parts.next()? {
        "s" => Source::Statusline,
        "o" => Source::Oauth,
        "c" => Source::Claude,
        "l" => Source::Local,
        _ => return None,
    };
    let used_percent: f64 = parts.next()?.parse().ok().filter(|p: &f64| p.is_finite())?;
    let resets_at = match parts.next()? {
        "-" => None,
        secs => Some(DateTime::from_timestamp(secs.parse().ok()?, 0)?),
    };
    let key = parts.next().filter(|k| !k.is_empty())?;
    Some(Sample {
        at,
        source,
        window: WindowId::from_key(key),
        used_percent,
        resets_at,
    })
}

/// The whole file for `history`.
pub fn encode_all(history: &History) -> String {
    let mut out = String::with_capacity(history.samples().len() * 32 + 32);
    out.push_str(HEADER);
    out.push('\n');
    for s in history.samples() {
        out.push_str(&encode(s));
    }
    out
}

/// The file's text read: the history, and whether its last line was cut short.
fn parse(text: &str) -> Result<(History, bool), String> {
    let (body, torn) = match text.rfind('\n') {
        Some(end) => (&text[..end], end + 1 != text.len()),
        None => return Err("no header".into()),
    };
    let mut lines = body.split('\n');
    if lines.next() != Some(HEADER) {
        return Err("not its header".into());
    }
    let samples = lines
        .enumerate()
        .map(|(i, l)| decode(l).ok_or_else(|| format!("line {} does not read", i + 2)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((History::from_samples(samples), torn))
}

/// The history in `state` as it is on disk, touching nothing: empty when there is none.
/// For a shell that only reads (`ccpulse status`); a damaged file is an error, left in place.
pub fn read(state: &StateDir) -> Result<History, HistoryError> {
    read_torn(state).map(|(h, _)| h)
}

fn read_torn(state: &StateDir) -> Result<(History, bool), HistoryError> {
    let path = state.path(HISTORY_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((History::default(), false))
        }
        Err(source) => return Err(HistoryError::Read { path, source }),
    };
    let text = String::from_utf8(bytes).map_err(|_| "not text".to_string());
    text.and_then(|t| parse(&t))
        .map_err(|message| HistoryError::SetAside {
            path: path.clone(),
            message,
            moved: String::new(),
        })
}

/// The limit history kept in `state`, oldest reading first. A file that does not read is
/// moved aside (`limit-history.corrupt`) and reported; none at all is an empty history.
///
/// The series, from [`History`]: `since(&window, t)`, the readings of a window from `t` on
/// (each with its time, source, percent and reset); `session_windows()`, the highest session
/// percent of each 5-hour window; `daily_peaks(&WindowId::Weekly, zone)`, the weekly percent
/// per day in the user's zone; `peaks(&window)`, the highest of each window of any kind. Older
/// readings are downsampled (see `ccpulse_core::limits::history`): all of the last 6 hours,
/// then the highest per 10 minutes (session) or hour (other windows), then per 5-hour window or
/// day.
pub fn load(state: &StateDir) -> Result<History, HistoryError> {
    load_torn(state).map(|(h, _)| h)
}

/// [`load`], and whether the last line was cut short.
fn load_torn(state: &StateDir) -> Result<(History, bool), HistoryError> {
    match read_torn(state) {
        Err(HistoryError::SetAside { path, message, .. }) => {
            let aside = state.path("limit-history.corrupt");
            let moved = match std::fs::rename(&path, &aside) {
                Ok(()) => aside.display().to_string(),
                Err(e) => format!("nowhere ({e})"),
            };
            Err(HistoryError::SetAside {
                path,
                message,
                moved,
            })
        }
        other => other,
    }
}

/// What the tray keeps of the file: how much was appended since it was last rewritten, and
/// whether writing fails.
pub struct Recorder {
    state: StateDir,
    appended: u64,
    failing: bool,
}

impl Recorder {
    /// The history in `state`, compacted at `now`; the file rewritten when that dropped
    /// anything or its last line was cut short. Never fails: what cannot be read is set aside
    /// (with a warning) and the history starts empty.
    pub fn open(state: StateDir, now: DateTime<Utc>) -> (Recorder, History) {
        state.remove_leftovers(HISTORY_FILE);
        let (mut history, torn) = load_torn(&state).unwrap_or_else(|e| {
            tracing::warn!("{e}; the limit history starts again");
            (History::default(), false)
        });
        let mut recorder = Recorder {
            state,
            appended: 0,
            failing: false,
        };
        if history.compact(now) || torn {
            recorder.rewrite(&history);
        }
        (recorder, history)
    }

    /// Append `new` readings (already in `history`); past [`REWRITE_AFTER`], compact `history`
    /// and rewrite the file.
    pub fn append(&mut self, history: &mut History, new: &[Sample], now: DateTime<Utc>) {
        if new.is_empty() {
            return;
        }
        let text: String = new.iter().map(encode).collect();
        match self.append_text(&text) {
            Ok(()) => {
                self.appended += text.len() as u64;
                self.said(None);
            }
            Err(e) => self.said(Some(e.to_string())),
        }
        if self.appended >= REWRITE_AFTER {
            history.compact(now);
            self.rewrite(history);
        }
    }

    fn append_text(&self, text: &str) -> std::io::Result<()> {
        std::fs::create_dir_all(self.state.root())?;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(self.state.path(HISTORY_FILE))?;
        let mut bytes = Vec::new();
        if f.metadata()?.len() == 0 {
            bytes.extend_from_slice(HEADER.as_bytes());
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(text.as_bytes());
        f.write_all(&bytes)
    }

    fn rewrite(&mut self, history: &History) {
        match self
            .state
            .write(HISTORY_FILE, encode_all(history).as_bytes(), true)
        {
            Ok(()) => {
                self.appended = 0;
                self.said(None);
            }
            Err(e) => self.said(Some(e.to_string())),
        }
    }

    /// Say a failure to write once, and its end.
    fn said(&mut self, error: Option<String>) {
        if error.is_none() && std::mem::take(&mut self.failing) {
            tracing::warn!("the limit history is written again");
        }
        if let Some(e) = error {
            if !std::mem::replace(&mut self.failing, true) {
                tracing::warn!("cannot write the limit history ({e}); keeping it in memory");
            }
        }
    }
}

#[cfg(test)]
mod tests;
