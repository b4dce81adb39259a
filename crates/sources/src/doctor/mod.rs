//! `ccpulse doctor`: the local causes of Claude Code's connection and login errors, checked one
//! by one. Each check says what it found in one line, never a secret's value (no key, no token,
//! no proxy password), and names the knowledge base entry (`ccpulse_core::kb`) that says what to
//! do. Everything it looks at comes in through [`Input`], so tests can plant it all; it reads
//! files and opens connections, and writes nothing.
//!
//! One module per subject: `keys` (API keys), `proxy` (gateway and proxies), `tls` (the CA file,
//! certificate checking, the TLS handshake), `x509` (naming a certificate's issuer), `retries`
//! (retries and timeout), `own_proxy` (the proxy ccpulse's own requests take), `wsl` (DNS on
//! WSL), `wsl_claude` (on Windows, Claude Code inside WSL), `login`, `feeds` (status line and
//! transcripts), and `reach` (DNS, TCP, proxy tunnel, then TLS to each host). This module holds the public types, the
//! helpers they share, and the list of checks.

use crate::env;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::state_dir::StateDir;
use crate::usage_log::paths::{config_dir, roots};

mod feeds;
mod keys;
mod login;
mod own_proxy;
mod proxy;
mod reach;
mod retries;
#[cfg(test)]
mod testing;
mod tls;
mod wsl;
mod wsl_claude;
mod x509;

pub use feeds::{statusline, transcripts};
pub use keys::{key_overrides, key_overrides_here};
pub use login::login;
pub use own_proxy::{InternetSettings, SystemProxy};
pub use reach::{network, targets};
pub use wsl::wsl;
pub use wsl_claude::WSL_SHARES;

use keys::api_key;
use own_proxy::own_proxy;
use proxy::{base_url, proxies};
use retries::{whole_number, API_TIMEOUT, RETRIES};
use tls::{extra_ca, tls_reject};

/// `CCPULSE_DOCTOR_API_HOST`: the API's `host:port` to reach (tests point it at loopback).
pub const API_HOST_ENV: &str = env::DOCTOR_API_HOST;
/// `CCPULSE_DOCTOR_STATUS_HOST`: the status page's `host:port` to reach.
pub const STATUS_HOST_ENV: &str = env::DOCTOR_STATUS_HOST;
pub const DEFAULT_API_HOST: &str = "api.anthropic.com:443";
pub const DEFAULT_STATUS_HOST: &str = "status.claude.com:443";
/// How long each network step (DNS, TCP, proxy tunnel, TLS) may take.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(3);

/// The knowledge base entries (`ccpulse_core::kb`) that most checks point to.
const CONNECT: &str = "unable-to-connect";
const CERTIFICATE: &str = "ssl-certificate";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    /// Worth knowing, not a problem.
    Info,
    Warn,
    Fail,
}

impl Verdict {
    /// Whether the check passed (`pass` or `info`).
    pub fn ok(self) -> bool {
        matches!(self, Verdict::Pass | Verdict::Info)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Stable: `api-key`, `login`, `api-tls`…
    pub id: String,
    pub title: String,
    pub verdict: Verdict,
    /// What was found, in one line; never a secret's value.
    pub detail: String,
    /// The id of the knowledge base entry that says what to do.
    pub advice: Option<&'static str>,
}

/// Whether every check passed.
pub fn passed(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.verdict.ok())
}

/// A check's id and title, waiting for its verdict.
struct Named {
    id: String,
    title: String,
}

fn named(id: impl Into<String>, title: impl Into<String>) -> Named {
    Named {
        id: id.into(),
        title: title.into(),
    }
}

impl Named {
    fn verdict(
        &self,
        verdict: Verdict,
        detail: impl Into<String>,
        advice: Option<&'static str>,
    ) -> Check {
        Check {
            id: self.id.clone(),
            title: self.title.clone(),
            verdict,
            detail: detail.into(),
            advice,
        }
    }
    fn pass(&self, detail: impl Into<String>) -> Check {
        self.verdict(Verdict::Pass, detail, None)
    }
    fn info(&self, detail: impl Into<String>) -> Check {
        self.verdict(Verdict::Info, detail, None)
    }
    fn warn(&self, detail: impl Into<String>, advice: &'static str) -> Check {
        self.verdict(Verdict::Warn, detail, Some(advice))
    }
    fn fail(&self, detail: impl Into<String>, advice: &'static str) -> Check {
        self.verdict(Verdict::Fail, detail, Some(advice))
    }
}

/// The files that tell whether this is WSL, and its resolver configuration.
#[derive(Debug, Clone)]
pub struct WslFiles {
    pub osrelease: PathBuf,
    pub version: PathBuf,
    pub resolv_conf: PathBuf,
}

impl WslFiles {
    /// Linux's. On Windows and macOS none of them exists, so the WSL DNS check, which is about
    /// Linux inside WSL, does not appear there; no other branch is needed (a Windows side of WSL
    /// is `wsl_claude`'s).
    pub fn system() -> WslFiles {
        WslFiles {
            osrelease: "/proc/sys/kernel/osrelease".into(),
            version: "/proc/version".into(),
            resolv_conf: "/etc/resolv.conf".into(),
        }
    }
}

