//! ccpulse's IO adapters, each named after what it talks to.
//!
//! They turn the outside world (HTTP, files, the environment) into `ccpulse-core` values and back.
//! Decisions (what is relevant, what to announce, how to word it) are not made here; that is the
//! core. Nothing here knows about Tauri or a terminal.

/// A named point where a crash test can make this process die (see [`fault`]). Without the
/// `fault-points` feature it is nothing at all.
macro_rules! fault_point {
    ($name:expr) => {
        #[cfg(feature = "fault-points")]
        fail::fail_point!($name);
    };
}

pub mod alerting;
pub mod atomic;
pub mod claude_usage;
pub mod clock;
pub mod config_file;
pub mod doctor;
pub mod env;
#[cfg(feature = "fault-points")]
pub mod fault;
pub mod gather;
pub mod http;
pub mod limit_history;
pub mod log;
pub mod monitor;
pub mod oauth_usage;
pub mod plan_limits;
pub mod setup;
pub mod state_dir;
pub mod statusline;
pub mod statusline_install;
pub mod statuspage;
pub mod usage_log;
