//! The line protocol between the tray process and its panel process: one JSON object per line,
//! state and focus requests on the panel's stdin, requests back on its stdout.

use serde::{Deserialize, Serialize};

/// Lines on the panel's stdout that carry a message start with this; anything else a library
/// prints there is ignored.
pub const PREFIX: &str = "ccpulse-panel ";

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToPanel {
    /// A new [`ccpulse_core::view::View`], passed through to the page as it is.
    State { state: serde_json::Value },
    /// "Open panel" again while it is open: bring it to the front.
    Focus,
    /// Show this tab (`setup` on the first run and from "Set up…").
    Tab { tab: String },
    /// What the tray knows of the desktop, for the set-up page.
    Desktop {
        desktop: ccpulse_core::view::setup::DesktopFacts,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromPanel {
    Refresh,
    /// Put this text on the clipboard. The tray owns it, so it outlives the panel.
    Copy {
        text: String,
    },
    /// Turn start at login on or off.
    Autostart {
        on: bool,
    },
    /// Send a test notification.
    TestNotification,
}

pub fn encode<T: Serialize>(message: &T) -> String {
    serde_json::to_string(message).expect("protocol messages always serialize")
}
