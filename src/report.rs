//! The one reporting layer: every failure becomes rate-limited log lines here.
//!
//! Reads: failures and successes of collectors (keyed by collector), of single mounts (keyed
//! by mount point) and of exports (keyed `export`), each with a class that says when two
//! failures are "the same" (a `Failure` implementation). Emits: log lines (spec/metrics.md §7,
//! exporter spec §5.2): the first failure of a (source, class) is one line at the caller's
//! level; repeats are counted and summarised at most once per [`REMINDER_INTERVAL`]; a
//! failure of another class is a new first line; the first success after a failure is one
//! INFO. A collector failing the same way every minute therefore costs one line an hour.
//! [`Once`] is the other half: a note that is worth one line per process (an optional file
//! absent, a fallback taken).

use std::fmt;
use std::time::{Duration, Instant};

/// How often an ongoing failure is summarised: hourly, as spec/metrics.md §7 asks of
/// collectors; the exporter spec's "at most every 10 min" holds too.
pub const REMINDER_INTERVAL: Duration = Duration::from_secs(3600);

/// A failure that can be reported: its text, and whether another one is of the same class
/// (an ongoing failure rather than a new one).
pub trait Failure: fmt::Display {
    fn same_class(&self, other: &Self) -> bool;
}

/// Where a component's log lines go: the `log` crate, and in test builds also a list to
/// assert on (a global logger cannot tell parallel tests apart).
#[derive(Debug, Default)]
pub struct Notes {
    #[cfg(test)]
    pub lines: Vec<(log::Level, String)>,
}

impl Notes {
    pub fn note(&mut self, level: log::Level, args: fmt::Arguments<'_>) {
        log::log!(level, "{args}");
        #[cfg(test)]
        self.lines.push((level, args.to_string()));
    }
}

#[derive(Debug)]
struct Ongoing<E> {
    source: String,
    error: E,
    since: Instant,
    last_logged: Instant,
    level: log::Level,
    repeats: u64,
}

/// The ongoing failures of one kind of source, one per source at most.
#[derive(Debug)]
pub struct Report<E> {
    /// Put before each source in lines: `statfs ` makes `statfs /mnt/nas: …`.
    label: &'static str,
    ongoing: Vec<Ongoing<E>>,
    /// Its lines; a component may add its own one-time notes here.
    pub notes: Notes,
}

impl<E: Failure> Report<E> {
    pub fn new(label: &'static str) -> Self {
        Report {
            label,
            ongoing: Vec::new(),
            notes: Notes::default(),
        }
    }

    /// Records a failure of `source`; logs it at `level` if it is new, or a reminder when due.
    /// Returns true if a line was logged.
    pub fn failed(&mut self, level: log::Level, source: &str, error: E, now: Instant) -> bool {
        let label = self.label;
        let (level, text) = match self.ongoing.iter_mut().find(|f| f.source == source) {
            Some(f) if f.error.same_class(&error) => {
                f.repeats += 1;
                if now.saturating_duration_since(f.last_logged) < REMINDER_INTERVAL {
                    return false;
                }
                f.last_logged = now;
                let minutes = now.saturating_duration_since(f.since).as_secs() / 60;
                let text = format!(
                    "{label}{source}: still failing ({} times in {minutes} min): {error}",
                    f.repeats + 1
                );
                (f.level, text)
            }
            Some(f) => {
                let text = format!("{label}{source}: {error}");
                *f = Ongoing {
                    source: f.source.clone(),
                    error,
                    since: now,
                    last_logged: now,
                    level,
                    repeats: 0,
                };
                (level, text)
            }
            None => {
                let text = format!("{label}{source}: {error}");
                self.ongoing.push(Ongoing {
                    source: source.to_string(),
                    error,
                    since: now,
                    last_logged: now,
                    level,
                    repeats: 0,
                });
                (level, text)
            }
        };
        self.notes.note(level, format_args!("{text}"));
        true
    }

    /// Records a success of `source`: if it was failing, one INFO (`detail` appended, e.g.
    /// what was delivered meanwhile). Returns true if it was failing.
    pub fn succeeded(&mut self, source: &str, now: Instant, detail: &str) -> bool {
        let Some(index) = self.ongoing.iter().position(|f| f.source == source) else {
            return false;
        };
        let f = self.ongoing.swap_remove(index);
        let seconds = now.saturating_duration_since(f.since).as_secs();
        let text = format!(
            "{}{source}: recovered after {seconds} s ({} failures){detail}",
            self.label,
            f.repeats + 1
        );
        self.notes.note(log::Level::Info, format_args!("{text}"));
        true
    }