/// Everything the checks look at.
pub struct Input {
    /// The environment variables (a snapshot; values that are blank count as unset).
    pub env: HashMap<String, String>,
    /// Where Claude Code would be started: its `.env` and `.claude/settings.json`.
    pub cwd: Option<PathBuf>,
    pub home: Option<PathBuf>,
    /// ccpulse's state dir (the status line feed).
    pub state_dir: PathBuf,
    pub wsl: WslFiles,
    /// The system's proxy settings, as ccpulse's HTTP client reads them.
    pub system_proxy: SystemProxy,
    /// Windows: the WSL distributions, and the shares their files show under (none elsewhere).
    pub wsl_distros: Vec<String>,
    pub wsl_shares: Vec<PathBuf>,
    /// `host:port` of the API and of the status page.
    pub api: String,
    pub status: String,
    /// The limit of each network step.
    pub timeout: Duration,
    pub now: DateTime<Utc>,
}

impl Input {
    /// As this process sees it.
    pub fn from_env() -> Input {
        let env: HashMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        let host = |name: &str, default: &str| {
            env.get(name)
                .filter(|v| !v.trim().is_empty())
                .map_or_else(|| default.to_string(), |v| v.trim().to_string())
        };
        Input {
            api: host(API_HOST_ENV, DEFAULT_API_HOST),
            status: host(STATUS_HOST_ENV, DEFAULT_STATUS_HOST),
            env,
            cwd: std::env::current_dir().ok(),
            home: dirs::home_dir(),
            state_dir: StateDir::default_location().root().to_path_buf(),
            wsl: WslFiles::system(),
            system_proxy: SystemProxy::read(),
            wsl_distros: wsl_claude::distros(),
            wsl_shares: WSL_SHARES.iter().map(PathBuf::from).collect(),
            timeout: STEP_TIMEOUT,
            now: Utc::now(),
        }
    }

    /// A variable's value, unless it is unset or blank.
    fn var(&self, name: &str) -> Option<String> {
        self.env.get(name).filter(|v| !v.trim().is_empty()).cloned()
    }

    /// Claude Code's config dir: the first root of `CLAUDE_CONFIG_DIR`, else `~/.claude`.
    fn claude_dir(&self) -> Option<PathBuf> {
        config_dir(
            self.var(env::CLAUDE_CONFIG_DIR).as_deref(),
            self.home.as_deref(),
        )
        .map(|(d, _)| d)
    }

    /// `NODE_EXTRA_CA_CERTS`, relative to the current dir as Node takes it.
    fn extra_ca_path(&self) -> Option<PathBuf> {
        let path = PathBuf::from(self.var(env::NODE_EXTRA_CA_CERTS)?);
        Some(match &self.cwd {
            Some(cwd) => cwd.join(path),
            None => path,
        })
    }
}

/// Every check: the local ones, then the network ones.
pub async fn run(input: &Input) -> Vec<Check> {
    let mut checks = local(input);
    checks.extend(network(input).await);
    checks
}

/// The checks that read the environment and files only (fast).
pub fn local(input: &Input) -> Vec<Check> {
    let mut checks = vec![
        api_key(input),
        base_url(input),
        proxies(input),
        own_proxy(input, &input.system_proxy),
        extra_ca(input).0,
        tls_reject(input),
        whole_number(input, &RETRIES),
        whole_number(input, &API_TIMEOUT),
    ];
    checks.extend(wsl(&input.wsl));
    let claude_dir = input.claude_dir();
    let file = |name: &str| claude_dir.as_ref().map(|d| d.join(name));
    checks.push(login(file(".credentials.json").as_deref(), input.now));
    checks.push(statusline(
        file("settings.json").as_deref(),
        &input.state_dir,
        input.now,
    ));
    let xdg = input.var(env::XDG_CONFIG_HOME).map(PathBuf::from);
    let roots = roots(
        input.var(env::CLAUDE_CONFIG_DIR).as_deref(),
        input.home.as_deref(),
        xdg.as_deref(),
    );
    let found = transcripts(&roots);
    let none = found.verdict == Verdict::Warn;
    checks.push(found);
    // Windows only: elsewhere there are no distributions to look in (see `wsl_claude`).
    if none && !input.wsl_distros.is_empty() {
        let dirs =
            wsl_claude::claude_dirs(&input.wsl_shares, &input.wsl_distros, &wsl_claude::folders);
        checks.extend(wsl_claude::wsl_claude(&dirs));
    }
    checks
}

/// A host to reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The prefix of its checks' ids: `api`, `status`, `gateway`.
    pub id: &'static str,
    pub host: String,
    pub port: u16,
    /// Whether TLS is spoken there (an `http://` gateway does not).
    pub tls: bool,
    /// Whether Claude Code needs it (a failure fails; else it warns).
    pub needed: bool,
}

impl Target {
    pub fn name(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

// Small helpers the checks share.

/// A JSON file's value; `None` when it is missing or not JSON. A leading UTF-8 BOM (Windows
/// editors write one into settings.json) is skipped.
fn read_json(path: &Path) -> Option<Value> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes)).ok()
}

/// `"s"` unless `n` is 1.
fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A duration in seconds, as the details say it (`"3 s"`, `"0.5 s"`).
fn secs(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}
