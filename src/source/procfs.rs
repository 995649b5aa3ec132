//! The short way to a per-PID file of a live procfs, for the files read for every process
//! every tick (`<pid>/stat`, and `statm` and `io` of the reported ones).
//!
//! Reads: `<pid>/<file>` opened relative to the `/proc` directory the walk holds open.
//! Emits: the file's bytes, or the `ReadError` its errno maps to.
//! `open_file` costs five system calls a file: `openat` of the whole path from the root,
//! `fstat` (refusing FIFOs, sockets and devices a planted tree may hold), and two reads (the
//! second finds the end). On a procfs (`fstatfs` says so, once a walk) no such thing can
//! stand at `<pid>/stat`, and a seq_file returns its whole text to the first read whose
//! buffer holds it: `openat` relative to the directory, one read, `close`. Fixture trees
//! (not procfs, and they may inject errors) keep taking `Source::read_bytes_into`.
//! `KeptStats` goes further for `<pid>/stat`: the file stays open between walks and is read
//! again with one `pread` at offset 0.

use super::{MAX_FILE_BYTES, ReadError};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use std::io;

/// Bytes of the first read: `stat` is ~150 + 64 (name) bytes, `io` ~100, `statm` ~30.
const FIRST_READ: usize = 1024;

/// Bytes of `<pid>/<file>`: 10 digits (a `u32`), the slash and a short name.
const RELATIVE: usize = 32;

/// Whether the directory `dir` is on a procfs.
pub fn is_procfs(dir: BorrowedFd<'_>) -> bool {
    rustix::fs::fstatfs(dir).is_ok_and(|fs| fs.f_type == rustix::fs::PROC_SUPER_MAGIC)
}

/// The `/proc` directory of one walk, for `read_at`.
#[derive(Debug)]
pub struct ProcDir(OwnedFd);

impl ProcDir {
    pub fn new(fd: OwnedFd) -> ProcDir {
        ProcDir(fd)
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }

    /// Reads `<pid>/<file>` into `buf` (cleared first), at most `MAX_FILE_BYTES`
    /// (`TooLarge` beyond). For a procfs directory only (`is_procfs`).
    pub fn read_at(&self, pid: &[u8], file: &str, buf: &mut Vec<u8>) -> Result<(), ReadError> {
        self.open_and_read(pid, file, buf).map(drop)
    }

    /// `read_at`, handing back the open file (for `KeptStats`).
    fn open_and_read(
        &self,
        pid: &[u8],
        file: &str,
        buf: &mut Vec<u8>,
    ) -> Result<OwnedFd, ReadError> {
        buf.clear();
        let mut relative = [0u8; RELATIVE];
        let len = pid.len() + 1 + file.len();
        let Some(to) = relative.get_mut(..len) else {
            return Err(ReadError::NotFound);
        };
        let (digits, rest) = to.split_at_mut(pid.len());
        digits.copy_from_slice(pid);
        let (slash, name) = rest.split_at_mut(1);
        slash.copy_from_slice(b"/");
        name.copy_from_slice(file.as_bytes());
        let fd = rustix::fs::openat(
            &self.0,
            &*to,
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK,
            Mode::empty(),
        )
        .map_err(errno)?;
        read_from_start(fd.as_fd(), buf)?;
        Ok(fd)
    }
}

/// Reads an open procfs file whole into `buf` (cleared first) with `pread` from offset 0: a
/// seq_file read at 0 formats the file anew, so a kept file reads as a fresh open does.
/// A seq_file returns its whole text to the first read whose buffer holds it; a longer file
/// takes more reads, and the one that finds its end.
fn read_from_start(fd: BorrowedFd<'_>, buf: &mut Vec<u8>) -> Result<(), ReadError> {
    buf.clear();
    let mut chunk = [0u8; FIRST_READ];
    let mut n = rustix::io::pread(fd, &mut chunk, 0).map_err(errno)?;
    let whole = n < FIRST_READ;
    loop {
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if buf.len() as u64 > MAX_FILE_BYTES {
            buf.clear();
            return Err(ReadError::TooLarge);
        }
        if whole || n == 0 {
            return Ok(());
        }
        n = rustix::io::pread(fd, &mut chunk, buf.len() as u64).map_err(errno)?;
    }
}

fn errno(e: rustix::io::Errno) -> ReadError {
    ReadError::from(io::Error::from(e))
}

/// Most `<pid>/stat` files kept open, whatever the descriptor limit allows.
const MAX_KEPT_STATS: usize = 256;

/// The `<pid>/stat` files of the last walk, kept open and read again with `pread` instead
/// of `openat` + `close` for every process every tick: 3.6 µs less per process on this
/// machine kind (8.3 → ~4.7 µs), at one descriptor and one page of kernel memory (the
/// seq_file buffer, ~4 KB measured in `Slab`) per file. Hence a cap, `MAX_KEPT_STATS`
/// (~1 MB of kernel memory at most), and never more than a quarter of `RLIMIT_NOFILE`.
///
/// A kept file belongs to its process, not to its number: once the process is reaped its
/// reads fail (ESRCH), the file is closed, and the PID, perhaps another process's now, is
/// opened again by name. A PID no longer listed has its file closed at the end of the walk.
#[derive(Debug)]
pub struct KeptStats {
    /// Files by PID, sorted, as the last walk left them; taken out as this walk reads them.
    open: Vec<(u32, Option<OwnedFd>)>,
    /// This walk's files, in the order it read them (`/proc` lists PIDs in ascending order).
    next: Vec<(u32, Option<OwnedFd>)>,
    /// Files of `open` not yet taken.
    waiting: usize,
    cap: usize,
}

