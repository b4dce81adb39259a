//! Limit hits and API errors, read from one transcript in order.

use std::collections::HashMap;
use std::io::BufRead;

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

use ccpulse_core::signals::{parse_limit_text, ApiError, ErrorOrigin, LimitHit, LimitKind};

use super::line::{parse, Assistant, Record};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    pub limit_hits: Vec<LimitHit>,
    pub api_errors: Vec<ApiError>,
    /// Lines that were not JSON or not a shape we know how to read.
    pub bad_lines: usize,
}

/// Per session: the last request sent, to tell a retry from a new request.
#[derive(Default)]
struct Session {
    digest: Option<String>,
    model: Option<String>,
    /// A retry record already reported the failure of the last request.
    retry_recorded: bool,
}

/// Read `reader` to its end. `local` is the zone for reset times that name none.
pub fn scan(reader: impl BufRead, local: Tz) -> Signals {
    let mut out = Signals::default();
    let mut sessions: HashMap<Option<String>, Session> = HashMap::new();
    for line in reader.split(b'\n') {
        let Ok(line) = line else { break };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let record = match parse(&line) {
            Ok(r) => r,
            Err(_) => {
                out.bad_lines += 1;
                continue;
            }
        };
        match record {
            Record::ApiRequest {
                at,
                session_id,
                digest,
                model,
            } => {
                let s = sessions.entry(session_id.clone()).or_default();
                let repeated = digest.is_some() && digest == s.digest;
                if repeated && !s.retry_recorded {
                    out.api_errors.push(ApiError {
                        at,
                        origin: ErrorOrigin::InteractiveRetry,
                        status: None,
                        model: model.clone(),
                        kind: None,
                        session_id,
                    });
                }
                s.digest = digest;
                s.model = model;
                s.retry_recorded = false;
            }
            Record::Retry {
                at,
                session_id,
                status,
                ..
            } => {
                let s = sessions.entry(session_id.clone()).or_default();
                s.retry_recorded = true;
                out.api_errors.push(ApiError {
                    at,
                    origin: ErrorOrigin::Retry,
                    status,
                    model: s.model.clone(),
                    kind: None,
                    session_id,
                });
            }
            Record::Assistant(a) => {
                let model = sessions.get(&a.session_id).and_then(|s| s.model.clone());
                final_error(&a, model, local, &mut out);
            }
            Record::Other => {}
        }
    }
    out
}

fn final_error(a: &Assistant, model: Option<String>, local: Tz, out: &mut Signals) {
    let Some(e) = &a.error else { return };
    let from_text = parse_limit_text(&e.text, a.at, local);
    let is_limit = e.api_error.as_deref() == Some("usage_limit_reached") || from_text.is_some();
    if is_limit {
        let info = e.rate_limit.as_ref();
        let kind = info
            .and_then(|i| i.rate_limit_type.as_deref())
            .map(LimitKind::from_rate_limit_type)
            .or_else(|| from_text.as_ref().map(|(k, _)| k.clone()))
            .unwrap_or(LimitKind::Unspecified);
        let resets_at = info
            .and_then(|i| i.resets_at)
            .and_then(|s| Utc.timestamp_opt(s, 0).single())
            .or_else(|| from_text.and_then(|(_, r)| r));
        out.limit_hits.push(LimitHit {
            at: a.at,
            kind,
            resets_at,
            session_id: a.session_id.clone(),
        });
    }
    out.api_errors.push(ApiError {
        at: a.at,
        origin: ErrorOrigin::Final,
        status: e.status,
        model: model.or_else(|| a.model.clone().filter(|m| m != "<synthetic>")),
        kind: e.kind.clone(),
        session_id: a.session_id.clone(),
    });
}
