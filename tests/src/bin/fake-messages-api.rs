//! A fake Anthropic Messages API that is always overloaded: every `POST /v1/messages…` gets
//! HTTP 529 with the API's `overloaded_error` body; anything else gets 404. It listens on
//! loopback only and logs one line per request on stderr, so a test can count what a client sent.
//!
//! ```text
//! fake-messages-api [--port N] [-- COMMAND ARGS...]
//! ```
//!
//! Without a command it prints `listening on http://127.0.0.1:PORT` on stdout and serves until
//! killed. With one, it runs COMMAND with `ANTHROPIC_BASE_URL` set to its own address (it listens
//! before the command starts, so there is no race), serves until the command exits, prints
//! `fake-messages-api: answered N request(s), M to /v1/messages` on stderr and exits with the
//! command's exit code (1 if it died of a signal). `--port 0` (the default) picks a free port.
//!
//! `--tls DIR` plays `https://api.anthropic.com` instead (for a namespace whose `/etc/hosts`
//! points that name at loopback): it makes a throwaway CA, writes it to `DIR/ca.pem` before it
//! listens (for `NODE_EXTRA_CA_CERTS`), serves TLS with a certificate for `api.anthropic.com`
//! issued by it, does not set `ANTHROPIC_BASE_URL`, and answers `GET /api/oauth/usage` with
//! the file given by `--usage FILE` (every other request: 404). `--log FILE` appends one line
//! per request to FILE: `METHOD PATH user-agent=UA`.
//!
//! It speaks just enough HTTP/1.1 for an HTTP client library (keep-alive, `Content-Length` or
//! chunked request bodies); TLS is rustls.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio_rustls::rustls;

const OVERLOADED: &str =
    r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
const NOT_FOUND: &str =
    r#"{"type":"error","error":{"type":"not_found_error","message":"Not found"}}"#;

#[derive(Default)]
struct Counts {
    all: AtomicUsize,
    messages: AtomicUsize,
}

/// What the server answers and where it logs.
#[derive(Default)]
struct Serving {
    counts: Counts,
    /// `GET /api/oauth/usage`'s body (TLS mode).
    usage: Option<Vec<u8>>,
    log: Option<Mutex<std::fs::File>>,
}

/// The host name the TLS mode's certificate is for.
const API_HOST: &str = "api.anthropic.com";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut port: u16 = 0;
    let mut command: Vec<String> = Vec::new();
    let (mut tls_dir, mut usage_file, mut log_file) = (None, None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => return usage("--port needs a number"),
            },
            "--tls" => match args.next() {
                Some(d) => tls_dir = Some(PathBuf::from(d)),
                None => return usage("--tls needs a directory"),
            },
            "--usage" => match args.next() {
                Some(f) => usage_file = Some(PathBuf::from(f)),
                None => return usage("--usage needs a file"),
            },
            "--log" => match args.next() {
                Some(f) => log_file = Some(PathBuf::from(f)),
                None => return usage("--log needs a file"),
            },
            "--" => command.extend(args.by_ref()),
            other => return usage(&format!("unknown argument {other:?}")),
        }
    }
    let mut serving = Serving::default();
    if let Some(file) = usage_file {
        match std::fs::read(&file) {
            Ok(body) => serving.usage = Some(body),
            Err(e) => return usage(&format!("cannot read {}: {e}", file.display())),
        }
    }
    if let Some(file) = log_file {
        let opened = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file);
        match opened {
            Ok(f) => serving.log = Some(Mutex::new(f)),
            Err(e) => return usage(&format!("cannot open {}: {e}", file.display())),
        }
    }
    let tls = match tls_dir.map(|dir| tls_config(&dir)).transpose() {
        Ok(tls) => tls,
        Err(e) => {
            eprintln!("fake-messages-api: cannot set up TLS: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("fake-messages-api: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::from(2);
        }
    };
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let base_url = match tls {
        Some(_) => format!("https://{API_HOST}:{}", addr.port()),
        None => format!("http://{addr}"),
    };
    let serving = Arc::new(serving);
    {
        let serving = serving.clone();
        let tls = tls.clone();
        std::thread::spawn(move || serve(listener, tls, serving));
    }
    let Some((program, rest)) = command.split_first() else {
        println!("listening on {base_url}");
        let _ = std::io::stdout().flush();
        loop {
            std::thread::park();
        }
    };
    eprintln!("fake-messages-api: listening on {base_url}; running {program}");
    let mut child = Command::new(program);
    child.args(rest);
    if tls.is_none() {
        child.env("ANTHROPIC_BASE_URL", &base_url);
    }
    let status = child.status();
    let counts = &serving.counts;
    eprintln!(
        "fake-messages-api: answered {} request(s), {} to /v1/messages",
        counts.all.load(Ordering::SeqCst),
        counts.messages.load(Ordering::SeqCst)
    );
    match status {
        Ok(s) => {
            eprintln!("fake-messages-api: {program} exited: {s}");
            ExitCode::from(s.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)))
        }
        Err(e) => {
            eprintln!("fake-messages-api: cannot run {program}: {e}");
            ExitCode::from(127)
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!(
        "fake-messages-api: {problem}\nusage: fake-messages-api [--port N] \
         [--tls DIR --usage FILE] [--log FILE] [-- COMMAND ARGS...]"
    );
    ExitCode::from(2)
}

