//! The error knowledge base: every error Claude Code shows that ccpulse knows, with its cause,
//! the fix and the commands to run. The entries are data (`kb/errors.json`, embedded at build
//! time and checked by tests); this module finds the entry for a message a user pasted.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Stable, kebab-case: `overloaded`, `session-limit`, `invalid-api-key`.
    pub id: String,
    pub title: String,
    /// `server`, `limits`, `auth`, `network`, `request` or `quality`.
    pub group: String,
    /// The headings of the error reference this entry answers (exact text).
    pub headings: Vec<String>,
    /// Lower-case substrings of the messages users see; any one matching picks the entry.
    pub patterns: Vec<String>,
    pub cause: String,
    /// What to do, in order.
    pub fix: Vec<String>,
    /// Slash commands and shell commands, as typed.
    pub commands: Vec<String>,
    #[serde(default)]
    pub env: Vec<EnvVar>,
    #[serde(default)]
    pub links: Vec<String>,
    /// Whether the failed requests count against the plan's quota (`None`: does not apply).
    pub counts_against_quota: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvVar {
    pub name: String,
    pub default: Option<String>,
    pub note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    entries: Vec<Entry>,
}

static ENTRIES: LazyLock<Vec<Entry>> = LazyLock::new(|| {
    serde_json::from_str::<File>(include_str!("../kb/errors.json"))
        .expect("kb/errors.json is checked by the tests")
        .entries
});

/// What an incident notice adds: the failures are not the user's quota, and the way around.
pub const INCIDENT_FIX: &str = "Failed requests do not count against your plan. Wait and retry; \
                                if one model is affected, /model to another may work.";

/// Every entry, in the reference's order.
pub fn entries() -> &'static [Entry] {
    &ENTRIES
}

pub fn get(id: &str) -> Option<&'static Entry> {
    entries().iter().find(|e| e.id == id)
}

/// How an entry was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum How {
    /// One of its patterns is in the text.
    Pattern { pattern: String },
    /// No pattern matched; it shares these words with the text (score 0 to 1).
    Words { score: f64 },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub entry: &'static Entry,
    pub how: How,
}

/// Below this share of a candidate's words, a word match is not offered.
const WORDS_THRESHOLD: f64 = 0.34;