impl Default for KeptStats {
    fn default() -> KeptStats {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        let quarter = limit.map_or(usize::MAX, |n| usize::try_from(n / 4).unwrap_or(usize::MAX));
        KeptStats::with_cap(MAX_KEPT_STATS.min(quarter))
    }
}

impl KeptStats {
    fn with_cap(cap: usize) -> KeptStats {
        KeptStats {
            open: Vec::new(),
            next: Vec::new(),
            waiting: 0,
            cap,
        }
    }

    /// Reads `<pid>/stat` of `dir` into `buf`, through the file kept for `pid` if there is
    /// one that still reads, else by name (keeping the new file while under the cap).
    pub fn read(
        &mut self,
        dir: &ProcDir,
        pid: u32,
        name: &[u8],
        buf: &mut Vec<u8>,
    ) -> Result<(), ReadError> {
        if self.next.capacity() < self.cap {
            // Once, on the first live walk: both lists at their bound, never grown again.
            self.open.reserve_exact(self.cap);
            self.next.reserve_exact(self.cap);
        }
        let kept = self
            .open
            .binary_search_by_key(&pid, |(pid, _)| *pid)
            .ok()
            .and_then(|at| self.open.get_mut(at))
            .and_then(|(_, fd)| fd.take());
        if let Some(fd) = kept {
            self.waiting = self.waiting.saturating_sub(1);
            if read_from_start(fd.as_fd(), buf).is_ok() {
                self.next.push((pid, Some(fd)));
                return Ok(());
            }
        }
        let fd = dir.open_and_read(name, "stat", buf)?;
        if self.next.len() + self.waiting < self.cap {
            self.next.push((pid, Some(fd)));
        }
        Ok(())
    }

    /// Ends a walk: files of PIDs it did not read are closed.
    pub fn finish(&mut self) {
        self.open.clear();
        std::mem::swap(&mut self.open, &mut self.next);
        if !self.open.is_sorted_by_key(|(pid, _)| *pid) {
            self.open.sort_unstable_by_key(|(pid, _)| *pid);
        }
        self.waiting = self.open.len();
    }

    /// Closes every file (a walk that is not of a live procfs).
    pub fn close_all(&mut self) {
        self.open.clear();
        self.next.clear();
        self.waiting = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn dir(path: &std::path::Path) -> ProcDir {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        ProcDir::new(rustix::fs::open(path, flags, Mode::empty()).expect("open a directory"))
    }

    fn kept_pids(kept: &KeptStats) -> Vec<u32> {
        kept.open.iter().map(|(pid, _)| *pid).collect()
    }

    #[test]
    fn a_kept_stat_is_read_again_through_its_file_not_by_name() {
        let pid = std::process::id();
        let name = pid.to_string();
        let mut kept = KeptStats::with_cap(4);
        let mut buf = Vec::new();
        kept.read(&dir("/proc".as_ref()), pid, name.as_bytes(), &mut buf)
            .expect("own stat");
        assert!(buf.starts_with(format!("{pid} (").as_bytes()));
        kept.finish();
        assert_eq!(kept_pids(&kept), [pid]);
        // An empty directory has no `<pid>/stat`: only the kept file can answer.
        let empty = std::env::temp_dir().join(format!("sysotlp-kept-{pid}"));
        std::fs::create_dir_all(&empty).expect("temp dir");
        buf.clear();
        kept.read(&dir(&empty), pid, name.as_bytes(), &mut buf)
            .expect("read through the kept file");
        assert!(buf.starts_with(format!("{pid} (").as_bytes()));
        assert!(buf.ends_with(b"\n"));
        kept.finish();
        assert_eq!(kept_pids(&kept), [pid]);
        // A walk that does not list the PID closes its file.
        kept.finish();
        assert_eq!(kept_pids(&kept), Vec::<u32>::new());
        std::fs::remove_dir(&empty).expect("remove temp dir");
    }

    #[test]
    fn a_reaped_process_s_file_is_dropped_and_its_pid_looked_up_by_name() {
        let mut child = Command::new("sleep")
            .arg("100")
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn sleep");
        let pid = child.id();
        let name = pid.to_string();
        let proc_dir = dir("/proc".as_ref());
        let mut kept = KeptStats::with_cap(4);
        let mut buf = Vec::new();
        kept.read(&proc_dir, pid, name.as_bytes(), &mut buf)
            .expect("the child's stat");
        kept.finish();
        assert_eq!(kept_pids(&kept), [pid]);
        child.kill().expect("kill sleep");
        child.wait().expect("reap sleep");
        // The kept file fails (ESRCH); the name is gone too.
        assert_eq!(
            kept.read(&proc_dir, pid, name.as_bytes(), &mut buf),
            Err(ReadError::NotFound)
        );
        kept.finish();
        assert_eq!(kept_pids(&kept), Vec::<u32>::new());
    }

    #[test]
    fn no_more_files_than_the_cap_stay_open() {
        let proc_dir = dir("/proc".as_ref());
        let mut kept = KeptStats::with_cap(1);
        let mut buf = Vec::new();
        for pid in [1, std::process::id()] {
            kept.read(&proc_dir, pid, pid.to_string().as_bytes(), &mut buf)
                .expect("stat");
            assert!(buf.starts_with(format!("{pid} (").as_bytes()));
        }
        kept.finish();
        assert_eq!(kept_pids(&kept), [1]);
        // Kept files keep their place; a new PID waits for a free one.
        for pid in [std::process::id(), 1] {
            kept.read(&proc_dir, pid, pid.to_string().as_bytes(), &mut buf)
                .expect("stat");
        }
        kept.finish();
        assert_eq!(kept_pids(&kept), [1]);
    }
}
