//! Footprint benchmark of `ccpulse-tray`: memory (RSS and PSS of its whole process tree) and CPU
//! while idle, before the panel was ever opened and after it was opened and closed, plus how fast
//! the tray icon registers. Runs on a private desktop (Xvfb, D-Bus, dunst, a stand-in tray host)
//! against a loopback Statuspage.
//!
//! `cargo xtask bench footprint` builds a release tray and runs this. Options:
//! `--tray PATH` (default: the release binary), `--idle-secs N` (default 60), `--check` (exit 1
//! when a budget is exceeded), `--peer PATH`: measure another tray app instead (see
//! [`peer_footprint`]).

#[cfg(target_os = "linux")]
mod measure;
#[cfg(target_os = "linux")]
mod proc_tree;

#[cfg(target_os = "linux")]
fn main() -> anyhow::Result<()> {
    measure::main()
}

/// The benchmark reads `/proc` and runs an X desktop: there is nothing to measure elsewhere.
#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    eprintln!("footprint: measures the tray app on a Linux desktop only");
    std::process::ExitCode::FAILURE
}
