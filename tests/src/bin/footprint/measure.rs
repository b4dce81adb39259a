//! The measurement (Linux: it reads `/proc` and runs a private X desktop).
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ccpulse_tests::paths::target_dir;
use ccpulse_tests::statuspage::TimelineServer;
use ccpulse_tests::{sni::describe_menu, Desktop, SniHost};

use crate::proc_tree::{self, ticks_per_second, usage, Usage};

const MIB: f64 = 1024.0;

/// Where a peer's HTTP clients are sent: a closed port on loopback, so nothing leaves the machine.
const NOWHERE_PROXY: &str = "http://127.0.0.1:9";

struct Budget {
    what: &'static str,
    value: f64,
    limit: f64,
    unit: &'static str,
}

struct Window {
    peak_rss_mib: f64,
    peak_pss_mib: f64,
    cpu_secs: f64,
    processes: usize,
}

/// Sample the tree once a second for `secs`: peak memory and CPU used over the window.
async fn idle_window(pid: u32, secs: u64) -> Window {
    let start = usage(pid);
    let mut peak = start;
    for _ in 0..secs {
        // The measurement window itself: idle time is what is being measured.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let u = usage(pid);
        peak.rss_kib = peak.rss_kib.max(u.rss_kib);
        peak.pss_kib = peak.pss_kib.max(u.pss_kib);
        peak.processes = peak.processes.max(u.processes);
    }
    let end = usage(pid);
    Window {
        peak_rss_mib: peak.rss_kib as f64 / MIB,
        peak_pss_mib: peak.pss_kib as f64 / MIB,
        cpu_secs: end.cpu_ticks.saturating_sub(start.cpu_ticks) as f64 / ticks_per_second() as f64,
        processes: peak.processes,
    }
}

