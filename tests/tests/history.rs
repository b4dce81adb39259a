//! `ccpulse history` and `ccpulse usage daily --chart`: the history's days are the daily
//! report's days, on the real transcripts (ccusage's reference numbers) and on a generated
//! history that ends today; the chart is a bar per day that fits the terminal.

use std::collections::HashMap;
use std::process::Output;

use ccpulse_tests::Ccpulse;
use serde_json::Value;

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn run(home: &std::path::Path, roots: &str, args: &[&str]) -> Output {
    Ccpulse::new()
        .home(home)
        .claude_config_dir(roots)
        .state_dir(home.join("state"))
        .args(args)
        .output()
}

/// Every day of the history equals that day of the daily report (cost to the last bit, tokens,
/// each model's share), and a day the report has not is a day without use.
fn assert_days_equal(history: &Value, daily: &Value) {
    let rows: HashMap<&str, &Value> = daily["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["date"].as_str().unwrap(), r))
        .collect();
    let days = history["days"].as_array().unwrap();
    assert_eq!(days.len() as u64, history["days_shown"].as_u64().unwrap());
    let mut seen = 0;
    for d in days {
        let date = d["date"].as_str().unwrap();
        let total = &d["total"];
        match rows.get(date) {
            Some(row) => {
                seen += 1;
                assert_eq!(total["cost_usd"], row["totalCost"], "{date}");
                assert_eq!(total["tokens"], row["totalTokens"], "{date}");
                for m in row["modelBreakdowns"].as_array().unwrap() {
                    let name = m["modelName"].as_str().unwrap();
                    let seg = d["segments"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|s| s["label"] == name)
                        .unwrap_or_else(|| panic!("{date}: no segment for {name}"));
                    assert_eq!(seg["cost_usd"], m["cost"], "{date} {name}");
                }
            }
            None => {
                assert_eq!(total["tokens"], 0, "{date}");
                assert!(d["segments"].as_array().unwrap().is_empty(), "{date}");
            }
        }
    }
    assert!(seen > 0, "some days have use");
}

/// A generated history ending now: `history --json` for 30 and 90 days equals `usage daily
/// --json` over the same days; the heatmap holds the shown days' tokens; the text says the same.
#[test]
fn history_days_equal_the_daily_report_on_a_generated_history() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("claude");
    ccpulse_tests::history::write_recent(&root, 100, chrono::Utc::now()).unwrap();
    let roots = root.display().to_string();
    for days in ["30", "90"] {
        let history = json(&run(
            home.path(),
            &roots,
            &["history", "--json", "-z", "UTC", "--days", days],
        ));
        let first = history["days"][0]["date"].as_str().unwrap().to_string();
        let daily = json(&run(
            home.path(),
            &roots,
            &["usage", "daily", "--json", "-z", "UTC", "--since", &first],
        ));
        assert_days_equal(&history, &daily);
        let heat: u64 = history["heatmap"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["cells"].as_array().unwrap())
            .map(|c| c["tokens"].as_u64().unwrap())
            .sum();
        assert_eq!(
            heat,
            daily["totals"]["totalTokens"].as_u64().unwrap(),
            "{days}"
        );
        assert_eq!(history["total"]["tokens"], daily["totals"]["totalTokens"]);
        assert!(
            history.get("limits").is_none(),
            "no limit history: no section"
        );
    }
    let text = run(home.path(), &roots, &["history", "-z", "UTC"]);
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.starts_with("Last 30 days · "), "{text}");
    for want in [
        "This week ",
        "By model",
        "claude-opus-4-5-20251101",
        "Busiest days",
        "Busiest hours (Hours in UTC",
    ] {
        assert!(text.contains(want), "{want} in:\n{text}");
    }
}

/// The real Claude Code transcripts: the history up to their last day equals ccusage's daily
/// report for those days (`tests/fixtures/ccusage/`), in two zones.
#[test]
fn history_days_equal_the_reference_on_real_transcripts() {
    let fixtures = ccpulse_tests::fixtures_dir();
    let roots: Vec<String> = ccpulse_tests::paths::fixture_roots("claude-code")
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let home = tempfile::tempdir().unwrap();
    for (zone, reference) in [
        ("UTC", "all-fixtures-daily-utc.json"),
        ("Asia/Tokyo", "all-fixtures-daily-tokyo.json"),
    ] {
        let daily: Value = serde_json::from_slice(
            &std::fs::read(fixtures.join("ccusage").join(reference)).unwrap(),
        )
        .unwrap();
        let last = daily["daily"].as_array().unwrap().last().unwrap()["date"]
            .as_str()
            .unwrap()
            .to_string();
        let history = json(&run(
            home.path(),
            &roots.join(","),
            &[
                "history", "--json", "-z", zone, "--until", &last, "--days", "90",
            ],
        ));
        assert_eq!(history["days"][89]["date"], last.as_str());
        assert_days_equal(&history, &daily);
    }
}

/// `usage daily --chart`: a line per day of the report with its cost, no line wider than
/// `COLUMNS`, the widest day's bar the longest, no colour when stdout is not a terminal.
#[test]
fn daily_chart_is_a_bar_per_day_within_the_terminal_width() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("claude");
    ccpulse_tests::history::write_recent(&root, 20, chrono::Utc::now()).unwrap();
    let roots = root.display().to_string();
    let daily = json(&run(
        home.path(),
        &roots,
        &["usage", "daily", "--json", "-z", "UTC"],
    ));
    let rows = daily["daily"].as_array().unwrap();
    for columns in ["50", "100"] {
        let out = Ccpulse::new()
            .home(home.path())
            .claude_config_dir(&roots)
            .state_dir(home.path().join("state"))
            .env("COLUMNS", columns)
            .args(["usage", "daily", "--chart", "-z", "UTC"])
            .output();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains('\x1b'), "no colour into a pipe");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), rows.len() + 1, "{text}");
        let width: usize = columns.parse().unwrap();
        for l in &lines {
            assert!(l.chars().count() <= width, "{l:?} wider than {width}");
        }
        let full = |l: &str| l.chars().filter(|c| *c == '\u{2588}').count();
        let mut widest = (0, 0.0);
        for (line, row) in lines.iter().zip(rows) {
            assert!(line.starts_with(row["date"].as_str().unwrap()), "{line}");
            let cost = row["totalCost"].as_f64().unwrap();
            assert!(line.ends_with(&format!("${cost:.2}")), "{line} for {cost}");
            if cost > widest.1 {
                widest = (full(line), cost);
            }
        }
        let most = lines.iter().map(|l| full(l)).max().unwrap();
        assert_eq!(
            widest.0, most,
            "the most expensive day has the longest bar:\n{text}"
        );
        assert!(lines.last().unwrap().starts_with("Total"));
    }
}
