//! `ccpulse-tray`: the tray shell. It shows what the core decides, on the OS's surfaces (tray
//! icon and menu, desktop notifications, the panel window) and decides nothing itself.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod app;
mod commands;
mod notifications;
mod panel;
mod tray;

fn main() {
    app::run();
}
