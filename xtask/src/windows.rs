//! Windows from this Linux machine: the whole workspace cross-built for `x86_64-pc-windows-gnu`
//! with mingw-w64, the core's, sources' and CLI's tests run under Wine, and the Windows CLI
//! checked against the Linux one (`tests/tests/windows.rs`).
//!
//! Wine runs in a prefix of its own under the target dir (`<target>/wine/prefix`), made on first
//! use. Wine 8.0 (Debian 12's) has no `bcryptprimitives.dll`, which every Rust program needs;
//! `xtask/wine/processprng.c` stands in for it there (see that file).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::{apt, process, workspace};

pub const TARGET: &str = "x86_64-pc-windows-gnu";

/// The crates whose tests run under Wine: everything but the tray (a Tauri app: WebView2 is not
/// in Wine) and the Linux end-to-end harness.
const TESTED: [&str; 3] = ["ccpulse-core", "ccpulse-sources", "ccpulse-cli"];

/// Wine's 64-bit loader (the `wine` wrapper looks for a 32-bit Wine that is not installed).
const WINE64: &str = "/usr/lib/wine/wine64";

/// `cargo xtask windows`: the Linux CLI built (the Windows one is compared with it), then
/// [`test`].
pub fn run(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`windows` takes no arguments (got `{arg}`)");
    }
    process::run(process::cargo().args(["build", "-p", "ccpulse-cli"]))?;
    test(true)
}

/// Cross-build, test under Wine, compare with the Linux CLI of the dev profile (built already).
/// With `install_system`, first install [`apt::WINDOWS`] with apt where missing.
pub fn test(install_system: bool) -> Result<()> {
    if install_system {
        apt::ensure(apt::WINDOWS, apt::WINDOWS_PURPOSE)?;
    }
    ensure_target()?;
    process::run(process::cargo().args(["build", "--workspace", "--target", TARGET]))?;
    let target_dir = workspace::target_dir()?;
    let wine = Wine::prepare(&target_dir.join("wine"))?;
    let tested = wine.run_tests();
    let compared = tested.and_then(|counts| {
        println!("under Wine: {counts}");
        let exe = target_dir.join(TARGET).join("debug/ccpulse.exe");
        let linux = workspace::debug_binary(&target_dir, "ccpulse");
        wine.compare_with_linux(&exe, &linux)
    });
    wine.stop();
    compared
}

/// Adds the Rust target with rustup when its standard library is missing.
fn ensure_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup")?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|t| t.trim() == TARGET)
    {
        return Ok(());
    }
    process::run(Command::new("rustup").args(["target", "add", TARGET]))
}

struct Wine {
    prefix: PathBuf,
}

impl Wine {
    /// The prefix in `dir`, made if missing, with the stand-in `bcryptprimitives.dll` where
    /// this Wine has none.
    fn prepare(dir: &Path) -> Result<Self> {
        anyhow::ensure!(
            Path::new(WINE64).exists(),
            "{WINE64} is missing: install the `wine64` package"
        );
        let wine = Wine {
            prefix: dir.join("prefix"),
        };
        let system32 = wine.prefix.join("drive_c/windows/system32");
        if !system32.join("kernel32.dll").exists() {
            std::fs::create_dir_all(&wine.prefix)?;
            println!("making the Wine prefix {}", wine.prefix.display());
            process::run(wine.command().args(["wineboot", "--init"]))?;
        }
        if !has_own_bcryptprimitives() {
            let dll = dir.join("bcryptprimitives.dll");
            let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("wine/processprng.c");
            process::run(
                Command::new("x86_64-w64-mingw32-gcc")
                    .args(["-O2", "-shared", "-s", "-o"])
                    .arg(&dll)
                    .arg(&source)
                    .arg("-ladvapi32"),
            )?;
            std::fs::copy(&dll, system32.join("bcryptprimitives.dll"))
                .context("putting bcryptprimitives.dll in the prefix")?;
        }
        Ok(wine)
    }

    /// `wine64` in the prefix, its debug noise off.
    fn command(&self) -> Command {
        let mut command = Command::new(WINE64);
        self.set_env(&mut command);
        command
    }

    fn set_env(&self, command: &mut Command) {
        command
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            // No "install Mono/Gecko?" dialogs: nothing here needs them.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=");
    }

