//! What to do now: every state the monitor can be in, mapped to the knowledge base entry that
//! explains it and the commands that get the user going again. The panel's "What to do now"
//! card shows this list; the notifications of the same conditions carry the same commands.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::clock::{describe_age, Clock};
use crate::kb::{self, INCIDENT_FIX};
use crate::limits::Limits;
#[cfg(test)]
use crate::limits::WindowId;
use crate::overload::{Overload, State};
use crate::relevance::Relevance;
use crate::service::ServiceSnapshot;

mod limits;

/// Everything the advice is a function of: domain values, never their words.
pub struct Inputs<'a> {
    pub service: &'a ServiceSnapshot,
    /// Which components and incidents the user watches.
    pub relevance: &'a Relevance,
    pub overload: &'a Overload,
    pub limits: &'a Limits,
    /// A window at or above this percent is "near" its limit (the lowest notification
    /// threshold).
    pub near_percent: f64,
    /// The login problem the usage endpoint ran into: a knowledge base id (`oauth-expired`,
    /// `oauth-scope`).
    pub login_problem: Option<&'a str>,
    /// Where an API key that overrides the subscription is set, in words.
    pub key_overrides: &'a [String],
    pub now: DateTime<Utc>,
    /// The user's zone and clock, for reset times.
    pub zone: Tz,
    pub clock: Clock,
}

/// How much it stands in the way: `blocked` (nothing works until it passes), `degraded`
/// (some requests fail, or will soon), `info` (worth knowing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    Blocked,
    Degraded,
    Info,
}

/// One command to type, and what it does here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub command: String,
    pub does: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advice {
    /// Stable per condition: `offline`, `status-page`, `limit-hit:session`, `limit-near:weekly`,
    /// `wave`, `incident:<id>`, `login`, `api-key`.
    pub id: String,
    pub tone: Tone,
    pub title: String,
    /// What it means for the user, in a sentence or two.
    pub detail: String,
    pub steps: Vec<Step>,
    /// The knowledge base entry with the full cause and fix.
    pub entry: &'static str,
    pub entry_title: &'static str,
}

fn step(command: &str, does: &str) -> Step {
    Step {
        command: command.into(),
        does: does.into(),
    }
}

fn advice(
    id: String,
    tone: Tone,
    title: String,
    detail: String,
    steps: Vec<Step>,
    entry: &'static str,
) -> Advice {
    let entry = kb::get(entry).expect("advice names existing entries (tested)");
    Advice {
        id,
        tone,
        title,
        detail,
        steps,
        entry: &entry.id,
        entry_title: &entry.title,
    }
}

/// For an incident: overload words lead to the 529 entry, anything else to the 500 one.
fn incident_entry(name: &str) -> &'static str {
    let lower = name.to_lowercase();
    if ["overload", "capacity", "529"]
        .iter()
        .any(|w| lower.contains(w))
    {
        "overloaded"
    } else {
        "server-error"
    }
}

