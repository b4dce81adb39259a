//! The panel window: created when opened, destroyed when closed. A hidden webview still costs
//! hundreds of MiB, so none exists while the panel is closed.

use tauri::{Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

pub const LABEL: &str = "panel";

pub fn open<R: Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(window) = app.get_webview_window(LABEL) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    let built = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html".into()))
        .title("ccpulse")
        .inner_size(420.0, 600.0)
        .min_inner_size(340.0, 320.0)
        .resizable(true)
        .build();
    if let Err(e) = built {
        eprintln!("ccpulse: cannot open the panel: {e}");
    }
}

pub fn close<R: Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(window) = app.get_webview_window(LABEL) {
        let _ = window.destroy();
    }
}
