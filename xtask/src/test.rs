//! `cargo xtask test`: the whole test suite, as CI runs it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::{apt, bundle, cycles, macos, process, purity, windows, workspace};

pub struct Options {
    install: bool,
    lint: bool,
}

impl Options {
    /// Parses `--no-install` / `--skip-lint`; the error is a usage message.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = Options {
            install: true,
            lint: true,
        };
        for arg in args {
            match arg.as_str() {
                "--no-install" => options.install = false,
                "--skip-lint" => options.lint = false,
                other => return Err(format!("`test` does not accept `{other}`")),
            }
        }
        if crate::is_ci() && !(options.install && options.lint) {
            println!("CI is set: ignoring --no-install/--skip-lint, every step runs.");
            options = Options {
                install: true,
                lint: true,
            };
        }
        Ok(options)
    }
}

pub fn test(options: Options) -> Result<()> {
    let mut steps = Steps::new(11);
    if options.install {
        steps.run("system packages", install_packages)?;
    } else {
        steps.skip("system packages", "--no-install");
    }
    // Project-local (under the target dir), so it runs with --no-install too; only installing
    // Node.js itself is left out then.
    steps.run("claude code", || install_claude_code(options.install))?;
    if options.lint {
        steps.run("fmt", check_formatting)?;
        steps.run("clippy", clippy)?;
    } else {
        steps.skip("fmt", "--skip-lint");
        steps.skip("clippy", "--skip-lint");
    }
    steps.run("core purity", check_core_purity)?;
    steps.run("module cycles", check_module_cycles)?;
    steps.run("build binaries", build_binaries)?;
    steps.run("tests", run_tests)?;
    steps.run("windows", || windows::test(options.install))?;
    steps.run("macos check", macos::check)?;
    steps.run("package install", || install_package(options.install))?;
    steps.print_summary("all steps passed");
    Ok(())
}

fn install_packages() -> Result<()> {
    apt::ensure(
        &apt::tray_and_e2e(),
        "to build the tray app and run the end-to-end tests",
    )?;
    apt::ensure(apt::PACKAGING, "to build and check the packages")?;
    apt::ensure(apt::WINDOWS, apt::WINDOWS_PURPOSE)
}

/// Claude Code, the real client that some end-to-end tests run (only ever against a fake API
/// on loopback, in a network namespace with nothing else): this version of this npm package,
/// installed into `<target>/claude-code`. Its transcripts are what ccpulse reads.
const CLAUDE_CODE_PACKAGE: &str = "@anthropic-ai/claude-code";
const CLAUDE_CODE_VERSION: &str = "2.1.328";

/// Installs [`CLAUDE_CODE_VERSION`] with npm unless it is there already; with `system`, first
/// Node.js and npm from apt if they are missing.
fn install_claude_code(system: bool) -> Result<()> {
    let dir = claude_code_dir(&workspace::target_dir()?);
    if let Some(claude) = installed_claude(&dir) {
        println!(
            "Claude Code {CLAUDE_CODE_VERSION} is installed: {}",
            claude.display()
        );
        return Ok(());
    }
    if system {
        apt::ensure_node("to install Claude Code for the end-to-end tests")?;
    }
    let started = Instant::now();
    process::run(
        Command::new("npm")
            .arg("install")
            .arg("--prefix")
            .arg(&dir)
            .args(["--no-save", "--no-audit", "--no-fund"])
            .arg(format!("{CLAUDE_CODE_PACKAGE}@{CLAUDE_CODE_VERSION}")),
    )
    .context("installing Claude Code with npm (needs node and npm: cargo xtask deps)")?;
    let claude = installed_claude(&dir).with_context(|| {
        format!(
            "npm installed {CLAUDE_CODE_PACKAGE}@{CLAUDE_CODE_VERSION} into {}, but no `claude` \
             there says it is that version",
            dir.display()
        )
    })?;
    println!(
        "Claude Code {CLAUDE_CODE_VERSION} installed in {}: {}",
        format_duration(started.elapsed()),
        claude.display()
    );
    Ok(())
}

/// Where Claude Code is installed, under the target dir.
fn claude_code_dir(target_dir: &Path) -> PathBuf {
    target_dir.join("claude-code")
}

