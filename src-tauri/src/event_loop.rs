//! The tray's one loop. One task owns everything the tray knows ([`TrayState`]: the
//! observations, the notification ledger, the tray's and the panel's handles) and takes one
//! [`Event`] at a time: a source observed something, the user clicked, the panel asked, a
//! timer came due. After each, the core derives the limits and waves, plans what is worth
//! announcing, and words the one view; the tray, the panel and the notifications show it.
//! Nothing else holds or locks this state: the source tasks, the menu, the panel's link and the
//! notification service only send events.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use ccpulse_core::alert::Alert;
use ccpulse_core::clock::Clock;
use ccpulse_core::config::Config;
use ccpulse_core::plan::{self, Due};
use ccpulse_core::view::setup::{test_alert, DesktopFacts};
use ccpulse_core::view::tray::{pause_end, tray_view};
use ccpulse_core::view::View;
use ccpulse_sources::alerting::Alerting;
use ccpulse_sources::config_file;
use ccpulse_sources::doctor::key_overrides_here;
use ccpulse_sources::gather::{Derived, Observations};
use ccpulse_sources::limit_history::Recorder;
use ccpulse_sources::monitor::StatusMonitor;
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::statusline::Feed;

use crate::events::Event;
use crate::inputs::Controls;
use crate::links::open_in_browser;
use crate::notifications::{Action, Notifier};
use crate::panel_link::FromPanel;
use crate::panel_process::{copy_to_clipboard, Panel};
use crate::tray::Tray;

/// The panel's set-up page (`ui/bridge.js` names its tabs).
pub const SET_UP_TAB: &str = "setup";

/// Where the loop's effects go.
pub struct Shell {
    pub app: tauri::AppHandle,
    pub notifier: Notifier,
    pub controls: Controls,
    /// For the panel's link to send on.
    pub events: UnboundedSender<Event>,
}

pub struct TrayState {
    pub config: Config,
    pub zone: Tz,
    pub clock: Clock,
    pub state: StateDir,
    pub observed: Observations,
    pub derived: Derived,
    pub monitor: StatusMonitor,
    pub alerting: Alerting,
    /// The limit history's file (the readings themselves are in `observed.history`).
    pub history: Recorder,
    pub tray: Option<Tray>,
    pub panel: Option<Panel>,
    /// Who shows notifications, asked each time the panel opens; `None` until it answers.
    pub notification_service: Option<Result<String, String>>,
    pub shell: Shell,
}

impl TrayState {
    /// Fold one event in; returns what it already decided to show (a status notice, what a
    /// pause's end released). [`TrayState::settle`] then plans, announces and shows.
    fn take(&mut self, event: Event, now: DateTime<Utc>) -> Vec<Alert> {
        tracing::debug!("event: {}", event.name());
        let mut shown = Vec::new();
        match event {
            Event::StatusObserved(observation) => {
                shown = self
                    .monitor
                    .apply(observation, now, Some(&mut self.alerting));
                self.observed.service = self.monitor.snapshot().clone();
            }
            Event::OauthObserved(cache) => self.observed.oauth = cache,
            Event::UsageChanged(local) => self.observed.local = Some(*local),
            Event::FeedWritten => self.observed.feed = Feed::load(&self.state),
            Event::Timer => {
                // Also what a watcher cannot see: the feed written where it cannot watch, a key
                // set in Claude Code's settings, the schedule kept by another shell.
                self.observed.feed = Feed::load(&self.state);
                self.observed.key_overrides = key_overrides_here(&[]);
                self.shell.controls.look_at_oauth(false, self.claude(now));
            }
            Event::Menu(id) => shown = self.menu(&id, now),
            Event::Panel(FromPanel::Refresh) => self.shell.controls.refresh(self.claude(now)),
            Event::Panel(FromPanel::Copy { text }) => copy_to_clipboard(&self.shell.app, text),
            Event::Panel(FromPanel::Autostart { on }) => self.set_autostart(on),
            Event::Panel(FromPanel::TestNotification) => {
                tracing::info!("sending a test notification");
                self.shell.notifier.send(vec![test_alert(now)]);
            }
            Event::NotificationService(service) => {
                self.notification_service = Some(service);
                self.tell_panel_desktop();
            }
            Event::PanelClosed(pid) => {
                if self.panel.as_ref().is_some_and(|p| p.pid == pid) {
                    self.panel = None;
                }
            }
            Event::OpenPanel | Event::Notification(Action::OpenPanel) => self.open_panel(now, None),
            Event::OpenSetUp => self.open_panel(now, Some(SET_UP_TAB)),
            Event::Notification(Action::Open(url)) => open(&url),
            Event::ConfigChanged => self.reload_config(),
            Event::TrayInstalled(tray) => self.tray = Some(*tray),
        }
        shown
    }

