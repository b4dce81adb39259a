//! The gateway and proxy checks (`ANTHROPIC_BASE_URL`, `HTTPS_PROXY` and the others, shown
//! without their credentials), and the proxy a connection to a host goes through, as Node picks
//! it (`NO_PROXY` honoured).

use super::{named, Check, Input, Target, CONNECT};
use crate::env;

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

/// `scheme://host[:port]` of a URL, with any user and password left out.
pub(super) fn shown_url(url: &reqwest::Url) -> String {
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
    with_host(url.ok())
}

/// `url`, if it has a host.
fn with_host(url: Option<reqwest::Url>) -> Option<reqwest::Url> {
    url.filter(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

/// A URL's host (an IPv6 address without its brackets) and port (the scheme's default when it
/// names none).
pub(super) fn host_and_port(url: &reqwest::Url) -> Option<(String, u16)> {
    let host = url.host_str()?.trim_matches(['[', ']']).to_string();
    Some((host, url.port_or_known_default()?))
}

/// `ANTHROPIC_BASE_URL`, if it is a URL with a host.
pub(super) fn gateway_url(input: &Input) -> Option<Result<reqwest::Url, ()>> {
    let value = input.var(env::ANTHROPIC_BASE_URL)?;
    let url = reqwest::Url::parse(value.trim()).ok();
    Some(with_host(url).ok_or(()))
}

pub(super) fn base_url(input: &Input) -> Check {
    let c = named("base-url", env::ANTHROPIC_BASE_URL);
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

pub(super) fn proxies(input: &Input) -> Check {
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
pub(super) struct Proxy {
    pub(super) host: String,
    pub(super) port: u16,
    /// `http`, or a scheme doctor does not tunnel through.
    pub(super) scheme: String,
    /// `Basic <base64 of user:password>`.
    pub(super) authorization: Option<String>,
}

/// The proxy Node would use for `target` (`https_proxy`, `HTTPS_PROXY`, then the HTTP ones,
/// unless `NO_PROXY` names the host).
pub(super) fn proxy_for(input: &Input, target: &Target) -> Option<Proxy> {
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
    let (host, port) = host_and_port(&url)?;
    Some(Proxy {
        host,
        port,
        scheme: url.scheme().to_string(),
        authorization,
    })
}

/// Whether a `NO_PROXY` list names `host` (`*`, the host, a parent domain, with an optional
/// port).
pub(super) fn bypassed(no_proxy: &str, host: &str, port: u16) -> bool {
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
#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::testing::input;
    use crate::doctor::Verdict;

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
}
