//! The `.deb` after Tauri's bundler: its dependencies as the binaries need them, lintian.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};

use super::{Profile, PACKAGE};
use crate::process;

/// Sonames Tauri's bundler already requires in the `.rpm`.
const RPM_BUNDLER_REQUIRES: [&str; 2] = ["libwebkit2gtk-4.1.so.0", "libgtk-3.so.0"];

/// The `Depends:` of `binaries`, from `dpkg-shlibdeps` (the libraries they link, the packages
/// that hold them and the lowest versions with the symbols they use).
pub fn shlib_depends(stage: &Path, binaries: &[&Path]) -> Result<String> {
    // dpkg-shlibdeps reads the package's name and architecture from debian/control.
    let dir = stage.join("shlibdeps");
    std::fs::create_dir_all(dir.join("debian"))?;
    std::fs::write(
        dir.join("debian/control"),
        format!("Source: {PACKAGE}\n\nPackage: {PACKAGE}\nArchitecture: any\n"),
    )?;
    let mut command = Command::new("dpkg-shlibdeps");
    command.current_dir(&dir).arg("-O");
    for binary in binaries {
        command.arg(format!("-e{}", binary.display()));
    }
    let output = command
        .output()
        .context("running dpkg-shlibdeps (package dpkg-dev)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "dpkg-shlibdeps failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let depends = stdout
        .lines()
        .find_map(|line| line.strip_prefix("shlibs:Depends="))
        .with_context(|| format!("dpkg-shlibdeps printed no shlibs:Depends: {stdout}"))?
        .trim()
        .to_string();
    for needed in ["libc6", "libwebkit2gtk-4.1-0", "libgtk-3-0"] {
        ensure!(
            depends
                .split(", ")
                .any(|d| d.split(' ').next() == Some(needed)),
            "dpkg-shlibdeps found no {needed} among the binaries' dependencies: {depends}"
        );
    }
    Ok(depends)
}

/// The `.rpm`'s extra `Requires:`: every shared library the binaries link (`NEEDED`), as rpm's
/// own dependency generator words them, less those the bundler adds itself.
pub fn rpm_requires(binaries: &[&Path]) -> Result<Vec<String>> {
    let mut sonames: Vec<String> = Vec::new();
    for binary in binaries {
        let output = Command::new("objdump")
            .arg("-p")
            .arg(binary)
            .output()
            .context("running objdump -p (package binutils)")?;
        ensure!(
            output.status.success(),
            "objdump -p {} failed ({})",
            binary.display(),
            output.status
        );
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let mut words = line.split_whitespace();
            if words.next() == Some("NEEDED") {
                if let Some(soname) = words.next() {
                    sonames.push(soname.to_string());
                }
            }
        }
    }
    sonames.sort();
    sonames.dedup();
    Ok(sonames
        .into_iter()
        .filter(|s| !RPM_BUNDLER_REQUIRES.contains(&s.as_str()))
        .map(|s| format!("{s}()(64bit)"))
        .collect())
}

/// Unpacks the bundler's `.deb`, sets its `Depends:` to `depends`, and packs it again as `out`
/// (xz for a release, a quick gzip for a debug package). Returns the unpacked tree (its `usr/`
/// is what the package installs).
pub fn repack(
    bundled: &Path,
    depends: &str,
    profile: Profile,
    work: &Path,
    out: &Path,
) -> Result<PathBuf> {
    ensure!(
        bundled.is_file(),
        "Tauri's bundler wrote no {}",
        bundled.display()
    );
    let tree = work.join("tree");
    std::fs::create_dir_all(work)?;
    process::run(Command::new("dpkg-deb").arg("-R").arg(bundled).arg(&tree))?;
    let control_path = tree.join("DEBIAN/control");
    let control = std::fs::read_to_string(&control_path)?;
    let mut replaced = false;
    let lines: Vec<String> = control
        .lines()
        .map(|line| {
            if line.starts_with("Depends:") {
                replaced = true;
                format!("Depends: {depends}")
            } else {
                line.to_string()
            }
        })
        .collect();
    ensure!(
        replaced,
        "the bundler's control file has no Depends line:\n{control}"
    );
    std::fs::write(&control_path, lines.join("\n") + "\n")?;
    process::run(
        Command::new("dpkg-deb")
            .arg("--root-owner-group")
            .args(match profile {
                Profile::Release => ["-Zxz", "-z6"],
                Profile::Debug => ["-Zgzip", "-z1"],
            })
            .arg("--build")
            .arg(&tree)
            .arg(out),
    )?;
    Ok(tree)
}

/// Tags lintian may report on a `--debug` package: its binaries keep their symbol tables (the
/// dev profile does not strip), and are large.
const DEBUG_ONLY_TAGS: &str = "unstripped-binary-or-object";

/// Lintian on `deb`: fails on any error (a release package must have none; a debug one none but
/// its unstripped binaries). Its findings are printed.
pub fn lintian(deb: &Path, profile: Profile) -> Result<()> {
    let mut command = Command::new("lintian");
    command.args(["--fail-on", "error", "--tag-display-limit", "0"]);
    if profile == Profile::Debug {
        command.args(["--suppress-tags", DEBUG_ONLY_TAGS]);
    }
    command.arg(deb);
    process::run(&mut command).with_context(|| {
        format!(
            "lintian reports errors in {} (above); fix the packaging",
            deb.display()
        )
    })
}
