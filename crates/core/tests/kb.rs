//! The error knowledge base (`kb/errors.json`) against its sources: the Claude Code Error
//! Reference (`tests/fixtures/error-reference/`), the message texts of DATA-SOURCES §5 and the
//! final error texts the real Claude Code wrote into the transcripts of
//! `tests/fixtures/claude-code/`. `cargo test -p ccpulse-core --test kb -- --nocapture` prints
//! every text checked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ccpulse_core::kb::{self, How};
use serde_json::Value;

const KB_JSON: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/kb/errors.json"));
const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/error-reference/claude-code-error-reference.txt"
);
const CLAUDE_CODE_FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/claude-code"
);

/// Every error heading of the reference, in its order, copied from the file. The auth errors
/// are rows of a table there (`Not logged in |`), and auth precedence is a run-in label
/// (`Auth precedence: ANTHROPIC_API_KEY env var overrides ...`).
const REFERENCE_HEADINGS: &[&str] = &[
    "500 Internal Server Error",
    "529 Overloaded",
    "Request Timed Out",
    "Auto Mode Safety Classifier Unavailable",
    "Session / Weekly / Model Limit",
    "429 Rate Limit",
    "Credit Balance Too Low",
    "Not logged in",
    "Invalid API key",
    "Organization has been disabled",
    "OAuth token revoked/expired",
    "OAuth scope: user:profile",
    "Auth precedence",
    "Unable to Connect",
    "SSL Certificate Errors",
    "Context Window Full",
    "Compaction Failed",
    "Request Too Large (30 MB HTTP limit)",
    "Image Too Large",
    "PDF Errors",
    "Extra Inputs Not Permitted (400)",
    "Model Not Found / No Access",
    "Opus Not Available on Pro Plan",
    "thinking.type.enabled Not Supported",
    "Thinking Budget Exceeds Output Limit",
    "Tool Use / Thinking Block Mismatch (400)",
    "Response Quality Seems Off (No Error)",
];

/// The ids other parts of ccpulse (and users' scripts: `ccpulse fix ID`) rely on.
const REQUIRED_IDS: &[&str] = &[
    "server-error",
    "overloaded",
    "timeout",
    "classifier-unavailable",
    "session-limit",
    "weekly-limit",
    "model-limit",
    "rate-limited",
    "credit-balance",
    "not-logged-in",
    "invalid-api-key",
    "org-disabled",
    "oauth-expired",
    "oauth-scope",
    "api-key-overrides-subscription",
    "unable-to-connect",
    "ssl-certificate",
    "prompt-too-long",
    "compaction-failed",
    "request-too-large",
    "image-too-large",
    "pdf-error",
    "extra-inputs",
    "model-not-found",
    "opus-not-on-pro",
    "thinking-not-supported",
    "thinking-budget",
    "tool-use-mismatch",
    "quality-off",
];

const GROUPS: &[&str] = &["server", "limits", "auth", "network", "request", "quality"];

/// A fixture file's text.
#[allow(
    clippy::disallowed_methods,
    reason = "the test reads its fixtures; the core itself still does no IO"
)]
fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn reference() -> String {
    read(Path::new(REFERENCE))
}

/// Whether `line` of the reference is the heading `h`: the line itself, a table row's first
/// cell (`Not logged in |`) or a run-in label (`Auth precedence: ...`).
fn is_heading_line(line: &str, h: &str) -> bool {
    let line = line.trim();
    line == h
        || line.strip_suffix('|').map(str::trim_end) == Some(h)
        || line
            .strip_prefix(h)
            .is_some_and(|rest| rest.starts_with(": "))
}

