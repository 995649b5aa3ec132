//! The one pass over `<root>/proc/[pid]` per tick, shared by `processes` (the census by
//! state) and `process` (one resource per process): whichever runs first in a cycle walks,
//! the other reads what it found.
//!
//! Reads: the numeric directories of `<root>/proc` (the thread-group leaders: `readdir` of
//! `/proc` lists no other threads, and `task/` is never entered) and each one's `stat`, as
//! bytes (a name may be any bytes, prctl(PR_SET_NAME)).
//! Emits: a `Census` (processes per `system.processes.count` status), and, once `process`
//! gave it its selection (`top.rs`), offers it each process that is not a kernel thread as
//! an `Entry`; nothing is kept per process here.
//! Input (`<pid>/stat`, see `stat.rs`): `4242 (my) proc) S 1 4242 4242 0 -1 4194560 …`
//!
//! A PID that exits between `readdir` and the read of its `stat` (ENOENT, ESRCH) is counted
//! nowhere and not logged; so is an EACCES/EPERM one. A `stat` whose state cannot be read
//! counts as `unknown` (the process exists) and is reported by `processes`; one whose state
//! is there but not the other fields is counted and reported by `process`.
//!
//! The directory is read with `getdents64` into a buffer kept between cycles (rustix
//! `RawDir`), not `std::fs::read_dir`, which allocates a name for every entry. On a live
//! procfs the `stat` files stay open between walks, up to a cap (`procfs::KeptStats`).

use super::stat::PidStat;
use super::top::Top;
use crate::collect::CollectError;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::procfs::{self, KeptStats, ProcDir};
use crate::source::{ReadError, Source};
use rustix::fd::AsFd;
use rustix::fs::{Mode, OFlags, RawDir};
use std::cell::RefCell;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The walk as the two collectors share it.
pub type SharedWalk = Rc<RefCell<Walk>>;

/// Bytes of `getdents64` buffer: ~300 `/proc` entries per call.
const DIRENT_BUFFER: usize = 8192;

/// Index of `unknown`, the last of [`semconv::PROCESS_STATUSES`].
const UNKNOWN: usize = semconv::PROCESS_STATUSES.len() - 1;

/// Bytes of a command name kept: a process's is at most 15 (TASK_COMM_LEN − 1); longer
/// ones are kernel threads', which are not kept. Small, as there is one per process.
const COMM_BYTES: usize = 16;

/// Index into [`semconv::PROCESS_STATUSES`] of a `stat` state letter (fs/proc/array.c
/// `task_state_array`): R running, S sleeping, D blocked, T and t stopped, Z zombies, I idle
/// (≥ 4.14); any other letter (X dead, P parked, old kernels' W, K, x) is `unknown`.
pub fn status_index(state: u8) -> usize {
    match state {
        b'R' => 0,
        b'S' => 1,
        b'D' => 2,
        b'T' | b't' => 3,
        b'Z' => 4,
        b'I' => 5,
        _ => UNKNOWN,
    }
}

/// What one walk found for `system.processes.count`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Census {
    /// Processes per status, in [`semconv::PROCESS_STATUSES`] order.
    pub counts: [u64; semconv::PROCESS_STATUSES.len()],
    /// PIDs gone (or unreadable) before their `stat` was read: counted nowhere.
    pub vanished: u64,
    /// Of `unknown`, the state letter W (paging before 2.6, waking in 2.6.33–3.13), which
    /// `--hostmetrics-quirks` reports as `paging`.
    pub waiting: u64,
    /// The first `stat` whose state could not be read (it counts as `unknown`).
    pub damaged: Option<CollectError>,
}

/// A command name, kept without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comm {
    bytes: [u8; COMM_BYTES],
    len: usize,
}