    /// The [`TESTED`] crates' tests, each test binary run by Wine; their counts.
    fn run_tests(&self) -> Result<Counts> {
        let mut command = process::cargo();
        command
            .args(["test", "--target", TARGET, "--no-fail-fast"])
            .args(TESTED.iter().flat_map(|c| ["-p", c]))
            .env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER", WINE64)
            .stdout(Stdio::piped());
        self.set_env(&mut command);
        println!("$ {}", process::describe(&command));
        let mut child = command.spawn().context("running cargo test")?;
        let stdout = child.stdout.take().expect("piped");
        let mut counts = Counts::default();
        // Echoed as it comes, and counted.
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let line = line?;
            println!("{line}");
            counts.read(&line);
        }
        let status = child.wait()?;
        if !status.success() || counts.failed > 0 || counts.results == 0 {
            bail!("under Wine ({status}): {counts}");
        }
        Ok(counts)
    }

    /// `tests/tests/windows.rs`: `ccpulse.exe` against the Linux `ccpulse`.
    fn compare_with_linux(&self, exe: &Path, linux: &Path) -> Result<()> {
        let mut command = process::cargo();
        if process::succeeds_quietly(process::cargo().args(["nextest", "--version"])) {
            command.args(["nextest", "run", "-p", "ccpulse-tests", "--test", "windows"]);
            command.args(["--run-ignored", "only", "--no-fail-fast"]);
        } else {
            command.args(["test", "-p", "ccpulse-tests", "--test", "windows"]);
            command.args(["--no-fail-fast", "--", "--ignored"]);
        }
        command
            .env("CCPULSE_WINDOWS_BIN", exe)
            .env("CCPULSE_WINE", WINE64)
            .env("WINEPREFIX", &self.prefix);
        command.env("CCPULSE_BIN", linux);
        process::run(&mut command)
    }

    /// Ends the prefix's `wineserver` (it would linger a few seconds after the last program).
    fn stop(&self) {
        let mut command = Command::new("wineserver");
        command.arg("--kill");
        self.set_env(&mut command);
        let _ = process::succeeds_quietly(&mut command);
    }
}

/// Whether this Wine brings its own `bcryptprimitives.dll` (Wine 9 and later do).
fn has_own_bcryptprimitives() -> bool {
    [
        "/usr/lib/x86_64-linux-gnu/wine/x86_64-windows",
        "/usr/lib/wine/x86_64-windows",
    ]
    .iter()
    .any(|dir| Path::new(dir).join("bcryptprimitives.dll").exists())
}

/// The sums of libtest's `test result:` lines, and the tests it ignored, with their reasons.
#[derive(Debug, Default, PartialEq)]
struct Counts {
    results: usize,
    passed: usize,
    failed: usize,
    ignored: usize,
    skipped: Vec<String>,
}

impl Counts {
    fn read(&mut self, line: &str) {
        if let Some(rest) = line.strip_prefix("test result: ") {
            self.results += 1;
            for part in rest.split(';') {
                let mut words = part.split_whitespace().rev();
                let (Some(what), Some(n)) = (words.next(), words.next()) else {
                    continue;
                };
                let n: usize = n.trim_end_matches('.').parse().unwrap_or(0);
                match what {
                    "passed" => self.passed += n,
                    "failed" => self.failed += n,
                    "ignored" => self.ignored += n,
                    _ => {}
                }
            }
        } else if let Some((name, reason)) = line
            .strip_prefix("test ")
            .and_then(|l| l.split_once(" ... ignored"))
        {
            let reason = reason.trim_start_matches(',').trim();
            self.skipped.push(format!("{name}: {reason}"));
        }
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped ({} test binaries)",
            self.passed, self.failed, self.ignored, self.results
        )?;
        for skip in &self.skipped {
            write!(f, "\n  skipped: {skip}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_sum_libtest_results_and_name_each_skip() {
        let mut counts = Counts::default();
        for line in [
            "running 3 tests",
            "test a::b ... ok",
            "test crash ... ignored, kills its writer with Unix signals",
            "test result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; \
             finished in 0.57s",
            "test result: FAILED. 7 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; \
             finished in 8.44s",
        ] {
            counts.read(line);
        }
        assert_eq!(
            counts,
            Counts {
                results: 2,
                passed: 9,
                failed: 1,
                ignored: 1,
                skipped: vec!["crash: kills its writer with Unix signals".into()],
            }
        );
        assert!(counts
            .to_string()
            .starts_with("9 passed, 1 failed, 1 skipped"));
    }
}
