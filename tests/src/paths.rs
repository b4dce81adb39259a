//! Where the fixtures and the binaries under test are.

use std::path::{Path, PathBuf};

/// The message for a binary under test that isn't built.
const BUILD_IT_FIRST: &str = "build it first: cargo build -p ccpulse-tray (cargo xtask test does this)";

/// `<workspace>/tests`, this package's directory.
pub fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace root.
pub fn workspace_dir() -> PathBuf {
    tests_dir().parent().expect("tests/ is inside the workspace").to_path_buf()
}

/// `<workspace>/tests/fixtures`.
pub fn fixtures_dir() -> PathBuf {
    tests_dir().join("fixtures")
}

/// The cargo target dir: `CARGO_TARGET_DIR` if set (relative to the workspace), else
/// `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_dir().join(dir),
        None => workspace_dir().join("target"),
    }
}

/// The tray app: `$CCPULSE_TRAY_BIN`, else `<target>/debug/ccpulse-tray`.
///
/// # Panics
///
/// If the file doesn't exist, with instructions to build it.
pub fn tray_bin() -> PathBuf {
    binary("CCPULSE_TRAY_BIN", "ccpulse-tray")
}

/// The CLI: `$CCPULSE_BIN`, else `<target>/debug/ccpulse`.
///
/// # Panics
///
/// If the file doesn't exist, with instructions to build it.
pub fn cli_bin() -> PathBuf {
    binary("CCPULSE_BIN", "ccpulse")
}

fn binary(env_var: &str, name: &str) -> PathBuf {
    let path = match std::env::var_os(env_var) {
        Some(path) => PathBuf::from(path),
        None => target_dir().join("debug").join(name),
    };
    check_exists(&path, env_var)
}

#[track_caller]
fn check_exists(path: &Path, env_var: &str) -> PathBuf {
    if !path.is_file() {
        panic!("{} does not exist ({env_var} unset or wrong?); {BUILD_IT_FIRST}", path.display());
    }
    path.to_path_buf()
}
