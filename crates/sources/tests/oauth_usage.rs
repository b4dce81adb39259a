//! The OAuth usage source against a real loopback server: every payload shape, every refusal,
//! the 429 back-off counted in requests, and every kind of missing or unusable login. The
//! token never leaves for anywhere but the request, and never lands in the state dir or an
//! error.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use ccpulse_core::limits::Source;
use ccpulse_sources::oauth_usage::{self, read_token, Cache, CredentialsError, Login};
use ccpulse_sources::state_dir::StateDir;

const TOKEN: &str = "sk-ant-oat01-PLANTED-TOKEN-6f1c";

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/oauth-usage");
    std::fs::read(p.join(name)).unwrap()
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-07-03T00:00:00Z")
        .unwrap()
        .to_utc()
}

fn credentials(dir: &Path, body: serde_json::Value) -> PathBuf {
    let p = dir.join(".credentials.json");
    std::fs::write(&p, body.to_string()).unwrap();
    p
}

fn good_login(dir: &Path) -> PathBuf {
    credentials(
        dir,
        serde_json::json!({"claudeAiOauth": {
            "accessToken": TOKEN, "refreshToken": "sk-ant-ort01-REFRESH",
            "expiresAt": now().timestamp_millis() + 3_600_000,
            "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"
        }}),
    )
}

