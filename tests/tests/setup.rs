//! The first run and the set-up page: the panel opens by itself once, on a page that lists what
//! the planted environment holds (login and plan, transcripts, the status line, the
//! notification service, the tray host, start at login), and its actions do what the CLI and
//! the tray menu do. Start at login is an XDG autostart entry pointing at the binary.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::path::Path;

use anyhow::{ensure, Context, Result};
use ccpulse_tests::panel::TIMEOUT as T;
use ccpulse_tests::paths::fixtures_dir;
use ccpulse_tests::statuspage::TimelineServer;
use ccpulse_tests::wait::poll_until_async;
use ccpulse_tests::{Ccpulse, Desktop, Item, Panel, SniHost};

const TOKEN: &str = "sk-ant-oat01-SETUP-PLANTED-token-0123456789";
const THEIR_LINE: &str = "~/bin/my-line.sh --short";

/// Claude Code's files in `home`: a max-plan login, two real transcripts, and a settings.json
/// with a status line command of the user's own.
fn plant_claude_code(home: &Path) -> Result<u64> {
    let claude = home.join(".claude");
    let project = claude.join("projects/-home-user-project");
    std::fs::create_dir_all(&project)?;
    let credentials = serde_json::json!({"claudeAiOauth": {
        "accessToken": TOKEN, "refreshToken": "sk-ant-ort01-SETUP-PLANTED-refresh",
        "expiresAt": chrono::Utc::now().timestamp_millis() + 3_600_000,
        "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"}});
    std::fs::write(claude.join(".credentials.json"), credentials.to_string())?;
    let mut bytes = 0;
    for (name, fixture) in [
        ("a.jsonl", "claude-code/i-oauth-baseurl/projects/-home-user-project/4a67a4d2-c179-43c4-81e1-1be03f9ac3e9.jsonl"),
        ("b.jsonl", "claude-code/i-oauth-baseurl/projects/-home-user-project/4a67a4d2-c179-43c4-81e1-1be03f9ac3e9.jsonl"),
    ] {
        bytes += std::fs::copy(fixtures_dir().join(fixture), project.join(name))?;
    }
    std::fs::write(
        claude.join("settings.json"),
        format!(
            "{{\n  \"model\": \"opus\",\n  \"statusLine\": {{\"type\": \"command\", \"command\": \"{THEIR_LINE}\"}}\n}}\n"
        ),
    )?;
    Ok(bytes)
}

/// The row's value on the set-up page, once it contains `want`.
async fn row(panel: &Panel, id: &str, want: &str) -> Result<String> {
    panel
        .wait_for_text(&format!("setup-{id}-value"), want)
        .await
}

async fn wait_for_file(path: &Path, present: bool) -> Result<()> {
    poll_until_async(
        &format!(
            "{} to be {}",
            path.display(),
            if present { "there" } else { "gone" }
        ),
        T,
        || async { Ok((path.exists() == present).then_some(())) },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_run_lists_what_was_found_and_its_actions_do_what_the_cli_does() -> Result<()> {
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    desktop.first_run()?;
    let bytes = plant_claude_code(&desktop.home())?;
    // The same settings in a second home, where the CLI installs the status line.
    let twin = tempfile::tempdir()?;
    plant_claude_code(twin.path())?;
    let autostart = desktop.autostart_entry();
    let panel = Panel::open(desktop, &server.uri(), &[]).await?;

    // It opened by itself on the set-up page, and says what it found.
    panel
        .wait_for("the set-up tab selected", "return document.getElementById('tab-setup').getAttribute('aria-selected') === 'true' || null")
        .await?;
    row(&panel, "login", "Logged in with the max plan").await?;
    // Two copies of a 51,494-byte transcript: 102,988 bytes, in decimal units.
    assert_eq!(bytes, 102_988);
    row(&panel, "transcripts", "2 transcripts, 103 KB").await?;
    let details = panel
        .script("return [...document.querySelectorAll('[data-testid=setup-transcripts] .setup-detail')].map(e => e.textContent)")
        .await?;
    let home = panel.desktop().home();
    assert_eq!(
        details,
        serde_json::json!([
            format!(
                "{}/claude: not there",
                panel.desktop().config_home().display()
            ),
            format!("{}/.claude: 2 files, 103 KB", home.display()),
        ])
    );
    row(&panel, "statusline", THEIR_LINE).await?;
    row(&panel, "notifications", "Shown by dunst").await?;
    // No StatusNotifierItem host runs on this desktop.
    row(&panel, "tray_host", "No tray host").await?;
    // Start at login went on with the first run, pointing at this binary.
    row(&panel, "autostart", "On").await?;
    let entry = std::fs::read_to_string(&autostart).context("the autostart entry")?;
    let exec = format!("Exec={}", ccpulse_tests::tray_bin().display());
    assert!(entry.lines().any(|l| l.trim_end() == exec), "{entry}");
    // The token is shown nowhere.
    let page = panel
        .script("return document.documentElement.outerHTML")
        .await?;
    assert!(!page.to_string().contains(TOKEN));

    // "Install status line" keeps theirs (--chain) and writes what the CLI writes, byte for byte.
    panel
        .click("[data-testid=setup-action-chain_statusline]")
        .await?;
    row(&panel, "statusline", "Installed by ccpulse").await?;
    let cli = Ccpulse::in_home(twin.path())
        .args(["statusline", "install", "--chain"])
        .output();
    ensure!(cli.status.success(), "the CLI's install: {cli:?}");
    let ours = std::fs::read(home.join(".claude/settings.json"))?;
    let theirs = std::fs::read(twin.path().join(".claude/settings.json"))?;
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&theirs)
    );
    assert!(home.join(".claude/settings.json.ccpulse-backup").exists());

    // Start at login off removes the entry; on puts it back.
    panel
        .click("[data-testid=setup-action-autostart_off]")
        .await?;
    wait_for_file(&autostart, false).await?;
    row(&panel, "autostart", "Off").await?;
    panel
        .click("[data-testid=setup-action-autostart_on]")
        .await?;
    wait_for_file(&autostart, true).await?;
    row(&panel, "autostart", "On").await?;

    // The Settings tab has the same two: start at login off there, and the status line
    // uninstalled, which puts settings.json back byte for byte.
    panel.click("[data-testid=tab-settings]").await?;
    panel
        .wait_for_text("settings-setup-autostart-value", "On")
        .await?;
    panel
        .wait_for_text("settings-setup-statusline-value", "Installed by ccpulse")
        .await?;
    panel
        .click("[data-testid=settings-setup-action-autostart_off]")
        .await?;
    wait_for_file(&autostart, false).await?;
    panel
        .wait_for_text("settings-setup-autostart-value", "Off")
        .await?;
    panel
        .click("[data-testid=settings-setup-action-uninstall_statusline]")
        .await?;
    panel
        .wait_for_text(
            "settings-setup-statusline-value",
            &format!("Another command is Claude Code's status line: {THEIR_LINE}"),
        )
        .await?;
    assert_eq!(
        std::fs::read(home.join(".claude/settings.json"))?,
        std::fs::read(home.join(".claude/settings.json.ccpulse-backup"))?,
        "settings.json as it was before the install"
    );
    panel.click("[data-testid=tab-setup]").await?;

    // The test notification reaches the notification service.
    panel
        .click("[data-testid=setup-action-test_notification]")
        .await?;
    panel
        .desktop()
        .wait_for_notification("saying ccpulse can notify", T, |n| {
            n.summary == "ccpulse can notify you"
        })?;

    // The first run is over: recorded in the state dir.
    assert!(panel
        .desktop()
        .state_home()
        .join("ccpulse/setup.json")
        .exists());
    panel.close("panel-setup.png").await
}

