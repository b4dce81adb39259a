//! Top-level X11 windows: find them by title, and close them the way a window manager would.
//!
//! Under Xvfb there is no window manager, so top-level windows are the children of the root
//! window, and nothing reparents them. [`X11::close_window`] sends the `WM_DELETE_WINDOW` client
//! message that a window manager's close button sends; GTK turns it into `delete-event`, which is
//! what an app that hides its window on close (instead of quitting) intercepts.

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ClientMessageEvent, ConnectionExt as _, CreateWindowAux, EventMask, MapState,
    Window, WindowClass,
};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;

use crate::wait::poll_until;

/// A top-level window, as [`X11::top_level_windows`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowInfo {
    /// The X window id (what `xdotool` and `import -window` take).
    pub id: u32,
    /// `_NET_WM_NAME`, or else `WM_NAME`, or else "".
    pub title: String,
    /// Mapped and all its ancestors mapped: shown on screen (under Xvfb: not hidden).
    pub viewable: bool,
    /// Position relative to the root window, and size.
    pub x: i16,
    /// See `x`.
    pub y: i16,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
}

/// A connection to one X display.
pub struct X11 {
    conn: RustConnection,
    root: Window,
    net_wm_name: Atom,
    utf8_string: Atom,
    wm_protocols: Atom,
    wm_delete_window: Atom,
}

