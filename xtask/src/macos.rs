//! `cargo xtask check-macos`: type-checks ccpulse-core, ccpulse-sources and ccpulse-cli (all
//! their targets, tests included) for aarch64-apple-darwin and x86_64-apple-darwin, from Linux
//! and without Apple's SDK.
//!
//! Only one dependency needs anything from a C toolchain for these targets: `ring` (the crypto
//! under rustls, which reqwest uses in ccpulse-sources) compiles its C and assembly in its build
//! script, even for `cargo check`. Debian's clang compiles it to Mach-O objects; what it lacks is
//! the SDK's headers. ring's C asks a libc only for `string.h` and `assert.h`, and ring has its
//! own switch to do without them (`RING_CORE_NOSTDLIBINC`, meant for targets without a sysroot).
//! From the SDK it asks only `TargetConditionals.h`, for `TARGET_OS_OSX` and `TARGET_OS_IPHONE`.
//!
//! So this writes a stand-in `TargetConditionals.h` under the target dir that only defines the
//! `TARGET_OS_*` macros as they are on macOS, and compiles ring's C freestanding against it.
//! The objects are never linked (a check makes no binary): this proves that the Rust code
//! type-checks for macOS, not that anything builds, links or runs there.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::{apt, process, workspace};

/// The Rust targets checked, in order.
pub const TARGETS: &[&str] = &["aarch64-apple-darwin", "x86_64-apple-darwin"];

/// The workspace packages checked (the tray app needs the real SDK; the tests crate is Linux-only).
pub const PACKAGES: &[&str] = &["ccpulse-core", "ccpulse-sources", "ccpulse-cli"];

/// Directory, under the target dir, that holds the stand-in header.
const STAND_IN_DIR: &str = "apple-sdk-stand-in";

/// A stand-in for the SDK's `TargetConditionals.h`: only the `TARGET_OS_*` macros, as on macOS.
const TARGET_CONDITIONALS: &str = "\
/* Stand-in for the Apple SDK's TargetConditionals.h, written by `cargo xtask check-macos`.
 * Only the TARGET_OS_* macros, with their macOS values, so that ring's C compiles for a
 * type check on Linux. The objects it yields are never linked. */
#ifndef CCPULSE_TARGET_CONDITIONALS_STAND_IN_H
#define CCPULSE_TARGET_CONDITIONALS_STAND_IN_H
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#define TARGET_OS_MACCATALYST 0
#define TARGET_OS_TV 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_VISION 0
#define TARGET_OS_SIMULATOR 0
#define TARGET_OS_EMBEDDED 0
#endif
";