impl Comm {
    pub fn new(name: &[u8]) -> Comm {
        let mut comm = Comm {
            bytes: [0; COMM_BYTES],
            len: name.len().min(COMM_BYTES),
        };
        if let (Some(to), Some(from)) = (comm.bytes.get_mut(..comm.len), name.get(..comm.len)) {
            to.copy_from_slice(from);
        }
        comm
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

/// One process that is not a kernel thread, as its `stat` showed it this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub pid: u32,
    pub comm: Comm,
    pub stat: PidStat,
}

/// The shared walk and what it found in the current cycle.
#[derive(Debug)]
pub struct Walk {
    proc_dir: PathBuf,
    /// `<root>/proc/<pid>/stat`, rebuilt in place for each PID.
    pid_stat: PathBuf,
    buf: Vec<u8>,
    dirents: Vec<u8>,
    /// The `process` collector's selection, offered every process (when it runs).
    top: Option<Top>,
    /// The last walk's `/proc` directory, kept open for the tick's per-PID reads when it is
    /// a live procfs.
    live: Option<ProcDir>,
    /// Every PID's `stat`, kept open between walks of a live procfs (up to a cap).
    kept: KeptStats,
    /// The cycle of the last walk (0: none yet) and its outcome.
    cycle: u64,
    outcome: Result<(), CollectError>,
    census: Census,
    /// The first `stat` with a state whose other fields could not be read.
    damaged_fields: Option<CollectError>,
}

impl Walk {
    pub fn new(src: &Source) -> Walk {
        let proc_dir = src.path("proc");
        Walk {
            pid_stat: proc_dir.clone(),
            proc_dir,
            buf: Vec::new(),
            dirents: Vec::with_capacity(DIRENT_BUFFER),
            top: None,
            live: None,
            kept: KeptStats::default(),
            cycle: 0,
            outcome: Ok(()),
            census: Census::default(),
            damaged_fields: None,
        }
    }

    /// A shared walk (one per `collect::build`).
    pub fn shared(src: &Source) -> SharedWalk {
        Rc::new(RefCell::new(Walk::new(src)))
    }

    /// Offers every process that is not a kernel thread to `top` from now on.
    pub fn select_with(&mut self, top: Top) {
        self.top = Some(top);
    }

    pub fn proc_dir(&self) -> &Path {
        &self.proc_dir
    }

    /// Walks `<root>/proc` unless this cycle's walk already ran; its outcome either way. An
    /// error opening or listing the directory loses the whole walk (a partial census would
    /// under-count).
    pub fn run(&mut self, src: &Source, tick: &Tick) -> Result<(), CollectError> {
        if self.cycle != tick.cycle || self.cycle == 0 {
            self.cycle = tick.cycle;
            if let Some(top) = self.top.as_mut() {
                top.begin(tick.now_unix_nano);
            }
            self.outcome = self.walk(src);
            if let Some(top) = self.top.as_mut() {
                top.finish();
            }
        }
        self.outcome.clone()
    }

    /// The census of the last walk.
    pub fn census(&self) -> &Census {
        &self.census
    }

    /// The `/proc` directory of the last walk when it is a live procfs (for `read_at`).
    pub fn live(&self) -> Option<&ProcDir> {
        self.live.as_ref()
    }

    /// The selection of the last walk (none unless [`Walk::select_with`]).
    pub fn top(&self) -> Option<&Top> {
        self.top.as_ref()
    }

    /// The first `stat` of the last walk with a state but damaged fields.
    pub fn damaged_fields(&self) -> Option<&CollectError> {
        self.damaged_fields.as_ref()
    }

