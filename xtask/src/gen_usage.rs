//! `cargo xtask gen-usage --size-mb N --seed S [--out DIR]`: a deterministic Claude Code history
//! (a `CLAUDE_CONFIG_DIR` root with `projects/`) for benchmarks and comparisons with ccusage.
//!
//! It has what real histories have: several projects and sessions over weeks, responses written
//! as several streamed lines with one message id and request id (output growing), resumed
//! sessions that copy earlier lines verbatim, subagent files (`isSidechain`) that sometimes replay
//! a parent message under a new request id, synthetic error lines, retry records, the line types
//! that carry no usage, a few sessions past the 200k-token tier, fast mode, and a rare broken line.
//! The same size and seed always give the same bytes.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// SplitMix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(10_000) < percent * 100
    }
    fn chance_per_mille(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            let _ = write!(s, "{:016x}", self.next());
        }
        s.truncate(len);
        s
    }
    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

const WORDS: [&str; 32] = [
    "the", "function", "returns", "a", "value", "when", "config", "file", "is", "missing", "we",
    "should", "parse", "tokens", "and", "update", "tests", "for", "error", "handling", "in",
    "module", "rename", "variable", "check", "index", "cache", "request", "build", "fails", "on",
    "linux",
];

fn words(rng: &mut Rng, bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 16);
    while s.len() < bytes {
        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
        s.push(' ');
    }
    s.pop();
    s
}

/// (model, weight in percent)
const MODELS: [(&str, u64); 5] = [
    ("claude-sonnet-4-5-20250929", 45),
    ("claude-opus-4-5-20251101", 25),
    ("claude-haiku-4-5-20251001", 15),
    ("claude-opus-4-6", 10),
    ("claude-sonnet-4-6", 5),
];

fn model(rng: &mut Rng) -> &'static str {
    let mut pick = rng.below(100);
    for (m, w) in MODELS {
        if pick < w {
            return m;
        }
        pick -= w;
    }
    MODELS[0].0
}

