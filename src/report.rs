//! Rate-limited log lines for collector failures.
//!
//! Reads: each collector's result every cycle. Emits: log lines (spec/metrics.md §7):
//! the first failure of a (collector, file, kind of problem) is one WARN; repeats are
//! counted and summarised at most hourly; the first success after a failure is one INFO.
//! A collector failing the same way every minute therefore costs one line an hour.

use crate::collect::CollectError;
use std::time::{Duration, Instant};

/// How often an ongoing failure is summarised.
pub const REMINDER_INTERVAL: Duration = Duration::from_secs(3600);

/// What `Report` decided to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A new failure (first, or a different class than before).
    Failing(String),
    /// The same failure, still going on.
    StillFailing(String),
    /// Success after failures.
    Recovered(String),
}

#[derive(Debug)]
struct Failure {
    collector: &'static str,
    error: CollectError,
    since: Instant,
    last_logged: Instant,
    repeats: u64,
}

/// The ongoing failures, one per collector at most.
#[derive(Debug, Default)]
pub struct Report {
    failures: Vec<Failure>,
}

impl Report {
    /// Records a failed collection and logs what is due.
    pub fn failed(&mut self, collector: &'static str, error: CollectError, now: Instant) {
        match self.on_failure(collector, error, now) {
            Some(Line::Failing(text)) => log::warn!("{text}"),
            Some(Line::StillFailing(text)) => log::warn!("{text}"),
            _ => {}
        }
    }

    /// Records a successful collection and logs a recovery if there was a failure.
    pub fn succeeded(&mut self, collector: &'static str, now: Instant) {
        if let Some(Line::Recovered(text)) = self.on_success(collector, now) {
            log::info!("{text}");
        }
    }

    fn on_failure(
        &mut self,
        collector: &'static str,
        error: CollectError,
        now: Instant,
    ) -> Option<Line> {
        match self.failures.iter_mut().find(|f| f.collector == collector) {
            Some(f) if f.error.same_class(&error) => {
                f.repeats += 1;
                if now.duration_since(f.last_logged) < REMINDER_INTERVAL {
                    return None;
                }
                f.last_logged = now;
                let minutes = now.duration_since(f.since).as_secs() / 60;
                Some(Line::StillFailing(format!(
                    "{collector}: still failing ({} times in {minutes} min): {error}",
                    f.repeats + 1
                )))
            }
            Some(f) => {
                let text = format!("{collector}: {error}");
                *f = Failure {
                    collector,
                    error,
                    since: now,
                    last_logged: now,
                    repeats: 0,
                };
                Some(Line::Failing(text))
            }
            None => {
                let text = format!("{collector}: {error}");
                self.failures.push(Failure {
                    collector,
                    error,
                    since: now,
                    last_logged: now,
                    repeats: 0,
                });
                Some(Line::Failing(text))
            }
        }
    }

    fn on_success(&mut self, collector: &'static str, now: Instant) -> Option<Line> {
        let index = self
            .failures
            .iter()
            .position(|f| f.collector == collector)?;
        let f = self.failures.swap_remove(index);
        let seconds = now.duration_since(f.since).as_secs();
        Some(Line::Recovered(format!(
            "{collector}: recovered after {seconds} s ({} failed cycles)",
            f.repeats + 1
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::ReadError;
    use std::path::Path;

    fn missing() -> CollectError {
        CollectError::read(Path::new("/proc/meminfo"), ReadError::NotFound)
    }

    #[test]
    fn first_failure_warns_repeats_are_quiet_until_the_hourly_reminder() {
        let mut r = Report::default();
        let t0 = Instant::now();
        assert_eq!(
            r.on_failure("memory", missing(), t0),
            Some(Line::Failing("memory: /proc/meminfo: not found".into()))
        );
        for minute in 1..60 {
            assert_eq!(
                r.on_failure("memory", missing(), t0 + Duration::from_secs(60 * minute)),
                None
            );
        }
        assert_eq!(
            r.on_failure("memory", missing(), t0 + Duration::from_secs(3600)),
            Some(Line::StillFailing(
                "memory: still failing (61 times in 60 min): /proc/meminfo: not found".into()
            ))
        );
        assert_eq!(
            r.on_failure("memory", missing(), t0 + Duration::from_secs(3660)),
            None
        );
    }

    #[test]
    fn a_different_problem_warns_again() {
        let mut r = Report::default();
        let t0 = Instant::now();
        r.on_failure("memory", missing(), t0);
        let garbled = CollectError::malformed(Path::new("/proc/meminfo"), Some(1), "x");
        assert!(matches!(
            r.on_failure("memory", garbled, t0),
            Some(Line::Failing(_))
        ));
        assert!(matches!(
            r.on_failure("cpu", missing(), t0),
            Some(Line::Failing(_))
        ));
    }

    #[test]
    fn recovery_is_reported_once() {
        let mut r = Report::default();
        let t0 = Instant::now();
        assert_eq!(r.on_success("load", t0), None);
        r.on_failure("load", missing(), t0);
        r.on_failure("load", missing(), t0 + Duration::from_secs(60));
        assert_eq!(
            r.on_success("load", t0 + Duration::from_secs(120)),
            Some(Line::Recovered(
                "load: recovered after 120 s (2 failed cycles)".into()
            ))
        );
        assert_eq!(r.on_success("load", t0 + Duration::from_secs(180)), None);
    }
}
