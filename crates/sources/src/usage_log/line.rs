//! One transcript line, decoded leniently into the few shapes ccpulse reads. Everything else (user
//! lines, attachments, `api-request-blob`, `cost-state`, ... and types not invented yet) is
//! [`Record::Other`], which is not an error.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Deserialize)]
struct Raw<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    subtype: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(rename = "requestId", borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(rename = "isSidechain")]
    is_sidechain: Option<bool>,
    #[serde(rename = "isApiErrorMessage")]
    is_api_error: Option<bool>,
    #[serde(rename = "apiErrorStatus")]
    api_error_status: Option<u16>,
    #[serde(borrow)]
    error: Option<&'a RawValue>,
    #[serde(rename = "apiError", borrow)]
    api_error: Option<Cow<'a, str>>,
    #[serde(rename = "apiErrorParams")]
    api_error_params: Option<ApiErrorParams>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
    #[serde(rename = "costUSD")]
    cost_usd: Option<f64>,
    // api-request
    #[serde(rename = "requestDigest", borrow)]
    request_digest: Option<Cow<'a, str>>,
    #[serde(borrow)]
    params: Option<Params<'a>>,
    // system/api_error
    #[serde(rename = "retryAttempt")]
    retry_attempt: Option<u32>,
    #[serde(rename = "maxRetries")]
    max_retries: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct ApiErrorParams {
    rate_limit_info: Option<RateLimitInfo>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitInfo {
    #[serde(rename = "resetsAt")]
    pub resets_at: Option<i64>,
    #[serde(rename = "rateLimitType")]
    pub rate_limit_type: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Params<'a> {
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    usage: Option<Usage>,
    #[serde(borrow)]
    content: Option<&'a RawValue>,
}

/// Token counts as written; absent or null fields are 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct Usage {
    #[serde(default, deserialize_with = "count")]
    pub input_tokens: u64,
    #[serde(default, deserialize_with = "count")]
    pub output_tokens: u64,
    #[serde(default, deserialize_with = "count")]
    pub cache_creation_input_tokens: u64,
    #[serde(default, deserialize_with = "count")]
    pub cache_read_input_tokens: u64,
    #[serde(default)]
    pub cache_creation: Option<CacheCreation>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct CacheCreation {
    #[serde(default, deserialize_with = "count")]
    pub ephemeral_5m_input_tokens: u64,
    #[serde(default, deserialize_with = "count")]
    pub ephemeral_1h_input_tokens: u64,
}

/// null -> 0; a negative or fractional count is a bad line.
fn count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(Option::<u64>::deserialize(d)?.unwrap_or(0))
}

/// An assistant line: a model response with its usage, or a final API error.
#[derive(Debug, Clone, PartialEq)]
pub struct Assistant {
    pub at: DateTime<Utc>,
    pub session_id: Option<String>,
    pub message_id: Option<String>,
    pub request_id: Option<String>,
    pub model: Option<String>,
    pub usage: Option<Usage>,
    pub is_sidechain: bool,
    pub cost_usd: Option<f64>,
    /// Present when `isApiErrorMessage` is true.
    pub error: Option<FinalError>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FinalError {
    pub status: Option<u16>,
    /// `error` (`server_error`, `rate_limit`, ...).
    pub kind: Option<String>,
    /// `apiError` (`usage_limit_reached` for plan limits).
    pub api_error: Option<String>,
    pub rate_limit: Option<RateLimitInfoOwned>,
    /// The text the user saw.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitInfoOwned {
    pub resets_at: Option<i64>,
    pub rate_limit_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Assistant(Box<Assistant>),
    /// `system`/`api_error`: one failed attempt, retried.
    Retry {
        at: DateTime<Utc>,
        session_id: Option<String>,
        status: Option<u16>,
        rate_limit: Option<RateLimitInfoOwned>,
        attempt: Option<u32>,
        max_retries: Option<u32>,
    },
    ApiRequest {
        at: DateTime<Utc>,
        session_id: Option<String>,
        digest: Option<String>,
        model: Option<String>,
    },
    /// A line of another type; fine.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// Not JSON, or a known type with fields of the wrong type.
    Malformed(String),
    /// A known type without a readable timestamp.
    NoTimestamp,
}

fn owned(c: Option<Cow<'_, str>>) -> Option<String> {
    c.map(Cow::into_owned)
}

fn time(raw: &Option<Cow<'_, str>>) -> Result<DateTime<Utc>, LineError> {
    raw.as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.to_utc())
        .ok_or(LineError::NoTimestamp)
}

