//! On Windows, with no transcripts where ccpulse looks: whether Claude Code runs inside WSL
//! instead, its folder then being `\\wsl.localhost\<distro>\home\<user>\.claude` (or under
//! `\\wsl$\`, the older name of the same share). The distributions come from the registry
//! (`HKCU\Software\Microsoft\Windows\CurrentVersion\Lxss`, each subkey's `DistributionName`):
//! no `wsl.exe` to start, no console window, no UTF-16 output to decode.
//!
//! Elsewhere the check does not appear: [`distros`] finds none, and on Linux inside WSL
//! Claude Code's folder is the ordinary `~/.claude`.

use std::path::{Path, PathBuf};

use super::{named, Check, Verdict};

/// The shares Windows shows WSL's file systems under, newest name first.
pub const WSL_SHARES: [&str; 2] = [r"\\wsl.localhost", r"\\wsl$"];

/// The names of the WSL distributions registered for this user.
#[cfg(windows)]
pub fn distros() -> Vec<String> {
    let Ok(lxss) =
        windows_registry::CURRENT_USER.open(r"Software\Microsoft\Windows\CurrentVersion\Lxss")
    else {
        return Vec::new();
    };
    let Ok(keys) = lxss.keys() else {
        return Vec::new();
    };
    keys.filter_map(|k| lxss.open(&k).ok()?.get_string("DistributionName").ok())
        .filter(|n| !n.trim().is_empty())
        .collect()
}

/// None outside Windows (see the module's comment).
#[cfg(not(windows))]
pub fn distros() -> Vec<String> {
    Vec::new()
}

/// The `.claude` folders of the users of each distribution: under the first of `shares` that
/// shows the distribution's `home` (looking starts a stopped distribution, so this runs only
/// when there are no transcripts). `children` lists a folder (the file system, in the product).
pub fn claude_dirs(
    shares: &[PathBuf],
    distros: &[String],
    children: &dyn Fn(&Path) -> Vec<PathBuf>,
) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for distro in distros {
        for share in shares {
            let root = share.join(distro);
            let homes = children(&root.join("home"));
            if homes.is_empty() {
                continue;
            }
            let users = homes.into_iter().chain([root.join("root")]);
            found.extend(
                users
                    .map(|home| home.join(".claude"))
                    .filter(|d| children(d.parent().unwrap_or(d)).contains(d)),
            );
            break;
        }
    }
    found
}

/// The folders a folder holds (none when it cannot be read).
pub fn folders(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs
}

/// The advice when Windows has no transcripts and WSL has Claude Code's folder; `None` when
/// no distribution has one.
pub fn wsl_claude(dirs: &[PathBuf]) -> Option<Check> {
    let c = named("wsl-claude", "Claude Code in WSL");
    let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    let first = shown.first()?;
    let more = if shown.len() > 1 {
        format!(" (or several, comma-separated: {})", shown.join(","))
    } else {
        String::new()
    };
    Some(c.verdict(
        Verdict::Warn,
        format!(
            "Claude Code seems to run inside WSL ({} found): set CLAUDE_CONFIG_DIR to \
             {first}{more}, e.g. `setx CLAUDE_CONFIG_DIR \"{first}\"`, then start ccpulse again",
            shown.join(", ")
        ),
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claude_folder_in_a_distribution_is_found_under_the_first_share_that_shows_it() {
        let tmp = tempfile::tempdir().unwrap();
        let (new, old) = (tmp.path().join("wsl.localhost"), tmp.path().join("wsl$"));
        std::fs::create_dir_all(new.join("Ubuntu/home/ana/.claude/projects")).unwrap();
        std::fs::create_dir_all(new.join("Ubuntu/home/bob")).unwrap();
        std::fs::create_dir_all(old.join("Debian/home/cy/.claude")).unwrap();
        std::fs::create_dir_all(old.join("Debian/root/.claude")).unwrap();
        // Only on the older share, and a distribution with no home at all.
        let distros = ["Ubuntu", "Debian", "docker-desktop"].map(String::from);
        let dirs = claude_dirs(&[new.clone(), old.clone()], &distros, &folders);
        assert_eq!(
            dirs,
            [
                new.join("Ubuntu/home/ana/.claude"),
                old.join("Debian/home/cy/.claude"),
                old.join("Debian/root/.claude"),
            ]
        );
        let c = wsl_claude(&dirs[..1]).unwrap();
        assert_eq!((c.verdict, c.id.as_str()), (Verdict::Warn, "wsl-claude"));
        let ana = dirs[0].display();
        assert_eq!(
            c.detail,
            format!(
                "Claude Code seems to run inside WSL ({ana} found): set CLAUDE_CONFIG_DIR to \
                 {ana}, e.g. `setx CLAUDE_CONFIG_DIR \"{ana}\"`, then start ccpulse again"
            )
        );
        assert!(wsl_claude(&dirs)
            .unwrap()
            .detail
            .contains("comma-separated"));
        assert_eq!(wsl_claude(&[]), None);
        assert!(claude_dirs(&[new], &[], &folders).is_empty());
    }

    #[test]
    fn doctor_looks_in_wsl_only_when_there_are_no_transcripts() {
        use crate::doctor::testing::{find, input, write};
        let tmp = tempfile::tempdir().unwrap();
        let mut i = input(tmp.path(), &[]);
        let share = i.wsl_shares[0].clone();
        std::fs::create_dir_all(share.join("Ubuntu/home/ana/.claude")).unwrap();
        let ids = |i: &crate::doctor::Input| -> Vec<String> {
            crate::doctor::local(i).into_iter().map(|c| c.id).collect()
        };
        // No distributions (every system but Windows): no check.
        assert!(!ids(&i).contains(&"wsl-claude".to_string()));
        i.wsl_distros = vec!["Ubuntu".into()];
        let checks = crate::doctor::local(&i);
        let c = find(&checks, "wsl-claude");
        let ana = ["Ubuntu", "home", "ana", ".claude"]
            .iter()
            .fold(share, |p, c| p.join(c));
        assert!(c.detail.contains(&ana.display().to_string()), "{c:?}");
        // With transcripts on this side, WSL is not looked at.
        let home = i.home.clone().unwrap();
        write(&home.join(".claude/projects/p/a.jsonl"), "{}\n");
        assert!(!ids(&i).contains(&"wsl-claude".to_string()));
    }

    #[test]
    fn the_share_paths_are_windows_unc_paths() {
        let dir = PathBuf::from(WSL_SHARES[0]).join("Ubuntu").join("home");
        if cfg!(windows) {
            assert_eq!(dir.display().to_string(), r"\\wsl.localhost\Ubuntu\home");
        }
    }
}
