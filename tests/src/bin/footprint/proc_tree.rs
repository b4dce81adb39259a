//! Memory and CPU of a process and all its descendants, read from /proc.

use std::collections::HashMap;

/// Sums over a process tree.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub processes: usize,
    pub rss_kib: u64,
    pub pss_kib: u64,
    /// user + system CPU time in clock ticks, children that exited and were reaped included.
    pub cpu_ticks: u64,
}

fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; everything after the last ')' is fixed.
    let rest = &stat[stat.rfind(')')? + 2..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// pid -> parent pid, for every live process.
fn parents() -> HashMap<u32, u32> {
    let mut map = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        // fields after the name: state(0) ppid(1)
        if let Some(ppid) = stat_fields(pid).and_then(|f| f.get(1)?.parse().ok()) {
            map.insert(pid, ppid);
        }
    }
    map
}

pub fn tree(root: u32) -> Vec<u32> {
    let parents = parents();
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parents.iter().filter(|(_, pp)| **pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

fn kib_field(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

pub fn usage(root: u32) -> Usage {
    let mut u = Usage::default();
    for pid in tree(root) {
        let Some(f) = stat_fields(pid) else { continue };
        u.processes += 1;
        // utime(11) stime(12) cutime(13) cstime(14) counted from the state field.
        let tick = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        u.cpu_ticks += tick(11) + tick(12) + tick(13) + tick(14);
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            u.rss_kib += kib_field(&status, "VmRSS:");
        }
        if let Ok(rollup) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) {
            u.pss_kib += kib_field(&rollup, "Pss:");
        }
    }
    u
}

pub fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100)
}

/// One line per process of the tree: pid, name, RSS.
pub fn describe(root: u32) -> Vec<String> {
    tree(root)
        .into_iter()
        .filter_map(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let name = status
                .lines()
                .next()?
                .trim_start_matches("Name:")
                .trim()
                .to_string();
            let mib = |key| kib_field(&status, key) as f64 / 1024.0;
            Some(format!(
                "{pid} {name} {:.1} MiB (anon {:.1}, file {:.1})",
                mib("VmRSS:"),
                mib("RssAnon:"),
                mib("RssFile:")
            ))
        })
        .collect()
}
