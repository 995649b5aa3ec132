//! The tick deadline and the loop's only sleep.
//!
//! Reads: the monotonic clock (deadlines), the wall clock (tick times, batch ages); SIGTERM,
//! SIGINT and SIGHUP, delivered by signal-hook to a socket pair whose read end is the loop's
//! one blocking call (a read with a timeout).
//! Emits: `Wake::Tick` at each deadline, `Wake::Stop` on SIGTERM/SIGINT (at once, also
//! mid-sleep), and the `Tick` value collectors read time from. A watchdog thread ends the
//! process if the shutdown overruns its bound, or at once on a second signal.
//! Deadlines are the previous deadline plus the interval, never "now + interval", so a slow
//! tick does not shift later ones; ticks missed entirely are skipped (logged), not bunched.

use std::io::{self, Read};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// One collection cycle's time: the only clock collectors see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// Wall time of the cycle, shared by every point (spec/metrics.md §1.1).
    pub now_unix_nano: u64,
    /// Host boot time: the start time of host series.
    pub boot_unix_nano: u64,
    /// 1 for the first cycle, then counting up.
    pub cycle: u64,
    /// `now_unix_nano` of the previous cycle (0 on the first): the start time of a series
    /// that appears or restarts (spec/metrics.md §1.1).
    pub previous_unix_nano: u64,
}

/// The wall clock in Unix nanoseconds: the time of each tick and the age of queued batches.
pub fn wall_clock_unix_nano() -> u64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX)
}

/// Why `wait` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The tick deadline.
    Tick,
    /// The retry time the caller gave.
    Retry,
    /// SIGTERM or SIGINT.
    Stop,
}

/// The deadline after `deadline` has fired at `now`, and how many deadlines were missed.
pub fn next_deadline(deadline: Instant, now: Instant, interval: Duration) -> (Instant, u64) {
    let next = deadline + interval;
    if next > now {
        return (next, 0);
    }
    let late = now.duration_since(next).as_nanos();
    let missed = late / interval.as_nanos().max(1) + 1;
    let missed = u64::try_from(missed).unwrap_or(u64::MAX);
    let skip = u32::try_from(missed)
        .ok()
        .and_then(|m| interval.checked_mul(m));
    match skip {
        Some(skip) => (next + skip, missed),
        None => (now + interval, missed),
    }
}

/// Ticks every `interval` from the first `wait` on, until a stop signal.
#[derive(Debug)]
pub struct Schedule {
    interval: Duration,
    deadline: Instant,
    wake: UnixStream,
    stop: Arc<AtomicBool>,
    hangup: Arc<AtomicBool>,
}

impl Schedule {
    /// Registers the signal handlers; the first tick is due at once.
    pub fn new(interval: Duration) -> io::Result<Schedule> {
        let (wake, signal_end) = UnixStream::pair()?;
        let stop = Arc::new(AtomicBool::new(false));
        let hangup = Arc::new(AtomicBool::new(false));
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        for signal in [SIGTERM, SIGINT] {
            signal_hook::flag::register(signal, Arc::clone(&stop))?;
        }
        signal_hook::flag::register(SIGHUP, Arc::clone(&hangup))?;
        for signal in [SIGTERM, SIGINT, SIGHUP] {
            signal_hook::low_level::pipe::register(signal, signal_end.try_clone()?)?;
        }
        Ok(Schedule {
            interval,
            deadline: Instant::now(),
            wake,
            stop,
            hangup,
        })
    }

