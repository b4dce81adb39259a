//! A chart's vertical scale: a round maximum at or above the largest value, and its ticks with
//! their labels.

use serde::Serialize;

use super::usd;
use crate::view::activity::compact_count;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scale {
    /// The value at the top of the chart (at least the largest day; 1 when all are 0).
    pub max: f64,
    /// From 0 to `max`, evenly spaced.
    pub ticks: Vec<Tick>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tick {
    pub value: f64,
    pub label: String,
}

/// The smallest of 1, 2, 2.5, 5 × 10^k at or above `v` (v > 0).
fn nice(v: f64) -> f64 {
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|c| *c >= v * (1.0 - 1e-12))
        .unwrap_or(10.0 * p)
}

fn scale(max: f64, floor: f64, label: impl Fn(f64) -> String) -> Scale {
    let top = nice(max.max(floor));
    Scale {
        max: top,
        ticks: (0..=4)
            .map(|i| {
                let value = top * f64::from(i) / 4.0;
                Tick {
                    value,
                    label: label(value),
                }
            })
            .collect(),
    }
}

/// Dollars: "$0", "$2.50", "$1,000".
pub(super) fn money(max: f64) -> Scale {
    scale(max, 1.0, |v| {
        let s = usd(v);
        s.strip_suffix(".00").map(str::to_string).unwrap_or(s)
    })
}

/// Tokens: "0", "250k", "1.5M".
pub(super) fn tokens(max: u64) -> Scale {
    scale(max as f64, 1000.0, |v| {
        compact_count(v.round() as u64).replace(".0", "")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_round() {
        assert_eq!(nice(0.7), 1.0);
        assert_eq!(nice(1.0), 1.0);
        assert_eq!(nice(13.0), 20.0);
        assert_eq!(nice(21.0), 25.0);
        assert_eq!(nice(2600.0), 5000.0);
        let m = money(37.2);
        assert_eq!(m.max, 50.0);
        let labels: Vec<&str> = m.ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["$0", "$12.50", "$25", "$37.50", "$50"]);
        let t = tokens(3_400_000);
        let labels: Vec<&str> = t.ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0", "1.2M", "2.5M", "3.8M", "5M"]);
        assert_eq!(money(0.0).max, 1.0);
    }
}