    /// After the events taken: plan, announce and show, once.
    fn settle(&mut self, mut shown: Vec<Alert>, now: DateTime<Utc>) {
        shown.extend(self.plan(now));
        for alert in &shown {
            tracing::info!("notifying: {}", alert.title);
        }
        self.shell.notifier.send(shown);
        self.publish(now);
    }

    /// The config file changed: its settings apply from now on, if they are valid (a file in
    /// the middle of being edited is not); the status page's address and poll interval at the
    /// next start.
    fn reload_config(&mut self) {
        match config_file::load(None) {
            Ok(config) => {
                tracing::info!("settings reloaded from the config file");
                self.alerting.set_policy(config.notifications.clone());
                self.monitor.configure(config.status.clone());
                self.clock = ccpulse_sources::clock::clock(config.clock);
                self.config = config;
            }
            Err(e) => tracing::warn!("{e}; keeping the settings in use"),
        }
    }

    /// The limits and waves the observations make, and what they are worth announcing (with
    /// whatever the policy held back that is due now). The ledger is saved before this returns.
    fn plan(&mut self, now: DateTime<Utc>) -> Vec<Alert> {
        self.record(now);
        self.derived = self.observed.derive(&self.config, now);
        let local = self.observed.history.record_local(&self.derived.limits);
        self.history.append(&mut self.observed.history, &local, now);
        let (config, derived, zone, clock) = (&self.config, &self.derived, self.zone, self.clock);
        self.alerting.submit(now, |ledger| {
            let mut alerts = plan::overload::plan(&derived.overload, &config.overload, ledger, now);
            alerts.extend(plan::forecast::plan(
                &derived.limits,
                config.forecast_margin,
                ledger,
                now,
                zone,
                clock,
            ));
            alerts.extend(plan::limits::plan(
                &derived.limits,
                &config.limit_thresholds,
                ledger,
                now,
                zone,
                clock,
            ));
            alerts
        })
    }

    /// Record the readings of the status line feed and the usage schedule not yet in the
    /// limit history (local evidence is recorded once derived).
    fn record(&mut self, now: DateTime<Utc>) {
        let mut new = Vec::new();
        let sources = self
            .observed
            .feed
            .limits
            .iter()
            .chain(&self.observed.oauth.last_good);
        for o in sources.cloned().collect::<Vec<_>>() {
            new.extend(self.observed.history.record(&o));
        }
        self.history.append(&mut self.observed.history, &new, now);
    }

    fn view(&self, now: DateTime<Utc>) -> View {
        self.observed.view(
            &self.derived,
            self.alerting.paused_until(now),
            &self.config,
            now,
            self.zone,
            self.clock,
        )
    }

    /// Show the state in the tray and, if it is open, the panel.
    fn publish(&mut self, now: DateTime<Utc>) {
        let view = self.view(now);
        if let Some(tray) = &mut self.tray {
            tray.show(&tray_view(&view, self.zone));
        }
        if let Some(panel) = &mut self.panel {
            if !panel.show(&view) {
                self.panel = None;
            }
        }
    }

    fn menu(&mut self, id: &str, now: DateTime<Utc>) -> Vec<Alert> {
        match id {
            "open_panel" => self.open_panel(now, None),
            "set_up" => self.open_panel(now, Some(SET_UP_TAB)),
            "autostart" => {
                let on = crate::desktop::autostart(&self.shell.app).unwrap_or(false);
                self.set_autostart(!on);
            }
            "open_status_page" => open(&self.config.status.base_url),
            "refresh" => self.shell.controls.refresh(self.claude(now)),
            "resume" => {
                tracing::info!("notifications resumed");
                return self.alerting.pause(None, now);
            }
            "quit" => self.shell.app.exit(0),
            id => {
                if let Some(until) = pause_end(id, now, self.zone) {
                    tracing::info!("notifications paused until {until}");
                    return self.alerting.pause(Some(until), now);
                }
            }
        }
        Vec::new()
    }

