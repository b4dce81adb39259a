//! System packages (Debian names), installed with apt-get when it is available.

use std::env;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use crate::process;

/// Needed to build the CLI.
pub const CLI: &[&str] = &["build-essential", "pkg-config"];

/// Needed to build the Tauri tray app.
pub const TRAY: &[&str] = &[
    "build-essential",
    "pkg-config",
    "file",
    "libssl-dev",
    "libdbus-1-dev",
    "libwebkit2gtk-4.1-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libxdo-dev",
];

/// Needed by the end-to-end tests (headless X, notifications, screenshots, WebDriver).
pub const E2E: &[&str] = &[
    "dbus",
    "dbus-x11",
    "xvfb",
    "xauth",
    "dunst",
    "libnotify-bin",
    "imagemagick",
    "xdotool",
    "x11-utils",
    "webkit2gtk-driver",
    // `ip`, to bring up loopback in the network namespace the real Claude Code runs in.
    "iproute2",
];

/// Needed by `cargo xtask bundle` besides [`TRAY`] (and by the suite's package install step):
/// `dpkg-shlibdeps` (dpkg-dev) and `objdump` (binutils) read the binaries' libraries, lintian
/// checks the `.deb`, `appstreamcli` the metainfo, `desktop-file-validate` the desktop entry.
/// Tauri's bundler itself comes from npm (see `bundle::TAURI_CLI`) and writes the `.rpm` alone.
pub const PACKAGING: &[&str] = &[
    "dpkg-dev",
    "binutils",
    "lintian",
    "appstream",
    "desktop-file-utils",
];

/// Needed by `cargo xtask windows` (a step of the suite): Debian's mingw-w64 C toolchain (the
/// linker Rust's windows-gnu target calls) and Wine.
pub const WINDOWS: &[&str] = &["gcc-mingw-w64-x86-64", "wine", "wine64"];

/// Why [`WINDOWS`] are needed.
pub const WINDOWS_PURPOSE: &str = "to cross-build for Windows and run the result under Wine";

/// Node.js and npm, to install Claude Code (the real client some end-to-end tests run).
/// Installed only when `node` or `npm` is not on PATH: a Node.js from elsewhere (NodeSource's
/// `nodejs` package, which has npm in it, for one) is used as it is.
pub const NODE: &[&str] = &["nodejs", "npm"];

/// Installs whichever of `packages` are missing. `purpose` completes
/// "packages needed ..." (e.g. "to build the tray app").
///
/// Without apt-get it only tells the user what to install and returns Ok,
/// so the build can still be attempted.
pub fn ensure(packages: &[&str], purpose: &str) -> Result<()> {
    if !has_apt() {
        print_manual_install_hint(packages, purpose);
        return Ok(());
    }
    let missing = missing(packages)?;
    if missing.is_empty() {
        println!("System packages needed {purpose} are already installed.");
        return Ok(());
    }
    println!(
        "Installing {} missing system package(s) needed {purpose}: {}",
        missing.len(),
        missing.join(" ")
    );
    apt_get(&["update"])?;
    let mut install_args = vec!["install", "-y", "--no-install-recommends"];
    install_args.extend(missing.iter().copied());
    apt_get(&install_args)
}

/// Fails, naming them, when any of `packages` is missing (where apt can tell); installs nothing.
pub fn require(packages: &[&str], purpose: &str) -> Result<()> {
    if !has_apt() {
        return Ok(());
    }
    let missing = missing(packages)?;
    anyhow::ensure!(
        missing.is_empty(),
        "system packages needed {purpose} are missing: {} (install them: cargo xtask deps)",
        missing.join(" ")
    );
    Ok(())
}

/// `cargo xtask deps`: everything `cargo xtask test` needs.
pub fn install_all() -> Result<()> {
    ensure(
        &tray_and_e2e(),
        "to build the tray app and run the end-to-end tests",
    )?;
    ensure(PACKAGING, "to build and check the packages")?;
    ensure(WINDOWS, WINDOWS_PURPOSE)?;
    ensure_node("to install Claude Code for the end-to-end tests")
}

/// Installs [`NODE`] unless `node` and `npm` are both on PATH already.
pub fn ensure_node(purpose: &str) -> Result<()> {
    if has_node() {
        println!("node and npm, needed {purpose}, are on PATH.");
        return Ok(());
    }
    ensure(NODE, purpose)
}

/// Whether `node` and `npm` are on PATH.
pub fn has_node() -> bool {
    on_path("node") && on_path("npm")
}

/// `cargo xtask deps --dry-run`: the missing packages of each set, installing nothing.
pub fn print_missing() -> Result<()> {
    let sets = [
        ("cli", CLI),
        ("tray", TRAY),
        ("e2e", E2E),
        ("packaging", PACKAGING),
        ("windows", WINDOWS),
    ];
    if !has_apt() {
        println!("apt-get/dpkg-query not found; cannot tell what is installed.");
        for (name, packages) in sets {
            println!("{name}: needs {}", packages.join(" "));
        }
        return Ok(());
    }
    for (name, packages) in sets {
        let missing = missing(packages)?;
        if missing.is_empty() {
            println!("{name}: all {} installed", packages.len());
        } else {
            println!("{name}: missing {}", missing.join(" "));
        }
    }
    if has_node() {
        println!("node: node and npm are on PATH");
    } else {
        println!(
            "node: node or npm not on PATH; would install {}",
            NODE.join(" ")
        );
    }
    Ok(())
}

/// The tray set followed by the end-to-end set.
pub fn tray_and_e2e() -> Vec<&'static str> {
    TRAY.iter().chain(E2E).copied().collect()
}

fn has_apt() -> bool {
    on_path("apt-get") && on_path("dpkg-query")
}

fn on_path(program: &str) -> bool {
    env::var_os("PATH")
        .is_some_and(|path| env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

fn print_manual_install_hint(packages: &[&str], purpose: &str) {
    println!(
        "apt-get not found, so xtask cannot install system packages here. \
         These Debian packages are needed {purpose}; install your system's \
         equivalents yourself: {}",
        packages.join(" ")
    );
    println!("Trying to build anyway.");
}

fn missing<'a>(packages: &[&'a str]) -> Result<Vec<&'a str>> {
    let mut missing = Vec::new();
    for &package in packages {
        if !is_installed(package)? {
            missing.push(package);
        }
    }
    Ok(missing)
}

fn is_installed(package: &str) -> Result<bool> {
    let output = Command::new("dpkg-query")
        .args(["-W", "-f=${db:Status-Status}", package])
        .stderr(Stdio::null())
        .output()
        .with_context(|| format!("could not start `dpkg-query -W {package}`"))?;
    // dpkg-query exits non-zero for packages it has never heard of: not installed.
    Ok(output.status.success() && String::from_utf8_lossy(&output.stdout).trim() == "installed")
}

/// `apt-get ARGS`, non-interactive, through sudo when not root.
fn apt_get(args: &[&str]) -> Result<()> {
    let mut command = if is_root()? {
        let mut command = Command::new("apt-get");
        command.env("DEBIAN_FRONTEND", "noninteractive");
        command
    } else {
        let mut command = Command::new("sudo");
        if crate::is_ci() {
            command.arg("-n"); // fail instead of asking for a password
        }
        command.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
        command
    };
    command.args(args);
    process::run(&mut command)
}

fn is_root() -> Result<bool> {
    let output = Command::new("id")
        .arg("-u")
        .output()
        .context("could not start `id -u`")?;
    Ok(String::from_utf8_lossy(&output.stdout).trim() == "0")
}
