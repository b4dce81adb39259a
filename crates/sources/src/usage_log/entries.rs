//! Usage entries from transcript files, accepted under the same rules as ccusage 20
//! (docs/ccusage-reference.md §2): a line counts when it holds a `"usage":{` object and passes
//! the checks below; anything else is skipped and counted.

use std::borrow::Cow;
use std::hash::Hasher;
use std::path::Path;

use chrono::{DateTime, Utc};
use memchr::memmem;
use serde::Deserialize;

use ccpulse_core::pricing::Billable;
use ccpulse_core::usage::{Entry, IdHash, Models, SessionFile};

use super::line::CacheCreation;

/// Keys that, followed by `:null` anywhere in a line, make the reference skip it.
const NULL_GUARD: [&[u8]; 11] = [
    b"id",
    b"cwd",
    b"model",
    b"speed",
    b"costUSD",
    b"version",
    b"sessionId",
    b"requestId",
    b"isApiErrorMessage",
    b"cache_read_input_tokens",
    b"cache_creation_input_tokens",
];

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    #[serde(borrow)]
    message: Message<'a>,
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(rename = "requestId", borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(rename = "costUSD")]
    cost_usd: Option<f64>,
    #[serde(rename = "isSidechain")]
    is_sidechain: Option<bool>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    usage: UsageStrict,
}

/// An agent-progress line: a subagent's response wrapped in `data.message` (read by the daily
/// report only, as the reference does).
#[derive(Deserialize)]
struct ProgressLine<'a> {
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    data: ProgressData<'a>,
}

#[derive(Deserialize)]
struct ProgressData<'a> {
    #[serde(borrow)]
    message: ProgressMessage<'a>,
}

#[derive(Deserialize)]
struct ProgressMessage<'a> {
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    #[serde(borrow)]
    message: Message<'a>,
    #[serde(rename = "requestId", borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(rename = "costUSD")]
    cost_usd: Option<f64>,
    #[serde(rename = "isSidechain")]
    is_sidechain: Option<bool>,
}

impl<'a> From<ProgressLine<'a>> for Line<'a> {
    fn from(p: ProgressLine<'a>) -> Self {
        let m = p.data.message;
        Line {
            timestamp: m.timestamp,
            message: m.message,
            session_id: p.session_id,
            request_id: m.request_id,
            version: None,
            cost_usd: m.cost_usd,
            is_sidechain: m.is_sidechain,
        }
    }
}

/// One element of `usage.iterations` (the advisor feature).
#[derive(Deserialize)]
struct Iteration {
    #[serde(rename = "type")]
    kind: String,
    model: Option<String>,
    #[serde(flatten)]
    usage: UsageStrict,
}

#[derive(Deserialize)]
struct UsageStrict {
    input_tokens: u64,
    output_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: u64,
    cache_creation: Option<CacheCreation>,
    speed: Option<Speed>,
    /// Read only when the line mentions `advisor_message`.
    #[serde(default)]
    iterations: Option<Box<serde_json::value::RawValue>>,
}

impl UsageStrict {
    fn tokens(&self) -> Billable {
        let (c5, c1) = match &self.cache_creation {
            Some(c) => (c.ephemeral_5m_input_tokens, c.ephemeral_1h_input_tokens),
            None => (self.cache_creation_input_tokens, 0),
        };
        Billable {
            input: self.input_tokens,
            output: self.output_tokens,
            cache_write_5m: c5,
            cache_write_1h: c1,
            cache_read: self.cache_read_input_tokens,
        }
    }
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Speed {
    Standard,
    Fast,
}

/// The byte patterns every line is searched for, built once.
struct Finders {
    usage: memmem::Finder<'static>,
    null: memmem::Finder<'static>,
    advisor: memmem::Finder<'static>,
}

impl Finders {
    fn new() -> Self {
        Self {
            usage: memmem::Finder::new(b"\"usage\":{"),
            null: memmem::Finder::new(b":null"),
            advisor: memmem::Finder::new(b"\"advisor_message\""),
        }
    }
}

fn null_guarded(line: &[u8], finders: &Finders) -> bool {
    finders.null.find_iter(line).any(|at| {
        let before = &line[..at];
        let Some(close) = before
            .last()
            .filter(|b| **b == b'"')
            .map(|_| before.len() - 1)
        else {
            return false;
        };
        let Some(open) = before[..close].iter().rposition(|b| *b == b'"') else {
            return false;
        };
        NULL_GUARD.contains(&&before[open + 1..close])
    })
}

/// `YYYY-MM-DDTHH:MM:SS`, optional `.mmm` (exactly three digits), then `Z` or `±HH:MM`.
fn strict_time(t: &str) -> Option<DateTime<Utc>> {
    let b = t.as_bytes();
    let ok_len = matches!(b.len(), 20 | 24 | 25 | 29);
    let frac = b.get(19) == Some(&b'.');
    let zone_at = if frac { 23 } else { 19 };
    let zone_ok = match b.get(zone_at) {
        Some(b'Z') => b.len() == zone_at + 1,
        Some(b'+' | b'-') => b.len() == zone_at + 6 && b[zone_at + 3] == b':',
        _ => false,
    };
    let frac_ok = !frac || b[20..23].iter().all(u8::is_ascii_digit);
    if !(ok_len && zone_ok && frac_ok && b[10] == b'T') {
        return None;
    }
    DateTime::parse_from_rfc3339(t).ok().map(|t| t.to_utc())
}

/// `digits.digits.digit...`
fn semver_prefix(v: &str) -> bool {
    let mut parts = v.splitn(3, '.');
    let num =
        |s: Option<&str>| s.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    num(parts.next())
        && num(parts.next())
        && parts
            .next()
            .and_then(|s| s.bytes().next())
            .is_some_and(|b| b.is_ascii_digit())
}

fn non_empty(s: &Option<Cow<'_, str>>) -> bool {
    s.as_deref() != Some("")
}

/// The identity of an id string (see [`IdHash`]).
pub fn id_hash(s: &str) -> IdHash {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write(s.as_bytes());
    h.finish()
}

/// What reading a line needs besides the line.
struct Context<'f> {
    file: u32,
    /// The session of lines without `sessionId`.
    file_session: IdHash,
    /// Read agent-progress wrappers (the daily report does).
    progress: bool,
    finders: &'f Finders,
}

