//! The proxy ccpulse's own requests (the status page, the usage endpoint) go through, as its
//! HTTP client picks it. That is not Node's rule (the `proxy` check): reqwest 0.12 reads
//! `HTTPS_PROXY`/`https_proxy`, then `ALL_PROXY`/`all_proxy`, and `NO_PROXY`/`no_proxy`
//! (upper case first), and ignores them all when `REQUEST_METHOD` is set (a CGI guard). When no
//! variable names one it takes the system's (hyper-util's `Matcher::from_system`, our
//! `system-proxy` feature): on Windows the Internet Settings' `ProxyServer` when `ProxyEnable`
//! is 1, with `ProxyOverride` as the bypass list when `NO_PROXY` is unset; on macOS the HTTPS
//! proxy of the network settings. It never runs a proxy script (PAC, `AutoConfigURL`), never
//! detects one (WPAD), and takes `ProxyServer` whole: the per-scheme form
//! (`http=a:80;https=b:443`) is not understood, and then requests go direct.

use super::proxy::{bypassed, shown_url};
use super::{named, Check, Input, CONNECT};

/// The system proxy settings as ccpulse's client could see them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SystemProxy {
    /// No system setting is read (Linux and the others: only the variables count).
    #[default]
    None,
    /// macOS: the client reads the network settings itself; doctor does not.
    Unread,
    /// Windows: `HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings`.
    Windows(InternetSettings),
}

/// The Internet Settings values that say which proxy to use (blank ones as `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InternetSettings {
    pub proxy_enable: bool,
    pub proxy_server: Option<String>,
    pub proxy_override: Option<String>,
    pub auto_config_url: Option<String>,
}

impl SystemProxy {
    /// This system's.
    #[cfg(windows)]
    pub fn read() -> SystemProxy {
        let Ok(key) = windows_registry::CURRENT_USER
            .open(r"Software\Microsoft\Windows\CurrentVersion\Internet Settings")
        else {
            return SystemProxy::Windows(InternetSettings::default());
        };
        let text = |name: &str| key.get_string(name).ok().filter(|v| !v.trim().is_empty());
        SystemProxy::Windows(InternetSettings {
            proxy_enable: key.get_u32("ProxyEnable").unwrap_or(0) != 0,
            proxy_server: text("ProxyServer"),
            proxy_override: text("ProxyOverride"),
            auto_config_url: text("AutoConfigURL"),
        })
    }

    /// This system's: on macOS the client reads it and doctor cannot (no second copy of the
    /// SystemConfiguration bindings for one line); elsewhere there is none.
    #[cfg(not(windows))]
    pub fn read() -> SystemProxy {
        if cfg!(target_os = "macos") {
            SystemProxy::Unread
        } else {
            SystemProxy::None
        }
    }
}

