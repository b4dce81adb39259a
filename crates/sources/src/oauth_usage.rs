//! The OAuth usage endpoint (`GET /api/oauth/usage`, DATA-SOURCES §2b) with Claude Code's own
//! login (§3): the token is read from `.credentials.json`, never refreshed, never written,
//! never logged, and sent nowhere but this endpoint. The endpoint throttles hard, so every
//! attempt and its outcome are kept in the state dir and every shell (tray, CLI, status line)
//! respects the same schedule: at most one attempt per interval, none for at least 5 minutes
//! (or the server's `Retry-After`, if longer) after a 429. The last good reading stays, with
//! its time.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use ccpulse_core::limits::{ExtraUsage, ModelReading, Observed, Reading, Source};

use crate::http::{classify, describe_non_json, FetchError};
use crate::state_dir::StateDir;
use crate::usage_log::paths::config_dir;

/// Where the schedule and the last good reading are kept.
pub const CACHE_FILE: &str = "oauth-usage.json";
/// `CCPULSE_API_URL`: base URL of the API (tests point it at loopback).
pub const API_URL_ENV: &str = crate::env::API_URL;
pub const DEFAULT_API_URL: &str = "https://api.anthropic.com";
/// Default time between attempts.
pub const EVERY: Duration = Duration::from_secs(600);
/// Never sooner than this after a 429.
pub const AFTER_429: Duration = Duration::from_secs(300);
/// After an answer that is neither good nor a 429 (a 5xx, a timeout, garbage).
pub const AFTER_FAILURE: Duration = Duration::from_secs(120);
const TIMEOUT: Duration = Duration::from_secs(15);

/// An access token. It has no `Display`, no `Serialize`, and its `Debug` hides it.
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(hidden)")
    }
}

/// Why there is no usable login; each message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error("not logged in to Claude Code (no {0}): run `claude` and /login")]
    Missing(PathBuf),
    #[error("{0} holds no Claude subscription login: run `claude` and /login")]
    NotSubscription(PathBuf),
    #[error("the Claude Code login has expired: run `claude` (it renews its own login) or /login")]
    Expired { at: DateTime<Utc> },
    #[error(
        "the Claude Code login lacks the user:profile scope (a setup-token login cannot read \
         usage): run /login"
    )]
    NoProfileScope,
    #[error("cannot read {0}: {1}")]
    Unreadable(PathBuf, String),
}

/// `CCPULSE_KEYCHAIN=1`: on macOS, read the login from the Keychain (a read can make macOS ask
/// the user, so it is opt-in; the status line feed needs no login at all).
pub const KEYCHAIN_ENV: &str = crate::env::KEYCHAIN;

/// Where Claude Code's login is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    File(PathBuf),
    Keychain { service: String, account: String },
}

impl Login {
    /// Claude Code's config dir: the first root of `CLAUDE_CONFIG_DIR`, else `~/.claude`; its
    /// `.credentials.json`, or on macOS when asked, its Keychain item.
    pub fn find(
        claude_config_dir: Option<&str>,
        home: Option<&Path>,
        keychain: bool,
        user: Option<&str>,
    ) -> Option<Login> {
        let dir = config_dir(claude_config_dir, home);
        if keychain && cfg!(target_os = "macos") {
            let custom = dir.as_ref().filter(|(_, named)| *named);
            return Some(Login::Keychain {
                service: keychain_service(custom.map(|(d, _)| d.as_path())),
                account: user.unwrap_or("claude-code-user").to_string(),
            });
        }
        let (root, _) = dir?;
        Some(Login::File(root.join(".credentials.json")))
    }

    /// As the environment says.
    pub fn from_env() -> Option<Login> {
        use crate::env::{var, CLAUDE_CONFIG_DIR, KEYCHAIN, USER};
        Login::find(
            var(CLAUDE_CONFIG_DIR).as_deref(),
            std::env::home_dir().as_deref(),
            var(KEYCHAIN).is_some_and(|v| v == "1"),
            var(USER).as_deref(),
        )
    }

