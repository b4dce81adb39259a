//! The tray icon and its menu: built on the main thread, then brought in line with each
//! [`TrayView`] the loop computes. A click sends the loop an event; nothing here decides.
//! The same Tauri tray on every system, over tray-icon's native backend: a StatusNotifierItem
//! (the ksni backend, see Cargo.toml) on Linux, a notification-area icon on Windows, a menu-bar
//! item on macOS (its calm icons as template images, see `calm`).
//! Without a StatusNotifierItem host (some Linux desktops, CI) the tray cannot be shown; the app
//! keeps running, looks for a host again every 15 s, and the panel opens from a second launch.
//! Windows' notification area and macOS's menu bar are always there: the retry is for Linux,
//! and costs nothing elsewhere.

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

/// The level's icon, with the session gauge around it when the session's use is known, and
/// whether it is a template image (macOS: see [`template`]; elsewhere always in colour).
fn icon(level: Level, ring: Option<Ring>) -> (Image<'static>, bool) {
    #[cfg(target_os = "macos")]
    if calm(level, ring) {
        return (template(ring), true);
    }
    let bytes: &'static [u8] = match level {
        Level::Operational => include_bytes!("../../icons/tray-operational.png"),
        Level::Maintenance => include_bytes!("../../icons/tray-maintenance.png"),
        Level::Degraded => include_bytes!("../../icons/tray-degraded.png"),
        Level::Outage => include_bytes!("../../icons/tray-outage.png"),
        Level::Unknown => include_bytes!("../../icons/tray-unknown.png"),
    };
    let base = Image::from_bytes(bytes).expect("the tray icons are valid PNGs");
    let Some(ring) = ring else {
        return (base, false);
    };
    let (width, height) = (base.width(), base.height());
    let mut rgba = base.rgba().to_vec();
    draw_ring(
        &mut rgba,
        width.min(height),
        f64::from(ring.used_percent),
        ring.warn,
    );
    (Image::new_owned(rgba, width, height), false)
}

/// Nothing to look at: the service is up (or not known yet) and the session is not near its
/// limit. macOS's menu bar shows such an icon as a template, in the bar's own colour, like the
/// system's icons; trouble (maintenance, degraded, an outage, a session near its limit) keeps
/// its colour there, as everywhere, so that it stands out.
#[cfg(any(target_os = "macos", test))]
fn calm(level: Level, ring: Option<Ring>) -> bool {
    matches!(level, Level::Operational | Level::Unknown) && ring.is_none_or(|r| !r.warn)
}

/// The monochrome icon for macOS's menu bar: only its alpha counts (the system paints it black
/// or white to suit the bar). The session gauge is drawn in alpha too: its filled part opaque
/// over a faint track, where the coloured icons have white over a darkened one.
#[cfg(any(target_os = "macos", test))]
fn template(ring: Option<Ring>) -> Image<'static> {
    let base = Image::from_bytes(include_bytes!("../icons/tray-template.png"))
        .expect("the tray icons are valid PNGs");
    let Some(ring) = ring else { return base };
    let (width, height) = (base.width(), base.height());
    let size = width.min(height);
    // The gauge alone, on a clear square: the filled part comes out white, the track black.
    let mut gauge = vec![0u8; (size * size * 4) as usize];
    draw_ring(&mut gauge, size, f64::from(ring.used_percent), false);
    let mut rgba = base.rgba().to_vec();
    for y in 0..size {
        for x in 0..size {
            let g = &gauge[((y * size + x) * 4) as usize..][..4];
            if g[3] == 0 {
                continue;
            }
            let px = &mut rgba[((y * width + x) * 4) as usize..][..4];
            px.copy_from_slice(&[0, 0, 0, if g[0] > 0 { 0xFF } else { 0x50 }]);
        }
    }
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
    let (image, template) = icon(view.level, view.ring);
    let builder = TrayIconBuilder::with_id(TRAY_ID)
        .icon(image)
        .icon_as_template(template)
        .tooltip(&view.tooltip);
    // The StatusNotifierItem's title names the item to the tray host (Windows has none). On
    // macOS a title is text shown beside the icon in the menu bar: the icon says enough.
    #[cfg(not(target_os = "macos"))]
    let builder = builder.title("ccpulse");
    let icon = builder
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
            // Icon and template flag together (on macOS one after the other would flicker).
            let (image, template) = icon(view.level, view.ring);
            let _ = self.icon.set_icon_with_as_template(Some(image), template);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn alpha(image: &Image<'_>, x: u32, y: u32) -> u8 {
        image.rgba()[((y * image.width() + x) * 4 + 3) as usize]
    }

    #[test]
    fn only_calm_states_are_templates() {
        let (calm_ring, warn_ring) = (
            Ring {
                used_percent: 40,
                warn: false,
            },
            Ring {
                used_percent: 90,
                warn: true,
            },
        );
        assert!(calm(Level::Operational, None));
        assert!(calm(Level::Unknown, Some(calm_ring)));
        assert!(!calm(Level::Operational, Some(warn_ring)));
        for level in [Level::Maintenance, Level::Degraded, Level::Outage] {
            assert!(!calm(level, None));
        }
    }

    #[test]
    fn the_template_is_black_and_its_gauge_reads_in_alpha() {
        let plain = template(None);
        assert!(plain.rgba().chunks(4).all(|px| px[..3] == [0, 0, 0]));
        let half = template(Some(Ring {
            used_percent: 50,
            warn: false,
        }));
        assert!(half.rgba().chunks(4).all(|px| px[..3] == [0, 0, 0]));
        let size = half.width();
        // On the ring, at 3 o'clock (filled) and at 9 o'clock (the track).
        let (ring_x, middle) = (size - 2, size / 2);
        assert_eq!(alpha(&half, ring_x, middle), 0xFF);
        assert_eq!(alpha(&half, size - 1 - ring_x, middle), 0x50);
        // Outside the disc and its ring, clear.
        assert_eq!(alpha(&half, 0, 0), 0);
    }
}
