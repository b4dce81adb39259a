//! `cargo xtask bundle [--debug]`: the Linux packages of ccpulse, the tray app
//! (`ccpulse-tray`) and the command line (`ccpulse`) together.
//!
//! Into `<target>/packages/release/` (`.../debug/` with `--debug`):
//! - `ccpulse_<version>_amd64.deb`: both binaries in `/usr/bin`, the desktop entry, hicolor
//!   icons 16..512, AppStream metainfo, copyright and changelog; run-time dependencies as
//!   `dpkg-shlibdeps` reads them off the binaries; checked by lintian (no errors allowed);
//! - `ccpulse-<version>-1.x86_64.rpm`: the same files;
//! - `ccpulse-<version>-x86_64-linux.tar.gz`: the same files under `bin/` and `share/`, with
//!   `install.sh` to install them into `~/.local` (and `--uninstall`).
//!
//! The `.deb` and `.rpm` come from Tauri's own bundler, run as the prebuilt npm package
//! `@tauri-apps/cli` ([`TAURI_CLI`], pinned to the `tauri` crate's version) through `npx`: it is
//! the ecosystem's bundler, driven by `src-tauri/tauri.conf.json`'s `bundle` section, installs in
//! seconds (`cargo install tauri-cli` compiles for ~11 minutes), needs no network once cached,
//! and writes an `.rpm` natively (no `rpmbuild`). What it cannot do is done here, after it:
//! - icons: it copies the PNGs it is given, so the sizes are made here from `icons/icon.png`;
//! - the CLI binary and the icons live in the target dir: their paths go in with `--config`;
//! - its `Depends:` is fixed (webkit, gtk, and libayatana-appindicator whenever tauri's
//!   `tray-icon` feature is on, although ccpulse's tray speaks StatusNotifierItem itself, ksni,
//!   and never loads it), so the `.deb`'s control file is rewritten with `dpkg-shlibdeps`'
//!   answer (the `.rpm` gets the binaries' sonames added to the bundler's);
//! - the tarball is not a bundler target.
//!
//! `--debug` packages the dev-profile binaries that `cargo xtask test`'s "build binaries" step
//! built (the same `cargo build`, so nothing is compiled again): a debug build of the tray embeds
//! `ui/` and serves it like a release one. It is what the suite's install test installs. The
//! release build (fat LTO) takes 10-15 minutes from cold on 2 cores.

mod deb;
mod icons;
mod tarball;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};

use crate::{apt, process, workspace};

/// The Tauri CLI that bundles: the npm package, pinned. Keep it at the `tauri` crate's version
/// in Cargo.lock.
pub const TAURI_CLI: &str = "@tauri-apps/cli@2.12.5";

/// The package name, the Debian and RPM one (from `productName` in tauri.conf.json).
pub const PACKAGE: &str = "ccpulse";

/// The hicolor sizes the packages carry.
pub const ICON_SIZES: [u32; 8] = [16, 24, 32, 48, 64, 128, 256, 512];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Profile {
    Release,
    Debug,
}

impl Profile {
    /// The folder cargo writes this profile's binaries to.
    fn dir(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Debug => "debug",
        }
    }
}

/// What [`build`] made.
pub struct Packages {
    pub deb: PathBuf,
    pub rpm: PathBuf,
    pub tarball: PathBuf,
}

/// `cargo xtask bundle [--debug]`.
pub fn bundle(args: &[String]) -> Result<ExitCode> {
    let profile = match args {
        [] => Profile::Release,
        [flag] if flag == "--debug" => Profile::Debug,
        _ => {
            eprintln!("xtask: `bundle` accepts only --debug\n");
            return Ok(ExitCode::from(2));
        }
    };
    build(profile, true)?;
    Ok(ExitCode::SUCCESS)
}

