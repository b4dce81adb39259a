//! Starting child processes: streamed output, errors that name the command.

use std::env;
use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, ExitCode, ExitStatus, Stdio};

use anyhow::{bail, Context, Result};

/// A `cargo` command; under CI it also gets the lean-build environment.
pub fn cargo() -> Command {
    let program = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(program);
    if crate::is_ci() {
        command
            .env("CARGO_INCREMENTAL", "0")
            .env("CARGO_PROFILE_DEV_DEBUG", "0");
    }
    command
}

/// Runs `command` with inherited stdio and fails unless it exits successfully.
pub fn run(command: &mut Command) -> Result<()> {
    let status = status(command)?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(command));
    }
    Ok(())
}

/// Runs `command` with inherited stdio and returns its exit status, whatever it is.
pub fn status(command: &mut Command) -> Result<ExitStatus> {
    println!("$ {}", describe(command));
    command
        .status()
        .with_context(|| format!("could not start `{}`", describe(command)))
}

/// True when `command` starts and exits successfully; its output is discarded.
pub fn succeeds_quietly(command: &mut Command) -> bool {
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The exit code a shell would report for a child that ended with `status`.
pub fn exit_code_of(status: ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    // A child killed by a signal has no exit code on Unix; on Windows every exit has one.
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return ExitCode::from(u8::try_from(128 + signal).unwrap_or(1));
        }
    }
    ExitCode::FAILURE
}

/// `program args...` as a user would type it (program shown by file name).
pub fn describe(command: &Command) -> String {
    let program = Path::new(command.get_program())
        .file_name()
        .unwrap_or(command.get_program())
        .to_string_lossy()
        .into_owned();
    command
        .get_args()
        .map(|arg| arg.to_string_lossy())
        .fold(program, |line, arg| format!("{line} {arg}"))
}
