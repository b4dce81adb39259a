//! Transcripts written by the real Claude Code 2.1.328 (`tests/fixtures/claude-code/`) and 2.1.332
//! (`tests/fixtures/claude-code-2.1.332/`): every retry, interactive retry, final error and limit
//! hit they contain, and nothing else; newer line types and keys (2.1.332's `api-request.thread`
//! and `echoWireToolInputs`, the user lines' `rowSource` and `sentAtMs`) are skipped without
//! being counted as bad.

use std::io::BufReader;
use std::path::PathBuf;

use ccpulse_core::signals::{ErrorOrigin, LimitKind};
use ccpulse_sources::usage_log::line::{parse, Record};
use ccpulse_sources::usage_log::paths::{roots, transcripts, Found, Transcript};
use ccpulse_sources::usage_log::signals::scan;

/// The fixtures of each version of the real client.
const V328: &str = "claude-code";
const V332: &str = "claude-code-2.1.332";

fn folder(version: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(version)
        .join(name)
}

fn files(name: &str) -> Vec<Transcript> {
    files_of(V328, name)
}

fn files_of(version: &str, name: &str) -> Vec<Transcript> {
    transcripts(&[folder(version, name)])
        .into_iter()
        .map(|f| match f {
            Found::File(t) => t,
            Found::Unreadable { path, error } => panic!("{}: {error}", path.display()),
        })
        .collect()
}

use ErrorOrigin::{Final, InteractiveRetry as IR, Retry};

/// (origin, status, model, kind) of one API error.
type Seen = (ErrorOrigin, Option<u16>, Option<String>, Option<String>);

struct Case {
    folder: &'static str,
    /// Assistant lines with usage that are not errors.
    responses: usize,
    errors: Vec<Seen>,
    /// (kind, reset time)
    hits: Vec<(LimitKind, Option<&'static str>)>,
}

/// An error on claude-sonnet-4-5, the model every fixture used.
fn e(origin: ErrorOrigin, status: Option<u16>, kind: Option<&str>) -> Seen {
    (
        origin,
        status,
        Some("claude-sonnet-4-5".into()),
        kind.map(String::from),
    )
}

fn retries(status: u16, kind: &str) -> Vec<Seen> {
    let mut v = vec![e(Retry, Some(status), None); 3];
    v.push(e(Final, Some(status), Some(kind)));
    v
}

/// What each folder of both versions holds. 2.1.332 ran the same scenarios and a few more.
fn cases(version: &str) -> Vec<Case> {
    let ir = || e(IR, None, None);
    let ok = |folder| Case {
        folder,
        responses: 1,
        errors: vec![],
        hits: vec![],
    };
    let mut cases = vec![
        ok("p-ok"),
        ok("i-oauth-baseurl"),
        Case {
            folder: "p-overloaded",
            responses: 0,
            errors: retries(529, "server_error"),
            hits: vec![],
        },
        Case {
            folder: "p-500",
            responses: 0,
            errors: retries(500, "server_error"),
            hits: vec![],
        },
        Case {
            folder: "p-ratelimited",
            responses: 0,
            errors: retries(429, "rate_limit"),
            hits: vec![],
        },
        Case {
            folder: "pd-oauth-ratelimited",
            responses: 0,
            errors: vec![e(Final, Some(429), Some("rate_limit"))],
            hits: vec![(
                LimitKind::Session,
                Some(if version == V328 {
                    "2026-11-25T01:31:33Z"
                } else {
                    "2026-12-02T06:40:43Z"
                }),
            )],
        },
        Case {
            // ok; all-529; flaky then ok; all-500; all-429 (3 retries each)
            folder: "i-apikey",
            responses: 2,
            errors: [
                vec![ir(), ir(), ir(), e(Final, Some(529), Some("server_error"))],
                vec![ir(), ir()],
                vec![ir(), ir(), ir(), e(Final, Some(500), Some("server_error"))],
                vec![ir(), ir(), ir(), e(Final, Some(429), Some("rate_limit"))],
            ]
            .concat(),
            hits: vec![],
        },
    ];
    if version == V332 {
        cases.extend([
            ok("pd-oauth-ok"),
            ok("i-gatewayjwt"),
            ok("i-authtoken-plain"),
            Case {
                folder: "p-flaky",
                responses: 1,
                errors: vec![e(Retry, Some(529), None); 2],
                hits: vec![],
            },
            Case {
                folder: "p-overloaded-streamjson",
                responses: 0,
                errors: retries(529, "server_error"),
                hits: vec![],
            },
            Case {
                folder: "p-ratelimited-retry-after",
                responses: 0,
                errors: retries(429, "rate_limit"),
                hits: vec![],
            },
        ]);
    }
    cases
}

#[test]
fn every_folder_yields_exactly_its_signals() {
    let mut seen = 0;
    for version in [V328, V332] {
        let cases = cases(version);
        // every folder with transcripts is a case
        let folders = std::fs::read_dir(folder(version, ""))
            .unwrap()
            .flatten()
            .filter(|d| d.path().join("projects").is_dir())
            .count();
        assert_eq!(cases.len(), folders, "{version}: a case per folder");
        for case in cases {
            check(version, case);
            seen += 1;
        }
    }
    assert_eq!(seen, 7 + 13);
}

fn check(version: &str, case: Case) {
    {
        let name = &format!("{version}/{}", case.folder);
        let paths = files_of(version, case.folder);
        assert_eq!(paths.len(), 1, "{name}");
        let text = std::fs::read(&paths[0].path).unwrap();
        let records: Vec<Record> = text
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| parse(l).unwrap_or_else(|e| panic!("{name}: {e:?}")))
            .collect();
        let real = records
            .iter()
            .filter(|r| matches!(r, Record::Assistant(a) if a.error.is_none() && a.usage.is_some()))
            .count();
        assert_eq!(real, case.responses, "{name}: real responses");

        let s = scan(BufReader::new(&text[..]), chrono_tz::UTC);
        assert_eq!(s.bad_lines, 0, "{name}: newer line types are not errors");
        let got: Vec<Seen> = s
            .api_errors
            .iter()
            .map(|e| (e.origin, e.status, e.model.clone(), e.kind.clone()))
            .collect();
        assert_eq!(got, case.errors, "{name}: API errors");
        let got_hits: Vec<(LimitKind, Option<String>)> = s
            .limit_hits
            .iter()
            .map(|h| {
                let reset = h
                    .resets_at
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
                (h.kind.clone(), reset)
            })
            .collect();
        let want_hits: Vec<(LimitKind, Option<String>)> = case
            .hits
            .into_iter()
            .map(|(k, r)| (k, r.map(String::from)))
            .collect();
        assert_eq!(got_hits, want_hits, "{name}: limit hits");
    }
}

