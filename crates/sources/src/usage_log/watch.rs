//! Keeps the usage engine current for a long-running shell: a file watcher (inotify, FSEvents,
//! ReadDirectoryChangesW through the notify crate) on every root's `projects` folder wakes a
//! refresh moments after Claude Code writes a line; a slow timer catches what a watcher cannot
//! see (a root created later, the date changing at midnight).

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use notify::{RecursiveMode, Watcher};

use ccpulse_core::limits;
use ccpulse_core::signals::{ApiError, LimitHit};
use ccpulse_core::usage::{daily, Path, Range};
use ccpulse_core::view::activity::LocalUsage;

use super::index::{Engine, Progress};
use super::paths::{transcripts, Found};
use super::signals::Recent;
use crate::state_dir::StateDir;

/// Events closer together than this are read in one refresh.
const SETTLE: Duration = Duration::from_millis(100);
/// A refresh at least this often, events or not.
const RESCAN: Duration = Duration::from_secs(60);

/// Where to look and what to report.
pub struct WatchOptions {
    pub roots: Vec<PathBuf>,
    pub state: StateDir,
    pub zone: Tz,
}

impl WatchOptions {
    /// Claude Code's roots as the environment names them, the index and signals kept in
    /// `state`, days counted in `zone`: what every shell reads.
    pub fn from_env(state: StateDir, zone: Tz) -> Self {
        Self {
            roots: super::paths::roots_from_env(),
            state,
            zone,
        }
    }
}

/// Run on a thread of its own until `on` returns false: `on` is given the progress of the
/// first read, then what the transcripts say after every change.
pub fn spawn(
    options: WatchOptions,
    mut on: impl FnMut(Local) -> bool + Send + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("usage-watch".into())
        .spawn(move || run(options, &mut on))
        .expect("spawning the usage watcher")
}

fn run(options: WatchOptions, on: &mut dyn FnMut(Local) -> bool) {
    let (tx, rx) = mpsc::channel::<()>();
    let mut watcher = match notify::recommended_watcher(move |event: notify::Result<_>| {
        let _: notify::Event = match event {
            Ok(e) => e,
            Err(_) => return,
        };
        let _ = tx.send(());
    }) {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(
                "no file watcher ({e}); usage is read every {} s",
                RESCAN.as_secs()
            );
            None
        }
    };
    let mut watched: Vec<PathBuf> = Vec::new();
    // (root, the folder watched for its `projects` to appear: the root, else its parent).
    let mut awaiting: Vec<(PathBuf, PathBuf)> = Vec::new();
    let roots = options.roots.clone();
    let mut reader = Reader::open(options);
    let mut first = true;
    let mut noted = false;
    loop {
        // Watch every `projects` folder that exists now. Claude Code creates it with the
        // first session: until then, watch the root (or the folder it will be made in) for it.
        if let Some(w) = watcher.as_mut() {
            for root in &roots {
                let projects = root.join("projects");
                let awaited = awaiting.iter().position(|(r, _)| r == root);
                if projects.is_dir() {
                    if !watched.contains(&projects) {
                        match w.watch(&projects, RecursiveMode::Recursive) {
                            Ok(()) => watched.push(projects),
                            Err(e) => tracing::warn!("cannot watch {}: {e}", projects.display()),
                        }
                    }
                    if let Some(i) = awaited {
                        let _ = w.unwatch(&awaiting.remove(i).1);
                    }
                    continue;
                }
                let Some(dir) = [Some(root.as_path()), root.parent()]
                    .into_iter()
                    .flatten()
                    .find(|d| d.is_dir())
                else {
                    continue;
                };
                if awaited.is_some_and(|i| awaiting[i].1 == dir) {
                    continue;
                }
                if let Some(i) = awaited {
                    let _ = w.unwatch(&awaiting.remove(i).1);
                }
                if w.watch(dir, RecursiveMode::NonRecursive).is_ok() {
                    awaiting.push((root.clone(), dir.to_path_buf()));
                }
            }
        }
        let mut stopped = false;
        let (note, read) = reader.read(Utc::now(), &mut |p: Progress| {
            if first && p.files_done < p.files_total && !stopped {
                stopped = !on(Local::reading(p.files_done, p.files_total));
            }
        });
        first = false;
        if let Some(note) = note.filter(|_| !noted) {
            tracing::warn!("usage: {note}");
            noted = true;
        }
        if stopped {
            return;
        }
        match read {
            Ok(local) => {
                if !on(local) {
                    return;
                }
            }
            Err(e) => {
                // Read everything again, now.
                tracing::warn!("usage: {e}");
                continue;
            }
        }
        // Wait for a change (or the rescan), then let a burst of writes settle.
        match rx.recv_timeout(RESCAN) {
            Ok(()) => {
                let until = Instant::now() + SETTLE;
                while let Some(left) = until.checked_duration_since(Instant::now()) {
                    if rx.recv_timeout(left).is_err() {
                        break;
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(RESCAN);
            }
        }
    }
}

/// What the local transcripts say now: today's use, recent spend, limit hits and API errors.
#[derive(Debug, Clone, PartialEq)]
pub struct Local {
    pub usage: LocalUsage,
    /// When and how much (USD) each response of the last [`SPEND_HORIZON`] cost.
    pub spend: Vec<(DateTime<Utc>, f64)>,
    pub hits: Vec<LimitHit>,
    pub api_errors: Vec<ApiError>,
}

impl Default for Local {
    fn default() -> Self {
        Self::reading(0, 0)
    }
}

impl Local {
    fn reading(done: usize, total: usize) -> Self {
        Self {
            usage: LocalUsage::Reading { done, total },
            spend: Vec::new(),
            hits: Vec::new(),
            api_errors: Vec::new(),
        }
    }

    /// The overload errors among the API errors.
    pub fn overload_events(&self) -> Vec<ccpulse_core::overload::Event> {
        ccpulse_core::overload::events(&self.api_errors)
    }

    /// The limits model's view of it.
    pub fn evidence(&self) -> limits::Local<'_> {
        limits::Local {
            hits: &self.hits,
            spend: &self.spend,
        }
    }
}

