//! Processes by state, and processes created since boot.
//!
//! Reads: the census of the tick's one walk of `<root>/proc/[pid]/stat` (`process/walk.rs`,
//! shared with the `process` collector), and the `processes` line of the cycle's shared
//! `<root>/proc/stat`.
//! Emits (spec/metrics.md §3.8): `system.processes.count` (UpDownCounter, {processes},
//! `status`, all 7 statuses every cycle; they sum to `ps -e | wc -l` minus its header) and
//! `system.processes.created` (Counter, {processes}: forks since boot, `unsigned long`,
//! width word, §1.3).
//! Input (`<pid>/stat`; comm is the name in parentheses and may hold spaces and `)`):
//! ```text
//! 4242 (my) proc) S 1 4242 4242 0 -1 4194560 215 0 0 0 1 0 0 0 20 0 1 0 3312 ...
//! ```
//! The state is the first character after the last `)` (fs/proc/array.c
//! `task_state_array`): R running, S sleeping, D blocked, T and t stopped, Z zombies,
//! I idle (≥ 4.14); any other letter (X dead, P parked, old kernels' W, K, x) is `unknown`.
//! `procs_running`/`procs_blocked` and loadavg are thread counts and never used (spec D5),
//! except under `--hostmetrics-quirks` (spec D12), which gives the Collector's counts
//! ([`hostmetrics_counts`]): running and blocked are `procs_running` and `procs_blocked` of
//! `<root>/proc/stat`, a status is emitted only when counted, and W is `paging`.
//!
//! A PID that exits between `readdir` and the read of its `stat` (ENOENT, ESRCH) is counted
//! nowhere and logged at debug only; so is an EACCES/EPERM one. A `stat` whose state cannot
//! be read counts as `unknown` (the process exists) and is reported. Names are bytes: a
//! process named with invalid UTF-8 is counted like any other.

use super::counter::{Counters, Width, kernel_word_bits, to_int};
use super::process::walk::{Census, SharedWalk, status_index};
use super::text::{keyed_counter, keyed_counters};
use super::{Collect, CollectError, required_stat};
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::Source;

/// What this collector emits (the registry's list).
pub const METRICS: &[&semconv::Info] = &[
    &semconv::SYSTEM_PROCESSES_COUNT.info,
    &semconv::SYSTEM_PROCESSES_CREATED.info,
];

/// Index of `unknown`, the last of [`semconv::PROCESS_STATUSES`].
const UNKNOWN: usize = semconv::PROCESS_STATUSES.len() - 1;

/// `system.processes.count` statuses under `--hostmetrics-quirks`: ours, then `paging`.
pub const HOSTMETRICS_STATUSES: [&str; 8] = [
    semconv::PROCESS_STATUSES[0],
    semconv::PROCESS_STATUSES[1],
    semconv::PROCESS_STATUSES[2],
    semconv::PROCESS_STATUSES[3],
    semconv::PROCESS_STATUSES[4],
    semconv::PROCESS_STATUSES[5],
    semconv::PROCESS_STATUSES[6],
    semconv::PROCESS_PAGING,
];

/// `system.processes.count` as the Collector computes it on Linux (`--hostmetrics-quirks`,
/// spec D12), per [`HOSTMETRICS_STATUSES`]; `None` where it emits no point. From
/// `getProcessesMetadata` (receiver/hostmetricsreceiver/internal/scraper/processesscraper/
/// processes_scraper_unix.go): each process whose status gopsutil reads is counted under its
/// letter (`charToState`; a letter it does not map, such as X or P, under `unknown`), so only
/// statuses seen get a point; then `blocked` and `running` are overwritten with
/// `procs_blocked` and `procs_running` of `/proc/stat` (gopsutil v4 `load.MiscWithContext`,
/// load/load_linux.go): runnable and blocked *threads*, emitted even when 0; and when
/// `ProcsTotal` (there `common.NumProcsWithContext`: the numeric entries of `/proc`) exceeds
/// the sum, `unknown` becomes the difference. Older gopsutil (v3) took `ProcsTotal` from
/// loadavg's thread count instead.
pub fn hostmetrics_counts(
    census: &Census,
    procs_running: u64,
    procs_blocked: u64,
) -> [Option<u64>; 8] {
    let seen = |n: u64| (n > 0).then_some(n);
    let unknown = census.counts[UNKNOWN].saturating_sub(census.waiting);
    let mut counts = [None; 8];
    for (slot, n) in counts.iter_mut().zip(census.counts) {
        *slot = seen(n);
    }
    counts[UNKNOWN] = seen(unknown);
    counts[7] = seen(census.waiting);
    counts[status_index(b'R')] = Some(procs_running);
    counts[status_index(b'D')] = Some(procs_blocked);
    let known = counts
        .iter()
        .flatten()
        .fold(0u64, |sum, n| sum.saturating_add(*n));
    let entries = census
        .counts
        .iter()
        .fold(census.vanished, |sum, n| sum.saturating_add(*n));
    if entries > known {
        counts[UNKNOWN] = Some(entries - known);
    }
    counts
}