async fn server_with(status: u16, body: Vec<u8>, retry_after: Option<&str>) -> MockServer {
    let server = MockServer::start().await;
    let mut response = ResponseTemplate::new(status).set_body_bytes(body);
    if let Some(r) = retry_after {
        response = response.insert_header("retry-after", r);
    }
    Mock::given(method("GET"))
        .and(path("/api/oauth/usage"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("anthropic-beta", "oauth-2025-04-20"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

async fn attempt(server: &MockServer, state: &Path, login: &Path, at: DateTime<Utc>) -> Cache {
    oauth_usage::refresh(
        &StateDir::at(state),
        &oauth_usage::client(),
        &server.uri(),
        Some(&Login::File(login.to_path_buf())),
        oauth_usage::EVERY,
        false,
        at,
    )
    .await
}

fn no_token_in(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("PLANTED"),
            "{} holds the token",
            entry.path().display()
        );
    }
}

#[tokio::test]
async fn every_payload_shape_is_read() {
    let home = tempfile::tempdir().unwrap();
    let login = good_login(home.path());
    // Mid-2026: legacy per-model windows null, a model-scoped cap in `limits[]`.
    let server = server_with(200, fixture("limits-array-2026-07.json"), None).await;
    let state = home.path().join("state");
    let cache = attempt(&server, &state, &login, now()).await;
    assert_eq!(cache.last_error, None);
    let o = cache.last_good.unwrap();
    assert_eq!(o.source, Source::Oauth);
    let s = o.session.unwrap();
    assert_eq!(s.used_percent, 11.0);
    assert_eq!(
        s.resets_at.unwrap().to_rfc3339(),
        "2026-07-03T00:30:00.282668+00:00"
    );
    assert_eq!(o.weekly.unwrap().used_percent, 9.0);
    assert_eq!(o.models.len(), 1);
    assert_eq!(
        (o.models[0].model.as_str(), o.models[0].reading.used_percent),
        ("Fable", 5.0)
    );

    // Early 2026: four windows, the per-model ones named.
    let o = oauth_usage::parse(&fixture("four-windows-2026-01.json"), now()).unwrap();
    assert_eq!(o.session.unwrap().used_percent, 12.3);
    assert_eq!(o.weekly.unwrap().used_percent, 55.0);
    let models: Vec<_> = o
        .models
        .iter()
        .map(|m| (m.model.as_str(), m.reading.used_percent))
        .collect();
    assert_eq!(models, [("Opus", 9.0), ("Sonnet", 20.0)]);

    // Extra usage in cents.
    let o = oauth_usage::parse(&fixture("extra-usage-cents.json"), now()).unwrap();
    let extra = o.extra_usage.unwrap();
    assert!(extra.enabled);
    assert_eq!((extra.used, extra.limit), (3.25, Some(20.5)));
    assert_eq!(o.weekly, None);
    no_token_in(&state);
}

#[test]
fn weekly_caps_are_read_by_any_name_the_endpoint_gives() {
    // The early-2026 shape with the keys the client's own table names, a codename key that is
    // null, and a `model_scoped` list keyed by display name.
    let body = br#"{
        "five_hour": {"utilization": 11.0, "resets_at": "2026-07-03T00:30:00.282668+00:00"},
        "seven_day": {"utilization": 9.0, "resets_at": "2026-07-08T09:00:00+00:00"},
        "seven_day_opus": {"utilization": 40.0, "resets_at": "2026-07-08T09:00:00+00:00"},
        "seven_day_overage_included": {"utilization": 61.0, "resets_at": "2026-07-08T09:00:00+00:00"},
        "seven_day_oauth_apps": null,
        "seven_day_cowork": {"utilization": 2.0, "resets_at": null},
        "overage": {"utilization": 7.0, "resets_at": "2026-08-01T00:00:00+00:00"},
        "model_scoped": [
            {"model": {"display_name": "Opus 5"}, "utilization": 33.0, "resets_at": "2026-07-08T09:00:00+00:00"},
            {"display_name": "Fable", "utilization": 1.0}
        ]
    }"#;
    let o = oauth_usage::parse(body, now()).unwrap();
    let models: Vec<_> = o
        .models
        .iter()
        .map(|m| (m.model.as_str(), m.reading.used_percent))
        .collect();
    assert_eq!(
        models,
        [
            ("Opus", 40.0),
            ("Fable", 61.0),
            ("Cowork", 2.0),
            ("Opus 5", 33.0)
        ]
    );
    assert_eq!(o.credits.unwrap().used_percent, 7.0);
    assert_eq!(o.session.unwrap().used_percent, 11.0);
}

#[tokio::test]
async fn refusals_and_garbage_keep_the_last_good_reading() {
    let cases: [(u16, &[u8], &str); 5] = [
        (401, b"{}", "HTTP 401): run `claude` or /login"),
        (403, b"{}", "user:profile scope; run /login"),
        (500, b"oops", "HTTP 500"),
        (200, b"<html><body>proxy</body></html>", "an HTML page"),
        (200, b"{\"five_hour\": ", "truncated JSON"),
    ];
    for (status, body, want) in cases {
        let home = tempfile::tempdir().unwrap();
        let login = good_login(home.path());
        let state = home.path().join("state");
        let good = server_with(200, fixture("four-windows-2026-01.json"), None).await;
        assert!(attempt(&good, &state, &login, now())
            .await
            .last_good
            .is_some());
        let bad = server_with(status, body.to_vec(), None).await;
        let later = now() + chrono::Duration::minutes(11);
        let cache = attempt(&bad, &state, &login, later).await;
        let error = cache.last_error.unwrap();
        assert!(error.contains(want), "{status}: {error}");
        assert!(!error.contains("PLANTED"));
        let kept = cache.last_good.unwrap();
        assert_eq!(
            (kept.as_of, kept.session.unwrap().used_percent),
            (now(), 12.3)
        );
        no_token_in(&state);
    }
}

/// After a 429 nothing is sent for 5 minutes, or for `Retry-After` when that is longer, even
/// on demand; the requests the server saw prove it.
#[tokio::test]
async fn a_429_backs_off_for_at_least_five_minutes() {
    for (retry_after, wait_min) in [(None, 5), (Some("0"), 5), (Some("1200"), 20)] {
        let home = tempfile::tempdir().unwrap();
        let login = good_login(home.path());
        let state = home.path().join("state");
        let server = server_with(429, b"{}".to_vec(), retry_after).await;
        let at = |min: i64| now() + chrono::Duration::minutes(min);
        let cache = attempt(&server, &state, &login, at(0)).await;
        assert!(cache.last_error.unwrap().contains("429"));
        let dir = StateDir::at(&state);
        let (client, uri) = (oauth_usage::client(), server.uri());
        let file = Login::File(login.clone());
        let on_demand = |min: i64| {
            oauth_usage::refresh(
                &dir,
                &client,
                &uri,
                Some(&file),
                oauth_usage::EVERY,
                true,
                at(min),
            )
        };
        on_demand(1).await;
        on_demand(wait_min - 1).await;
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "{retry_after:?}"
        );
        on_demand(wait_min).await;
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            2,
            "{retry_after:?}"
        );
    }
}

