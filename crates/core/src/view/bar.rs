//! Status bars and docks (waybar, polybar, i3blocks, tmux): one short line, the tray's tooltip,
//! a class (the worst level among the service, the session and weekly windows and a wave) and
//! the session's percentage, written in each bar's own format.

use chrono_tz::Tz;
use serde::Serialize;

use crate::limits::WindowId;
use crate::service::Level;
use crate::view::tray::tray_view;
use crate::view::{statusline, View};

/// What every bar shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bar {
    /// `5h 42% ↻3:45pm · wk 18% · Claude ok`.
    pub text: String,
    pub tooltip: String,
    /// `operational|maintenance|degraded|outage|unknown`.
    pub class: &'static str,
    /// The session window's use, 0 when not known.
    pub percentage: u8,
}

/// The formats `ccpulse status --format` writes for bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object: `text`, `tooltip`, `class`, `percentage`.
    Waybar,
    /// The text in its colour: `%{F#rrggbb}…%{F-}`.
    Polybar,
    /// Three lines: full text, short text, colour.
    I3blocks,
    /// The text in its colour: `#[fg=#rrggbb]…#[default]`.
    Tmux,
}

pub fn bar(view: &View, zone: Tz) -> Bar {
    let windows = [WindowId::Session, WindowId::Weekly];
    let rows = windows.iter().filter_map(|id| view.limits.row(id));
    let level = rows
        .map(|r| r.tone)
        .chain([view.service.level, view.overload.level])
        .max()
        .unwrap_or(Level::Unknown);
    Bar {
        text: statusline::line(&view.limits, Some(view.service.level), None, None),
        tooltip: tray_view(view, zone).tooltip,
        class: level.as_str(),
        percentage: view
            .limits
            .row(&WindowId::Session)
            .map_or(0, |r| r.used_percent.clamp(0.0, 100.0).round() as u8),
    }
}

/// A level's colour in a bar.
fn colour(class: &str) -> &'static str {
    match class {
        "operational" => "#4caf50",
        "maintenance" => "#42a5f5",
        "degraded" => "#ffb300",
        "outage" => "#e53935",
        _ => "#9e9e9e",
    }
}

/// The bar in `format`, without a trailing newline.
pub fn render(bar: &Bar, format: Format) -> String {
    let c = colour(bar.class);
    match format {
        Format::Waybar => serde_json::to_string(bar).expect("a bar always serializes"),
        // Polybar has no escape for `%`; one followed by `{` would open a tag, which this text
        // never has.
        Format::Polybar => format!("%{{F{c}}}{}%{{F-}}", bar.text),
        Format::I3blocks => {
            let short = bar.text.rsplit(" · ").next().unwrap_or(&bar.text);
            format!("{}\n{short}\n{c}", bar.text)
        }
        Format::Tmux => format!("#[fg={c}]{}#[default]", bar.text.replace('#', "##")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::limits::{Limits, Source, Window};
    use crate::overload::Overload;
    use crate::service::ServiceSnapshot;
    use crate::test_support::{sample_status, utc};
    use crate::view::{build, Facts};

    fn view(session: Option<f64>) -> View {
        let now = utc("2026-11-25T13:00:00Z");
        let limits = Limits {
            session: session.map(|used| Window {
                used_percent: used,
                resets_at: Some(utc("2026-11-25T15:45:00Z")),
                source: Source::Statusline,
                as_of: now,
            }),
            ..Limits::default()
        };
        let mut status = sample_status();
        status.incidents.clear();
        status.components.iter_mut().for_each(|c| {
            c.status = crate::status::ComponentStatus::Operational;
        });
        let service = ServiceSnapshot {
            status: Some(status),
            fetched_at: Some(now),
            error: None,
            offline: false,
        };
        build(
            &Facts::without_local(&service, &limits, &Overload::default()),
            &Config::default(),
            now,
            chrono_tz::UTC,
            crate::clock::Clock::H24,
        )
    }

    #[test]
    fn every_bar_format_says_the_line_and_its_colour() {
        let b = bar(&view(Some(96.0)), chrono_tz::UTC);
        assert_eq!(b.text, "5h 96% ↻15:45 · Claude ok");
        assert_eq!(
            (b.class, b.percentage),
            ("outage", 96),
            "the window is the worst"
        );
        let waybar: serde_json::Value = serde_json::from_str(&render(&b, Format::Waybar)).unwrap();
        let mut keys: Vec<&str> = waybar
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["class", "percentage", "text", "tooltip"]);
        assert_eq!(waybar["percentage"], 96);
        assert!(waybar["tooltip"]
            .as_str()
            .unwrap()
            .contains("Session (5h) 96%"));
        assert_eq!(
            render(&b, Format::Polybar),
            "%{F#e53935}5h 96% ↻15:45 · Claude ok%{F-}"
        );
        assert_eq!(
            render(&b, Format::I3blocks),
            "5h 96% ↻15:45 · Claude ok\nClaude ok\n#e53935"
        );
        assert_eq!(
            render(&b, Format::Tmux),
            "#[fg=#e53935]5h 96% ↻15:45 · Claude ok#[default]"
        );

        let calm = bar(&view(None), chrono_tz::UTC);
        assert_eq!(calm.text, "Claude ok");
        assert_eq!((calm.class, calm.percentage), ("operational", 0));
    }
}
