//! The TOML config file: where it lives and how it is read.

use std::path::{Path, PathBuf};

use ccpulse_core::config::{Config, ConfigError, RawConfig};

#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid:\n{message}")]
    Syntax { path: PathBuf, message: String },
    #[error("config file {path}: {source}")]
    Value { path: PathBuf, source: ConfigError },
}

/// `$CCPULSE_CONFIG`, else `<platform config dir>/ccpulse/config.toml`
/// (`~/.config/ccpulse/config.toml` on Linux).
pub fn default_path() -> Option<PathBuf> {
    crate::env::config_path()
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|d| d.join("ccpulse").join("config.toml")))
}

/// Load the config. `explicit` (from `--config`) must exist; the default path may be absent,
/// which means defaults.
pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigFileError> {
    let (path, must_exist) = match explicit {
        Some(p) => (Some(p.to_path_buf()), true),
        None => (default_path(), crate::env::config_path().is_some()),
    };
    let raw = match &path {
        None => RawConfig::default(),
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| ConfigFileError::Syntax {
                path: path.clone(),
                message: e.to_string().trim_end().to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                RawConfig::default()
            }
            Err(source) => {
                return Err(ConfigFileError::Read {
                    path: path.clone(),
                    source,
                })
            }
        },
    };
    Config::resolve(raw, &crate::env::overrides()).map_err(|source| ConfigFileError::Value {
        path: path.unwrap_or_default(),
        source,
    })
}

/// Call `changed` whenever the default config file is written (created, replaced, edited),
/// until the returned watcher is dropped. `None` when there is no folder to watch (no config
/// dir, or it does not exist: ccpulse creates none for this).
pub fn watch(
    changed: impl Fn() + Send + 'static,
) -> Option<notify::Result<notify::RecommendedWatcher>> {
    let path = default_path()?;
    let (dir, name) = (path.parent()?, path.file_name()?.to_str()?);
    dir.is_dir()
        .then(|| crate::state_dir::StateDir::at(dir).watch(name, changed))
}
