//! The tray side of the panel: the panel runs in its own process (`ccpulse-tray --panel`),
//! started when opened and gone when closed. A webview, once created, keeps WebKit's libraries
//! paged in and its network process alive for the life of its process (about 150 MiB); in a child
//! process that all goes away with the window. The loop owns the running [`Panel`]; what the
//! panel asks for comes back to the loop as events.

use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdin, Command, Stdio};

use ccpulse_core::view::setup::DesktopFacts;
use ccpulse_core::view::View;

use crate::panel_link::{encode, FromPanel, ToPanel, PREFIX};

/// The running panel: its pid and its stdin.
pub struct Panel {
    pub pid: u32,
    stdin: ChildStdin,
}

impl Panel {
    /// Start the panel showing `view`; its requests go to `on_request`, and its end (with its
    /// pid) to `on_closed`.
    pub fn open(
        view: &View,
        on_request: impl Fn(FromPanel) + Send + 'static,
        on_closed: impl FnOnce(u32) + Send + 'static,
    ) -> std::io::Result<Panel> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .arg("--panel")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let pid = child.id();
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut panel = Panel { pid, stdin };
        panel.write(&state_message(view))?;
        std::thread::Builder::new()
            .name("ccpulse-panel-link".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let Some(json) = line.strip_prefix(PREFIX) else {
                        continue;
                    };
                    match serde_json::from_str::<FromPanel>(json) {
                        Ok(request) => on_request(request),
                        Err(e) => tracing::warn!("the panel said something odd ({e}): {json}"),
                    }
                }
                let _ = child.wait();
                on_closed(pid);
            })?;
        Ok(panel)
    }

    /// Bring it to the front; `false` when it is gone.
    pub fn focus(&mut self) -> bool {
        self.write(&ToPanel::Focus).is_ok()
    }

    /// Show this tab; `false` when it is gone.
    pub fn tab(&mut self, tab: &str) -> bool {
        self.write(&ToPanel::Tab { tab: tab.into() }).is_ok()
    }

    /// Hand it what the tray knows of the desktop; `false` when it is gone.
    pub fn desktop(&mut self, desktop: &DesktopFacts) -> bool {
        self.write(&ToPanel::Desktop {
            desktop: desktop.clone(),
        })
        .is_ok()
    }

    /// Hand it the new view; `false` when it is gone.
    pub fn show(&mut self, view: &View) -> bool {
        self.write(&state_message(view)).is_ok()
    }

    fn write(&mut self, message: &ToPanel) -> std::io::Result<()> {
        writeln!(self.stdin, "{}", encode(message))
    }
}

fn state_message(view: &View) -> ToPanel {
    ToPanel::State {
        state: serde_json::to_value(view).expect("the view always serializes"),
    }
}

/// GTK's clipboard, set on the main thread; a clipboard manager, if one runs, is asked to keep
/// it after the tray exits.
#[cfg(target_os = "linux")]
pub fn copy_to_clipboard(app: &tauri::AppHandle, text: String) {
    let set = app.run_on_main_thread(move || {
        let clipboard = gtk::Clipboard::get(&gtk::gdk::SELECTION_CLIPBOARD);
        clipboard.set_text(&text);
        clipboard.store();
    });
    if let Err(e) = set {
        tracing::warn!("cannot reach the clipboard: {e}");
    }
}

/// The system clipboard through `arboard`: the Windows clipboard or macOS's general
/// pasteboard. Both keep the text after the tray exits (the system owns it once set), so no
/// clipboard manager is needed, and both may be set from any thread: this runs on the loop's,
/// briefly (on Windows `arboard` retries for a few milliseconds while another program holds
/// the clipboard open).
#[cfg(not(target_os = "linux"))]
pub fn copy_to_clipboard(_app: &tauri::AppHandle, text: String) {
    let set = arboard::Clipboard::new().and_then(|mut clipboard| clipboard.set_text(text));
    if let Err(e) = set {
        tracing::warn!("cannot reach the clipboard: {e}");
    }
}
