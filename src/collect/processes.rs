//! Processes by state, and processes created since boot.
//!
//! Reads: the numeric directories of `<root>/proc` (the thread-group leaders: `readdir` of
//! `/proc` lists no other threads, and `task/` is never entered), each one's `stat`
//! (proc(5)), and the `processes` line of the cycle's shared `<root>/proc/stat`.
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
//! be read counts as `unknown` (the process exists) and is reported.
//!
//! The directory is read with `getdents64` into a buffer kept between cycles (rustix
//! `RawDir`), not `std::fs::read_dir`, which allocates a name for every entry: with a few
//! hundred processes that was the collector's only per-tick allocation.

use super::counter::{Counters, Width, kernel_word_bits, to_int};
use super::text::{keyed_counter, keyed_counters, split_pid_stat};
use super::{Collect, CollectError, required_stat};
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::{ReadError, Source};
use rustix::fs::{Mode, OFlags, RawDir};
use std::io;
use std::path::{Path, PathBuf};

/// What this collector emits (the registry's list).
pub const METRICS: &[&semconv::Info] = &[
    &semconv::SYSTEM_PROCESSES_COUNT.info,
    &semconv::SYSTEM_PROCESSES_CREATED.info,
];

/// Bytes of `getdents64` buffer: ~300 `/proc` entries per call.
const DIRENT_BUFFER: usize = 8192;

/// Index of `unknown`, the last of [`semconv::PROCESS_STATUSES`].
const UNKNOWN: usize = semconv::PROCESS_STATUSES.len() - 1;

/// Index into [`semconv::PROCESS_STATUSES`] of a `stat` state letter.
pub fn status_index(state: char) -> usize {
    match state {
        'R' => 0,
        'S' => 1,
        'D' => 2,
        'T' | 't' => 3,
        'Z' => 4,
        'I' => 5,
        _ => UNKNOWN,
    }
}

/// What one walk of `<root>/proc` found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Census {
    /// Processes per status, in [`semconv::PROCESS_STATUSES`] order.
    pub counts: [u64; semconv::PROCESS_STATUSES.len()],
    /// PIDs gone (or unreadable) before their `stat` was read: counted nowhere.
    pub vanished: u64,
    /// Of `unknown`, the state letter W (paging before 2.6, waking in 2.6.33–3.13), which
    /// the Collector calls `paging`.
    pub waiting: u64,
    /// The first `stat` whose state could not be read (it counts as `unknown`).
    pub damaged: Option<CollectError>,
}

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
    counts[status_index('R')] = Some(procs_running);
    counts[status_index('D')] = Some(procs_blocked);
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

/// The `processes` collector.
#[derive(Debug)]
pub struct Processes {
    /// `--hostmetrics-quirks`: the Collector's arithmetic.
    quirks: bool,
    proc_dir: PathBuf,
    /// `<root>/proc/<pid>/stat`, rebuilt in place for each PID.
    pid_stat: PathBuf,
    buf: String,
    dirents: Vec<u8>,
    /// `processes` wrap and reset state (entity `stat`).
    counters: Counters,
}

impl Processes {
    pub fn new(src: &Source, quirks: bool) -> Self {
        let proc_dir = src.path("proc");
        Processes {
            quirks,
            pid_stat: proc_dir.clone(),
            proc_dir,
            buf: String::new(),
            dirents: Vec::with_capacity(DIRENT_BUFFER),
            counters: Counters::new(kernel_word_bits(&src.info().machine)),
        }
    }

