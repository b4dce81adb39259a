//! Embedded model prices (USD per token), for Claude models as of 2026-11. Offline always.
//!
//! Rates per token kind; the 1-hour cache write is 2x the input rate; models with a long-context
//! tier charge the part of a field above 200,000 tokens (per request, per field) at the higher
//! rate; fast mode multiplies the whole cost. The table follows the public price list as the
//! reference tool embeds it (see docs/ccusage-reference.md §5), so costs agree with it.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    pub input: f64,
    pub output: f64,
    pub cache_write: f64,
    pub cache_read: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub base: Rates,
    /// Rates for the part of a field above 200,000 tokens.
    pub above_200k: Option<Rates>,
    /// Cost multiplier for `speed: "fast"`.
    pub fast: f64,
}

const fn flat(input: f64, output: f64, cache_write: f64, cache_read: f64, fast: f64) -> Price {
    Price {
        base: Rates {
            input,
            output,
            cache_write,
            cache_read,
        },
        above_200k: None,
        fast,
    }
}

const SONNET_4: Price = Price {
    base: Rates {
        input: 3e-06,
        output: 1.5e-05,
        cache_write: 3.75e-06,
        cache_read: 3e-07,
    },
    above_200k: Some(Rates {
        input: 6e-06,
        output: 2.25e-05,
        cache_write: 7.5e-06,
        cache_read: 6e-07,
    }),
    fast: 1.0,
};

/// Opus 4.5 and later.
const OPUS: Price = flat(5e-06, 2.5e-05, 6.25e-06, 5e-07, 1.0);
/// Opus 4, 4.1 and Claude 3 Opus.
const OPUS_OLD: Price = flat(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06, 1.0);
/// Sonnet 4.6 and the Claude 3.x Sonnets (no long-context tier).
const SONNET: Price = flat(3e-06, 1.5e-05, 3.75e-06, 3e-07, 1.0);

const fn fast(p: Price, multiplier: f64) -> Price {
    Price {
        fast: multiplier,
        ..p
    }
}

/// (key, price). Dated and provider-prefixed names are matched to these keys (see [`find`]).
pub const TABLE: &[(&str, Price)] = &[
    ("claude-opus-5", fast(OPUS, 2.0)),
    ("claude-sonnet-5", flat(2e-06, 1e-05, 2.5e-06, 2e-07, 1.0)),
    ("claude-opus-4-8", fast(OPUS, 2.0)),
    ("claude-opus-4-7", fast(OPUS, 6.0)),
    ("claude-opus-4-6", fast(OPUS, 6.0)),
    ("claude-opus-4-5", OPUS),
    ("claude-sonnet-4-6", SONNET),
    ("claude-sonnet-4-5", SONNET_4),
    ("claude-sonnet-4", SONNET_4),
    ("claude-haiku-4-5", flat(1e-06, 5e-06, 1.25e-06, 1e-07, 1.0)),
    ("claude-opus-4-1", OPUS_OLD),
    ("claude-opus-4", OPUS_OLD),
    ("claude-3-7-sonnet", SONNET),
    ("claude-3-5-sonnet", SONNET),
    ("claude-3-sonnet", SONNET),
    ("claude-3-5-haiku", flat(8e-07, 4e-06, 1e-06, 8e-08, 1.0)),
    ("claude-3-opus", OPUS_OLD),
    ("claude-3-haiku", flat(2.5e-07, 1.25e-06, 3e-07, 3e-08, 1.0)),
];

/// `x` occurs in `v` as a whole word; when `x` ends in a digit and `v` goes on with `-` or `.`
/// and digits, those must be an 8-digit date (`claude-sonnet-4` is not `claude-sonnet-4-5`).
fn contains_word(v: &str, x: &str) -> bool {
    let (vb, xb) = (v.as_bytes(), x.as_bytes());
    if xb.is_empty() || xb.len() > vb.len() {
        return false;
    }
    (0..=vb.len() - xb.len()).any(|i| {
        if &vb[i..i + xb.len()] != xb {
            return false;
        }
        let before_ok = i == 0 || !vb[i - 1].is_ascii_alphanumeric();
        let rest = &vb[i + xb.len()..];
        let after_ok = rest.first().is_none_or(|b| !b.is_ascii_alphanumeric());
        if !(before_ok && after_ok) {
            return false;
        }
        if xb.last().is_some_and(u8::is_ascii_digit) && matches!(rest.first(), Some(b'-' | b'.')) {
            let digits = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 0 {
                let end = rest.get(1 + digits);
                return digits == 8 && end.is_none_or(|b| !b.is_ascii_alphanumeric());
            }
        }
        true
    })
}