#[test]
fn usage_of_a_real_response() {
    let text = std::fs::read(&files("p-ok")[0].path).unwrap();
    let a = text
        .split(|b| *b == b'\n')
        .filter_map(|l| match parse(l) {
            Ok(Record::Assistant(a)) => Some(a),
            _ => None,
        })
        .next()
        .unwrap();
    assert_eq!(a.model.as_deref(), Some("claude-sonnet-4-5"));
    assert_eq!(
        a.message_id.as_deref(),
        Some("msg_01d9c4b9013ec540b09152d434")
    );
    assert_eq!(
        a.request_id.as_deref(),
        Some("req_08429371cddf4dd1ba2b1415")
    );
    let u = a.usage.unwrap();
    assert_eq!(
        (
            u.input_tokens,
            u.output_tokens,
            u.cache_creation_input_tokens,
            u.cache_read_input_tokens
        ),
        (12, 6, 21990, 0)
    );
}

#[test]
fn bad_lines_are_counted_not_fatal() {
    let good = std::fs::read(&files("pd-oauth-ratelimited")[0].path).unwrap();
    // Lines naming no request and no error are skipped unread, broken or not; the others are
    // counted when they cannot be read.
    let mut text = concat!(
        "not json\n[1,2]\n",
        "{\"type\":\"system\",\"subtype\":\"api_error\",\"timestamp\":7}\n",
        "{\"type\":\"assistant\",\"isApiErrorMessage\":true,\"timestamp\":\"yesterday\"}\n",
        "{\"type\":\"api-request\",\"timestamp\n",
    )
    .as_bytes()
    .to_vec();
    text.extend_from_slice(b"\xff\xfe \"api_error\" garbage\n");
    text.extend_from_slice(&good);
    text.extend_from_slice(
        b"{\"type\":\"assistant\",\"message\":{\"usage\":{\"input_tokens\":-1}}",
    );
    let s = scan(BufReader::new(&text[..]), chrono_tz::UTC);
    assert_eq!(s.bad_lines, 4);
    assert_eq!(s.limit_hits.len(), 1, "the good lines still count");
}

#[test]
fn roots_follow_claude_config_dir_else_both_defaults() {
    let home = PathBuf::from("/home/u");
    assert_eq!(
        roots(Some("/a, /b,,"), Some(&home), None),
        [PathBuf::from("/a"), PathBuf::from("/b")]
    );
    assert_eq!(
        roots(None, Some(&home), None),
        [home.join(".config/claude"), home.join(".claude")]
    );
    assert_eq!(
        roots(Some(""), Some(&home), Some(&PathBuf::from("/x"))),
        [PathBuf::from("/x/claude"), home.join(".claude")]
    );
}