/// Builds the binaries of `profile` (a no-op when they are up to date) and packages them. With
/// `install_system_packages`, missing system packages are installed first; without, they are
/// only required.
pub fn build(profile: Profile, install_system_packages: bool) -> Result<Packages> {
    let started = Instant::now();
    let mut packages: Vec<&str> = apt::TRAY.to_vec();
    packages.extend(apt::PACKAGING);
    let purpose = "to build and check the packages";
    if install_system_packages {
        apt::ensure(&packages, purpose)?;
        apt::ensure_node("to run Tauri's bundler (npx)")?;
    } else {
        apt::require(&packages, purpose)?;
        ensure!(
            apt::has_node(),
            "node and npm are needed to run Tauri's bundler (npx): cargo xtask deps"
        );
    }

    let metadata = workspace::members()?;
    let root = PathBuf::from(
        metadata["workspace_root"]
            .as_str()
            .context("`cargo metadata` has no workspace_root")?,
    );
    let target = workspace::target_dir()?;
    let version = check_versions(&root, &metadata)?;
    build_binaries(profile)?;
    let bin_dir = target.join(profile.dir());
    let tray = bin_dir.join("ccpulse-tray");
    let cli = bin_dir.join("ccpulse");
    for bin in [&tray, &cli] {
        ensure!(bin.is_file(), "the build left no {}", bin.display());
    }

    let out = target.join("packages").join(profile.dir());
    let stage = target.join("bundle-stage").join(profile.dir());
    for dir in [&out, &stage] {
        if dir.exists() {
            std::fs::remove_dir_all(dir).with_context(|| format!("emptying {}", dir.display()))?;
        }
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }

    let icons = icons::write_sizes(&root.join("icons/icon.png"), &stage.join("icons"))?;
    let requires = deb::rpm_requires(&[&tray, &cli])?;
    let bundler_out = tauri_bundle(&root, &target, &stage, profile, &cli, &icons, &requires)?;

    let deb_name = format!("{PACKAGE}_{version}_amd64.deb");
    let deb = out.join(&deb_name);
    let depends = deb::shlib_depends(&stage, &[&tray, &cli])?;
    let data = deb::repack(
        &bundler_out.join("deb").join(&deb_name),
        &depends,
        profile,
        &stage.join("deb"),
        &deb,
    )?;

    validate(&data)?;

    let rpm_name = format!("{PACKAGE}-{version}-1.x86_64.rpm");
    let rpm = out.join(&rpm_name);
    std::fs::copy(bundler_out.join("rpm").join(&rpm_name), &rpm)
        .with_context(|| format!("copying the bundler's {rpm_name}"))?;

    let tarball = tarball::write(
        &data,
        profile,
        &root.join("packaging/install.sh"),
        &version,
        &stage.join("tarball"),
        &out,
    )?;

    deb::lintian(&deb, profile)?;

    let packages = Packages { deb, rpm, tarball };
    packages.print(profile, started.elapsed().as_secs_f64())?;
    Ok(packages)
}

impl Packages {
    fn print(&self, profile: Profile, seconds: f64) -> Result<()> {
        println!(
            "\nPackages ({} profile, made in {seconds:.0} s):",
            profile.dir()
        );
        for path in [&self.deb, &self.rpm, &self.tarball] {
            let size = std::fs::metadata(path)?.len();
            println!(
                "  {:>6.1} MiB  {}",
                size as f64 / (1024.0 * 1024.0),
                path.display()
            );
        }
        Ok(())
    }
}

/// Builds the tray app and the CLI with `profile`: what the end-to-end tests run (`cargo xtask
/// test`'s "build binaries" step) with the dev profile, and what is shipped with the release one
/// (the page compiled in: `custom-protocol`).
pub fn build_binaries(profile: Profile) -> Result<()> {
    let mut command = process::cargo();
    command.args(["build", "-p", "ccpulse-tray", "-p", "ccpulse-cli"]);
    if profile == Profile::Release {
        command.args(["--release", "--features", "ccpulse-tray/custom-protocol"]);
    }
    process::run(&mut command)
}