fn heading_index(lines: &[&str], h: &str) -> Option<usize> {
    lines.iter().position(|l| is_heading_line(l, h))
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// `find(text)`'s best entry and how it was found, or `None`.
fn best(text: &str) -> Option<(&'static str, How)> {
    kb::find(text)
        .into_iter()
        .next()
        .map(|m| (m.entry.id.as_str(), m.how))
}

/// Asserts that `text` finds `id` first by one of its patterns.
fn assert_pattern(text: &str, id: &str) {
    match best(text) {
        Some((got, How::Pattern { pattern })) => {
            assert_eq!(
                got, id,
                "{text:?} found {got} by {pattern:?}, expected {id}"
            );
            println!("  {id:<32} by {pattern:<45} <- {}", one_line(text));
        }
        Some((got, how)) => panic!("{text:?} found {got} by {how:?}, expected {id} by a pattern"),
        None => panic!("{text:?} found nothing, expected {id}"),
    }
}

fn one_line(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 110 {
        format!("{}...", flat.chars().take(110).collect::<String>())
    } else {
        flat
    }
}

// ---------------------------------------------------------------------------------------------
// a. The data is well formed.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_json_is_valid_and_every_entry_well_formed() {
    let raw: Value = serde_json::from_str(KB_JSON).expect("kb/errors.json is not valid JSON");
    let raw_entries = raw["entries"].as_array().expect("`entries` is an array");
    let entries = kb::entries();
    assert_eq!(entries.len(), raw_entries.len());
    assert!(entries.len() >= REQUIRED_IDS.len());

    let mut ids = BTreeSet::new();
    let mut owner_of_pattern: BTreeMap<&str, &str> = BTreeMap::new();
    let mut default_of_env: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    for e in entries {
        let id = e.id.as_str();
        assert!(is_kebab(id), "{id}: the id is not kebab-case");
        assert!(ids.insert(id), "{id}: the id is used twice");
        assert!(!e.title.trim().is_empty(), "{id}: no title");
        assert!(!e.cause.trim().is_empty(), "{id}: no cause");
        assert!(!e.fix.is_empty(), "{id}: no fix");
        assert!(
            e.fix.iter().all(|s| !s.trim().is_empty()),
            "{id}: an empty fix step"
        );
        assert!(
            GROUPS.contains(&e.group.as_str()),
            "{id}: group {:?}",
            e.group
        );
        assert!(!e.headings.is_empty(), "{id}: answers no heading");
        assert!(!e.patterns.is_empty(), "{id}: no patterns");
        for p in &e.patterns {
            assert_eq!(
                p,
                &p.to_lowercase(),
                "{id}: pattern {p:?} is not lower-case"
            );
            assert_eq!(
                p,
                &p.split_whitespace().collect::<Vec<_>>().join(" "),
                "{id}: pattern {p:?} has stray spaces"
            );
            assert!(
                !p.contains(['\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2013}', '\u{2014}']),
                "{id}: pattern {p:?} has typographic quotes or dashes (texts are normalized to plain ones)"
            );
            assert!(
                p.chars().count() >= 6,
                "{id}: pattern {p:?} is too short to be specific"
            );
            if let Some(other) = owner_of_pattern.insert(p, id) {
                panic!("pattern {p:?} is in both {other} and {id}");
            }
        }
        for c in &e.commands {
            assert!(
                c.starts_with('/') || c.starts_with("claude "),
                "{id}: command {c:?} is neither a slash command nor `claude ...`"
            );
            assert_eq!(c, c.trim(), "{id}: command {c:?}");
        }
        for l in &e.links {
            assert!(l.starts_with("https://"), "{id}: link {l:?} is not https");
            assert!(!l.contains(char::is_whitespace), "{id}: link {l:?}");
        }
        for v in &e.env {
            assert!(
                !v.name.is_empty()
                    && v.name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "{id}: env name {:?}",
                v.name
            );
            assert!(!v.note.trim().is_empty(), "{id}: {} has no note", v.name);
            let default = v.default.as_deref();
            if let Some(before) = default_of_env.insert(&v.name, default) {
                assert_eq!(before, default, "{id}: {} has two defaults", v.name);
            }
        }
    }
    for id in REQUIRED_IDS {
        assert!(kb::get(id).is_some(), "no entry {id}");
    }
    // Defaults as DATA-SOURCES §5 and the reference give them.
    assert_eq!(
        default_of_env.get("CLAUDE_CODE_MAX_RETRIES"),
        Some(&Some("10"))
    );
    assert_eq!(default_of_env.get("API_TIMEOUT_MS"), Some(&Some("600000")));
    // The reference: a 529 "does NOT count against your quota".
    assert_eq!(
        kb::get("overloaded").unwrap().counts_against_quota,
        Some(false)
    );
    // The renamed command is the one offered; the old name is still mentioned.
    for id in ["session-limit", "weekly-limit", "model-limit"] {
        let e = kb::get(id).unwrap();
        assert!(e.commands.iter().any(|c| c == "/usage-credits"), "{id}");
        assert!(!e.commands.iter().any(|c| c == "/extra-usage"), "{id}");
        assert!(e.fix.iter().any(|s| s.contains("/extra-usage")), "{id}");
    }
    assert!(kb::get("no-such-entry").is_none());
}

