//! The host's start time: the start time of every host series (spec/metrics.md §1.1).
//!
//! Reads: `btime` of `<root>/proc/stat` (the cycle's shared copy), every cycle.
//! Emits: boot time in Unix nanoseconds for the `Tick`.
//! Input: a line `btime 1767200000` (seconds since the epoch, proc(5)).
//! A change of at most 2 s is the kernel's rounding jitter (btime is derived from the wall
//! clock minus uptime) and ignored; a larger one is a clock step (an RTC-less board before
//! NTP): it is adopted with one INFO line, which restarts every host series.

use crate::collect::text::keyed_counter;

const JITTER_SECONDS: u64 = 2;
const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// `btime` of `/proc/stat`, in seconds; `None` when the line is absent or malformed.
pub fn parse_btime(stat: &str) -> Option<u64> {
    keyed_counter(stat, "btime").ok().flatten()
}

/// Tracks the boot time across cycles.
#[derive(Debug, Default)]
pub struct BootClock {
    btime_seconds: Option<u64>,
    fallback_unix_nano: Option<u64>,
}

impl BootClock {
    /// The boot time for this cycle, given this cycle's `btime` (if readable) and wall time.
    /// Without any `btime` ever, the first cycle's time stands in (never 0: a start of 0
    /// would make cumulative sums look like they began in 1970).
    pub fn update(&mut self, btime: Option<u64>, now_unix_nano: u64) -> u64 {
        match (self.btime_seconds, btime) {
            (None, Some(new)) => self.btime_seconds = Some(new),
            (Some(old), Some(new)) if old.abs_diff(new) > JITTER_SECONDS => {
                log::info!(
                    "boot time moved from {old} to {new} (clock step); restarting host series"
                );
                self.btime_seconds = Some(new);
            }
            _ => {}
        }
        match self.btime_seconds {
            Some(seconds) => seconds.saturating_mul(NANOS_PER_SECOND),
            None => *self.fallback_unix_nano.get_or_insert(now_unix_nano),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn btime_is_read_by_label() {
        let stat = "cpu  1 2 3 4\nintr 5\nbtime 1767200000\nprocesses 9\n";
        assert_eq!(parse_btime(stat), Some(1_767_200_000));
        assert_eq!(parse_btime("btime x\n"), None);
        assert_eq!(parse_btime("cpu 1 2 3 4\n"), None);
        assert_eq!(parse_btime(""), None);
    }

    #[test]
    fn garbage_never_panics() {
        let stat = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/offline-cpu/proc/stat"
        ))
        .unwrap();
        crate::collect::garbage::for_each_variant(&stat, |text| {
            let _ = parse_btime(text);
        });
    }

    #[test]
    fn jitter_of_two_seconds_is_ignored_and_a_step_is_adopted() {
        let mut clock = BootClock::default();
        assert_eq!(clock.update(Some(1000), 5), 1000 * NANOS_PER_SECOND);
        assert_eq!(clock.update(Some(1002), 5), 1000 * NANOS_PER_SECOND);
        assert_eq!(clock.update(Some(998), 5), 1000 * NANOS_PER_SECOND);
        assert_eq!(clock.update(Some(1003), 5), 1003 * NANOS_PER_SECOND);
        assert_eq!(
            clock.update(None, 5),
            1003 * NANOS_PER_SECOND,
            "unreadable: keep the last"
        );
    }

    #[test]
    fn without_btime_the_first_cycle_stands_in() {
        let mut clock = BootClock::default();
        assert_eq!(clock.update(None, 77), 77);
        assert_eq!(clock.update(None, 99), 77);
        assert_eq!(clock.update(Some(1), 99), NANOS_PER_SECOND);
    }
}
