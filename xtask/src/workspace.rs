//! Facts about the cargo workspace, read from `cargo metadata`.

use std::env::consts::EXE_SUFFIX;
use std::path::PathBuf;
use std::process::Stdio;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::process;

/// Full metadata, including the dependency `resolve` graph.
pub fn metadata() -> Result<Value> {
    cargo_metadata(&[])
}

/// The workspace members only, with their targets (no dependencies, no resolve graph).
pub fn members() -> Result<Value> {
    cargo_metadata(&["--no-deps"])
}

/// The workspace's target directory (honours CARGO_TARGET_DIR and config).
pub fn target_dir() -> Result<PathBuf> {
    let metadata = cargo_metadata(&["--no-deps"])?;
    let dir = metadata["target_directory"]
        .as_str()
        .context("`cargo metadata` output has no target_directory")?;
    Ok(PathBuf::from(dir))
}

/// Where nextest keeps its JUnit report of the default profile: its store is `target/nextest`
/// under the workspace root, whatever `CARGO_TARGET_DIR` says.
pub fn nextest_junit() -> Result<PathBuf> {
    let metadata = cargo_metadata(&["--no-deps"])?;
    let root = metadata["workspace_root"]
        .as_str()
        .context("`cargo metadata` output has no workspace_root")?;
    Ok(PathBuf::from(root).join("target/nextest/default/junit.xml"))
}

/// Path of a binary built with the dev profile.
pub fn debug_binary(target_dir: &std::path::Path, name: &str) -> PathBuf {
    target_dir.join("debug").join(format!("{name}{EXE_SUFFIX}"))
}

fn cargo_metadata(extra_args: &[&str]) -> Result<Value> {
    let mut command = process::cargo();
    command
        .args(["metadata", "--format-version", "1"])
        .args(extra_args)
        .stderr(Stdio::inherit());
    let description = process::describe(&command);
    let output = command
        .output()
        .with_context(|| format!("could not start `{description}`"))?;
    if !output.status.success() {
        bail!("`{description}` failed ({})", output.status);
    }
    serde_json::from_slice(&output.stdout)
        .with_context(|| format!("`{description}` printed invalid JSON"))
}