    pub fn token(&self, now: DateTime<Utc>) -> Result<Token, CredentialsError> {
        match self {
            Login::File(path) => read_token(path, now),
            Login::Keychain { service, account } => {
                let entry = keyring::Entry::new(service, account).map_err(|e| {
                    CredentialsError::Unreadable(PathBuf::from("the macOS Keychain"), e.to_string())
                })?;
                read_keychain_token(&entry, now)
            }
        }
    }
}

/// A usable login, as `.credentials.json` (or the Keychain item) holds it.
#[derive(Debug)]
pub struct Credentials {
    pub token: Token,
    pub expires_at: Option<DateTime<Utc>>,
    /// `subscriptionType`: `max`, `pro`, ...
    pub plan: Option<String>,
}

/// Read the access token from `path`, checking what can be checked without the network.
pub fn read_token(path: &Path, now: DateTime<Utc>) -> Result<Token, CredentialsError> {
    read_credentials(path, now).map(|c| c.token)
}

/// Read the login in `path`, checking what can be checked without the network.
pub fn read_credentials(path: &Path, now: DateTime<Utc>) -> Result<Credentials, CredentialsError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CredentialsError::Missing(path.to_path_buf()))
        }
        Err(e) => {
            return Err(CredentialsError::Unreadable(
                path.to_path_buf(),
                e.to_string(),
            ))
        }
    };
    credentials_in(&bytes, path, now)
}

/// The macOS Keychain item Claude Code keeps its login in: service `Claude Code-credentials`,
/// with `-<first 8 hex digits of the SHA-256 of the config dir>` for a config dir other than
/// the default; account: the user name.
pub fn keychain_service(config_dir: Option<&Path>) -> String {
    use sha2::Digest;
    match config_dir {
        None => "Claude Code-credentials".into(),
        Some(dir) => {
            let hash = sha2::Sha256::digest(dir.to_string_lossy().as_bytes());
            let hex: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
            format!("Claude Code-credentials-{hex}")
        }
    }
}

/// Read the access token from a Keychain entry (macOS, opt-in: a read can make macOS ask the
/// user). The item holds the same JSON as `.credentials.json`.
pub fn read_keychain_token(
    entry: &keyring::Entry,
    now: DateTime<Utc>,
) -> Result<Token, CredentialsError> {
    let place = PathBuf::from("the macOS Keychain");
    match entry.get_password() {
        Ok(json) => credentials_in(json.as_bytes(), &place, now).map(|c| c.token),
        Err(keyring::Error::NoEntry) => Err(CredentialsError::Missing(place)),
        Err(e) => Err(CredentialsError::Unreadable(place, e.to_string())),
    }
}

fn credentials_in(
    bytes: &[u8],
    path: &Path,
    now: DateTime<Utc>,
) -> Result<Credentials, CredentialsError> {
    // Never put the parser's message in an error: it can quote the file.
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|_| CredentialsError::Unreadable(path.to_path_buf(), "not valid JSON".into()))?;
    let Some(login) = v.get("claudeAiOauth").filter(|l| l.is_object()) else {
        return Err(CredentialsError::NotSubscription(path.to_path_buf()));
    };
    let Some(token) = login.get("accessToken").and_then(Value::as_str) else {
        return Err(CredentialsError::NotSubscription(path.to_path_buf()));
    };
    let expires_at = login
        .get("expiresAt")
        .and_then(Value::as_i64)
        .and_then(DateTime::from_timestamp_millis);
    if let Some(at) = expires_at.filter(|at| *at <= now) {
        return Err(CredentialsError::Expired { at });
    }
    if let Some(scopes) = login.get("scopes").and_then(Value::as_array) {
        if !scopes.iter().any(|s| s.as_str() == Some("user:profile")) {
            return Err(CredentialsError::NoProfileScope);
        }
    }
    Ok(Credentials {
        token: Token(token.to_string()),
        expires_at,
        plan: login
            .get("subscriptionType")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(String::from),
    })
}

/// Why a fetch gave no reading.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("the usage endpoint refused the login (HTTP 401): run `claude` or /login")]
    Unauthorized,
    #[error("the usage endpoint refused the login (HTTP 403): it may lack the user:profile scope; run /login")]
    Forbidden,
    #[error("the usage endpoint is throttling requests (HTTP 429)")]
    Throttled { retry_after: Option<Duration> },
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

