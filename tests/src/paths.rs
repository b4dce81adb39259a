//! Where the fixtures and the binaries under test are.

use std::path::{Path, PathBuf};

/// `<workspace>/tests`, this package's directory.
pub fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace root.
pub fn workspace_dir() -> PathBuf {
    tests_dir()
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

/// `<workspace>/tests/fixtures`.
pub fn fixtures_dir() -> PathBuf {
    tests_dir().join("fixtures")
}

/// The folders of a fixture set (`claude-code`, `claude-code-2.1.332`): each a Claude Code
/// config dir, sorted by name.
///
/// # Panics
///
/// If the set cannot be listed.
pub fn fixture_roots(set: &str) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = std::fs::read_dir(fixtures_dir().join(set))
        .unwrap_or_else(|e| panic!("listing the fixture set {set}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    roots.sort();
    roots
}

/// `<workspace>/tests/artifacts`, created if missing: screenshots the end-to-end tests keep
/// for a look after the run.
///
/// # Panics
///
/// If it cannot be created.
pub fn artifacts_dir() -> PathBuf {
    let dir = tests_dir().join("artifacts");
    std::fs::create_dir_all(&dir).expect("creating tests/artifacts");
    dir
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
#[track_caller]
pub fn tray_bin() -> PathBuf {
    binary("CCPULSE_TRAY_BIN", "ccpulse-tray", "ccpulse-tray")
}

/// The CLI: `$CCPULSE_BIN`, else `<target>/debug/ccpulse`.
///
/// # Panics
///
/// If the file doesn't exist, with instructions to build it.
#[track_caller]
pub fn cli_bin() -> PathBuf {
    binary("CCPULSE_BIN", "ccpulse", "ccpulse-cli")
}

#[track_caller]
fn binary(env_var: &str, name: &str, package: &str) -> PathBuf {
    let path = match std::env::var_os(env_var) {
        Some(path) => PathBuf::from(path),
        None => target_dir().join("debug").join(name),
    };
    check_exists(&path, env_var, package)
}

#[track_caller]
fn check_exists(path: &Path, env_var: &str, package: &str) -> PathBuf {
    if !path.is_file() {
        panic!(
            "{} does not exist ({env_var} unset or wrong?); \
             build it first: cargo build -p {package} (cargo xtask test does this)",
            path.display()
        );
    }
    path.to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_are_in_the_tests_package() {
        assert!(fixtures_dir().ends_with("tests/fixtures"));
        assert!(workspace_dir().join("Cargo.toml").is_file());
    }

    #[test]
    #[should_panic(
        expected = "build it first: cargo build -p ccpulse-tray (cargo xtask test does this)"
    )]
    fn a_missing_binary_says_how_to_build_it() {
        check_exists(
            Path::new("/nonexistent/ccpulse-tray"),
            "CCPULSE_TRAY_BIN",
            "ccpulse-tray",
        );
    }
}