/// The version every package carries: tauri.conf.json's, which must be the workspace's and the
/// top entry of `packaging/changelog` (and the metainfo's newest release).
fn check_versions(root: &Path, metadata: &Value) -> Result<String> {
    let conf_path = root.join("src-tauri/tauri.conf.json");
    let conf: Value = serde_json::from_str(&std::fs::read_to_string(&conf_path)?)
        .with_context(|| format!("reading {}", conf_path.display()))?;
    let version = conf["version"]
        .as_str()
        .with_context(|| format!("{} has no version", conf_path.display()))?
        .to_string();
    let cargo = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "ccpulse-tray")
        .and_then(|p| p["version"].as_str())
        .context("`cargo metadata` lists no ccpulse-tray with a version")?;
    ensure!(
        cargo == version,
        "ccpulse-tray is version {cargo} in Cargo.toml but {version} in {}: make them the same",
        conf_path.display()
    );
    let changelog = std::fs::read_to_string(root.join("packaging/changelog"))?;
    let head = format!("{PACKAGE} ({version})");
    ensure!(
        changelog.starts_with(&head),
        "packaging/changelog must start with an entry for {version} (`{head} unstable; ...`): \
         add one for this release"
    );
    let metainfo = std::fs::read_to_string(root.join("packaging/dev.ccpulse.tray.metainfo.xml"))?;
    ensure!(
        metainfo.contains(&format!("<release version=\"{version}\"")),
        "packaging/dev.ccpulse.tray.metainfo.xml has no <release version=\"{version}\">: add it"
    );
    Ok(version)
}

/// The desktop entry and the metainfo as the package installs them, checked by their
/// specifications' validators.
fn validate(deb_tree: &Path) -> Result<()> {
    let share = deb_tree.join("usr/share");
    process::run(
        Command::new("desktop-file-validate")
            .arg(share.join(format!("applications/{PACKAGE}.desktop"))),
    )
    .context("the desktop entry is not valid (packaging/ccpulse.desktop)")?;
    process::run(
        Command::new("appstreamcli")
            .args(["validate", "--no-net"])
            .arg(share.join("metainfo/dev.ccpulse.tray.metainfo.xml")),
    )
    .context("the AppStream metainfo is not valid (packaging/dev.ccpulse.tray.metainfo.xml)")
}

/// Runs Tauri's bundler for the `.deb` and the `.rpm`; returns the folder it wrote them to
/// (`<target>/<profile>/bundle`).
fn tauri_bundle(
    root: &Path,
    target: &Path,
    stage: &Path,
    profile: Profile,
    cli: &Path,
    icons: &[PathBuf],
    rpm_requires: &[String],
) -> Result<PathBuf> {
    let bundler_out = target.join(profile.dir()).join("bundle");
    if bundler_out.exists() {
        std::fs::remove_dir_all(&bundler_out)?;
    }
    // What varies by target dir and profile; the rest is in tauri.conf.json.
    let cli = cli.to_string_lossy();
    let overrides = json!({
        "bundle": {
            "icon": icons,
            "linux": {
                "deb": { "files": { "/usr/bin/ccpulse": cli } },
                "rpm": {
                    "files": { "/usr/bin/ccpulse": cli },
                    "depends": rpm_requires,
                },
            },
        },
    });
    let config = stage.join("tauri.bundle.json");
    std::fs::write(&config, serde_json::to_string_pretty(&overrides)?)?;
    let mut command = Command::new("npx");
    command
        .current_dir(root)
        .args(["--yes", TAURI_CLI, "bundle", "--ci", "--bundles", "deb,rpm"])
        // Binary patching only records the bundle type for Tauri's updater, which ccpulse does
        // not use; without it the binary packaged is byte for byte the one cargo built (and the
        // one the tests ran).
        .arg("--no-binary-patching")
        .arg("--config")
        .arg(&config)
        .env("CARGO_TARGET_DIR", target);
    if profile == Profile::Debug {
        command.arg("--debug");
    }
    process::run(&mut command).context(
        "Tauri's bundler failed (it needs node and npm, and the npm registry or npm's cache)",
    )?;
    if !bundler_out.is_dir() {
        bail!(
            "Tauri's bundler ran but wrote nothing to {}",
            bundler_out.display()
        );
    }
    Ok(bundler_out)
}