    /// Open the panel, or bring it to the front if it is open; on `tab` if given.
    fn open_panel(&mut self, now: DateTime<Utc>, tab: Option<&str>) {
        // The service may have started since the tray did: ask again.
        let events = self.shell.events.clone();
        let asked = std::thread::Builder::new()
            .name("ccpulse-notify-service".into())
            .spawn(move || {
                let _ = events.send(Event::NotificationService(crate::notifications::service()));
            });
        if let Err(e) = asked {
            tracing::warn!("cannot ask the notification service: {e}");
        }
        let focused = self.panel.as_mut().is_some_and(Panel::focus);
        if !focused {
            let (requests, closed) = (self.shell.events.clone(), self.shell.events.clone());
            let opened = Panel::open(
                &self.view(now),
                move |request| {
                    let _ = requests.send(Event::Panel(request));
                },
                move |pid| {
                    let _ = closed.send(Event::PanelClosed(pid));
                },
            );
            match opened {
                Ok(panel) => self.panel = Some(panel),
                Err(e) => {
                    self.panel = None;
                    tracing::warn!("cannot open the panel: {e}");
                }
            }
        }
        if let (Some(panel), Some(tab)) = (&mut self.panel, tab) {
            panel.tab(tab);
        }
        self.tell_panel_desktop();
    }

    /// What the tray knows of the desktop, once the notification service has answered.
    fn desktop(&self) -> Option<DesktopFacts> {
        Some(DesktopFacts {
            tray_host: self.tray.is_some(),
            notifications: self.notification_service.clone()?,
            autostart: crate::desktop::autostart(&self.shell.app),
        })
    }

    fn tell_panel_desktop(&mut self) {
        let Some(desktop) = self.desktop() else {
            return;
        };
        if let Some(panel) = &mut self.panel {
            if !panel.desktop(&desktop) {
                self.panel = None;
            }
        }
    }

    /// Start at login, on or off (the menu and the set-up page), then show it as it is.
    fn set_autostart(&mut self, on: bool) {
        let _ = crate::desktop::set_autostart(&self.shell.app, on);
        let now_on = crate::desktop::autostart(&self.shell.app).unwrap_or(false);
        if let Some(tray) = &self.tray {
            tray.show_autostart(now_on);
        }
        self.tell_panel_desktop();
    }

    /// The Claude Code to ask for the plan's usage instead of the endpoint, as `gather::once`
    /// decides it: switched on in the settings in use, found, and the status line quiet.
    fn claude(&self, now: DateTime<Utc>) -> Option<std::path::PathBuf> {
        let fed = self.observed.feed.received_at;
        ccpulse_sources::claude_usage::wanted(&self.config.claude_usage, fed, now)
    }

    /// When something comes due without an event.
    fn next_wake(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        plan::next_wake(
            &Due {
                oauth_attempt: self.observed.oauth.next_attempt,
                limits: &self.derived.limits,
                overload: &self.derived.overload,
                rules: &self.config.overload,
                held: self.alerting.next_due(now),
                paused_until: self.alerting.paused_until(now),
            },
            now,
        )
    }
}

fn open(url: &str) {
    if let Err(e) = open_in_browser(url) {
        tracing::warn!("{e}");
    }
}

/// Run the loop until the app ends. Events that arrived together (a burst of transcript
/// writes, the progress of a first read) are taken together and shown once.
pub async fn run(mut state: TrayState, mut events: UnboundedReceiver<Event>) {
    let now = Utc::now();
    let shown = state.take(Event::Timer, now);
    state.settle(shown, now);
    loop {
        let now = Utc::now();
        let wait = (state.next_wake(now) - now).to_std().unwrap_or_default();
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(event) => event,
                None => return,
            },
            () = tokio::time::sleep(wait) => Event::Timer,
        };
        let now = Utc::now();
        let mut shown = state.take(event, now);
        while let Ok(more) = events.try_recv() {
            shown.extend(state.take(more, now));
        }
        state.settle(shown, now);
    }
}