/// The entries for `text`, best first: those with a pattern in it (the longest pattern
/// first), else up to three that share enough words with it.
pub fn find(text: &str) -> Vec<Match> {
    let hay = normalize(text);
    let mut by_pattern: Vec<(usize, Match)> = entries()
        .iter()
        .filter_map(|e| {
            let p = e
                .patterns
                .iter()
                .filter(|p| pattern_in(&hay, &normalize(p)))
                .max_by_key(|p| p.len())?;
            Some((
                p.len(),
                Match {
                    entry: e,
                    how: How::Pattern { pattern: p.clone() },
                },
            ))
        })
        .collect();
    if !by_pattern.is_empty() {
        by_pattern.sort_by_key(|(len, _)| std::cmp::Reverse(*len));
        return by_pattern.into_iter().map(|(_, m)| m).collect();
    }
    let words = words(&hay);
    if words.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(f64, &'static Entry)> = entries()
        .iter()
        .filter_map(|e| {
            let score = e
                .patterns
                .iter()
                .chain(std::iter::once(&e.title))
                .map(|p| overlap(&words, &self::words(&normalize(p))))
                .fold(0.0, f64::max);
            (score >= WORDS_THRESHOLD).then_some((score, e))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .into_iter()
        .take(3)
        .map(|(score, entry)| Match {
            entry,
            how: How::Words { score },
        })
        .collect()
}

/// The reference as searched while typing: every entry for an empty query; else the entries
/// [`find`] picks for it, then every other entry whose id, title, patterns, commands or
/// environment variables hold each word of the query, in the reference's order.
pub fn search(query: &str) -> Vec<&'static Entry> {
    let query = normalize(query);
    let terms: Vec<&str> = query.split(' ').filter(|t| !t.is_empty()).collect();
    if terms.is_empty() {
        return entries().iter().collect();
    }
    let mut out: Vec<&'static Entry> = find(&query).into_iter().map(|m| m.entry).collect();
    for e in entries() {
        let hay = normalize(
            &[&e.id, &e.title]
                .into_iter()
                .chain(&e.patterns)
                .chain(&e.commands)
                .chain(e.env.iter().map(|v| &v.name))
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
        );
        if terms.iter().all(|t| hay.contains(t)) && !out.iter().any(|o| o.id == e.id) {
            out.push(e);
        }
    }
    out
}

/// Lower case, typographic quotes and dashes made plain, runs of space made one.
/// Whether `pattern` (normalized) is in `hay`: as is, or, where it has a `*`, with one to three
/// words in its place (a model's name: "reached your * limit" finds "reached your Zeta 2 limit").
/// The words may not cross a sentence (`.`, `·`, `:`).
fn pattern_in(hay: &str, pattern: &str) -> bool {
    let Some((before, after)) = pattern.split_once('*') else {
        return hay.contains(pattern);
    };
    let (before, after) = (before.trim_end(), after.trim_start());
    if before.is_empty() || after.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(at) = hay[from..].find(before) {
        let start = from + at + before.len();
        let rest = &hay[start..];
        let window: String = rest.chars().take(60).collect();
        if let Some(end) = window.find(after) {
            let gap = &window[..end];
            let words = gap.split_whitespace().count();
            if (1..=3).contains(&words)
                && !gap.contains(['.', '\u{b7}', ':'])
                && gap.starts_with(' ')
            {
                return true;
            }
        }
        from = start;
    }
    false
}

fn normalize(text: &str) -> String {
    let plain: String = text
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '`' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            '\u{2013}' | '\u{2014}' => '-',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Words that say nothing about which error it is: filler, "not", and the "API Error" and
/// "Claude Code" so many messages carry. Sharing only these is no reason to offer an entry.
const STOPWORDS: &[&str] = &[
    "and", "api", "are", "but", "claude", "code", "error", "errors", "for", "from", "has", "have",
    "its", "may", "not", "that", "the", "there", "this", "was", "were", "what", "when", "with",
    "you", "your",
];

/// The words of three letters or more (digits count: `529`), stopwords left out.
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3 && !STOPWORDS.contains(w))
        .map(String::from)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The share of `candidate`'s words found in `text`'s words; 0 unless at least two are found
/// (or the only one): one word in common, "failed" or "model", says nothing.
fn overlap(text: &[String], candidate: &[String]) -> f64 {
    if candidate.is_empty() {
        return 0.0;
    }
    let hits = candidate
        .iter()
        .filter(|w| text.binary_search(w).is_ok())
        .count();
    if hits < candidate.len().min(2) {
        return 0.0;
    }
    hits as f64 / candidate.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str) -> &'static str {
        find(text).first().map_or("(none)", |m| m.entry.id.as_str())
    }

    #[test]
    fn a_star_stands_for_a_models_name_of_one_to_three_words() {
        assert!(pattern_in(
            "you've hit your zeta 2 limit",
            "hit your * limit"
        ));
        assert!(!pattern_in("you've hit your limit", "hit your * limit"));
        assert!(!pattern_in(
            "you've hit your limit. a limit",
            "hit your * limit"
        ));
        assert!(!pattern_in("hit your a b c d limit", "hit your * limit"));
        assert!(!pattern_in("anything", "* limit"));
    }

    #[test]
    fn a_cap_on_a_model_it_never_heard_of_is_still_a_model_cap() {
        for (text, want) in [
            (
                "You've reached your Zeta limit for this week. Switch models?",
                "model-limit",
            ),
            ("You've hit your Zeta 2 limit · resets Dec 9", "model-limit"),
            ("You've hit your limit · resets 3pm", "session-limit"),
            (
                "You've hit your weekly limit · resets Dec 9",
                "weekly-limit",
            ),
            ("You've hit your fast limit · resets in 42m", "fast-limit"),
        ] {
            assert_eq!(first(text), want, "{text}");
        }
    }
}
