//! The one HTTP client setup and the error type every fetch reports. Errors always name the URL.

use std::time::Duration;

/// Statuspage answers in well under a second; 10 s means something is wrong.
pub const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("GET {url}: no answer within {} s", .after.as_secs_f32())]
    Timeout { url: String, after: Duration },
    #[error("GET {url}: could not connect ({detail})")]
    Connect { url: String, detail: String },
    #[error("GET {url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("GET {url}: expected JSON but got {what}")]
    NotJson { url: String, what: String },
    #[error("GET {url}: not a Statuspage document: {why}")]
    Unexpected { url: String, why: String },
    #[error("GET {url}: {detail}")]
    Other { url: String, detail: String },
}

pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("ccpulse/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the TLS backend is compiled in")
}

/// Turn a transport error into words a user can act on.
pub fn classify(url: &str, err: &reqwest::Error, timeout: Duration) -> FetchError {
    let url = url.to_string();
    if err.is_timeout() {
        return FetchError::Timeout {
            url,
            after: timeout,
        };
    }
    if err.is_connect() {
        return FetchError::Connect {
            url,
            detail: root_cause(err),
        };
    }
    FetchError::Other {
        url,
        detail: root_cause(err),
    }
}

/// The innermost error's message ("Connection refused (os error 111)" -> "connection refused").
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    if let Some(io) = cur.downcast_ref::<std::io::Error>() {
        return match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
            std::io::ErrorKind::ConnectionReset => "connection reset".to_string(),
            _ => io.to_string(),
        };
    }
    cur.to_string()
}

/// Describe a body that should have been JSON, for the error message.
pub fn describe_non_json(body: &[u8], err: &serde_json::Error) -> String {
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_lowercase();
    let head = head.trim_start();
    if head.starts_with("<!doctype html") || head.starts_with("<html") || head.contains("<body") {
        "an HTML page (a captive portal, proxy or error page?)".to_string()
    } else if body.is_empty() {
        "an empty body".to_string()
    } else if err.is_eof() {
        format!("truncated JSON ({} bytes, cut off)", body.len())
    } else {
        format!("invalid JSON ({err})")
    }
}
