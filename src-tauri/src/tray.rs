//! The tray icon and its menu. Without a StatusNotifierItem host (some desktops, CI) the tray
//! cannot be shown; the app keeps running and the panel opens from a second launch instead.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Days, Local, NaiveTime, TimeZone, Utc};
use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};

use ccpulse_core::tray_view::{draw_ring, usage_line, Level, LimitsView, TrayView};

use crate::app::{deliver, publish, Shared};
use crate::panel_process;

const TRAY_ID: &str = "ccpulse";
/// How often to look for a tray host again when there was none at start.
const HOST_RETRY: Duration = Duration::from_secs(15);

/// The live tray, once a host accepted it.
struct Tray<R: Runtime> {
    icon: TrayIcon<R>,
    status: MenuItem<R>,
    session: MenuItem<R>,
    weekly: MenuItem<R>,
    usage: MenuItem<R>,
    pause: Submenu<R>,
    resume: MenuItem<R>,
    /// What the icon shows now (level, session percent), to redraw only on a change.
    drawn: Option<(Level, Option<u8>)>,
}

struct TraySlot<R: Runtime>(Mutex<Option<Tray<R>>>);

/// The level's icon, with the session gauge around it when the session's use is known.
fn icon(level: Level, session: Option<u8>) -> Image<'static> {
    let bytes: &'static [u8] = match level {
        Level::Operational => include_bytes!("../../icons/tray-operational.png"),
        Level::Maintenance => include_bytes!("../../icons/tray-maintenance.png"),
        Level::Degraded => include_bytes!("../../icons/tray-degraded.png"),
        Level::Outage => include_bytes!("../../icons/tray-outage.png"),
        Level::Unknown => include_bytes!("../../icons/tray-unknown.png"),
    };
    let base = Image::from_bytes(bytes).expect("the tray icons are valid PNGs");
    let Some(used) = session else { return base };
    let (width, height) = (base.width(), base.height());
    let mut rgba = base.rgba().to_vec();
    draw_ring(&mut rgba, width.min(height), f64::from(used));
    Image::new_owned(rgba, width, height)
}

const LIMITS_UNKNOWN: (&str, &str) = (
    "Plan limits: not known yet",
    "`ccpulse statusline install` lets Claude Code report them",
);

fn pause_label(paused_until: Option<DateTime<Utc>>) -> String {
    match paused_until {
        Some(until) => format!(
            "Notifications paused until {}",
            until.with_timezone(&Local).format("%H:%M")
        ),
        None => "Pause notifications".to_string(),
    }
}

/// The pause menu's choices: (id, label, minutes); "tomorrow" is until 08:00 local.
const PAUSES: [(&str, &str, i64); 4] = [
    ("pause:30", "For 30 minutes", 30),
    ("pause:60", "For 1 hour", 60),
    ("pause:240", "For 4 hours", 240),
    ("pause:tomorrow", "Until 08:00 tomorrow", 0),
];

/// When a pause chosen at `now` ends.
fn pause_end(id: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let (_, _, minutes) = PAUSES.iter().find(|(i, _, _)| *i == id)?;
    if *minutes > 0 {
        return Some(now + chrono::Duration::minutes(*minutes));
    }
    let eight = NaiveTime::from_hms_opt(8, 0, 0)?;
    let tomorrow = now
        .with_timezone(&Local)
        .date_naive()
        .checked_add_days(Days::new(1))?;
    Local
        .from_local_datetime(&tomorrow.and_time(eight))
        .earliest()
        .map(|t| t.to_utc())
}

fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Tray<R>> {
    let status = MenuItem::with_id(app, "status", "Checking status…", false, None::<&str>)?;
    let session = MenuItem::with_id(app, "session", LIMITS_UNKNOWN.0, false, None::<&str>)?;
    let weekly = MenuItem::with_id(app, "weekly", LIMITS_UNKNOWN.1, false, None::<&str>)?;
    let usage = MenuItem::with_id(app, "usage", usage_line(None), false, None::<&str>)?;
    let resume = MenuItem::with_id(app, "resume", "Resume notifications", false, None::<&str>)?;
    let pause = Submenu::with_id(app, "pause", pause_label(None), true)?;
    for (id, label, _) in PAUSES {
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
            &MenuItem::with_id(app, "quit", "Quit ccpulse", true, None::<&str>)?,
        ],
    )?;
    let icon = TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(Level::Unknown, None))
        .tooltip("ccpulse: checking status…")
        .title("ccpulse")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu)
        .build(app)?;
    Ok(Tray {
        icon,
        status,
        session,
        weekly,
        usage,
        pause,
        resume,
        drawn: None,
    })
}

