//! `ccpulse doctor` with planted environments: the real binary, a temp home, and the hosts to
//! reach pointed at loopback (a TLS server made here, with its own CA, plays the interception
//! proxy; a CONNECT proxy made here plays the corporate proxy).
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ccpulse_tests::Ccpulse;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use serde_json::Value;
use tokio_rustls::rustls;

/// The issuer the test server's certificate names.
const INTERCEPTOR: &str = "ccpulse test interception CA";

/// A loopback TLS server for `localhost`, its certificate issued by a CA of its own (as a
/// TLS-inspecting proxy's is). It completes handshakes and closes.
struct TlsServer {
    port: u16,
    ca_pem: String,
    _runtime: tokio::runtime::Runtime,
}

impl TlsServer {
    fn start() -> TlsServer {
        let ca_key = KeyPair::generate().unwrap();
        let ca = Self::ca(Vec::new());
        let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate().unwrap();
        let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = leaf.signed_by(&key, &issuer).unwrap();
        Self::serve(cert, key, ca_pem)
    }

    /// A server whose certificate is a self-made one for `localhost`, marked as a CA (as
    /// `openssl req -x509` makes them by default).
    fn self_made() -> TlsServer {
        let key = KeyPair::generate().unwrap();
        let cert = Self::ca(vec!["localhost".to_string()])
            .self_signed(&key)
            .unwrap();
        let pem = cert.pem();
        Self::serve(cert, key, pem)
    }

    fn ca(names: Vec<String>) -> CertificateParams {
        let mut ca = CertificateParams::new(names).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, INTERCEPTOR);
        ca
    }

    fn serve(cert: rcgen::Certificate, key: KeyPair, ca_pem: String) -> TlsServer {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
            )
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move { acceptor.accept(stream).await });
            }
        });
        TlsServer {
            port,
            ca_pem,
            _runtime: runtime,
        }
    }

    fn host(&self) -> String {
        format!("localhost:{}", self.port)
    }
}

/// A loopback HTTP proxy that opens `CONNECT` tunnels to loopback ports, and keeps the heads
/// of the requests it got.
struct ConnectProxy {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let kept = heads.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let kept = kept.clone();
                std::thread::spawn(move || Self::serve(client, &kept));
            }
        });
        ConnectProxy { port, heads }
    }

    fn serve(client: TcpStream, kept: &Mutex<Vec<String>>) -> std::io::Result<()> {
        let mut reader = BufReader::new(client.try_clone()?);
        let mut head = String::new();
        while !head.ends_with("\r\n\r\n") {
            if reader.read_line(&mut head)? == 0 {
                return Ok(());
            }
        }
        kept.lock().unwrap().push(head.clone());
        // Loopback only: `CONNECT localhost:<port> HTTP/1.1`.
        let port: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|t| t.strip_prefix("localhost:"))
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| std::io::Error::other("not a loopback CONNECT"))?;
        let upstream = TcpStream::connect(("127.0.0.1", port))?;
        let mut answer = client.try_clone()?;
        answer.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        let (mut up_read, mut up_write) = (upstream.try_clone()?, upstream);
        let mut down_write = client;
        std::thread::spawn(move || std::io::copy(&mut up_read, &mut down_write));
        std::io::copy(&mut reader, &mut up_write)?;
        Ok(())
    }
}

/// A temp home, project dir and state dir, and the environment to run ccpulse in.
struct Machine {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Machine {
    /// Both hosts at `host` (`host:port`).
    fn new(host: &str) -> Machine {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("project")).unwrap();
        let env = vec![
            ("HOME", dir.path().join("home").display().to_string()),
            (
                "XDG_CONFIG_HOME",
                dir.path().join("home/config").display().to_string(),
            ),
            (
                "CCPULSE_STATE_DIR",
                dir.path().join("state").display().to_string(),
            ),
            ("CCPULSE_DOCTOR_API_HOST", host.to_string()),
            ("CCPULSE_DOCTOR_STATUS_HOST", host.to_string()),
        ];
        Machine {
            env: env.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            dir,
        }
    }

    fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.env.push((name.to_string(), value.into()));
        self
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `~/.claude/.credentials.json` with these tokens, expiry and scopes.
    fn credentials(&self, access: &str, refresh: &str, expires_in_h: i64, scopes: &[&str]) {
        let expires = chrono::Utc::now().timestamp_millis() + expires_in_h * 3_600_000;
        let body = serde_json::json!({"claudeAiOauth": {
            "accessToken": access, "refreshToken": refresh, "expiresAt": expires,
            "scopes": scopes, "subscriptionType": "max"}});
        self.write("home/.claude/.credentials.json", &body.to_string());
    }

    fn doctor(&self, args: &[&str]) -> Output {
        Ccpulse::new()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(self.path("project"))
            .arg("doctor")
            .args(args)
            .output()
    }

    /// `doctor --json`: the report, and the whole output (stdout and stderr) as text.
    fn report(&self) -> (Report, String) {
        let out = self.doctor(&["--json"]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let json: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        let report = Report {
            code: out.status.code(),
            json,
        };
        (report, text)
    }
}

struct Report {
    code: Option<i32>,
    json: Value,
}

impl Report {
    fn checks(&self) -> &Vec<Value> {
        self.json["checks"].as_array().expect("checks is a list")
    }

    fn get(&self, id: &str) -> &Value {
        self.checks()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no check {id} in {:#}", self.json))
    }

    fn has(&self, id: &str) -> bool {
        self.checks().iter().any(|c| c["id"] == id)
    }

    /// The check's verdict and advice.
    fn verdict(&self, id: &str) -> (String, Value) {
        let c = self.get(id);
        (
            c["verdict"].as_str().unwrap().to_string(),
            c["advice"].clone(),
        )
    }

    fn detail(&self, id: &str) -> String {
        self.get(id)["detail"].as_str().unwrap().to_string()
    }
}

fn verdict(v: &str, advice: Option<&str>) -> (String, Value) {
    (v.to_string(), advice.map_or(Value::Null, Value::from))
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn nowhere() -> String {
    format!("127.0.0.1:{}", closed_port())
}

fn api_key_warning() -> (String, Value) {
    verdict("warn", Some("api-key-overrides-subscription"))
}

#[test]
fn an_api_key_in_the_environment_warns_and_its_value_is_never_shown() {
    let key = "sk-ant-api03-PLANTED-ENV-KEY-4f2a";
    let mut m = Machine::new(&nowhere());
    m.set("ANTHROPIC_API_KEY", key);
    let (r, text) = m.report();
    assert_eq!(r.code, Some(1), "{text}");
    assert_eq!(r.json["passed"], false);
    assert_eq!(r.verdict("api-key"), api_key_warning());
    assert!(
        r.detail("api-key")
            .starts_with("ANTHROPIC_API_KEY in the environment: "),
        "{text}"
    );
    assert!(!text.contains(key), "{text}");

    let out = m.doctor(&[]);
    let human = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        human.contains("  !!  API key ")
            && human.contains("ccpulse fix api-key-overrides-subscription"),
        "{human}"
    );
    assert!(!human.contains(key) && !String::from_utf8_lossy(&out.stderr).contains(key));
}

#[test]
fn a_key_in_the_dotenv_of_the_current_dir_is_named_with_its_file() {
    let key = "sk-ant-api03-PLANTED-DOTENV-KEY-9c1d";
    let m = Machine::new(&nowhere());
    let dotenv = m.write(
        "project/.env",
        &format!("DEBUG=1\nANTHROPIC_API_KEY=\"{key}\"\n"),
    );
    let (r, text) = m.report();
    assert_eq!(r.code, Some(1));
    assert_eq!(r.verdict("api-key"), api_key_warning());
    assert!(
        r.detail("api-key")
            .starts_with(&format!("ANTHROPIC_API_KEY in {}: ", dotenv.display())),
        "{text}"
    );
    assert!(!text.contains(key), "{text}");

    // An empty value is no key.
    m.write("project/.env", "ANTHROPIC_API_KEY=\n");
    let (r, _) = m.report();
    assert_eq!(r.verdict("api-key"), verdict("pass", None));
}

#[test]
fn an_extra_ca_file_that_does_not_exist_fails() {
    let mut m = Machine::new(&nowhere());
    m.set("NODE_EXTRA_CA_CERTS", "/nonexistent.pem");
    let (r, text) = m.report();
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.verdict("extra-ca"),
        verdict("fail", Some("ssl-certificate")),
        "{text}"
    );
    assert_eq!(r.detail("extra-ca"), "/nonexistent.pem: no such file");
}

#[test]
fn an_untrusted_certificate_is_reported_as_tls_interception() {
    let server = TlsServer::start();
    let m = Machine::new(&server.host());
    let (r, text) = m.report();
    assert_eq!(r.code, Some(1));
    for step in ["api-dns", "api-tcp", "status-dns", "status-tcp"] {
        assert_eq!(r.verdict(step), verdict("pass", None), "{step}: {text}");
    }
    assert_eq!(
        r.verdict("api-tls"),
        verdict("fail", Some("ssl-certificate"))
    );
    // The status page is ccpulse's, not Claude Code's: a warning there.
    assert_eq!(
        r.verdict("status-tls"),
        verdict("warn", Some("ssl-certificate"))
    );
    assert_eq!(
        r.detail("api-tls"),
        format!(
            "certificate issued by \"{INTERCEPTOR}\" not trusted by Node's built-in roots: \
             likely TLS interception by a proxy, firewall or antivirus"
        )
    );

    let out = m.doctor(&[]);
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        human.contains(&format!("  XX  {} TLS ", server.host())),
        "{human}"
    );
    assert!(human.contains("ccpulse fix ssl-certificate"), "{human}");
}

