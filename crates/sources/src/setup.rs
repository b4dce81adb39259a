//! What the set-up page shows, read from this machine: Claude Code's login and plan (never the
//! token), the transcript roots and their size, the status line; and the record that the
//! first run is over.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use ccpulse_core::view::setup::{LoginFact, RootFact, SetupFacts};

use crate::oauth_usage::{read_credentials, CredentialsError, Login};
use crate::state_dir::StateDir;
use crate::statusline_install;
use crate::usage_log::paths::{roots_from_env, transcripts, Found};

/// Written once the first run is over: the panel does not open by itself again.
pub const SETUP_FILE: &str = "setup.json";

#[derive(Debug, Serialize, Deserialize)]
pub struct Record {
    /// When the first run was.
    pub first_run_at: Option<DateTime<Utc>>,
    /// The version that made it.
    pub version: Option<String>,
}

/// True until [`first_run_over`] was recorded (a damaged record counts as recorded: the panel
/// opening by itself again would be the surprise).
pub fn is_first_run(dir: &StateDir) -> bool {
    matches!(dir.load::<Record>(SETUP_FILE), Ok(None))
}

/// Record that the first run is over.
pub fn first_run_over(dir: &StateDir, now: DateTime<Utc>) -> Result<(), String> {
    let record = Record {
        first_run_at: Some(now),
        version: Some(env!("CARGO_PKG_VERSION").to_string()),
    };
    dir.save(SETUP_FILE, &record).map_err(|e| e.to_string())
}

fn login(now: DateTime<Utc>) -> LoginFact {
    match Login::from_env() {
        None => LoginFact::Missing {
            path: "~/.claude/.credentials.json".into(),
        },
        Some(Login::Keychain { .. }) => LoginFact::Keychain,
        Some(Login::File(path)) => match read_credentials(&path, now) {
            Ok(c) => LoginFact::LoggedIn {
                plan: c.plan,
                expires_at: c.expires_at,
            },
            Err(CredentialsError::Expired { at }) => LoginFact::Expired { at },
            Err(CredentialsError::Missing(_)) if cfg!(target_os = "macos") => LoginFact::Keychain,
            Err(CredentialsError::Missing(p)) => LoginFact::Missing {
                path: p.display().to_string(),
            },
            Err(e) => LoginFact::Unusable { why: e.to_string() },
        },
    }
}

fn root(path: PathBuf) -> RootFact {
    let exists = path.join("projects").is_dir();
    let (mut files, mut bytes) = (0, 0);
    if exists {
        for found in transcripts(std::slice::from_ref(&path)) {
            if let Found::File(t) = found {
                files += 1;
                bytes += t.len;
            }
        }
    }
    RootFact {
        path: path.display().to_string(),
        exists,
        files,
        bytes,
    }
}

/// Everything but what only the tray knows (`desktop` is `None`).
pub fn facts(dir: &StateDir, now: DateTime<Utc>) -> SetupFacts {
    let settings = statusline_install::settings_path();
    SetupFacts {
        login: login(now),
        roots: roots_from_env().into_iter().map(root).collect(),
        settings_path: settings
            .as_ref()
            .map_or_else(|| "(no home folder)".into(), |p| p.display().to_string()),
        statusline: settings.map_or(
            ccpulse_core::view::setup::StatusLineFact::Unreadable {
                why: "no home folder".into(),
            },
            |p| statusline_install::state(&p, dir),
        ),
        desktop: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_run_is_over_once_recorded() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::at(tmp.path());
        assert!(is_first_run(&dir));
        first_run_over(&dir, Utc::now()).unwrap();
        assert!(!is_first_run(&dir));
        // What the test harness plants, and a damaged record: both say "set up already".
        std::fs::write(dir.path(SETUP_FILE), "{}").unwrap();
        assert!(!is_first_run(&dir));
    }
}
