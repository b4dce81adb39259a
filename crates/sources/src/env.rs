//! Every environment variable ccpulse reads, in one place.

use ccpulse_core::config::Overrides;

/// Base URL of the Statuspage page (default `https://status.claude.com`).
pub const STATUS_URL: &str = ccpulse_core::config::STATUS_URL_ENV;
/// Path of the config file (default `<config dir>/ccpulse/config.toml`).
pub const CONFIG: &str = "CCPULSE_CONFIG";
/// Directory for persistent state (default `<state dir>/ccpulse`).
pub const STATE_DIR: &str = "CCPULSE_STATE_DIR";

fn non_empty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn overrides() -> Overrides {
    Overrides {
        status_url: non_empty(STATUS_URL),
    }
}

pub fn config_path() -> Option<String> {
    non_empty(CONFIG)
}

pub fn state_dir() -> Option<String> {
    non_empty(STATE_DIR)
}
