//! Diagnostics. ccpulse reports what went wrong on the side (a file it could not read, a
//! source that failed, a state dir it cannot write) through `tracing`; each shell chooses
//! where it goes: the CLI to stderr (warnings, more with `-v`), the tray to a size-capped log
//! file in the state dir that a user can attach to a bug report (and warnings to stderr).
//! Nothing secret is ever logged: tokens never reach a log call.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::env;
use crate::state_dir::StateDir;

/// The tray's log, in the state dir.
pub const LOG_FILE: &str = "ccpulse.log";
/// The log is moved to `ccpulse.log.1` past this size (the one before is dropped).
pub const LOG_MOST_BYTES: usize = 1 << 20;

/// `ccpulse: <message>`: the way the command line has always spoken on stderr.
struct Short;

impl<S, N> FormatEvent<S, N> for Short
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(writer, "ccpulse: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

fn level(verbosity: u8) -> Level {
    match verbosity {
        0 => Level::WARN,
        1 => Level::INFO,
        2 => Level::DEBUG,
        _ => Level::TRACE,
    }
}

/// The command line's log: warnings on stderr as `ccpulse: …`; with `-v` (info), `-vv`
/// (debug) or more, every event with its level and module.
pub fn to_stderr(verbosity: u8) {
    let filter = LevelFilter::from_level(level(verbosity));
    let layer = if verbosity == 0 {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .event_format(Short)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .boxed()
    };
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}

/// The tray's log: `<state>/ccpulse.log` (events at the level `$CCPULSE_LOG` names: `error`,
/// `warn`, `info` (the default), `debug`, `trace` or `off`; with their time), moved aside past
/// [`LOG_MOST_BYTES`]; and warnings on stderr. Returns the log's path, or why there is none
/// (then stderr has everything at that level).
pub fn to_file(state: &StateDir) -> Result<PathBuf, String> {
    let filter = || {
        env::var(env::LOG)
            .and_then(|level| level.trim().parse::<LevelFilter>().ok())
            .unwrap_or(LevelFilter::INFO)
    };
    let path = state.path(LOG_FILE);
    match open_rotating(&path) {
        Ok(file) => {
            let file = tracing_subscriber::fmt::layer()
                .with_writer(std::sync::Mutex::new(file))
                .with_ansi(false);
            let _ = tracing_subscriber::registry()
                .with(file.with_filter(filter()))
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_writer(std::io::stderr)
                        .event_format(Short)
                        .with_filter(LevelFilter::WARN),
                )
                .try_init();
            Ok(path)
        }
        Err(e) => {
            let _ = tracing_subscriber::registry()
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_writer(std::io::stderr)
                        .event_format(Short)
                        .with_filter(filter()),
                )
                .try_init();
            Err(format!("no log file: cannot write {}: {e}", path.display()))
        }
    }
}

/// The rotating log, once its folder and file are known to be writable (the crate would
/// panic where they are not).
fn open_rotating(path: &Path) -> std::io::Result<FileRotate<AppendCount>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .flush()?;
    Ok(FileRotate::new(
        path,
        AppendCount::new(1),
        ContentLimit::BytesSurpassed(LOG_MOST_BYTES),
        Compression::None,
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_moved_aside_past_its_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOG_FILE);
        let mut log = open_rotating(&path).unwrap();
        let line = [b'x'; 1023];
        for _ in 0..(LOG_MOST_BYTES / 1024 + 10) {
            log.write_all(&line).unwrap();
            log.write_all(b"\n").unwrap();
        }
        log.flush().unwrap();
        let current = std::fs::metadata(&path).unwrap().len() as usize;
        let old = std::fs::metadata(dir.path().join(format!("{LOG_FILE}.1")))
            .unwrap()
            .len() as usize;
        assert!(current < LOG_MOST_BYTES, "{current}");
        assert!(
            (LOG_MOST_BYTES..LOG_MOST_BYTES + 2048).contains(&old),
            "{old}"
        );
        // Once more: still one old file, never more.
        for _ in 0..(LOG_MOST_BYTES / 1024 + 10) {
            log.write_all(&line).unwrap();
            log.write_all(b"\n").unwrap();
        }
        assert!(!dir.path().join(format!("{LOG_FILE}.2")).exists());
    }

    #[test]
    fn a_state_dir_that_cannot_be_written_has_no_log() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        assert!(open_rotating(&blocker.join("state").join(LOG_FILE)).is_err());
    }
}
