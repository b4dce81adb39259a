//! `cargo xtask kb-harvest PATH [--out FILE]`: the user-facing error, limit and warning messages
//! of an installed Claude Code, merged into the reviewed list `crates/core/kb/client-<version>.txt`.
//!
//! Claude Code ships as a native binary whose bundled JavaScript is plain text inside it. The
//! harvest reads that file's bytes (it never runs it) and:
//!
//! 1. *Finds string literals*: `"..."`, `'...'` and `` `...` `` whose opening quote does not
//!    follow a letter or digit (an apostrophe in "You've" opens nothing), on one line for the
//!    first two, with JavaScript escapes decoded (`\xB7` is `·`). A template's `${...}`, and the
//!    `%s`/`%d` of a format string, become `{}`. A literal that breaks off (a control byte, no
//!    closing quote within 2 000 bytes) is dropped and the scan goes on one byte further.
//! 2. *Keeps the sentence-like ones*: 12 to 240 characters once runs of space are made one;
//!    starting with a capital letter, a digit, `{}` or `⚠`; at least four words, letters making
//!    most of it; nothing that reads as code, markup or a path (`=>`, `===`, `&&`, `;`, `</`,
//!    `{"`, `__`, a `snake_case` or `camelCase` word, an ANSI escape).
//! 3. *Keeps those on the knowledge base's topics*: a limit, usage, usage credits, spend,
//!    overload, rate limits, a retired model, a budget, a token maximum, the login and
//!    authentication, the credit balance, the context window, the connection (see [`TOPICS`]).
//! 4. *Leaves out what is said to the model, not to the user*: prompt wording ("you must",
//!    "the user", "do not") and analytics names (see [`NOT_FOR_USERS`]).
//!
//! The file keeps one message template a line (the format is written at its top). A re-run
//! keeps every line's mark, gives new messages the `?` mark (the core's `client_messages` test
//! fails until each is reviewed) and reports the messages that vanished; when the file does not
//! exist yet, the marks of the newest other `client-*.txt` are carried over.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Lower-case wording that puts a literal on the knowledge base's topics: limits, usage
/// credits, spend, a retired model, budgets, token maximums, overload, rate limits and the
/// login messages users paste. Broader words ("limit", "usage", "login", "organization") were
/// tried and brought in 1 800 texts, mostly settings help, sign-in flows of other products and
/// TypeScript's own messages.
const TOPICS: &[&str] = &[
    "usage credit",
    "extra usage",
    "out of usage",
    "usage limit",
    "usage allocation",
    "spend limit",
    "fast limit",
    "hit your",
    "reached your",
    "limit reached",
    "retired",
    "retiring",
    "newer model",
    "budget",
    "token maximum",
    "overloaded",
    "rate limit",
    "rate-limit",
    "credit balance",
    "not logged in",
    "login expired",
    "invalid api key",
    "oauth token",
];

/// Wording that tells the model or a developer, not the user, what is going on.
const NOT_FOR_USERS: &[&str] = &[
    "you must",
    "the user",
    "user's",
    "do not ",
    "don't ",
    "never ",
    "tengu_",
    "assistant",
    "the model should",
    "your task",
    "respond with",
];

const CODE_MARKS: &[&str] = &[
    "=>",
    "===",
    "!==",
    "&&",
    "||",
    ";",
    "</",
    "/>",
    "{\"",
    "__",
    "\u{1b}",
    "\\",
    "function(",
    "()",
    "[object",
];

const HEADER: &str = "\
# The messages of Claude Code {VERSION}, harvested from its binary by
# `cargo xtask kb-harvest PATH` (xtask/src/kb_harvest.rs says how they are picked) and reviewed.
# `{}` stands for what Claude Code fills in (a time, a model, a number).
#
# One message a line, its fields separated by one TAB:
#   ENTRY-ID<TAB>MESSAGE     the knowledge base entry (kb/errors.json) this message finds:
#                            crates/core/tests/client_messages.rs checks that it does
#   -<TAB>WHY<TAB>MESSAGE    not an error a user would paste into `ccpulse fix`, and why
#   ?<TAB>MESSAGE            not reviewed yet: the test fails until it is marked
# A re-run of the harvest keeps the marks, adds new messages with `?` and drops (and reports)
# the ones that vanished. Lines are sorted by message.
";