#[test]
fn every_pattern_on_its_own_finds_its_entry_first() {
    let mut n = 0;
    for e in kb::entries() {
        for p in &e.patterns {
            assert_pattern(p, &e.id);
            n += 1;
        }
    }
    println!("{n} patterns checked");
}

// ---------------------------------------------------------------------------------------------
// b. Every heading of the reference has an entry, in the reference's order.
// ---------------------------------------------------------------------------------------------

#[test]
fn every_heading_of_the_reference_has_an_entry() {
    let text = reference();
    let lines: Vec<&str> = text.lines().collect();
    let listed: BTreeSet<&str> = REFERENCE_HEADINGS.iter().copied().collect();
    assert_eq!(
        listed.len(),
        REFERENCE_HEADINGS.len(),
        "a heading is listed twice"
    );

    // (i) each listed heading is a line of the reference, in the listed order.
    let mut last = 0;
    for h in REFERENCE_HEADINGS {
        let at = heading_index(&lines, h)
            .unwrap_or_else(|| panic!("{h:?} is not a heading line of the reference"));
        assert!(at >= last, "{h:?} is out of the reference's order");
        last = at;
    }
    // (ii) some entry answers each.
    for h in REFERENCE_HEADINGS {
        let by: Vec<&str> = kb::entries()
            .iter()
            .filter(|e| e.headings.iter().any(|x| x == h))
            .map(|e| e.id.as_str())
            .collect();
        assert!(!by.is_empty(), "no entry answers {h:?}");
        println!("  {h:<42} <- {}", by.join(", "));
    }
    // Every heading an entry names is a heading of the reference, and the entries follow the
    // reference's order.
    let mut last = 0;
    for e in kb::entries() {
        for h in &e.headings {
            assert!(listed.contains(h.as_str()), "{}: {h:?} is not listed", e.id);
            assert!(
                heading_index(&lines, h).is_some(),
                "{}: {h:?} is not in the reference",
                e.id
            );
        }
        let first = e
            .headings
            .iter()
            .map(|h| REFERENCE_HEADINGS.iter().position(|x| x == h).unwrap())
            .min()
            .unwrap();
        assert!(first >= last, "{} is out of the reference's order", e.id);
        last = first;
    }

    // The list is complete. An error block of the reference is its heading, up to two quoted
    // messages, then `- Cause:` / `- Fix:` / `- Diagnose:` bullets, the cause first: so each
    // such bullet has a listed heading at most four lines above it, no heading has two of one
    // kind, and no cause follows a fix under the same heading.
    let reporting = lines
        .iter()
        .position(|l| l.trim() == "Reporting")
        .expect("the Reporting section");
    let mut bullets: BTreeSet<(usize, &str)> = BTreeSet::new();
    let mut heading_at = None;
    for (i, l) in lines[..reporting].iter().enumerate() {
        if REFERENCE_HEADINGS.iter().any(|h| is_heading_line(l, h)) {
            heading_at = Some(i);
        }
        let Some(kind) = ["- Cause:", "- Fix:", "- Diagnose:"]
            .into_iter()
            .find(|k| l.starts_with(k))
        else {
            continue;
        };
        let at = heading_at.unwrap_or_else(|| panic!("line {}: {l:?} before any heading", i + 1));
        assert!(
            i - at <= 4,
            "line {}: {l:?} is {} lines below the nearest listed heading {:?}: an unlisted heading?",
            i + 1,
            i - at,
            lines[at]
        );
        assert!(
            bullets.insert((at, kind)),
            "line {}: a second {kind:?} under {:?}: an unlisted heading?",
            i + 1,
            lines[at]
        );
        // The cause comes first in a block.
        assert!(
            kind != "- Cause:"
                || !(bullets.contains(&(at, "- Fix:")) || bullets.contains(&(at, "- Diagnose:"))),
            "line {}: a cause after the fix under {:?}: an unlisted heading?",
            i + 1,
            lines[at]
        );
    }
    // Every first cell of the auth table is listed.
    let table = lines
        .iter()
        .position(|l| l.trim() == "| Error | Cause | Fix |")
        .expect("the auth table");
    let end = lines[table..]
        .iter()
        .position(|l| l.starts_with("Auth precedence:"))
        .expect("the auth precedence line")
        + table;
    let mut rows = 0;
    for l in &lines[table + 2..end] {
        if l.matches('|').count() == 1 && l.trim_end().ends_with('|') {
            rows += 1;
            assert!(
                REFERENCE_HEADINGS.iter().any(|h| is_heading_line(l, h)),
                "auth table row {l:?} is not listed"
            );
        }
    }
    assert_eq!(rows, 5, "the auth table has five errors");
}