/// What to do now, the most pressing first; empty when there is nothing to do.
pub fn advise(i: &Inputs) -> Vec<Advice> {
    let mut out = Vec::new();
    let s = i.service;
    let age = s
        .age_secs(i.now)
        .map(|a| format!(" Showing what was known {}.", describe_age(a)))
        .unwrap_or_default();
    if let Some(error) = s.error.as_deref() {
        if s.offline {
            out.push(advice(
                "offline".into(),
                Tone::Blocked,
                "No connection".into(),
                format!(
                    "Nothing answers from this machine, so Claude Code cannot reach Anthropic \
                     either until the connection is back.{age}"
                ),
                vec![step(
                    "ccpulse doctor",
                    "checks name resolution, proxies, certificates and keys on this machine",
                )],
                "unable-to-connect",
            ));
        } else {
            out.push(advice(
                "status-page".into(),
                Tone::Info,
                "The status page is not answering".into(),
                format!(
                    "{error}. That says nothing about Claude itself, and ccpulse keeps trying.{age}"
                ),
                vec![
                    step(
                        "/status",
                        "in Claude Code: the account and connection it uses",
                    ),
                    step(
                        "ccpulse doctor",
                        "checks this machine's connection to Anthropic",
                    ),
                ],
                "unable-to-connect",
            ));
        }
    }

    out.extend(limits::cards(i));

    let o = i.overload;
    if o.state != State::Calm {
        let errors: usize = o
            .models
            .iter()
            .map(|m| m.retries_15m + m.failures_15m)
            .sum();
        let title = match (&o.incident, o.state) {
            (Some(inc), State::StatusOnly) => format!("Overload reported: {}", inc.name),
            _ => format!("Claude is overloaded: {errors} errors in 15 min"),
        };
        out.push(advice(
            "wave".into(),
            Tone::Degraded,
            title,
            "Not your quota: overloaded requests do not count against your plan, and Claude Code \
             retries them. Capacity is per model."
                .into(),
            vec![
                step("/model", "another model may have capacity now"),
                step("/status", "in Claude Code: what it is connected to"),
            ],
            "overloaded",
        ));
    }

    let covered = o
        .incident
        .as_ref()
        .filter(|_| o.state != State::Calm)
        .map(|inc| inc.id.as_str());
    let open = s.status.iter().flat_map(|page| {
        page.incidents
            .iter()
            .filter(move |inc| !inc.status.is_closed() && i.relevance.incident(inc, page))
    });
    for inc in open.filter(|inc| Some(inc.id.as_str()) != covered) {
        out.push(advice(
            format!("incident:{}", inc.id),
            Tone::Degraded,
            inc.name.clone(),
            format!("Open incident ({}). {INCIDENT_FIX}", inc.status.as_str()),
            vec![step("/model", "if one model is affected, another may work")],
            incident_entry(&inc.name),
        ));
    }

    if let Some(problem) = i.login_problem {
        let (entry, title, detail, steps) = if problem == "oauth-scope" {
            (
                "oauth-scope",
                "The Claude Code login cannot read usage",
                "It lacks the user:profile scope (a setup-token login): plan limits come only from \
                 the status line until you sign in with your account.",
                vec![step("/login", "sign in with your Claude account")],
            )
        } else {
            (
                "oauth-expired",
                "The Claude Code login has expired",
                "Plan limits from the usage endpoint stop until it is renewed; Claude Code renews \
                 it itself the next time it runs.",
                vec![
                    step("claude", "start Claude Code: it renews its login"),
                    step("/login", "sign in again if that does not help"),
                ],
            )
        };
        out.push(advice(
            "login".into(),
            Tone::Info,
            title.into(),
            detail.into(),
            steps,
            entry,
        ));
    }

    if !i.key_overrides.is_empty() {
        out.push(advice(
            "api-key".into(),
            Tone::Degraded,
            "An API key overrides your subscription".into(),
            format!(
                "Set as {}. Claude Code uses it instead of your plan once approved, and bills it.",
                i.key_overrides.join("; ")
            ),
            vec![
                step(
                    "unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN",
                    "for this shell; remove it where it is set",
                ),
                step("/status", "in Claude Code: which login it uses"),
            ],
            "api-key-overrides-subscription",
        ));
    }

    out.sort_by_key(|a| a.tone);
    out
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};

    use super::*;
    use crate::limits::{ModelWindow, PaceBasis, Projection, Source, SpendWindow, Window};
    use crate::overload::{IncidentRef, ModelErrors};
    use crate::test_support::sample_status;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T18:20:00Z")
            .unwrap()
            .to_utc()
    }

    fn calm_service() -> ServiceSnapshot {
        let mut status = sample_status();
        status.incidents.clear();
        ServiceSnapshot {
            status: Some(status),
            fetched_at: Some(now() - Duration::seconds(30)),
            error: None,
            offline: false,
        }
    }

    fn window(used: f64) -> Window {
        Window {
            used_percent: used,
            resets_at: Some(now() + Duration::minutes(80)),
            source: Source::Statusline,
            as_of: now(),
        }
    }

    /// The windows, each reset in 80 minutes (7:40pm UTC), the session filling in 45.
    fn limits(windows: &[(WindowId, f64)]) -> Limits {
        let mut l = Limits {
            projection: Some(Projection {
                full_at: Some(now() + Duration::minutes(45)),
                percent_per_hour: 20.0,
                basis: PaceBasis::LocalSpend,
            }),
            ..Limits::default()
        };
        for (id, used) in windows {
            match id {
                WindowId::Session => l.session = Some(window(*used)),
                WindowId::Weekly => l.weekly = Some(window(*used)),
                WindowId::Model(m) => l.models.push(ModelWindow {
                    model: m.clone(),
                    window: window(*used),
                }),
                WindowId::Spend(period) => {
                    l.spend = Some(SpendWindow {
                        window: window(*used),
                        used_usd: None,
                        limit_usd: None,
                        period: period.clone(),
                    })
                }
                WindowId::Credits => l.credits = Some(window(*used)),
            }
        }
        l
    }

    fn run(
        service: &ServiceSnapshot,
        overload: &Overload,
        windows: &[(WindowId, f64)],
        login: Option<&str>,
        keys: &[String],
    ) -> Vec<Advice> {
        advise(&Inputs {
            service,
            relevance: &Relevance::default(),
            overload,
            limits: &limits(windows),
            near_percent: 80.0,
            login_problem: login,
            key_overrides: keys,
            now: now(),
            zone: chrono_tz::UTC,
            clock: Clock::H12,
        })
    }

    fn ids(a: &[Advice]) -> Vec<(&str, &str)> {
        a.iter().map(|a| (a.id.as_str(), a.entry)).collect()
    }

    fn model(m: &str) -> WindowId {
        WindowId::Model(m.into())
    }

    #[test]
    fn nothing_to_do_when_all_is_well() {
        let windows = [(WindowId::Session, 42.0), (WindowId::Weekly, 79.9)];
        assert!(run(&calm_service(), &Overload::default(), &windows, None, &[]).is_empty());
    }

    #[test]
    fn no_connection_and_a_failing_status_page_are_told_apart() {
        let mut s = calm_service();
        s.failed(
            "GET https://status.claude.com/api/v2/summary.json: could not connect (dns error)"
                .into(),
            true,
        );
        s.fetched_at = Some(now() - Duration::seconds(600));
        let a = run(&s, &Overload::default(), &[], None, &[]);
        assert_eq!(ids(&a), [("offline", "unable-to-connect")]);
        assert_eq!(a[0].tone, Tone::Blocked);
        assert!(a[0].detail.contains("10 min ago"), "{}", a[0].detail);
        assert_eq!(a[0].steps[0].command, "ccpulse doctor");

        s.failed(
            "GET https://status.claude.com/api/v2/summary.json: HTTP 503".into(),
            false,
        );
        let a = run(&s, &Overload::default(), &[], None, &[]);
        assert_eq!(ids(&a), [("status-page", "unable-to-connect")]);
        assert_eq!(a[0].tone, Tone::Info);
        assert!(a[0]
            .detail
            .starts_with("GET https://status.claude.com/api/v2/summary.json: HTTP 503."));
    }

    #[test]
    fn a_spend_limit_reached_points_to_usage_credits_and_a_named_cap_to_model() {
        let monthly = WindowId::Spend(Some("monthly".into()));
        let windows = [
            (monthly, 100.0),
            (model("Fable"), 100.0),
            (WindowId::Credits, 90.0),
        ];
        let a = run(&calm_service(), &Overload::default(), &windows, None, &[]);
        assert_eq!(
            ids(&a),
            [
                ("limit-hit:spend:monthly", "spend-limit"),
                ("limit-hit:model:Fable", "model-limit"),
                ("limit-near:credits", "out-of-usage-credits"),
            ]
        );
        assert_eq!(a[0].tone, Tone::Blocked);
        assert_eq!(a[0].steps[0].command, "/usage-credits");
        assert!(a[0].steps[0].does.contains("wait for the reset"));
        assert_eq!(a[1].steps[0].command, "/model");
        assert!(
            a[1].detail.starts_with("Fable is capped"),
            "{}",
            a[1].detail
        );
        let a = run(
            &calm_service(),
            &Overload::default(),
            &[(WindowId::Credits, 100.0)],
            None,
            &[],
        );
        assert_eq!(
            (a[0].id.as_str(), a[0].steps[0].command.as_str()),
            ("limit-hit:credits", "/usage-credits")
        );
    }

    #[test]
    fn limits_near_and_hit_lead_to_their_entries() {
        let windows = [
            (WindowId::Session, 100.0),
            (WindowId::Weekly, 85.0),
            (model("Opus"), 100.0),
            (model("Sonnet"), 30.0),
        ];
        let a = run(&calm_service(), &Overload::default(), &windows, None, &[]);
        assert_eq!(
            ids(&a),
            [
                ("limit-hit:session", "session-limit"),
                ("limit-hit:model:Opus", "model-limit"),
                ("limit-near:weekly", "weekly-limit"),
            ]
        );
        assert_eq!(
            a[0].title,
            "Session (5h) limit reached: resets 7:40pm (in 1h 20m)"
        );
        assert_eq!(a[0].steps[0].command, "/usage-credits");
        assert_eq!(a[1].tone, Tone::Degraded);
        assert_eq!(a[1].steps[0].command, "/model");
        assert!(a[1].detail.contains("Opus"), "{}", a[1].detail);
        assert_eq!(a[2].title, "Weekly at 85%: resets 7:40pm (in 1h 20m)");
        assert_eq!(a[2].detail, "15% left.");

        let a = run(
            &calm_service(),
            &Overload::default(),
            &[(WindowId::Session, 90.0)],
            None,
            &[],
        );
        assert_eq!(
            a[0].detail,
            "10% left. At this pace the session fills at 7:05pm (45m)."
        );
    }

    #[test]
    fn a_wave_takes_its_incident_along_and_other_incidents_stay() {
        let mut status = sample_status();
        let mut second = status.incidents[0].clone();
        second.id = "inc2".into();
        second.name = "Claude Opus is over capacity".into();
        status.incidents.push(second);
        let service = ServiceSnapshot {
            status: Some(status),
            fetched_at: Some(now()),
            error: None,
            offline: false,
        };
        let a = run(&service, &Overload::default(), &[], None, &[]);
        assert_eq!(
            ids(&a),
            [
                ("incident:inc1", "server-error"),
                ("incident:inc2", "overloaded")
            ]
        );
        assert!(a[0].detail.contains("do not count against your plan"));
        assert!(a[0].detail.starts_with("Open incident (identified)."));

        let wave = Overload {
            state: State::ConfirmedWave,
            models: vec![ModelErrors {
                model: "claude-opus-4-5".into(),
                retries_15m: 12,
                failures_15m: 2,
            }],
            incident: Some(IncidentRef {
                id: "inc2".into(),
                name: "Claude Opus is over capacity".into(),
                url: String::new(),
            }),
            ..Overload::default()
        };
        let a = run(&service, &wave, &[], None, &[]);
        assert_eq!(
            ids(&a),
            [("wave", "overloaded"), ("incident:inc1", "server-error")]
        );
        assert_eq!(a[0].title, "Claude is overloaded: 14 errors in 15 min");
        assert_eq!(a[0].steps[0].command, "/model");
    }

    #[test]
    fn login_problems_and_a_key_that_overrides_the_plan() {
        let keys = vec!["ANTHROPIC_API_KEY in the environment".to_string()];
        let a = run(
            &calm_service(),
            &Overload::default(),
            &[],
            Some("oauth-scope"),
            &keys,
        );
        assert_eq!(
            ids(&a),
            [
                ("api-key", "api-key-overrides-subscription"),
                ("login", "oauth-scope")
            ]
        );
        assert!(a[0].detail.contains("ANTHROPIC_API_KEY in the environment"));
        assert_eq!(a[1].steps[0].command, "/login");
        let a = run(
            &calm_service(),
            &Overload::default(),
            &[],
            Some("oauth-expired"),
            &[],
        );
        assert_eq!(ids(&a), [("login", "oauth-expired")]);
        assert_eq!(a[0].steps[0].command, "claude");
    }

    #[test]
    fn every_step_is_a_command_the_reference_or_ccpulse_knows() {
        let known: Vec<&str> = kb::entries()
            .iter()
            .flat_map(|e| e.commands.iter().map(String::as_str))
            .collect();
        let mut s = calm_service();
        s.failed("x".into(), false);
        let windows = [(WindowId::Session, 100.0), (WindowId::Weekly, 90.0)];
        let wave = Overload {
            state: State::LocalWave,
            ..Overload::default()
        };
        let keys = vec!["k".to_string()];
        for a in run(&s, &wave, &windows, Some("oauth-expired"), &keys) {
            for st in &a.steps {
                let base = st.command.split(' ').next().unwrap();
                assert!(
                    known.iter().any(|k| k.split(' ').next() == Some(base))
                        || ["ccpulse", "claude", "unset"].contains(&base),
                    "{}: {} is not in the reference",
                    a.id,
                    st.command
                );
            }
        }
    }
}