/// A line's mark: an entry, not an error (with why), or not reviewed.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Mark {
    Entry(String),
    NotAnError(String),
    Unreviewed,
}

pub fn run(args: &[String]) -> Result<()> {
    let mut path = None;
    let mut out = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--out" => out = Some(PathBuf::from(it.next().context("--out needs a file")?)),
            a if a.starts_with('-') => bail!("unknown option {a}"),
            a if path.is_none() => path = Some(PathBuf::from(a)),
            a => bail!("one PATH only (also got {a})"),
        }
    }
    let path = path.context("usage: cargo xtask kb-harvest PATH-TO-CLAUDE [--out FILE]")?;
    let binary = find_binary(&path)?;
    let version = version_of(&binary)?;
    let bytes = std::fs::read(&binary).with_context(|| format!("reading {}", binary.display()))?;
    let messages = harvest(&bytes);
    let kb_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/core/kb");
    let out = out.unwrap_or_else(|| kb_dir.join(format!("client-{version}.txt")));
    let (previous, from) = if out.exists() {
        (parse(&read(&out)?)?, Some(out.clone()))
    } else {
        match newest_other(&kb_dir, &out)? {
            Some(p) => (parse(&read(&p)?)?, Some(p)),
            None => (BTreeMap::new(), None),
        }
    };
    let mut lines = BTreeMap::new();
    let mut new = 0;
    for m in &messages {
        let mark = previous.get(m).cloned().unwrap_or_else(|| {
            new += 1;
            Mark::Unreviewed
        });
        lines.insert(m.clone(), mark);
    }
    let vanished: Vec<&String> = previous
        .keys()
        .filter(|m| !lines.contains_key(*m))
        .collect();
    std::fs::write(&out, render(&version, &lines))
        .with_context(|| format!("writing {}", out.display()))?;
    let unreviewed = lines.values().filter(|m| **m == Mark::Unreviewed).count();
    let entries: BTreeSet<&str> = lines
        .values()
        .filter_map(|m| match m {
            Mark::Entry(id) => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let not_errors = lines
        .values()
        .filter(|m| matches!(m, Mark::NotAnError(_)))
        .count();
    println!(
        "{}: Claude Code {version}, {} messages ({} to {} entries, {not_errors} not an error, \
         {unreviewed} unreviewed; {new} new{})",
        out.display(),
        lines.len(),
        lines.len() - not_errors - unreviewed,
        entries.len(),
        from.map(|p| format!(", marks from {}", p.display()))
            .unwrap_or_default()
    );
    for m in &vanished {
        println!("vanished: {m}");
    }
    if unreviewed > 0 {
        println!("review the `?` lines: mark each with an entry id, or `-<TAB>why`");
    }
    Ok(())
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// The native binary: PATH itself, or found under PATH (an npm prefix or package folder).
fn find_binary(path: &Path) -> Result<PathBuf> {
    if path.is_file() {
        return Ok(path.canonicalize()?);
    }
    let scope = ["node_modules/@anthropic-ai", "@anthropic-ai", ".."];
    for s in scope {
        let Ok(dir) = std::fs::read_dir(path.join(s)) else {
            continue;
        };
        let mut found: Vec<PathBuf> = dir
            .flatten()
            .map(|e| e.path().join("claude"))
            .filter(|p| {
                p.is_file()
                    && p.parent()
                        .and_then(Path::file_name)
                        .is_some_and(|n| n.to_string_lossy().starts_with("claude-code-"))
            })
            .collect();
        found.sort();
        if let Some(p) = found.pop() {
            return Ok(p);
        }
    }
    bail!(
        "no Claude Code binary under {} (give the `claude` file, or the folder npm installed \
         @anthropic-ai/claude-code into)",
        path.display()
    )
}

/// The version in the `package.json` next to the binary.
fn version_of(binary: &Path) -> Result<String> {
    let manifest = binary.with_file_name("package.json");
    let json: serde_json::Value = serde_json::from_str(&read(&manifest)?)
        .with_context(|| format!("parsing {}", manifest.display()))?;
    let v = json["version"]
        .as_str()
        .with_context(|| format!("no version in {}", manifest.display()))?;
    anyhow::ensure!(
        !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c)),
        "odd version {v:?}"
    );
    Ok(v.to_string())
}