// ---------------------------------------------------------------------------------------------
// c. The message texts of DATA-SOURCES §5 and the reference.
// ---------------------------------------------------------------------------------------------

/// The limit texts DATA-SOURCES §5 and §4 quote (real ones end in the time zone).
const DATA_SOURCES_TEXTS: &[(&str, &str)] = &[
    (
        "You've hit your session limit · resets 3:45pm",
        "session-limit",
    ),
    (
        "You've hit your 5-hour limit · resets 1:31am (UTC)",
        "session-limit",
    ),
    (
        "You've hit your weekly limit · resets Mon 12:00am",
        "weekly-limit",
    ),
    ("You've hit your Opus limit · resets 3:45pm", "model-limit"),
    (
        "You've hit your session limit · resets 3:45pm (Europe/Vienna)",
        "session-limit",
    ),
    ("Claude AI usage limit reached|1749924000", "session-limit"),
    ("API Error: Repeated 529 Overloaded errors...", "overloaded"),
];

/// The message lines the reference itself quotes, and whose they are.
const REFERENCE_TEXTS: &[(&str, &str)] = &[
    ("API Error: Repeated 529 Overloaded errors", "overloaded"),
    (
        "<model> is temporarily unavailable, so auto mode cannot determine the safety of <tool>",
        "classifier-unavailable",
    ),
    (
        "You've hit your session limit · resets 3:45pm",
        "session-limit",
    ),
    (
        "You've hit your weekly limit · resets Mon 12:00am",
        "weekly-limit",
    ),
    ("API Error: Request rejected (429)", "rate-limited"),
    (
        "Unable to connect to API (ECONNREFUSED / ECONNRESET / ETIMEDOUT)",
        "unable-to-connect",
    ),
    ("SSL certificate verification failed", "ssl-certificate"),
    ("Self-signed certificate detected", "ssl-certificate"),
    ("Prompt is too long", "prompt-too-long"),
    (
        "Error during compaction: Conversation too long",
        "compaction-failed",
    ),
    (
        "API Error: 400 ... Extra inputs are not permitted ... context_management",
        "extra-inputs",
    ),
    (
        "max_tokens must be greater than thinking.budget_tokens",
        "thinking-budget",
    ),
    (
        "API Error: 400 due to tool use concurrency issues",
        "tool-use-mismatch",
    ),
];

#[test]
fn the_data_sources_limit_texts_find_their_entries() {
    println!("DATA-SOURCES texts:");
    for (text, id) in DATA_SOURCES_TEXTS {
        assert_pattern(text, id);
    }
    println!("{} texts checked", DATA_SOURCES_TEXTS.len());
}