/// How far back spend is kept: enough to scale a figure from a window that began a day ago.
pub const SPEND_HORIZON: chrono::Duration = chrono::Duration::hours(24);

/// The transcripts as every shell reads them: listed, read only where they grew (the usage
/// index and the recent signals, both kept in the state dir), and gathered into [`Local`].
pub struct Reader {
    options: WatchOptions,
    engine: Engine,
    recent: Recent,
}

impl Reader {
    pub fn open(options: WatchOptions) -> Self {
        let (engine, _) = Engine::load(&options.state, Path::Daily);
        let recent = Recent::load(&options.state);
        Self {
            options,
            engine,
            recent,
        }
    }

    /// One look: `progress` follows a long read. Returns the index's note (why it was read
    /// again, if it was) and what the transcripts say, or why the index could not be read to
    /// the end (then the next look reads everything again).
    pub fn read(
        &mut self,
        now: DateTime<Utc>,
        progress: &mut dyn FnMut(Progress),
    ) -> (Option<String>, Result<Local, String>) {
        let files: Vec<_> = transcripts(&self.options.roots)
            .into_iter()
            .filter_map(|f| match f {
                Found::File(t) => Some(t),
                Found::Unreadable { .. } => None,
            })
            .collect();
        let note = self.engine.refresh(&files, progress).note;
        if self.recent.refresh(&files, now, self.options.zone) {
            // Without it the next start reads the last week again; nothing else is lost.
            let _ = self.recent.save(&self.options.state);
        }
        let local = local(&self.engine, &self.recent, self.options.zone, now);
        if local.is_err() {
            self.engine.discard();
        }
        (note, local)
    }
}

/// Today's tokens and cost in `zone` (the way `ccpulse usage daily` counts them), the recent
/// spend, and the recent signals; or why the index could not be read to the end.
fn local(engine: &Engine, recent: &Recent, zone: Tz, now: DateTime<Utc>) -> Result<Local, String> {
    let date = now.with_timezone(&zone).date_naive();
    let range = Range {
        since: Some(date),
        until: Some(date),
    };
    let models = engine.models();
    let since = now - SPEND_HORIZON;
    let mut spend = Vec::new();
    let entries = engine.entries();
    let recent_spend = entries.iter().inspect(|e| {
        if e.at >= since {
            spend.push((e.at, e.cost(models)));
        }
    });
    let r = daily(recent_spend, models, zone, range);
    if let Some(e) = entries.error() {
        return Err(e);
    }
    Ok(Local {
        usage: LocalUsage::Today {
            tokens: r.totals.total_tokens,
            cost: r.totals.total_cost,
        },
        spend,
        hits: recent.limit_hits().cloned().collect(),
        api_errors: recent.api_errors().cloned().collect(),
    })
}
