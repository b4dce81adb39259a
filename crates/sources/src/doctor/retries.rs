//! The retry and timeout settings (`CLAUDE_CODE_MAX_RETRIES`, `API_TIMEOUT_MS`): whole
//! numbers, and not so low that requests fail at once.

use super::{named, Check, Input};
use crate::env;

pub(super) struct WholeNumber {
    id: &'static str,
    var: &'static str,
    default: u64,
    unit: &'static str,
    /// Below this, warn.
    low: u64,
    why_low: &'static str,
}

pub(super) const RETRIES: WholeNumber = WholeNumber {
    id: "max-retries",
    var: env::CLAUDE_CODE_MAX_RETRIES,
    default: 10,
    unit: "",
    low: 1,
    why_low: "no retries, so a single overloaded or dropped request fails at once",
};

pub(super) const API_TIMEOUT: WholeNumber = WholeNumber {
    id: "api-timeout",
    var: env::API_TIMEOUT_MS,
    default: 600_000,
    unit: " ms",
    low: 30_000,
    why_low: "less than 30 s, so long answers will time out",
};

pub(super) fn whole_number(input: &Input, n: &WholeNumber) -> Check {
    let c = named(n.id, n.var);
    let Some(value) = input.var(n.var) else {
        return c.pass(format!("not set: {}{} (the default)", n.default, n.unit));
    };
    match value.trim().parse::<u64>() {
        Ok(v) if v < n.low => c.warn(format!("{v}{}: {}", n.unit, n.why_low), "timeout"),
        Ok(v) => c.pass(format!("{v}{}", n.unit)),
        Err(_) => {
            let shown: String = value.chars().take(40).collect();
            c.warn(
                format!(
                    "{shown:?} is not a whole number of 0 or more; Claude Code may ignore it \
                     or misread it (default {}{})",
                    n.default, n.unit
                ),
                "timeout",
            )
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::testing::input;
    use crate::doctor::Verdict;

    #[test]
    fn numbers_warn_when_not_numbers_or_too_low() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (RETRIES, None, Verdict::Pass, "not set: 10 (the default)"),
            (RETRIES, Some("3"), Verdict::Pass, "3"),
            (RETRIES, Some("0"), Verdict::Warn, "0: no retries, so"),
            (
                RETRIES,
                Some("-1"),
                Verdict::Warn,
                "\"-1\" is not a whole number",
            ),
            (API_TIMEOUT, None, Verdict::Pass, "not set: 600000 ms"),
            (API_TIMEOUT, Some("120000"), Verdict::Pass, "120000 ms"),
            (
                API_TIMEOUT,
                Some("5000"),
                Verdict::Warn,
                "5000 ms: less than 30 s",
            ),
            (API_TIMEOUT, Some("10m"), Verdict::Warn, "\"10m\" is not"),
        ];
        for (n, value, verdict, start) in cases {
            let pairs: Vec<(&str, &str)> = value.iter().map(|v| (n.var, *v)).collect();
            let c = whole_number(&input(dir.path(), &pairs), &n);
            assert_eq!(c.verdict, verdict, "{value:?}: {c:?}");
            assert!(c.detail.starts_with(start), "{value:?}: {}", c.detail);
            let advice = if verdict == Verdict::Warn {
                Some("timeout")
            } else {
                None
            };
            assert_eq!(c.advice, advice);
        }
    }
}
