//! The tray side of the panel: the panel runs in its own process (`ccpulse-tray --panel`),
//! started when opened and gone when closed. A webview, once created, keeps WebKit's libraries
//! paged in and its network process alive for the life of its process (about 150 MiB); in a child
//! process that all goes away with the window.

use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use tauri::{AppHandle, Manager, Runtime};

use crate::app::{PanelState, Shared};
use crate::panel_link::{encode, FromPanel, ToPanel, PREFIX};

/// The running panel's stdin, if one runs; managed state of the tray app.
#[derive(Default)]
pub struct PanelSlot(Mutex<Option<Running>>);

struct Running {
    pid: u32,
    stdin: ChildStdin,
}

/// Open the panel, or bring it to the front if it is open.
pub fn open<R: Runtime>(app: &AppHandle<R>) {
    let slot = app.state::<PanelSlot>();
    let mut running = slot.0.lock().expect("panel lock");
    if let Some(r) = running.as_mut() {
        if writeln!(r.stdin, "{}", encode(&ToPanel::Focus)).is_ok() {
            return;
        }
        *running = None; // it went away; start a new one
    }
    match spawn(app) {
        Ok(r) => *running = Some(r),
        Err(e) => eprintln!("ccpulse: cannot open the panel: {e}"),
    }
}

fn spawn<R: Runtime>(app: &AppHandle<R>) -> std::io::Result<Running> {
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .arg("--panel")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let state = app.state::<Shared>().panel_state(chrono::Utc::now());
    writeln!(stdin, "{}", encode(&state_message(&state)))?;

    let app = app.clone();
    std::thread::Builder::new()
        .name("ccpulse-panel-link".into())
        .spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let Some(json) = line.strip_prefix(PREFIX) else {
                    continue;
                };
                match serde_json::from_str::<FromPanel>(json) {
                    Ok(FromPanel::Refresh) => {
                        let shared = app.state::<Shared>();
                        shared.refresh.notify_one();
                        shared.limits_on_demand.store(true, Ordering::Relaxed);
                        shared.limits_wake.notify_one();
                    }
                    Ok(FromPanel::Copy { text }) => copy_to_clipboard(&app, text),
                    Err(e) => eprintln!("ccpulse: panel said something odd ({e}): {json}"),
                }
            }
            let _ = child.wait();
            let slot = app.state::<PanelSlot>();
            let mut running = slot.0.lock().expect("panel lock");
            if running.as_ref().is_some_and(|r| r.pid == pid) {
                *running = None;
            }
        })?;
    Ok(Running { pid, stdin })
}

/// GTK's clipboard, set on the main thread; a clipboard manager, if one runs, is asked to keep
/// it after the tray exits.
#[cfg(target_os = "linux")]
fn copy_to_clipboard<R: Runtime>(app: &AppHandle<R>, text: String) {
    let set = app.run_on_main_thread(move || {
        let clipboard = gtk::Clipboard::get(&gtk::gdk::SELECTION_CLIPBOARD);
        clipboard.set_text(&text);
        clipboard.store();
    });
    if let Err(e) = set {
        eprintln!("ccpulse: cannot reach the clipboard: {e}");
    }
}

#[cfg(not(target_os = "linux"))]
fn copy_to_clipboard<R: Runtime>(_app: &AppHandle<R>, _text: String) {
    eprintln!("ccpulse: copying is not supported on this OS yet");
}

fn state_message(state: &PanelState) -> ToPanel {
    ToPanel::State {
        state: serde_json::to_value(state).expect("the panel state always serializes"),
    }
}

/// Hand the panel the new state, if it is open; `state` is only computed then.
pub fn send_state<R: Runtime>(app: &AppHandle<R>, state: impl FnOnce() -> PanelState) {
    let slot = app.state::<PanelSlot>();
    let mut running = slot.0.lock().expect("panel lock");
    if let Some(r) = running.as_mut() {
        if writeln!(r.stdin, "{}", encode(&state_message(&state()))).is_err() {
            *running = None;
        }
    }
}