/// Ours: all 7 statuses, no `paging`.
fn all_counts(census: &Census) -> [Option<u64>; 8] {
    let mut counts = [None; 8];
    for (slot, n) in counts.iter_mut().zip(census.counts) {
        *slot = Some(n);
    }
    counts
}

/// `procs_running` and `procs_blocked` of the cycle's `/proc/stat`; 0 where missing or
/// malformed, as gopsutil's `load.MiscWithContext` leaves them (the error is reported).
fn procs_running_blocked(src: &Source, first_error: &mut Option<CollectError>) -> (u64, u64) {
    let parsed = required_stat(src).map(|stat| {
        let ([running, blocked], bad) = keyed_counters(&stat, ["procs_running", "procs_blocked"]);
        if let Some((line, what)) = bad {
            first_error
                .get_or_insert_with(|| CollectError::malformed(src.stat_path(), Some(line), what));
        }
        (running.unwrap_or(0), blocked.unwrap_or(0))
    });
    parsed.unwrap_or_else(|e| {
        first_error.get_or_insert(e);
        (0, 0)
    })
}

/// The `processes` collector.
#[derive(Debug)]
pub struct Processes {
    /// `--hostmetrics-quirks`: the Collector's arithmetic.
    quirks: bool,
    walk: SharedWalk,
    /// `processes` wrap and reset state (entity `stat`).
    counters: Counters,
}

impl Processes {
    pub fn new(src: &Source, walk: SharedWalk, quirks: bool) -> Self {
        Processes {
            quirks,
            walk,
            counters: Counters::new(kernel_word_bits(&src.info().machine)),
        }
    }
}

