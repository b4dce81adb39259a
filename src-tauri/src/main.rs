//! `ccpulse-tray`: the tray shell. It shows what the core decides, on the OS's surfaces (tray
//! icon and menu, desktop notifications, the panel window) and decides nothing itself.
//!
//! One binary, two roles: the tray (default) and, started by it, the panel (`--panel`).

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod app;
mod commands;
mod desktop;
mod event_loop;
mod events;
mod history;
mod inputs;
mod links;
mod notifications;
mod panel_app;
mod panel_link;
mod panel_process;
mod settings;
mod setup;
mod tray;

fn main() {
    if std::env::args().any(|a| a == "--panel") {
        panel_app::run();
    } else {
        app::run();
    }
}