    /// Walks the numeric entries of `<root>/proc` and reads each one's state. An error
    /// opening or listing the directory loses the whole census (a partial one would
    /// under-count).
    fn census(&mut self, src: &Source) -> Result<Census, CollectError> {
        let dir_error = |e: rustix::io::Errno| {
            CollectError::read(&self.proc_dir, ReadError::from(io::Error::from(e)))
        };
        let fd = rustix::fs::open(
            &self.proc_dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(dir_error)?;
        let mut census = Census::default();
        let mut entries = RawDir::new(&fd, self.dirents.spare_capacity_mut());
        while let Some(entry) = entries.next() {
            let entry = entry.map_err(dir_error)?;
            let name = entry.file_name().to_bytes();
            if name.is_empty() || !name.iter().all(u8::is_ascii_digit) {
                continue;
            }
            let Ok(pid) = std::str::from_utf8(name) else {
                continue;
            };
            set_pid_stat(&mut self.pid_stat, &self.proc_dir, pid);
            match src.read_into(&self.pid_stat, &mut self.buf) {
                Ok(()) => {
                    let state = split_pid_stat(&self.buf).and_then(|(_, fields)| fields.state());
                    census.counts[state.map_or(UNKNOWN, status_index)] += 1;
                    census.waiting += u64::from(state == Some('W'));
                    if state.is_none() && census.damaged.is_none() {
                        census.damaged = Some(CollectError::malformed(
                            &self.pid_stat,
                            Some(1),
                            "expected \"<pid> (<comm>) <state> …\": no state after the last \")\"",
                        ));
                    }
                }
                // Exited since readdir (ENOENT; ESRCH arrives as another I/O error), or
                // hidden from us: expected noise (spec/metrics.md §7).
                Err(ReadError::NotFound | ReadError::Denied | ReadError::Io(..)) => {
                    census.vanished += 1;
                }
                Err(e @ (ReadError::NotText | ReadError::TooLarge)) => {
                    census.counts[UNKNOWN] += 1;
                    if census.damaged.is_none() {
                        census.damaged = Some(CollectError::read(&self.pid_stat, e));
                    }
                }
            }
        }
        Ok(census)
    }
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

/// `<proc_dir>/<pid>/stat` into `path`, reusing its capacity.
fn set_pid_stat(path: &mut PathBuf, proc_dir: &Path, pid: &str) {
    path.as_mut_os_string().clear();
    path.push(proc_dir);
    path.push(pid);
    path.push("stat");
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
            match self.census(src) {
                Ok(census) => {
                    let counts = if self.quirks {
                        let (running, blocked) = procs_running_blocked(src, &mut first_error);
                        hostmetrics_counts(&census, running, blocked)
                    } else {
                        let mut all = [Some(0); 8];
                        for (slot, n) in all.iter_mut().zip(census.counts) {
                            *slot = Some(n);
                        }
                        all[7] = None;
                        all
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
                            self.proc_dir.display(),
                            census.vanished
                        );
                    }
                    if let Some(damaged) = census.damaged {
                        first_error.get_or_insert(damaged);
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

    // Linux 6.18 x86_64: systemd, a kernel worker (idle), and a comm with spaces and `)`.
    const SYSTEMD: &str = "1 (systemd) S 0 1 1 0 -1 4194560 41310 2133856 141 1411 104 143 3405 2147 20 0 1 0 20 23412736 3197 18446744073709551615 1 1 0 0 0 0 671173123 4096 1260 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    const KWORKER: &str = "7 (kworker/0:0H-events_highpri) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 0 -20 1 0 21 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    const ODD_COMM: &str = "4242 (my) proc) R 1 4242 4242 0 -1 4194560 215 0 0 0 1 0 0 0 20 0 1 0 3312 2723840 224 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    fn parse_pid_stat_state(text: &str) -> Option<char> {
        split_pid_stat(text).and_then(|(_, fields)| fields.state())
    }

    fn parse_stat_processes(stat: &str) -> Result<Option<u64>, (usize, String)> {
        keyed_counter(stat, "processes")
    }

    #[test]
    fn state_is_after_the_last_paren() {
        assert_eq!(parse_pid_stat_state(SYSTEMD), Some('S'));
        assert_eq!(parse_pid_stat_state(KWORKER), Some('I'));
        assert_eq!(parse_pid_stat_state(ODD_COMM), Some('R'));
        assert_eq!(parse_pid_stat_state("9 (a b) (c) Z 1 9\n"), Some('Z'));
        // A comm ending in ")": the kernel's own ") " follows it.
        assert_eq!(parse_pid_stat_state("9 (x)) D 1\n"), Some('D'));
    }

    #[test]
    fn truncated_stat_has_no_state() {
        for text in [
            "",
            "4242 (my",
            "4242 (my) proc)",
            "4242 (my) proc) ",
            "4242 (x) \n1",
        ] {
            assert_eq!(parse_pid_stat_state(text), None, "{text:?}");
        }
    }

    #[test]
    fn letters_map_to_the_seven_statuses() {
        let status = |c| semconv::PROCESS_STATUSES[status_index(c)];
        for (letter, name) in [
            ('R', "running"),
            ('S', "sleeping"),
            ('D', "blocked"),
            ('T', "stopped"),
            ('t', "stopped"),
            ('Z', "zombies"),
            ('I', "idle"),
            ('X', "unknown"),
            ('P', "unknown"),
            ('W', "unknown"),
            ('K', "unknown"),
            ('x', "unknown"),
            ('?', "unknown"),
        ] {
            assert_eq!(status(letter), name, "{letter}");
        }
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
        for text in [SYSTEMD, KWORKER, ODD_COMM] {
            crate::collect::garbage::for_each_variant(text, |text| {
                if let Some(state) = parse_pid_stat_state(text) {
                    assert!(status_index(state) < semconv::PROCESS_STATUSES.len());
                }
            });
        }
        let stat = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/x86_64-vm/proc/stat"
        ))
        .unwrap();
        crate::collect::garbage::for_each_variant(&stat, |text| {
            let _ = parse_stat_processes(text);
        });
    }

    fn temp_root(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("sysotlp-processes-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("proc")).unwrap();
        std::fs::write(
            dir.join("sysotlp-fixture.json"),
            r#"{"format":1,"page_size":4096,"clock_ticks":100,"machine":"x86_64"}"#,
        )
        .unwrap();
        dir
    }

    fn pid(root: &Path, pid: &str, stat: Option<&[u8]>) {
        let dir = root.join("proc").join(pid);
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(stat) = stat {
            std::fs::write(dir.join("stat"), stat).unwrap();
        }
    }

    #[test]
    fn census_counts_leaders_skips_vanished_and_reports_damage() {
        let root = temp_root("census");
        pid(&root, "1", Some(SYSTEMD.as_bytes()));
        pid(&root, "7", Some(KWORKER.as_bytes()));
        pid(&root, "4242", Some(ODD_COMM.as_bytes()));
        // A thread of 4242: never read (task/ is not entered).
        pid(&root, "4242/task/4243", Some(b"4243 (t) D 1\n"));
        // Gone between readdir and read.
        pid(&root, "5000", None);
        // W (waking, Linux 2.6.33–3.13): unknown, and `waiting` for --hostmetrics-quirks.
        pid(&root, "5001", Some(b"5001 (w) W 1\n"));
        // Damaged: truncated before the state, and not text.
        pid(&root, "6000", Some(b"6000 (cut"));
        pid(&root, "6001", Some(&[0xff, 0xfe]));
        // Not processes.
        pid(&root, "sys", Some(b"1 (x) R\n"));
        pid(&root, "1a", Some(b"1 (x) R\n"));
        std::os::unix::fs::symlink("4242", root.join("proc/self")).unwrap();
        std::fs::write(root.join("proc/42"), "not a directory").unwrap();

        let src = Source::open(&root).unwrap();
        let mut processes = Processes::new(&src, false);
        let census = processes.census(&src).unwrap();
        // running sleeping blocked stopped zombies idle unknown
        assert_eq!(census.counts, [1, 1, 0, 0, 0, 1, 3]);
        assert_eq!(census.waiting, 1);
        assert_eq!(
            census.vanished, 2,
            "5000 has no stat; 42 is a file (ENOTDIR)"
        );
        let damaged = census.damaged.unwrap().to_string();
        assert!(
            damaged.contains("/proc/6000/stat line 1:")
                || damaged.contains("/proc/6001/stat: not UTF-8"),
            "{damaged}"
        );
        // The buffers are reused: a second walk gives the same census.
        assert_eq!(processes.census(&src).unwrap().counts, census.counts);
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
        assert_eq!(
            hostmetrics_counts(&walk, 2, 0),
            [
                Some(2),
                Some(3),
                Some(0),
                Some(2),
                Some(1),
                Some(1),
                Some(1),
                None
            ]
        );
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
        assert_eq!(
            hostmetrics_counts(&walk, 0, 0),
            [
                Some(0),
                Some(5),
                Some(0),
                None,
                None,
                None,
                Some(1),
                Some(1)
            ]
        );
        assert_eq!(HOSTMETRICS_STATUSES[7], "paging");
        assert_eq!(status_index('W'), UNKNOWN, "ours stays unknown");
    }

    #[test]
    fn a_missing_proc_directory_is_an_error() {
        let root = temp_root("noproc");
        std::fs::remove_dir_all(root.join("proc")).unwrap();
        let src = Source::open(&root).unwrap();
        let err = Processes::new(&src, false).census(&src).unwrap_err();
        assert_eq!(
            err.problem,
            super::super::Problem::Read(ReadError::NotFound)
        );
    }
}
