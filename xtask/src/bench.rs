//! `cargo xtask bench footprint|usage [ARGS...]`: the benchmarks kept with the project.

use std::process::ExitCode;

use anyhow::Result;

use crate::{apt, process};

pub fn bench(args: &[String]) -> Result<ExitCode> {
    match args.split_first() {
        Some((name, rest)) if name == "footprint" => footprint(rest),
        Some((name, rest)) if name == "usage" => {
            crate::bench_usage::run(rest).map(|()| ExitCode::SUCCESS)
        }
        _ => Ok(crate::usage_error(
            "`bench` takes: footprint [--idle-secs N] [--check] | usage [--size-mb N] [--seed S] [--runs R]",
        )),
    }
}

fn footprint(args: &[String]) -> Result<ExitCode> {
    apt::install_all()?;
    process::run(process::cargo().args([
        "build",
        "--release",
        "-p",
        "ccpulse-tray",
        "--features",
        "custom-protocol",
    ]))?;
    let status = process::status(
        process::cargo()
            .args([
                "run",
                "--quiet",
                "-p",
                "ccpulse-tests",
                "--bin",
                "footprint",
                "--",
            ])
            .args(args),
    )?;
    Ok(process::exit_code_of(status))
}