async fn wait_for_tree(
    pid: u32,
    what: &str,
    timeout: Duration,
    ok: impl Fn(&Usage) -> bool,
) -> Result<Usage> {
    let deadline = Instant::now() + timeout;
    loop {
        let u = usage(pid);
        if ok(&u) {
            return Ok(u);
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}; tree now: {u:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
pub async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut tray = target_dir().join("release/ccpulse-tray");
    let mut idle_secs = 60u64;
    let mut check = false;
    let mut peer = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tray" => tray = PathBuf::from(args.next().context("--tray PATH")?),
            "--peer" => peer = Some(PathBuf::from(args.next().context("--peer PATH")?)),
            "--idle-secs" => idle_secs = args.next().context("--idle-secs N")?.parse()?,
            "--check" => check = true,
            other => bail!("unknown argument {other:?}"),
        }
    }
    if let Some(peer) = peer {
        return peer_footprint(&peer, idle_secs).await;
    }
    if !tray.exists() {
        bail!(
            "{} does not exist: cargo build --release -p ccpulse-tray --features custom-protocol",
            tray.display()
        );
    }

    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    let mut cmd = desktop.command(&tray);
    cmd.env("CCPULSE_STATUS_URL", server.uri())
        .env("CCPULSE_STATE_DIR", desktop.state_home().join("ccpulse"));
    let spawned = Instant::now();
    let app = desktop.spawn("ccpulse-tray", cmd)?;
    let item = host.wait_for_item(Duration::from_secs(20)).await?;
    let registered = item.registered_at() - spawned;
    let pid = app.pid();
    // Ready: the first reading is on the tray.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !item
        .tooltip()
        .await?
        .is_some_and(|t| t.description.contains("operational"))
    {
        if Instant::now() > deadline {
            bail!("the tray never showed the first reading");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    eprintln!("idle {idle_secs} s before the panel was ever opened…");
    let before = idle_window(pid, idle_secs).await;

    item.click_label("Open panel").await?;
    let window = desktop.wait_for_window("ccpulse", Duration::from_secs(20))?;
    let open = wait_for_tree(
        pid,
        "the webview's processes",
        Duration::from_secs(20),
        |u| u.processes > 1,
    )
    .await?;
    // Let the page load and paint before reading the open panel's cost.
    let open = {
        let w = idle_window(pid, 3).await;
        (
            w.peak_rss_mib.max(open.rss_kib as f64 / MIB),
            w.peak_pss_mib,
        )
    };
    desktop.close_window(window)?;
    desktop.wait_for_window_gone(window, Duration::from_secs(20))?;
    let closed = wait_for_tree(
        pid,
        "the webview's processes to exit",
        Duration::from_secs(30),
        |u| u.processes == 1,
    )
    .await;
    let webview_exited = closed.is_ok();

    eprintln!("idle {idle_secs} s after the panel was opened and closed…");
    let after = idle_window(pid, idle_secs).await;

    let per_minute = 60.0 / idle_secs as f64;
    let budgets = [
        Budget {
            what: "tray registered after start",
            value: registered.as_secs_f64() * 1000.0,
            limit: 500.0,
            unit: "ms",
        },
        Budget {
            what: "RSS idle, panel never opened",
            value: before.peak_rss_mib,
            // The product's promise: the tray idles within 70 MiB, settings and all.
            limit: 70.0,
            unit: "MiB",
        },
        Budget {
            what: "RSS idle, panel opened and closed",
            value: after.peak_rss_mib,
            limit: 70.0,
            unit: "MiB",
        },
        Budget {
            what: "CPU idle, panel never opened",
            value: before.cpu_secs * per_minute,
            limit: 0.1,
            unit: "s/min",
        },
        Budget {
            what: "CPU idle, panel opened and closed",
            value: after.cpu_secs * per_minute,
            limit: 0.1,
            unit: "s/min",
        },
    ];
    println!(
        "ccpulse-tray footprint ({}; idle windows of {idle_secs} s)",
        tray.display()
    );
    println!(
        "{:<38} {:>10} {:>10}  verdict",
        "measure", "value", "budget"
    );
    let mut failed = false;
    for b in &budgets {
        let ok = b.value <= b.limit;
        failed |= !ok;
        println!(
            "{:<38} {:>7.2} {:<3}{:>7.2} {:<3} {}",
            b.what,
            b.value,
            b.unit,
            b.limit,
            b.unit,
            if ok { "ok" } else { "OVER" }
        );
    }
    println!(
        "{:<38} {:>7.2} MiB",
        "PSS idle, panel never opened", before.peak_pss_mib
    );
    println!(
        "{:<38} {:>7.2} MiB",
        "PSS idle, panel opened and closed", after.peak_pss_mib
    );
    println!(
        "{:<38} {:>7.2} MiB (PSS {:.2} MiB)",
        "RSS while the panel is open", open.0, open.1
    );
    println!(
        "{:<38} {:>7}",
        "processes idle before / after",
        format!("{} / {}", before.processes, after.processes)
    );
    println!(
        "{:<38} {:>7}",
        "webview processes gone after close",
        if webview_exited { "yes" } else { "NO" }
    );
    println!(
        "processes at the end: {}",
        proc_tree::describe(pid).join("; ")
    );
    if check && (failed || !webview_exited) {
        bail!("over budget");
    }
    Ok(())
}

/// Another tray app, started as it ships on the same private desktop (a fresh `HOME`: no
/// settings, no credentials), measured idle before its window was ever opened. Its HTTP clients
/// get a proxy on a closed loopback port, so whatever it fetches fails without leaving the
/// machine. `GDK_GL` is passed on from this process's environment, or left unset.
async fn peer_footprint(path: &Path, idle_secs: u64) -> Result<()> {
    if !path.exists() {
        bail!("{} does not exist", path.display());
    }
    let name = path
        .file_name()
        .map_or_else(|| "peer".into(), |n| n.to_string_lossy().into_owned());
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    let mut cmd = desktop.command(path);
    for var in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"] {
        cmd.env(var, NOWHERE_PROXY)
            .env(var.to_lowercase(), NOWHERE_PROXY);
    }
    cmd.env_remove("NO_PROXY").env_remove("no_proxy");
    let spawned = Instant::now();
    let mut app = desktop.spawn(&name, cmd)?;
    let pid = app.pid();
    let item = host.wait_for_item(Duration::from_secs(20)).await;
    let registered = match &item {
        Ok(item) => format!(
            "{:.2} ms",
            (item.registered_at() - spawned).as_secs_f64() * 1000.0
        ),
        Err(_) => "never (20 s)".to_string(),
    };
    // Ready: its start-up work done (what the first reading on the tray is for ccpulse-tray),
    // taken as a whole second in which the tree used no CPU.
    let busy = std::cell::Cell::new((usage(pid).cpu_ticks, Instant::now()));
    let quiet = wait_for_tree(pid, "a second without CPU", Duration::from_secs(20), |u| {
        let (ticks, since) = busy.get();
        if u.cpu_ticks != ticks {
            busy.set((u.cpu_ticks, Instant::now()));
        }
        since.elapsed() >= Duration::from_secs(1)
    })
    .await;
    let quiet = match quiet {
        Ok(_) => format!("{:.2} ms", spawned.elapsed().as_secs_f64() * 1000.0),
        Err(_) => "never (20 s)".to_string(),
    };
    let menu = match &item {
        Ok(item) => item.menu().await.map(|m| describe_menu(&m)),
        Err(e) => Err(anyhow::anyhow!("{e:#}")),
    };

    eprintln!("idle {idle_secs} s, its window never opened…");
    let idle = idle_window(pid, idle_secs).await;
    if !app.is_running() {
        bail!(
            "{name} exited during the idle window; {}",
            app.log_excerpt()
        );
    }

    let gdk_gl =
        std::env::var("GDK_GL").map_or_else(|_| "GDK_GL unset".into(), |v| format!("GDK_GL={v}"));
    println!(
        "{name} footprint ({}; {gdk_gl}; idle window of {idle_secs} s)",
        path.display()
    );
    println!("{:<38} {:>10}", "measure", "value");
    println!("{:<38} {registered:>10}", "tray registered after start");
    println!(
        "{:<38} {quiet:>10}",
        "start-up done (1 s without CPU) after"
    );
    println!(
        "{:<38} {:>7.2} MiB",
        "RSS idle, window never opened", idle.peak_rss_mib
    );
    println!(
        "{:<38} {:>7.2} MiB",
        "PSS idle, window never opened", idle.peak_pss_mib
    );
    println!(
        "{:<38} {:>7.2} s/min",
        "CPU idle, window never opened",
        idle.cpu_secs * 60.0 / idle_secs as f64
    );
    println!("{:<38} {:>7}", "processes idle", idle.processes);
    println!(
        "processes at the end: {}",
        proc_tree::describe(pid).join("; ")
    );
    match menu {
        Ok(menu) => println!("its menu when the idle window started:\n{menu}"),
        Err(e) => println!("its menu when the idle window started: unknown ({e:#})"),
    }
    Ok(())
}
