//! Atlassian Statuspage (status.claude.com): conditional GETs of `summary.json`, and
//! `incidents.json` to learn how an incident that left the summary ended.

pub mod parse;

use std::time::Duration;

use ccpulse_core::status::{Incident, ServiceStatus};
use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;

use crate::http::{self, FetchError};

pub use parse::Parsed;

/// The outcome of a conditional GET.
#[derive(Debug)]
pub enum Summary {
    Fresh(Parsed<ServiceStatus>),
    /// 304: what we have is still current.
    NotModified,
}

pub struct StatuspageClient {
    base_url: String,
    client: reqwest::Client,
    timeout: Duration,
    etag: Option<String>,
}

impl StatuspageClient {
    /// `base_url` is the page, e.g. `https://status.claude.com` (no trailing slash).
    pub fn new(base_url: &str, timeout: Duration) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            client: http::client(timeout),
            timeout,
            etag: None,
        }
    }

    pub fn summary_url(&self) -> String {
        format!("{}/api/v2/summary.json", self.base_url)
    }

    pub fn incidents_url(&self) -> String {
        format!("{}/api/v2/incidents.json", self.base_url)
    }

    pub async fn summary(&mut self) -> Result<Summary, FetchError> {
        let url = self.summary_url();
        let etag = self.etag.clone();
        let (status, headers, body) = self.get(&url, etag.as_deref()).await?;
        if status == StatusCode::NOT_MODIFIED && etag.is_some() {
            return Ok(Summary::NotModified);
        }
        let parsed = parse::summary(&body, &self.base_url).map_err(|e| bad_body(&url, &body, e))?;
        self.etag = headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(Summary::Fresh(parsed))
    }

    pub async fn incidents(&self) -> Result<Parsed<Vec<Incident>>, FetchError> {
        let url = self.incidents_url();
        let (_, _, body) = self.get(&url, None).await?;
        parse::incidents(&body, &self.base_url).map_err(|e| bad_body(&url, &body, e))
    }

    async fn get(
        &self,
        url: &str,
        etag: Option<&str>,
    ) -> Result<(StatusCode, reqwest::header::HeaderMap, Vec<u8>), FetchError> {
        let mut request = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let response = request
            .send()
            .await
            .map_err(|e| http::classify(url, &e, self.timeout))?;
        let status = response.status();
        if !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| http::classify(url, &e, self.timeout))?;
        Ok((status, headers, body.to_vec()))
    }
}

fn bad_body(url: &str, body: &[u8], err: parse::ParseError) -> FetchError {
    let url = url.to_string();
    match err {
        parse::ParseError::Json(e) => FetchError::NotJson {
            what: http::describe_non_json(body, &e),
            url,
        },
        parse::ParseError::Shape(why) => FetchError::Unexpected { url, why },
    }
}