/// A throwaway CA (written to `dir/ca.pem`) and a server config with a certificate for
/// [`API_HOST`] that it issued.
fn tls_config(dir: &std::path::Path) -> Result<Arc<rustls::ServerConfig>, String> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    };
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let ca_key = KeyPair::generate().map_err(|x| e(&x))?;
    let mut ca = CertificateParams::new(Vec::new()).map_err(|x| e(&x))?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "fake-messages-api throwaway CA");
    let ca_pem = ca.self_signed(&ca_key).map_err(|x| e(&x))?.pem();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().map_err(|x| e(&x))?;
    let mut leaf = CertificateParams::new(vec![API_HOST.to_string()]).map_err(|x| e(&x))?;
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = leaf.signed_by(&key, &issuer).map_err(|x| e(&x))?;
    std::fs::create_dir_all(dir).map_err(|x| e(&x))?;
    std::fs::write(dir.join("ca.pem"), ca_pem).map_err(|x| e(&x))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|x| e(&x))?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        )
        .map_err(|x| e(&x))?;
    Ok(Arc::new(config))
}

fn serve(listener: TcpListener, tls: Option<Arc<rustls::ServerConfig>>, serving: Arc<Serving>) {
    for stream in listener.incoming().flatten() {
        let serving = serving.clone();
        let tls = tls.clone();
        std::thread::spawn(move || {
            let done = match tls {
                Some(config) => rustls::ServerConnection::new(config)
                    .map_err(std::io::Error::other)
                    .and_then(|c| connection(rustls::StreamOwned::new(c, stream), &serving)),
                None => connection(stream, &serving),
            };
            // A client may close a TLS connection without close_notify: that is its end.
            if let Err(e) = done.or_else(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => Ok(()),
                _ => Err(e),
            }) {
                eprintln!("fake-messages-api: connection error: {e}");
            }
        });
    }
}

/// Answers the requests of one keep-alive connection until the client closes it.
fn connection(stream: impl Read + Write, serving: &Serving) -> std::io::Result<()> {
    let counts = &serving.counts;
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let request_line = request_line.trim_end().to_string();
        if request_line.is_empty() {
            continue;
        }
        let mut content_length = 0usize;
        let mut chunked = false;
        let mut close = false;
        let mut user_agent = String::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 {
                return Ok(());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.parse().unwrap_or(0),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                "user-agent" => user_agent = value.to_string(),
                _ => {}
            }
        }
        let body_len = if chunked {
            read_chunked(&mut reader)?
        } else {
            std::io::copy(
                &mut reader.by_ref().take(content_length as u64),
                &mut std::io::sink(),
            )? as usize
        };
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default();
        let target = parts.next().unwrap_or_default();
        let n = counts.all.fetch_add(1, Ordering::SeqCst) + 1;
        let is_messages =
            method == "POST" && (target == "/v1/messages" || target.starts_with("/v1/messages?"));
        if is_messages {
            counts.messages.fetch_add(1, Ordering::SeqCst);
        }
        if let Some(log) = &serving.log {
            let mut log = log
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            writeln!(log, "{method} {target} user-agent={user_agent}")?;
        }
        let is_usage = method == "GET"
            && (target == "/api/oauth/usage" || target.starts_with("/api/oauth/usage?"));
        let (status, reason, body) = match &serving.usage {
            Some(usage) if is_usage => (200, "OK", usage.as_slice()),
            _ if is_messages => (529, "Overloaded", OVERLOADED.as_bytes()),
            _ => (404, "Not Found", NOT_FOUND.as_bytes()),
        };
        eprintln!(
            "fake-messages-api: request {n}: {method} {target} ({body_len} bytes) -> {status}"
        );
        let writer = reader.get_mut();
        write!(
            writer,
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n\
             request-id: req_fake{n:020}\r\ncontent-length: {}\r\n\
             connection: {}\r\n\r\n",
            body.len(),
            if close { "close" } else { "keep-alive" }
        )?;
        writer.write_all(body)?;
        writer.flush()?;
        if close {
            return Ok(());
        }
    }
}

/// Reads (and drops) a chunked body with its trailers; returns its length.
fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line)?;
        let size_hex = size_line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("bad chunk size {size_line:?}"),
            )
        })?;
        if size == 0 {
            // Trailers, up to an empty line.
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
                    return Ok(total);
                }
            }
        }
        std::io::copy(&mut reader.by_ref().take(size as u64), &mut std::io::sink())?;
        let mut crlf = String::new();
        reader.read_line(&mut crlf)?;
        total += size;
    }
}
