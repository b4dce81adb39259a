//! `ccpulse doctor`: the local causes of Claude Code's connection and login errors, checked one
//! by one. Each check says what it found in one line, never a secret's value (no key, no token,
//! no proxy password), and names the knowledge base entry (`ccpulse_core::kb`) that says what to
//! do. Everything it looks at comes in through [`Input`], so tests can plant it all; it reads
//! files and opens connections, and writes nothing.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_rustls::rustls;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::oauth_usage::{read_credentials, CredentialsError};
use crate::state_dir::StateDir;
use crate::statusline::{Feed, FEED_FILE};
use crate::usage_log::paths::{config_dir, roots, transcripts as find_transcripts, Found};

/// `CCPULSE_DOCTOR_API_HOST`: the API's `host:port` to reach (tests point it at loopback).
pub const API_HOST_ENV: &str = "CCPULSE_DOCTOR_API_HOST";
/// `CCPULSE_DOCTOR_STATUS_HOST`: the status page's `host:port` to reach.
pub const STATUS_HOST_ENV: &str = "CCPULSE_DOCTOR_STATUS_HOST";
pub const DEFAULT_API_HOST: &str = "api.anthropic.com:443";
pub const DEFAULT_STATUS_HOST: &str = "status.claude.com:443";
/// How long each network step (DNS, TCP, proxy tunnel, TLS) may take.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(3);

/// The settings that make Claude Code use an API key (or a bearer token) instead of the login.
const KEY_VARS: [&str; 2] = ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"];
const PROXY_VARS: [&str; 8] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];
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
            self.var("CLAUDE_CONFIG_DIR").as_deref(),
            self.home.as_deref(),
        )
        .map(|(d, _)| d)
    }

    /// `NODE_EXTRA_CA_CERTS`, relative to the current dir as Node takes it.
    fn extra_ca_path(&self) -> Option<PathBuf> {
        let path = PathBuf::from(self.var("NODE_EXTRA_CA_CERTS")?);
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
    let xdg = input.var("XDG_CONFIG_HOME").map(PathBuf::from);
    let roots = roots(
        input.var("CLAUDE_CONFIG_DIR").as_deref(),
        input.home.as_deref(),
        xdg.as_deref(),
    );
    checks.push(transcripts(&roots));
    checks
}

// ---------------------------------------------------------------------------------------------
// API keys

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

