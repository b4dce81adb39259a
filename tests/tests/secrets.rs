//! A planted OAuth token reaches the usage endpoint (in its Authorization header) and nothing
//! else: not the output or the errors of any command, not the state dir, not Claude Code's
//! settings. The token is only ever read, so the credentials file is unchanged afterwards.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::path::Path;
use std::process::Output;

use ccpulse_tests::{fixtures_dir, Ccpulse};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "sk-ant-oat01-PLANTED-f00dfeed-secret";

fn run(home: &Path, api: &str, args: &[&str], stdin: &[u8]) -> Output {
    Ccpulse::in_home(home)
        .claude_config_dir(home.join("claude"))
        .api_url(api)
        .status_url("http://127.0.0.1:9")
        .env("CCPULSE_DOCTOR_API_HOST", "127.0.0.1:9")
        .env("CCPULSE_DOCTOR_STATUS_HOST", "127.0.0.1:9")
        .args(args)
        .stdin(stdin)
        .output()
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            files(&e.path(), out);
        } else {
            out.push(e.path());
        }
    }
}

#[tokio::test]
async fn a_planted_token_goes_to_the_usage_endpoint_and_nowhere_else() {
    let home = tempfile::tempdir().unwrap();
    let claude = home.path().join("claude");
    std::fs::create_dir_all(claude.join("projects")).unwrap();
    let credentials = serde_json::json!({"claudeAiOauth": {
        "accessToken": TOKEN, "refreshToken": "sk-ant-ort01-PLANTED-refresh",
        "expiresAt": chrono::Utc::now().timestamp_millis() + 3_600_000,
        "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"
    }})
    .to_string();
    std::fs::write(claude.join(".credentials.json"), &credentials).unwrap();
    // Real transcripts, so `usage` has something to read.
    let transcripts = fixtures_dir().join("claude-code/i-oauth-baseurl/projects");
    for e in std::fs::read_dir(&transcripts).unwrap().flatten() {
        let to = claude.join("projects").join(e.file_name());
        std::fs::create_dir_all(&to).unwrap();
        for f in std::fs::read_dir(e.path()).unwrap().flatten() {
            if f.path().is_file() {
                std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
            }
        }
    }
    let server = MockServer::start().await;
    let body = std::fs::read(fixtures_dir().join("oauth-usage/limits-array-2026-07.json")).unwrap();
    Mock::given(method("GET"))
        .and(path("/api/oauth/usage"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(body))
        .mount(&server)
        .await;
    let api = server.uri();
    let statusline_input =
        std::fs::read(fixtures_dir().join("claude-code/i-oauth-baseurl/statusline.jsonl")).unwrap();

    let mut outputs = Vec::new();
    let status = run(home.path(), &api, &["status", "--json"], b"");
    let report: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(report["limits"]["session"]["source"], "oauth", "{report}");
    assert_eq!(report["limits"]["models"][0]["model"], "Fable");
    outputs.push(status);
    for (args, input) in [
        (&["status"][..], &b""[..]),
        (&["statusline"][..], &statusline_input[..]),
        (&["usage", "daily", "--json"][..], b""),
        (&["usage", "session"][..], b""),
        (&["statusline", "install"][..], b""),
        (&["statusline", "uninstall"][..], b""),
        (&["status", "--json"][..], b""),
    ] {
        outputs.push(run(home.path(), &api, args, input));
    }
    for out in &outputs {
        assert!(out.status.success(), "{out:?}");
    }
    // `doctor` reads the login too (and finds nothing reachable here: it exits 1).
    for args in [&["doctor"][..], &["doctor", "--json"]] {
        let out = run(home.path(), &api, args, b"");
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("login"),
            "{out:?}"
        );
        outputs.push(out);
    }
    for out in &outputs {
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(!text.contains("PLANTED"), "the token in an output: {text}");
        }
    }
    let mut all = Vec::new();
    files(home.path(), &mut all);
    for f in all.iter().filter(|f| !f.ends_with(".credentials.json")) {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        assert!(!text.contains("PLANTED"), "the token in {}", f.display());
    }
    assert_eq!(
        std::fs::read_to_string(claude.join(".credentials.json")).unwrap(),
        credentials,
        "the login is read, never written"
    );
    // The endpoint saw it, in the header only, once (the second status run kept to the schedule).
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let auth = requests[0].headers.get("authorization").unwrap();
    assert_eq!(auth.to_str().unwrap(), format!("Bearer {TOKEN}"));
    assert!(!String::from_utf8_lossy(&requests[0].body).contains("PLANTED"));
    assert!(!requests[0].url.as_str().contains("PLANTED"));
}