/// The first variable set of `names`, with its name.
fn first(input: &Input, names: &[&'static str]) -> Option<(&'static str, String)> {
    names.iter().find_map(|n| Some((*n, input.var(n)?)))
}

/// A proxy address as hyper-util takes it: no scheme means `http://`; `http`, `https` and the
/// SOCKS schemes only.
fn parse(value: &str) -> Option<reqwest::Url> {
    let value = value.trim();
    let url = if value.contains("://") {
        reqwest::Url::parse(value).ok()?
    } else {
        reqwest::Url::parse(&format!("http://{value}")).ok()?
    };
    let usable = matches!(
        url.scheme(),
        "http" | "https" | "socks4" | "socks4a" | "socks5" | "socks5h"
    );
    (usable && url.host_str().is_some_and(|h| !h.is_empty())).then_some(url)
}

/// What to do when the system proxy cannot be followed.
const SET_IT: &str = "set HTTPS_PROXY (with `setx HTTPS_PROXY http://host:port`) to the proxy \
                      to use, then start ccpulse again";

pub(super) fn own_proxy(input: &Input, system: &SystemProxy) -> Check {
    let c = named("ccpulse-proxy", "ccpulse's proxy");
    let hosts: Vec<(String, u16)> = [&input.status, &input.api]
        .iter()
        .map(|h| match h.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), port.parse().unwrap_or(443)),
            None => (h.to_string(), 443),
        })
        .fold(Vec::new(), |mut hosts, host| {
            if !hosts.contains(&host) {
                hosts.push(host);
            }
            hosts
        });
    if input.var("REQUEST_METHOD").is_some() {
        return c.warn(
            "REQUEST_METHOD is set, so ccpulse's requests ignore every proxy (a guard for CGI \
             scripts): unset it",
            CONNECT,
        );
    }
    let env_proxy = first(input, &["HTTPS_PROXY", "https_proxy"]);
    let all = first(input, &["ALL_PROXY", "all_proxy"]);
    let mut no_proxy = first(input, &["NO_PROXY", "no_proxy"]);
    let windows = match system {
        SystemProxy::Windows(s) => Some(s),
        _ => None,
    };
    let enabled = windows.filter(|s| s.proxy_enable);
    // hyper-util: with the system proxy on, its bypass list stands in for an unset NO_PROXY
    // (whichever proxy is used).
    if no_proxy.is_none() {
        let list = enabled.and_then(|s| s.proxy_override.clone());
        no_proxy = list.map(|l| ("ProxyOverride", l.replace(';', ",")));
    }
    // The variable, else the system's; then `ALL_PROXY` if that is not a proxy.
    let system_server = enabled.and_then(|s| s.proxy_server.clone());
    let (from, value) = match (env_proxy, system_server) {
        (Some((name, v)), _) => (name.to_string(), v),
        (None, Some(server)) => ("the Windows proxy settings".to_string(), server),
        (None, None) => match &all {
            Some((name, v)) => (name.to_string(), v.clone()),
            None => return nothing_named(&c, system),
        },
    };
    let chosen = parse(&value).map(|u| (from.clone(), u)).or_else(|| {
        let (name, v) = all.as_ref()?;
        Some((name.to_string(), parse(v)?))
    });
    let Some((from, url)) = chosen else {
        let why = if from.starts_with("the Windows") && value.contains('=') {
            let https = value
                .split(';')
                .find_map(|e| e.trim().strip_prefix("https="))
                .map_or(String::new(), |p| format!(" (here http://{})", p.trim()));
            format!(
                "the Windows proxy settings name a proxy per scheme ({}), which ccpulse does \
                 not understand: its requests go direct; {SET_IT}{https}",
                value.trim()
            )
        } else {
            format!("{from} is not a proxy address ccpulse can use: its requests go direct")
        };
        return c.warn(why, CONNECT);
    };
    let (bypass, through): (Vec<_>, Vec<_>) = hosts.iter().partition(|(host, port)| {
        no_proxy
            .as_ref()
            .is_some_and(|(_, list)| bypassed(list, host, *port))
    });
    let no_name = no_proxy.as_ref().map_or("NO_PROXY", |(n, _)| n);
    let mut said = if through.is_empty() {
        format!("direct: {no_name} names {}", join(&bypass))
    } else {
        let mut said = format!(
            "{} through {} (from {from})",
            join(&through),
            shown_url(&url)
        );
        if !bypass.is_empty() {
            said += &format!("; {} direct ({no_name})", join(&bypass));
        }
        said
    };
    if from.starts_with("the Windows") && windows.is_some_and(|s| s.auto_config_url.is_some()) {
        said += "; the proxy script (AutoConfigURL) is not run";
    }
    c.info(said)
}

fn join(hosts: &[&(String, u16)]) -> String {
    let names: Vec<&str> = hosts.iter().map(|(h, _)| h.as_str()).collect();
    names.join(" and ")
}

