//! `ccpulse usage daily --chart`: a bar per day of the daily report, its cost, scaled to the
//! terminal's width (`COLUMNS`, else 80 columns); coloured only on a terminal without
//! `NO_COLOR`.

use std::io::Write;

use anyhow::Context;
use ccpulse_core::usage::DailyReport;
use ccpulse_core::view::history::usd;
use ccpulse_sources::env;

const DEFAULT_COLUMNS: usize = 80;
/// Eighths of a cell, for bars finer than a column.
const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

fn columns() -> usize {
    env::var(env::COLUMNS)
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
        .unwrap_or(DEFAULT_COLUMNS)
}

/// A bar of `value / max` of `width` columns, in whole and eighth cells.
fn bar(value: f64, max: f64, width: usize) -> String {
    if max <= 0.0 || value <= 0.0 {
        return String::new();
    }
    let eighths = ((value / max) * (width * 8) as f64).round() as usize;
    // Any use shows at least an eighth.
    let eighths = eighths.clamp(1, width * 8);
    let mut s = "█".repeat(eighths / 8);
    if eighths % 8 > 0 {
        s.push(EIGHTHS[eighths % 8]);
    }
    s
}

/// The chart's lines: `2026-12-02 ██████▍      $12.34`, then the total.
pub fn chart(report: &DailyReport, columns: usize, color: bool) -> String {
    let costs: Vec<String> = report
        .daily
        .iter()
        .map(|d| usd(d.sums.total_cost))
        .collect();
    let total = usd(report.totals.total_cost);
    let cost_width = costs
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .max(total.len());
    // date, a space, the bar, a space, the cost.
    let width = columns.saturating_sub(10 + 1 + 1 + cost_width).max(10);
    let max = report
        .daily
        .iter()
        .map(|d| d.sums.total_cost)
        .fold(0.0, f64::max);
    let (on, off) = if color {
        ("\x1b[36m", "\x1b[0m")
    } else {
        ("", "")
    };
    let mut out = String::new();
    if report.daily.is_empty() {
        out.push_str("No use in these days.\n");
        return out;
    }
    for (d, cost) in report.daily.iter().zip(&costs) {
        let b = bar(d.sums.total_cost, max, width);
        let pad = width - b.chars().count();
        out.push_str(&format!(
            "{} {on}{b}{off}{} {cost:>cost_width$}\n",
            d.date,
            " ".repeat(pad)
        ));
    }
    out.push_str(&format!(
        "{:<10} {} {total:>cost_width$}\n",
        "Total",
        " ".repeat(width)
    ));
    out
}

pub fn write(report: &DailyReport) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    write!(out, "{}", chart(report, columns(), crate::color()))?;
    out.flush().context("writing to stdout")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_widest_day() {
        assert_eq!(bar(10.0, 10.0, 4), "████");
        assert_eq!(bar(5.0, 10.0, 4), "██");
        assert_eq!(bar(1.0, 10.0, 4), "▍"); // 3.2 eighths
        assert_eq!(bar(0.001, 10.0, 4), "▏");
        assert_eq!(bar(0.0, 10.0, 4), "");
    }
}