#[test]
fn the_references_own_message_lines_find_their_entries() {
    let text = reference();
    println!("reference message lines:");
    for (line, id) in REFERENCE_TEXTS {
        assert!(
            text.lines().any(|l| l.trim() == *line),
            "{line:?} is not a line of the reference"
        );
        assert_pattern(line, id);
    }
    println!("{} texts checked", REFERENCE_TEXTS.len());
}

// ---------------------------------------------------------------------------------------------
// d. Every final error text the real Claude Code wrote in the fixtures.
// ---------------------------------------------------------------------------------------------

fn jsonl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|d| d.unwrap().path())
        .collect();
    children.sort();
    for p in children {
        if p.is_dir() {
            jsonl_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "jsonl") {
            out.push(p);
        }
    }
}

/// The texts of a message's content: a string, or the `text` blocks of an array.
fn content_texts(content: &Value) -> Vec<String> {
    match content {
        Value::String(s) => vec![s.clone()],
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// The entry a final error line must find, from the line's own fields.
fn expected_for_final(line: &Value) -> &'static str {
    let status = line["apiErrorStatus"].as_u64();
    if line["apiError"] == "usage_limit_reached" {
        let kind = line["apiErrorParams"]["rate_limit_info"]["rateLimitType"]
            .as_str()
            .or(line["quotaLimits"]["rateLimitType"].as_str());
        return match kind {
            Some("five_hour") => "session-limit",
            Some("seven_day") => "weekly-limit",
            Some("seven_day_opus" | "seven_day_sonnet") => "model-limit",
            other => panic!("no expectation for a usage limit of kind {other:?}"),
        };
    }
    match (status, line["apiErrorType"].as_str()) {
        (Some(529), _) | (_, Some("overloaded_error")) => "overloaded",
        (Some(429), _) => "rate-limited",
        (Some(500..=599), _) => "server-error",
        other => panic!("no expectation for a final error {other:?}"),
    }
}

/// The entry a retry record's error must find, from its status.
fn expected_for_retry(status: u64) -> &'static str {
    match status {
        529 => "overloaded",
        429 => "rate-limited",
        500..=599 => "server-error",
        other => panic!("no expectation for a retry with status {other}"),
    }
}

/// What each fixture folder holds, as the README there describes it.
const FOLDERS: &[(&str, &[&str])] = &[
    ("i-apikey", &["overloaded", "rate-limited", "server-error"]),
    ("i-oauth-baseurl", &[]),
    ("p-500", &["server-error"]),
    ("p-ok", &[]),
    ("p-overloaded", &["overloaded"]),
    ("p-ratelimited", &["rate-limited"]),
    ("pd-oauth-ratelimited", &["session-limit"]),
];

#[test]
fn every_final_error_text_in_the_claude_code_fixtures_finds_its_entry() {
    let root = Path::new(CLAUDE_CODE_FIXTURES);
    let mut files = Vec::new();
    jsonl_files(root, &mut files);
    assert!(!files.is_empty());

    let mut found_by_folder: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    let (mut finals, mut retries) = (0, 0);
    for file in &files {
        let rel = file.strip_prefix(root).unwrap();
        let folder = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let folder_ids = found_by_folder.entry(folder.to_string()).or_default();
        let text = read(file);
        for raw in text.lines() {
            let Ok(line) = serde_json::from_str::<Value>(raw) else {
                continue;
            };
            if line["isApiErrorMessage"] == true {
                assert!(raw.contains("\"isApiErrorMessage\":true"));
                let id = expected_for_final(&line);
                let texts = content_texts(&line["message"]["content"]);
                assert!(
                    !texts.is_empty(),
                    "{}: a final error without text",
                    rel.display()
                );
                println!("{} (final, {}):", rel.display(), line["apiErrorStatus"]);
                for t in &texts {
                    assert_pattern(t, id);
                    finals += 1;
                }
                folder_ids.insert(id);
            } else if line["type"] == "system" && line["subtype"] == "api_error" {
                let err = &line["error"];
                let status = err["status"].as_u64().expect("a retry record's status");
                let id = expected_for_retry(status);
                println!(
                    "{} (retry {}, {status}):",
                    rel.display(),
                    line["retryAttempt"]
                );
                for key in ["formatted", "message"] {
                    if let Some(t) = err[key].as_str() {
                        assert_pattern(t, id);
                        retries += 1;
                    }
                }
            }
        }
    }
    println!("{finals} final error texts and {retries} retry texts checked");
    assert_eq!(finals, 7, "the fixtures hold seven final errors");
    assert!(retries >= 9, "each -p folder has three retry records");

    let expected: BTreeMap<String, BTreeSet<&str>> = FOLDERS
        .iter()
        .map(|(f, ids)| (f.to_string(), ids.iter().copied().collect()))
        .collect();
    assert_eq!(found_by_folder, expected);
}

