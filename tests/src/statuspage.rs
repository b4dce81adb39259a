//! A Statuspage page on loopback that plays the hand-made incident timeline
//! (`fixtures/timeline/`): tests move it from step to step.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::paths::fixtures_dir;

/// The timeline's `summary.json` files, in order.
pub const STEPS: [&str; 5] = [
    "1-operational",
    "2-investigating",
    "3-identified",
    "4-monitoring",
    "5-resolved",
];

#[derive(Clone)]
struct Step {
    step: Arc<AtomicUsize>,
    summary: Arc<Vec<Vec<u8>>>,
}

impl Respond for Step {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let body = self.summary[self.step.load(Ordering::SeqCst)].clone();
        ResponseTemplate::new(200).set_body_raw(body, "application/json")
    }
}

pub struct TimelineServer {
    server: MockServer,
    step: Arc<AtomicUsize>,
}

impl TimelineServer {
    pub async fn start() -> anyhow::Result<Self> {
        let dir = fixtures_dir().join("timeline");
        let summary = STEPS
            .iter()
            .map(|s| std::fs::read(dir.join(format!("{s}.summary.json"))))
            .collect::<Result<Vec<_>, _>>()?;
        let incidents = std::fs::read(dir.join("5-resolved.incidents.json"))?;
        let step = Arc::new(AtomicUsize::new(0));
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/v2/summary.json"))
            .respond_with(Step {
                step: step.clone(),
                summary: Arc::new(summary),
            })
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v2/incidents.json"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(incidents, "application/json"))
            .mount(&server)
            .await;
        Ok(Self { server, step })
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// Serve `STEPS[step]` from now on.
    pub fn set_step(&self, step: usize) {
        assert!(step < STEPS.len());
        self.step.store(step, Ordering::SeqCst);
    }

    /// How many requests reached `path` so far.
    pub async fn requests_to(&self, path: &str) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path() == path)
            .count()
    }
}
