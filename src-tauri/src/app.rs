//! The tray process: wiring. It starts the source tasks and the one loop that owns the tray's
//! state (`event_loop`), installs the tray and the notification thread, keeps a single
//! instance, and logs to the state dir. It never creates a webview; the panel is a child
//! process (`panel_process`).

use chrono::Utc;
use tauri::RunEvent;

use ccpulse_core::view::{self, tray::tray_view};
use ccpulse_sources::alerting::Alerting;
use ccpulse_sources::clock::{clock as clock_of, local_zone};
use ccpulse_sources::gather::{Derived, Observations};
use ccpulse_sources::monitor::StatusMonitor;
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::{config_file, env, log, setup};

use crate::event_loop::{self, Shell, TrayState};
use crate::events::Event;
use crate::inputs;
use crate::notifications::Notifier;
use crate::tray;

/// GDK initializes OpenGL on X11 at start-up, which maps Mesa and LLVM (~45 MiB resident) into
/// a process that draws nothing with it: the tray is an icon and the panel's page is painted by
/// WebKit's own processes. Skipped unless the user chose otherwise. Linux only: GDK is the Linux
/// backend; on Windows and macOS the tray process loads no GL and needs nothing of the kind.
fn skip_gdk_gl() {
    #[cfg(target_os = "linux")]
    if !env::is_set(env::GDK_GL) {
        // Single-threaded here: nothing else has started yet.
        std::env::set_var(env::GDK_GL, "disable");
    }
}

/// The very first start: start at login goes on (unless `CCPULSE_AUTOSTART_DEFAULT=0`), and
/// the panel opens on its set-up page, once: the record is written first.
fn first_run(app: &tauri::AppHandle, state: &StateDir, now: chrono::DateTime<Utc>) -> bool {
    if !setup::is_first_run(state) {
        return false;
    }
    tracing::info!("first run: opening the set-up page");
    if let Err(e) = setup::first_run_over(state, now) {
        tracing::warn!("cannot record the first run ({e}): the set-up page will open again");
    }
    if env::var(env::AUTOSTART_DEFAULT).as_deref() != Some("0") {
        let _ = crate::desktop::set_autostart(app, true);
    }
    true
}

pub fn run() {
    skip_gdk_gl();
    let state = StateDir::default_location();
    match log::to_file(&state) {
        Ok(path) => tracing::info!(
            "ccpulse-tray {} logging to {}",
            env!("CARGO_PKG_VERSION"),
            path.display()
        ),
        Err(e) => tracing::warn!("{e}"),
    }
    let open_panel = std::env::args().any(|a| a == "--open-panel");
    let config = match config_file::load(None) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("{e}");
            std::process::exit(2);
        }
    };
    let (events, inbox) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let second_launch = events.clone();
    #[cfg(target_os = "macos")]
    let reopened = events.clone();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(move |_, _, _| {
            // A second launch opens the panel of the running one (the tray may be invisible).
            let _ = second_launch.send(Event::OpenPanel);
        }))
        .plugin(crate::desktop::autostart_plugin())
        .setup(move |app| {
            // A menu-bar app on macOS: no Dock icon and no menu bar of its own (the panel, its
            // own process, stays a regular app while it is open). Windows and Linux show no
            // taskbar entry for a process without windows: nothing to do there.
            #[cfg(target_os = "macos")]
            app.set_activation_policy(tauri::ActivationPolicy::Accessory);
            let handle = app.handle().clone();
            let (zone, clock) = (local_zone(), clock_of(config.clock));
            let now = Utc::now();
            let first_run = first_run(&handle, &state, now);
            let (clicks, installed) = (events.clone(), events.clone());
            let tray = tray::install(
                &handle,
                tray_view(&view::starting(&config, now, zone, clock), zone),
                std::sync::Arc::new(move |id| {
                    let _ = clicks.send(Event::Menu(id));
                }),
                move |tray| {
                    let _ = installed.send(Event::TrayInstalled(Box::new(tray)));
                },
            );
            let clicks = events.clone();
            let notifier = Notifier::spawn(app.config(), move |action| {
                let _ = clicks.send(Event::Notification(action));
            });
            let monitor = StatusMonitor::open(config.status.clone(), state.clone(), true);
            let (controls, running) = inputs::start(
                config.status.clone(),
                monitor.snapshot().status.clone(),
                state.clone(),
                zone,
                events.clone(),
            );
            let alerting = Alerting::open(state.clone(), config.notifications.clone(), zone);
            let (history, readings) =
                ccpulse_sources::limit_history::Recorder::open(state.clone(), chrono::Utc::now());
            let observed = Observations {
                service: monitor.snapshot().clone(),
                history: readings,
                ..Observations::default()
            };
            let tray_state = TrayState {
                config: config.clone(),
                zone,
                clock,
                state: state.clone(),
                observed,
                derived: Derived::default(),
                monitor,
                alerting,
                history,
                tray,
                panel: None,
                notification_service: None,
                shell: Shell {
                    app: handle,
                    notifier,
                    controls,
                    events: events.clone(),
                },
            };
            tauri::async_runtime::spawn(async move {
                // The watchers live as long as the loop.
                let _running = running;
                event_loop::run(tray_state, inbox).await;
            });
            if first_run {
                let _ = events.send(Event::OpenSetUp);
            } else if open_panel {
                let _ = events.send(Event::OpenPanel);
            }
            Ok(())
        })
        .build(tauri::generate_context!())
        .unwrap_or_else(|e| {
            tracing::error!("cannot start the tray app: {e}");
            std::process::exit(1);
        });
    // On macOS, opening ccpulse.app again while it runs starts no second process (so the
    // single instance never hears of it): Launch Services asks the running one to reopen, and
    // that opens the panel, as a second launch does elsewhere.
    app.run(move |_app, event| {
        #[cfg(target_os = "macos")]
        if let RunEvent::Reopen { .. } = event {
            let _ = reopened.send(Event::OpenPanel);
            return;
        }
        // A tray app has no window to close; only Quit (an explicit exit code) ends it.
        if let RunEvent::ExitRequested {
            code: None, api, ..
        } = event
        {
            api.prevent_exit();
        }
    });
}
