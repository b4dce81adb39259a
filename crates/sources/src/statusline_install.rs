//! Making ccpulse Claude Code's status line, and taking it out again: one code path for
//! `ccpulse statusline install | uninstall` and the panel's set-up page. settings.json is read
//! as JSON, backed up before the first change, replaced atomically (Claude Code sees the old
//! file or the new one), and what `install` changed is recorded in the state dir so `uninstall`
//! can put it back exactly.
//!
//! The file is written back the way it was: a leading UTF-8 BOM kept (editors on Windows add
//! one), CRLF line ends kept if it had them, the same indent, the same final line end, and the
//! keys in their order (serde_json's `preserve_order`). A new file is written as Claude Code
//! writes it, on every system: LF, no BOM, two spaces, a final line end.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use ccpulse_core::view::setup::StatusLineFact;

use crate::atomic;
use crate::env;
use crate::state_dir::StateDir;
use crate::usage_log::paths::config_dir;

/// The record of what `install` changed, in the state dir.
pub const INSTALLED_FILE: &str = "statusline-install.json";

/// What `install` changed, so `uninstall` can put it back.
#[derive(Serialize, Deserialize)]
struct Installed {
    settings: PathBuf,
    /// The file before (`None`: there was none).
    before: Option<String>,
    /// The file as `install` wrote it.
    after: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("no home folder to find Claude Code's settings in")]
    NoHome,
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, String),
    #[error("{0} is not valid JSON ({1}); left as it is")]
    NotJson(PathBuf, String),
    #[error("{0} is not a JSON object; left as it is")]
    NotObject(PathBuf),
    #[error(
        "Claude Code already runs a status line command: {command}\nRun `ccpulse statusline \
         install --chain` to keep it (its line is shown after ccpulse's), or remove it from {} \
         first.", settings.display()
    )]
    Taken { command: String, settings: PathBuf },
    #[error("ccpulse did not install a status line (nothing recorded in the state dir)")]
    NotInstalled,
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, String),
    #[error("cannot record the install (for uninstall): {0}")]
    Record(String),
}

/// Claude Code's user settings: in the first root of `CLAUDE_CONFIG_DIR`, else `~/.claude`.
pub fn settings_path() -> Option<PathBuf> {
    let (root, _) = config_dir(
        env::var(env::CLAUDE_CONFIG_DIR).as_deref(),
        std::env::home_dir().as_deref(),
    )?;
    Some(root.join("settings.json"))
}

/// Quote for a POSIX shell.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn is_ours(command: &str) -> bool {
    command.contains("ccpulse") && command.contains(" statusline")
}

/// The command chained after ours: what follows `--chain ` in our command, unquoted.
fn chained_in(command: &str) -> Option<String> {
    let (_, rest) = command.split_once(" --chain ")?;
    let rest = rest.trim();
    Some(
        match rest.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
            Some(inner) => inner.replace(r"'\''", "'"),
            None => rest.to_string(),
        },
    )
}

/// The UTF-8 byte order mark some Windows editors put at the start of a file.
const BOM: char = '\u{feff}';

/// `text` without a leading UTF-8 BOM (JSON parsers reject one).
pub(crate) fn without_bom(text: &str) -> &str {
    text.strip_prefix(BOM).unwrap_or(text)
}

/// How a settings file is laid out, to write it back the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    bom: bool,
    crlf: bool,
    indent: String,
    final_newline: bool,
}

impl Layout {
    /// Claude Code's own: LF, no BOM, two spaces, a final line end.
    fn new_file() -> Layout {
        Layout {
            bom: false,
            crlf: false,
            indent: "  ".into(),
            final_newline: true,
        }
    }

    /// The layout of `text`; what it does not show (a one-line file has no indent) is
    /// Claude Code's.
    fn of(text: &str) -> Layout {
        let body = without_bom(text);
        let default = Layout::new_file();
        // CRLF if the first line end is one (a file mixes them only by accident).
        let crlf = body
            .find('\n')
            .map_or(default.crlf, |i| body[..i].ends_with('\r'));
        let indent = body
            .lines()
            .skip(1)
            .map(|l| &l[..l.len() - l.trim_start_matches([' ', '\t']).len()])
            .find(|i| !i.is_empty())
            .map_or(default.indent, str::to_owned);
        Layout {
            bom: body.len() != text.len(),
            crlf,
            indent,
            final_newline: body.trim_end_matches([' ', '\t']).ends_with('\n')
                || body.trim().is_empty(),
        }
    }