/// The text of the first text block of a message's `content` (a string or a list of blocks).
fn content_text(content: Option<&RawValue>) -> String {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Content {
        Text(String),
        Blocks(Vec<Block>),
    }
    #[derive(Deserialize)]
    struct Block {
        text: Option<String>,
    }
    match content.map(|c| serde_json::from_str::<Content>(c.get())) {
        Some(Ok(Content::Text(t))) => t,
        Some(Ok(Content::Blocks(b))) => b.into_iter().find_map(|b| b.text).unwrap_or_default(),
        _ => String::new(),
    }
}

/// `error` on an assistant line is a string; on a retry record an object with `status` and
/// `rateLimits`.
fn retry_error(error: Option<&RawValue>) -> (Option<u16>, Option<RateLimitInfoOwned>) {
    #[derive(Deserialize)]
    struct E {
        status: Option<u16>,
        #[serde(rename = "rateLimits")]
        rate_limits: Option<RateLimitInfo>,
    }
    match error.map(|e| serde_json::from_str::<E>(e.get())) {
        Some(Ok(e)) => (e.status, e.rate_limits.map(RateLimitInfoOwned::from)),
        _ => (None, None),
    }
}

impl From<RateLimitInfo> for RateLimitInfoOwned {
    fn from(r: RateLimitInfo) -> Self {
        Self {
            resets_at: r.resets_at,
            rate_limit_type: r.rate_limit_type,
        }
    }
}

pub fn parse(line: &[u8]) -> Result<Record, LineError> {
    let raw: Raw<'_> =
        serde_json::from_slice(line).map_err(|e| LineError::Malformed(e.to_string()))?;
    match (raw.kind.as_deref(), raw.subtype.as_deref()) {
        (Some("assistant"), _) => {
            let at = time(&raw.timestamp)?;
            let message = raw.message;
            let is_error = raw.is_api_error.unwrap_or(false);
            let (content, message_id, model, usage) = match message {
                Some(m) => (m.content, owned(m.id), owned(m.model), m.usage),
                None => (None, None, None, None),
            };
            let error = is_error.then(|| FinalError {
                status: raw.api_error_status,
                kind: raw
                    .error
                    .and_then(|e| serde_json::from_str::<String>(e.get()).ok()),
                api_error: owned(raw.api_error),
                rate_limit: raw
                    .api_error_params
                    .and_then(|p| p.rate_limit_info)
                    .map(RateLimitInfoOwned::from),
                text: content_text(content),
            });
            Ok(Record::Assistant(Box::new(Assistant {
                at,
                session_id: owned(raw.session_id),
                message_id,
                request_id: owned(raw.request_id),
                model,
                usage,
                is_sidechain: raw.is_sidechain.unwrap_or(false),
                cost_usd: raw.cost_usd,
                error,
            })))
        }
        (Some("system"), Some("api_error")) => {
            let (status, rate_limit) = retry_error(raw.error);
            Ok(Record::Retry {
                at: time(&raw.timestamp)?,
                session_id: owned(raw.session_id),
                status,
                rate_limit,
                attempt: raw.retry_attempt,
                max_retries: raw.max_retries,
            })
        }
        (Some("api-request"), _) => Ok(Record::ApiRequest {
            at: time(&raw.timestamp)?,
            session_id: owned(raw.session_id),
            digest: owned(raw.request_digest),
            model: raw.params.and_then(|p| owned(p.model)),
        }),
        _ => Ok(Record::Other),
    }
}
