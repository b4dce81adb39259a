//! `ccpulse-tray --panel`: the panel window in a process of its own, started by the tray. It
//! shows the state the tray writes on stdin and exits when the window closes or the tray goes.

use std::io::BufRead;

use tauri::{Emitter, Manager, WebviewUrl, WebviewWindowBuilder};

use crate::commands::{self, Latest};
use crate::history;
use crate::panel_link::ToPanel;
use crate::settings;
use crate::setup::{self, Received};

pub const LABEL: &str = "panel";
/// The event the page listens to; its payload is a [`ccpulse_core::view::View`].
pub const STATE_EVENT: &str = "ccpulse://state";
/// The tray asks for a tab (its name).
pub const TAB_EVENT: &str = "ccpulse://tab";
/// What the set-up page shows changed: ask `setup_state` again.
pub const SETUP_EVENT: &str = "ccpulse://setup";

fn follow_tray(app: tauri::AppHandle) {
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        match serde_json::from_str::<ToPanel>(&line) {
            Ok(ToPanel::State { state }) => {
                // Kept before it is sent: a page that starts listening after this sees it in
                // `panel_state`.
                *app.state::<Latest>().0.lock().expect("state lock") = Some(state.clone());
                let _ = app.emit_to(LABEL, STATE_EVENT, &state);
            }
            Ok(ToPanel::Focus) => {
                if let Some(w) = app.get_webview_window(LABEL) {
                    let _ = w.unminimize();
                    let _ = w.set_focus();
                }
            }
            Ok(ToPanel::Tab { tab }) => {
                *app.state::<Received>().tab.lock().expect("setup lock") = Some(tab.clone());
                let _ = app.emit_to(LABEL, TAB_EVENT, &tab);
            }
            Ok(ToPanel::Desktop { desktop }) => {
                *app.state::<Received>().desktop.lock().expect("setup lock") = Some(desktop);
                let _ = app.emit_to(LABEL, SETUP_EVENT, ());
            }
            Err(e) => tracing::warn!("panel: ignoring a line from the tray ({e})"),
        }
    }
    // The tray is gone: so is its panel.
    app.exit(0);
}

pub fn run() {
    ccpulse_sources::log::to_stderr(0);
    let app = tauri::Builder::default()
        .manage(Latest::default())
        .manage(Received::default())
        .invoke_handler(tauri::generate_handler![
            commands::panel_state,
            commands::refresh_now,
            commands::copy_text,
            commands::reference,
            commands::open_url,
            commands::close_panel,
            setup::setup_state,
            setup::setup_action,
            setup::panel_tab,
            settings::settings_read,
            settings::settings_write,
            settings::settings_reset,
            history::history_state,
        ])
        .setup(|app| {
            WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html".into()))
                .title("ccpulse")
                .inner_size(420.0, 600.0)
                .min_inner_size(340.0, 320.0)
                .build()?;
            let handle = app.handle().clone();
            std::thread::Builder::new()
                .name("ccpulse-panel-stdin".into())
                .spawn(move || follow_tray(handle))?;
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        // Closing the window ends this process: that is the point of it.
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            tracing::error!("cannot open the panel: {e}");
            std::process::exit(1);
        }
    }
}
