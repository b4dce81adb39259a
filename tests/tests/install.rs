//! The `.deb` as a user meets it: installed with apt, the installed tray on a desktop and the
//! installed CLI against a loopback status page, then removed and purged, leaving only the user's
//! own config and state.
//!
//! It installs a package on this machine (as root, or with `sudo -n`), so the ordinary run leaves
//! it out; `cargo xtask test`'s "package install" step builds the debug package
//! (`cargo xtask bundle --debug`) and runs it, with the package's path in `CCPULSE_DEB`.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use ccpulse_tests::statuspage::TimelineServer;
use ccpulse_tests::wait::poll_until_async;
use ccpulse_tests::{Desktop, SniHost};
use serde_json::Value;

const T: Duration = Duration::from_secs(30);
const PACKAGE: &str = "ccpulse";
const TRAY: &str = "/usr/bin/ccpulse-tray";
const CLI: &str = "/usr/bin/ccpulse";
const DESKTOP_FILE: &str = "/usr/share/applications/ccpulse.desktop";
const METAINFO: &str = "/usr/share/metainfo/dev.ccpulse.tray.metainfo.xml";
const ICON_SIZES: [u32; 8] = [16, 24, 32, 48, 64, 128, 256, 512];
const GREEN: [u8; 3] = [0x2e, 0x9e, 0x5b];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the .deb: run by cargo xtask test's install step"]
async fn the_deb_installs_runs_and_is_removed_without_a_trace() -> Result<()> {
    let deb = deb_under_test();
    ensure!(
        !is_installed()?,
        "{PACKAGE} is installed on this machine already, and this test would remove it: \
         remove it first (sudo apt-get purge {PACKAGE})"
    );
    // Dropped last: whatever happens below, the package does not stay installed.
    let _purge = PurgeOnDrop;
    root_command("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .arg(&deb)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()?;
    ensure!(
        is_installed()?,
        "apt-get installed {} but dpkg does not say so",
        deb.display()
    );
    let installed = package_files()?;
    check_layout(&installed)?;
    check_depends()?;

    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    let command = desktop.tray_command_for(Path::new(TRAY), &server.uri(), "")?;
    let mut app = desktop.spawn("ccpulse-tray-installed", command)?;

    // The installed tray: its item, its tooltip, and the panel it serves from its embedded ui/.
    let item = host.wait_for_item(T).await?;
    item.wait_for_tooltip("Claude: operational", T).await?;
    let tip = item.tooltip().await?.context("no tooltip")?;
    assert_eq!(tip.title, "ccpulse");
    let exe = std::fs::read_link(format!("/proc/{}/exe", app.pid()))?;
    assert_eq!(
        exe,
        Path::new(TRAY),
        "the installed binary is the one running"
    );
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", app.pid()))?;
    assert!(
        !maps.contains("appindicator"),
        "the tray (ksni) must not load libappindicator: the package does not depend on it"
    );
    item.click_label("Open panel").await?;
    let window = desktop.wait_for_window("ccpulse", T)?;
    let shot = desktop.root().join("installed-panel.png");
    poll_until_async("the panel's operational green on screen", T, || async {
        desktop.screenshot_window(window, &shot)?;
        let green = pixels_near(&shot, GREEN, 12)?;
        ensure!(green > 50, "{green} green pixels in {}", shot.display());
        Ok(Some(()))
    })
    .await?;
    desktop.close_window(window)?;
    desktop.wait_for_window_gone(window, T)?;

    // The installed CLI reads the same page: now with an incident open.
    server.set_step(1);
    let status = installed_cli(&desktop, &server.uri(), &["status", "--json"])?;
    let service = &status["service"];
    assert_eq!(service["level"], "degraded", "{status:#}");
    assert_eq!(service["stale"], false, "{status:#}");
    assert_eq!(
        service["incidents"][0]["name"],
        "Elevated errors on Claude Opus 4.5"
    );
    assert_eq!(service["incidents"][0]["status"], "investigating");

    item.click_label("Quit ccpulse").await?;
    app.wait_for_exit(T)?;
    let user_files = files_under(desktop.root(), &["logs", "runtime"])?;
    for own in ["config/ccpulse/config.toml", "state/ccpulse"] {
        ensure!(
            user_files.iter().any(|f| f.starts_with(own)),
            "the tray left no {own} in the test home: {user_files:?}"
        );
    }

    // Removed, then purged: none of the package's files remain; the user's are untouched.
    root_command("apt-get")
        .args(["remove", "-y", PACKAGE])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()?;
    ensure!(
        !is_installed()?,
        "dpkg still has {PACKAGE} installed after the removal"
    );
    check_gone(&installed)?;
    // With no conffiles the removal leaves nothing for apt-get to purge (it would not know the
    // name any more): dpkg purges whatever is still recorded, and succeeds when nothing is.
    root_command("dpkg").args(["--purge", PACKAGE]).run()?;
    ensure!(
        !is_installed()?,
        "dpkg still knows {PACKAGE} after the purge"
    );
    let status = Command::new("dpkg-query")
        .args(["-W", "-f=${db:Status-Status}", PACKAGE])
        .output()?;
    let status = String::from_utf8_lossy(&status.stdout);
    ensure!(
        matches!(status.trim(), "" | "not-installed"),
        "dpkg says {PACKAGE} is {status:?} after the purge"
    );
    check_gone(&installed)?;
    ensure!(
        !Path::new("/usr/share/doc/ccpulse").exists(),
        "/usr/share/doc/ccpulse outlived the package"
    );
    assert_eq!(
        files_under(desktop.root(), &["logs", "runtime"])?,
        user_files,
        "removing the package changed the user's own files"
    );
    Ok(())
}

/// `$CCPULSE_DEB`, which must be there: this test never passes without its package.
#[track_caller]
fn deb_under_test() -> PathBuf {
    let deb = std::env::var_os("CCPULSE_DEB").map(PathBuf::from).expect(
        "CCPULSE_DEB is not set: this test installs the package built by `cargo xtask bundle \
         --debug`; run it with `cargo xtask test` (its package install step)",
    );
    assert!(
        deb.is_file(),
        "CCPULSE_DEB={} does not exist; build it with `cargo xtask bundle --debug`",
        deb.display()
    );
    std::path::absolute(&deb).expect("an absolute path")
}

/// The files (not folders) the package installed, as dpkg lists them.
fn package_files() -> Result<Vec<PathBuf>> {
    let out = Command::new("dpkg").args(["-L", PACKAGE]).output()?;
    ensure!(
        out.status.success(),
        "dpkg -L {PACKAGE} failed ({})",
        out.status
    );
    let files: Vec<PathBuf> = String::from_utf8(out.stdout)?
        .lines()
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .collect();
    ensure!(!files.is_empty(), "dpkg -L {PACKAGE} lists no files");
    Ok(files)
}

/// Both binaries, the desktop entry, an icon of every size and the metainfo, where dpkg says
/// they are, and what they say about each other.
fn check_layout(installed: &[PathBuf]) -> Result<()> {
    let mut expected: Vec<String> = [TRAY, CLI, DESKTOP_FILE, METAINFO]
        .into_iter()
        .map(String::from)
        .collect();
    expected.push("/usr/share/doc/ccpulse/copyright".into());
    expected.push("/usr/share/doc/ccpulse/changelog.gz".into());
    for size in ICON_SIZES {
        expected.push(format!(
            "/usr/share/icons/hicolor/{size}x{size}/apps/ccpulse-tray.png"
        ));
    }
    for path in &expected {
        ensure!(
            installed.iter().any(|p| p == Path::new(path)),
            "dpkg -L {PACKAGE} does not list {path}: {installed:?}"
        );
    }
    for size in ICON_SIZES {
        let path = format!("/usr/share/icons/hicolor/{size}x{size}/apps/ccpulse-tray.png");
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path)?));
        let info = decoder.read_info()?.info().clone();
        ensure!(
            (info.width, info.height) == (size, size),
            "{path} is {}x{}",
            info.width,
            info.height
        );
    }
    let desktop = std::fs::read_to_string(DESKTOP_FILE)?;
    for line in [
        "Exec=ccpulse-tray",
        "Icon=ccpulse-tray",
        "Type=Application",
        "Terminal=false",
    ] {
        ensure!(
            desktop.lines().any(|l| l == line),
            "{DESKTOP_FILE} has no `{line}`:\n{desktop}"
        );
    }
    for key in ["Categories=", "Comment=", "Keywords="] {
        ensure!(
            desktop
                .lines()
                .any(|l| l.starts_with(key) && l.len() > key.len()),
            "{DESKTOP_FILE} has no {key}:\n{desktop}"
        );
    }
    let metainfo = std::fs::read_to_string(METAINFO)?;
    for want in [
        "<id>dev.ccpulse.tray</id>",
        "<launchable type=\"desktop-id\">ccpulse.desktop</launchable>",
    ] {
        ensure!(metainfo.contains(want), "{METAINFO} has no {want}");
    }
    for bin in [TRAY, CLI] {
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(bin)?.permissions());
        ensure!(mode & 0o111 == 0o111, "{bin} is not executable ({mode:o})");
    }
    Ok(())
}

