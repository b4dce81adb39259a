//! The plan limits from every source at once: the status line feed, the OAuth usage schedule's
//! last good reading (and why the last attempt failed), and the local evidence; then when each
//! window fills at the pace of its readings (`core::forecast`, from the limit history).

use chrono::{DateTime, Utc};

use ccpulse_core::limits::history::History;
use ccpulse_core::limits::{self, Limits};

use crate::oauth_usage;
use crate::statusline::Feed;

pub fn merged(
    feed: &Feed,
    oauth: &oauth_usage::Cache,
    local: limits::Local,
    history: &History,
    now: DateTime<Utc>,
) -> Limits {
    let observed: Vec<_> = feed
        .limits
        .iter()
        .chain(oauth.last_good.iter())
        .cloned()
        .collect();
    let errors = oauth
        .last_error
        .iter()
        .map(|e| match oauth.last_good.as_ref().map(|o| &o.source) {
            Some(limits::Source::Claude) => format!("Claude Code usage: {e}"),
            _ => format!("OAuth usage: {e}"),
        })
        .collect();
    let limits = limits::merge_with_local(&observed, local, errors, now);
    ccpulse_core::forecast::with_forecasts(limits, history, now)
}