    /// `settings` as JSON laid out this way.
    fn write(&self, settings: &serde_json::Value) -> String {
        let mut bytes = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(self.indent.as_bytes());
        let mut ser = serde_json::Serializer::with_formatter(&mut bytes, formatter);
        settings.serialize(&mut ser).expect("JSON values serialize");
        let json = String::from_utf8(bytes).expect("serde_json writes UTF-8");
        // Strings are escaped, so every line end in `json` is one between tokens.
        let newline = if self.crlf { "\r\n" } else { "\n" };
        let mut out = String::with_capacity(json.len() + 64);
        if self.bom {
            out.push(BOM);
        }
        out.push_str(&json.replace('\n', newline));
        if self.final_newline {
            out.push_str(newline);
        }
        out
    }
}

fn read(path: &Path) -> Result<Option<String>, InstallError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(InstallError::Read(path.to_path_buf(), e.to_string())),
    }
}

fn parse(path: &Path, text: Option<&str>) -> Result<serde_json::Value, InstallError> {
    match text {
        Some(text) if !without_bom(text).trim().is_empty() => {
            serde_json::from_str(without_bom(text))
                .map_err(|e| InstallError::NotJson(path.to_path_buf(), e.to_string()))
        }
        _ => Ok(serde_json::json!({})),
    }
}

fn command_in(settings: &serde_json::Value) -> Option<String> {
    settings
        .get("statusLine")
        .and_then(|s| s.get("command"))
        .and_then(|c| c.as_str())
        .map(str::to_owned)
}

/// What Claude Code's `statusLine` is now, and whether ccpulse's install put it there.
pub fn state(path: &Path, dir: &StateDir) -> StatusLineFact {
    let parsed = read(path).and_then(|text| parse(path, text.as_deref()));
    let settings = match parsed {
        Ok(s) => s,
        Err(e) => return StatusLineFact::Unreadable { why: e.to_string() },
    };
    match command_in(&settings) {
        None => StatusLineFact::NotSet,
        Some(c) if is_ours(&c) => StatusLineFact::Ours {
            chained: chained_in(&c),
            by_ccpulse: matches!(dir.load::<Installed>(INSTALLED_FILE), Ok(Some(_))),
        },
        Some(command) => StatusLineFact::Other { command },
    }
}

/// Make `exe statusline` Claude Code's status line; with `chain`, keep the command already set
/// and show its line after ours. Returns what to tell the user.
pub fn install(exe: &Path, chain: bool, dir: &StateDir) -> Result<String, InstallError> {
    let path = settings_path().ok_or(InstallError::NoHome)?;
    install_to(&path, exe, chain, dir)
}

/// [`install`] into the settings file at `path`.
pub fn install_to(
    path: &Path,
    exe: &Path,
    chain: bool,
    dir: &StateDir,
) -> Result<String, InstallError> {
    let path = path.to_path_buf();
    let before = read(&path)?;
    let mut settings = parse(&path, before.as_deref())?;
    let existing = command_in(&settings);
    let Some(map) = settings.as_object_mut() else {
        return Err(InstallError::NotObject(path));
    };
    let mut command = format!("{} statusline", quoted(&exe.to_string_lossy()));
    match existing {
        Some(c) if is_ours(&c) => {
            return Ok(format!(
                "ccpulse is already Claude Code's status line ({}).",
                path.display()
            ))
        }
        Some(c) if chain => command += &format!(" --chain {}", quoted(&c)),
        Some(command) => {
            return Err(InstallError::Taken {
                command,
                settings: path,
            })
        }
        None => {}
    }
    map.insert(
        "statusLine".into(),
        serde_json::json!({"type": "command", "command": command}),
    );
    let layout = before.as_deref().map_or_else(Layout::new_file, Layout::of);
    let after = layout.write(&settings);
    if let Some(text) = &before {
        let backup = path.with_extension("json.ccpulse-backup");
        std::fs::write(&backup, text).map_err(|e| InstallError::Write(backup, e.to_string()))?;
    }
    let record = Installed {
        settings: path.clone(),
        before,
        after: after.clone(),
    };
    dir.save(INSTALLED_FILE, &record)
        .map_err(|e| InstallError::Record(e.to_string()))?;
    replace(&path, &after)?;
    Ok(format!(
        "Claude Code's status line is now ccpulse ({}). Undo with `ccpulse statusline uninstall`.",
        path.display()
    ))
}

