//! The WSL check: on WSL, whether the resolver has a nameserver (a VPN often leaves
//! `/etc/resolv.conf` without a usable one).

use std::path::Path;

use super::{named, Check, WslFiles, CONNECT};

/// On WSL (as the kernel files say), whether the resolver has a nameserver; `None` elsewhere.
pub fn wsl(files: &WslFiles) -> Option<Check> {
    let says_wsl = |p: &Path| {
        std::fs::read_to_string(p).is_ok_and(|t| {
            let t = t.to_ascii_lowercase();
            t.contains("microsoft") || t.contains("wsl")
        })
    };
    if !says_wsl(&files.osrelease) && !says_wsl(&files.version) {
        return None;
    }
    let c = named("wsl-dns", "WSL DNS");
    let text = std::fs::read_to_string(&files.resolv_conf).unwrap_or_default();
    let servers: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let resolv = files.resolv_conf.display();
    Some(if servers.is_empty() {
        c.warn(
            format!("WSL, and {resolv} names no nameserver: no host name can be resolved"),
            CONNECT,
        )
    } else {
        c.pass(format!(
            "WSL, nameserver {}. If names stop resolving (often with a VPN on), the \
             resolv.conf WSL generates is the usual cause",
            servers.join(", ")
        ))
    })
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::testing::{input, write};
    use crate::doctor::Verdict;

    #[test]
    fn wsl_needs_a_nameserver() {
        let dir = tempfile::tempdir().unwrap();
        let i = input(dir.path(), &[]);
        write(&i.wsl.osrelease, "6.8.0-45-generic\n");
        assert_eq!(wsl(&i.wsl), None);
        write(&i.wsl.osrelease, "5.15.153.1-microsoft-standard-WSL2\n");
        let c = wsl(&i.wsl).unwrap();
        assert_eq!(
            (c.verdict, c.advice),
            (Verdict::Warn, Some("unable-to-connect"))
        );
        write(&i.wsl.resolv_conf, "# generated\nnameserver 172.22.64.1\n");
        let c = wsl(&i.wsl).unwrap();
        assert_eq!(c.verdict, Verdict::Pass);
        assert!(c.detail.contains("nameserver 172.22.64.1"), "{}", c.detail);
    }
}
