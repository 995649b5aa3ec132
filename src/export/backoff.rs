//! When to try a failed request again (exporter spec §2.3).
//!
//! Reads: the failure count of the head batch and a server's `Retry-After` header.
//! Emits: delays. Exponential backoff: 1 s, ×2 per failure, at most 30 s, each multiplied by
//! a uniform jitter in [0.5, 1.5] (still at most 30 s) so a fleet does not retry in step.
//! `Retry-After` wins when present: delta-seconds, or an HTTP-date in any of the three
//! RFC 9110 formats, minus now (floored at 0, capped at 300 s); an invalid value falls
//! back to the backoff. Jitter comes from xorshift64 seeded from `RandomState` (no `rand`).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

const INITIAL: Duration = Duration::from_secs(1);
const MAX: Duration = Duration::from_secs(30);
/// Longest Retry-After we honour; a longer one is capped (and logged by the caller).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// The delay of the next retry of the head batch.
#[derive(Debug)]
pub struct Backoff {
    failures: u32,
    state: u64,
}

impl Backoff {
    /// A backoff seeded from the process's random hasher keys.
    pub fn new() -> Self {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(0x5eed);
        Self::with_seed(hasher.finish())
    }

    /// A backoff with a fixed seed (tests).
    pub fn with_seed(seed: u64) -> Self {
        Backoff {
            failures: 0,
            state: seed | 1,
        }
    }

    /// Forgets the failures after an acknowledged (or dropped) batch.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The delay after one more failure: 1 s × 2^(failures−1) capped at 30 s, jittered.
    pub fn next_delay(&mut self) -> Duration {
        let exponent = self.failures.min(16);
        self.failures = self.failures.saturating_add(1);
        let base = INITIAL.saturating_mul(1 << exponent).min(MAX);
        let jitter = 0.5 + self.uniform();
        base.mul_f64(jitter).min(MAX)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

/// The delay a `Retry-After` value asks for at wall time `now`; `None` if invalid.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let delay = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let date = httpdate::parse_http_date(value).ok()?;
        date.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_30s_within_the_jitter_band() {
        let mut b = Backoff::with_seed(42);
        let bases = [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0];
        for base in bases {
            let d = b.next_delay().as_secs_f64();
            assert!(
                d >= base * 0.5 && d <= (base * 1.5).min(30.0),
                "{d} for base {base}"
            );
        }
        b.reset();
        let d = b.next_delay().as_secs_f64();
        assert!((0.5..=1.5).contains(&d), "{d}");
    }

    #[test]
    fn jitter_spreads_over_the_band() {
        let mut b = Backoff::with_seed(7);
        let samples: Vec<f64> = (0..1000)
            .map(|_| {
                b.reset();
                b.next_delay().as_secs_f64()
            })
            .collect();
        let low = samples.iter().filter(|d| **d < 0.75).count();
        let high = samples.iter().filter(|d| **d > 1.25).count();
        assert!(low > 150 && high > 150, "low {low}, high {high}");
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        // The three RFC 9110 date formats, 10 s after now.
        for date in [
            "Sun, 06 Nov 1994 08:49:47 GMT",
            "Sunday, 06-Nov-94 08:49:47 GMT",
            "Sun Nov  6 08:49:47 1994",
        ] {
            assert_eq!(
                parse_retry_after(date, now),
                Some(Duration::from_secs(10)),
                "{date}"
            );
        }
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO),
            "past → 0"
        );
        assert_eq!(
            parse_retry_after("3600", now),
            Some(MAX_RETRY_AFTER),
            "capped at 300 s"
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }
}
