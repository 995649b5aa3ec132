//! What is read per reported process besides its `stat`, each only when a metric needs it.
//!
//! Reads (`statm` and `io` through the walk's open `/proc` on a live procfs, else by
//! path): `<root>/proc/<pid>/statm` (memory.usage, .utilization), `io` (disk.io,
//! .operations; EACCES for another user's process), `status` (signals_pending,
//! context_switches), `fd/` (open_file_descriptors; EACCES likewise).
//! Emits: `Details`, or `None` when the process ended while it was read (ESRCH, or `statm`
//! gone), and the counts of denied reads for the collector's one DEBUG line.
//! Input: `statm` → `2736 1955 1213 456 0 427 0`; `io`, `status`: see `stat.rs`.

use super::stat::{PidIo, PidStatus, parse_statm};
use super::walk::set_pid_file;
use crate::collect::CollectError;
use crate::otlp::Builder;
use crate::semconv;
use crate::source::procfs::ProcDir;
use crate::source::{ReadError, Source};
use std::path::{Path, PathBuf};

/// Reads this tick that were denied or raced, for the one DEBUG line.
#[derive(Debug, Default)]
pub struct Quiet {
    pub io_denied: u64,
    pub exe_denied: u64,
    pub fd_denied: u64,
    pub gone: u64,
}

/// What is read per reported process besides `stat`.
#[derive(Debug, Default)]
pub struct Details {
    /// Resident pages of `statm` (exact, unlike `stat`'s).
    pub resident: Option<u64>,
    pub io: Option<PidIo>,
    pub status: PidStatus,
    pub fds: Option<u64>,
}

/// Reads `Details` with buffers kept between processes.
#[derive(Debug, Default)]
pub struct DetailReader {
    path: PathBuf,
    buf: Vec<u8>,
    dirents: Vec<u8>,
}

impl DetailReader {
    /// Reads what process `pid` needs beyond its `stat`; `Ok(None)` when it ended meanwhile.
    /// `live`: the walk's `/proc` when it is a live procfs (`statm` and `io` are read
    /// through it).
    pub fn read(
        &mut self,
        src: &Source,
        out: &Builder,
        pid: &[u8],
        proc_dir: &Path,
        live: Option<&ProcDir>,
        quiet: &mut Quiet,
    ) -> Result<Option<Details>, CollectError> {
        let mut details = Details::default();
        if out.enabled(&semconv::PROCESS_MEMORY_USAGE)
            || out.enabled(&semconv::PROCESS_MEMORY_UTILIZATION)
        {
            match self.read_file(src, proc_dir, live, pid, "statm") {
                Ok(()) => match parse_statm(&self.buf) {
                    Ok(pages) => details.resident = Some(pages),
                    Err(what) => {
                        set_pid_file(&mut self.path, proc_dir, pid, "statm");
                        return Err(CollectError::malformed(&self.path, None, what));
                    }
                },
                // Gone (ENOENT after the walk's stat, or ESRCH).
                Err(_) => return Ok(None),
            }
        }
        if out.enabled(&semconv::PROCESS_DISK_IO) || out.enabled(&semconv::PROCESS_DISK_OPERATIONS)
        {
            match self.read_file(src, proc_dir, live, pid, "io") {
                Ok(()) => match PidIo::parse(&self.buf) {
                    Ok(io) => details.io = Some(io),
                    Err(what) => {
                        set_pid_file(&mut self.path, proc_dir, pid, "io");
                        return Err(CollectError::malformed(&self.path, None, what));
                    }
                },
                Err(ReadError::Denied) => quiet.io_denied += 1,
                // No `io` (CONFIG_TASK_IO_ACCOUNTING off, or the file vanished): no points.
                Err(ReadError::NotFound) => {}
                // ESRCH: it ended while we read.
                Err(_) => return Ok(None),
            }
        }
        if out.enabled(&semconv::PROCESS_SIGNALS_PENDING)
            || out.enabled(&semconv::PROCESS_CONTEXT_SWITCHES)
        {
            set_pid_file(&mut self.path, proc_dir, pid, "status");
            match src.read_bytes_into(&self.path, &mut self.buf) {
                Ok(()) => details.status = PidStatus::parse(&self.buf),
                Err(ReadError::Denied) => {}
                Err(_) => return Ok(None),
            }
        }
        if out.enabled(&semconv::PROCESS_OPEN_FILE_DESCRIPTORS) {
            set_pid_file(&mut self.path, proc_dir, pid, "fd");
            match count_entries(&self.path, &mut self.dirents) {
                Ok(n) => details.fds = Some(n),
                Err(ReadError::Denied) => quiet.fd_denied += 1,
                Err(ReadError::NotFound) => {}
                // ESRCH: it ended while we read.
                Err(_) => return Ok(None),
            }
        }
        Ok(Some(details))
    }

    /// `<pid>/<file>` into `buf`: through `live` when there is one, else by path.
    fn read_file(
        &mut self,
        src: &Source,
        proc_dir: &Path,
        live: Option<&ProcDir>,
        pid: &[u8],
        file: &str,
    ) -> Result<(), ReadError> {
        match live {
            Some(dir) => dir.read_at(pid, file, &mut self.buf),
            None => {
                set_pid_file(&mut self.path, proc_dir, pid, file);
                src.read_bytes_into(&self.path, &mut self.buf)
            }
        }
    }
}

/// Entries of the directory `path` (`<pid>/fd`), read with `getdents64` into `dirents`.
fn count_entries(path: &Path, dirents: &mut Vec<u8>) -> Result<u64, ReadError> {
    use rustix::fs::{Mode, OFlags, RawDir};
    let error = |e: rustix::io::Errno| ReadError::from(std::io::Error::from(e));
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(error)?;
    if dirents.capacity() < 4096 {
        dirents.reserve(4096);
    }
    let mut entries = RawDir::new(&fd, dirents.spare_capacity_mut());
    let mut count = 0;
    while let Some(entry) = entries.next() {
        let entry = entry.map_err(error)?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            count += 1;
        }
    }
    Ok(count)
}
