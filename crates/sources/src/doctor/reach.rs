//! Reaching the hosts, all at once, step by step: DNS, TCP, the proxy's tunnel if there is one,
//! then TLS (see `tls`); one check per step tried, and a step that fails ends a host's list.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use super::proxy::{gateway_url, host_and_port, proxy_for, Proxy};
use super::tls::{extra_ca, tls, Trust};
use super::{named, secs, Check, Input, Named, Target, Verdict, CONNECT};

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
        let (host, port) = host_and_port(&u)?;
        Some(Target {
            id: "gateway",
            host,
            port,
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
#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::proxy::base_url;
    use crate::doctor::testing::{env, find, input};

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
