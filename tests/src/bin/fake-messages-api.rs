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
//! Only std: it speaks just enough HTTP/1.1 for an HTTP client library (keep-alive,
//! `Content-Length` or chunked request bodies).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const OVERLOADED: &str =
    r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
const NOT_FOUND: &str =
    r#"{"type":"error","error":{"type":"not_found_error","message":"Not found"}}"#;

#[derive(Default)]
struct Counts {
    all: AtomicUsize,
    messages: AtomicUsize,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut port: u16 = 0;
    let mut command: Vec<String> = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => return usage("--port needs a number"),
            },
            "--" => command.extend(args.by_ref()),
            other => return usage(&format!("unknown argument {other:?}")),
        }
    }
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
    let base_url = format!("http://{addr}");
    let counts = Arc::new(Counts::default());
    {
        let counts = counts.clone();
        std::thread::spawn(move || serve(listener, counts));
    }
    let Some((program, rest)) = command.split_first() else {
        println!("listening on {base_url}");
        let _ = std::io::stdout().flush();
        loop {
            std::thread::park();
        }
    };
    eprintln!("fake-messages-api: listening on {base_url}; running {program}");
    let status = Command::new(program)
        .args(rest)
        .env("ANTHROPIC_BASE_URL", &base_url)
        .status();
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
        "fake-messages-api: {problem}\nusage: fake-messages-api [--port N] [-- COMMAND ARGS...]"
    );
    ExitCode::from(2)
}

fn serve(listener: TcpListener, counts: Arc<Counts>) {
    for stream in listener.incoming().flatten() {
        let counts = counts.clone();
        std::thread::spawn(move || {
            if let Err(e) = connection(stream, &counts) {
                eprintln!("fake-messages-api: connection error: {e}");
            }
        });
    }
}

/// Answers the requests of one keep-alive connection until the client closes it.
fn connection(stream: TcpStream, counts: &Counts) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
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
        let (status, reason, body) = if is_messages {
            counts.messages.fetch_add(1, Ordering::SeqCst);
            (529, "Overloaded", OVERLOADED)
        } else {
            (404, "Not Found", NOT_FOUND)
        };
        eprintln!(
            "fake-messages-api: request {n}: {method} {target} ({body_len} bytes) -> {status}"
        );
        write!(
            writer,
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n\
             request-id: req_fake{n:020}\r\ncontent-length: {}\r\n\
             connection: {}\r\n\r\n{body}",
            body.len(),
            if close { "close" } else { "keep-alive" }
        )?;
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
