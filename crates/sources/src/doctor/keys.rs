//! The API key check: the settings that make Claude Code use an API key (or a bearer token)
//! instead of the subscription login, named by where they are set, never by their value.

use crate::env;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::usage_log::paths::config_dir;

use super::{named, read_json, Check, Input};

/// The settings that make Claude Code use an API key (or a bearer token) instead of the login.
const KEY_VARS: [&str; 2] = [env::ANTHROPIC_API_KEY, env::ANTHROPIC_AUTH_TOKEN];

/// Where a setting that makes Claude Code use an API key instead of the subscription is set,
/// in words ("ANTHROPIC_API_KEY in the environment", "ANTHROPIC_API_KEY in /p/.env",
/// "apiKeyHelper in /home/u/.claude/settings.json"); never a value.
pub fn key_overrides(
    env: &dyn Fn(&str) -> Option<String>,
    env_files: &[PathBuf],
    claude_config_dir: Option<&Path>,
) -> Vec<String> {
    let mut found = Vec::new();
    for name in KEY_VARS {
        if env(name).is_some_and(|v| !v.trim().is_empty()) {
            found.push(format!("{name} in the environment"));
        }
    }
    for file in env_files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for name in KEY_VARS {
            if dotenv_value(&text, name).is_some_and(|v| !v.is_empty()) {
                found.push(format!("{name} in {}", file.display()));
            }
        }
    }
    let Some(path) = claude_config_dir.map(|d| d.join("settings.json")) else {
        return found;
    };
    let Some(settings) = read_json(&path) else {
        return found;
    };
    let set = |v: &Value| v.as_str().map_or(!v.is_null(), |s| !s.trim().is_empty());
    for name in KEY_VARS {
        if settings
            .get("env")
            .and_then(|e| e.get(name))
            .is_some_and(set)
        {
            found.push(format!("{name} in {}", path.display()));
        }
    }
    if settings.get("apiKeyHelper").is_some_and(set) {
        found.push(format!("apiKeyHelper in {}", path.display()));
    }
    found
}

/// [`key_overrides`] for this process: its environment, these `.env` files, and the settings
/// in Claude Code's config dir (`CLAUDE_CONFIG_DIR`, else `~/.claude`).
pub fn key_overrides_here(env_files: &[PathBuf]) -> Vec<String> {
    let dir = config_dir(
        env::var(env::CLAUDE_CONFIG_DIR).as_deref(),
        std::env::home_dir().as_deref(),
    );
    key_overrides(
        &|k| std::env::var(k).ok(),
        env_files,
        dir.as_ref().map(|(d, _)| d.as_path()),
    )
}

/// The value `name` gets in a `.env` file (the last assignment wins), unquoted.
fn dotenv_value<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let value = text
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line.strip_prefix("export ").map_or(line, str::trim_start);
            let (key, value) = line.split_once('=')?;
            (key.trim() == name).then_some(value.trim())
        })
        .next_back()?;
    let quoted = |q: char| value.len() >= 2 && value.starts_with(q) && value.ends_with(q);
    Some(if quoted('"') || quoted('\'') {
        &value[1..value.len() - 1]
    } else if value.starts_with('#') {
        ""
    } else {
        value
    })
}

pub(super) fn api_key(input: &Input) -> Check {
    let c = named("api-key", "API key");
    let env_files: Vec<PathBuf> = input.cwd.iter().map(|d| d.join(".env")).collect();
    let claude_dir = input.claude_dir();
    let mut found = key_overrides(&|k| input.var(k), &env_files, claude_dir.as_deref());
    // The project's own settings, where Claude Code would start.
    if let Some(project) = input.cwd.as_ref().map(|d| d.join(".claude")) {
        if claude_dir.as_ref() != Some(&project) {
            found.extend(key_overrides(&|_| None, &[], Some(&project)));
        }
    }
    if found.is_empty() {
        return c.pass("none set: Claude Code uses your subscription login");
    }
    c.warn(
        format!(
            "{}: Claude Code uses it instead of your subscription, and bills it",
            found.join("; ")
        ),
        "api-key-overrides-subscription",
    )
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::testing::write;

    #[test]
    fn key_overrides_says_where_never_what() {
        let dir = tempfile::tempdir().unwrap();
        let dotenv = dir.path().join(".env");
        write(
            &dotenv,
            "# ANTHROPIC_API_KEY=commented\nexport ANTHROPIC_AUTH_TOKEN='tok-secret'\nANTHROPIC_API_KEY=\n",
        );
        let claude = dir.path().join("claude");
        write(
            &claude.join("settings.json"),
            r#"{"env": {"ANTHROPIC_API_KEY": "sk-ant-secret", "ANTHROPIC_AUTH_TOKEN": ""},
                "apiKeyHelper": "~/bin/key.sh"}"#,
        );
        let env = |k: &str| (k == "ANTHROPIC_API_KEY").then(|| "sk-ant-env".to_string());
        let missing = dir.path().join("none/.env");
        let found = key_overrides(&env, &[dotenv.clone(), missing], Some(&claude));
        let settings = claude.join("settings.json");
        assert_eq!(
            found,
            [
                "ANTHROPIC_API_KEY in the environment".to_string(),
                format!("ANTHROPIC_AUTH_TOKEN in {}", dotenv.display()),
                format!("ANTHROPIC_API_KEY in {}", settings.display()),
                format!("apiKeyHelper in {}", settings.display()),
            ]
        );
        // Empty values do not count.
        let empty = |_: &str| Some(" ".to_string());
        assert!(key_overrides(&empty, &[], None).is_empty());
    }

    #[test]
    fn dotenv_values_are_unquoted_and_the_last_wins() {
        let text = "A=1\nexport B = \"two\"\nA='3'\nC=#x\n";
        assert_eq!(dotenv_value(text, "A"), Some("3"));
        assert_eq!(dotenv_value(text, "B"), Some("two"));
        assert_eq!(dotenv_value(text, "C"), Some(""));
        assert_eq!(dotenv_value(text, "D"), None);
    }
}
