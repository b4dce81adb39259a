//! The fault points: named places where a crash test makes the writing process die, as a kill
//! would (no unwinding, no cleanup). Compiled only with the `fault-points` feature (the crate's
//! own tests turn it on); a product build has neither the points nor their names.
//!
//! A point does nothing until armed, in the process that passes it, with [`die_at`]. The points
//! are [`fail`] crate fail points, so `fail::cfg` and `FAILPOINTS` work too.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

/// [`crate::atomic`]: before the temp file is created.
pub const BEFORE_CREATE: &str = "atomic::before-create";
/// [`crate::atomic`]: after each write of some bytes to the temp file (a one-shot write passes
/// it after each half).
pub const MID_WRITE: &str = "atomic::mid-write";
/// [`crate::atomic`]: the temp file complete (and flushed to disk when durable), not renamed.
pub const BEFORE_RENAME: &str = "atomic::before-rename";
/// [`crate::atomic`]: renamed over the file; the folder not flushed, the writer not returned.
pub const AFTER_RENAME: &str = "atomic::after-rename";
/// [`crate::alerting::Alerting::submit`]: the ledger saved, the notices to show not yet
/// returned (so not shown). Passed only when there is something to show.
pub const BEFORE_SHOW: &str = "alerting::before-show";

pub const ALL: [&str; 5] = [
    BEFORE_CREATE,
    MID_WRITE,
    BEFORE_RENAME,
    AFTER_RENAME,
    BEFORE_SHOW,
];

/// Make this process die the `hit`-th time it passes `point` (counting from 1): it prints
/// `at POINT HIT` on stdout, then aborts. Other points are not affected.
pub fn die_at(point: &str, hit: usize) {
    let name = point.to_string();
    let passed = AtomicUsize::new(0);
    fail::cfg_callback(point, move || {
        let n = passed.fetch_add(1, Ordering::SeqCst) + 1;
        if n == hit {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "at {name} {n}");
            let _ = out.flush();
            std::process::abort();
        }
    })
    .expect("a fail point callback");
}
