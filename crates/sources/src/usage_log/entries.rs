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
}

impl Finders {
    fn new() -> Self {
        Self {
            usage: memmem::Finder::new(b"\"usage\":{"),
            null: memmem::Finder::new(b":null"),
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

/// One line's entry, if it is one. `Ok(None)`: no usage, or a line the rules leave out on
/// purpose (Claude Code's own error lines carry `"speed":null`); `Err(())`: it has usage but
/// cannot be read (bad JSON, wrong types, an odd timestamp).
fn entry(
    line: &[u8],
    file: u32,
    seq: u32,
    file_session: IdHash,
    models: &mut Models,
    finders: &Finders,
) -> Result<Option<Entry>, ()> {
    if finders.usage.find(line).is_none() {
        return Ok(None);
    }
    if null_guarded(line, finders) {
        return Ok(None);
    }
    let l: Line<'_> = serde_json::from_slice(line).map_err(drop)?;
    let at = strict_time(&l.timestamp).ok_or(())?;
    if l.version.as_deref().is_some_and(|v| !semver_prefix(v))
        || !non_empty(&l.session_id)
        || !non_empty(&l.request_id)
        || !non_empty(&l.message.id)
        || !non_empty(&l.message.model)
    {
        return Err(());
    }
    let u = l.message.usage;
    let (c5, c1) = match u.cache_creation {
        Some(c) => (c.ephemeral_5m_input_tokens, c.ephemeral_1h_input_tokens),
        None => (u.cache_creation_input_tokens, 0),
    };
    Ok(Some(Entry {
        at,
        message_id: l.message.id.as_deref().map(id_hash),
        request_id: l.request_id.as_deref().map(id_hash),
        session: l.session_id.as_deref().map_or(file_session, id_hash),
        model: l
            .message
            .model
            .as_deref()
            .filter(|m| *m != "<synthetic>")
            .map(|m| models.id(m)),
        file,
        seq,
        tokens: Billable {
            input: u.input_tokens,
            output: u.output_tokens,
            cache_write_5m: c5,
            cache_write_1h: c1,
            cache_read: u.cache_read_input_tokens,
        },
        sidechain: l.is_sidechain.unwrap_or(false),
        has_speed: u.speed.is_some(),
        fast: u.speed == Some(Speed::Fast),
        cost_usd: l.cost_usd,
    }))
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
/// lines were skipped.
pub fn entries_in(
    bytes: &[u8],
    file: u32,
    first_seq: u32,
    session: IdHash,
    models: &mut Models,
) -> (Vec<Entry>, u64) {
    let finders = Finders::new();
    let mut out = Vec::new();
    let mut skipped = 0;
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
    for end in ends {
        let line = &bytes[start..end];
        start = end + 1;
        let seq = first_seq + out.len() as u32;
        match entry(line, file, seq, session, models, &finders) {
            Ok(Some(e)) => out.push(e),
            Ok(None) => {}
            Err(()) => skipped += 1,
        }
    }
    (out, skipped)
}