#[test]
fn with_its_ca_in_node_extra_ca_certs_the_interception_is_trusted() {
    let server = TlsServer::start();
    let mut m = Machine::new(&server.host());
    let ca = m.write("corp-ca.pem", &server.ca_pem);
    m.set("NODE_EXTRA_CA_CERTS", ca.display().to_string());
    let (r, text) = m.report();
    assert_eq!(r.verdict("extra-ca"), verdict("pass", None), "{text}");
    assert_eq!(r.verdict("api-tls"), verdict("pass", None), "{text}");
    assert_eq!(
        r.detail("api-tls"),
        format!(
            "certificate issued by \"{INTERCEPTOR}\" trusted only through \
             NODE_EXTRA_CA_CERTS ({}): a proxy or firewall intercepts this traffic with a CA \
             from that file",
            ca.display()
        )
    );
}

#[test]
fn a_self_made_certificate_is_trusted_when_node_extra_ca_certs_holds_it() {
    let server = TlsServer::self_made();
    let mut m = Machine::new(&server.host());
    let (r, text) = m.report();
    assert_eq!(
        r.verdict("api-tls"),
        verdict("fail", Some("ssl-certificate")),
        "{text}"
    );
    let pem = m.write("gateway.pem", &server.ca_pem);
    m.set("NODE_EXTRA_CA_CERTS", pem.display().to_string());
    let (r, text) = m.report();
    assert_eq!(r.verdict("api-tls"), verdict("pass", None), "{text}");
    assert!(r
        .detail("api-tls")
        .contains("trusted only through NODE_EXTRA_CA_CERTS"));
}

#[test]
fn a_host_that_does_not_resolve_fails_at_dns_quickly() {
    let m = Machine::new("doctor-check.invalid:443");
    let started = Instant::now();
    let (r, text) = m.report();
    let took = started.elapsed();
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.verdict("api-dns"),
        verdict("fail", Some("unable-to-connect")),
        "{text}"
    );
    assert!(
        r.detail("api-dns").contains("doctor-check.invalid"),
        "{text}"
    );
    assert!(!r.has("api-tcp") && !r.has("api-tls"), "{text}");
    // Each step has 3 s at most.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

/// Everything as it should be: a login with the scope, the status line, transcripts, and the
/// hosts reachable (through an interception CA that NODE_EXTRA_CA_CERTS trusts).
fn healthy(server: &TlsServer) -> Machine {
    let mut m = Machine::new(&server.host());
    m.credentials(
        "ACCESS-TOKEN-healthy",
        "REFRESH-TOKEN-healthy",
        5,
        &["user:inference", "user:profile"],
    );
    m.write(
        "home/.claude/settings.json",
        r#"{"statusLine": {"type": "command", "command": "'/usr/bin/ccpulse' statusline"}}"#,
    );
    m.write("home/.claude/projects/-p/s1.jsonl", "{}\n");
    let ca = m.write("ca.pem", &server.ca_pem);
    m.set("NODE_EXTRA_CA_CERTS", ca.display().to_string());
    m
}

