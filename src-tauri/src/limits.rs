//! The tray's loop for what Claude Code itself shows: plan limits from the status line feed
//! (watched: Claude Code writes it through `ccpulse statusline`), the OAuth usage endpoint on
//! its schedule and the local evidence from the usage watcher; and 529 waves from the local API
//! errors and the status page's incidents. Limit and wave notifications are planned through
//! the one notification ledger and policy (`Shared::alerting`).

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;
use tauri::{Manager, Runtime};

use ccpulse_core::limit_alerts;
use ccpulse_core::overload;
use ccpulse_sources::doctor::key_overrides_here;
use ccpulse_sources::monitor::warn;
use ccpulse_sources::oauth_usage::{self, Login};
use ccpulse_sources::plan_limits;
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::statusline::{Feed, FEED_FILE};
use ccpulse_sources::usage_log::paths::{local_clock, local_zone};

use crate::app::{deliver, publish, Shared};

/// Look again at least this often: reset times pass, figures age.
const AT_LEAST_EVERY: Duration = Duration::from_secs(60);

pub fn start<R: Runtime>(app: tauri::AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let shared = app.state::<Shared>();
        let dir = StateDir::default_location();
        let wake = shared.limits_wake.clone();
        let woken = wake.clone();
        // Dropping the watcher stops it: it lives as long as the loop.
        let _watcher = dir
            .watch(FEED_FILE, move || woken.notify_one())
            .map_err(|e| {
                warn(format!(
                    "cannot watch the status line feed ({e}); reading it every {} s",
                    AT_LEAST_EVERY.as_secs()
                ))
            })
            .ok();
        let (client, api_url, login) = (
            oauth_usage::client(),
            oauth_usage::api_url(),
            Login::from_env(),
        );
        let (zone, clock) = (local_zone(), local_clock());
        loop {
            let now = Utc::now();
            let on_demand = shared.limits_on_demand.swap(false, Ordering::Relaxed);
            let oauth = oauth_usage::refresh(
                &dir,
                &client,
                &api_url,
                login.as_ref(),
                oauth_usage::EVERY,
                on_demand,
                now,
            )
            .await;
            let local = shared
                .local
                .lock()
                .expect("local lock")
                .clone()
                .unwrap_or_default();
            let limits = plan_limits::merged(&Feed::load(&dir), &oauth, local.evidence(), now);
            let status = shared
                .snapshot
                .lock()
                .expect("snapshot lock")
                .status
                .clone();
            let overload = overload::assess(
                &local.overload_events(),
                status.as_ref(),
                &shared.config.overload,
                now,
            );
            let alerts = shared.alerting.submit(now, |ledger| {
                let mut alerts = overload::plan(&overload, &shared.config.overload, ledger, now);
                alerts.extend(limit_alerts::plan(
                    &limits,
                    &shared.config.limit_thresholds,
                    ledger,
                    now,
                    zone,
                    clock,
                ));
                alerts
            });
            // Wake for the next attempt the schedule allows, or the next reset.
            let next = oauth
                .next_attempt
                .into_iter()
                .chain(limits.session.iter().filter_map(|w| w.resets_at))
                .chain(limits.weekly.iter().filter_map(|w| w.resets_at))
                .chain(limits.models.iter().filter_map(|m| m.window.resets_at))
                // A wave ends a quiet spell after its last error.
                .chain(
                    overload
                        .wave
                        .iter()
                        .filter(|w| w.ended_at.is_none())
                        .map(|w| {
                            w.last_error_at
                                + shared.config.overload.quiet
                                + chrono::Duration::seconds(1)
                        }),
                )
                .filter_map(|at| (at - now).to_std().ok())
                .min()
                .unwrap_or(AT_LEAST_EVERY)
                .clamp(Duration::from_secs(1), AT_LEAST_EVERY);
            *shared.limits.lock().expect("limits lock") = limits;
            *shared.login_problem.lock().expect("login lock") = oauth.login_problem.clone();
            *shared.key_overrides.lock().expect("keys lock") = key_overrides_here(&[]);
            *shared.overload.lock().expect("overload lock") = overload;
            publish(&app);
            deliver(&app, alerts);
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(next) => {}
            }
        }
    });
}