/// Milliseconds since the epoch -> `2026-08-01T12:34:56.789Z`.
pub fn stamp(ms: u64) -> String {
    let secs = ms / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil-from-days (H. Hinnant), for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// 2026-08-01T00:00:00Z
const START_MS: u64 = 1_785_542_400_000;

struct Session {
    id: String,
    cwd: String,
    sidechain: bool,
    last_uuid: Option<String>,
}

/// One assistant response as it lands in the file: `copies` streamed lines.
#[derive(Clone)]
struct Response {
    msg: String,
    req: String,
    model: &'static str,
    input: u64,
    output: u64,
    cache_read: u64,
    cache_5m: u64,
    cache_1h: u64,
    breakdown: bool,
    fast: bool,
}

fn assistant_line(
    out: &mut String,
    s: &mut Session,
    r: &Response,
    output: u64,
    ms: u64,
    text: &str,
    uuid: String,
) {
    let parent = s
        .last_uuid
        .as_deref()
        .map_or("null".to_string(), |u| format!("\"{u}\""));
    let breakdown = if r.breakdown {
        format!(
            ",\"cache_creation\":{{\"ephemeral_5m_input_tokens\":{},\"ephemeral_1h_input_tokens\":{}}}",
            r.cache_5m, r.cache_1h
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{{\"parentUuid\":{parent},\"isSidechain\":{sc},\"userType\":\"external\",\"cwd\":\"{cwd}\",\"sessionId\":\"{sid}\",\"version\":\"2.1.328\",\"gitBranch\":\"main\",\"message\":{{\"id\":\"{msg}\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"{model}\",\"content\":[{{\"type\":\"text\",\"text\":\"{text}\"}}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{{\"input_tokens\":{input},\"cache_creation_input_tokens\":{cc},\"cache_read_input_tokens\":{cr}{breakdown},\"output_tokens\":{output},\"service_tier\":\"standard\",\"speed\":\"{speed}\"}}}},\"requestId\":\"{req}\",\"type\":\"assistant\",\"uuid\":\"{uuid}\",\"timestamp\":\"{ts}\"}}",
        sc = s.sidechain,
        cwd = s.cwd,
        sid = s.id,
        msg = r.msg,
        model = r.model,
        input = r.input,
        cc = r.cache_5m + r.cache_1h,
        cr = r.cache_read,
        req = r.req,
        speed = if r.fast { "fast" } else { "standard" },
        ts = stamp(ms),
    );
    s.last_uuid = Some(uuid);
}

fn user_line(out: &mut String, rng: &mut Rng, s: &mut Session, ms: u64) {
    let uuid = rng.uuid();
    let parent = s
        .last_uuid
        .as_deref()
        .map_or("null".to_string(), |u| format!("\"{u}\""));
    let len = rng.range(80, 1500) as usize;
    let _ = writeln!(
        out,
        "{{\"parentUuid\":{parent},\"isSidechain\":{},\"userType\":\"external\",\"cwd\":\"{}\",\"sessionId\":\"{}\",\"version\":\"2.1.328\",\"gitBranch\":\"main\",\"type\":\"user\",\"message\":{{\"role\":\"user\",\"content\":\"{}\"}},\"uuid\":\"{uuid}\",\"timestamp\":\"{}\"}}",
        s.sidechain,
        s.cwd,
        s.id,
        words(rng, len),
        stamp(ms)
    );
    s.last_uuid = Some(uuid);
}

fn filler_line(out: &mut String, rng: &mut Rng, s: &Session, ms: u64) {
    match rng.below(3) {
        0 => {
            let len = rng.range(300, 2500) as usize;
            let _ = writeln!(
                out,
                "{{\"type\":\"attachment\",\"sessionId\":\"{}\",\"attachment\":{{\"type\":\"file\",\"content\":\"{}\"}},\"uuid\":\"{}\",\"timestamp\":\"{}\"}}",
                s.id,
                words(rng, len),
                rng.uuid(),
                stamp(ms)
            );
        }
        1 => {
            let _ = writeln!(
                out,
                "{{\"type\":\"file-history-snapshot\",\"messageId\":\"{}\",\"snapshot\":{{\"trackedFileBackups\":{{}},\"timestamp\":\"{}\"}},\"isSnapshotUpdate\":false}}",
                rng.uuid(),
                stamp(ms)
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "{{\"type\":\"cost-state\",\"sessionId\":\"{}\",\"timestamp\":\"{}\",\"state\":{{\"turns\":{}}}}}",
                s.id,
                stamp(ms),
                rng.below(100)
            );
        }
    }
}

fn api_request_line(
    out: &mut String,
    rng: &mut Rng,
    s: &Session,
    model: &str,
    digest: &str,
    ms: u64,
) {
    let _ = writeln!(
        out,
        "{{\"type\":\"api-request\",\"sessionId\":\"{}\",\"id\":\"{}\",\"timestamp\":\"{}\",\"version\":\"2.1.328\",\"querySource\":\"repl_main_thread\",\"params\":{{\"model\":\"{model}\",\"max_tokens\":32000}},\"requestDigest\":\"{digest}\"}}",
        s.id,
        rng.uuid(),
        stamp(ms)
    );
}

fn error_line(out: &mut String, rng: &mut Rng, s: &mut Session, ms: u64) {
    let uuid = rng.uuid();
    let _ = writeln!(
        out,
        "{{\"parentUuid\":null,\"isSidechain\":false,\"userType\":\"external\",\"cwd\":\"{}\",\"sessionId\":\"{}\",\"version\":\"2.1.328\",\"gitBranch\":\"main\",\"type\":\"assistant\",\"uuid\":\"{uuid}\",\"timestamp\":\"{}\",\"message\":{{\"id\":\"{}\",\"container\":null,\"model\":\"<synthetic>\",\"role\":\"assistant\",\"stop_reason\":\"stop_sequence\",\"stop_sequence\":\"\",\"type\":\"message\",\"usage\":{{\"input_tokens\":0,\"output_tokens\":0,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"server_tool_use\":{{\"web_search_requests\":0,\"web_fetch_requests\":0}},\"service_tier\":null,\"cache_creation\":{{\"ephemeral_1h_input_tokens\":0,\"ephemeral_5m_input_tokens\":0}},\"speed\":null}},\"content\":[{{\"type\":\"text\",\"text\":\"API Error: 529 Overloaded. This is a server-side issue, usually temporary.\"}}]}},\"requestId\":\"req_{}\",\"error\":\"server_error\",\"isApiErrorMessage\":true,\"apiErrorStatus\":529}}",
        s.cwd,
        s.id,
        stamp(ms),
        rng.uuid(),
        rng.hex(24)
    );
    s.last_uuid = Some(uuid);
}

fn response(rng: &mut Rng, big: bool) -> Response {
    let model = model(rng);
    let cache_1h = if rng.chance(20) {
        rng.range(500, 8000)
    } else {
        0
    };
    Response {
        msg: format!("msg_01{}", rng.hex(24)),
        req: format!("req_011{}", rng.hex(21)),
        model,
        input: rng.range(1, 60),
        output: rng.range(20, 2500),
        cache_read: if big {
            rng.range(200_001, 320_000)
        } else {
            rng.range(8_000, 150_000)
        },
        cache_5m: if rng.chance(70) {
            rng.range(100, 25_000)
        } else {
            0
        },
        cache_1h,
        breakdown: rng.chance(85),
        fast: model == "claude-opus-4-6" && rng.chance(15),
    }
}

/// Append one turn (user, request, streamed response) to `out`; returns the response.
fn turn(out: &mut String, rng: &mut Rng, s: &mut Session, ms: &mut u64, big: bool) -> Response {
    user_line(out, rng, s, *ms);
    for _ in 0..rng.below(3) {
        filler_line(out, rng, s, *ms);
    }
    let r = response(rng, big);
    let digest = rng.hex(64);
    api_request_line(out, rng, s, r.model, &digest, *ms);
    // Some requests fail first: a retry record (`-p`) or a repeated request (interactive).
    if rng.chance(4) {
        *ms += rng.range(400, 3000);
        api_request_line(out, rng, s, r.model, &digest, *ms);
    }
    if rng.chance_per_mille(3) {
        error_line(out, rng, s, *ms + 5);
    }
    *ms += rng.range(500, 10_000);
    let copies = rng.range(1, 3);
    for c in 1..=copies {
        let output = if c == copies {
            r.output
        } else {
            r.output * c / (copies + 1)
        };
        let len = rng.range(40, 900) as usize;
        let text = words(rng, len);
        let uuid = rng.uuid();
        assistant_line(out, s, &r, output, *ms + c * 37, &text, uuid);
    }
    *ms += rng.range(1_000, 30_000);
    r
}

pub struct Options {
    pub size_mb: u64,
    pub seed: u64,
    pub out: Option<PathBuf>,
    /// The first day (midnight UTC, in milliseconds since the epoch); `None`: 2026-08-01. The
    /// same size, seed and start always give the same bytes.
    pub start_ms: Option<u64>,
}

impl Options {
    pub fn parse(args: &[String]) -> std::result::Result<Self, String> {
        let mut o = Options {
            size_mb: 100,
            seed: 1,
            out: None,
            start_ms: None,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{a} needs a value"))
            };
            match a.as_str() {
                "--size-mb" => {
                    o.size_mb = value()?.parse().map_err(|e| format!("--size-mb: {e}"))?
                }
                "--seed" => o.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
                "--out" => o.out = Some(PathBuf::from(value()?)),
                other => return Err(format!("unknown option {other}")),
            }
        }
        if o.size_mb == 0 {
            return Err("--size-mb must be at least 1".into());
        }
        Ok(o)
    }
}

pub fn generate(o: &Options, target_dir: &Path) -> Result<PathBuf> {
    let root = o
        .out
        .clone()
        .unwrap_or_else(|| target_dir.join(format!("usage-gen/{}mb-seed{}", o.size_mb, o.seed)));
    if root.join("projects").exists() {
        std::fs::remove_dir_all(root.join("projects"))
            .with_context(|| format!("clearing {}", root.display()))?;
    }
    let budget = o.size_mb * 1024 * 1024;
    let mut rng = Rng(o.seed);
    let mut written = 0u64;
    let mut files = 0u64;
    let start_ms = o.start_ms.unwrap_or(START_MS);
    let mut ms = start_ms;
    let mut earlier: Vec<String> = Vec::new(); // lines of the previous session, for resumes
    let started = std::time::Instant::now();
    let pause_max = (4 * 3_600_000 * 10 / o.size_mb.max(1)).max(120_000);
    while written < budget {
        let project = rng.below(8);
        let dir = root.join(format!("projects/-home-user-proj-{project}"));
        let mut s = Session {
            id: rng.uuid(),
            cwd: format!("/home/user/proj-{project}"),
            sidechain: false,
            last_uuid: None,
        };
        let mut out = String::new();
        // A resumed session starts with a verbatim copy of the end of an earlier one.
        if !earlier.is_empty() && rng.chance(5) {
            let keep = rng.range(1, earlier.len() as u64) as usize;
            for line in &earlier[earlier.len() - keep..] {
                out.push_str(line);
                out.push('\n');
            }
        }
        let big = rng.chance(3);
        let turns = rng.range(3, 60);
        let mut responses = Vec::new();
        let session_start = ms;
        for _ in 0..turns {
            responses.push((turn(&mut out, &mut rng, &mut s, &mut ms, big), ms));
        }
        if rng.chance_per_mille(50) {
            // A cut line: Claude Code was killed mid-write (only ever at the end of a file).
            out.push_str("{\"type\":\"assistant\",\"message\":{\"id\":\"msg_cut\",\"usa");
        }
        write_file(&dir.join(format!("{}.jsonl", s.id)), &out)?;
        written += out.len() as u64;
        files += 1;

        // Subagents: their own requests, and now and then a replay of a parent message.
        if rng.chance(15) {
            let mut sub = Session {
                id: s.id.clone(),
                cwd: s.cwd.clone(),
                sidechain: true,
                last_uuid: None,
            };
            let mut sub_out = String::new();
            let mut sub_ms = session_start + rng.range(1000, 60_000);
            for _ in 0..rng.range(2, 15) {
                turn(&mut sub_out, &mut rng, &mut sub, &mut sub_ms, false);
                if rng.chance(20) {
                    let (parent, at) = &responses[rng.below(responses.len() as u64) as usize];
                    let replay = Response {
                        msg: parent.msg.clone(),
                        req: format!("req_011{}", rng.hex(21)),
                        ..*parent
                    };
                    let text = words(&mut rng, 60);
                    let uuid = rng.uuid();
                    assistant_line(
                        &mut sub_out,
                        &mut sub,
                        &replay,
                        replay.output,
                        *at + 37,
                        &text,
                        uuid,
                    );
                }
            }
            let agent = dir.join(format!("{}/subagents/agent-{}.jsonl", s.id, rng.hex(8)));
            write_file(&agent, &sub_out)?;
            written += sub_out.len() as u64;
            files += 1;
        }
        earlier = out.lines().map(str::to_string).collect();
        // Pauses shrink as the history grows, so any size spans about two months (a heavy user
        // writes a GiB in that time) and ends before today: no block of it is still active.
        ms += rng.range(60_000, pause_max);
    }
    println!(
        "wrote {files} files, {:.1} MiB, {} to {} in {:.1?}: {}",
        written as f64 / 1048576.0,
        &stamp(start_ms)[..10],
        &stamp(ms)[..10],
        started.elapsed(),
        root.display()
    );
    Ok(root)
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::create_dir_all(path.parent().expect("a file has a parent"))?;
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    f.write_all(text.as_bytes())?;
    f.flush()?;
    Ok(())
}

pub fn run(args: &[String], target_dir: &Path) -> Result<()> {
    match Options::parse(args) {
        Ok(o) => generate(&o, target_dir).map(drop),
        Err(e) => {
            bail!("gen-usage: {e} (usage: cargo xtask gen-usage --size-mb N --seed S [--out DIR])")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_civil_dates() {
        assert_eq!(stamp(START_MS), "2026-08-01T00:00:00.000Z");
        assert_eq!(
            stamp(START_MS + 31 * 86_400_000 + 3_723_004),
            "2026-09-01T01:02:03.004Z"
        );
        assert_eq!(stamp(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let dir = tempfile_dir();
        let gen = |seed, name: &str| {
            let o = Options {
                size_mb: 1,
                seed,
                out: Some(dir.join(name)),
                start_ms: None,
            };
            generate(&o, &dir).unwrap();
            let mut all = Vec::new();
            let mut paths = Vec::new();
            collect(&dir.join(name), &mut paths);
            paths.sort();
            for p in paths {
                all.extend(std::fs::read(p).unwrap());
            }
            all
        };
        let a = gen(7, "a");
        assert!(a.len() >= 1024 * 1024);
        assert_eq!(a, gen(7, "b"));
        assert_ne!(a, gen(8, "c"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, out);
            } else {
                out.push(p);
            }
        }
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("ccpulse-gen-test-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