#[test]
fn a_healthy_machine_passes_every_check() {
    let server = TlsServer::start();
    let m = healthy(&server);
    let (r, text) = m.report();
    assert_eq!(r.code, Some(0), "{text}");
    assert_eq!(r.json["passed"], true);
    for c in r.checks() {
        assert!(c["verdict"] == "pass" || c["verdict"] == "info", "{c}");
        assert_eq!(c["advice"], Value::Null);
        assert_eq!(c.as_object().unwrap().len(), 5, "{c}");
    }
    for id in [
        "api-key",
        "base-url",
        "proxy",
        "extra-ca",
        "tls-verification",
        "max-retries",
        "api-timeout",
        "login",
        "statusline",
        "transcripts",
        "api-dns",
        "api-tcp",
        "api-tls",
        "status-dns",
        "status-tcp",
        "status-tls",
    ] {
        assert_eq!(r.verdict(id), verdict("pass", None), "{id}: {text}");
    }
    assert!(r
        .detail("login")
        .starts_with("logged in (max plan), renews by "));
    assert!(r
        .detail("transcripts")
        .starts_with("1 .jsonl file, 3 B in "));
    assert!(!text.contains("TOKEN-healthy"), "{text}");

    let out = m.doctor(&[]);
    assert_eq!(out.status.code(), Some(0));
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        human.ends_with(&format!("\nAll {} checks passed.\n", r.checks().len())),
        "{human}"
    );
}

#[test]
fn an_expired_login_and_one_without_the_profile_scope_warn_without_showing_tokens() {
    let server = TlsServer::start();
    let cases = [
        (-1, vec!["user:inference", "user:profile"], "oauth-expired"),
        (5, vec!["user:inference"], "oauth-scope"),
    ];
    for (expires_in_h, scopes, advice) in cases {
        let m = healthy(&server);
        let (access, refresh) = (
            "sk-ant-oat01-PLANTED-ACCESS",
            "sk-ant-ort01-PLANTED-REFRESH",
        );
        m.credentials(access, refresh, expires_in_h, &scopes);
        let (r, text) = m.report();
        assert_eq!(r.code, Some(1), "{text}");
        assert_eq!(r.verdict("login"), verdict("warn", Some(advice)), "{text}");
        let human = m.doctor(&[]);
        let all = format!(
            "{text}{}{}",
            String::from_utf8_lossy(&human.stdout),
            String::from_utf8_lossy(&human.stderr)
        );
        assert!(!all.contains("PLANTED"), "{all}");
        // Everything else still passes.
        let others = r.checks().iter().filter(|c| c["id"] != "login");
        assert!(others.clone().all(|c| c["verdict"] == "pass"), "{text}");
    }
    let expired = healthy(&server);
    expired.credentials("a", "r", -1, &["user:profile"]);
    assert!(expired.report().0.detail("login").contains("run `claude`"));
}

#[test]
fn through_an_http_proxy_the_tunnel_and_tls_are_checked() {
    let server = TlsServer::start();
    let proxy = ConnectProxy::start();
    let mut m = healthy(&server);
    let password = "Pl4nted-proxy-pass";
    m.set(
        "HTTPS_PROXY",
        format!("http://carol:{password}@127.0.0.1:{}", proxy.port),
    );
    let (r, text) = m.report();
    assert_eq!(r.code, Some(0), "{text}");
    assert_eq!(r.verdict("proxy"), verdict("info", None));
    assert_eq!(
        r.detail("proxy"),
        format!(
            "HTTPS_PROXY=http://127.0.0.1:{} (user and password hidden)",
            proxy.port
        )
    );
    assert!(
        r.detail("api-dns")
            .starts_with("proxy 127.0.0.1 resolves to 127.0.0.1"),
        "{text}"
    );
    assert_eq!(r.verdict("api-proxy"), verdict("pass", None));
    assert!(r
        .detail("api-tls")
        .contains("trusted only through NODE_EXTRA_CA_CERTS"));
    assert!(
        !text.contains(password) && !text.contains("carol"),
        "{text}"
    );
    let heads = proxy.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 2, "{heads:?}");
    let api = format!("CONNECT {} HTTP/1.1\r\n", server.host());
    assert!(heads.iter().any(|h| h.starts_with(&api)), "{heads:?}");
    assert!(heads
        .iter()
        .all(|h| h.contains("Proxy-Authorization: Basic ")));
}