/// Without a request being made: no file, an MCP-only file, an expired login, a login without
/// the `user:profile` scope.
#[tokio::test]
async fn unusable_logins_are_named_and_nothing_is_sent() {
    let home = tempfile::tempdir().unwrap();
    let server = server_with(200, fixture("four-windows-2026-01.json"), None).await;
    let missing = home.path().join("nowhere/.credentials.json");
    assert!(matches!(
        read_token(&missing, now()),
        Err(CredentialsError::Missing(_))
    ));
    let cases = [
        (
            serde_json::json!({"mcpOAuth": {"server": {"accessToken": TOKEN}}}),
            "holds no Claude subscription login",
        ),
        (
            serde_json::json!({"claudeAiOauth": {"accessToken": TOKEN,
                "expiresAt": now().timestamp_millis() - 1, "scopes": ["user:profile"]}}),
            "has expired",
        ),
        (
            serde_json::json!({"claudeAiOauth": {"accessToken": TOKEN,
                "expiresAt": now().timestamp_millis() + 60_000, "scopes": ["user:inference"]}}),
            "lacks the user:profile scope",
        ),
        (
            serde_json::json!(["not", "a", "login"]),
            "holds no Claude subscription login",
        ),
    ];
    for (i, (body, want)) in cases.into_iter().enumerate() {
        let dir = home.path().join(format!("c{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let login = credentials(&dir, body);
        let state = dir.join("state");
        let cache = attempt(&server, &state, &login, now()).await;
        let error = cache.last_error.unwrap();
        assert!(error.contains(want), "{error}");
        assert!(!error.contains("PLANTED"), "{error}");
        no_token_in(&state);
    }
    let cache = attempt(&server, &home.path().join("s"), &missing, now()).await;
    assert!(cache
        .last_error
        .unwrap()
        .contains("run `claude` and /login"));
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
    // The token's Debug form hides it.
    let token = read_token(&good_login(home.path()), now()).unwrap();
    assert_eq!(format!("{token:?}"), "Token(hidden)");
}

/// The schedule: one attempt per interval unless asked.
#[tokio::test]
async fn attempts_follow_the_interval() {
    let home = tempfile::tempdir().unwrap();
    let login = good_login(home.path());
    let state = home.path().join("state");
    let server = server_with(200, fixture("four-windows-2026-01.json"), None).await;
    let every = Duration::from_secs(600);
    for min in [0, 3, 9] {
        attempt(
            &server,
            &state,
            &login,
            now() + chrono::Duration::minutes(min),
        )
        .await;
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    attempt(
        &server,
        &state,
        &login,
        now() + chrono::Duration::from_std(every).unwrap(),
    )
    .await;
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

/// The Keychain route (macOS), through keyring's mock store: the item's JSON is read like the
/// file; a missing item and an MCP-only one are named.
#[test]
fn the_keychain_item_is_read_like_the_file() {
    use oauth_usage::{keychain_service, read_keychain_token};
    keyring::set_default_credential_builder(keyring::mock::default_credential_builder());
    assert_eq!(keychain_service(None), "Claude Code-credentials");
    // Known answer: the first 8 hex digits of SHA-256("/home/ada/work-claude").
    assert_eq!(
        keychain_service(Some(Path::new("/home/ada/work-claude"))),
        "Claude Code-credentials-70ed3b09"
    );
    let entry = keyring::Entry::new("Claude Code-credentials", "ada").unwrap();
    assert!(matches!(
        read_keychain_token(&entry, now()),
        Err(CredentialsError::Missing(_))
    ));
    let login = serde_json::json!({"claudeAiOauth": {"accessToken": TOKEN,
        "expiresAt": now().timestamp_millis() + 60_000, "scopes": ["user:profile"]}});
    entry.set_password(&login.to_string()).unwrap();
    assert_eq!(
        format!("{:?}", read_keychain_token(&entry, now()).unwrap()),
        "Token(hidden)"
    );
    entry
        .set_password(&serde_json::json!({"mcpOAuth": {}}).to_string())
        .unwrap();
    let error = read_keychain_token(&entry, now()).unwrap_err().to_string();
    assert!(
        error.contains("the macOS Keychain holds no Claude subscription login"),
        "{error}"
    );
}

/// The login is looked for in the first `CLAUDE_CONFIG_DIR` root, else `~/.claude`; the
/// Keychain only on macOS, and only when asked.
#[test]
fn the_login_is_found_where_claude_code_keeps_it() {
    let home = Path::new("/home/ada");
    assert_eq!(
        Login::find(None, Some(home), false, Some("ada")),
        Some(Login::File(home.join(".claude/.credentials.json")))
    );
    assert_eq!(
        Login::find(Some(" /w/a , /w/b"), Some(home), false, None),
        Some(Login::File(PathBuf::from("/w/a/.credentials.json")))
    );
    assert_eq!(Login::find(None, None, false, None), None);
    let asked = Login::find(Some("/home/ada/work-claude"), Some(home), true, Some("ada"));
    if cfg!(target_os = "macos") {
        assert_eq!(
            asked,
            Some(Login::Keychain {
                service: "Claude Code-credentials-70ed3b09".into(),
                account: "ada".into()
            })
        );
    } else {
        assert_eq!(
            asked,
            Some(Login::File(PathBuf::from(
                "/home/ada/work-claude/.credentials.json"
            )))
        );
    }
}
