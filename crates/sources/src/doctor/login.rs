//! The login check: what Claude Code's `.credentials.json` holds (plan, expiry, scope), read
//! only; no token is ever put in the result.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::oauth_usage::{read_credentials, CredentialsError};

use super::{named, Check};

/// What `.credentials.json` holds, read only. No token is ever put in the result.
pub fn login(credentials: Option<&Path>, now: DateTime<Utc>) -> Check {
    let c = named("login", "Claude login");
    let Some(path) = credentials else {
        return c.warn(
            "no home folder to find Claude Code's login in",
            "not-logged-in",
        );
    };
    let shown = path.display();
    match read_credentials(path, now) {
        Ok(login) => {
            let plan = login
                .plan
                .map_or_else(|| "subscription".to_string(), |s| format!("{s} plan"));
            let until = login.expires_at.map_or_else(
                || ", no expiry given".to_string(),
                |at| format!(", renews by {}", utc(at)),
            );
            c.pass(format!("logged in ({plan}){until}"))
        }
        Err(CredentialsError::Missing(_)) if cfg!(target_os = "macos") => c.info(format!(
            "no {shown}: on macOS Claude Code keeps its login in the Keychain, which doctor \
             does not read"
        )),
        Err(CredentialsError::Missing(_)) => c.warn(
            format!("no {shown}: not logged in; run `claude` and /login"),
            "not-logged-in",
        ),
        Err(CredentialsError::NotSubscription(_)) => c.warn(
            format!("{shown} holds no Claude subscription login: run `claude` and /login"),
            "not-logged-in",
        ),
        Err(CredentialsError::Unreadable(_, why)) => {
            c.warn(format!("cannot read {shown}: {why}"), "not-logged-in")
        }
        Err(CredentialsError::Expired { at }) => c.warn(
            format!(
                "expired at {}: run `claude`, which renews its own login (or /login if \
                 that fails)",
                utc(at)
            ),
            "oauth-expired",
        ),
        Err(CredentialsError::NoProfileScope) => c.warn(
            "the login lacks the user:profile scope (plan limits cannot be read): run /login",
            "oauth-scope",
        ),
    }
}

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::testing::write;
    use crate::doctor::Verdict;

    #[test]
    fn login_verdicts_and_no_token_anywhere() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".credentials.json");
        let now = Utc::now();
        let later = now.timestamp_millis() + 3_600_000;
        let earlier = now.timestamp_millis() - 1;
        let login_with = |oauth: &str| {
            write(&path, &format!(r#"{{"claudeAiOauth": {oauth}}}"#));
            login(Some(&path), now)
        };
        let tokens = r#""accessToken": "sk-ant-oat-SECRET", "refreshToken": "sk-ant-ort-SECRET""#;
        let cases = [
            (
                format!(
                    r#"{{{tokens}, "expiresAt": {later}, "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"}}"#
                ),
                Verdict::Pass,
                None,
            ),
            (
                format!(r#"{{{tokens}, "expiresAt": {earlier}, "scopes": ["user:profile"]}}"#),
                Verdict::Warn,
                Some("oauth-expired"),
            ),
            (
                format!(r#"{{{tokens}, "expiresAt": {later}, "scopes": ["user:inference"]}}"#),
                Verdict::Warn,
                Some("oauth-scope"),
            ),
            ("null".to_string(), Verdict::Warn, Some("not-logged-in")),
        ];
        for (oauth, verdict, advice) in cases {
            let c = login_with(&oauth);
            assert_eq!((c.verdict, c.advice), (verdict, advice), "{c:?}");
            assert!(!format!("{c:?}").contains("SECRET"));
            if verdict == Verdict::Pass {
                assert!(
                    c.detail.starts_with("logged in (max plan), renews by "),
                    "{c:?}"
                );
            }
        }
        write(&path, "{not json sk-ant-oat-SECRET");
        let c = login(Some(&path), now);
        assert_eq!(c.advice, Some("not-logged-in"));
        assert!(!c.detail.contains("SECRET"));
        if !cfg!(target_os = "macos") {
            let c = login(Some(&dir.path().join("missing.json")), now);
            assert_eq!(
                (c.verdict, c.advice),
                (Verdict::Warn, Some("not-logged-in"))
            );
        }
    }
}
