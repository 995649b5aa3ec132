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
//! `procs_running`/`procs_blocked` and loadavg are thread counts and never used (spec D5).
//!
//! A PID that exits between `readdir` and the read of its `stat` (ENOENT, ESRCH) is counted
//! nowhere and logged at debug only; so is an EACCES/EPERM one. A `stat` whose state cannot
//! be read counts as `unknown` (the process exists) and is reported. Names are bytes: a
//! process named with invalid UTF-8 is counted like any other.

use super::counter::{Counters, Width, kernel_word_bits, to_int};
use super::process::walk::SharedWalk;
use super::text::keyed_counter;
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

/// The `processes` collector.
#[derive(Debug)]
pub struct Processes {
    walk: SharedWalk,
    /// `processes` wrap and reset state (entity `stat`).
    counters: Counters,
}

impl Processes {
    pub fn new(src: &Source, walk: SharedWalk) -> Self {
        Processes {
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
                    let mut count = out.metric(&semconv::SYSTEM_PROCESSES_COUNT);
                    for (status, n) in semconv::PROCESS_STATUSES.iter().zip(census.counts) {
                        count.point(&[(semconv::STATUS, status)], to_int(n));
                    }
                    if census.vanished > 0 {
                        log::debug!(
                            "{}: {} PIDs gone or unreadable before their stat was read",
                            walk.proc_dir().display(),
                            census.vanished
                        );
                    }
                    first_error = census.damaged.clone();
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