/// The value `name` gets in a `.env` file (the last assignment wins), unquoted.
/// [`key_overrides`] for this process: its environment, these `.env` files, and the settings
/// in Claude Code's config dir (`CLAUDE_CONFIG_DIR`, else `~/.claude`).
pub fn key_overrides_here(env_files: &[PathBuf]) -> Vec<String> {
    let dir = config_dir(
        std::env::var("CLAUDE_CONFIG_DIR").ok().as_deref(),
        std::env::home_dir().as_deref(),
    );
    key_overrides(
        &|k| std::env::var(k).ok(),
        env_files,
        dir.as_ref().map(|(d, _)| d.as_path()),
    )
}

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

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn api_key(input: &Input) -> Check {
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

// ---------------------------------------------------------------------------------------------
// Gateway and proxies

/// `scheme://host[:port]` of a URL, with any user and password left out.
fn shown_url(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// A proxy address; one without a scheme is taken as `http://`.
fn parse_url(value: &str) -> Option<reqwest::Url> {
    let value = value.trim();
    let url = if value.contains("://") {
        reqwest::Url::parse(value)
    } else {
        reqwest::Url::parse(&format!("http://{value}"))
    };
    url.ok()
        .filter(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

/// `ANTHROPIC_BASE_URL`, if it is a URL with a host.
fn gateway_url(input: &Input) -> Option<Result<reqwest::Url, ()>> {
    let value = input.var("ANTHROPIC_BASE_URL")?;
    let url = reqwest::Url::parse(value.trim()).ok();
    Some(
        url.filter(|u| u.host_str().is_some_and(|h| !h.is_empty()))
            .ok_or(()),
    )
}

fn base_url(input: &Input) -> Check {
    let c = named("base-url", "ANTHROPIC_BASE_URL");
    match gateway_url(input) {
        None => c.pass("not set: requests go to api.anthropic.com"),
        Some(Ok(url)) => c.info(format!(
            "set: requests go to the gateway {}, not to Anthropic",
            shown_url(&url)
        )),
        Some(Err(())) => c.fail(
            "set, but not a URL with a host: Claude Code cannot send requests",
            CONNECT,
        ),
    }
}

fn proxies(input: &Input) -> Check {
    let c = named("proxy", "Proxy");
    let mut said = Vec::new();
    let mut bad = Vec::new();
    for name in PROXY_VARS {
        let Some(value) = input.var(name) else {
            continue;
        };
        if name.eq_ignore_ascii_case("NO_PROXY") {
            said.push(format!("{name}={}", value.trim()));
            continue;
        }
        let Some(url) = parse_url(&value) else {
            bad.push(name);
            continue;
        };
        let hidden = if url.username().is_empty() && url.password().is_none() {
            ""
        } else {
            " (user and password hidden)"
        };
        said.push(format!("{name}={}{hidden}", shown_url(&url)));
    }
    if !bad.is_empty() {
        c.warn(
            format!("{} set, but not a proxy address", bad.join(", ")),
            CONNECT,
        )
    } else if said.is_empty() {
        c.pass("none set: connections go direct")
    } else {
        c.info(said.join("; "))
    }
}

/// A proxy that a connection goes through. No `Debug`: it holds the credentials.
struct Proxy {
    host: String,
    port: u16,
    /// `http`, or a scheme doctor does not tunnel through.
    scheme: String,
    /// `Basic <base64 of user:password>`.
    authorization: Option<String>,
}

/// The proxy Node would use for `target` (`https_proxy`, `HTTPS_PROXY`, then the HTTP ones,
/// unless `NO_PROXY` names the host).
fn proxy_for(input: &Input, target: &Target) -> Option<Proxy> {
    let names: &[&str] = if target.tls {
        &["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"]
    } else {
        &["http_proxy", "HTTP_PROXY"]
    };
    let url = names.iter().find_map(|n| input.var(n))?;
    let no_proxy = input.var("no_proxy").or_else(|| input.var("NO_PROXY"));
    if no_proxy.is_some_and(|n| bypassed(&n, &target.host, target.port)) {
        return None;
    }
    let url = parse_url(&url)?;
    let authorization = (!url.username().is_empty()).then(|| {
        use base64::Engine;
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let pair = format!(
            "{}:{}",
            decode(url.username()),
            decode(url.password().unwrap_or(""))
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
        format!("Basic {encoded}")
    });
    Some(Proxy {
        host: url.host_str()?.trim_matches(['[', ']']).to_string(),
        port: url.port_or_known_default()?,
        scheme: url.scheme().to_string(),
        authorization,
    })
}

/// Whether a `NO_PROXY` list names `host` (`*`, the host, a parent domain, with an optional
/// port).
fn bypassed(no_proxy: &str, host: &str, port: u16) -> bool {
    let host = host.to_ascii_lowercase();
    no_proxy
        .split([',', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let (name, entry_port) = match entry.rsplit_once(':') {
                Some((n, p)) if p.parse::<u16>().is_ok() => (n, p.parse::<u16>().ok()),
                _ => (entry, None),
            };
            let name = name.trim_start_matches('*').trim_start_matches('.');
            let name = name.to_ascii_lowercase();
            entry_port.is_none_or(|p| p == port)
                && (host == name || host.ends_with(&format!(".{name}")))
        })
}

// ---------------------------------------------------------------------------------------------
// Certificates

/// The check of `NODE_EXTRA_CA_CERTS`, and the certificates it adds (none when unset or bad).
fn extra_ca(input: &Input) -> (Check, Vec<CertificateDer<'static>>) {
    let c = named("extra-ca", "NODE_EXTRA_CA_CERTS");
    let Some(path) = input.extra_ca_path() else {
        let check = c.pass("not set: Node trusts its built-in (Mozilla) roots");
        return (check, Vec::new());
    };
    let fail = |detail: String| (c.fail(detail, CERTIFICATE), Vec::new());
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return fail(format!("{}: no such file", path.display()))
        }
        Err(e) => return fail(format!("{}: cannot read it ({e})", path.display())),
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    let (usable, unusable) = RootCertStore::empty().add_parsable_certificates(certs.clone());
    if usable == 0 {
        let what = if certs.is_empty() {
            "holds no PEM certificate"
        } else {
            "holds no certificate usable as a CA"
        };
        return fail(format!(
            "{} {what}: Node ignores it, so a TLS-inspecting proxy is not trusted",
            path.display()
        ));
    }
    let skipped = if unusable > 0 {
        format!(" ({unusable} more could not be used)")
    } else {
        String::new()
    };
    let check = c.pass(format!(
        "{}: {usable} CA certificate{} trusted besides the built-in roots{skipped}",
        path.display(),
        plural(usable)
    ));
    (check, certs)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn tls_reject(input: &Input) -> Check {
    let c = named("tls-verification", "NODE_TLS_REJECT_UNAUTHORIZED");
    match input.var("NODE_TLS_REJECT_UNAUTHORIZED") {
        Some(v) if v.trim() == "0" => c.fail(
            "0: certificate checks are OFF, so anyone on the path can read and change the \
             traffic, your login included; unset it",
            CERTIFICATE,
        ),
        _ => c.pass("certificates are checked"),
    }
}

// ---------------------------------------------------------------------------------------------
// Retries and timeout

struct WholeNumber {
    id: &'static str,
    var: &'static str,
    default: u64,
    unit: &'static str,
    /// Below this, warn.
    low: u64,
    why_low: &'static str,
}

const RETRIES: WholeNumber = WholeNumber {
    id: "max-retries",
    var: "CLAUDE_CODE_MAX_RETRIES",
    default: 10,
    unit: "",
    low: 1,
    why_low: "no retries, so a single overloaded or dropped request fails at once",
};

const API_TIMEOUT: WholeNumber = WholeNumber {
    id: "api-timeout",
    var: "API_TIMEOUT_MS",
    default: 600_000,
    unit: " ms",
    low: 30_000,
    why_low: "less than 30 s, so long answers will time out",
};

fn whole_number(input: &Input, n: &WholeNumber) -> Check {
    let c = named(n.id, n.var);
    let Some(value) = input.var(n.var) else {
        return c.pass(format!("not set: {}{} (the default)", n.default, n.unit));
    };
    match value.trim().parse::<u64>() {
        Ok(v) if v < n.low => c.warn(format!("{v}{}: {}", n.unit, n.why_low), "timeout"),
        Ok(v) => c.pass(format!("{v}{}", n.unit)),
        Err(_) => {
            let shown: String = value.chars().take(40).collect();
            c.warn(
                format!(
                    "{shown:?} is not a whole number of 0 or more; Claude Code may ignore it \
                     or misread it (default {}{})",
                    n.default, n.unit
                ),
                "timeout",
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// WSL

/// On WSL (as the kernel files say), whether the resolver has a nameserver; `None` elsewhere.
pub fn wsl(files: &WslFiles) -> Option<Check> {
    let says_wsl = |p: &Path| {
        std::fs::read_to_string(p).is_ok_and(|t| {
            let t = t.to_ascii_lowercase();
            t.contains("microsoft") || t.contains("wsl")
        })
    };
    if !says_wsl(&files.osrelease) && !says_wsl(&files.version) {
        return None;
    }
    let c = named("wsl-dns", "WSL DNS");
    let text = std::fs::read_to_string(&files.resolv_conf).unwrap_or_default();
    let servers: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let resolv = files.resolv_conf.display();
    Some(if servers.is_empty() {
        c.warn(
            format!("WSL, and {resolv} names no nameserver: no host name can be resolved"),
            CONNECT,
        )
    } else {
        c.pass(format!(
            "WSL, nameserver {}. If names stop resolving (often with a VPN on), the \
             resolv.conf WSL generates is the usual cause",
            servers.join(", ")
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// Claude Code's login

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

// ---------------------------------------------------------------------------------------------
// Status line and transcripts

/// Whether Claude Code's `settings.json` runs `ccpulse statusline`, and when it last reported.
pub fn statusline(settings: Option<&Path>, state_dir: &Path, now: DateTime<Utc>) -> Check {
    let c = named("statusline", "Status line");
    let install = "`ccpulse statusline install` lets Claude Code pass its plan limits to ccpulse";
    let Some(path) = settings else {
        return c.info(format!(
            "no home folder to find Claude Code's settings in; {install}"
        ));
    };
    let command = read_json(path).and_then(|s| {
        s.get("statusLine")?
            .get("command")?
            .as_str()
            .map(str::to_owned)
    });
    match command {
        // As `ccpulse statusline install` writes it.
        Some(command) if command.contains("ccpulse") && command.contains(" statusline") => {
            let feed: Option<Feed> = std::fs::read(state_dir.join(FEED_FILE))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            let last = match feed.and_then(|f| f.received_at) {
                Some(at) => format!(
                    "last report {}",
                    ccpulse_core::clock::describe_age((now - at).num_seconds())
                ),
                None => "no report yet (one comes with each Claude Code reply)".into(),
            };
            c.pass(format!("installed in {}; {last}", path.display()))
        }
        Some(_) => c.info(format!(
            "{} runs another status line command; `ccpulse statusline install --chain` keeps \
             it and adds ccpulse's",
            path.display()
        )),
        None => c.info(format!("not installed: {install}")),
    }
}

/// Which transcript roots exist, and how many transcripts they hold.
pub fn transcripts(roots: &[PathBuf]) -> Check {
    let c = named("transcripts", "Transcripts");
    let (mut files, mut bytes, mut unreadable) = (0usize, 0u64, 0usize);
    for found in find_transcripts(roots) {
        match found {
            Found::File(t) => {
                files += 1;
                bytes += t.len;
            }
            Found::Unreadable { .. } => unreadable += 1,
        }
    }
    let unread = if unreadable > 0 {
        format!(
            "; {unreadable} place{} could not be read",
            plural(unreadable)
        )
    } else {
        String::new()
    };
    let list = |roots: Vec<&PathBuf>| {
        let shown: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        shown.join(", ")
    };
    if files == 0 {
        let looked = if roots.is_empty() {
            "any folder (no home folder)".to_string()
        } else {
            list(roots.iter().collect())
        };
        return c.verdict(
            Verdict::Warn,
            format!(
                "no transcripts in {looked}{unread}: usage and 529 reports have nothing to \
                 read (set CLAUDE_CONFIG_DIR if Claude Code keeps them elsewhere)"
            ),
            None,
        );
    }
    let existing = list(
        roots
            .iter()
            .filter(|r| r.join("projects").is_dir())
            .collect(),
    );
    c.pass(format!(
        "{files} .jsonl file{}, {} in {existing}{unread}",
        plural(files),
        human_bytes(bytes)
    ))
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

// ---------------------------------------------------------------------------------------------
// Reaching the hosts

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

/// `host:port` (the port defaults to 443; an IPv6 address goes in brackets).
fn host_port(s: &str) -> (String, u16) {
    let s = s.trim();
    match s.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() && (!h.contains(':') || h.starts_with('[')) => (
            h.trim_matches(['[', ']']).to_string(),
            p.parse().unwrap_or(443),
        ),
        _ => (s.trim_matches(['[', ']']).to_string(), 443),
    }
}

/// The hosts to reach: the API, the status page, and the gateway if one is set.
pub fn targets(input: &Input) -> Vec<Target> {
    let target = |id, s: &str, needed| {
        let (host, port) = host_port(s);
        Target {
            id,
            host,
            port,
            tls: true,
            needed,
        }
    };
    let api = target("api", &input.api, true);
    let gateway = gateway_url(input).and_then(Result::ok).and_then(|u| {
        Some(Target {
            id: "gateway",
            host: u.host_str()?.trim_matches(['[', ']']).to_string(),
            port: u.port_or_known_default()?,
            tls: u.scheme() == "https",
            needed: true,
        })
    });
    let gateway = gateway.filter(|g| (&g.host, g.port) != (&api.host, api.port));
    let status = target("status", &input.status, false);
    [Some(api), Some(status), gateway]
        .into_iter()
        .flatten()
        .collect()
}

/// Reach every target, all at once, each step within the input's timeout.
pub async fn network(input: &Input) -> Vec<Check> {
    let (_, extra) = extra_ca(input);
    let trust = Trust::new(&extra, input.extra_ca_path());
    let mut tasks = tokio::task::JoinSet::new();
    for (i, target) in targets(input).into_iter().enumerate() {
        let proxy = proxy_for(input, &target);
        let trust = trust.clone();
        let timeout = input.timeout;
        tasks.spawn(async move { (i, reach(&target, proxy, &trust, timeout).await) });
    }
    let mut results = Vec::new();
    while let Some(done) = tasks.join_next().await {
        results.push(done.unwrap_or_else(|e| {
            let c = named("reach", "Reach");
            (
                usize::MAX,
                vec![c.fail(format!("a network check stopped: {e}"), CONNECT)],
            )
        }));
    }
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().flat_map(|(_, c)| c).collect()
}

/// DNS, TCP, the proxy's tunnel if there is one, then TLS: one check per step tried; a step
/// that fails ends the list.
async fn reach(
    target: &Target,
    proxy: Option<Proxy>,
    trust: &Trust,
    timeout: Duration,
) -> Vec<Check> {
    let name = target.name();
    let step =
        |id: &str, title: &str| named(format!("{}-{id}", target.id), format!("{name} {title}"));
    let bad = |c: Named, detail: String, advice| {
        let verdict = if target.needed {
            Verdict::Fail
        } else {
            Verdict::Warn
        };
        c.verdict(verdict, detail, Some(advice))
    };
    let mut out = Vec::new();
    let (host, port, via) = match &proxy {
        Some(p) => (p.host.as_str(), p.port, format!("proxy {}", p.host)),
        None => (target.host.as_str(), target.port, target.host.clone()),
    };

    let dns = step("dns", "DNS");
    let addrs: Vec<SocketAddr> =
        match tokio::time::timeout(timeout, tokio::net::lookup_host((host, port))).await {
            Ok(Ok(a)) => a.collect(),
            Ok(Err(e)) => {
                out.push(bad(dns, format!("{via} does not resolve ({e})"), CONNECT));
                return out;
            }
            Err(_) => {
                let detail = format!("no DNS answer for {via} within {}", secs(timeout));
                out.push(bad(dns, detail, CONNECT));
                return out;
            }
        };
    let Some(first) = addrs.first() else {
        out.push(bad(dns, format!("{via} resolves to no address"), CONNECT));
        return out;
    };
    let more = match addrs.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    out.push(dns.pass(format!("{via} resolves to {}{more}", first.ip())));

    let started = Instant::now();
    let stream = match tcp(&addrs, timeout).await {
        Ok((s, addr)) => {
            let ms = started.elapsed().as_millis();
            out.push(step("tcp", "TCP").pass(format!("connected to {via} ({addr}) in {ms} ms")));
            s
        }
        Err(e) => {
            let through = match &proxy {
                Some(p) => format!("proxy {}: ", p.host),
                None => String::new(),
            };
            out.push(bad(step("tcp", "TCP"), format!("{through}{e}"), CONNECT));
            return out;
        }
    };

    if let Some(p) = &proxy {
        let c = step("proxy", "proxy tunnel");
        if p.scheme != "http" {
            out.push(c.info(format!(
                "not tried: doctor tunnels through http:// proxies only ({}://{})",
                p.scheme, p.host
            )));
            return out;
        }
        match tunnel(&stream, &name, p.authorization.as_deref(), timeout).await {
            Ok(()) => out.push(c.pass(format!("proxy {} opened a tunnel to {name}", p.host))),
            Err(e) => {
                out.push(bad(c, format!("proxy {}: {e}", p.host), CONNECT));
                return out;
            }
        }
    }

    if target.tls {
        let (verdict, detail, advice) = tls(stream, target, trust, timeout).await;
        let c = step("tls", "TLS");
        out.push(match verdict {
            Verdict::Pass => c.pass(detail),
            _ => bad(c, detail, advice.unwrap_or(CONNECT)),
        });
    }
    out
}

fn secs(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// The first address that accepts, all within `timeout`.
async fn tcp(addrs: &[SocketAddr], timeout: Duration) -> Result<(TcpStream, SocketAddr), String> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last = String::new();
    for addr in addrs {
        match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => return Ok((s, *addr)),
            Ok(Err(e)) if e.kind() == ErrorKind::ConnectionRefused => {
                last = format!(
                    "connection to {addr} refused (nothing listens, or a firewall rejects it)"
                );
            }
            Ok(Err(e)) => last = format!("cannot connect to {addr} ({e})"),
            Err(_) => {
                return Err(format!(
                    "no answer from {addr} within {} (a firewall may drop the connection)",
                    secs(timeout)
                ))
            }
        }
    }
    Err(last)
}

/// Ask an HTTP proxy for a tunnel (`CONNECT`); Ok when it answers 2xx.
async fn tunnel(
    stream: &TcpStream,
    to: &str,
    authorization: Option<&str>,
    timeout: Duration,
) -> Result<(), String> {
    let auth = authorization
        .map(|a| format!("Proxy-Authorization: {a}\r\n"))
        .unwrap_or_default();
    let request = format!("CONNECT {to} HTTP/1.1\r\nHost: {to}\r\n{auth}\r\n");
    let exchange = async {
        write_all(stream, request.as_bytes()).await?;
        read_head(stream).await
    };
    let head = match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(head)) => head,
        Ok(Err(e)) => return Err(format!("the tunnel failed ({e})")),
        Err(_) => return Err(format!("no answer to CONNECT within {}", secs(timeout))),
    };
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok());
    match status {
        Some(200..=299) => Ok(()),
        Some(407) => Err("it asks for credentials (HTTP 407); put them in the proxy URL".into()),
        Some(code) => Err(format!("it refused the tunnel (HTTP {code})")),
        None => Err("it did not answer CONNECT in HTTP".into()),
    }
}

async fn write_all(stream: &TcpStream, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        stream.writable().await?;
        match stream.try_write(buf) {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// An HTTP response's head (up to the blank line), at most 16 KiB. Reads byte by byte so
/// nothing after the head is taken from the tunnel.
async fn read_head(stream: &TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err(std::io::Error::other("an answer of more than 16 KiB"));
        }
        stream.readable().await?;
        match stream.try_read(&mut byte) {
            Ok(0) => return Err(std::io::Error::other("the proxy closed the connection")),
            Ok(_) => head.push(byte[0]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// What Node trusts: the Mozilla roots, and those plus `NODE_EXTRA_CA_CERTS`.
#[derive(Clone)]
struct Trust {
    mozilla: Arc<RootCertStore>,
    with_extra: Option<(Arc<RootCertStore>, PathBuf)>,
    /// The certificates of `NODE_EXTRA_CA_CERTS`.
    extra: Arc<[CertificateDer<'static>]>,
    provider: Arc<CryptoProvider>,
}

impl Trust {
    fn new(extra: &[CertificateDer<'static>], extra_path: Option<PathBuf>) -> Trust {
        let mozilla = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let with_extra = extra_path.filter(|_| !extra.is_empty()).map(|path| {
            let mut store = mozilla.clone();
            store.add_parsable_certificates(extra.iter().cloned());
            (Arc::new(store), path)
        });
        Trust {
            mozilla: Arc::new(mozilla),
            with_extra,
            extra: extra.into(),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        }
    }

    /// A verifier that trusts what Node would, and remembers what it saw.
    fn verifier(&self) -> Result<Verifier, String> {
        let build = |roots: &Arc<RootCertStore>| {
            WebPkiServerVerifier::builder_with_provider(roots.clone(), self.provider.clone())
                .build()
                .map_err(|e| format!("cannot set up TLS: {e}"))
        };
        let extra = self.with_extra.as_ref().map(|(roots, _)| build(roots));
        Ok(Verifier {
            mozilla: build(&self.mozilla)?,
            extra: extra.transpose()?,
            pinned: self.extra.clone(),
            seen: Mutex::new(None),
        })
    }
}

/// What the verifier saw of the server's certificate.
#[derive(Debug, Clone)]
struct Seen {
    issuer: Option<String>,
    /// The verdict with the Mozilla roots alone.
    mozilla: Result<(), rustls::Error>,
    /// With `NODE_EXTRA_CA_CERTS` too (when the Mozilla roots were not enough and it is set).
    extra: Option<Result<(), rustls::Error>>,
}

/// Verifies as Node does (Mozilla roots plus `NODE_EXTRA_CA_CERTS`) and remembers what it saw.
#[derive(Debug)]
struct Verifier {
    mozilla: Arc<WebPkiServerVerifier>,
    extra: Option<Arc<WebPkiServerVerifier>>,
    pinned: Arc<[CertificateDer<'static>]>,
    seen: Mutex<Option<Seen>>,
}

impl Verifier {
    /// Whether the server's certificate is itself one of `NODE_EXTRA_CA_CERTS`, valid for the
    /// name. A self-made certificate is often marked as a CA (as `openssl req -x509` makes
    /// it): webpki refuses that as a server's own, OpenSSL, and so Node, accepts it.
    fn pinned(&self, end_entity: &CertificateDer<'_>, name: &ServerName<'_>) -> bool {
        self.pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
            && rustls::server::ParsedCertificate::try_from(end_entity)
                .and_then(|parsed| rustls::client::verify_server_name(&parsed, name))
                .is_ok()
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verify = |v: &WebPkiServerVerifier| {
            v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                .map(|_| ())
        };
        let mozilla = verify(&self.mozilla);
        let extra = match (&mozilla, &self.extra) {
            (Err(_), Some(v)) => Some(verify(v).or_else(|e| {
                let pinned = self.pinned(end_entity, server_name);
                if pinned {
                    Ok(())
                } else {
                    Err(e)
                }
            })),
            _ => None,
        };
        let result = match (&mozilla, &extra) {
            (Ok(()), _) | (_, Some(Ok(()))) => Ok(ServerCertVerified::assertion()),
            (Err(e), None) | (_, Some(Err(e))) => Err(e.clone()),
        };
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(Seen {
                issuer: issuer_name(end_entity),
                mozilla,
                extra,
            });
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.mozilla.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.mozilla.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.mozilla.supported_verify_schemes()
    }
}

/// The TLS handshake with `target`'s name, verified as Node verifies: `Pass`, or a problem
/// with its detail and advice.
async fn tls(
    stream: TcpStream,
    target: &Target,
    trust: &Trust,
    timeout: Duration,
) -> (Verdict, String, Option<&'static str>) {
    let problem = |detail: String, advice| (Verdict::Fail, detail, Some(advice));
    let verifier = match trust.verifier() {
        Ok(v) => Arc::new(v),
        Err(e) => return problem(e, CONNECT),
    };
    let config = rustls::ClientConfig::builder_with_provider(trust.provider.clone())
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.dangerous()
                .with_custom_certificate_verifier(verifier.clone())
                .with_no_client_auth()
        });
    let config = match config {
        Ok(c) => c,
        Err(e) => return problem(format!("cannot set up TLS: {e}"), CONNECT),
    };
    let Ok(server_name) = ServerName::try_from(target.host.clone()) else {
        return problem(
            format!("{} is not a valid host name for TLS", target.host),
            CONNECT,
        );
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = tokio::time::timeout(timeout, connector.connect(server_name, stream)).await;
    let seen = verifier.seen.lock().ok().and_then(|s| s.clone());
    let by = |seen: &Seen| {
        seen.issuer
            .as_deref()
            .map(|i| format!(" issued by \"{i}\""))
            .unwrap_or_default()
    };
    let extra_path = trust
        .with_extra
        .as_ref()
        .map(|(_, p)| p.display().to_string());
    match (handshake, seen) {
        (Ok(Ok(_)), Some(seen)) if seen.mozilla.is_err() => (
            Verdict::Pass,
            format!(
                "certificate{} trusted only through NODE_EXTRA_CA_CERTS ({}): a proxy or \
                 firewall intercepts this traffic with a CA from that file",
                by(&seen),
                extra_path.unwrap_or_default()
            ),
            None,
        ),
        (Ok(Ok(_)), seen) => (
            Verdict::Pass,
            format!(
                "certificate{} trusted by Node's built-in roots",
                seen.as_ref().map(by).unwrap_or_default()
            ),
            None,
        ),
        (_, Some(seen)) => {
            let error = seen.extra.clone().unwrap_or(seen.mozilla.clone());
            let why = match error {
                Err(rustls::Error::InvalidCertificate(e)) => {
                    certificate_problem(&e, target, extra_path.is_some())
                }
                Err(e) => format!("rejected ({e})"),
                Ok(()) => {
                    let detail = "the TLS handshake did not complete after the certificate was \
                                  accepted";
                    return problem(detail.into(), CONNECT);
                }
            };
            problem(
                format!(
                    "certificate{} {why}: likely TLS interception by a proxy, firewall or \
                     antivirus",
                    by(&seen)
                ),
                CERTIFICATE,
            )
        }
        (Ok(Err(e)), None) => problem(format!("the TLS handshake failed ({e})"), CONNECT),
        (Err(_), None) => problem(
            format!("no TLS handshake within {}", secs(timeout)),
            CONNECT,
        ),
    }
}

/// Why a certificate was refused, in words.
fn certificate_problem(e: &CertificateError, target: &Target, extra: bool) -> String {
    match e {
        CertificateError::UnknownIssuer if extra => {
            "not trusted by Node's built-in roots or NODE_EXTRA_CA_CERTS".into()
        }
        CertificateError::UnknownIssuer => "not trusted by Node's built-in roots".into(),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("not valid for {}", target.host)
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "expired (or the system clock is wrong)".into()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "not valid yet (or the system clock is wrong)".into()
        }
        CertificateError::Other(e) => format!("rejected ({e})"),
        e => format!("rejected ({e:?})"),
    }
}

/// One DER element: its tag, its content, and what follows it.
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The issuer of a certificate, as its common name and organization say (`"Zscaler Root CA
/// (Zscaler Inc.)"`); printable characters only.
fn issuer_name(cert: &[u8]) -> Option<String> {
    let (_, cert, _) = der(cert)?;
    let (_, tbs, _) = der(cert)?;
    let (tag, _, mut rest) = der(tbs)?;
    if tag == 0xa0 {
        rest = der(rest)?.2; // the version was first; skip the serial number too
    }
    let rest = der(rest)?.2; // the signature algorithm
    let (_, mut name, _) = der(rest)?;
    let (mut common, mut org) = (None, None);
    while let Some((_, set, next)) = der(name) {
        name = next;
        // The set's first attribute: its type (an OID) and its value (a string).
        let Some((oid, value)) = der(set).and_then(|(_, atv, _)| {
            let (_, oid, rest) = der(atv)?;
            Some((oid, der(rest)?.1))
        }) else {
            continue;
        };
        let text: String = String::from_utf8_lossy(value)
            .chars()
            .filter(|c| !c.is_control())
            .take(80)
            .collect();
        match oid {
            [0x55, 0x04, 0x03] => common = Some(text),
            [0x55, 0x04, 0x0a] => org = Some(text),
            _ => {}
        }
    }
    match (common, org) {
        (Some(c), Some(o)) if c != o => Some(format!("{c} ({o})")),
        (Some(c), _) => Some(c),
        (None, o) => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn input(dir: &Path, pairs: &[(&str, &str)]) -> Input {
        Input {
            env: env(pairs),
            cwd: Some(dir.join("project")),
            home: Some(dir.join("home")),
            state_dir: dir.join("state"),
            wsl: WslFiles {
                osrelease: dir.join("osrelease"),
                version: dir.join("version"),
                resolv_conf: dir.join("resolv.conf"),
            },
            api: "127.0.0.1:9".into(),
            status: "127.0.0.1:9".into(),
            timeout: Duration::from_secs(2),
            now: Utc::now(),
        }
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn find<'a>(checks: &'a [Check], id: &str) -> &'a Check {
        checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id} in {checks:#?}"))
    }

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

    #[test]
    fn proxies_hide_credentials_and_no_proxy_is_honoured() {
        let dir = tempfile::tempdir().unwrap();
        let i = input(
            dir.path(),
            &[
                ("HTTPS_PROXY", "http://alice:hunter2@proxy.corp:8080"),
                ("NO_PROXY", "localhost,.internal.corp"),
            ],
        );
        let c = proxies(&i);
        assert_eq!(c.verdict, Verdict::Info);
        assert_eq!(
            c.detail,
            "HTTPS_PROXY=http://proxy.corp:8080 (user and password hidden); \
             NO_PROXY=localhost,.internal.corp"
        );
        assert!(!c.detail.contains("hunter2") && !c.detail.contains("alice"));
        let api = Target {
            id: "api",
            host: "api.anthropic.com".into(),
            port: 443,
            tls: true,
            needed: true,
        };
        let p = proxy_for(&i, &api).expect("the proxy applies");
        assert_eq!((p.host.as_str(), p.port), ("proxy.corp", 8080));
        assert_eq!(
            p.authorization.as_deref(),
            Some("Basic YWxpY2U6aHVudGVyMg==")
        );
        let inside = Target {
            host: "llm.internal.corp".into(),
            ..api
        };
        assert!(proxy_for(&i, &inside).is_none());

        assert!(bypassed("*", "a.b", 1));
        assert!(bypassed("example.com:443", "api.example.com", 443));
        assert!(!bypassed("example.com:80", "api.example.com", 443));
        assert!(!bypassed("ample.com", "example.com", 443));
        assert!(bypassed("*.Example.com", "example.com", 443));

        let none = proxies(&input(dir.path(), &[]));
        assert_eq!(none.verdict, Verdict::Pass);
        let bad = proxies(&input(dir.path(), &[("HTTP_PROXY", "http://")]));
        assert_eq!(bad.verdict, Verdict::Warn);
    }

    #[test]
    fn numbers_warn_when_not_numbers_or_too_low() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (RETRIES, None, Verdict::Pass, "not set: 10 (the default)"),
            (RETRIES, Some("3"), Verdict::Pass, "3"),
            (RETRIES, Some("0"), Verdict::Warn, "0: no retries, so"),
            (
                RETRIES,
                Some("-1"),
                Verdict::Warn,
                "\"-1\" is not a whole number",
            ),
            (API_TIMEOUT, None, Verdict::Pass, "not set: 600000 ms"),
            (API_TIMEOUT, Some("120000"), Verdict::Pass, "120000 ms"),
            (
                API_TIMEOUT,
                Some("5000"),
                Verdict::Warn,
                "5000 ms: less than 30 s",
            ),
            (API_TIMEOUT, Some("10m"), Verdict::Warn, "\"10m\" is not"),
        ];
        for (n, value, verdict, start) in cases {
            let pairs: Vec<(&str, &str)> = value.iter().map(|v| (n.var, *v)).collect();
            let c = whole_number(&input(dir.path(), &pairs), &n);
            assert_eq!(c.verdict, verdict, "{value:?}: {c:?}");
            assert!(c.detail.starts_with(start), "{value:?}: {}", c.detail);
            let advice = if verdict == Verdict::Warn {
                Some("timeout")
            } else {
                None
            };
            assert_eq!(c.advice, advice);
        }
    }

    #[test]
    fn tls_checks_off_fails_loudly() {
        let dir = tempfile::tempdir().unwrap();
        let off = tls_reject(&input(dir.path(), &[("NODE_TLS_REJECT_UNAUTHORIZED", "0")]));
        assert_eq!(off.verdict, Verdict::Fail);
        assert_eq!(off.advice, Some("ssl-certificate"));
        let on = tls_reject(&input(dir.path(), &[("NODE_TLS_REJECT_UNAUTHORIZED", "1")]));
        assert_eq!(on.verdict, Verdict::Pass);
    }

    #[test]
    fn extra_ca_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("project/ca.pem");
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        write(&pem, &params.self_signed(&key).unwrap().pem());
        // Relative to the current dir, as Node takes it.
        let (c, certs) = extra_ca(&input(dir.path(), &[("NODE_EXTRA_CA_CERTS", "ca.pem")]));
        assert_eq!(c.verdict, Verdict::Pass, "{c:?}");
        assert_eq!(certs.len(), 1);
        assert!(
            c.detail.contains("1 CA certificate trusted"),
            "{}",
            c.detail
        );

        let junk = dir.path().join("junk.pem");
        write(&junk, &key.serialize_pem());
        for path in [junk.to_str().unwrap(), "/nonexistent/ca.pem"] {
            let (c, certs) = extra_ca(&input(dir.path(), &[("NODE_EXTRA_CA_CERTS", path)]));
            assert_eq!(c.verdict, Verdict::Fail, "{c:?}");
            assert_eq!(c.advice, Some("ssl-certificate"));
            assert!(certs.is_empty());
        }
    }

    #[test]
    fn wsl_needs_a_nameserver() {
        let dir = tempfile::tempdir().unwrap();
        let i = input(dir.path(), &[]);
        write(&i.wsl.osrelease, "6.8.0-45-generic\n");
        assert_eq!(wsl(&i.wsl), None);
        write(&i.wsl.osrelease, "5.15.153.1-microsoft-standard-WSL2\n");
        let c = wsl(&i.wsl).unwrap();
        assert_eq!(
            (c.verdict, c.advice),
            (Verdict::Warn, Some("unable-to-connect"))
        );
        write(&i.wsl.resolv_conf, "# generated\nnameserver 172.22.64.1\n");
        let c = wsl(&i.wsl).unwrap();
        assert_eq!(c.verdict, Verdict::Pass);
        assert!(c.detail.contains("nameserver 172.22.64.1"), "{}", c.detail);
    }

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

    #[test]
    fn statusline_installed_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let settings = dir.path().join("settings.json");
        let state = dir.path().join("state");
        let now = Utc::now();
        let c = statusline(Some(&settings), &state, now);
        assert_eq!(c.verdict, Verdict::Info);
        assert!(
            c.detail.contains("ccpulse statusline install"),
            "{}",
            c.detail
        );
        write(
            &settings,
            r#"{"statusLine": {"type": "command", "command": "other"}}"#,
        );
        let c = statusline(Some(&settings), &state, now);
        assert!(c.detail.contains("--chain"), "{}", c.detail);
        write(
            &settings,
            r#"{"statusLine": {"type": "command", "command": "'/bin/ccpulse' statusline"}}"#,
        );
        let c = statusline(Some(&settings), &state, now);
        assert_eq!(c.verdict, Verdict::Pass);
        assert!(c
            .detail
            .ends_with("no report yet (one comes with each Claude Code reply)"));
        let feed = Feed {
            received_at: Some(now - chrono::Duration::minutes(5)),
            ..Feed::default()
        };
        write(
            &state.join(FEED_FILE),
            &serde_json::to_string(&feed).unwrap(),
        );
        let c = statusline(Some(&settings), &state, now);
        assert!(c.detail.ends_with("last report 5 min ago"), "{}", c.detail);
    }

    #[test]
    fn transcripts_are_counted_and_sized() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("claude");
        let c = transcripts(std::slice::from_ref(&root));
        assert_eq!(c.verdict, Verdict::Warn);
        write(&root.join("projects/p/a.jsonl"), &"x".repeat(2048));
        write(&root.join("projects/p/b.jsonl"), "{}\n");
        write(&root.join("projects/p/notes.txt"), "no");
        let c = transcripts(&[root.clone(), dir.path().join("missing")]);
        assert_eq!(c.verdict, Verdict::Pass);
        assert_eq!(
            c.detail,
            format!("2 .jsonl files, 2.0 KiB in {}", root.display())
        );
        assert_eq!(human_bytes(5 * 1024 * 1024 + 1), "5.0 MiB");
    }

    #[test]
    fn host_ports_and_targets() {
        assert_eq!(host_port("localhost:4433"), ("localhost".into(), 4433));
        assert_eq!(host_port("example.com"), ("example.com".into(), 443));
        assert_eq!(host_port("[::1]:8443"), ("::1".into(), 8443));
        let dir = tempfile::tempdir().unwrap();
        let mut i = input(
            dir.path(),
            &[("ANTHROPIC_BASE_URL", "http://user:pw@llm.corp:8080/v1")],
        );
        i.api = "api.anthropic.com:443".into();
        let t = targets(&i);
        assert_eq!(t.len(), 3);
        assert_eq!(
            (t[2].id, t[2].name(), t[2].tls),
            ("gateway", "llm.corp:8080".into(), false)
        );
        let c = base_url(&i);
        assert_eq!(c.verdict, Verdict::Info);
        assert_eq!(
            c.detail,
            "set: requests go to the gateway http://llm.corp:8080, not to Anthropic"
        );
        // The same host as the API is not reached twice.
        i.env = env(&[("ANTHROPIC_BASE_URL", "https://api.anthropic.com")]);
        assert_eq!(targets(&i).len(), 2);
    }

    #[test]
    fn the_issuer_is_read_from_the_certificate() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Corp Inspection CA");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Corp");
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(
            issuer_name(cert.der()).as_deref(),
            Some("Corp Inspection CA (Corp)")
        );
        assert_eq!(issuer_name(b"\x30\x03\x02\x01"), None);
    }

    #[tokio::test]
    async fn a_refused_port_and_a_proxy_that_wants_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let mut i = input(dir.path(), &[]);
        i.api = format!("127.0.0.1:{port}");
        let checks = network(&i).await;
        assert_eq!(find(&checks, "api-dns").verdict, Verdict::Pass);
        let tcp = find(&checks, "api-tcp");
        assert_eq!(
            (tcp.verdict, tcp.advice),
            (Verdict::Fail, Some("unable-to-connect"))
        );
        assert!(tcp.detail.contains("refused"), "{}", tcp.detail);
        assert!(!checks.iter().any(|c| c.id == "api-tls"));
        assert_eq!(find(&checks, "status-tcp").verdict, Verdict::Warn);

        // A proxy that answers 407 to every CONNECT, and remembers what it was sent.
        let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_port = proxy.local_addr().unwrap().port();
        let served = tokio::spawn(async move {
            let (s, _) = proxy.accept().await.unwrap();
            let head = read_head(&s).await.unwrap();
            write_all(&s, b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                .await
                .unwrap();
            head
        });
        i.env = env(&[(
            "HTTPS_PROXY",
            &format!("http://bob:s%40cret@127.0.0.1:{proxy_port}"),
        )]);
        // Through the proxy, the API's name is the proxy's to resolve; the status page is
        // reached directly (NO_PROXY), at the closed port.
        i.api = "api.example:443".into();
        i.status = format!("127.0.0.1:{port}");
        i.env.insert("NO_PROXY".into(), "127.0.0.1".into());
        let checks = network(&i).await;
        let head = served.await.unwrap();
        assert!(
            head.starts_with("CONNECT api.example:443 HTTP/1.1\r\n"),
            "{head}"
        );
        // bob:s@cret
        assert!(
            head.contains("Proxy-Authorization: Basic Ym9iOnNAY3JldA==\r\n"),
            "{head}"
        );
        let tunnel = find(&checks, "api-proxy");
        assert_eq!(tunnel.verdict, Verdict::Fail);
        assert!(tunnel.detail.contains("HTTP 407"), "{}", tunnel.detail);
        assert!(!format!("{checks:?}").contains("cret"));
        assert!(find(&checks, "status-tcp").detail.contains("refused"));
    }
}
