//! `ccpulse-tray` end to end: a private desktop (Xvfb, D-Bus, dunst, a stand-in tray host), a
//! loopback Statuspage walking an incident from start to resolution, and a restart in between.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use ccpulse_tests::statuspage::TimelineServer;
use ccpulse_tests::wait::poll_until_async;
use ccpulse_tests::{Desktop, Item, ProcessGuard, SniHost};

const T: Duration = Duration::from_secs(20);
const INCIDENT: &str = "Elevated errors on Claude Opus 4.5";

/// The tray on `desktop`, reading `server` and its own state dir. It polls only at start and on
/// "Refresh now", so every step is driven by the test; `config` is added to its config file. The
/// usage endpoint is a loopback port nothing listens on, unless the test sets another.
fn tray_command(desktop: &Desktop, server: &TimelineServer, config: &str) -> Result<Command> {
    desktop.tray_command(&server.uri(), config)
}

fn start_tray(desktop: &Desktop, server: &TimelineServer) -> Result<ProcessGuard> {
    desktop.spawn("ccpulse-tray", tray_command(desktop, server, "")?)
}

async fn wait_for_tooltip(item: &Item, want: &str) -> Result<String> {
    item.wait_for_tooltip(want, T).await
}

async fn tooltip(item: &Item) -> Result<String> {
    item.tooltip_text().await
}

/// Live processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|s| {
                    let rest = &s[s.rfind(')')? + 2..];
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

/// No webview may outlive the panel: the panel's process (and its WebKit children) must go.
async fn wait_for_no_children(app: &ProcessGuard) -> Result<()> {
    poll_until_async("the panel's processes to end", T, || async {
        let children = children_of(app.pid());
        ensure!(children.is_empty(), "still running: {children:?}");
        Ok(Some(()))
    })
    .await
}