/// The newest `client-*.txt` in `dir` other than `except`, by version.
fn newest_other(dir: &Path, except: &Path) -> Result<Option<PathBuf>> {
    let mut found: Vec<(Vec<u64>, PathBuf)> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p != except)
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            let v = name.strip_prefix("client-")?.strip_suffix(".txt")?;
            let key = v.split('.').map(|n| n.parse().unwrap_or(0)).collect();
            Some((key, p))
        })
        .collect();
    found.sort();
    Ok(found.pop().map(|(_, p)| p))
}

fn parse(text: &str) -> Result<BTreeMap<String, Mark>> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let (mark, message) = match fields.as_slice() {
            ["?", m] => (Mark::Unreviewed, *m),
            ["-", why, m] => (Mark::NotAnError((*why).to_string()), *m),
            [id, m] if *id != "-" => (Mark::Entry((*id).to_string()), *m),
            _ => bail!(
                "line {}: not `ID<TAB>MESSAGE`, `-<TAB>WHY<TAB>MESSAGE` or `?<TAB>MESSAGE`",
                n + 1
            ),
        };
        out.insert(message.to_string(), mark);
    }
    Ok(out)
}

fn render(version: &str, lines: &BTreeMap<String, Mark>) -> String {
    let mut out = HEADER.replace("{VERSION}", version);
    out.push('\n');
    for (message, mark) in lines {
        let _ = match mark {
            Mark::Entry(id) => writeln!(out, "{id}\t{message}"),
            Mark::NotAnError(why) => writeln!(out, "-\t{why}\t{message}"),
            Mark::Unreviewed => writeln!(out, "?\t{message}"),
        };
    }
    out
}

