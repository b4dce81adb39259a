//! Claude Code's local transcripts (`projects/**/*.jsonl`): where they are and what their lines
//! say. Lines are read leniently: a line that is not JSON, or not a shape we know, is counted and
//! skipped; newer line types Claude Code adds are not errors.

pub mod entries;
pub mod index;
pub mod line;
pub mod paths;
pub mod signals;
pub mod watch;
