//! The panel's Settings tab in the real WebKit webview, driven over WebDriver: a value changed
//! there lands in the config file with every comment kept and the running tray acts on it; a bad
//! value is refused at its field with the config's reason and the file stays byte for byte; the
//! watched components are picked from the live status page's list.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use anyhow::{ensure, Result};
use ccpulse_tests::panel::TIMEOUT as T;
use ccpulse_tests::statuspage::TimelineServer;
use ccpulse_tests::wait::poll_until_async;
use ccpulse_tests::{statusline, Desktop, Panel};
use serde_json::Value;

/// A hand-written config file: comments above, beside and below the keys.
const FILE: &str = "# ccpulse, my settings\n\
[status]\n\
poll_secs = 3600 # once an hour is plenty\n\
\n\
# --- notifications ---\n\
[notifications]\n\
group_secs = 2   # announce quickly\n\
limit_thresholds = [90] # only late\n\
# the end\n";

fn plant_config(desktop: &Desktop) -> Result<std::path::PathBuf> {
    let path = desktop.config_home().join("ccpulse/config.toml");
    std::fs::create_dir_all(path.parent().expect("a file in a folder"))?;
    std::fs::write(&path, FILE)?;
    Ok(path)
}

/// The input of the settings row for `key`.
fn input(key: &str) -> String {
    format!("[data-testid=setting][data-key=\"{key}\"] [data-testid=setting-input]")
}

/// `[set in the file, the input's value, the error shown]` of the row for `key`.
async fn row(panel: &Panel, key: &str) -> Result<Value> {
    panel
        .script(&format!(
            "const r = document.querySelector('[data-testid=setting][data-key=\"{key}\"]'); \
             if (!r) return null; const i = r.querySelector('[data-testid=setting-input]'); \
             const e = r.querySelector('[data-testid=setting-error]'); \
             return [r.dataset.set === 'true', i ? i.value : null, e.hidden ? null : e.textContent]"
        ))
        .await
}

async fn wait_for_row(panel: &Panel, key: &str, want: impl Fn(&Value) -> bool) -> Result<Value> {
    poll_until_async(&format!("the settings row {key}"), T, || async {
        let got = row(panel, key).await?;
        ensure!(want(&got), "it is {got}");
        Ok(Some(got))
    })
    .await
}

async fn wait_for_file(path: &std::path::Path, want: &str) -> Result<()> {
    poll_until_async("the config file to be written", T, || async {
        let text = std::fs::read_to_string(path)?;
        ensure!(text == want, "it reads:\n{text}");
        Ok(Some(()))
    })
    .await
}

async fn open_settings(panel: &Panel) -> Result<()> {
    panel.click("[data-testid=tab-settings]").await?;
    poll_until_async("the Settings tab shown", T, || async {
        let shown = panel
            .script("return !document.getElementById('settings').hidden && !!document.querySelector('[data-testid=setting]')")
            .await?;
        Ok((shown == Value::Bool(true)).then_some(()))
    })
    .await
}

/// (a) The threshold changed in the tab is written with the file's comments kept, and the
/// running tray announces at the new threshold; (b) a bad threshold and bad quiet hours are
/// refused at their fields with the reason, nothing written; Reset removes the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_threshold_set_in_the_tab_is_written_and_the_tray_announces_at_it() -> Result<()> {
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let path = plant_config(&desktop)?;
    // Claude Code reports a session at 60%: under the file's threshold of 90, nothing to say.
    let resets = chrono::Utc::now().timestamp() + 2 * 3600;
    ccpulse_tests::cli::feed_statusline(&desktop, &statusline::input(60.0, resets, 18.0))?;
    let panel = Panel::open(desktop, &server.uri(), &[("LANG", "en_US.UTF-8")]).await?;
    panel.wait_for_text("limits", "60%").await?;

    open_settings(&panel).await?;
    let key = "notifications.limit_thresholds";
    wait_for_row(&panel, key, |r| r[0] == true && r[1] == "90").await?;
    // What the file does not set shows its default, marked so.
    let repeat = wait_for_row(&panel, "notifications.repeat_minutes", |r| r[0] == false).await?;
    assert_eq!(repeat[1], "15", "the default repeat interval");
    let marker = panel.text("setting-default").await?;
    assert!(marker.starts_with("default"), "{marker}");

    // (a) 50: written in place, the rest of the file as it was; the tray announces 60%.
    panel.replace_text(&input(key), "50\u{E007}").await?;
    let after = FILE.replace("[90] # only late", "[50] # only late");
    wait_for_file(&path, &after).await?;
    wait_for_row(&panel, key, |r| {
        r[0] == true && r[1] == "50" && r[2].is_null()
    })
    .await?;
    panel.wait_for_text("setting-saved", "Saved").await?;
    let announced = panel
        .desktop()
        .wait_for_notification("at the new threshold", T, |n| {
            n.summary.starts_with("Session limit at 60%")
        })?;
    assert!(announced.body.contains("/usage"), "{:?}", announced.body);

    // (b) 150 is refused at its field with the config's reason; the file is untouched.
    panel.replace_text(&input(key), "150\u{E007}").await?;
    let refused = wait_for_row(&panel, key, |r| r[2].is_string()).await?;
    let reason = refused[2].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("150 is out of range: use percents from 1 to 99"),
        "{reason}"
    );
    assert_eq!(refused[1], "150", "what was typed stays to be corrected");
    assert_eq!(std::fs::read_to_string(&path)?, after);
    let invalid = panel
        .script(&format!(
            "return document.querySelector('{}').getAttribute('aria-invalid')",
            input(key).replace('\'', "\\'")
        ))
        .await?;
    assert_eq!(invalid, "true");

    // Quiet hours at 25 o'clock: refused the same way, at that field.
    let quiet = "notifications.quiet_hours";
    panel
        .replace_text(&input(quiet), "25:00-07:00\u{E007}")
        .await?;
    let refused = wait_for_row(&panel, quiet, |r| r[2].is_string()).await?;
    assert_eq!(refused[2], "\"25:00\" is not a time such as 07:00");
    assert_eq!(row(&panel, key).await?[2].as_str(), Some(reason));
    assert_eq!(std::fs::read_to_string(&path)?, after, "nothing written");

    // Reset: the key leaves the file (with its own comment), the default applies again.
    panel
        .click(&format!(
            "[data-testid=setting][data-key=\"{key}\"] [data-testid=setting-reset]"
        ))
        .await?;
    wait_for_file(
        &path,
        &after.replace("limit_thresholds = [50] # only late\n", ""),
    )
    .await?;
    wait_for_row(&panel, key, |r| r[0] == false && r[1] == "80, 95").await?;

    panel.close("panel-settings.png").await
}

