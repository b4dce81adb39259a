//! Every environment variable ccpulse reads, in one place. Code elsewhere names a variable by
//! its constant here; `ccpulse doctor` reads the whole environment as a value, and the names it
//! looks at in it are listed here too.

use ccpulse_core::config::Overrides;

// ccpulse's own.
/// Base URL of the Statuspage page (default `https://status.claude.com`).
pub const STATUS_URL: &str = ccpulse_core::config::STATUS_URL_ENV;
/// Path of the config file (default `<config dir>/ccpulse/config.toml`).
pub const CONFIG: &str = "CCPULSE_CONFIG";
/// Directory for persistent state (default `<state dir>/ccpulse`).
pub const STATE_DIR: &str = "CCPULSE_STATE_DIR";
/// Base URL of the Anthropic API, for the OAuth usage endpoint (tests point it at loopback).
pub const API_URL: &str = "CCPULSE_API_URL";
/// `1`: on macOS, read Claude Code's login from the Keychain (a read can make macOS ask).
pub const KEYCHAIN: &str = "CCPULSE_KEYCHAIN";
/// `ccpulse doctor`: the API and status hosts to check (`host:port`; tests use loopback).
pub const DOCTOR_API_HOST: &str = "CCPULSE_DOCTOR_API_HOST";
pub const DOCTOR_STATUS_HOST: &str = "CCPULSE_DOCTOR_STATUS_HOST";
/// The tray's log level: `error`, `warn`, `info` (the default), `debug`, `trace` or `off`.
pub const LOG: &str = "CCPULSE_LOG";
/// `0`: the tray's first run does not turn on start at login (`cargo xtask run` sets it, so a
/// development build never puts itself in the user's login items).
pub const AUTOSTART_DEFAULT: &str = "CCPULSE_AUTOSTART_DEFAULT";

// Claude Code's, read to find its files and to explain its errors.
/// Where Claude Code keeps its settings, login and transcripts (comma-separated roots).
pub const CLAUDE_CONFIG_DIR: &str = "CLAUDE_CONFIG_DIR";
/// Keys and settings that change what Claude Code does (`ccpulse doctor`, the advice).
pub const ANTHROPIC_API_KEY: &str = "ANTHROPIC_API_KEY";
pub const ANTHROPIC_AUTH_TOKEN: &str = "ANTHROPIC_AUTH_TOKEN";
pub const ANTHROPIC_BASE_URL: &str = "ANTHROPIC_BASE_URL";
pub const API_TIMEOUT_MS: &str = "API_TIMEOUT_MS";
pub const CLAUDE_CODE_MAX_RETRIES: &str = "CLAUDE_CODE_MAX_RETRIES";
/// Node's TLS settings, which Claude Code follows (`ccpulse doctor`).
pub const NODE_EXTRA_CA_CERTS: &str = "NODE_EXTRA_CA_CERTS";
pub const NODE_TLS_REJECT_UNAUTHORIZED: &str = "NODE_TLS_REJECT_UNAUTHORIZED";
/// Proxies (`ccpulse doctor`; each also in lower case).
pub const PROXIES: [&str; 4] = ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"];

// The system's.
pub const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
/// The account name Claude Code stores its Keychain login under.
pub const USER: &str = "USER";
/// The time zone (an IANA name).
pub const TZ: &str = "TZ";
/// The locale, for 12- or 24-hour clocks: the first one set wins.
pub const LOCALE: [&str; 3] = ["LC_ALL", "LC_TIME", "LANG"];
/// Any value: no colours in the terminal.
pub const NO_COLOR: &str = "NO_COLOR";
/// The terminal's width in columns (`ccpulse usage daily --chart`).
pub const COLUMNS: &str = "COLUMNS";
/// GTK's OpenGL switch; the tray sets `disable` unless the user chose.
pub const GDK_GL: &str = "GDK_GL";

/// A variable's value, `None` when unset, empty or blank.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Whether a variable is set at all (even empty).
pub fn is_set(name: &str) -> bool {
    std::env::var_os(name).is_some()
}

pub fn overrides() -> Overrides {
    Overrides {
        status_url: var(STATUS_URL),
    }
}

pub fn config_path() -> Option<String> {
    var(CONFIG)
}

pub fn state_dir() -> Option<String> {
    var(STATE_DIR)
}
