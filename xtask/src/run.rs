//! `cargo xtask run`: build and start the product on this machine.

use std::env;
use std::process::{Command, ExitCode};

use anyhow::Result;

use crate::{apt, process, workspace};

pub fn run(args: &[String]) -> Result<ExitCode> {
    let args = args.strip_prefix(&["--".to_owned()]).unwrap_or(args);
    if has_display() {
        run_tray(args)
    } else {
        println!(
            "No graphical display (DISPLAY and WAYLAND_DISPLAY are unset), so the tray \
             cannot start. Running `ccpulse watch` in this terminal instead; press Ctrl-C to stop."
        );
        run_watch(args)
    }
}

fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| env::var_os(name).is_some_and(|value| !value.is_empty()))
}

fn run_tray(args: &[String]) -> Result<ExitCode> {
    apt::ensure(apt::TRAY, "to build the tray app")?;
    // The CLI too: the set-up page installs `ccpulse statusline` from beside the tray.
    process::run(process::cargo().args(["build", "-p", "ccpulse-tray", "-p", "ccpulse-cli"]))?;
    let binary = workspace::debug_binary(&workspace::target_dir()?, "ccpulse-tray");
    // A development build never puts itself in the login items on its first run (the set-up
    // page and the menu can still turn it on).
    run_to_completion(
        Command::new(binary)
            .env("CCPULSE_AUTOSTART_DEFAULT", "0")
            .args(args),
    )
}

fn run_watch(args: &[String]) -> Result<ExitCode> {
    apt::ensure(apt::CLI, "to build the CLI")?;
    process::run(process::cargo().args(["build", "-p", "ccpulse-cli"]))?;
    let binary = workspace::debug_binary(&workspace::target_dir()?, "ccpulse");
    run_to_completion(Command::new(binary).arg("watch").args(args))
}

/// Like exec: the product's exit code becomes ours.
fn run_to_completion(command: &mut Command) -> Result<ExitCode> {
    let status = process::status(command)?;
    Ok(process::exit_code_of(status))
}
