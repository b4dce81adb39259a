//! `ccpulse fix`: what an error message means and what to do about it, from the knowledge
//! base (`ccpulse_core::kb`).

use std::io::{IsTerminal, Read, Write};

use anyhow::Context;
use ccpulse_core::kb::{self, Entry, How, Match};

use crate::render::Paint;

#[derive(clap::Args)]
pub struct Args {
    /// The error message as Claude Code showed it, or an entry's id. Without it, the message is
    /// read from standard input (paste it, then Ctrl-D).
    text: Vec<String>,
    /// List every entry instead.
    #[arg(long)]
    list: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Exit code 0 when an entry was found (or listed), 1 when nothing matched.
pub fn run(args: Args, color: bool) -> anyhow::Result<bool> {
    let mut out = std::io::stdout().lock();
    let p = Paint(color);
    if args.list {
        if args.json {
            serde_json::to_writer_pretty(&mut out, kb::entries())?;
            writeln!(out)?;
        } else {
            for e in kb::entries() {
                writeln!(out, "{:<32} {}", e.id, e.title)?;
            }
            writeln!(
                out,
                "\n{}",
                p.dim("`ccpulse fix ID` shows one; `ccpulse fix \"<message>\"` finds one.")
            )?;
        }
        return Ok(true);
    }
    let text = if args.text.is_empty() {
        read_stdin()?
    } else {
        args.text.join(" ")
    };
    let found: Vec<Match> = match kb::get(text.trim()) {
        Some(entry) => vec![Match {
            entry,
            how: How::Pattern {
                pattern: entry.id.clone(),
            },
        }],
        None => kb::find(&text),
    };
    if args.json {
        serde_json::to_writer_pretty(&mut out, &found)?;
        writeln!(out)?;
        return Ok(!found.is_empty());
    }
    let Some(best) = found.first() else {
        writeln!(
            out,
            "No entry matches that message. `ccpulse fix --list` shows what ccpulse knows; \
             `ccpulse doctor` checks this machine, and /doctor in Claude Code its own set-up."
        )?;
        return Ok(false);
    };
    let how = match &best.how {
        How::Pattern { .. } => String::new(),
        How::Words { score } => format!(
            " {}",
            p.dim(&format!(
                "(closest match: {:.0}% of its words)",
                score * 100.0
            ))
        ),
    };
    writeln!(out, "{}{how}", p.bold(&best.entry.title))?;
    entry(&mut out, best.entry, &p)?;
    if found.len() > 1 {
        let others: Vec<String> = found[1..]
            .iter()
            .map(|m| format!("{} ({})", m.entry.title, m.entry.id))
            .collect();
        writeln!(out, "\n{} {}", p.dim("Also possible:"), others.join("; "))?;
    }
    Ok(true)
}

fn entry(out: &mut impl Write, e: &Entry, p: &Paint) -> std::io::Result<()> {
    writeln!(out, "{}", e.cause)?;
    writeln!(out, "\n{}", p.bold("What to do"))?;
    for (i, step) in e.fix.iter().enumerate() {
        writeln!(out, "  {}. {step}", i + 1)?;
    }
    if !e.commands.is_empty() {
        writeln!(out, "\n{} {}", p.bold("Commands:"), e.commands.join("  "))?;
    }
    for v in &e.env {
        let default = v
            .default
            .as_deref()
            .map(|d| format!(" (default {d})"))
            .unwrap_or_default();
        writeln!(out, "{} {}{default}: {}", p.bold("Env:"), v.name, v.note)?;
    }
    match e.counts_against_quota {
        Some(true) => writeln!(out, "Counts against your plan's limits.")?,
        Some(false) => writeln!(out, "Does not count against your plan's limits.")?,
        None => {}
    }
    for link in &e.links {
        writeln!(out, "{} {link}", p.dim("More:"))?;
    }
    writeln!(out, "{}", p.dim(&format!("[{}]", e.id)))
}

fn read_stdin() -> anyhow::Result<String> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("Paste the error message, then press Ctrl-D:");
    }
    let mut text = String::new();
    stdin
        .read_to_string(&mut text)
        .context("reading the message from standard input")?;
    anyhow::ensure!(
        !text.trim().is_empty(),
        "no message given: `ccpulse fix \"<message>\"`, or `ccpulse fix --list`"
    );
    Ok(text)
}
