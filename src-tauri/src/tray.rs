//! The tray icon and its menu: built on the main thread, then brought in line with each
//! [`TrayView`] the loop computes. A click sends the loop an event; nothing here decides.
//! Without a StatusNotifierItem host (some desktops, CI) the tray cannot be shown; the app
//! keeps running, looks for a host again every 15 s, and the panel opens from a second launch.

use std::time::Duration;

use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Wry};

use ccpulse_core::service::Level;
use ccpulse_core::view::tray::{draw_ring, Ring, TrayView, PAUSES};

const TRAY_ID: &str = "ccpulse";
/// How often to look for a tray host again when there was none at start.
const HOST_RETRY: Duration = Duration::from_secs(15);

/// The live tray, once a host accepted it: handles the loop owns (tauri sends each change to
/// the main thread).
pub struct Tray {
    icon: TrayIcon<Wry>,
    status: MenuItem<Wry>,
    session: MenuItem<Wry>,
    weekly: MenuItem<Wry>,
    usage: MenuItem<Wry>,
    pause: Submenu<Wry>,
    resume: MenuItem<Wry>,
    autostart: CheckMenuItem<Wry>,
    /// What it shows now, to change only what changed.
    shown: Option<TrayView>,
}

/// The level's icon, with the session gauge around it when the session's use is known.
fn icon(level: Level, ring: Option<Ring>) -> Image<'static> {
    let bytes: &'static [u8] = match level {
        Level::Operational => include_bytes!("../../icons/tray-operational.png"),
        Level::Maintenance => include_bytes!("../../icons/tray-maintenance.png"),
        Level::Degraded => include_bytes!("../../icons/tray-degraded.png"),
        Level::Outage => include_bytes!("../../icons/tray-outage.png"),
        Level::Unknown => include_bytes!("../../icons/tray-unknown.png"),
    };
    let base = Image::from_bytes(bytes).expect("the tray icons are valid PNGs");
    let Some(ring) = ring else { return base };
    let (width, height) = (base.width(), base.height());
    let mut rgba = base.rgba().to_vec();
    draw_ring(
        &mut rgba,
        width.min(height),
        f64::from(ring.used_percent),
        ring.warn,
    );
    Image::new_owned(rgba, width, height)
}

/// Where a click on a menu item goes (its id).
pub type OnClick = std::sync::Arc<dyn Fn(String) + Send + Sync>;

/// Build the tray showing `view` (on the main thread); menu clicks go to `on_click`.
fn build(app: &AppHandle, view: &TrayView, on_click: OnClick) -> tauri::Result<Tray> {
    let autostart = CheckMenuItem::with_id(
        app,
        "autostart",
        "Start at login",
        true,
        crate::desktop::autostart(app).unwrap_or(false),
        None::<&str>,
    )?;
    let status = MenuItem::with_id(app, "status", &view.status_line, false, None::<&str>)?;
    let session = MenuItem::with_id(app, "session", &view.session, false, None::<&str>)?;
    let weekly = MenuItem::with_id(app, "weekly", &view.weekly, false, None::<&str>)?;
    let usage = MenuItem::with_id(app, "usage", &view.usage, false, None::<&str>)?;
    let resume = MenuItem::with_id(
        app,
        "resume",
        "Resume notifications",
        view.paused,
        None::<&str>,
    )?;
    let pause = Submenu::with_id(app, "pause", &view.pause, true)?;
    for (id, label) in PAUSES {
        pause.append(&MenuItem::with_id(app, id, label, true, None::<&str>)?)?;
    }
    pause.append(&PredefinedMenuItem::separator(app)?)?;
    pause.append(&resume)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &session,
            &weekly,
            &usage,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "open_panel", "Open panel", true, None::<&str>)?,
            &MenuItem::with_id(
                app,
                "open_status_page",
                "Open status page",
                true,
                None::<&str>,
            )?,
            &MenuItem::with_id(app, "refresh", "Refresh now", true, None::<&str>)?,
            &pause,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "set_up", "Set up…", true, None::<&str>)?,
            &autostart,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "quit", "Quit ccpulse", true, None::<&str>)?,
        ],
    )?;
    let icon = TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(view.level, view.ring))
        .tooltip(&view.tooltip)
        .title("ccpulse")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(move |_, event| on_click(event.id().as_ref().to_string()))
        .build(app)?;
    Ok(Tray {
        icon,
        status,
        session,
        weekly,
        usage,
        pause,
        resume,
        autostart,
        shown: Some(view.clone()),
    })
}

/// Create the tray now (this runs on the main thread, in the app's set-up), or keep trying in
/// the background while no host is there; a tray made later goes to `later`.
pub fn install(
    app: &AppHandle,
    view: TrayView,
    on_click: OnClick,
    later: impl FnOnce(Tray) + Send + 'static,
) -> Option<Tray> {
    match build(app, &view, on_click.clone()) {
        Ok(tray) => return Some(tray),
        Err(e) => tracing::warn!(
            "no system tray ({e}); looking again every {} s. Run `ccpulse-tray` again to open \
             the panel.",
            HOST_RETRY.as_secs()
        ),
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(HOST_RETRY).await;
            let (tx, rx) = tokio::sync::oneshot::channel();
            let (handle, view, clicks) = (app.clone(), view.clone(), on_click.clone());
            let _ = app.run_on_main_thread(move || {
                let _ = tx.send(build(&handle, &view, clicks).ok());
            });
            if let Ok(Some(tray)) = rx.await {
                tracing::info!("a system tray appeared");
                later(tray);
                return;
            }
        }
    });
    None
}

impl Tray {
    /// Tick "Start at login" as it is (a click ticks it before anything is done).
    pub fn show_autostart(&self, on: bool) {
        let _ = self.autostart.set_checked(on);
    }

    /// Bring the tray in line with `view`, changing only what changed.
    pub fn show(&mut self, view: &TrayView) {
        let old = self.shown.take();
        let changed = |f: fn(&TrayView) -> &str| old.as_ref().is_none_or(|o| f(o) != f(view));
        if old
            .as_ref()
            .is_none_or(|o| (o.level, o.ring) != (view.level, view.ring))
        {
            let _ = self.icon.set_icon(Some(icon(view.level, view.ring)));
        }
        if changed(|v| &v.tooltip) {
            let _ = self.icon.set_tooltip(Some(&view.tooltip));
        }
        if changed(|v| &v.status_line) {
            let _ = self.status.set_text(&view.status_line);
        }
        if changed(|v| &v.session) {
            let _ = self.session.set_text(&view.session);
        }
        if changed(|v| &v.weekly) {
            let _ = self.weekly.set_text(&view.weekly);
        }
        if changed(|v| &v.usage) {
            let _ = self.usage.set_text(&view.usage);
        }
        if changed(|v| &v.pause) {
            let _ = self.pause.set_text(&view.pause);
        }
        if old.as_ref().is_none_or(|o| o.paused != view.paused) {
            let _ = self.resume.set_enabled(view.paused);
        }
        self.shown = Some(view.clone());
    }
}
