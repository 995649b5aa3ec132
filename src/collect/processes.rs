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
//! `procs_running`/`procs_blocked` and loadavg are thread counts and never used (spec D5).
//!
//! A PID that exits between `readdir` and the read of its `stat` (ENOENT, ESRCH) is counted
//! nowhere and logged at debug only; so is an EACCES/EPERM one. A `stat` whose state cannot
//! be read counts as `unknown` (the process exists) and is reported.
//!
//! The directory is read with `getdents64` into a buffer kept between cycles (rustix
//! `RawDir`), not `std::fs::read_dir`, which allocates a name for every entry: with a few
//! hundred processes that was the collector's only per-tick allocation.

use super::counter::{Counters, Width, kernel_word_bits, to_int};
use super::text::{keyed_counter, split_pid_stat};
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
    /// The first `stat` whose state could not be read (it counts as `unknown`).
    pub damaged: Option<CollectError>,
}

/// The `processes` collector.
#[derive(Debug)]
pub struct Processes {
    proc_dir: PathBuf,
    /// `<root>/proc/<pid>/stat`, rebuilt in place for each PID.
    pid_stat: PathBuf,
    buf: String,
    dirents: Vec<u8>,
    /// `processes` wrap and reset state (entity `stat`).
    counters: Counters,
}

impl Processes {
    pub fn new(src: &Source) -> Self {
        let proc_dir = src.path("proc");
        Processes {
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
                    let mut count = out.metric(&semconv::SYSTEM_PROCESSES_COUNT);
                    for (status, n) in semconv::PROCESS_STATUSES.iter().zip(census.counts) {
                        count.point(&[(semconv::STATUS, status)], to_int(n));
                    }
                    if census.vanished > 0 {
                        log::debug!(
                            "{}: {} PIDs gone or unreadable before their stat was read",
                            self.proc_dir.display(),
                            census.vanished
                        );
                    }
                    first_error = census.damaged;
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
        // Damaged: truncated before the state, and not text.
        pid(&root, "6000", Some(b"6000 (cut"));
        pid(&root, "6001", Some(&[0xff, 0xfe]));
        // Not processes.
        pid(&root, "sys", Some(b"1 (x) R\n"));
        pid(&root, "1a", Some(b"1 (x) R\n"));
        std::os::unix::fs::symlink("4242", root.join("proc/self")).unwrap();
        std::fs::write(root.join("proc/42"), "not a directory").unwrap();

        let src = Source::open(&root).unwrap();
        let mut processes = Processes::new(&src);
        let census = processes.census(&src).unwrap();
        // running sleeping blocked stopped zombies idle unknown
        assert_eq!(census.counts, [1, 1, 0, 0, 0, 1, 2]);
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

    #[test]
    fn a_missing_proc_directory_is_an_error() {
        let root = temp_root("noproc");
        std::fs::remove_dir_all(root.join("proc")).unwrap();
        let src = Source::open(&root).unwrap();
        let err = Processes::new(&src).census(&src).unwrap_err();
        assert_eq!(
            err.problem,
            super::super::Problem::Read(ReadError::NotFound)
        );
    }
}