    /// Starts the shutdown watchdog: a thread that sleeps until the first SIGTERM/SIGINT,
    /// then ends the process if the loop has not returned `limit` later (it may be blocked
    /// in a send that never answers, or a write to a pipe nobody reads: no signal can
    /// interrupt those), and at once on a second signal. The orderly path (the drain after
    /// `Wake::Stop`) normally ends well before; this is the bound that holds whatever the
    /// loop is blocked on.
    pub fn watchdog(&self, limit: Duration) -> io::Result<()> {
        let (signals, signal_end) = UnixStream::pair()?;
        use signal_hook::consts::{SIGINT, SIGTERM};
        for signal in [SIGTERM, SIGINT] {
            signal_hook::low_level::pipe::register(signal, signal_end.try_clone()?)?;
        }
        std::thread::Builder::new()
            .name("shutdown-watchdog".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                let exit = watch(signals, limit);
                std::process::exit(i32::from(exit));
            })?;
        Ok(())
    }

    /// The flag SIGTERM/SIGINT set, for work that must stop between steps (a long drain).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// True once SIGTERM or SIGINT arrived.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Time left until the next deadline (zero when due).
    pub fn until_deadline(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// When the next tick is due.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Sleeps until the next tick deadline, `retry_at` (if earlier), or a stop signal.
    pub fn wait(&mut self, retry_at: Option<Instant>) -> Wake {
        loop {
            if self.stopping() {
                self.discard_pending_bytes();
                return Wake::Stop;
            }
            let now = Instant::now();
            if now >= self.deadline {
                let (next, missed) = next_deadline(self.deadline, now, self.interval);
                if missed > 0 {
                    log::warn!(
                        "skipped {missed} tick(s): the previous cycle overran the {:?} interval",
                        self.interval
                    );
                }
                self.deadline = next;
                return Wake::Tick;
            }
            if retry_at.is_some_and(|at| now >= at) {
                return Wake::Retry;
            }
            let until = retry_at.map_or(self.deadline, |at| at.min(self.deadline));
            self.sleep(until - now);
        }
    }

    /// After the stop signal: sleeps until `until`; false if another SIGTERM/SIGINT arrives
    /// first (hurry: skip the rest of the shutdown drain).
    pub fn sleep_until(&mut self, until: Instant) -> bool {
        loop {
            let now = Instant::now();
            if now >= until {
                return true;
            }
            if self.sleep(until - now) {
                return false;
            }
        }
    }

    /// Forgets signal bytes already delivered, so that only a later signal counts as "again".
    fn discard_pending_bytes(&mut self) {
        let mut drain = [0u8; 64];
        if self.wake.set_nonblocking(true).is_ok() {
            while matches!(self.wake.read(&mut drain), Ok(n) if n > 0) {}
            let _ = self.wake.set_nonblocking(false);
        }
    }

    /// One timed read on the signal socket; true if a stop signal (not SIGHUP) arrived.
    fn sleep(&mut self, timeout: Duration) -> bool {
        let mut drain = [0u8; 64];
        // A zero timeout means "block forever" to set_read_timeout.
        if self
            .wake
            .set_read_timeout(Some(timeout.max(Duration::from_micros(1))))
            .is_err()
        {
            std::thread::sleep(timeout.min(Duration::from_millis(100)));
            return false;
        }
        let signalled = match self.wake.read(&mut drain) {
            Ok(n) => n > 0,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                false
            }
            Err(e) => {
                log::warn!("signal socket: {e}; polling instead");
                std::thread::sleep(timeout.min(Duration::from_millis(100)));
                false
            }
        };
        if self.hangup.swap(false, Ordering::SeqCst) {
            log::info!("SIGHUP: reload is not supported; restart sysotlp to apply new settings");
            return false;
        }
        signalled && self.stopping()
    }
}

/// The watchdog's wait: returns the exit code once the process must end (1: the shutdown
/// overran `limit`; 0: a second stop signal), or never while no signal came.
fn watch(mut signals: UnixStream, limit: Duration) -> u8 {
    let mut bytes = [0u8; 16];
    // One byte per signal: a read of two is the second signal already.
    let first = loop {
        match signals.read(&mut bytes) {
            Ok(n) if n > 0 => break n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // The socket is gone (cannot happen while we hold both ends): never fire.
            _ => loop {
                std::thread::park();
            },
        }
    };
    log::info!(
        "stop signal: exiting within {} at the latest (a second signal: at once)",
        crate::units::display(limit)
    );
    let deadline = Instant::now() + limit;
    let mut again = first > 1;
    while !again {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || signals.set_read_timeout(Some(left)).is_err() {
            break;
        }
        again = matches!(signals.read(&mut bytes), Ok(n) if n > 0);
    }
    if again {
        log::warn!("second stop signal: exiting now, without finishing the shutdown");
        0
    } else {
        log::error!(
            "shutdown did not finish within {} (blocked sending or writing); exiting",
            crate::units::display(limit)
        );
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_time_ticks_advance_by_one_interval() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let (next, missed) = next_deadline(t0, t0 + Duration::from_millis(300), s);
        assert_eq!((next, missed), (t0 + s, 0));
    }

    #[test]
    fn a_slow_tick_does_not_shift_the_schedule() {
        let t0 = Instant::now();
        let s = Duration::from_secs(10);
        // The cycle at t0 ended at t0 + 9.9 s: the next deadline stays at t0 + 10 s.
        assert_eq!(
            next_deadline(t0, t0 + Duration::from_millis(9_900), s),
            (t0 + s, 0)
        );
    }

    #[test]
    fn missed_ticks_are_skipped_not_bunched() {
        let t0 = Instant::now();
        let s = Duration::from_secs(10);
        // Woken at t0 + 35 s for the t0 deadline: t0+10, t0+20, t0+30 are gone; next t0+40.
        let (next, missed) = next_deadline(t0, t0 + Duration::from_secs(35), s);
        assert_eq!((next, missed), (t0 + Duration::from_secs(40), 3));
        // Exactly on a later deadline: that one is missed too, the next is one interval on.
        let (next, missed) = next_deadline(t0, t0 + Duration::from_secs(10), s);
        assert_eq!((next, missed), (t0 + Duration::from_secs(20), 1));
    }
}