#[test]
fn discovery_finds_subagents_and_skips_missing_roots() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("projects/-home-u-proj");
    std::fs::create_dir_all(p.join("sess1/subagents")).unwrap();
    std::fs::write(p.join("sess1.jsonl"), b"").unwrap();
    std::fs::write(p.join("sess1/subagents/agent-1.jsonl"), b"").unwrap();
    std::fs::write(p.join("notes.txt"), b"").unwrap();
    let found = transcripts(&[
        dir.path().to_path_buf(),
        dir.path().join("missing"),
        dir.path().to_path_buf(),
    ]);
    let names: Vec<String> = found
        .iter()
        .map(|f| match f {
            Found::File(t) => t
                .path
                .strip_prefix(dir.path())
                .unwrap()
                .iter()
                .map(|part| part.to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        names,
        // each file once although the root was given twice
        [
            "projects/-home-u-proj/sess1.jsonl",
            "projects/-home-u-proj/sess1/subagents/agent-1.jsonl",
        ]
    );
}

/// The active block of the real `i-apikey` session, as ccusage 20 printed it at 2026-11-25T00:46Z
/// (docs/ccusage-reference.md §8.1): burn rate, projection, and the token-limit status.
#[test]
fn active_block_burn_rate_and_projection() {
    use ccpulse_core::usage::{blocks, BlockOptions, Path, Range};
    use ccpulse_sources::usage_log::index::Engine;

    let mut engine = Engine::new(Path::Entries);
    engine.refresh(&files("i-apikey"), &mut |_| {});
    let entries = engine.entries();
    let models = engine.models();
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T00:46:00Z")
        .unwrap()
        .to_utc();
    let limited = BlockOptions {
        token_limit: Some(Some(40_000_000)),
        ..BlockOptions::default()
    };
    let r = blocks(
        entries.iter(),
        models,
        chrono_tz::UTC,
        Range::default(),
        limited,
        now,
    );
    let got = serde_json::to_value(&r).unwrap();
    let want = serde_json::json!({"blocks": [{
        "actualEndTime": "2026-11-24T23:31:47.688Z",
        "burnRate": {"costPerHour": 58.18817912108288, "tokensPerMinute": 258440.57111069906,
                     "tokensPerMinuteForIndicator": 200.25959577229744},
        "costUSD": 0.17433825,
        "endTime": "2026-11-25T04:00:00.000Z",
        "entries": 2,
        "id": "2026-11-24T23:00:00.000Z",
        "isActive": true,
        "isGap": false,
        "models": ["claude-sonnet-4-5"],
        "projection": {"remainingMinutes": 194, "totalCost": 188.32, "totalTokens": 50183930},
        "startTime": "2026-11-24T23:00:00.000Z",
        "tokenCounts": {"cacheCreationInputTokens": 46423, "cacheReadInputTokens": 0,
                        "inputTokens": 24, "outputTokens": 12},
        "tokenLimitStatus": {"limit": 40000000, "percentUsed": 125.459825, "projectedUsage": 50183930,
                             "status": "exceeds"},
        "totalTokens": 46459
    }]});
    assert_eq!(got, want);

    // Five hours after the last entry the block is over: no burn rate, no projection.
    let later = now + chrono::Duration::hours(5);
    let r = blocks(
        entries.iter(),
        models,
        chrono_tz::UTC,
        Range::default(),
        BlockOptions::default(),
        later,
    );
    let b = &r.blocks[0];
    assert!(!b.is_active && b.burn_rate.is_none() && b.projection.is_none());
    let active = BlockOptions {
        active_only: true,
        ..BlockOptions::default()
    };
    assert!(blocks(
        entries.iter(),
        models,
        chrono_tz::UTC,
        Range::default(),
        active,
        later
    )
    .blocks
    .is_empty());
}

/// The recent-signals tracker reads a growing file in pieces (a partial last line waits for its
/// newline) and ends with what one read of the whole file finds; a rewritten file is read again
/// without counting twice; a file older than the horizon is not read.
#[test]
fn recent_signals_follow_a_growing_file() {
    use ccpulse_sources::usage_log::signals::{Recent, HORIZON};
    let mut text = std::fs::read(&files("p-overloaded")[0].path).unwrap();
    text.extend_from_slice(&std::fs::read(&files("pd-oauth-ratelimited")[0].path).unwrap());
    let whole = scan(BufReader::new(&text[..]), chrono_tz::UTC);
    assert!(!whole.api_errors.is_empty() && !whole.limit_hits.is_empty());
    let latest = whole.api_errors.iter().map(|e| e.at).max().unwrap();
    let now = latest + chrono::Duration::hours(1);

    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("projects/-work-demo");
    std::fs::create_dir_all(&project).unwrap();
    let path = project.join("s.jsonl");
    let listing = || -> Vec<Transcript> {
        transcripts(&[dir.path().to_path_buf()])
            .into_iter()
            .filter_map(|f| match f {
                Found::File(t) => Some(t),
                Found::Unreadable { .. } => None,
            })
            .collect()
    };
    let sorted = |r: &Recent| {
        let mut errors: Vec<_> = r.api_errors().cloned().collect();
        errors.sort_by_key(|e| e.at);
        let mut hits: Vec<_> = r.limit_hits().cloned().collect();
        hits.sort_by_key(|h| h.at);
        (errors, hits)
    };
    let mut want_errors = whole.api_errors.clone();
    want_errors.sort_by_key(|e| e.at);
    let mut want_hits = whole.limit_hits.clone();
    want_hits.sort_by_key(|h| h.at);

    let mut recent = Recent::default();
    // Write it in seven pieces, cutting lines in the middle.
    let mut file = std::fs::File::create(&path).unwrap();
    let step = text.len() / 7 + 1;
    for piece in text.chunks(step) {
        use std::io::Write;
        file.write_all(piece).unwrap();
        file.flush().unwrap();
        recent.refresh(&listing(), now, chrono_tz::UTC);
    }
    assert_eq!(sorted(&recent), (want_errors.clone(), want_hits.clone()));

    // Rewritten shorter, then back: nothing counted twice.
    std::fs::write(&path, &text[..step]).unwrap();
    recent.refresh(&listing(), now, chrono_tz::UTC);
    std::fs::write(&path, &text).unwrap();
    recent.refresh(&listing(), now, chrono_tz::UTC);
    assert_eq!(sorted(&recent), (want_errors.clone(), want_hits.clone()));

    // Kept in the state dir, the next run goes on from there: nothing to read, the same signals.
    let state = ccpulse_sources::state_dir::StateDir::at(dir.path().join("state"));
    recent.save(&state).unwrap();
    let mut again = Recent::load(&state);
    assert!(
        !again.refresh(&listing(), now, chrono_tz::UTC),
        "nothing new to read"
    );
    assert_eq!(sorted(&again), (want_errors, want_hits));

    // A week and more later, the signals are gone, and so is the old file.
    recent.refresh(
        &listing(),
        now + HORIZON + chrono::Duration::hours(2),
        chrono_tz::UTC,
    );
    assert_eq!(recent.api_errors().count() + recent.limit_hits().count(), 0);
}

/// The wave detection fed from the real client's signals, both versions: the interactive
/// session's retries and its 529 and 500 failures make a local wave, the retries before its
/// 429 do not count, and the `-p` runs' 429 retries are no overload at all.
#[test]
fn waves_from_the_real_clients_signals() {
    use ccpulse_core::overload::{assess, events, State, Strike, WaveRules};
    for version in [V328, V332] {
        let signals = |name: &str| {
            let text = std::fs::read(&files_of(version, name)[0].path).unwrap();
            scan(BufReader::new(&text[..]), chrono_tz::UTC).api_errors
        };
        let interactive = events(&signals("i-apikey"));
        let strikes: Vec<Strike> = interactive.iter().map(|e| e.strike).collect();
        use Strike::{Failure as F, Retry as R};
        assert_eq!(
            strikes,
            [R, R, R, F, R, R, R, R, R, F],
            "{version}: 529 and 500 chains, not the 429 one"
        );
        let last = interactive.iter().map(|e| e.at).max().unwrap();
        let now = last + chrono::Duration::minutes(1);
        let o = assess(&interactive, None, &WaveRules::default(), now);
        assert_eq!(o.state, State::LocalWave, "{version}");
        assert!(o.since.is_some_and(|s| s <= last), "{version}");
        let later = assess(
            &interactive,
            None,
            &WaveRules::default(),
            last + chrono::Duration::hours(2),
        );
        assert_eq!(later.state, State::Calm, "{version}: the wave ends");

        assert!(events(&signals("p-ratelimited")).is_empty(), "{version}");
        let overloaded: Vec<Strike> = events(&signals("p-overloaded"))
            .iter()
            .map(|e| e.strike)
            .collect();
        assert_eq!(overloaded, [R, R, R, F], "{version}");
    }
}