impl std::fmt::Debug for X11 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X11")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl X11 {
    /// Connects to `display` (e.g. `":3"`), screen 0.
    pub fn connect(display: &str) -> Result<Self> {
        let (conn, screen) = x11rb::connect(Some(display))
            .with_context(|| format!("connecting to X display {display}"))?;
        let root = conn.setup().roots[screen].root;
        let intern = |name: &str| -> Result<Atom> {
            Ok(conn
                .intern_atom(false, name.as_bytes())?
                .reply()
                .with_context(|| format!("interning atom {name}"))?
                .atom)
        };
        let net_wm_name = intern("_NET_WM_NAME")?;
        let utf8_string = intern("UTF8_STRING")?;
        let wm_protocols = intern("WM_PROTOCOLS")?;
        let wm_delete_window = intern("WM_DELETE_WINDOW")?;
        Ok(Self {
            conn,
            root,
            net_wm_name,
            utf8_string,
            wm_protocols,
            wm_delete_window,
        })
    }

    /// All top-level windows (children of the root window), bottom to top, shown or not.
    ///
    /// Windows destroyed while they're being listed are left out.
    pub fn top_level_windows(&self) -> Result<Vec<WindowInfo>> {
        let tree = self
            .conn
            .query_tree(self.root)?
            .reply()
            .context("listing top-level windows")?;
        let mut windows = Vec::new();
        for id in tree.children {
            if let Ok(Some(info)) = self.window_info(id) {
                windows.push(info);
            }
        }
        Ok(windows)
    }

    /// What [`X11::top_level_windows`] reports about `id`, or `None` if there's no such window.
    pub fn window_info(&self, id: u32) -> Result<Option<WindowInfo>> {
        let Ok(attributes) = self.conn.get_window_attributes(id)?.reply() else {
            return Ok(None);
        };
        let Ok(geometry) = self.conn.get_geometry(id)?.reply() else {
            return Ok(None);
        };
        let title = self.window_title(id)?.unwrap_or_default();
        Ok(Some(WindowInfo {
            id,
            title,
            viewable: attributes.map_state == MapState::VIEWABLE,
            x: geometry.x,
            y: geometry.y,
            width: geometry.width,
            height: geometry.height,
        }))
    }

    /// The title of `id`: `_NET_WM_NAME` (UTF-8), else `WM_NAME` (decoded as Latin-1); `None` if
    /// it has neither or doesn't exist.
    pub fn window_title(&self, id: u32) -> Result<Option<String>> {
        let get = |property: Atom, kind: Atom| -> Result<Option<Vec<u8>>> {
            match self
                .conn
                .get_property(false, id, property, kind, 0, 4096)?
                .reply()
            {
                Ok(reply) if reply.format == 8 && reply.type_ != u32::from(AtomEnum::NONE) => {
                    Ok(Some(reply.value))
                }
                // No such property, or no such window (anymore).
                _ => Ok(None),
            }
        };
        if let Some(bytes) = get(self.net_wm_name, self.utf8_string)? {
            return Ok(Some(String::from_utf8_lossy(&bytes).into_owned()));
        }
        if let Some(bytes) = get(AtomEnum::WM_NAME.into(), AtomEnum::ANY.into())? {
            return Ok(Some(bytes.iter().map(|&b| char::from(b)).collect()));
        }
        Ok(None)
    }

    /// The shown (viewable) top-level windows whose title contains `title`.
    pub fn find_windows(&self, title: &str) -> Result<Vec<WindowInfo>> {
        Ok(self
            .top_level_windows()?
            .into_iter()
            .filter(|w| w.viewable && w.title.contains(title))
            .collect())
    }

    /// Waits until a shown top-level window's title contains `title`, and returns its id (the
    /// topmost one, if several match).
    pub fn wait_for_window(&self, title: &str, timeout: Duration) -> Result<u32> {
        let what = format!("a shown top-level window whose title contains {title:?}");
        poll_until(&what, timeout, || {
            Ok(self.find_windows(title)?.last().map(|w| w.id))
        })
        .with_context(|| self.describe_windows())
    }

    /// Whether window `id` exists (shown or not).
    pub fn window_exists(&self, id: u32) -> Result<bool> {
        Ok(self.conn.get_window_attributes(id)?.reply().is_ok())
    }

    /// Whether window `id` is no longer shown: destroyed, or unmapped (hidden).
    pub fn window_gone(&self, id: u32) -> Result<bool> {
        Ok(!matches!(self.window_info(id)?, Some(w) if w.viewable))
    }

    /// Waits until [`X11::window_gone`] holds for `id`.
    pub fn wait_for_window_gone(&self, id: u32, timeout: Duration) -> Result<()> {
        let what = format!("window {id:#x} to be destroyed or hidden");
        poll_until(&what, timeout, || Ok(self.window_gone(id)?.then_some(())))
            .with_context(|| self.describe_windows())
    }

    /// Asks window `id` to close, like a window manager's close button: sends it a
    /// `WM_PROTOCOLS` client message carrying `WM_DELETE_WINDOW`.
    ///
    /// Fails if the window doesn't list `WM_DELETE_WINDOW` in its `WM_PROTOCOLS` (a window
    /// manager would destroy such a window instead, which is not what this is for). Returns once
    /// the X server has delivered the message; what the client does with it is up to the client.
    pub fn close_window(&self, id: u32) -> Result<()> {
        let protocols = self
            .conn
            .get_property(false, id, self.wm_protocols, AtomEnum::ATOM, 0, 64)?
            .reply()
            .with_context(|| format!("reading WM_PROTOCOLS of window {id:#x} (does it exist?)"))?;
        let supported: Vec<Atom> = protocols
            .value32()
            .map(Iterator::collect)
            .unwrap_or_default();
        if !supported.contains(&self.wm_delete_window) {
            bail!("window {id:#x} does not list WM_DELETE_WINDOW in WM_PROTOCOLS");
        }
        let event = ClientMessageEvent::new(
            32,
            id,
            self.wm_protocols,
            [self.wm_delete_window, x11rb::CURRENT_TIME, 0, 0, 0],
        );
        self.conn
            .send_event(false, id, EventMask::NO_EVENT, event)?
            .check()
            .with_context(|| format!("sending WM_DELETE_WINDOW to window {id:#x}"))?;
        Ok(())
    }

    /// The text on the clipboard (the `CLIPBOARD` selection as `UTF8_STRING`), asked of its
    /// owner like a paste does; `None` when nobody owns it or the owner offers no text.
    pub fn clipboard_text(&self, timeout: Duration) -> Result<Option<String>> {
        let atom = |name: &str| -> Result<Atom> {
            Ok(self.conn.intern_atom(false, name.as_bytes())?.reply()?.atom)
        };
        let (clipboard, into) = (atom("CLIPBOARD")?, atom("CCPULSE_TEST_PASTE")?);
        let window = self.conn.generate_id()?;
        self.conn
            .create_window(
                0,
                window,
                self.root,
                0,
                0,
                1,
                1,
                0,
                WindowClass::INPUT_ONLY,
                0,
                &CreateWindowAux::new(),
            )?
            .check()
            .context("creating a window to paste into")?;
        let result = (|| {
            self.conn
                .convert_selection(
                    window,
                    clipboard,
                    self.utf8_string,
                    into,
                    x11rb::CURRENT_TIME,
                )?
                .check()?;
            let notify = poll_until("the clipboard owner's answer", timeout, || {
                match self.conn.poll_for_event()? {
                    Some(Event::SelectionNotify(e)) if e.requestor == window => Ok(Some(e)),
                    _ => Ok(None),
                }
            })?;
            if notify.property == x11rb::NONE {
                return Ok(None);
            }
            let reply = self
                .conn
                .get_property(true, window, into, AtomEnum::ANY, 0, u32::MAX / 4)?
                .reply()?;
            Ok(Some(String::from_utf8_lossy(&reply.value).into_owned()))
        })();
        let _ = self.conn.destroy_window(window).map(|c| c.check());
        result
    }

    /// A list of the top-level windows, for error messages.
    pub fn describe_windows(&self) -> String {
        match self.top_level_windows() {
            Ok(windows) if windows.is_empty() => "there are no top-level windows".into(),
            Ok(windows) => {
                let lines: Vec<String> = windows
                    .iter()
                    .map(|w| {
                        format!(
                            "  {:#x} {:?} {}x{}+{}+{}{}",
                            w.id,
                            w.title,
                            w.width,
                            w.height,
                            w.x,
                            w.y,
                            if w.viewable { "" } else { " (not shown)" }
                        )
                    })
                    .collect();
                format!("top-level windows:\n{}", lines.join("\n"))
            }
            Err(e) => format!("(could not list the windows: {e:#})"),
        }
    }
}

/// Parses an X window id as `xdotool` or `xwininfo` print it: decimal, or hex with `0x`.
pub fn parse_window_id(text: &str) -> Result<u32> {
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|e| anyhow!("{text:?} is not a window id: {e}"))
}