    fn walk(&mut self, src: &Source) -> Result<(), CollectError> {
        self.census = Census::default();
        self.damaged_fields = None;
        let dir_error = |e: rustix::io::Errno| {
            CollectError::read(&self.proc_dir, ReadError::from(io::Error::from(e)))
        };
        let fd = rustix::fs::open(
            &self.proc_dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(dir_error)?;
        // A fixture tree takes the checked way, and may inject errors.
        let live = !src.is_fixture() && procfs::is_procfs(fd.as_fd());
        let dir = ProcDir::new(fd);
        // Taken while the entries borrow it (a move, not a copy), put back below.
        let mut dirents = std::mem::take(&mut self.dirents);
        let listed = self.list(src, &dir, live, &mut dirents);
        self.dirents = dirents;
        if live {
            self.kept.finish();
        } else {
            self.kept.close_all();
        }
        self.live = live.then_some(dir);
        listed
    }

    /// Reads the `stat` of every PID the directory `dir` lists (`live`: on a procfs).
    fn list(
        &mut self,
        src: &Source,
        dir: &ProcDir,
        live: bool,
        dirents: &mut Vec<u8>,
    ) -> Result<(), CollectError> {
        let mut entries = RawDir::new(dir.fd(), dirents.spare_capacity_mut());
        while let Some(entry) = entries.next() {
            let entry = entry.map_err(|e| {
                CollectError::read(&self.proc_dir, ReadError::from(io::Error::from(e)))
            })?;
            let name = entry.file_name().to_bytes();
            let Some(pid) = parse_pid(name) else {
                continue;
            };
            let read = if live {
                self.kept.read(dir, pid, name, &mut self.buf)
            } else {
                set_pid_file(&mut self.pid_stat, &self.proc_dir, name, "stat");
                src.read_bytes_into(&self.pid_stat, &mut self.buf)
            };
            match read {
                Ok(()) => self.count(src, pid, name),
                // Exited since readdir (ENOENT; ESRCH arrives as another I/O error), or
                // hidden from us: expected noise (spec/metrics.md §7).
                Err(ReadError::NotFound | ReadError::Denied | ReadError::Io(..)) => {
                    self.census.vanished += 1;
                }
                Err(e @ (ReadError::NotText | ReadError::TooLarge)) => {
                    self.census.counts[UNKNOWN] += 1;
                    if self.census.damaged.is_none() {
                        set_pid_file(&mut self.pid_stat, &self.proc_dir, name, "stat");
                        self.census.damaged = Some(CollectError::read(&self.pid_stat, e));
                    }
                }
            }
        }
        Ok(())
    }

    /// Counts the `stat` in `buf` of the PID named `name` and offers it to the selection.
    fn count(&mut self, src: &Source, pid: u32, name: &[u8]) {
        let Some((_, state)) = PidStat::name_and_state(&self.buf) else {
            self.census.counts[UNKNOWN] += 1;
            if self.census.damaged.is_none() {
                set_pid_file(&mut self.pid_stat, &self.proc_dir, name, "stat");
                self.census.damaged = Some(CollectError::malformed(
                    &self.pid_stat,
                    Some(1),
                    "expected \"<pid> (<comm>) <state> …\": no state after the last \")\"",
                ));
            }
            return;
        };
        self.census.counts[status_index(state)] += 1;
        self.census.waiting += u64::from(state == b'W');
        let Some(top) = self.top.as_mut() else {
            return;
        };
        match PidStat::parse(&self.buf) {
            Ok((_, stat)) if stat.is_kernel_thread() => {}
            Ok((comm, stat)) => top.offer(src, &self.proc_dir, pid, comm, &stat),
            Err(what) => {
                if self.damaged_fields.is_none() {
                    set_pid_file(&mut self.pid_stat, &self.proc_dir, name, "stat");
                    self.damaged_fields =
                        Some(CollectError::malformed(&self.pid_stat, Some(1), what));
                }
            }
        }
    }
}

/// A `/proc` entry's PID: all ASCII digits, fitting a `u32` (PID_MAX_LIMIT is 2^22).
fn parse_pid(name: &[u8]) -> Option<u32> {
    if name.is_empty() || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

/// `<proc_dir>/<pid>/<file>` into `path`, reusing its capacity.
pub fn set_pid_file(path: &mut PathBuf, proc_dir: &Path, pid: &[u8], file: &str) {
    use std::os::unix::ffi::OsStrExt;
    path.as_mut_os_string().clear();
    path.push(proc_dir);
    path.push(std::ffi::OsStr::from_bytes(pid));
    path.push(file);
}

#[cfg(test)]
mod tests {
    use super::*;

    // Linux 6.18 x86_64: systemd, a kernel worker (idle), and a comm with spaces and `)`.
    const SYSTEMD: &str = "1 (systemd) S 0 1 1 0 -1 4194560 41310 2133856 141 1411 104 143 3405 2147 20 0 1 0 20 23412736 3197 18446744073709551615 1 1 0 0 0 0 671173123 4096 1260 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    const KWORKER: &str = "7 (kworker/0:0H-events_highpri) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 0 -20 1 0 21 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    const ODD_COMM: &str = "4242 (my) proc) R 1 4242 4242 0 -1 4194560 215 0 0 0 1 0 0 0 20 0 1 0 3312 2723840 224 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    #[test]
    fn letters_map_to_the_seven_statuses() {
        let status = |c| semconv::PROCESS_STATUSES[status_index(c)];
        for (letter, name) in [
            (b'R', "running"),
            (b'S', "sleeping"),
            (b'D', "blocked"),
            (b'T', "stopped"),
            (b't', "stopped"),
            (b'Z', "zombies"),
            (b'I', "idle"),
            (b'X', "unknown"),
            (b'P', "unknown"),
            (b'W', "unknown"),
            (b'K', "unknown"),
            (b'x', "unknown"),
            (b'?', "unknown"),
        ] {
            assert_eq!(status(letter), name, "{}", letter as char);
        }
    }

    #[test]
    fn pids_are_decimal_u32() {
        assert_eq!(parse_pid(b"4242"), Some(4242));
        for name in [&b""[..], b"self", b"1a", b"99999999999", b"-1"] {
            assert_eq!(parse_pid(name), None, "{name:?}");
        }
    }

    fn temp_root(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sysotlp-walk-{name}-{}", std::process::id()));
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

    fn tick(cycle: u64) -> Tick {
        Tick {
            now_unix_nano: cycle,
            boot_unix_nano: 0,
            cycle,
            previous_unix_nano: 0,
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
        // Damaged: truncated before the state.
        pid(&root, "6000", Some(b"6000 (cut"));
        // A name that is not UTF-8 (prctl): an ordinary sleeping process.
        pid(
            &root,
            "6001",
            Some(b"6001 (\xff\xfe) S 1 6001 6001 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0 0\n"),
        );
        // A state but a cut tail: counted, not kept.
        pid(&root, "6002", Some(b"6002 (x) R 1 2"));
        // Not processes.
        pid(&root, "sys", Some(b"1 (x) R\n"));
        pid(&root, "1a", Some(b"1 (x) R\n"));
        std::os::unix::fs::symlink("4242", root.join("proc/self")).unwrap();
        std::fs::write(root.join("proc/42"), "not a directory").unwrap();

        let src = Source::open(&root).unwrap();
        let mut walk = Walk::new(&src);
        walk.select_with(Top::new(&src, &super::super::Options::default(), false));
        walk.run(&src, &tick(1)).unwrap();
        // running sleeping blocked stopped zombies idle unknown
        assert_eq!(walk.census().counts, [2, 2, 0, 0, 0, 1, 1]);
        assert_eq!(
            walk.census().vanished,
            2,
            "5000 has no stat; 42 is a file (ENOTDIR)"
        );
        let damaged = walk.census().damaged.clone().unwrap().to_string();
        assert!(damaged.contains("/proc/6000/stat line 1:"), "{damaged}");
        let fields = walk.damaged_fields().unwrap().to_string();
        assert!(
            fields.contains("/proc/6002/stat line 1: fewer than 24"),
            "{fields}"
        );
        let kept = |walk: &Walk| -> Vec<(u32, Vec<u8>)> {
            let chosen = walk.top().unwrap().chosen();
            chosen
                .iter()
                .map(|c| (c.entry.pid, c.entry.comm.as_bytes().to_vec()))
                .collect()
        };
        assert_eq!(
            kept(&walk),
            [
                (1, b"systemd".to_vec()),
                (4242, b"my) proc".to_vec()),
                (6001, b"\xff\xfe".to_vec())
            ],
            "the kernel thread is not offered; the chosen are in PID order"
        );
        // Same cycle: not walked again, even if the tree changed.
        std::fs::remove_dir_all(root.join("proc/4242")).unwrap();
        walk.run(&src, &tick(1)).unwrap();
        assert_eq!(kept(&walk).len(), 3);
        // Next cycle: the buffers are reused and 4242 is gone.
        walk.run(&src, &tick(2)).unwrap();
        assert_eq!(walk.census().counts, [1, 2, 0, 0, 0, 1, 1]);
        assert_eq!(kept(&walk).len(), 2);
    }

    #[test]
    fn a_missing_proc_directory_is_an_error_for_every_reader() {
        let root = temp_root("noproc");
        std::fs::remove_dir_all(root.join("proc")).unwrap();
        let src = Source::open(&root).unwrap();
        let mut walk = Walk::new(&src);
        let err = walk.run(&src, &tick(1)).unwrap_err();
        assert_eq!(
            err.problem,
            crate::collect::Problem::Read(ReadError::NotFound)
        );
        assert_eq!(walk.run(&src, &tick(1)), Err(err), "the second reader too");
    }
}
