//! Statuspage: the parser over every real fixture, the hand-made incident timeline through the
//! core's diff and alert ledger, and the HTTP client and poll loop against a real loopback server.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ccpulse_core::alerts::{plan, Alert, AlertLedger, Reading};
use ccpulse_core::backoff::PollPolicy;
use ccpulse_core::config::StatusConfig;
use ccpulse_core::policy::Policy;
use ccpulse_core::relevance::Relevance;
use ccpulse_core::status::{ComponentStatus, Impact, IncidentStatus, Indicator, ServiceStatus};
use ccpulse_sources::alerting::{self, Alerting};
use ccpulse_sources::http::FetchError;
use ccpulse_sources::monitor::{self, Mode, Observation, StatusMonitor};
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::statuspage::{parse, StatuspageClient, Summary};
use chrono::{DateTime, Utc};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn summary(rel: &str) -> ServiceStatus {
    let parsed = parse::summary(&read(rel), "https://status.claude.com").expect(rel);
    assert!(parsed.warnings.is_empty(), "{rel}: {:?}", parsed.warnings);
    parsed.value
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

// ---------------------------------------------------------------- parser over real payloads

#[test]
fn every_statuspage_fixture_parses() {
    // file, indicator, components (non-group), groups, incidents, maintenances
    let summaries: [(&str, Indicator, usize, usize, usize, usize); 7] = [
        (
            "anthropic-status-json-operational-2026-08-09.json",
            Indicator::None,
            0,
            0,
            0,
            0,
        ),
        (
            "cloudamqp-summary-maintenance-in-progress-2020-07-16.json",
            Indicator::Maintenance,
            23,
            0,
            0,
            1,
        ),
        (
            "github-components-json-2024-09-17.json",
            Indicator::Unknown,
            2,
            0,
            0,
            0,
        ),
        (
            "github-summary-all-operational-2019-12-30.json",
            Indicator::None,
            9,
            0,
            0,
            0,
        ),
        (
            "github-summary-major-outage-active-incident-2020-04-02.json",
            Indicator::Major,
            9,
            0,
            1,
            0,
        ),
        (
            "statuspage-docs-example-summary-as-served-on-githubstatus-api-page.json",
            Indicator::Major,
            2,
            0,
            1,
            2,
        ),
        (
            "twilio-summary-degraded-groups-incidents-scheduled-maintenance-2020-06-16.json",
            Indicator::Minor,
            65,
            8,
            2,
            9,
        ),
    ];
    let mut seen = 0;
    for (file, indicator, components, groups, incidents, maintenances) in summaries {
        let s = summary(&format!("statuspage/{file}"));
        assert_eq!(s.indicator, indicator, "{file}");
        assert_eq!(
            s.components.iter().filter(|c| !c.is_group).count(),
            components,
            "{file}"
        );
        assert_eq!(
            s.components.iter().filter(|c| c.is_group).count(),
            groups,
            "{file}"
        );
        assert_eq!(s.incidents.len(), incidents, "{file}");
        assert_eq!(s.maintenances.len(), maintenances, "{file}");
        seen += 1;
    }
    let history = parse::incidents(
        &read("statuspage/github-incidents-json-resolved-history-2024-09-17.json"),
        "",
    )
    .unwrap();
    assert_eq!(history.value.len(), 2);
    assert!(history
        .value
        .iter()
        .all(|i| i.status == IncidentStatus::Resolved));
    assert!(history.value.iter().all(|i| i.updates.len() == 6));
    assert_eq!(
        history.value[0].latest_update().unwrap().status,
        IncidentStatus::Resolved
    );
    seen += 1;

    // Every JSON fixture in the folder is covered above (the feeds are for a later reader).
    let on_disk = std::fs::read_dir(fixtures().join("statuspage"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    assert_eq!(seen, on_disk);
}

#[test]
fn outage_fixture_details() {
    let s = summary("statuspage/github-summary-major-outage-active-incident-2020-04-02.json");
    let inc = &s.incidents[0];
    assert_eq!(inc.status, IncidentStatus::Investigating);
    assert_eq!(inc.impact, Impact::Major);
    assert_eq!(inc.updates.len(), 2);
    // newest first, and `affected_components: null` on one of them did not matter
    assert!(inc.updates[0].created_at >= inc.updates[1].created_at);
    assert!(inc
        .url
        .starts_with("https://www.githubstatus.com/incidents/"));
    assert_eq!(
        s.components
            .iter()
            .filter(|c| c.status == ComponentStatus::MajorOutage)
            .count(),
        5
    );
}

#[test]
fn offsets_are_kept() {
    let s = summary(
        "statuspage/twilio-summary-degraded-groups-incidents-scheduled-maintenance-2020-06-16.json",
    );
    let t = s.incidents[0].updated_at.unwrap();
    assert_eq!(t.offset().local_minus_utc(), -7 * 3600);
}

#[test]
fn unknown_values_and_nulls_never_fail() {
    let body = br#"{"page":null,"status":{"indicator":"apocalyptic","description":null},
        "components":[{"id":"a","name":"A","status":"on_fire","extra":{"x":1}},{"name":"no id"},7,null],
        "incidents":[{"id":"i","name":"N","status":"pondering","impact":"vast",
            "incident_updates":null,"components":null}],
        "scheduled_maintenances":"not a list"}"#;
    let parsed = parse::summary(body, "https://status.claude.com").unwrap();
    let s = parsed.value;
    assert_eq!(s.indicator, Indicator::Unknown);
    assert_eq!(s.components.len(), 1);
    assert_eq!(s.components[0].status, ComponentStatus::Unknown);
    assert_eq!(s.incidents[0].status, IncidentStatus::Unknown);
    assert_eq!(s.incidents[0].impact, Impact::Unknown);
    assert_eq!(s.incidents[0].url, "https://status.claude.com/incidents/i");
    assert!(s.maintenances.is_empty());
    assert_eq!(parsed.warnings.len(), 3, "{:?}", parsed.warnings);
}

#[test]
fn documents_that_are_not_statuspage_are_errors() {
    for body in [&b"[]"[..], b"{\"hello\":1}", b"<html>", b"{\"status\":"] {
        assert!(
            parse::summary(body, "").is_err(),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

// ---------------------------------------------------------------- the timeline through the core

const STEPS: [&str; 5] = [
    "timeline/1-operational.summary.json",
    "timeline/2-investigating.summary.json",
    "timeline/3-identified.summary.json",
    "timeline/4-monitoring.summary.json",
    "timeline/5-resolved.summary.json",
];

fn history() -> Vec<ccpulse_core::status::Incident> {
    parse::incidents(&read("timeline/5-resolved.incidents.json"), "")
        .unwrap()
        .value
}

fn titles(alerts: &[Alert]) -> Vec<String> {
    alerts.iter().map(|a| a.title.clone()).collect()
}

/// Feed `steps` (indices into STEPS) as one run of the app; returns the alerts per step.
fn run(steps: &[usize], prev: Option<ServiceStatus>, ledger: &mut AlertLedger) -> Vec<Vec<Alert>> {
    let relevance = Relevance::default();
    let history = history();
    let mut prev = prev;
    let mut out = Vec::new();
    for (n, &i) in steps.iter().enumerate() {
        let next = summary(STEPS[i]);
        let reading = Reading {
            prev: prev.as_ref(),
            next: &next,
            history: if i == 4 { &history } else { &[] },
            startup: n == 0,
        };
        out.push(plan(
            &reading,
            &relevance,
            ledger,
            at("2026-11-24T12:00:00Z"),
        ));
        prev = Some(next);
    }
    out
}

#[test]
fn timeline_notifies_each_step_once() {
    let mut ledger = AlertLedger::new();
    let alerts = run(&[0, 1, 2, 3, 4], None, &mut ledger);
    let expected: [&[&str]; 5] = [
        &[],
        &["Claude incident: Elevated errors on Claude Opus 4.5"],
        &["Update: Elevated errors on Claude Opus 4.5"],
        &["Update: Elevated errors on Claude Opus 4.5"],
        &["Resolved: Elevated errors on Claude Opus 4.5"],
    ];
    for (step, want) in expected.iter().enumerate() {
        assert_eq!(titles(&alerts[step]), *want, "step {}", step + 1);
    }
    assert!(alerts[1][0]
        .body
        .starts_with("Investigating: We are investigating"));
    assert!(alerts[2][0].body.starts_with("Identified: "));
    assert!(alerts[3][0].body.starts_with("Monitoring: "));
    assert_eq!(
        alerts[4][0].body,
        "Resolved: This incident has been resolved."
    );
    assert_eq!(
        alerts[1][0].url.as_deref(),
        Some("https://status.claude.com/incidents/inc7x0opus45")
    );

    // The same incident readings again announce nothing about the incident. (The component's
    // second degradation is a new transition and is announced: see the next test.)
    let again = run(&[0, 1, 2, 3, 4], None, &mut ledger);
    let incident_alerts: Vec<_> = again
        .iter()
        .flatten()
        .filter(|a| a.key.starts_with("incident/"))
        .collect();
    assert!(incident_alerts.is_empty(), "{incident_alerts:?}");
}

#[test]
fn component_transitions_are_announced_each_time() {
    let relevance = Relevance::default();
    let mut ledger = AlertLedger::new();
    let ok = summary(STEPS[0]);
    let mut degraded = ok.clone();
    let code = degraded
        .components
        .iter_mut()
        .find(|c| c.id == "yyzkbfz2thpt")
        .unwrap();
    code.status = ComponentStatus::PartialOutage;
    let now = at("2026-11-24T12:00:00Z");
    let mut step = |prev: &ServiceStatus, next: &ServiceStatus, startup| {
        let reading = Reading {
            prev: Some(prev),
            next,
            history: &[],
            startup,
        };
        titles(&plan(&reading, &relevance, &mut ledger, now))
    };
    assert_eq!(step(&ok, &degraded, false), ["Claude Code: Partial outage"]);
    assert_eq!(
        step(&degraded, &degraded, true),
        Vec::<String>::new(),
        "restart: no repeat"
    );
    assert_eq!(step(&degraded, &ok, false), ["Claude Code: Operational"]);
    assert_eq!(step(&ok, &degraded, false), ["Claude Code: Partial outage"]);
}

#[test]
fn restart_never_repeats_and_misses_nothing() {
    let mut ledger = AlertLedger::new();
    let first = run(&[0, 1, 2], None, &mut ledger);
    assert_eq!(first.iter().map(Vec::len).sum::<usize>(), 2);
    // The app stops; the ledger and the last reading survive on disk as JSON.
    let mut ledger: AlertLedger =
        serde_json::from_str(&serde_json::to_string(&ledger).unwrap()).unwrap();
    let cached = summary(STEPS[2]);
    // Restart while still identified: nothing; then monitoring and resolved as usual.
    let second = run(&[2, 3, 4], Some(cached), &mut ledger);
    assert_eq!(second[0], vec![]);
    assert_eq!(
        titles(&second[1]),
        ["Update: Elevated errors on Claude Opus 4.5"]
    );
    assert_eq!(
        titles(&second[2]),
        ["Resolved: Elevated errors on Claude Opus 4.5"]
    );
}

#[test]
fn start_during_an_incident_sums_up_once() {
    let mut ledger = AlertLedger::new();
    let alerts = run(&[2], None, &mut ledger);
    assert_eq!(
        titles(&alerts[0]),
        ["Claude incident: Elevated errors on Claude Opus 4.5"]
    );
    let mut ledger2 = ledger.clone();
    assert!(
        run(&[2], None, &mut ledger2)[0].is_empty(),
        "a restart repeats nothing"
    );
}

#[test]
fn start_with_several_open_incidents_gives_one_summary() {
    let page = summary(
        "statuspage/twilio-summary-degraded-groups-incidents-scheduled-maintenance-2020-06-16.json",
    );
    let mut ledger = AlertLedger::new();
    let reading = Reading {
        prev: None,
        next: &page,
        history: &[],
        startup: true,
    };
    let now = at("2026-11-24T12:00:00Z");
    let planned = plan(&reading, &Relevance::All, &mut ledger, now);
    assert_eq!(planned.len(), 2, "{planned:?}");
    // Together, through the notification policy: one notification.
    let alerts = Policy::default().step(&mut ledger, planned, now, chrono_tz::UTC);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].title, "Claude status: 2 notices");
    for incident in &page.incidents {
        assert!(
            alerts[0].body.contains(&incident.name),
            "{}",
            alerts[0].body
        );
    }
    // Both incidents and the degraded components are now known: a restart says nothing.
    assert!(plan(&reading, &Relevance::All, &mut ledger, now).is_empty());
}

#[test]
fn irrelevant_incidents_stay_quiet() {
    let mut ledger = AlertLedger::new();
    let relevance = Relevance::Components(vec!["claude.ai".into()]);
    let prev = summary(STEPS[0]);
    let next = summary(STEPS[1]);
    let reading = Reading {
        prev: Some(&prev),
        next: &next,
        history: &[],
        startup: false,
    };
    assert!(plan(
        &reading,
        &relevance,
        &mut ledger,
        at("2026-11-24T12:00:00Z")
    )
    .is_empty());
}

// ---------------------------------------------------------------- HTTP on loopback

const SHORT: Duration = Duration::from_millis(700);

async fn server_with(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/summary.json"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

async fn fetch_err(server: &MockServer) -> FetchError {
    let mut client = StatuspageClient::new(&server.uri(), SHORT);
    match client.summary().await {
        Err(e) => e,
        Ok(s) => panic!("expected an error, got {s:?}"),
    }
}

#[tokio::test]
async fn ok_then_not_modified_with_etag() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/summary.json"))
        .and(header("if-none-match", "W/\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/summary.json"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "W/\"v1\"")
                .set_body_bytes(read(STEPS[1])),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let mut client = StatuspageClient::new(&server.uri(), SHORT);
    match client.summary().await.unwrap() {
        Summary::Fresh(p) => assert_eq!(p.value.incidents.len(), 1),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.summary().await.unwrap(),
        Summary::NotModified
    ));
    let requests = server.received_requests().await.unwrap();
    assert!(requests[0].headers.get("if-none-match").is_none());
    assert_eq!(
        requests[1].headers.get("if-none-match").unwrap(),
        "W/\"v1\""
    );
}

#[tokio::test]
async fn server_errors_name_the_url_and_status() {
    for code in [500u16, 503, 429] {
        let server = server_with(ResponseTemplate::new(code)).await;
        let msg = fetch_err(&server).await.to_string();
        assert_eq!(
            msg,
            format!("GET {}/api/v2/summary.json: HTTP {code}", server.uri())
        );
    }
}

#[tokio::test]
async fn html_instead_of_json() {
    let server = server_with(ResponseTemplate::new(200).set_body_raw(
        "<!DOCTYPE html><html><body>Sign in to Wi-Fi</body></html>",
        "text/html",
    ))
    .await;
    let msg = fetch_err(&server).await.to_string();
    assert!(msg.contains(&server.uri()), "{msg}");
    assert!(msg.contains("an HTML page"), "{msg}");
}

#[tokio::test]
async fn truncated_json() {
    let body = read(STEPS[1]);
    let server =
        server_with(ResponseTemplate::new(200).set_body_bytes(body[..body.len() / 2].to_vec()))
            .await;
    let msg = fetch_err(&server).await.to_string();
    assert!(msg.contains("truncated JSON"), "{msg}");
    assert!(msg.contains("/api/v2/summary.json"), "{msg}");
}

#[tokio::test]
async fn slower_than_the_timeout() {
    let server = server_with(
        ResponseTemplate::new(200)
            .set_body_bytes(read(STEPS[0]))
            .set_delay(SHORT * 4),
    )
    .await;
    let started = Instant::now();
    let err = fetch_err(&server).await;
    assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    assert!(started.elapsed() < SHORT * 3, "gave up in time");
    assert!(err.to_string().contains(&server.uri()));
}

#[tokio::test]
async fn connection_refused() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut client = StatuspageClient::new(&format!("http://127.0.0.1:{port}"), SHORT);
    let msg = client.summary().await.unwrap_err().to_string();
    assert_eq!(
        msg,
        format!("GET http://127.0.0.1:{port}/api/v2/summary.json: could not connect (connection refused)")
    );
}

/// Answers from a script, one response per request (the last repeats), recording when each
/// request arrived.
#[derive(Clone)]
struct Script {
    responses: Arc<Vec<ResponseTemplate>>,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Respond for Script {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut arrivals = self.arrivals.lock().unwrap();
        arrivals.push(Instant::now());
        let i = (arrivals.len() - 1).min(self.responses.len() - 1);
        self.responses[i].clone()
    }
}

async fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn poll_loop_backs_off_keeps_the_last_good_state_and_recovers() {
    let ok = ResponseTemplate::new(200).set_body_bytes(read(STEPS[1]));
    let script = Script {
        // one success, five failures, then success again
        responses: Arc::new(
            std::iter::once(ok.clone())
                .chain(std::iter::repeat_n(ResponseTemplate::new(503), 5))
                .chain(std::iter::once(ok))
                .collect(),
        ),
        arrivals: Arc::default(),
    };
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/summary.json"))
        .respond_with(script.clone())
        .mount(&server)
        .await;

    let state = tempfile::tempdir().unwrap();
    let config = StatusConfig {
        base_url: server.uri(),
        policy: PollPolicy {
            interval: Duration::from_millis(40),
            max_backoff: Duration::from_millis(400),
        },
        relevance: Relevance::default(),
    };
    let dir = StateDir::at(state.path());
    let alerting = Alerting::open(dir.clone(), Policy::default(), chrono_tz::UTC);
    let mut monitor =
        StatusMonitor::open(config, dir, Mode::Notifying(Arc::new(Mutex::new(alerting))));
    // (has a reading, last error, stale) after each poll
    type Seen = Vec<(bool, Option<String>, bool)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let seen2 = seen.clone();
    let task = tokio::spawn(async move {
        monitor::run(&mut monitor, Arc::default(), move |m, _| {
            let s = m.snapshot();
            seen2
                .lock()
                .unwrap()
                .push((s.status.is_some(), s.error.clone(), s.stale()));
        })
        .await;
    });
    wait_until("7 polls", Duration::from_secs(10), || {
        seen.lock().unwrap().len() >= 7
    })
    .await;
    task.abort();

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0], (true, None, false));
    for (has_status, error, stale) in &seen[1..6] {
        assert!(has_status, "the last good reading is kept");
        assert!(stale);
        let error = error.as_deref().unwrap();
        assert!(
            error.contains(&server.uri()) && error.ends_with("HTTP 503"),
            "{error}"
        );
    }
    assert_eq!(seen[6], (true, None, false), "recovers by itself");

    // Gaps after failures 1..5 lie in [ceiling/2, ceiling], ceiling = min(400, 40 * 2^(n-1)) ms.
    let arrivals = script.arrivals.lock().unwrap().clone();
    let gaps: Vec<Duration> = arrivals.windows(2).map(|w| w[1] - w[0]).collect();
    let floors = [20u64, 40, 80, 160, 200];
    for (n, floor) in floors.iter().enumerate() {
        assert!(
            gaps[n + 1] >= Duration::from_millis(*floor),
            "gap after failure {}: {:?} (all: {gaps:?})",
            n + 1,
            gaps[n + 1]
        );
    }
    assert!(gaps[5] > gaps[1] * 2, "backoff grows: {gaps:?}");
    // The reading was cached for the next start.
    assert!(state.path().join(monitor::STATUS_CACHE_FILE).exists());
}

