//! When to poll next: the normal interval, or exponential back-off with jitter after failures.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPolicy {
    pub interval: Duration,
    pub max_backoff: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(60),
            max_backoff: Duration::from_secs(300),
        }
    }
}

/// Delay before the next attempt after `failures` consecutive failures (0 = last one worked).
/// `jitter` in `[0, 1]` comes from the caller's random source; the delay after a failure lies in
/// `[ceiling / 2, ceiling]` where `ceiling = min(max_backoff, interval * 2^(failures - 1))`.
pub fn next_delay(policy: PollPolicy, failures: u32, jitter: f64) -> Duration {
    if failures == 0 {
        return policy.interval;
    }
    let doubling = 2u32.saturating_pow(failures.saturating_sub(1).min(30));
    let ceiling = policy
        .interval
        .saturating_mul(doubling)
        .min(policy.max_backoff.max(policy.interval));
    ceiling.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = PollPolicy::default();
        let s = |n| next_delay(p, n, 1.0).as_secs();
        assert_eq!(
            [s(0), s(1), s(2), s(3), s(4), s(40)],
            [60, 60, 120, 240, 300, 300]
        );
    }

    #[test]
    fn jitter_spreads_over_the_upper_half() {
        let p = PollPolicy::default();
        assert_eq!(next_delay(p, 3, 0.0).as_secs(), 120);
        assert_eq!(next_delay(p, 3, 0.5).as_secs(), 180);
        assert_eq!(next_delay(p, 3, 7.0).as_secs(), 240, "jitter is clamped");
    }
}