/// The price of `model`: the exact key, else the longest key that matches as a word (dates,
/// `anthropic/` prefixes, `[1m]` suffixes and `.` for `-` are tolerated). Case-sensitive.
pub fn find(model: &str) -> Option<Price> {
    if let Some((_, p)) = TABLE.iter().find(|(k, _)| *k == model) {
        return Some(*p);
    }
    let norm = |s: &str| s.replace(['.', '@'], "-");
    let m = norm(model);
    TABLE
        .iter()
        .filter(|(k, _)| {
            contains_word(model, k)
                || contains_word(k, model)
                || contains_word(&m, &norm(k))
                || contains_word(&norm(k), &m)
        })
        .max_by(|a, b| a.0.len().cmp(&b.0.len()).then(b.0.cmp(a.0)))
        .map(|(_, p)| *p)
}

/// Tokens of one kind at `base`, the part above 200,000 at `above` when the model has a tier.
fn tier(tokens: u64, base: f64, above: Option<f64>) -> f64 {
    match (tokens, above) {
        (0, _) => 0.0,
        (t, Some(above)) if t > 200_000 => 200_000.0 * base + (t - 200_000) as f64 * above,
        (t, _) => t as f64 * base,
    }
}

/// Token counts of one request, as priced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Billable {
    pub input: u64,
    pub output: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    pub cache_read: u64,
}

pub fn cost(price: &Price, t: &Billable, fast: bool) -> f64 {
    let b = price.base;
    let a = price.above_200k;
    let sum = tier(t.input, b.input, a.map(|a| a.input))
        + tier(t.output, b.output, a.map(|a| a.output))
        + tier(t.cache_write_5m, b.cache_write, a.map(|a| a.cache_write))
        + tier(t.cache_write_1h, 2.0 * b.input, a.map(|a| 2.0 * a.input))
        + tier(t.cache_read, b.cache_read, a.map(|a| a.cache_read));
    if fast {
        sum * price.fast
    } else {
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let cases = [
            ("claude-sonnet-4-5-20250929", Some("claude-sonnet-4-5")),
            ("claude-sonnet-4-5", Some("claude-sonnet-4-5")),
            ("anthropic/claude-sonnet-4-5", Some("claude-sonnet-4-5")),
            ("claude-sonnet-4.5", Some("claude-sonnet-4-5")),
            ("claude-sonnet-4-5[1m]", Some("claude-sonnet-4-5")),
            ("claude-sonnet-4-20250514", Some("claude-sonnet-4")),
            ("claude-opus-4-6", Some("claude-opus-4-6")),
            ("claude-3-5-haiku-20241022", Some("claude-3-5-haiku")),
            ("Claude-Sonnet-4-5", None),
            ("claude-opus-4-9", None),
            ("unknown-model", None),
        ];
        for (model, key) in cases {
            let want = key.map(|k| TABLE.iter().find(|(n, _)| *n == k).unwrap().1);
            assert_eq!(find(model), want, "{model}");
        }
    }

    #[test]
    fn tiers_are_per_field_and_marginal() {
        let p = find("claude-sonnet-4-5").unwrap();
        let t = Billable {
            input: 100_000,
            cache_read: 150_000,
            ..Default::default()
        };
        assert_eq!(cost(&p, &t, false), 100_000.0 * 3e-06 + 150_000.0 * 3e-07);
        let t = Billable {
            cache_read: 250_000,
            ..Default::default()
        };
        assert_eq!(cost(&p, &t, false), 200_000.0 * 3e-07 + 50_000.0 * 6e-07);
        let t = Billable {
            cache_write_1h: 1000,
            ..Default::default()
        };
        assert_eq!(
            cost(&p, &t, false),
            1000.0 * 6e-06,
            "1h writes at twice the input rate"
        );
        let opus = find("claude-opus-4-6").unwrap();
        let t = Billable {
            output: 1000,
            ..Default::default()
        };
        assert_eq!(cost(&opus, &t, true), 1000.0 * 2.5e-05 * 6.0);
    }
}
