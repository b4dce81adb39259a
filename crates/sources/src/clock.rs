//! The user's zone and clock convention, read from the system: every shell asks here, and
//! hands them to the core, which words times with them (`ccpulse_core::clock`).

use ccpulse_core::clock::Clock;
use ccpulse_core::config::ClockSetting;
use chrono_tz::Tz;

use crate::env;

/// The user's time zone: `$TZ` (an IANA name), else the system's (`iana-time-zone`: what
/// `/etc/localtime` links to on Linux and macOS, the Windows zone mapped to its IANA name on
/// Windows), else UTC.
pub fn local_zone() -> Tz {
    let from_env = env::var(env::TZ).and_then(|z| z.trim_start_matches(':').parse().ok());
    let from_system = || iana_time_zone::get_timezone().ok()?.parse().ok();
    from_env.or_else(from_system).unwrap_or(chrono_tz::UTC)
}

/// The user's clock convention, from the locale (`LC_ALL`, `LC_TIME`, `LANG`, the first set).
pub fn local_clock() -> Clock {
    Clock::from_locale(&locale())
}

/// The clock convention to write times in: the config's `display.clock` when it says 12h or
/// 24h, else the locale's ([`local_clock`]).
pub fn clock(setting: ClockSetting) -> Clock {
    chosen(setting, &locale())
}

/// The locale variables, else the system's locale (`sys-locale`: the user's locale on Windows
/// and macOS, where programs started from the desktop have no `LANG`).
fn locale() -> String {
    env::LOCALE
        .iter()
        .find_map(|k| env::var(k))
        .or_else(sys_locale::get_locale)
        .unwrap_or_default()
}

fn chosen(setting: ClockSetting, locale: &str) -> Clock {
    match setting {
        ClockSetting::H12 => Clock::H12,
        ClockSetting::H24 => Clock::H24,
        ClockSetting::Auto => Clock::from_locale(locale),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_wins_over_the_locale_unless_it_is_auto() {
        for locale in ["en_US.UTF-8", "de_AT.UTF-8", ""] {
            assert_eq!(chosen(ClockSetting::H12, locale), Clock::H12, "{locale}");
            assert_eq!(chosen(ClockSetting::H24, locale), Clock::H24, "{locale}");
        }
        assert_eq!(chosen(ClockSetting::Auto, "en_US.UTF-8"), Clock::H12);
        assert_eq!(chosen(ClockSetting::Auto, "de_AT.UTF-8"), Clock::H24);
    }
}