/// No proxy is named by a variable or taken from the system: direct, and why that may be wrong.
fn nothing_named(c: &super::Named, system: &SystemProxy) -> Check {
    match system {
        SystemProxy::Windows(s) if s.auto_config_url.is_some() => c.warn(
            format!(
                "Windows finds its proxy with a script (AutoConfigURL {}), which ccpulse does \
                 not run: its requests go direct. If ccpulse cannot connect, {SET_IT} (the \
                 script, opened in a browser, names it)",
                s.auto_config_url.as_deref().unwrap_or("").trim()
            ),
            CONNECT,
        ),
        SystemProxy::Windows(_) => {
            c.pass("direct: no proxy variable set and no proxy in the Windows settings")
        }
        SystemProxy::Unread => c.pass(
            "no proxy variable set: requests follow the HTTPS proxy of macOS's network \
             settings if one is on, else go direct (a proxy script, PAC, is not run)",
        ),
        SystemProxy::None => c.pass("direct: no proxy variable set"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::testing::input;
    use crate::doctor::Verdict;

    fn windows(enable: bool, server: &str, bypass: &str, pac: &str) -> SystemProxy {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        SystemProxy::Windows(InternetSettings {
            proxy_enable: enable,
            proxy_server: some(server),
            proxy_override: some(bypass),
            auto_config_url: some(pac),
        })
    }

    fn check(env: &[(&str, &str)], system: &SystemProxy) -> Check {
        let dir = tempfile::tempdir().unwrap();
        let mut i = input(dir.path(), env);
        i.status = "status.claude.com:443".into();
        i.api = "api.anthropic.com:443".into();
        own_proxy(&i, system)
    }

    #[test]
    fn the_system_proxy_is_followed_unless_a_variable_names_one() {
        let system = windows(true, "proxy.corp:8080", "*.anthropic.com;<local>", "");
        let c = check(&[], &system);
        assert_eq!(c.verdict, Verdict::Info);
        assert_eq!(
            c.detail,
            "status.claude.com through http://proxy.corp:8080 (from the Windows proxy \
             settings); api.anthropic.com direct (ProxyOverride)"
        );
        let c = check(&[("HTTPS_PROXY", "http://u:pw@env.proxy:3128")], &system);
        // The bypass list counts with the system proxy on, whichever proxy is used.
        assert_eq!(
            c.detail,
            "status.claude.com through http://env.proxy:3128 (from HTTPS_PROXY); \
             api.anthropic.com direct (ProxyOverride)"
        );
        assert!(!c.detail.contains("pw"));
        let off = windows(false, "proxy.corp:8080", "", "");
        assert_eq!(check(&[], &off).verdict, Verdict::Pass);
        let c = check(&[("ALL_PROXY", "socks5h://s:1080")], &off);
        assert!(c
            .detail
            .contains("through socks5h://s:1080 (from ALL_PROXY)"));
    }

    #[test]
    fn a_proxy_script_or_a_per_scheme_list_is_said_not_to_be_followed() {
        let pac = windows(false, "", "", "http://wpad.corp/proxy.pac");
        let c = check(&[], &pac);
        assert_eq!(
            (c.verdict, c.advice),
            (Verdict::Warn, Some("unable-to-connect"))
        );
        assert!(
            c.detail
                .starts_with("Windows finds its proxy with a script"),
            "{c:?}"
        );
        assert!(c.detail.contains("set HTTPS_PROXY"), "{c:?}");
        // With a variable set, the script does not matter.
        assert_eq!(
            check(&[("HTTPS_PROXY", "proxy:1")], &pac).verdict,
            Verdict::Info
        );
        let per_scheme = windows(true, "http=a:80;https=b:443", "", "");
        let c = check(&[], &per_scheme);
        assert_eq!(c.verdict, Verdict::Warn);
        assert!(
            c.detail.contains("per scheme (http=a:80;https=b:443)"),
            "{c:?}"
        );
        let c = check(&[("REQUEST_METHOD", "GET")], &SystemProxy::None);
        assert_eq!(c.verdict, Verdict::Warn);
    }

    #[test]
    fn elsewhere_only_the_variables_count() {
        let c = check(&[], &SystemProxy::None);
        assert_eq!(
            (c.verdict, c.detail.as_str()),
            (Verdict::Pass, "direct: no proxy variable set")
        );
        let c = check(
            &[
                ("HTTPS_PROXY", "http://p:1"),
                ("NO_PROXY", "claude.com,anthropic.com"),
            ],
            &SystemProxy::None,
        );
        assert_eq!(
            c.detail,
            "direct: NO_PROXY names status.claude.com and api.anthropic.com"
        );
        assert!(check(&[], &SystemProxy::Unread).detail.contains("macOS"));
    }
}
