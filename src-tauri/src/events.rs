//! Everything that can happen to the tray: what the source tasks observed, what the user did,
//! what the panel asked, a timer. The loop (`event_loop`) takes them one at a time.

use ccpulse_sources::monitor::Observation;
use ccpulse_sources::oauth_usage;
use ccpulse_sources::usage_log::watch::Local;

use crate::notifications::Action;
use crate::panel_link::FromPanel;
use crate::tray::Tray;

/// Everything that can happen to the tray.
pub enum Event {
    /// The status page was polled.
    StatusObserved(Observation),
    /// The OAuth usage endpoint's schedule was looked at (and maybe asked).
    OauthObserved(oauth_usage::Cache),
    /// The transcripts changed.
    UsageChanged(Box<Local>),
    /// Claude Code's status line wrote the feed.
    FeedWritten,
    /// A menu item, by id.
    Menu(String),
    /// The panel asked for something.
    Panel(FromPanel),
    /// The panel process with this pid ended.
    PanelClosed(u32),
    /// Open the panel (a second launch, `--open-panel`).
    OpenPanel,
    /// Open the panel on its set-up page (the first run).
    OpenSetUp,
    /// The notification service was asked who it is.
    NotificationService(Result<String, String>),
    /// The user acted on a notification.
    Notification(Action),
    /// The config file was written.
    ConfigChanged,
    /// A tray host appeared after the start.
    TrayInstalled(Box<Tray>),
    /// Something came due: a reset, a wave's quiet end, a held notice, the end of a pause, the
    /// OAuth schedule, or a minute passed.
    Timer,
}

impl Event {
    /// Its name, for the log (never its contents).
    pub fn name(&self) -> &'static str {
        match self {
            Event::StatusObserved(_) => "status observed",
            Event::OauthObserved(_) => "OAuth usage observed",
            Event::UsageChanged(_) => "usage changed",
            Event::FeedWritten => "feed written",
            Event::Menu(_) => "menu",
            Event::Panel(_) => "panel request",
            Event::PanelClosed(_) => "panel closed",
            Event::OpenPanel => "open panel",
            Event::OpenSetUp => "open set-up",
            Event::NotificationService(_) => "notification service",
            Event::Notification(_) => "notification action",
            Event::ConfigChanged => "config changed",
            Event::TrayInstalled(_) => "tray installed",
            Event::Timer => "timer",
        }
    }
}
