//! `ccpulse doctor`: the local causes of Claude Code's connection and login errors
//! (`ccpulse_sources::doctor`), one line per check, with the knowledge base entry to read for
//! each problem.

use std::io::{IsTerminal, Write};

use ccpulse_core::kb;
use ccpulse_sources::doctor::{self, Check, Input, Verdict};

#[derive(clap::Args)]
pub struct Args {
    /// Print JSON: `{"checks": [...], "passed": bool}`.
    #[arg(long)]
    json: bool,
}

/// Exit code 0 when every check passes (`pass` or `info`), 1 when one warns or fails.
pub fn run(args: Args, color: bool) -> anyhow::Result<bool> {
    let input = Input::from_env();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut out = std::io::stdout().lock();
    let mut checks = doctor::local(&input);
    let targets = doctor::targets(&input);
    // The titles' column: as wide as the longest, a network step's ("host:port proxy tunnel")
    // included.
    let width = checks
        .iter()
        .map(|c| c.title.chars().count())
        .chain(
            targets
                .iter()
                .map(|t| t.name().len() + " proxy tunnel".len()),
        )
        .max()
        .unwrap_or(0)
        + 1;
    if !args.json {
        for c in &checks {
            line(&mut out, c, width, color)?;
        }
        out.flush()?;
    }
    // The network checks run at once, each step within its timeout; say what is awaited.
    let progress = !args.json && std::io::stderr().is_terminal();
    if progress {
        let names: Vec<String> = targets.iter().map(|t| t.name()).collect();
        eprint!("  ..  reaching {} …", names.join(", "));
    }
    let network = runtime.block_on(doctor::network(&input));
    // A DNS lookup past its timeout may still hold a thread: do not wait for it.
    runtime.shutdown_background();
    if progress {
        eprint!("\r\x1b[K");
    }
    let passed = doctor::passed(&checks) && doctor::passed(&network);
    if args.json {
        checks.extend(network);
        let body = serde_json::json!({ "checks": checks, "passed": passed });
        serde_json::to_writer_pretty(&mut out, &body)?;
        writeln!(out)?;
        return Ok(passed);
    }
    for c in &network {
        line(&mut out, c, width, color)?;
    }
    checks.extend(network);
    advice(&mut out, &checks, color)?;
    Ok(passed)
}

fn mark(verdict: Verdict, color: bool) -> String {
    let (text, code) = match verdict {
        Verdict::Pass => ("ok", "32"),
        Verdict::Info => ("--", "34"),
        Verdict::Warn => ("!!", "33"),
        Verdict::Fail => ("XX", "31"),
    };
    paint(text, code, color)
}

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// `  ok  API key                            none set: …`
fn line(out: &mut impl Write, c: &Check, width: usize, color: bool) -> std::io::Result<()> {
    writeln!(
        out,
        "  {}  {:<width$} {}",
        mark(c.verdict, color),
        c.title,
        c.detail
    )
}

/// For each warning and failure: what it is, and the command that shows the whole fix.
fn advice(out: &mut impl Write, checks: &[Check], color: bool) -> std::io::Result<()> {
    let problems: Vec<&Check> = checks.iter().filter(|c| !c.verdict.ok()).collect();
    if problems.is_empty() {
        return writeln!(out, "\nAll {} checks passed.", checks.len());
    }
    let count = |v: Verdict| problems.iter().filter(|c| c.verdict == v).count();
    writeln!(
        out,
        "\n{} failed, {} warned. What to do:",
        count(Verdict::Fail),
        count(Verdict::Warn)
    )?;
    for c in problems {
        write!(out, "  {} {}", mark(c.verdict, color), c.title)?;
        match c.advice.and_then(kb::get) {
            Some(entry) => writeln!(
                out,
                ": {}; the fix: {}",
                entry.title,
                paint(&format!("ccpulse fix {}", entry.id), "1", color)
            )?,
            None => writeln!(out, ": its line above says what to do")?,
        }
    }
    Ok(())
}
