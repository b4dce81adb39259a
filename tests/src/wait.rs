//! Waiting for conditions with a deadline, instead of sleeping a fixed time.
//!
//! Every wait in this crate goes through [`poll_until`] (blocking) or [`poll_until_async`]: the
//! probe runs at once, then every [`POLL_INTERVAL`], until it yields a value or the deadline
//! passes. A timeout is an error that names what was awaited and, if the last probe failed, why.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

/// How often [`poll_until`] and [`poll_until_async`] retry their probe.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Runs `probe` until it returns `Ok(Some(value))`, then returns that value.
///
/// `Ok(None)` means "not yet"; `Err(e)` also means "not yet", and the last such error is reported
/// if the deadline passes. `what` completes the sentence "timed out after 5s waiting for …".
///
/// This blocks the calling thread. From async code use [`poll_until_async`].
pub fn poll_until<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        let last_error = match probe() {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => None,
            Err(e) => Some(e),
        };
        if Instant::now() >= deadline {
            return Err(timeout_error(what, timeout, last_error));
        }
        std::thread::sleep(POLL_INTERVAL.min(deadline.saturating_duration_since(Instant::now())));
    }
}

/// The async twin of [`poll_until`]: awaits `probe()` until it yields `Ok(Some(value))`.
///
/// Sleeps with `tokio::time::sleep`, so it must run inside a Tokio runtime.
pub async fn poll_until_async<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let last_error = match probe().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => None,
            Err(e) => Some(e),
        };
        if Instant::now() >= deadline {
            return Err(timeout_error(what, timeout, last_error));
        }
        tokio::time::sleep(POLL_INTERVAL.min(deadline.saturating_duration_since(Instant::now())))
            .await;
    }
}

fn timeout_error(
    what: &str,
    timeout: Duration,
    last_error: Option<anyhow::Error>,
) -> anyhow::Error {
    match last_error {
        Some(e) => e.context(format!(
            "timed out after {timeout:?} waiting for {what} (the last attempt failed)"
        )),
        None => anyhow!("timed out after {timeout:?} waiting for {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_first_value() {
        let mut n = 0;
        let v = poll_until("n to reach 3", Duration::from_secs(5), || {
            n += 1;
            Ok((n >= 3).then_some(n))
        })
        .unwrap();
        assert_eq!(v, 3);
    }

    #[test]
    fn times_out_with_the_awaited_thing_and_the_last_error() {
        let err = poll_until::<()>("the moon", Duration::from_millis(120), || {
            Err(anyhow!("still cheese"))
        })
        .unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("waiting for the moon"), "{msg}");
        assert!(msg.contains("still cheese"), "{msg}");
    }
}