/// One reading of the endpoint.
pub async fn fetch(
    client: &reqwest::Client,
    base_url: &str,
    token: &Token,
    now: DateTime<Utc>,
) -> Result<Observed, UsageError> {
    let url = format!("{}/api/oauth/usage", base_url.trim_end_matches('/'));
    let response = client
        .get(&url)
        .bearer_auth(&token.0)
        .header("anthropic-beta", "oauth-2025-04-20")
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| classify(&url, &e, TIMEOUT))?;
    match response.status().as_u16() {
        200 => {}
        401 => return Err(UsageError::Unauthorized),
        403 => return Err(UsageError::Forbidden),
        429 => {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(UsageError::Throttled { retry_after });
        }
        status => return Err(FetchError::Status { url, status }.into()),
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| classify(&url, &e, TIMEOUT))?;
    parse(&body, now).map_err(|what| FetchError::NotJson { url, what }.into())
}

/// A usage payload (any of the shapes in the fixtures; every field may be null or missing).
pub fn parse(body: &[u8], now: DateTime<Utc>) -> Result<Observed, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| describe_non_json(body, &e))?;
    if !v.is_object() {
        return Err("a JSON value that is not an object".into());
    }
    let time = |v: &Value| {
        v.as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.to_utc())
    };
    let window = |name: &str| {
        let w = v.get(name)?;
        Some(Reading {
            used_percent: w.get("utilization")?.as_f64()?,
            resets_at: w.get("resets_at").and_then(time),
        })
    };
    let mut o = Observed::empty(Source::Oauth, now);
    // Every window by its key: `five_hour`, `seven_day`, any
    // `seven_day_*` key (a weekly cap by Claude Code's name for it), `overage` (the usage
    // credit limit); the caps the client knows by name first, in its order.
    let known = [
        "seven_day_opus",
        "seven_day_sonnet",
        "seven_day_overage_included",
    ];
    let keys = known.into_iter().map(str::to_owned).chain(
        v.as_object()
            .into_iter()
            .flat_map(|m| m.keys().cloned())
            .filter(|k| !known.contains(&k.as_str())),
    );
    for key in keys {
        if let Some(reading) = window(&key) {
            o.set_named(&key, reading);
        }
    }
    // The newer lists: per-model weekly caps are only here, by their display name.
    let listed = ["limits", "model_scoped"]
        .into_iter()
        .filter_map(|k| v.get(k))
        .flat_map(|l| match l {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            Value::Object(items) => items.values().collect(),
            _ => Vec::new(),
        });
    for l in listed {
        let kind = l.get("kind").and_then(Value::as_str);
        if kind.is_some_and(|k| k != "weekly_scoped" && k != "model_scoped") {
            continue;
        }
        let scope = l.pointer("/scope/model").or_else(|| l.get("model"));
        let name = scope
            .and_then(|m| m.get("display_name").and_then(Value::as_str))
            .or_else(|| scope.and_then(|m| m.get("id").and_then(Value::as_str)))
            .or_else(|| scope.and_then(Value::as_str))
            .or_else(|| l.get("display_name").and_then(Value::as_str));
        let percent = ["percent", "utilization", "used_percentage"]
            .iter()
            .find_map(|k| l.get(*k).and_then(Value::as_f64));
        let (Some(name), Some(percent)) = (name, percent) else {
            continue;
        };
        if !o.models.iter().any(|m| m.model == name) {
            o.models.push(ModelReading {
                model: name.into(),
                reading: Reading {
                    used_percent: percent,
                    resets_at: l.get("resets_at").and_then(time),
                },
            });
        }
    }
    let extra_usage = v.get("extra_usage").filter(|e| e.is_object()).map(|e| {
        let places = e.get("decimal_places").and_then(Value::as_i64).unwrap_or(2);
        let major = |k: &str| {
            e.get(k)
                .and_then(Value::as_f64)
                .map(|minor| minor / 10f64.powi(places as i32))
        };
        ExtraUsage {
            enabled: e
                .get("is_enabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            used: major("used_credits").unwrap_or(0.0),
            limit: major("monthly_limit"),
            currency: e.get("currency").and_then(Value::as_str).map(str::to_owned),
        }
    });
    o.extra_usage = extra_usage;
    Ok(o)
}

