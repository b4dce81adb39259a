//! The Settings tab's commands, in the panel process only: every key of the config file with
//! its value and default, and setting or resetting one. The file work is
//! `sources::config_file`'s (the same code as `ccpulse config set | unset`: checked by
//! `Config::resolve` before anything is written, comments and layout kept, written
//! atomically); the tray picks the change up through its watcher on the file.

use std::path::PathBuf;

use ccpulse_sources::config_file::{self, ConfigFileError, Setting};
use serde::Serialize;

/// What the page shows: where the file is and every key in it or not.
#[derive(Debug, Serialize)]
pub struct Settings {
    pub path: String,
    pub settings: Vec<Setting>,
}

/// A refusal, `{code, key, message}`: `invalid` (the value, or the file with it, does not
/// resolve: `key` is the key at fault and `message` why), `file` (the file cannot be read or
/// written, or is not TOML), `no_path` (no config dir on this system).
#[derive(Debug, Serialize)]
pub struct SettingsError {
    pub code: &'static str,
    pub key: Option<String>,
    pub message: String,
}

fn path() -> Result<PathBuf, SettingsError> {
    config_file::path(None).ok_or_else(|| SettingsError {
        code: "no_path",
        key: None,
        message: "there is no config dir on this system: set CCPULSE_CONFIG to a file".into(),
    })
}

fn refused(e: ConfigFileError) -> SettingsError {
    match e {
        ConfigFileError::Key { key, message } => SettingsError {
            code: "invalid",
            key: Some(key),
            message,
        },
        other => SettingsError {
            code: "file",
            key: None,
            message: other.to_string(),
        },
    }
}

fn read(path: PathBuf) -> Result<Settings, SettingsError> {
    Ok(Settings {
        settings: config_file::settings(&path).map_err(refused)?,
        path: path.display().to_string(),
    })
}

#[tauri::command]
pub fn settings_read() -> Result<Settings, SettingsError> {
    read(path()?)
}

/// Set `key` to `value` (TOML, as `ccpulse config set` takes it); the settings as they are now.
#[tauri::command]
pub fn settings_write(key: String, value: String) -> Result<Settings, SettingsError> {
    let path = path()?;
    config_file::set(&path, &key, &value).map_err(refused)?;
    read(path)
}

/// Remove `key` from the file, so its default applies; the settings as they are now.
#[tauri::command]
pub fn settings_reset(key: String) -> Result<Settings, SettingsError> {
    let path = path()?;
    config_file::unset(&path, &key).map_err(refused)?;
    read(path)
}