    /// True while `source` has an ongoing failure.
    pub fn is_failing(&self, source: &str) -> bool {
        self.ongoing.iter().any(|f| f.source == source)
    }

    /// Forgets the failures of sources `keep` rejects (gone mounts): bounded under churn.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.ongoing.retain(|f| keep(&f.source));
    }
}

/// A note worth one line per process: `if self.absent.first() { log::debug!(…) }`.
#[derive(Debug, Default)]
pub struct Once {
    done: bool,
}

impl Once {
    /// True the first time only.
    pub fn first(&mut self) -> bool {
        !std::mem::replace(&mut self.done, true)
    }

    /// Arms it again (the condition went away and may come back).
    pub fn reset(&mut self) {
        self.done = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct E(&'static str, &'static str);

    impl fmt::Display for E {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}: {}", self.0, self.1)
        }
    }

    impl Failure for E {
        fn same_class(&self, other: &E) -> bool {
            self.0 == other.0
        }
    }

    fn missing() -> E {
        E("/proc/meminfo", "not found")
    }

    fn warn(text: &str) -> (log::Level, String) {
        (log::Level::Warn, text.into())
    }

    #[test]
    fn first_failure_warns_repeats_are_quiet_until_the_hourly_reminder() {
        let mut r = Report::new("");
        let t0 = Instant::now();
        let w = log::Level::Warn;
        assert!(r.failed(w, "memory", missing(), t0));
        for minute in 1..60 {
            let at = t0 + Duration::from_secs(60 * minute);
            assert!(!r.failed(w, "memory", missing(), at));
        }
        assert!(r.failed(w, "memory", missing(), t0 + Duration::from_secs(3600)));
        let later = t0 + Duration::from_secs(3660);
        assert!(!r.failed(w, "memory", missing(), later));
        assert!(r.is_failing("memory"));
        assert_eq!(
            r.notes.lines,
            [
                warn("memory: /proc/meminfo: not found"),
                warn("memory: still failing (61 times in 60 min): /proc/meminfo: not found")
            ]
        );
    }

    #[test]
    fn a_different_class_or_source_is_a_new_first_line() {
        let mut r = Report::new("");
        let t0 = Instant::now();
        let w = log::Level::Warn;
        r.failed(w, "memory", missing(), t0);
        let garbled = E("/proc/meminfo line 1", "x");
        assert!(r.failed(w, "memory", garbled, t0));
        assert!(r.failed(w, "cpu", missing(), t0));
        assert_eq!(r.notes.lines.len(), 3);
    }

    #[test]
    fn recovery_is_reported_once_with_its_detail_and_label() {
        let mut r = Report::new("statfs ");
        let t0 = Instant::now();
        assert!(!r.succeeded("/data", t0, ""));
        r.failed(log::Level::Error, "/data", missing(), t0);
        r.failed(
            log::Level::Error,
            "/data",
            missing(),
            t0 + Duration::from_secs(60),
        );
        assert!(r.succeeded("/data", t0 + Duration::from_secs(120), "; done"));
        assert!(!r.succeeded("/data", t0 + Duration::from_secs(180), ""));
        let texts: Vec<(log::Level, &str)> = r
            .notes
            .lines
            .iter()
            .map(|(l, t)| (*l, t.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                (log::Level::Error, "statfs /data: /proc/meminfo: not found"),
                (
                    log::Level::Info,
                    "statfs /data: recovered after 120 s (2 failures); done"
                )
            ]
        );
    }

    #[test]
    fn retain_forgets_gone_sources() {
        let mut r = Report::new("");
        r.failed(log::Level::Warn, "/a", missing(), Instant::now());
        r.failed(log::Level::Warn, "/b", missing(), Instant::now());
        r.retain(|s| s == "/b");
        assert!(!r.is_failing("/a"));
        assert!(r.is_failing("/b"));
    }

    #[test]
    fn once_is_true_once_until_reset() {
        let mut once = Once::default();
        assert!(once.first());
        assert!(!once.first());
        once.reset();
        assert!(once.first());
    }
}