/// `cargo xtask check-macos`.
pub fn check() -> Result<()> {
    let started = Instant::now();
    ensure_targets()?;
    apt::ensure(&["clang"], "to compile ring's C for the macOS targets")?;
    let include = write_stand_in(&workspace::target_dir()?)?;
    let mut timings = Vec::new();
    for target in TARGETS {
        let target_started = Instant::now();
        let mut command = process::cargo();
        command
            .args(check_args(target))
            .envs(cc_env(target, &include)?);
        process::run(&mut command)?;
        timings.push((target, target_started.elapsed().as_secs_f64()));
    }
    println!(
        "macOS check passed: {} (all targets) type-check for:",
        PACKAGES.join(", ")
    );
    for (target, seconds) in timings {
        println!("  {target} ({seconds:.1}s)");
    }
    println!(
        "ring's C was compiled by clang against a stand-in TargetConditionals.h ({}) and not \
         linked; the tray app (src-tauri) is not checked here. Total {:.1}s.",
        include.join("TargetConditionals.h").display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Adds whichever of [`TARGETS`] rustup does not have yet.
fn ensure_targets() -> Result<()> {
    let output = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context(
            "could not start `rustup target list --installed` (the macOS check needs rustup)",
        )?;
    if !output.status.success() {
        bail!(
            "`rustup target list --installed` failed ({})",
            output.status
        );
    }
    let missing = missing_targets(&String::from_utf8_lossy(&output.stdout));
    if missing.is_empty() {
        return Ok(());
    }
    process::run(
        Command::new("rustup")
            .args(["target", "add"])
            .args(&missing),
    )
}

/// The [`TARGETS`] absent from `rustup target list --installed` output.
fn missing_targets(installed: &str) -> Vec<&'static str> {
    TARGETS
        .iter()
        .copied()
        .filter(|target| !installed.lines().any(|line| line.trim() == *target))
        .collect()
}

/// Writes the stand-in header (when it differs) and returns the directory holding it.
fn write_stand_in(target_dir: &Path) -> Result<PathBuf> {
    let dir = target_dir.join(STAND_IN_DIR);
    let header = dir.join("TargetConditionals.h");
    if fs::read_to_string(&header).is_ok_and(|text| text == TARGET_CONDITIONALS) {
        return Ok(dir);
    }
    fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    fs::write(&header, TARGET_CONDITIONALS)
        .with_context(|| format!("could not write {}", header.display()))?;
    Ok(dir)
}

/// `cargo` arguments that check [`PACKAGES`] for `target`.
fn check_args(target: &str) -> Vec<String> {
    let mut args = vec![
        "check".to_owned(),
        "--target".to_owned(),
        target.to_owned(),
        "--all-targets".to_owned(),
    ];
    for package in PACKAGES {
        args.push("-p".to_owned());
        args.push((*package).to_owned());
    }
    args
}

/// The cc-rs variables for `target` (they apply to that target's C only, not the host's):
/// clang as the compiler, freestanding (no libc headers: ring's own switch replaces the two it
/// uses; clang's own headers such as `stdint.h` and `immintrin.h` stay), the stand-in header dir.
fn cc_env(target: &str, include: &Path) -> Result<Vec<(String, String)>> {
    let include = include
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", include.display()))?;
    // cc-rs splits CFLAGS at whitespace.
    if include.contains(char::is_whitespace) {
        bail!("the target dir path has whitespace, which cc-rs would split in CFLAGS: {include}");
    }
    let suffix = target.replace('-', "_");
    Ok(vec![
        (format!("CC_{suffix}"), "clang".to_owned()),
        (
            format!("CFLAGS_{suffix}"),
            format!("-ffreestanding -nostdlibinc -isystem {include} -DRING_CORE_NOSTDLIBINC=1"),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_targets_are_those_rustup_does_not_list() {
        let installed = "x86_64-unknown-linux-gnu\naarch64-apple-darwin\n";
        assert_eq!(missing_targets(installed), ["x86_64-apple-darwin"]);
        assert!(missing_targets("aarch64-apple-darwin\nx86_64-apple-darwin\n").is_empty());
        assert_eq!(missing_targets(""), TARGETS);
        // A longer name that merely starts with a target is not that target.
        assert_eq!(
            missing_targets("aarch64-apple-darwin-foo\nx86_64-apple-darwin\n"),
            ["aarch64-apple-darwin"]
        );
    }

    #[test]
    fn check_args_name_the_target_and_every_package() {
        assert_eq!(
            check_args("x86_64-apple-darwin").join(" "),
            "check --target x86_64-apple-darwin --all-targets \
             -p ccpulse-core -p ccpulse-sources -p ccpulse-cli"
        );
    }

    #[test]
    fn cc_env_is_per_target_and_points_at_the_stand_in() {
        let env = cc_env("aarch64-apple-darwin", Path::new("/t/apple-sdk-stand-in")).unwrap();
        assert_eq!(
            env,
            [
                ("CC_aarch64_apple_darwin".to_owned(), "clang".to_owned()),
                (
                    "CFLAGS_aarch64_apple_darwin".to_owned(),
                    "-ffreestanding -nostdlibinc -isystem /t/apple-sdk-stand-in \
                     -DRING_CORE_NOSTDLIBINC=1"
                        .to_owned()
                ),
            ]
        );
    }

    #[test]
    fn cc_env_refuses_a_path_cc_would_split() {
        let err = cc_env("x86_64-apple-darwin", Path::new("/my target/x")).unwrap_err();
        assert!(err.to_string().contains("whitespace"), "{err}");
    }

    #[test]
    fn stand_in_header_defines_macos_and_nothing_but_macros() {
        assert!(TARGET_CONDITIONALS.contains("#define TARGET_OS_OSX 1"));
        assert!(TARGET_CONDITIONALS.contains("#define TARGET_OS_IPHONE 0"));
        for line in TARGET_CONDITIONALS.lines() {
            let line = line.trim_start();
            assert!(
                line.is_empty()
                    || line.starts_with("/*")
                    || line.starts_with('*')
                    || line.starts_with("#define ")
                    || line.starts_with("#ifndef ")
                    || line == "#endif",
                "unexpected line in the stand-in header: {line}"
            );
        }
    }

    #[test]
    fn stand_in_is_written_once_and_rewritten_when_changed() {
        let dir = std::env::temp_dir().join(format!("xtask-macos-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let include = write_stand_in(&dir).unwrap();
        let header = include.join("TargetConditionals.h");
        assert_eq!(fs::read_to_string(&header).unwrap(), TARGET_CONDITIONALS);
        fs::write(&header, "stale").unwrap();
        write_stand_in(&dir).unwrap();
        assert_eq!(fs::read_to_string(&header).unwrap(), TARGET_CONDITIONALS);
        fs::remove_dir_all(&dir).unwrap();
    }
}
