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
/// until the returned watcher is dropped. The file's own folder (`~/.config/ccpulse`) is
/// created when the folder above it exists, so that a first file, such as the one the panel's
/// Settings tab writes, is seen; `None` when there is no such folder either.
pub fn watch(
    changed: impl Fn() + Send + 'static,
) -> Option<notify::Result<notify::RecommendedWatcher>> {
    let path = default_path()?;
    let (dir, name) = (path.parent()?, path.file_name()?.to_str()?);
    (dir.is_dir() || dir.parent().is_some_and(Path::is_dir))
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
    Ok(value_in(&document(path)?, section, name))
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
    commit(path, key, &doc)
}

/// Remove `key` (`section.name`) from the file at `path`, so its default applies again; the
/// rest of the file is kept as it is. Checked and written as [`set`] does (a file that does not
/// resolve without the key, say because another key is wrong, is left as it is). Removing a key
/// the file does not set changes nothing and writes nothing.
pub fn unset(path: &Path, key: &str) -> Result<Config, ConfigFileError> {
    let (section, name) = key_parts(key)?;
    let mut doc = document(path)?;
    let removed = doc
        .get_mut(section)
        .and_then(|t| t.as_table_like_mut())
        .and_then(|t| t.remove(name))
        .is_some();
    if !removed {
        return resolve(key, &doc.to_string());
    }
    commit(path, key, &doc)
}

/// The new file's text must resolve as loading does; then it is written, atomically.
fn commit(path: &Path, key: &str, doc: &toml_edit::DocumentMut) -> Result<Config, ConfigFileError> {
    let text = doc.to_string();
    let config = resolve(key, &text)?;
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

/// `text` resolved; an error names the key that is wrong (`key` when the shape is).
fn resolve(key: &str, text: &str) -> Result<Config, ConfigFileError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigFileError::Key {
        key: key.into(),
        message: e.message().to_string(),
    })?;
    Config::resolve(raw, &crate::env::overrides()).map_err(|e| ConfigFileError::Key {
        key: e.key.into(),
        message: e.message,
    })
}

/// One key of the file, for the settings page: what the file sets it to and what applies
/// without it, both as TOML and as JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Setting {
    pub key: &'static str,
    /// The file's value as TOML (`[80, 95]`), `None` when it does not set the key.
    pub toml: Option<String>,
    /// The same value as JSON.
    pub value: Option<serde_json::Value>,
    /// What applies when the file does not set it, as JSON; `None` means nothing (quiet hours).
    pub default: Option<serde_json::Value>,
}

/// Every key ([`ccpulse_core::config::defaults`]) with its value in the file at `path`.
pub fn settings(path: &Path) -> Result<Vec<Setting>, ConfigFileError> {
    let doc = document(path)?;
    let json = |toml_text: &str| {
        toml::from_str::<toml::Table>(&format!("v = {toml_text}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .and_then(|v| serde_json::to_value(v).ok())
    };
    Ok(ccpulse_core::config::defaults()
        .into_iter()
        .map(|(key, default)| {
            let toml = key_parts(key).ok().and_then(|(s, n)| value_in(&doc, s, n));
            Setting {
                key,
                value: toml.as_deref().and_then(json),
                toml,
                default: default.as_deref().and_then(json),
            }
        })
        .collect())
}

fn value_in(doc: &toml_edit::DocumentMut, section: &str, name: &str) -> Option<String> {
    doc.get(section)
        .and_then(|t| t.get(name))
        .and_then(|item| item.as_value())
        .map(|v| {
            let mut v = v.clone();
            v.decor_mut().clear();
            v.to_string()
        })
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

    #[test]
    fn unset_removes_the_key_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, FILE).unwrap();
        let config = unset(&path, "notifications.quiet_hours").unwrap();
        assert_eq!(config.notifications.quiet_hours, None);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "# my settings\n[notifications]\nlimit_thresholds = [80, 95] # the default\n"
        );
        // Not set: nothing to remove, nothing written.
        let before = std::fs::read(&path).unwrap();
        unset(&path, "status.poll_secs").unwrap();
        unset(&path, "notifications.quiet_hours").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert!(unset(&path, "poll_secs").is_err());
        // A file that does not resolve without the key stays as it is.
        std::fs::write(
            &path,
            "[status]\npoll_secs = 0\n[display]\nclock = \"12h\"\n",
        )
        .unwrap();
        let before = std::fs::read(&path).unwrap();
        let e = unset(&path, "display.clock").unwrap_err().to_string();
        assert!(e.contains("status.poll_secs: 0 is out of range"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn every_default_written_to_the_file_resolves_to_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        for (key, default) in ccpulse_core::config::defaults() {
            if let Some(value) = default {
                set(&path, key, &value).unwrap_or_else(|e| panic!("{key} = {value}: {e}"));
            }
        }
        let config = load(Some(&path)).unwrap();
        // The status page's address from the environment, if any, wins in both.
        let defaults = Config::resolve(RawConfig::default(), &crate::env::overrides()).unwrap();
        assert_eq!(config, defaults);
    }

    #[test]
    fn settings_say_what_the_file_sets_and_what_applies_without_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let absent = settings(&path).unwrap();
        assert!(absent.iter().all(|s| s.toml.is_none()), "{absent:?}");
        std::fs::write(&path, FILE).unwrap();
        let all = settings(&path).unwrap();
        assert_eq!(all.len(), ccpulse_core::config::defaults().len());
        let find = |key: &str| all.iter().find(|s| s.key == key).unwrap();
        let t = find("notifications.limit_thresholds");
        assert_eq!(t.toml.as_deref(), Some("[80, 95]"));
        assert_eq!(t.value, Some(serde_json::json!([80, 95])));
        assert_eq!(t.default, Some(serde_json::json!([80, 95])));
        let q = find("notifications.quiet_hours");
        assert_eq!(q.value, Some(serde_json::json!("22:00-07:00")));
        assert_eq!(q.default, None);
        let p = find("status.poll_secs");
        assert_eq!(
            (p.toml.as_deref(), p.default.clone()),
            (None, Some(serde_json::json!(60)))
        );
        assert_eq!(
            find("display.clock").default,
            Some(serde_json::json!("auto"))
        );
    }
}