fn first_run_logged(desktop: &Desktop) -> Result<usize> {
    let log = std::fs::read_to_string(desktop.state_home().join("ccpulse/ccpulse.log"))?;
    Ok(log.matches("first run: opening the set-up page").count())
}

async fn checked(item: &Item, label: &str) -> Result<Option<bool>> {
    let menu = item.menu().await?;
    Ok(menu
        .into_iter()
        .find(|e| e.label == label)
        .and_then(|e| e.checked))
}

async fn wait_checked(item: &Item, label: &str, want: bool) -> Result<()> {
    poll_until_async(&format!("{label:?} ticked: {want}"), T, || async {
        Ok((checked(item, label).await? == Some(want)).then_some(()))
    })
    .await
}

/// Without WebDriver: the first run opens the panel and turns start at login on; the menu's
/// "Start at login" turns it off and on again; a second start is no first run; "Set up…" opens
/// the panel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_at_login_and_set_up_from_the_tray_menu() -> Result<()> {
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    desktop.first_run()?;
    let host = SniHost::start(&desktop).await?;
    let autostart = desktop.autostart_entry();
    let mut app = desktop.spawn("ccpulse-tray", desktop.tray_command(&server.uri(), "")?)?;
    let item = host.wait_for_item(T).await?;
    // The set-up page opened by itself, and start at login is on.
    let window = desktop.wait_for_window("ccpulse", T)?;
    wait_for_file(&autostart, true).await?;
    wait_checked(&item, "Start at login", true).await?;
    assert_eq!(first_run_logged(&desktop)?, 1);
    desktop.close_window(window)?;
    desktop.wait_for_window_gone(window, T)?;

    item.click_label("Start at login").await?;
    wait_for_file(&autostart, false).await?;
    wait_checked(&item, "Start at login", false).await?;
    item.click_label("Start at login").await?;
    wait_for_file(&autostart, true).await?;
    wait_checked(&item, "Start at login", true).await?;

    // Started again: set up already. The tray's item is registered only after the start-up
    // decided, so by then the log says whether it was a first run.
    app.terminate(T)?;
    host.wait_for_item_gone(&item, T).await?;
    let _again = desktop.spawn("ccpulse-tray", desktop.tray_command(&server.uri(), "")?)?;
    let item = host.wait_for_item(T).await?;
    wait_checked(&item, "Start at login", true).await?;
    assert_eq!(first_run_logged(&desktop)?, 1, "a second first run");

    item.click_label("Set up…").await?;
    let window = desktop.wait_for_window("ccpulse", T)?;
    desktop.close_window(window)?;
    desktop.wait_for_window_gone(window, T)?;
    Ok(())
}
