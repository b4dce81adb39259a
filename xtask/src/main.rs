//! Project automation for ccpulse: `cargo xtask run | test | bundle | bench`.

mod apt;
mod bench;
mod bench_history;
mod bench_usage;
mod bundle;
mod cycles;
mod gen_usage;
mod kb_harvest;
mod macos;
mod process;
mod purity;
mod run;
mod test;
mod windows;
mod workspace;

use std::env;
use std::process::ExitCode;

const USAGE: &str = "\
Usage: cargo xtask <command> [options]

Commands:
  run [-- ARGS...]            Install what is missing, build and start the tray app
                              (or `ccpulse watch` when there is no graphical display).
  test [--no-install] [--skip-lint]
                              Run the whole test suite: system packages, fmt, clippy,
                              core purity check, module cycles, build, tests, windows,
                              macos check, package install (the debug .deb installed, run and removed;
                              needs root or sudo). Flags are ignored under CI=true.
  windows                     The workspace cross-built for Windows (mingw-w64), the core,
                              sources and CLI tests run under Wine, and ccpulse.exe
                              compared with the Linux ccpulse.
  bundle [--debug]            Build the Linux packages into target/packages/release/ (.deb,
                              .rpm, .tar.gz with install.sh) and check the .deb with lintian;
                              --debug packages the dev-profile binaries instead, into
                              target/packages/debug/ (fast: what the test suite installs).
  bench footprint [--idle-secs N] [--check]
                              Release tray on a private desktop: RSS/PSS and idle CPU
                              before and after the panel was opened, tray registration time.
  bench usage [--size-mb N] [--seed S] [--runs R]
                              ccpulse usage daily vs ccusage 20 on a generated history.
  bench history [--size-mb N] ccpulse history --json (the History tab's computation) on a
                              generated history (default 1024 MiB) with a warm index.
  bench history-open [--size-mb N] [--debug] [--opens N] [--rounds N]
                              The History tab in the real webview (private desktop): from
                              the click to the bars painted, on a generated history ending
                              yesterday, warm index; release builds unless --debug.
  gen-usage --size-mb N --seed S [--out DIR]
                              Write a deterministic Claude Code history (default
                              target/usage-gen/<N>mb-seed<S>) for benchmarks.
  kb-harvest PATH [--out FILE]
                              The user-facing error, limit and warning messages of an
                              installed Claude Code (its binary, or the npm prefix holding
                              it), merged into crates/core/kb/client-<version>.txt to review.
  help                        Show this text.

Helpers:
  check-core                  Only the ccpulse-core purity check.
  cycles                      Only the module cycle check: no import cycle between sibling
                              modules of any crate; also lists files over 600 lines.
  deps [--dry-run]            Install (or just list) missing system packages.
  check-macos                 Type-check core, sources and the CLI for aarch64- and
                              x86_64-apple-darwin (rustup targets and clang installed if
                              missing; ring's C against a stand-in TargetConditionals.h).
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> anyhow::Result<ExitCode> {
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    match command {
        "run" => run::run(rest),
        "test" => match test::Options::parse(rest) {
            Ok(options) => test::test(options).map(|()| ExitCode::SUCCESS),
            Err(message) => Ok(usage_error(&message)),
        },
        "check-core" => workspace::metadata()
            .and_then(|metadata| purity::check_core(&metadata))
            .map(|()| ExitCode::SUCCESS),
        "cycles" => match rest {
            [] => workspace::members()
                .and_then(|metadata| cycles::check_workspace(&metadata))
                .map(|()| ExitCode::SUCCESS),
            _ => Ok(usage_error("`cycles` takes no arguments")),
        },
        "check-macos" => match rest {
            [] => macos::check().map(|()| ExitCode::SUCCESS),
            _ => Ok(usage_error("`check-macos` takes no arguments")),
        },
        "deps" => match rest {
            [] => apt::install_all().map(|()| ExitCode::SUCCESS),
            [flag] if flag == "--dry-run" => apt::print_missing().map(|()| ExitCode::SUCCESS),
            _ => Ok(usage_error("`deps` accepts only --dry-run")),
        },
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        "bundle" => bundle::bundle(rest),
        "bench" => bench::bench(rest),
        "windows" => windows::run(rest).map(|()| ExitCode::SUCCESS),
        "kb-harvest" => kb_harvest::run(rest).map(|()| ExitCode::SUCCESS),
        "gen-usage" => workspace::target_dir()
            .and_then(|t| gen_usage::run(rest, &t))
            .map(|()| ExitCode::SUCCESS),
        other => Ok(usage_error(&format!("unknown command `{other}`"))),
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("xtask: {message}\n");
    eprint!("{USAGE}");
    ExitCode::from(2)
}

/// True when running under CI (`CI` set to anything but empty, `0` or `false`).
fn is_ci() -> bool {
    env::var("CI").is_ok_and(|value| !matches!(value.as_str(), "" | "0" | "false"))
}