/// Create the tray, or keep trying in the background while no host is there.
pub fn install<R: Runtime>(app: &AppHandle<R>) {
    app.manage(TraySlot::<R>(Mutex::new(None)));
    if let Err(e) = try_install(app) {
        eprintln!(
            "ccpulse: no system tray ({e}); looking again every {} s. Run `ccpulse-tray` again \
             to open the panel.",
            HOST_RETRY.as_secs()
        );
    } else {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(HOST_RETRY).await;
            let (tx, rx) = tokio::sync::oneshot::channel();
            let handle = app.clone();
            let _ = app.run_on_main_thread(move || {
                let _ = tx.send(try_install(&handle).is_ok());
            });
            if rx.await.unwrap_or(false) {
                publish(&app);
                return;
            }
        }
    });
}

fn try_install<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let tray = build(app)?;
    *app.state::<TraySlot<R>>().0.lock().expect("tray lock") = Some(tray);
    Ok(())
}

/// Bring the tray in line with `view`.
pub fn show<R: Runtime>(
    app: &AppHandle<R>,
    view: &TrayView,
    tooltip: &str,
    limits: &LimitsView,
    usage: &str,
    paused: Option<DateTime<Utc>>,
) {
    let slot = app.state::<TraySlot<R>>();
    let mut guard = slot.0.lock().expect("tray lock");
    let Some(tray) = guard.as_mut() else { return };
    let row = |id: &str| limits.rows.iter().find(|r| r.id == id);
    let session = row("session").map(|r| r.used_percent.clamp(0.0, 100.0).round() as u8);
    if tray.drawn != Some((view.level, session)) {
        let _ = tray.icon.set_icon(Some(icon(view.level, session)));
        tray.drawn = Some((view.level, session));
    }
    let _ = tray.icon.set_tooltip(Some(tooltip));
    let _ = tray.status.set_text(&view.status_line);
    let (session_text, weekly_text) = match (row("session"), row("weekly")) {
        (None, None) => (LIMITS_UNKNOWN.0.to_string(), LIMITS_UNKNOWN.1.to_string()),
        (s, w) => (
            s.map_or("Session (5h): not known".into(), |r| r.line()),
            w.map_or("Weekly: not known".into(), |r| r.line()),
        ),
    };
    let _ = tray.session.set_text(session_text);
    let _ = tray.weekly.set_text(weekly_text);
    let _ = tray.usage.set_text(usage);
    let _ = tray.pause.set_text(pause_label(paused));
    let _ = tray.resume.set_enabled(paused.is_some());
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let shared = app.state::<Shared>();
    match event.id().as_ref() {
        "open_panel" => panel_process::open(app),
        "open_status_page" => {
            if let Err(e) = open_in_browser(&shared.config.status.base_url) {
                eprintln!("ccpulse: {e}");
            }
        }
        "refresh" => {
            shared.refresh.notify_one();
            shared
                .limits_on_demand
                .store(true, std::sync::atomic::Ordering::Relaxed);
            shared.limits_wake.notify_one();
        }
        // The release loop, woken by `deliver`, shows the new pause state: this runs on the
        // main thread, and publishing from here could wait on a publish from another thread
        // that waits on the main thread.
        "resume" => deliver(app, shared.alerting.pause(None, Utc::now())),
        id if id.starts_with("pause:") => {
            let now = Utc::now();
            if let Some(until) = pause_end(id, now) {
                deliver(app, shared.alerting.pause(Some(until), now));
            }
        }
        "quit" => app.exit(0),
        _ => {}
    }
}

/// Open an http(s) link in the user's browser; anything else is refused.
pub fn open_in_browser(url: &str) -> Result<(), String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!("refusing to open {url:?}: not an http(s) link"));
    }
    open::that_detached(url).map_err(|e| format!("cannot open {url}: {e}"))
}
