//! A generated usage history that ends now: the History tab and `ccpulse history` show the last
//! 30 or 90 days, so their tests need transcripts dated relative to today. Deterministic apart
//! from `now`: the same days back, hours, models and token counts every run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, SecondsFormat, Utc};

const MODELS: [&str; 3] = [
    "claude-opus-4-5-20251101",
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5-20251001",
];

/// Writes `<root>/projects/-home-user-proj/<n>.jsonl`: responses on most of the `days` days
/// before `now` (every seventh day has none), a few models, one file per day. Returns `root`.
pub fn write_recent(root: &Path, days: u32, now: DateTime<Utc>) -> std::io::Result<PathBuf> {
    let dir = root.join("projects/-home-user-proj");
    std::fs::create_dir_all(&dir)?;
    let mut seed: u64 = 7;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    for day in 0..days {
        if day % 7 == 3 {
            continue;
        }
        let mut out = String::new();
        let session = format!("00000000-0000-4000-8000-{day:012}");
        for k in 0..(2 + next(6)) {
            let at = now
                - Duration::days(i64::from(day))
                - Duration::minutes((k * 47 + next(40)) as i64);
            let model = MODELS[next(3) as usize];
            let (input, output, cache_read) = (100 + next(900), 200 + next(5000), next(50_000));
            let _ = writeln!(
                out,
                "{{\"parentUuid\":null,\"isSidechain\":false,\"userType\":\"external\",\"cwd\":\"/home/user/proj\",\"sessionId\":\"{session}\",\"version\":\"2.1.328\",\"message\":{{\"id\":\"msg_{day}_{k}\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"{model}\",\"content\":[{{\"type\":\"text\",\"text\":\"ok\"}}],\"stop_reason\":\"end_turn\",\"usage\":{{\"input_tokens\":{input},\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":{cache_read},\"output_tokens\":{output}}}}},\"requestId\":\"req_{day}_{k}\",\"type\":\"assistant\",\"uuid\":\"u-{day}-{k}\",\"timestamp\":\"{}\"}}",
                at.to_rfc3339_opts(SecondsFormat::Millis, true)
            );
        }
        std::fs::write(dir.join(format!("{session}.jsonl")), out)?;
    }
    Ok(root.to_path_buf())
}