/// The run-time libraries are declared, and libappindicator (never loaded) is not.
fn check_depends() -> Result<()> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Depends}", PACKAGE])
        .output()?;
    let depends = String::from_utf8(out.stdout)?;
    for needed in ["libc6", "libwebkit2gtk-4.1-0", "libgtk-3-0"] {
        ensure!(
            depends
                .split(", ")
                .any(|d| d.split(' ').next() == Some(needed)),
            "Depends lacks {needed}: {depends}"
        );
    }
    ensure!(
        !depends.contains("appindicator"),
        "Depends names an appindicator library the tray never loads: {depends}"
    );
    Ok(())
}

fn check_gone(installed: &[PathBuf]) -> Result<()> {
    let left: Vec<&PathBuf> = installed.iter().filter(|p| p.exists()).collect();
    ensure!(left.is_empty(), "left behind by the package: {left:?}");
    Ok(())
}

/// `/usr/bin/ccpulse ARGS` on the desktop, with the tray's state dir, reading `status_url`;
/// its stdout as JSON.
fn installed_cli(desktop: &Desktop, status_url: &str, args: &[&str]) -> Result<Value> {
    let out = Command::new(CLI)
        .env_clear()
        .envs(desktop.env())
        .env("CCPULSE_STATE_DIR", desktop.state_home().join("ccpulse"))
        .env("CCPULSE_STATUS_URL", status_url)
        .env("CCPULSE_API_URL", "http://127.0.0.1:9")
        .args(args)
        .output()
        .with_context(|| format!("running {CLI}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.success(),
        "{CLI} {args:?} failed ({}): {stderr}",
        out.status
    );
    serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "{CLI} {args:?} printed no JSON: {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Every file under `root`, relative to it, except under the `skip` folders.
fn files_under(root: &Path, skip: &[&str]) -> Result<BTreeSet<PathBuf>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) -> Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                walk(root, &path, out)?;
            } else {
                out.insert(path.strip_prefix(root)?.to_path_buf());
            }
        }
        Ok(())
    }
    let mut files = BTreeSet::new();
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        let name = entry.file_name();
        if entry.file_type()?.is_dir() && !skip.iter().any(|s| name == *s) {
            walk(root, &entry.path(), &mut files)?;
        }
    }
    Ok(files)
}

