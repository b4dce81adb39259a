//! The tray process: state, the status loop, the tray, single instance, and the life cycle.
//! It never creates a webview; the panel is a child process (`panel_process`).

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tauri::{Manager, RunEvent, Runtime};
use tokio::sync::Notify;

use ccpulse_core::advice::{advise, Advice, Inputs};
use ccpulse_core::alerts::Alert;
use ccpulse_core::config::Config;
use ccpulse_core::limits::Limits;
use ccpulse_core::overload::Overload;
use ccpulse_core::report::{service_report, ServiceReport};
use ccpulse_core::service::ServiceSnapshot;
use ccpulse_core::tray_view::{
    activity, limits_view, overload_line, sparkline, tooltip, tray_view, usage_line, Activity,
    LimitsView,
};
use ccpulse_sources::alerting::Alerting;
use ccpulse_sources::config_file;
use ccpulse_sources::monitor::{self, Mode, StatusMonitor};
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::usage_log::paths::{local_clock, local_zone, roots_from_env};
use ccpulse_sources::usage_log::watch::{self, Local, WatchOptions};

use crate::limits;
use crate::notifications::{Action, Notifier};
use crate::panel_process::{self, PanelSlot};
use crate::tray;

/// What the shell knows right now. Written by the status loop, read by menus and commands.
pub struct Shared {
    pub config: Config,
    pub snapshot: Mutex<ServiceSnapshot>,
    /// The one notification ledger and policy, shared by the status and limits loops.
    pub alerting: Arc<Alerting>,
    /// Wakes the loop that releases held notifications (something was held or paused).
    pub alerts_wake: Arc<Notify>,
    pub refresh: Arc<Notify>,
    /// What the local transcripts say (`None` until the first read is under way).
    pub local: Mutex<Option<Local>>,
    /// The plan limits, as the limits loop last merged them.
    pub limits: Mutex<Limits>,
    /// 529 waves, as the limits loop last read them.
    pub overload: Mutex<Overload>,
    /// Wakes the limits loop: the local evidence changed, or the user asked for a refresh.
    pub limits_wake: Arc<Notify>,
    /// The next limits round may ask the OAuth endpoint now (its schedule permitting).
    pub limits_on_demand: AtomicBool,
    /// The login problem the usage endpoint last ran into (a knowledge base id).
    pub login_problem: Mutex<Option<String>>,
    /// Where an API key overriding the subscription is set (read by the limits loop).
    pub key_overrides: Mutex<Vec<String>>,
}

/// Everything the panel renders.
#[derive(Debug, Clone, Serialize)]
pub struct PanelState {
    pub paused_until: Option<String>,
    pub service: ServiceReport,
    pub limits: LimitsView,
    pub overload: Overload,
    /// The overload line (`None` when calm) and the errors per minute of the last hour.
    pub overload_line: Option<String>,
    pub overload_chart: String,
    /// Today's use, the burn rate and the API error rate.
    pub activity: Activity,
    /// What to do now, the most pressing first.
    pub advice: Vec<Advice>,
}

impl Shared {
    pub fn paused(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.alerting.paused_until(now)
    }

    pub fn panel_state(&self, now: DateTime<Utc>) -> PanelState {
        let snapshot = self.snapshot.lock().expect("snapshot lock").clone();
        let overload = self.overload.lock().expect("overload lock").clone();
        let service = service_report(&snapshot, &self.config.status.relevance, now);
        let limits = self.limits_view(now);
        let advice = advise(&Inputs {
            service: &service,
            overload: &overload,
            limits: &limits,
            near_percent: self.config.near_limit_percent(),
            login_problem: self.login_problem.lock().expect("login lock").as_deref(),
            key_overrides: &self.key_overrides.lock().expect("keys lock"),
        });
        let activity = {
            let local = self.local.lock().expect("local lock");
            let local = local.as_ref();
            activity(
                local.map(|l| &l.usage),
                local.map_or(&[][..], |l| &l.spend),
                local.map_or(&[][..], |l| &l.api_errors),
                now,
            )
        };
        PanelState {
            paused_until: self.paused(now).map(|t| t.to_rfc3339()),
            service,
            limits,
            overload_line: overload_line(&overload),
            overload_chart: sparkline(&overload.per_minute),
            overload,
            activity,
            advice,
        }
    }

    pub fn limits_view(&self, now: DateTime<Utc>) -> LimitsView {
        let limits = self.limits.lock().expect("limits lock");
        limits_view(&limits, now, local_zone(), local_clock())
    }

    fn usage_line(&self) -> String {
        usage_line(
            self.local
                .lock()
                .expect("local lock")
                .as_ref()
                .map(|l| &l.usage),
        )
    }
}

/// Show the current state everywhere it is shown.
pub fn publish<R: Runtime>(app: &tauri::AppHandle<R>) {
    let shared = app.state::<Shared>();
    let now = Utc::now();
    let view = {
        let snapshot = shared.snapshot.lock().expect("snapshot lock");
        tray_view(&snapshot, &shared.config.status.relevance, now)
    };
    let limits = shared.limits_view(now);
    let tip = tooltip(
        &view,
        &shared.overload.lock().expect("overload lock"),
        &limits,
    );
    tray::show(
        app,
        &view,
        &tip,
        &limits,
        &shared.usage_line(),
        shared.paused(now),
    );
    panel_process::send_state(app, || shared.panel_state(now));
}