/// Put settings.json back as it was before `install` (only the `statusLine` setting, if the
/// file changed since). Returns what to tell the user.
pub fn uninstall(dir: &StateDir) -> Result<String, InstallError> {
    let record = match dir.load::<Installed>(INSTALLED_FILE) {
        Ok(Some(r)) => r,
        Ok(None) => return Err(InstallError::NotInstalled),
        Err(e) => return Err(InstallError::Read(dir.path(INSTALLED_FILE), e.to_string())),
    };
    let path = &record.settings;
    let now = std::fs::read_to_string(path).ok();
    if now.as_deref() == Some(record.after.as_str()) {
        // Untouched since: exactly as it was.
        match &record.before {
            Some(text) => replace(path, text)?,
            None => std::fs::remove_file(path)
                .map_err(|e| InstallError::Write(path.clone(), e.to_string()))?,
        }
    } else if let Some(text) = now {
        // Changed since: take out only what install put in.
        let mut settings = parse(path, Some(&text))?;
        let old = record
            .before
            .as_deref()
            .and_then(|b| serde_json::from_str::<serde_json::Value>(without_bom(b)).ok())
            .and_then(|b| b.get("statusLine").cloned());
        if let Some(map) = settings.as_object_mut() {
            match old {
                Some(v) => map.insert("statusLine".into(), v),
                None => map.remove("statusLine"),
            };
        }
        replace(path, &Layout::of(&text).write(&settings))?;
    }
    let _ = std::fs::remove_file(dir.path(INSTALLED_FILE));
    Ok(format!(
        "Claude Code's status line is back as it was ({}).",
        path.display()
    ))
}

/// Replace `path` with `text` atomically, keeping its permissions.
fn replace(path: &Path, text: &str) -> Result<(), InstallError> {
    atomic::Options::new()
        .durable(true)
        .keep_permissions(true)
        .write(path, text.as_bytes())
        .map_err(|e| InstallError::Write(path.to_path_buf(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chained_command_is_read_back_out_of_ours() {
        assert_eq!(
            chained_in(r"'/usr/bin/ccpulse' statusline --chain '~/bin/it'\''s.sh'"),
            Some("~/bin/it's.sh".to_string())
        );
        assert_eq!(chained_in("'/usr/bin/ccpulse' statusline"), None);
    }

    #[test]
    fn the_layout_is_read_and_written_back() {
        let text = "\u{feff}{\r\n\t\"a\": [\r\n\t\t1\r\n\t]\r\n}";
        let layout = Layout::of(text);
        assert_eq!(
            layout,
            Layout {
                bom: true,
                crlf: true,
                indent: "\t".into(),
                final_newline: false,
            }
        );
        let value: serde_json::Value = serde_json::from_str(without_bom(text)).unwrap();
        assert_eq!(layout.write(&value), text);
        assert_eq!(Layout::of("{}\n"), Layout::new_file());
        assert_eq!(Layout::of(""), Layout::new_file());
        let four = "{\n    \"a\": 1\n}\n";
        assert_eq!(Layout::of(four).indent, "    ");
        let value: serde_json::Value = serde_json::from_str(four).unwrap();
        assert_eq!(Layout::of(four).write(&value), four);
        // A line end inside a string is escaped, never turned into CRLF.
        let crlf = Layout::of("{\r\n}\r\n");
        let multi = serde_json::json!({"s": "one\ntwo"});
        assert_eq!(crlf.write(&multi), "{\r\n  \"s\": \"one\\ntwo\"\r\n}\r\n");
    }

    #[test]
    fn the_state_names_who_set_the_status_line() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::at(tmp.path().join("state"));
        let path = tmp.path().join("settings.json");
        assert_eq!(state(&path, &dir), StatusLineFact::NotSet);
        std::fs::write(
            &path,
            r#"{"statusLine":{"type":"command","command":"line.sh"}}"#,
        )
        .unwrap();
        assert_eq!(
            state(&path, &dir),
            StatusLineFact::Other {
                command: "line.sh".into()
            }
        );
        std::fs::write(
            &path,
            "\u{feff}{\r\n  \"statusLine\": {\"type\": \"command\", \"command\": \"line.sh\"}\r\n}\r\n",
        )
        .unwrap();
        assert_eq!(
            state(&path, &dir),
            StatusLineFact::Other {
                command: "line.sh".into()
            },
            "a BOM and CRLF are read"
        );
        std::fs::write(&path, "{not json").unwrap();
        assert!(matches!(
            state(&path, &dir),
            StatusLineFact::Unreadable { .. }
        ));
        std::fs::write(
            &path,
            r#"{"statusLine":{"type":"command","command":"'/x/ccpulse' statusline"}}"#,
        )
        .unwrap();
        assert_eq!(
            state(&path, &dir),
            StatusLineFact::Ours {
                chained: None,
                by_ccpulse: false
            }
        );
    }
}
