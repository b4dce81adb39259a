//! `[limits]`: asking Claude Code for the plan's windows is on by default, can be switched off,
//! and takes only an absolute path to `claude`.

use ccpulse_core::config::{ClaudeUsage, Config, Overrides, RawConfig};

#[test]
fn asking_claude_code_is_on_by_default_and_switchable() {
    let o = Overrides::default();
    let c = Config::resolve(RawConfig::default(), &o).unwrap();
    assert!(!c.claude_usage.disabled);
    // An absolute path the way the system writes one.
    let path = if cfg!(windows) {
        r"C:\Program Files\Claude\claude.exe"
    } else {
        "/opt/claude/bin/claude"
    };
    let raw: RawConfig = serde_json::from_value(serde_json::json!({
        "limits": {"claude_code": false, "claude_path": path}
    }))
    .unwrap();
    let c = Config::resolve(raw, &o).unwrap();
    assert_eq!(
        c.claude_usage,
        ClaudeUsage {
            disabled: true,
            path: Some(path.into())
        }
    );
    let raw: RawConfig =
        serde_json::from_value(serde_json::json!({"limits": {"claude_path": "claude"}})).unwrap();
    let e = Config::resolve(raw, &o).unwrap_err();
    assert_eq!(e.key, "limits.claude_path");
    assert!(
        serde_json::from_value::<RawConfig>(serde_json::json!({"limits": {"claude": true}}))
            .is_err()
    );
}
