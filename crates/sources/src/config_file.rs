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
    #[error("{key}: {message}")]
    Key { key: String, message: String },
    #[error("cannot write config file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
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
/// The file `load` reads: `explicit`, else [`default_path`].
pub fn path(explicit: Option<&Path>) -> Option<PathBuf> {
    explicit.map(Path::to_path_buf).or_else(default_path)
}

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

/// `section.name` split, or why it is not a key.
fn key_parts(key: &str) -> Result<(&str, &str), ConfigFileError> {
    match key.split_once('.') {
        Some((section, name)) if !section.is_empty() && !name.is_empty() && !name.contains('.') => {
            Ok((section, name))
        }
        _ => Err(ConfigFileError::Key {
            key: key.into(),
            message: "a key is `section.name`, e.g. `notifications.limit_thresholds`".into(),
        }),
    }
}

fn document(path: &Path) -> Result<toml_edit::DocumentMut, ConfigFileError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ConfigFileError::Read {
                path: path.into(),
                source,
            })
        }
    };
    text.parse()
        .map_err(|e: toml_edit::TomlError| ConfigFileError::Syntax {
            path: path.into(),
            message: e.to_string().trim_end().to_string(),
        })
}

/// The value `key` (`section.name`) has in the file at `path`, as TOML; `None` when the file
/// does not set it (the default applies).
pub fn get(path: &Path, key: &str) -> Result<Option<String>, ConfigFileError> {
    let (section, name) = key_parts(key)?;
    let doc = document(path)?;
    Ok(doc
        .get(section)
        .and_then(|t| t.get(name))
        .and_then(|item| item.as_value())
        .map(|v| {
            let mut v = v.clone();
            v.decor_mut().clear();
            v.to_string()
        }))
}

/// Set `key` (`section.name`) to `value` in the file at `path`, keeping the rest of the file as
/// it is (comments, order, layout). `value` is TOML (`[80, 95]`, `true`, `60`, `"22:00-07:00"`);
/// anything that is not is taken as a string. The new file must resolve the way it is loaded
/// (unknown keys, types and ranges are checked by the same `Config::resolve`): if it does not,
/// nothing is written and the error names the key and why. Written atomically.
pub fn set(path: &Path, key: &str, value: &str) -> Result<Config, ConfigFileError> {
    let (section, name) = key_parts(key)?;
    let mut doc = document(path)?;
    let value: toml_edit::Value = value
        .parse()
        .unwrap_or_else(|_| toml_edit::Value::from(value));
    let table = doc
        .entry(section)
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| ConfigFileError::Key {
            key: key.into(),
            message: format!("`{section}` is not a table in {}", path.display()),
        })?;
    match table.get_mut(name).and_then(|item| item.as_value_mut()) {
        // In place: the key's comments and the value's own stay.
        Some(old) => {
            let decor = old.decor().clone();
            *old = value;
            *old.decor_mut() = decor;
        }
        None => {
            table.insert(name, toml_edit::Item::Value(value));
        }
    }
    let text = doc.to_string();
    let raw: RawConfig = toml::from_str(&text).map_err(|e| ConfigFileError::Key {
        key: key.into(),
        message: e.message().to_string(),
    })?;
    let config =
        Config::resolve(raw, &crate::env::overrides()).map_err(|e| ConfigFileError::Key {
            key: e.key.into(),
            message: e.message,
        })?;
    crate::atomic::Options::new()
        .durable(true)
        .keep_permissions(true)
        .write(path, text.as_bytes())
        .map_err(|source| ConfigFileError::Write {
            path: path.into(),
            source,
        })?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# my settings\n[notifications]\n# quiet at night\nquiet_hours = \"22:00-07:00\"\nlimit_thresholds = [80, 95] # the default\n";

    #[test]
    fn set_keeps_the_file_and_checks_the_value_as_loading_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, FILE).unwrap();
        let config = set(&path, "notifications.limit_thresholds", "[70]").unwrap();
        assert_eq!(config.limit_thresholds, [70]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# my settings\n[notifications]\n# quiet at night\n"),
            "{text}"
        );
        assert!(text.contains("limit_thresholds = [70]"), "{text}");
        assert_eq!(
            get(&path, "notifications.limit_thresholds")
                .unwrap()
                .as_deref(),
            Some("[70]")
        );
        assert_eq!(get(&path, "status.poll_secs").unwrap(), None);

        // Refused: out of range, unknown, of the wrong type, not a key. The file is untouched.
        let before = std::fs::read(&path).unwrap();
        for (key, value, says) in [
            (
                "notifications.limit_thresholds",
                "[150]",
                "notifications.limit_thresholds: 150 is out of range",
            ),
            ("notifications.colour", "true", "unknown field `colour`"),
            ("status.poll_secs", "soon", "invalid type"),
            ("poll_secs", "60", "section.name"),
        ] {
            let e = set(&path, key, value).unwrap_err().to_string();
            assert!(e.contains(says), "{key} = {value}: {e}");
            assert_eq!(std::fs::read(&path).unwrap(), before, "{key} = {value}");
        }
        // A new section and a bare word as a string.
        set(&path, "status.poll_secs", "120").unwrap();
        set(&path, "notifications.quiet_hours", "23:00-06:00").unwrap();
        let config = load(Some(&path)).unwrap();
        assert_eq!(config.status.policy.interval.as_secs(), 120);
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .contains("# quiet at night"));
    }
}
