//! The messages of the real Claude Code (`kb/client-2.1.332.txt`, harvested from its binary by
//! `cargo xtask kb-harvest` and reviewed): each one marked with an entry finds exactly that
//! entry first, and no line is left unreviewed. `-- --nocapture` prints every message checked.

use ccpulse_core::kb::{self, How};

const CLIENT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/kb/client-2.1.332.txt"
));

enum Mark<'a> {
    Entry(&'a str),
    NotAnError,
    Unreviewed,
}

/// Every line of the file: its number, mark and message template.
fn lines() -> Vec<(usize, Mark<'static>, &'static str)> {
    CLIENT
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(n, l)| {
            let fields: Vec<&str> = l.split('\t').collect();
            let (mark, message) = match fields.as_slice() {
                ["?", m] => (Mark::Unreviewed, *m),
                ["-", why, m] if !why.trim().is_empty() => (Mark::NotAnError, *m),
                [id, m] if *id != "-" => (Mark::Entry(id), *m),
                _ => panic!("line {}: not a mark and a message: {l:?}", n + 1),
            };
            (n + 1, mark, message)
        })
        .collect()
}

/// The template with each `{}` filled the way Claude Code would fill it there: a time after
/// "resets", a sum after `$`, a token count before "output token", else a model's name.
fn fill(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find("{}") {
        let before = &rest[..at];
        let after = &rest[at + 2..];
        out.push_str(before);
        let value = if before.ends_with('$') || before.ends_with("($") {
            "5"
        } else if after.starts_with(" output token") {
            "32000"
        } else if before.ends_with("resets ") || before.ends_with("on ") {
            "Aug 8, 3pm"
        } else if before.ends_with("in ") {
            "42m"
        } else if before.ends_with("(") {
            "5"
        } else {
            "Claude Opus 4.7"
        };
        out.push_str(value);
        rest = after;
    }
    out.push_str(rest);
    out
}

#[test]
fn every_client_message_marked_with_an_entry_finds_it_first() {
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (n, mark, message) in lines() {
        let Mark::Entry(id) = mark else { continue };
        assert!(kb::get(id).is_some(), "line {n}: no entry {id}");
        let text = fill(message);
        let found = kb::find(&text);
        match found.first() {
            Some(m) if m.entry.id == id && matches!(m.how, How::Pattern { .. }) => {
                println!("  {id:<28} <- {text}");
                checked += 1;
            }
            Some(m) => wrong.push(format!(
                "line {n}: {text:?} found {} by {:?}, marked {id}",
                m.entry.id, m.how
            )),
            None => wrong.push(format!("line {n}: {text:?} found nothing, marked {id}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        checked >= 100,
        "only {checked} messages marked with an entry"
    );
}

#[test]
fn no_client_message_is_left_unreviewed() {
    let all = lines();
    let unreviewed: Vec<String> = all
        .iter()
        .filter(|(_, mark, _)| matches!(mark, Mark::Unreviewed))
        .map(|(n, _, m)| format!("line {n}: {m}"))
        .collect();
    assert!(
        unreviewed.is_empty(),
        "mark these (an entry id, or `-<TAB>why`):\n{}",
        unreviewed.join("\n")
    );
    let not_errors = all
        .iter()
        .filter(|(_, mark, _)| matches!(mark, Mark::NotAnError))
        .count();
    println!("{} messages, {not_errors} not an error", all.len());
}

#[test]
fn the_placeholders_are_filled() {
    assert_eq!(
        fill("Error: Exceeded USD budget ({})"),
        "Error: Exceeded USD budget (5)"
    );
    assert_eq!(
        fill("{}: Claude's response exceeded the {} output token maximum."),
        "Claude Opus 4.7: Claude's response exceeded the 32000 output token maximum."
    );
}
