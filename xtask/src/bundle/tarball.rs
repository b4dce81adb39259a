//! The tarball: what the `.deb` installs under `usr/`, as `bin/` and `share/`, with
//! `install.sh` (into `~/.local`). Written with GNU tar, reproducibly (sorted, root-owned, the
//! changelog's date as every file's time, gzip without a timestamp).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{ensure, Context, Result};

use super::{Profile, PACKAGE};
use crate::process;

/// Every file's modification time in the tarball: 2026-12-01 12:00 UTC, the changelog's date.
const MTIME: &str = "@1796126400";

/// Writes `<out>/ccpulse-<version>-x86_64-linux.tar.gz` from the unpacked `.deb` in `deb_tree`.
pub fn write(
    deb_tree: &Path,
    profile: Profile,
    install_sh: &Path,
    version: &str,
    work: &Path,
    out: &Path,
) -> Result<PathBuf> {
    let name = format!("{PACKAGE}-{version}-x86_64-linux");
    let top = work.join(&name);
    let usr = deb_tree.join("usr");
    copy_tree(&usr.join("bin"), &top.join("bin"))?;
    for dir in ["applications", "icons", "metainfo"] {
        copy_tree(&usr.join("share").join(dir), &top.join("share").join(dir))?;
    }
    let doc = top.join("share/doc").join(PACKAGE);
    std::fs::create_dir_all(&doc)?;
    std::fs::copy(
        usr.join("share/doc").join(PACKAGE).join("copyright"),
        doc.join("copyright"),
    )
    .context("copying the copyright file")?;
    std::fs::copy(install_sh, top.join("install.sh"))
        .with_context(|| format!("copying {}", install_sh.display()))?;
    set_mode(&top.join("install.sh"), 0o755)?;

    let tarball = out.join(format!("{name}.tar.gz"));
    process::run(
        Command::new("tar")
            .args([
                "--sort=name",
                "--owner=0",
                "--group=0",
                "--numeric-owner",
                &format!("--mtime={MTIME}"),
                match profile {
                    Profile::Release => "--use-compress-program=gzip -9n",
                    Profile::Debug => "--use-compress-program=gzip -1n",
                },
                "-cf",
            ])
            .arg(&tarball)
            .arg("-C")
            .arg(work)
            .arg(&name),
    )
    .context("writing the tarball (GNU tar and gzip)")?;
    Ok(tarball)
}

/// Copies the files under `from` to the same places under `to`, keeping their modes.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    ensure!(from.is_dir(), "the .deb has no {}", from.display());
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("making {} mode {mode:o}", path.display()))
}

/// The Linux tarball carries Unix file modes, which only a Unix system can give its files.
#[cfg(not(unix))]
fn set_mode(path: &Path, _mode: u32) -> Result<()> {
    anyhow::bail!(
        "cannot give {} a Unix file mode: make the Linux packages on Linux",
        path.display()
    )
}