/// Count pixels within `tolerance` (per channel) of `rgb` in a PNG.
fn pixels_near(png_path: &Path, rgb: [u8; 3], tolerance: u8) -> Result<(usize, (u32, u32))> {
    let mut decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png_path)?));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info()?;
    let mut buf = vec![0; reader.output_buffer_size().context("image too large")?];
    let info = reader.next_frame(&mut buf)?;
    let channels = info.color_type.samples();
    // ImageMagick writes a capture with no colour in it (an unpainted window) as grayscale.
    let rgb_of = |p: &[u8]| {
        if channels >= 3 {
            [p[0], p[1], p[2]]
        } else {
            [p[0]; 3]
        }
    };
    let count = buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| (0..3).all(|i| rgb_of(p)[i].abs_diff(rgb[i]) <= tolerance))
        .count();
    Ok((count, (info.width, info.height)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tray_walks_an_incident_and_notifies_once_per_update() -> Result<()> {
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;

    // Step 1: operational. The tray registers, says so, and announces nothing.
    let spawned = Instant::now();
    let mut app = start_tray(&desktop, &server)?;
    let item = host.wait_for_item(T).await?;
    let registered_after = item.registered_at() - spawned;
    eprintln!("tray registered {registered_after:?} after spawn");
    wait_for_tooltip(&item, "Claude: operational").await?;
    let tip = item.tooltip().await?.context("no tooltip")?;
    assert_eq!(tip.title, "ccpulse");
    const GREEN: [u8; 3] = [0x2e, 0x9e, 0x5b];
    const AMBER: [u8; 3] = [0xe0, 0xa1, 0x00];
    assert!(
        item.icon_pixels_near(GREEN).await? > 200,
        "operational icon"
    );
    assert_eq!(item.icon_pixels_near(AMBER).await?, 0);
    let labels: Vec<String> = item.menu().await?.into_iter().map(|e| e.label).collect();
    let expected = [
        "Open panel",
        "Open status page",
        "Refresh now",
        "Pause notifications",
        "For 30 minutes",
        "For 1 hour",
        "For 4 hours",
        "Until 08:00 tomorrow",
        "Resume notifications",
        "Quit ccpulse",
    ];
    for want in expected {
        assert!(
            labels.iter().any(|l| l == want),
            "{want:?} missing from {labels:?}"
        );
    }
    assert!(
        labels[0].starts_with("Claude: operational · checked"),
        "status line first: {labels:?}"
    );

    // Step 2: the incident opens.
    server.set_step(1);
    item.click_label("Refresh now").await?;
    desktop.wait_for_notifications(1, T)?;
    wait_for_tooltip(&item, &format!("Claude: {INCIDENT} (investigating)")).await?;
    item.wait_for_menu_label(|l| l.contains("(investigating) · checked"), T)
        .await?;
    assert!(item.icon_pixels_near(AMBER).await? > 200, "degraded icon");
    assert_eq!(item.icon_pixels_near(GREEN).await?, 0);

    // The panel shows it: a real window with the real webview, screenshot kept as an artifact.
    item.click_label("Open panel").await?;
    let window = desktop.wait_for_window("ccpulse", T)?;
    let shot = ccpulse_tests::paths::artifacts_dir().join("panel-degraded.png");
    // The webview paints after the window maps: wait until the degraded amber is on screen.
    let amber = [0xe0, 0xa1, 0x00];
    let size = poll_until_async("the degraded amber on the panel", T, || async {
        desktop.screenshot_window(window, &shot)?;
        let (n, size) = pixels_near(&shot, amber, 12)?;
        ensure!(n > 50, "{n} amber pixels in {}", shot.display());
        Ok(Some(size))
    })
    .await?;
    assert!(size.0 >= 340 && size.1 >= 320, "panel size {size:?}");
    let (white, _) = pixels_near(&shot, [255, 255, 255], 2)?;
    assert!(
        white < (size.0 * size.1) as usize * 95 / 100,
        "panel looks blank: {}",
        shot.display()
    );
    assert!(
        !children_of(app.pid()).is_empty(),
        "the panel runs in a child process"
    );
    desktop.close_window(window)?;
    desktop.wait_for_window_gone(window, T)?;
    wait_for_no_children(&app).await?;
    assert!(app.is_running(), "closing the panel must not quit the app");

    // Step 3: an update.
    server.set_step(2);
    item.click_label("Refresh now").await?;
    desktop.wait_for_notifications(2, T)?;
    wait_for_tooltip(&item, "(identified)").await?;

    // Restart: the ledger on disk means nothing is announced again.
    let before_restart = server.requests_to("/api/v2/summary.json").await;
    app.terminate(Duration::from_secs(5))?;
    host.wait_for_item_gone(&item, T).await?;
    let mut app = start_tray(&desktop, &server)?;
    let item = host.wait_for_item(T).await?;
    wait_for_tooltip(&item, "(identified)").await?;
    assert!(server.requests_to("/api/v2/summary.json").await > before_restart);

    // Step 4: monitoring; step 5: resolved (gone from the summary, resolved in incidents.json).
    server.set_step(3);
    item.click_label("Refresh now").await?;
    desktop.wait_for_notifications(3, T)?;
    wait_for_tooltip(&item, "(monitoring)").await?;
    server.set_step(4);
    item.click_label("Refresh now").await?;
    desktop.wait_for_notifications(4, T)?;
    wait_for_tooltip(&item, "Claude: operational").await?;
    assert_eq!(server.requests_to("/api/v2/incidents.json").await, 1);

    // Exactly these, in this order; nothing duplicated, also not across the restart.
    let got = desktop.notifications_after_quiet(Duration::from_millis(1500), T)?;
    let summaries: Vec<(&str, &str)> = got
        .iter()
        .map(|n| (n.appname.as_str(), n.summary.as_str()))
        .collect();
    let want = [
        ("ccpulse", format!("Claude incident: {INCIDENT}")),
        ("ccpulse", format!("Update: {INCIDENT}")),
        ("ccpulse", format!("Update: {INCIDENT}")),
        ("ccpulse", format!("Resolved: {INCIDENT}")),
    ];
    let want: Vec<(&str, &str)> = want.iter().map(|(a, s)| (*a, s.as_str())).collect();
    assert_eq!(summaries, want, "{}", app.log_excerpt());
    let bodies: Vec<&str> = got.iter().map(|n| n.body.as_str()).collect();
    assert!(bodies[0].starts_with("Investigating: "), "{bodies:?}");
    assert!(
        bodies[0].ends_with("\nFailed requests do not count against your plan. Wait and retry; if one model is affected, /model to another may work."),
        "{bodies:?}"
    );
    assert!(bodies[1].starts_with("Identified: "), "{bodies:?}");
    assert!(bodies[2].starts_with("Monitoring: "), "{bodies:?}");
    assert_eq!(bodies[3], "Resolved: This incident has been resolved.");

    // A second launch opens the running app's panel (the tray may be invisible) and exits.
    let mut second = start_tray(&desktop, &server)?;
    let status = second.wait_for_exit(T)?;
    assert!(status.success(), "second instance: {status:?}");
    let window = desktop.wait_for_window("ccpulse", T)?;
    desktop.close_window(window)?;
    desktop.wait_for_window_gone(window, T)?;
    wait_for_no_children(&app).await?;
    assert!(app.is_running());

    // Quit from the menu ends the app cleanly.
    item.click_label("Quit ccpulse").await?;
    let status = app.wait_for_exit(T)?;
    assert!(status.success(), "{status:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_holds_notices_back_and_resuming_tells_what_is_still_so() -> Result<()> {
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    let mut app = start_tray(&desktop, &server)?;
    let item = host.wait_for_item(T).await?;
    wait_for_tooltip(&item, "Claude: operational").await?;
    let resume = item
        .menu()
        .await?
        .into_iter()
        .find(|e| e.label == "Resume notifications")
        .context("no Resume entry")?;
    assert!(!resume.enabled, "nothing to resume yet");

    item.click_label("For 4 hours").await?;
    let label = item
        .wait_for_menu_label(|l| l.starts_with("Notifications paused until "), T)
        .await?
        .label;
    let until = chrono::Local::now() + chrono::Duration::hours(4);
    let near = [until, until - chrono::Duration::minutes(1)].map(|t| t.format("%H:%M").to_string());
    assert!(
        near.iter().any(|n| label.ends_with(n.as_str())),
        "{label} vs {near:?}"
    );
    server.set_step(1);
    item.click_label("Refresh now").await?;
    wait_for_tooltip(&item, "(investigating)").await?;
    server.set_step(2);
    item.click_label("Refresh now").await?;
    wait_for_tooltip(&item, "(identified)").await?;
    let held = desktop.notifications_after_quiet(Duration::from_millis(1500), T)?;
    assert!(held.is_empty(), "paused, yet shown: {held:?}");

    // The pause outlives a restart: it is in the ledger.
    app.terminate(Duration::from_secs(5))?;
    host.wait_for_item_gone(&item, T).await?;
    let _app = start_tray(&desktop, &server)?;
    let item = host.wait_for_item(T).await?;
    item.wait_for_menu_label(|l| l.starts_with("Notifications paused until "), T)
        .await?;
    let held = desktop.notifications_after_quiet(Duration::from_millis(1500), T)?;
    assert!(
        held.is_empty(),
        "paused after the restart, yet shown: {held:?}"
    );

    // Resume: the incident is still open, so it is told, once, as it stands now.
    item.click_label("Resume notifications").await?;
    item.wait_for_menu_label(|l| l == "Pause notifications", T)
        .await?;
    desktop.wait_for_notifications(1, T)?;
    let got = desktop.notifications_after_quiet(Duration::from_millis(2500), T)?;
    let summaries: Vec<&str> = got.iter().map(|n| n.summary.as_str()).collect();
    assert_eq!(summaries, [format!("Update: {INCIDENT}").as_str()]);
    assert!(got[0].body.starts_with("Identified: "), "{:?}", got[0].body);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tray_appears_when_a_tray_host_starts_later() -> Result<()> {
    // Desktops often start the tray host after autostarted apps.
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let mut app = start_tray(&desktop, &server)?;
    app.wait_for_log("the missing tray host to be reported", T, |log| {
        log.contains("no system tray")
    })?;
    assert!(app.is_running(), "runs on without a tray");
    let host = SniHost::start(&desktop).await?;
    // The app looks again every 15 s.
    let item = host.wait_for_item(Duration::from_secs(25)).await?;
    wait_for_tooltip(&item, "Claude: operational").await?;
    Ok(())
}

/// One usage line as Claude Code writes it, at `at`, with its own ids.
fn usage_line(n: u32, at: chrono::DateTime<chrono::Utc>, input: u64, output: u64) -> String {
    format!(
        concat!(
            r#"{{"type":"assistant","timestamp":"{}","sessionId":"s-watch","requestId":"req_w{}","#,
            r#""version":"2.1.328","message":{{"id":"msg_w{}","model":"claude-sonnet-4-5","#,
            r#""usage":{{"input_tokens":{},"output_tokens":{},"cache_creation_input_tokens":0,"#,
            r#""cache_read_input_tokens":0}}}}}}"#,
            "\n"
        ),
        at.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        n,
        n,
        input,
        output
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tray_shows_todays_usage_and_follows_appended_lines_within_a_second() -> Result<()> {
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    let claude = desktop.root().join("claude-config");
    let project = claude.join("projects/-home-user-watch");
    std::fs::create_dir_all(&project)?;
    let transcript = project.join("s-watch.jsonl");
    let now = chrono::Utc::now();
    // Yesterday's line does not count today.
    std::fs::write(
        &transcript,
        usage_line(0, now - chrono::Duration::days(1), 9_000_000, 0)
            + &usage_line(1, now, 1000, 500),
    )?;

    let mut cmd = tray_command(&desktop, &server, "")?;
    cmd.env("CLAUDE_CONFIG_DIR", &claude).env("TZ", "UTC");
    let _app = desktop.spawn("ccpulse-tray", cmd)?;
    let item = host.wait_for_item(T).await?;
    // 1,500 tokens of Sonnet 4.5: 1000 x $3/M + 500 x $15/M.
    item.wait_for_menu_label(|l| l == "Today: 1.5k tokens · $0.01 (local estimate)", T)
        .await?;

    // Claude Code appends a response: the menu follows within a second.
    let mut f = std::fs::OpenOptions::new().append(true).open(&transcript)?;
    std::io::Write::write_all(&mut f, usage_line(2, now, 100_000, 20_000).as_bytes())?;
    drop(f);
    let appended = Instant::now();
    item.wait_for_menu_label(
        |l| l == "Today: 121.5k tokens · $0.61 (local estimate)",
        Duration::from_secs(1),
    )
    .await?;
    eprintln!("usage shown {:?} after the append", appended.elapsed());
    Ok(())
}

/// A real retry record (from the `p-overloaded` fixture, written by Claude Code 2.1.328), moved
/// to `at`, attempt `n`.
fn retry_record(at: chrono::DateTime<chrono::Utc>, n: u32) -> Result<String> {
    let fixture = ccpulse_tests::fixtures_dir().join("claude-code/p-overloaded/projects");
    let mut files = vec![fixture];
    while let Some(f) = files.pop() {
        if f.is_dir() {
            files.extend(std::fs::read_dir(&f)?.flatten().map(|e| e.path()));
            continue;
        }
        for line in std::fs::read_to_string(&f)?.lines() {
            if line.contains("\"subtype\":\"api_error\"") {
                let mut v: serde_json::Value = serde_json::from_str(line)?;
                v["timestamp"] = at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string().into();
                v["retryAttempt"] = n.into();
                v["uuid"] = format!("c4e6873e-7082-4655-b882-{n:012}").into();
                return Ok(v.to_string() + "\n");
            }
        }
    }
    anyhow::bail!("no retry record in the fixture")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_529_wave_in_the_transcripts_is_announced_once_and_its_end_once() -> Result<()> {
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    let claude = desktop.root().join("claude-config");
    let project = claude.join("projects/-home-user-project");
    std::fs::create_dir_all(&project)?;
    let transcript = project.join("f10372ee-45d4-4c01-91a6-fd1594549790.jsonl");
    std::fs::write(&transcript, "")?;
    // A wave ends after 4 quiet seconds here (15 minutes by default).
    let tray = || -> Result<Command> {
        let mut cmd = tray_command(&desktop, &server, "[overload]\nquiet_secs = 4\n")?;
        cmd.env("CLAUDE_CONFIG_DIR", &claude).env("TZ", "UTC");
        Ok(cmd)
    };
    let mut app = desktop.spawn("ccpulse-tray", tray()?)?;
    let item = host.wait_for_item(T).await?;
    wait_for_tooltip(&item, "Claude: operational").await?;

    // Four retries are not a wave.
    let append = |text: String| -> Result<()> {
        let mut f = std::fs::OpenOptions::new().append(true).open(&transcript)?;
        std::io::Write::write_all(&mut f, text.as_bytes())?;
        Ok(())
    };
    let now = chrono::Utc::now();
    append(
        (1..=4)
            .map(|n| retry_record(now, n))
            .collect::<Result<String>>()?,
    )?;
    // The fifth is: notified within 2 s, and the tooltip says so.
    append(retry_record(chrono::Utc::now(), 5)?)?;
    let appended = Instant::now();
    desktop.wait_for_notifications(1, Duration::from_secs(2))?;
    eprintln!(
        "wave notified {:?} after the fifth retry",
        appended.elapsed()
    );
    let tip = wait_for_tooltip(&item, "Overload: 5 errors in 15 min").await?;
    assert!(tip.contains("not your quota, try /model"), "{tip:?}");

    // Killed in the middle of the wave (SIGKILL: no chance to save anything) and started
    // again: the wave is still shown, and not announced again.
    app.kill()?;
    host.wait_for_item_gone(&item, T).await?;
    let app = desktop.spawn("ccpulse-tray", tray()?)?;
    let item = host.wait_for_item(T).await?;
    wait_for_tooltip(&item, "Overload: 5 errors in 15 min").await?;
    // More retries in the same wave announce nothing new.
    append(retry_record(chrono::Utc::now(), 6)?)?;
    wait_for_tooltip(&item, "Overload: 6 errors in 15 min").await?;

    // Quiet: the wave ends, once.
    desktop.wait_for_notifications(2, T)?;
    let got = desktop.notifications_after_quiet(Duration::from_millis(1500), T)?;
    let summaries: Vec<&str> = got.iter().map(|n| n.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "Claude is overloaded: requests are failing and being retried",
            "Claude overload over: requests go through again",
        ],
        "{}",
        app.log_excerpt()
    );
    assert!(
        got[0].body.contains("not your usage limit"),
        "{:?}",
        got[0].body
    );
    assert!(got[0].body.contains("/model"));
    // The tooltip no longer speaks of it.
    poll_until_async("the wave to leave the tooltip", T, || async {
        let tip = tooltip(&item).await?;
        ensure!(!tip.contains("Overload"), "the tooltip reads {tip:?}");
        Ok(Some(()))
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicking_a_notification_opens_the_panel() -> Result<()> {
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    let app = start_tray(&desktop, &server)?;
    let item = host.wait_for_item(T).await?;
    wait_for_tooltip(&item, "Claude: operational").await?;
    server.set_step(1);
    item.click_label("Refresh now").await?;
    // On screen (not read from the history, which would close it first).
    poll_until_async("a notification on screen", T, || async {
        let shown = desktop.dunstctl(&["count", "displayed"])?;
        Ok((shown.trim() != "0").then_some(()))
    })
    .await?;
    // What a click on it does: dunst invokes its default action.
    desktop.dunstctl(&["action", "0"])?;
    let window = desktop.wait_for_window("ccpulse", T)?;
    assert!(
        !children_of(app.pid()).is_empty(),
        "the panel runs in a child process"
    );
    desktop.close_window(window)?;
    desktop.wait_for_window_gone(window, T)?;
    Ok(())
}