#[test]
fn read_only_state_dir_is_survivable() {
    let dir = tempfile::tempdir().unwrap();
    let blocked = dir.path().join("file-not-dir");
    std::fs::write(&blocked, b"x").unwrap();
    // A path under a regular file can never be created, even as root.
    let mut monitor = StatusMonitor::open(
        StatusConfig {
            base_url: "http://127.0.0.1:9".into(),
            policy: PollPolicy::default(),
            relevance: Relevance::default(),
        },
        StateDir::at(blocked.join("state")),
        Mode::Notifying(Arc::new(Mutex::new(Alerting::open(
            StateDir::at(blocked.join("state")),
            Policy::default(),
            chrono_tz::UTC,
        )))),
    );
    let alerts = monitor.apply(
        Observation::Fresh {
            status: summary(STEPS[2]),
            history: vec![],
        },
        at("2026-11-24T12:00:00Z"),
    );
    assert_eq!(alerts.len(), 1, "alerts still flow");
    assert!(!monitor.snapshot().stale());
}

#[test]
fn corrupt_ledger_is_moved_aside_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(alerting::LEDGER_FILE),
        b"{\"version\":1,\"seen\":{",
    )
    .unwrap();
    let state = StateDir::at(dir.path());
    let err = state
        .load::<AlertLedger>(alerting::LEDGER_FILE)
        .unwrap_err();
    assert!(err.to_string().contains("corrupt"), "{err}");
    assert!(dir.path().join("alerts-ledger.corrupt").exists());
    assert!(state
        .load::<AlertLedger>(alerting::LEDGER_FILE)
        .unwrap()
        .is_none());
}
