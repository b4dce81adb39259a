//! The user's zone and clock convention, read from the system: every shell asks here, and
//! hands them to the core, which words times with them (`ccpulse_core::clock`).

use ccpulse_core::clock::Clock;
use chrono_tz::Tz;

use crate::env;

/// The user's time zone: `$TZ` (an IANA name), else what `/etc/localtime` links to, else UTC.
pub fn local_zone() -> Tz {
    let from_env = env::var(env::TZ).and_then(|z| z.trim_start_matches(':').parse().ok());
    let from_link = || {
        let target = std::fs::read_link("/etc/localtime").ok()?;
        let s = target.to_string_lossy().into_owned();
        s.split_once("zoneinfo/")?.1.parse().ok()
    };
    from_env.or_else(from_link).unwrap_or(chrono_tz::UTC)
}

/// The user's clock convention, from the locale (`LC_ALL`, `LC_TIME`, `LANG`, the first set).
pub fn local_clock() -> Clock {
    let locale = env::LOCALE
        .iter()
        .find_map(|k| env::var(k))
        .unwrap_or_default();
    Clock::from_locale(&locale)
}