/// What the state dir keeps: the last good reading and the schedule every shell follows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cache {
    pub last_good: Option<Observed>,
    pub last_attempt: Option<DateTime<Utc>>,
    /// No attempt before this (the interval, or a 429's back-off).
    pub next_attempt: Option<DateTime<Utc>>,
    /// No attempt before this even on demand (after a 429).
    pub throttled_until: Option<DateTime<Utc>>,
    /// Why the last attempt gave no reading.
    pub last_error: Option<String>,
    /// When that was the login: the knowledge base entry that fixes it (`oauth-expired`,
    /// `oauth-scope`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_problem: Option<String>,
}

impl Cache {
    /// Save it in `dir` (shared by every shell and by both ways of asking); a failure to save
    /// is its error when it has none of its own.
    pub fn keep(mut self, dir: &StateDir) -> Cache {
        if let Err(e) = dir.write(
            CACHE_FILE,
            &serde_json::to_vec(&self).unwrap_or_default(),
            false,
        ) {
            self.last_error
                .get_or_insert_with(|| format!("the usage schedule could not be kept: {e}"));
        }
        self
    }

    pub fn load(dir: &StateDir) -> Cache {
        dir.load::<Cache>(CACHE_FILE)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Is an attempt allowed `now`? `on_demand` skips the interval, never a 429's back-off.
    pub fn due(&self, now: DateTime<Utc>, on_demand: bool) -> bool {
        let throttled = self.throttled_until.is_some_and(|t| now < t);
        let waiting = self.next_attempt.is_some_and(|t| now < t);
        !throttled && (on_demand || !waiting)
    }
}

/// One attempt if the schedule allows it: read the login, fetch, keep the outcome in `dir`.
/// `every`: the interval between attempts.
pub async fn refresh(
    dir: &StateDir,
    client: &reqwest::Client,
    base_url: &str,
    login: Option<&Login>,
    every: Duration,
    on_demand: bool,
    now: DateTime<Utc>,
) -> Cache {
    let mut cache = Cache::load(dir);
    if !cache.due(now, on_demand) {
        return cache;
    }
    let later = |d: Duration| now + chrono::Duration::from_std(d).unwrap_or_default();
    cache.last_attempt = Some(now);
    cache.login_problem = None;
    cache.next_attempt = Some(later(every));
    let outcome = match login
        .ok_or_else(|| "no home folder to find Claude Code's login in".to_string())
    {
        Err(e) => Err(e),
        Ok(login) => match login.token(now) {
            Err(e) => {
                cache.login_problem = match e {
                    CredentialsError::Expired { .. } => Some("oauth-expired".into()),
                    CredentialsError::NoProfileScope => Some("oauth-scope".into()),
                    _ => None,
                };
                Err(e.to_string())
            }
            Ok(token) => fetch(client, base_url, &token, now).await.map_err(|e| {
                match &e {
                    UsageError::Throttled { retry_after } => {
                        let wait = retry_after.unwrap_or_default().max(AFTER_429);
                        cache.throttled_until = Some(later(wait));
                        cache.next_attempt = Some(later(wait.max(every)));
                    }
                    UsageError::Fetch(_) => {
                        cache.next_attempt = Some(later(AFTER_FAILURE.min(every)))
                    }
                    UsageError::Unauthorized => cache.login_problem = Some("oauth-expired".into()),
                    UsageError::Forbidden => cache.login_problem = Some("oauth-scope".into()),
                }
                e.to_string()
            }),
        },
    };
    match outcome {
        Ok(observed) => {
            tracing::info!("OAuth usage: read ({base_url})");
            cache.last_good = Some(observed);
            cache.last_error = None;
        }
        Err(e) => {
            tracing::info!("OAuth usage: {e}");
            cache.last_error = Some(e);
        }
    }
    cache.keep(dir)
}

/// The base URL: `CCPULSE_API_URL`, else the real API.
pub fn api_url() -> String {
    crate::env::var(crate::env::API_URL).unwrap_or_else(|| DEFAULT_API_URL.to_string())
}

/// A client for the endpoint.
pub fn client() -> reqwest::Client {
    crate::http::client(TIMEOUT)
}