/// One line's entries, pushed to `out` (numbered on from `out.len()`): its response, then one
/// per advisor iteration. `Ok(false)`: no usage, or a line the rules leave out on purpose
/// (Claude Code's own error lines carry `"speed":null`); `Err(())`: it has usage but cannot be
/// read (bad JSON, wrong types, an odd timestamp).
fn entries_of(
    line: &[u8],
    cx: &Context<'_>,
    first_seq: u32,
    models: &mut Models,
    out: &mut Vec<Entry>,
) -> Result<bool, ()> {
    let finders = cx.finders;
    if finders.usage.find(line).is_none() {
        return Ok(false);
    }
    if null_guarded(line, finders) {
        return Ok(false);
    }
    let l: Line<'_> = match serde_json::from_slice(line) {
        Ok(l) => l,
        // An agent-progress wrapper: counted by the daily report only, but readable for all.
        Err(_) => match serde_json::from_slice::<ProgressLine<'_>>(line) {
            Ok(p) if cx.progress => p.into(),
            Ok(_) => return Ok(false),
            Err(_) => return Err(()),
        },
    };
    let at = strict_time(&l.timestamp).ok_or(())?;
    if l.version.as_deref().is_some_and(|v| !semver_prefix(v))
        || !non_empty(&l.session_id)
        || !non_empty(&l.request_id)
        || !non_empty(&l.message.id)
        || !non_empty(&l.message.model)
    {
        return Err(());
    }
    let u = &l.message.usage;
    let seq = first_seq + out.len() as u32;
    let parent = Entry {
        at,
        message_id: l.message.id.as_deref().map(id_hash),
        request_id: l.request_id.as_deref().map(id_hash),
        session: l.session_id.as_deref().map_or(cx.file_session, id_hash),
        model: l
            .message
            .model
            .as_deref()
            .filter(|m| *m != "<synthetic>")
            .map(|m| models.id(m)),
        file: cx.file,
        seq,
        tokens: u.tokens(),
        sidechain: l.is_sidechain.unwrap_or(false),
        has_speed: u.speed.is_some(),
        fast: u.speed == Some(Speed::Fast),
        cost_usd: l.cost_usd,
    };
    // Advisor iterations: each is one more response, right after its parent; if one cannot be
    // read, there are none.
    let advisors: Vec<Iteration> = match (&u.iterations, finders.advisor.find(line)) {
        (Some(raw), Some(_)) => serde_json::from_str(raw.get()).unwrap_or_default(),
        _ => Vec::new(),
    };
    let parent_id = l.message.id.as_deref().unwrap_or("");
    out.push(parent.clone());
    let mut k = 0;
    for it in advisors {
        let Some(model) = it
            .model
            .filter(|m| it.kind == "advisor_message" && !m.is_empty())
        else {
            continue;
        };
        out.push(Entry {
            message_id: Some(id_hash(&format!("{parent_id}:advisor:{k}"))),
            model: Some(models.id(&model)),
            seq: first_seq + out.len() as u32,
            tokens: it.usage.tokens(),
            has_speed: it.usage.speed.is_some(),
            fast: it.usage.speed == Some(Speed::Fast),
            cost_usd: None,
            ..parent.clone()
        });
        k += 1;
    }
    Ok(true)
}

/// The session a file belongs to, from its path below `projects/`.
pub fn file_session(path: &Path) -> SessionFile {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .skip_while(|c| c != "projects")
        .skip(1)
        .collect();
    SessionFile::from_components(&parts)
}

/// Entries of one file's bytes, in line order, numbered from `first_seq`, and how many usage
/// lines were skipped. `progress`: also read agent-progress wrappers (the daily report does).
pub fn entries_in(
    bytes: &[u8],
    file: u32,
    first_seq: u32,
    session: IdHash,
    progress: bool,
    models: &mut Models,
) -> (Vec<Entry>, u64) {
    let finders = Finders::new();
    let cx = Context {
        file,
        file_session: session,
        progress,
        finders: &finders,
    };
    let mut out = Vec::new();
    let mut skipped = 0;
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
    for end in ends {
        let line = &bytes[start..end];
        start = end + 1;
        if entries_of(line, &cx, first_seq, models, &mut out).is_err() {
            skipped += 1;
        }
    }
    (out, skipped)
}