// ---------------------------------------------------------------------------------------------
// e. Messages the way users see and paste them.
// ---------------------------------------------------------------------------------------------

include!("data/real_texts.rs");

/// Texts no pattern is in, that the word match still places: a user's own words.
const WORD_TEXTS: &[(&str, &str)] = &[
    ("claude keeps saying it is overloaded", "overloaded"),
    (
        "the prompt was too long for the context window",
        "prompt-too-long",
    ),
    (
        "my weekly limit was reached, when does it reset?",
        "weekly-limit",
    ),
];

/// Texts that must find nothing.
const NO_TEXTS: &[&str] = &[
    "xyzzy plugh frobnicate",
    "",
    "   \n\t ",
    "The build finished and all 212 tests passed.",
    "API Error: 418 I'm a teapot",
    // One word in common is not enough ("failed", "not", "model")...
    "The build failed",
    "this is not what I wanted",
    "how do I change the model",
    // ...nor are filler words ("there", "with", "the") or the words every message has.
    "there is an issue with the tests",
    // Two of a title's six words are below the threshold ("too", "window").
    "the window is too small",
    // Real messages the reference has no entry for: better nothing than a wrong entry.
    "Remote Control is only available when using Claude via api.anthropic.com.",
    "Your account does not have access to Claude Code. Please run /login.",
];

#[test]
fn real_message_texts_find_their_entries() {
    println!("real texts:");
    for (text, id) in REAL_TEXTS {
        assert_pattern(text, id);
    }
    let covered: BTreeSet<&str> = REAL_TEXTS.iter().map(|(_, id)| *id).collect();
    println!(
        "{} texts checked, {} entries covered",
        REAL_TEXTS.len(),
        covered.len()
    );
    assert!(REAL_TEXTS.len() >= 25);
}

#[test]
fn a_users_own_words_find_an_entry_by_word_match() {
    for (text, id) in WORD_TEXTS {
        match best(text) {
            Some((got, How::Words { score })) => {
                assert_eq!(got, *id, "{text:?} found {got} ({score:.2}), expected {id}");
                assert!((0.34..=1.0).contains(&score), "{text:?}: score {score}");
                println!("  {id:<32} by words ({score:.2}) <- {text}");
            }
            other => panic!("{text:?}: {other:?}, expected {id} by words"),
        }
    }
}

#[test]
fn nonsense_finds_nothing() {
    for text in NO_TEXTS {
        let found = kb::find(text);
        assert!(
            found.is_empty(),
            "{text:?} found {:?}",
            found
                .iter()
                .map(|m| (&m.entry.id, &m.how))
                .collect::<Vec<_>>()
        );
        println!("  nothing <- {text:?}");
    }
}

#[test]
fn the_more_specific_entry_wins_when_two_match() {
    // Both texts also contain a pattern of a broader entry; the longer pattern decides.
    let cases = [
        (
            "Unable to connect to API: SSL certificate verification failed",
            ["ssl-certificate", "unable-to-connect"],
        ),
        (
            "Request timed out. Check your internet connection and proxy settings",
            ["unable-to-connect", "timeout"],
        ),
    ];
    for (text, ids) in cases {
        let found: Vec<&str> = kb::find(text).iter().map(|m| m.entry.id.as_str()).collect();
        assert_eq!(found, ids, "{text:?}");
    }
}