/// Pixels within `tolerance` (per channel) of `rgb` in a PNG screenshot.
fn pixels_near(path: &Path, rgb: [u8; 3], tolerance: u8) -> Result<usize> {
    let mut decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path)?));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info()?;
    let mut buf = vec![0; reader.output_buffer_size().context("image too large")?];
    let info = reader.next_frame(&mut buf)?;
    let channels = info.color_type.samples();
    if channels < 3 {
        return Ok(0); // a capture without colour: not painted yet
    }
    Ok(buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| (0..3).all(|i| p[i].abs_diff(rgb[i]) <= tolerance))
        .count())
}

fn is_installed() -> Result<bool> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${db:Status-Status}", PACKAGE])
        .output()
        .context("running dpkg-query")?;
    Ok(out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "installed")
}

/// `program` as root: itself when the test runs as root, else through `sudo -n` (which fails
/// rather than asking for a password).
fn root_command(program: &str) -> RootCommand {
    let mut command = if rustix::process::getuid().is_root() {
        Command::new(program)
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", "--preserve-env=DEBIAN_FRONTEND", program]);
        sudo
    };
    command.env("DEBIAN_FRONTEND", "noninteractive");
    RootCommand(command)
}

struct RootCommand(Command);

impl RootCommand {
    fn args<S: AsRef<std::ffi::OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.0.args(args);
        self
    }

    fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Self {
        self.0.arg(arg);
        self
    }

    fn env(mut self, key: &str, value: &str) -> Self {
        self.0.env(key, value);
        self
    }

    /// Runs it to its end; fails with its output unless it succeeds.
    fn run(mut self) -> Result<()> {
        let described = format!("{:?}", self.0);
        let out = self
            .0
            .output()
            .with_context(|| format!("running {described}"))?;
        eprintln!(
            "$ {described}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            bail!("{described} failed ({})", out.status);
        }
        Ok(())
    }
}

/// Purges the package when dropped, if it is installed: a failing test leaves nothing installed.
struct PurgeOnDrop;

impl Drop for PurgeOnDrop {
    fn drop(&mut self) {
        if is_installed().unwrap_or(true) {
            eprintln!("install test: purging {PACKAGE} after a failure");
            if let Err(e) = root_command("dpkg").args(["--purge", PACKAGE]).run() {
                eprintln!("install test: could not purge {PACKAGE}: {e:#}");
            }
        }
    }
}