/// The `claude` executable in `dir` if it is [`CLAUDE_CODE_VERSION`]: npm's link to it, or,
/// should the package's postinstall not have put the native binary in place, the binary in
/// the platform's package.
fn installed_claude(dir: &Path) -> Option<PathBuf> {
    let modules = dir.join("node_modules");
    let platforms = [
        "linux-x64",
        "linux-arm64",
        "linux-x64-musl",
        "linux-arm64-musl",
    ];
    std::iter::once(modules.join(".bin/claude"))
        .chain(
            platforms
                .iter()
                .map(|p| modules.join(format!("{CLAUDE_CODE_PACKAGE}-{p}/claude"))),
        )
        .find(|claude| {
            Command::new(claude)
                .arg("--version")
                .env("DISABLE_AUTOUPDATER", "1")
                .output()
                .is_ok_and(|out| {
                    out.status.success()
                        && String::from_utf8_lossy(&out.stdout)
                            .split_whitespace()
                            .next()
                            == Some(CLAUDE_CODE_VERSION)
                })
        })
}

fn check_formatting() -> Result<()> {
    ensure_rustup_component("fmt", "rustfmt")?;
    process::run(process::cargo().args(["fmt", "--all", "--", "--check"]))
}

fn clippy() -> Result<()> {
    ensure_rustup_component("clippy", "clippy")?;
    process::run(process::cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

/// Adds `component` with rustup when `cargo <subcommand>` is not available.
fn ensure_rustup_component(subcommand: &str, component: &str) -> Result<()> {
    if process::succeeds_quietly(process::cargo().args([subcommand, "--version"])) {
        return Ok(());
    }
    println!("`cargo {subcommand}` is not available; installing the {component} component.");
    process::run(std::process::Command::new("rustup").args(["component", "add", component]))
}

fn check_core_purity() -> Result<()> {
    purity::check_core(&workspace::metadata()?)
}

fn check_module_cycles() -> Result<()> {
    cycles::check_workspace(&workspace::members()?)
}

/// The dev-profile binaries the end-to-end tests run (and `cargo xtask bundle --debug` packages).
fn build_binaries() -> Result<()> {
    bundle::build_binaries(bundle::Profile::Debug)
}

fn run_tests() -> Result<()> {
    let target_dir = workspace::target_dir()?;
    let mut command = process::cargo();
    let nextest = process::succeeds_quietly(process::cargo().args(["nextest", "--version"]));
    if nextest {
        command.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        println!("cargo-nextest not found; using `cargo test`: no secret check of the output.");
        command.args(["test", "--workspace", "--no-fail-fast"]);
    }
    set_binary_env(&mut command, &target_dir);
    let junit = workspace::nextest_junit()?;
    let _ = std::fs::remove_file(&junit);
    let ran = process::run(&mut command);
    if nextest {
        anyhow::ensure!(
            junit.exists(),
            "nextest wrote no report at {}: the secret check cannot run",
            junit.display()
        );
        check_no_planted_token(&junit)?;
    }
    ran
}

/// The debug `.deb` (`cargo xtask bundle --debug`, from the binaries built above) installed
/// with apt, run on a private desktop, and removed and purged: `tests/tests/install.rs`, which the
/// ordinary run leaves out (it is `#[ignore]`d: it needs root and the package).
fn install_package(install_system_packages: bool) -> Result<()> {
    let packages = bundle::build(bundle::Profile::Debug, install_system_packages)?;
    let mut command = process::cargo();
    if process::succeeds_quietly(process::cargo().args(["nextest", "--version"])) {
        command.args([
            "nextest",
            "run",
            "-p",
            "ccpulse-tests",
            "--test",
            "install",
            "--run-ignored",
            "only",
            "--no-fail-fast",
        ]);
    } else {
        println!("cargo-nextest not found; using `cargo test`.");
        command.args([
            "test",
            "-p",
            "ccpulse-tests",
            "--test",
            "install",
            "--no-fail-fast",
            "--",
            "--ignored",
        ]);
    }
    command.env("CCPULSE_DEB", &packages.deb);
    // nextest writes its JUnit file where the "tests" step's is: keep that one as it is, and
    // this run's beside it, checked the same way.
    let junit = workspace::nextest_junit()?;
    let dir = junit.parent().expect("a file in a folder").to_path_buf();
    let suite = dir.join("junit.xml.suite");
    if junit.exists() {
        std::fs::rename(&junit, &suite)?;
    }
    let ran = process::run(&mut command);
    if junit.exists() {
        let install = dir.join("junit-install.xml");
        std::fs::rename(&junit, &install)?;
        check_no_planted_token(&install)?;
    }
    if suite.exists() {
        std::fs::rename(&suite, &junit)?;
    }
    ran
}

/// The tests plant OAuth tokens containing this; none may reach any test's output or any log
/// of the processes the end-to-end tests ran (the harness echoes them into the output).
const PLANTED: &str = "PLANTED";

fn check_no_planted_token(junit: &Path) -> Result<()> {
    let text = std::fs::read_to_string(junit)?;
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(PLANTED)).collect();
    if !lines.is_empty() {
        anyhow::bail!(
            "a planted token appears in the test output ({}):\n{}",
            junit.display(),
            lines.join("\n")
        );
    }
    println!(
        "secret check: {} KiB of test output and logs, no planted token in it",
        text.len() / 1024
    );
    Ok(())
}

/// Tells the end-to-end tests where the binaries built by `build_binaries` are, and the
/// `claude` that `install_claude_code` installed.
fn set_binary_env(command: &mut std::process::Command, target_dir: &Path) {
    command
        .env(
            "CCPULSE_TRAY_BIN",
            workspace::debug_binary(target_dir, "ccpulse-tray"),
        )
        .env(
            "CCPULSE_BIN",
            workspace::debug_binary(target_dir, "ccpulse"),
        );
    if let Some(claude) = installed_claude(&claude_code_dir(target_dir)) {
        command.env("CCPULSE_CLAUDE_BIN", claude);
    }
}

/// Numbered, timed steps that stop at the first failure.
struct Steps {
    total: usize,
    done: Vec<(&'static str, Outcome)>,
    started: Instant,
}

enum Outcome {
    Passed(Duration),
    Skipped,
    Failed(Duration),
}

impl Steps {
    fn new(total: usize) -> Self {
        Steps {
            total,
            done: Vec::new(),
            started: Instant::now(),
        }
    }

    fn run(&mut self, name: &'static str, action: impl FnOnce() -> Result<()>) -> Result<()> {
        let number = self.done.len() + 1;
        println!("\n==> [{number}/{}] {name}", self.total);
        let started = Instant::now();
        let result = action();
        let elapsed = started.elapsed();
        match result {
            Ok(()) => {
                println!(
                    "<== [{number}/{}] {name} ok ({})",
                    self.total,
                    format_duration(elapsed)
                );
                self.done.push((name, Outcome::Passed(elapsed)));
                Ok(())
            }
            Err(error) => {
                println!(
                    "<== [{number}/{}] {name} FAILED ({})",
                    self.total,
                    format_duration(elapsed)
                );
                self.done.push((name, Outcome::Failed(elapsed)));
                self.print_summary(&format!("failed at step `{name}`"));
                Err(error).with_context(|| format!("step `{name}` failed"))
            }
        }
    }

    fn skip(&mut self, name: &'static str, reason: &str) {
        let number = self.done.len() + 1;
        println!("\n==> [{number}/{}] {name}: skipped ({reason})", self.total);
        self.done.push((name, Outcome::Skipped));
    }

    fn print_summary(&self, verdict: &str) {
        let steps: Vec<String> = self
            .done
            .iter()
            .map(|(name, outcome)| match outcome {
                Outcome::Passed(elapsed) => format!("{name} {}", format_duration(*elapsed)),
                Outcome::Skipped => format!("{name} skipped"),
                Outcome::Failed(elapsed) => format!("{name} FAILED {}", format_duration(*elapsed)),
            })
            .collect();
        println!(
            "\n==> summary: {} | total {} | {verdict}",
            steps.join(", "),
            format_duration(self.started.elapsed())
        );
    }
}

/// `4.2s`, or `3m07s` from a minute up.
fn format_duration(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs();
    if seconds < 60 {
        format!("{:.1}s", elapsed.as_secs_f64())
    } else {
        format!("{}m{:02}s", seconds / 60, seconds % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short_and_readable() {
        assert_eq!(format_duration(Duration::from_millis(4_240)), "4.2s");
        assert_eq!(format_duration(Duration::from_secs(187)), "3m07s");
    }
}