/// The user-facing messages among the string literals of `bytes`, deduplicated.
pub fn harvest(bytes: &[u8]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        let q = bytes[i];
        let opens = matches!(q, b'"' | b'\'' | b'`')
            && (i == 0
                || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'\\')
                || KEYWORDS.iter().any(|k| after_keyword(&bytes[..i], k)));
        if !opens {
            i += 1;
            continue;
        }
        match literal(bytes, i) {
            Some((text, end)) => {
                if let Some(m) = message(&text) {
                    out.insert(m);
                }
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

const MAX_LITERAL: usize = 2000;

/// Keywords a literal may follow with no space in minified code (`return"..."`).
const KEYWORDS: &[&[u8]] = &[
    b"return", b"case", b"throw", b"typeof", b"void", b"in", b"of",
];

/// Whether `before` ends with the keyword `k` as a whole word.
fn after_keyword(before: &[u8], k: &[u8]) -> bool {
    before.ends_with(k)
        && before.len().checked_sub(k.len() + 1).is_none_or(|j| {
            !(before[j].is_ascii_alphanumeric() || matches!(before[j], b'_' | b'$' | b'.'))
        })
}

/// The literal opening at `start` (its decoded text, placeholders as `{}`) and the index after
/// its closing quote.
fn literal(bytes: &[u8], start: usize) -> Option<(String, usize)> {
    let q = bytes[start];
    let mut raw: Vec<u8> = Vec::new();
    let mut i = start + 1;
    while i < bytes.len() && i - start < MAX_LITERAL {
        let b = bytes[i];
        match b {
            _ if b == q => {
                let text = String::from_utf8(raw).ok()?;
                return Some((text, i + 1));
            }
            b'\\' => {
                let (s, next) = escape(bytes, i + 1)?;
                raw.extend_from_slice(s.as_bytes());
                i = next;
                continue;
            }
            b'$' if q == b'`' && bytes.get(i + 1) == Some(&b'{') => {
                i = skip_expression(bytes, i + 2)?;
                raw.extend_from_slice(b"{}");
                continue;
            }
            b'\n' if q == b'`' => raw.push(b' '),
            b'\t' => raw.push(b' '),
            _ if b < 0x20 || b == 0x7f => return None,
            _ => raw.push(b),
        }
        i += 1;
    }
    None
}

/// A JavaScript escape after its backslash: the text it stands for and the index after it.
fn escape(bytes: &[u8], i: usize) -> Option<(String, usize)> {
    let hex = |from: usize, len: usize| -> Option<char> {
        let s = std::str::from_utf8(bytes.get(from..from + len)?).ok()?;
        char::from_u32(u32::from_str_radix(s, 16).ok()?)
    };
    Some(match *bytes.get(i)? {
        b'n' | b't' | b'r' => (" ".into(), i + 1),
        b'x' => (hex(i + 1, 2)?.to_string(), i + 3),
        b'u' if bytes.get(i + 1) == Some(&b'{') => {
            let close = bytes[i + 2..].iter().take(8).position(|&b| b == b'}')?;
            (hex(i + 2, close)?.to_string(), i + 3 + close)
        }
        b'u' => (hex(i + 1, 4)?.to_string(), i + 5),
        b'\n' => (String::new(), i + 1),
        b if b.is_ascii() => ((b as char).to_string(), i + 1),
        _ => return None,
    })
}

/// Skips a template's `${...}` from after its `{`: braces counted, nested literals skipped.
fn skip_expression(bytes: &[u8], mut i: usize) -> Option<usize> {
    let start = i;
    let mut depth = 1;
    while i < bytes.len() && i - start < MAX_LITERAL {
        match bytes[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'"' | b'\'' | b'`' => {
                let (_, end) = literal(bytes, i)?;
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `text` as a message template if it reads as a user-facing message on the topics.
fn message(text: &str) -> Option<String> {
    let text = text.replace("%s", "{}").replace("%d", "{}");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let len = text.chars().count();
    if !(12..=240).contains(&len) {
        return None;
    }
    let first = text.chars().next()?;
    let starts = first.is_uppercase()
        || first.is_ascii_digit()
        || text.starts_with("{}")
        || first == '⚠'
        || text.contains(" · ");
    if !starts {
        return None;
    }
    let words: Vec<&str> = text.split(' ').collect();
    if words
        .iter()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count()
        < 4
    {
        return None;
    }
    let letters = text
        .chars()
        .filter(|c| c.is_alphabetic() || *c == ' ')
        .count();
    if letters * 10 < len * 7 {
        return None;
    }
    if CODE_MARKS.iter().any(|m| text.contains(m)) || words.iter().any(|w| identifier(w)) {
        return None;
    }
    let lower = text.to_lowercase();
    if !TOPICS.iter().any(|t| lower.contains(t)) || NOT_FOR_USERS.iter().any(|t| lower.contains(t))
    {
        return None;
    }
    Some(text)
}

/// A word that is a name in code: `snake_case`, or `camelCase` (lower case, then upper).
fn identifier(word: &str) -> bool {
    let w = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
    let env_var = w
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if w.contains('_') && !env_var && w.chars().any(char::is_alphabetic) {
        return true;
    }
    let chars: Vec<char> = w.chars().collect();
    chars.first().is_some_and(|c| c.is_lowercase())
        && chars
            .windows(2)
            .any(|p| p[0].is_lowercase() && p[1].is_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_found_decoded_and_templated() {
        let js = br#"return`You're out of extra usage`;x=q?"You've hit your fast limit":`${a} was retired on ${b.c?"x":"y"}. Consider switching to a newer model.`;y="Your org is out of usage \xB7 contact your admin";it's 'a'"#;
        let got: Vec<String> = harvest(js).into_iter().collect();
        assert_eq!(
            got,
            [
                "You're out of extra usage",
                "You've hit your fast limit",
                "Your org is out of usage \u{b7} contact your admin",
                "{} was retired on {}. Consider switching to a newer model.",
            ]
        );
    }

    #[test]
    fn code_prompts_and_off_topic_text_are_left_out() {
        for text in [
            "Usage: foo && bar",
            "You must never reveal the usage limit to the user.",
            "The file could not be opened because it is locked.",
            "tengu_usage_limit reached for this session",
            "rateLimitTier is not set for this usage",
            "limit",
        ] {
            assert_eq!(message(text), None, "{text}");
        }
        assert!(message("Error: Exceeded USD budget (%s)").is_some());
    }

    #[test]
    fn marks_survive_a_round_trip() {
        let mut lines = BTreeMap::new();
        lines.insert("A message one two".to_string(), Mark::Entry("x-y".into()));
        lines.insert("B message".to_string(), Mark::NotAnError("a tip".into()));
        lines.insert("C message".to_string(), Mark::Unreviewed);
        assert_eq!(parse(&render("1.0", &lines)).unwrap(), lines);
    }
}