/// (c) The component checkboxes list the live status page's components, the watched ones
/// ticked; ticking one writes `status.components` and the tray watches it at once. Here there
/// is no config file (nor its folder) at first: the tab's first save creates it, and the tray
/// still sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watched_components_are_picked_from_the_live_list() -> Result<()> {
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let path = desktop.config_home().join("ccpulse/config.toml");
    ensure!(!path.parent().expect("a folder").exists());
    let panel = Panel::open(desktop, &server.uri(), &[]).await?;
    panel.wait_for_text("components", "claude.ai").await?;
    // By keyboard, as in any tab list: Left from the first tab goes round to the last.
    panel
        .type_into("[data-testid=tab-status]", "\u{E012}")
        .await?;
    let tabs = panel
        .script(
            "return [...document.querySelectorAll('[role=tab]')].map(t => [t.dataset.tab, \
             t.getAttribute('aria-selected'), t.tabIndex, document.activeElement === t])",
        )
        .await?;
    assert_eq!(
        tabs,
        serde_json::json!([
            ["status", "false", -1, false],
            ["history", "false", -1, false],
            ["reference", "false", -1, false],
            ["settings", "false", -1, false],
            ["setup", "true", 0, true]
        ])
    );
    open_settings(&panel).await?;

    let boxes = || async {
        panel
            .script(
                "return [...document.querySelectorAll('[data-testid=setting-component]')]\
                 .map(b => [b.dataset.componentId, b.checked])",
            )
            .await
    };
    let listed = poll_until_async("the component checkboxes", T, || async {
        let got = boxes().await?;
        ensure!(got.as_array().is_some_and(|a| !a.is_empty()), "{got}");
        Ok(Some(got))
    })
    .await?;
    // The page's components, in its order; Claude Code and the API watched by default.
    assert_eq!(
        listed,
        serde_json::json!([
            ["rwppv331jlwc", false],
            ["0qbwn08sd68x", false],
            ["k8w3r06qmzrp", true],
            ["yyzkbfz2thpt", true]
        ])
    );
    assert_eq!(row(&panel, "status.components").await?[0], false);

    panel
        .click("[data-testid=setting-component][data-component-id=rwppv331jlwc]")
        .await?;
    wait_for_file(
        &path,
        "[status]\ncomponents = [\"rwppv331jlwc\", \"k8w3r06qmzrp\", \"yyzkbfz2thpt\"]\n",
    )
    .await?;
    // The tray follows the file: claude.ai is watched on the Status tab now.
    poll_until_async("claude.ai watched by the tray", T, || async {
        let relevant = panel
            .script("return document.querySelector('[data-testid=component][data-component-id=rwppv331jlwc]').dataset.relevant")
            .await?;
        Ok((relevant == "true").then_some(()))
    })
    .await?;
    poll_until_async("the row marked as set", T, || async {
        let r = row(&panel, "status.components").await?;
        Ok((r[0] == true).then_some(()))
    })
    .await?;
    assert_eq!(
        boxes().await?,
        serde_json::json!([
            ["rwppv331jlwc", true],
            ["0qbwn08sd68x", false],
            ["k8w3r06qmzrp", true],
            ["yyzkbfz2thpt", true]
        ])
    );
    panel.close("panel-settings-components.png").await
}
