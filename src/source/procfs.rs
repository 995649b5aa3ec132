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

use super::{MAX_FILE_BYTES, ReadError};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use std::fs::File;
use std::io::{self, Read};

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
        let errno = |e: rustix::io::Errno| ReadError::from(io::Error::from(e));
        let fd = rustix::fs::openat(
            &self.0,
            &*to,
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK,
            Mode::empty(),
        )
        .map_err(errno)?;
        let mut file = File::from(fd);
        let mut first = [0u8; FIRST_READ];
        let n = file.read(&mut first)?;
        buf.extend_from_slice(first.get(..n).unwrap_or_default());
        if n == FIRST_READ {
            // A longer file: the rest, and the read that finds its end.
            file.take(MAX_FILE_BYTES - n as u64 + 1).read_to_end(buf)?;
        }
        if buf.len() as u64 > MAX_FILE_BYTES {
            buf.clear();
            return Err(ReadError::TooLarge);
        }
        Ok(())
    }
}