impl Collect for Processes {
    fn collect(
        &mut self,
        src: &Source,
        tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        let mut first_error = None;
        if out.enabled(&semconv::SYSTEM_PROCESSES_COUNT) {
            let mut walk = self.walk.borrow_mut();
            match walk.run(src, tick) {
                Ok(()) => {
                    let census = walk.census();
                    let counts = if self.quirks {
                        let (running, blocked) = procs_running_blocked(src, &mut first_error);
                        hostmetrics_counts(census, running, blocked)
                    } else {
                        all_counts(census)
                    };
                    let mut count = out.metric(&semconv::SYSTEM_PROCESSES_COUNT);
                    for (status, n) in HOSTMETRICS_STATUSES.iter().zip(counts) {
                        if let Some(n) = n {
                            count.point(&[(semconv::STATUS, status)], to_int(n));
                        }
                    }
                    if census.vanished > 0 {
                        log::debug!(
                            "{}: {} PIDs gone or unreadable before their stat was read",
                            walk.proc_dir().display(),
                            census.vanished
                        );
                    }
                    if let Some(damaged) = &census.damaged {
                        first_error.get_or_insert_with(|| damaged.clone());
                    }
                }
                Err(e) => first_error = Some(e),
            }
        }
        if out.enabled(&semconv::SYSTEM_PROCESSES_CREATED) {
            let forks = required_stat(src)
                .and_then(|stat| {
                    keyed_counter(&stat, "processes").map_err(|(line, what)| {
                        CollectError::malformed(src.stat_path(), Some(line), what)
                    })
                })
                .and_then(|forks| {
                    forks.ok_or_else(|| {
                        CollectError::malformed(src.stat_path(), None, "no processes line")
                    })
                });
            match forks {
                Ok(forks) => {
                    let ([forks], start) =
                        self.counters
                            .update("stat", tick, [(forks, Width::Word)], false);
                    self.counters.prune(tick);
                    out.metric(&semconv::SYSTEM_PROCESSES_CREATED).point_since(
                        start,
                        &[],
                        to_int(forks),
                    );
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_stat_processes(stat: &str) -> Result<Option<u64>, (usize, String)> {
        keyed_counter(stat, "processes")
    }

    #[test]
    fn processes_line_of_proc_stat() {
        let stat = "cpu  1114 0 812 32326 92 0 16 8 0 0\nctxt 1990473\nbtime 1767200000\n\
processes 26442\nprocs_running 9\nprocs_blocked 1\n";
        assert_eq!(parse_stat_processes(stat), Ok(Some(26442)));
        assert_eq!(parse_stat_processes("btime 1\n"), Ok(None));
        assert_eq!(
            parse_stat_processes("btime 1\nprocesses 18446744073709551615\n"),
            Err((
                2,
                "expected \"processes <counter>\", found \"processes 18446744073709551615\"".into()
            ))
        );
        assert!(parse_stat_processes("processes\n").is_err());
        assert!(parse_stat_processes("processes 1 2\n").is_err());
    }

    fn census(counts: [u64; 7], vanished: u64, waiting: u64) -> Census {
        Census {
            counts,
            vanished,
            waiting,
            damaged: None,
        }
    }

    #[test]
    fn hostmetrics_quirks_overwrite_running_and_blocked_with_thread_counts() {
        // fixtures/processes (spec/metrics.md §9.3): R, S, S, Z, D; procs_running 9,
        // procs_blocked 1. Known 9 + 2 + 1 + 1 = 13 ≥ 5 entries: no unknown; stopped, idle,
        // unknown and paging were never seen, so they get no point.
        let walk = census([1, 2, 1, 0, 1, 0, 0], 0, 0);
        assert_eq!(
            hostmetrics_counts(&walk, 9, 1),
            [Some(9), Some(2), Some(1), None, Some(1), None, None, None]
        );
        // fixtures/processes-states: R S S S D T t Z I P, and 5020 gone (11 entries);
        // procs_running 2, procs_blocked 0. Known 2 + 3 + 0 + 2 + 1 + 1 + 1 (P) = 10 < 11:
        // unknown = 11 − 10 = 1, blocked 0 still emitted.
        let walk = census([1, 3, 1, 2, 1, 1, 1], 1, 0);
        let expected = [2, 3, 0, 2, 1, 1, 1].map(Some);
        assert_eq!(hostmetrics_counts(&walk, 2, 0)[..7], expected);
        assert_eq!(hostmetrics_counts(&walk, 2, 0)[7], None);
        // Ours: the census as it is, all 7.
        assert_eq!(all_counts(&walk)[..7], [1, 3, 1, 2, 1, 1, 1].map(Some));
        assert_eq!(all_counts(&walk)[7], None);
    }

    #[test]
    fn hostmetrics_quirks_fill_unknown_up_to_the_proc_entries() {
        // 13 processes seen (3 R, 10 S) and 2 gone: 15 entries. One runnable thread:
        // known 1 + 10 + 0 = 11, unknown = 15 − 11 = 4.
        let walk = census([3, 10, 0, 0, 0, 0, 0], 2, 0);
        assert_eq!(
            hostmetrics_counts(&walk, 1, 0),
            [Some(1), Some(10), Some(0), None, None, None, Some(4), None]
        );
    }

    #[test]
    fn hostmetrics_quirks_call_w_paging() {
        // 5 S, one W and one X (both unknown to us): paging 1, unknown 1.
        let walk = census([0, 5, 0, 0, 0, 0, 2], 0, 1);
        let counts = hostmetrics_counts(&walk, 0, 0);
        assert_eq!(counts[..3], [Some(0), Some(5), Some(0)]);
        assert_eq!(counts[6..], [Some(1), Some(1)]);
        assert_eq!(HOSTMETRICS_STATUSES[7], "paging");
        assert_eq!(status_index(b'W'), UNKNOWN, "ours stays unknown");
    }

    #[test]
    fn the_walk_counts_w_for_the_quirks() {
        let root = std::env::temp_dir().join(format!("sysotlp-processes-w-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (pid, stat) in [
            ("1", "1 (init) S 0"),
            ("9", "9 (w) W 1"),
            ("10", "10 (x) X 1"),
        ] {
            std::fs::create_dir_all(root.join("proc").join(pid)).unwrap();
            std::fs::write(root.join("proc").join(pid).join("stat"), stat).unwrap();
        }
        std::fs::write(
            root.join("sysotlp-fixture.json"),
            r#"{"format":1,"page_size":4096,"clock_ticks":100,"machine":"x86_64"}"#,
        )
        .unwrap();
        let src = Source::open(&root).unwrap();
        let mut walk = super::super::process::walk::Walk::new(&src);
        let tick = Tick {
            now_unix_nano: 1,
            boot_unix_nano: 0,
            cycle: 1,
            previous_unix_nano: 0,
        };
        walk.run(&src, &tick).unwrap();
        assert_eq!(walk.census().counts, [0, 1, 0, 0, 0, 0, 2]);
        assert_eq!(walk.census().waiting, 1);
        let counts = hostmetrics_counts(walk.census(), 0, 0);
        assert_eq!(counts[6..], [Some(1), Some(1)], "X unknown, W paging");
    }

    #[test]
    fn garbage_never_panics() {
        let stat = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/x86_64-vm/proc/stat"
        ))
        .unwrap();
        crate::collect::garbage::for_each_variant(&stat, |text| {
            let _ = parse_stat_processes(text);
        });
    }
}