/// Show what the policy let through (`Alerting` decided, and saved the ledger first), and let
/// the release loop look again at what it holds back.
pub fn deliver(app: &tauri::AppHandle<impl Runtime>, alerts: Vec<Alert>) {
    let shared = app.state::<Shared>();
    shared.alerts_wake.notify_one();
    app.state::<Notifier>().send(alerts);
}

/// Release held notifications when they come due (a group's end, a pause's or quiet hours'
/// end), and show the end of a pause in the menu.
fn start_release_loop<R: Runtime>(app: tauri::AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let shared = app.state::<Shared>();
        let mut was_paused = None;
        loop {
            let now = Utc::now();
            app.state::<Notifier>().send(shared.alerting.release(now));
            let paused = shared.paused(now);
            if paused != was_paused {
                was_paused = paused;
                publish(&app);
            }
            let wait = shared
                .alerting
                .next_due(now)
                .into_iter()
                .chain(paused)
                .map(|at| (at - now).to_std().unwrap_or_default())
                .min()
                .unwrap_or(RELEASE_AT_LEAST_EVERY)
                .clamp(std::time::Duration::from_millis(50), RELEASE_AT_LEAST_EVERY);
            tokio::select! {
                () = shared.alerts_wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    });
}

/// Quiet hours begin and end on the wall clock: look at least this often.
const RELEASE_AT_LEAST_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Take the monitor's snapshot as the shell's state, and show it.
fn show<R: Runtime>(app: &tauri::AppHandle<R>, monitor: &StatusMonitor) {
    let shared = app.state::<Shared>();
    *shared.snapshot.lock().expect("snapshot lock") = monitor.snapshot().clone();
    // An incident may confirm a wave.
    shared.limits_wake.notify_one();
    publish(app);
}

/// Keep the local evidence current: the watcher refreshes moments after a transcript changes.
fn start_usage_watch<R: Runtime>(app: tauri::AppHandle<R>) {
    let options = WatchOptions {
        roots: roots_from_env(),
        state: StateDir::default_location(),
        zone: local_zone(),
    };
    watch::spawn(options, move |local| {
        let shared = app.state::<Shared>();
        *shared.local.lock().expect("local lock") = Some(local);
        shared.limits_wake.notify_one();
        publish(&app);
        true
    });
}

fn start_status_loop<R: Runtime>(app: tauri::AppHandle<R>) {
    let shared = app.state::<Shared>();
    let config = shared.config.status.clone();
    let refresh = shared.refresh.clone();
    let mode = Mode::Notifying(shared.alerting.clone());
    tauri::async_runtime::spawn(async move {
        let mut monitor = StatusMonitor::open(config, StateDir::default_location(), mode);
        show(&app, &monitor);
        monitor::run(&mut monitor, refresh, |m, alerts| {
            show(&app, m);
            deliver(&app, alerts);
        })
        .await;
    });
}

/// Everything but the platform plugins, generic over the runtime so tests can build it on the
/// mock runtime.
pub fn build_app<R: Runtime>(builder: tauri::Builder<R>, config: Config) -> tauri::Builder<R> {
    let alerting = Alerting::open(
        StateDir::default_location(),
        config.notifications.clone(),
        local_zone(),
    );
    builder
        .manage(Shared {
            config,
            snapshot: Mutex::new(ServiceSnapshot::default()),
            alerting: Arc::new(alerting),
            alerts_wake: Arc::new(Notify::new()),
            refresh: Arc::new(Notify::new()),
            local: Mutex::new(None),
            limits: Mutex::new(Limits::default()),
            overload: Mutex::new(Overload::default()),
            limits_wake: Arc::new(Notify::new()),
            limits_on_demand: AtomicBool::new(false),
            login_problem: Mutex::new(None),
            key_overrides: Mutex::new(Vec::new()),
        })
        .manage(PanelSlot::default())
}

/// GDK initializes OpenGL on X11 at start-up, which maps Mesa and LLVM (~45 MiB resident) into
/// a process that draws nothing with it: the tray is an icon and the panel's page is painted by
/// WebKit's own processes. Skipped unless the user chose otherwise.
fn skip_gdk_gl() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("GDK_GL").is_none() {
        // Single-threaded here: nothing else has started yet.
        std::env::set_var("GDK_GL", "disable");
    }
}

pub fn run() {
    skip_gdk_gl();
    let open_panel = std::env::args().any(|a| a == "--open-panel");
    let config = match config_file::load(None) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ccpulse: {e}");
            std::process::exit(2);
        }
    };
    let builder = tauri::Builder::default().plugin(tauri_plugin_single_instance::init(
        // A second launch opens the panel of the running one (the tray may be invisible).
        |app, _args, _cwd| panel_process::open(app),
    ));
    let app = build_app(builder, config)
        .setup(move |app| {
            tray::install(app.handle());
            let handle = app.handle().clone();
            app.manage(Notifier::spawn(move |action| match action {
                Action::OpenPanel => panel_process::open(&handle),
                Action::Open(url) => {
                    if let Err(e) = tray::open_in_browser(&url) {
                        monitor::warn(e);
                    }
                }
            }));
            start_release_loop(app.handle().clone());
            start_status_loop(app.handle().clone());
            start_usage_watch(app.handle().clone());
            limits::start(app.handle().clone());
            if open_panel {
                panel_process::open(app.handle());
            }
            Ok(())
        })
        .build(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("ccpulse: cannot start the tray app: {e}");
            std::process::exit(1);
        });
    app.run(|_app, event| {
        // A tray app has no window to close; only Quit (an explicit exit code) ends it.
        if let RunEvent::ExitRequested {
            code: None, api, ..
        } = event
        {
            api.prevent_exit();
        }
    });
}
