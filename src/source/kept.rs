//! procfs files kept open between cycles and read again from offset 0 (`pread`), as
//! collectd keeps its files: the `open`, `fstat` and `close` of every tick, and the kernel's
//! allocation of a `seq_file` and its buffer for each open, are paid once.
//!
//! Reads: files under `<root>/proc` that are not a process's own (`proc/<pid>/…`, except
//! `proc/1/…`, the namespace's first process, and `proc/self/…`), once [`super::open_file`]
//! opened them and `fstatfs` says procfs (`PROC_SUPER_MAGIC`). Not fixtures: a test may
//! replace a file between ticks, and a deleted file stays readable through an old
//! descriptor. Not sysfs: a renamed network interface keeps its attribute files, so a kept
//! `class/net/eth0/operstate` could come to be another interface's.
//! Emits: the file's bytes through [`std::io::Read`], from offset 0 every cycle.
//!
//! Why `pread` works: a `seq_file` read at an offset other than where the last one ended
//! starts over from the first record (`seq_read_iter`, fs/seq_file.c), and `/proc/sys`
//! handlers take the offset as given. Measured on Linux 6.18 x86_64 (thread CPU time, the
//! minimum of 200): `loadavg` 5.5 µs opened, read and closed, 1.8 µs kept; `meminfo` 9.6
//! against 5.6; `net/dev` 13.7 against 5.6.
//!
//! A read error on a kept file closes it and the caller opens the path again, once. A file
//! not read for [`STALE_CYCLES`] cycles is closed; at most [`MAX_KEPT`] are kept (one
//! descriptor and one kernel buffer, often a page, each), so the steady state holds a fixed
//! set and allocates nothing.

use super::{ReadError, open_file};
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Files kept at most.
pub const MAX_KEPT: usize = 64;
/// Cycles without a read after which a kept file is closed.
pub const STALE_CYCLES: u64 = 3;

/// One path asked for: its descriptor when kept, `None` when it is not procfs (asked once).
#[derive(Debug)]
struct Entry {
    path: PathBuf,
    file: Option<File>,
    read_cycle: u64,
}

/// The kept files of one root.
#[derive(Debug)]
pub struct Kept {
    /// `<root>/proc`; only paths under it are kept.
    proc_dir: PathBuf,
    entries: RefCell<Vec<Entry>>,
    cycle: std::cell::Cell<u64>,
}

/// What [`Kept::find`] knows of a path.
pub enum Found {
    /// Kept: read it with [`Kept::read`].
    Kept,
    /// Asked before and not procfs, or not eligible: open it as usual.
    Open,
    /// Never asked: open it, then offer it to [`Kept::offer`].
    New,
}

impl Kept {
    pub fn new(proc_dir: PathBuf) -> Kept {
        Kept {
            proc_dir,
            entries: RefCell::new(Vec::new()),
            cycle: std::cell::Cell::new(0),
        }
    }

    /// Closes the files not read for [`STALE_CYCLES`] cycles; called once a cycle.
    pub fn begin_cycle(&self) {
        let cycle = self.cycle.get() + 1;
        self.cycle.set(cycle);
        self.entries
            .borrow_mut()
            .retain(|e| cycle - e.read_cycle <= STALE_CYCLES);
    }

    /// Whether `path` is kept, known not to be keepable, or new. Paths are compared as
    /// bytes: the walk of `/proc/<pid>` asks about every process every tick.
    pub fn find(&self, path: &Path) -> Found {
        if !self.eligible(path) {
            return Found::Open;
        }
        let mut entries = self.entries.borrow_mut();
        let room = entries.len() < MAX_KEPT;
        let path = path.as_os_str();
        match entries.iter_mut().find(|e| e.path.as_os_str() == path) {
            Some(entry) => {
                entry.read_cycle = self.cycle.get();
                match entry.file {
                    Some(_) => Found::Kept,
                    None => Found::Open,
                }
            }
            None if room => Found::New,
            None => Found::Open,
        }
    }

    /// Reads kept `path` from offset 0 through `read`; on an error the file is closed (the
    /// caller opens the path again). `NotFound` if it is not kept.
    pub fn read<T>(
        &self,
        path: &Path,
        read: impl FnOnce(&mut dyn Read) -> io::Result<T>,
    ) -> io::Result<T> {
        let mut entries = self.entries.borrow_mut();
        let path = path.as_os_str();
        let Some(index) = entries.iter().position(|e| e.path.as_os_str() == path) else {
            return Err(io::ErrorKind::NotFound.into());
        };
        let Some(file) = entries.get(index).and_then(|e| e.file.as_ref()) else {
            return Err(io::ErrorKind::NotFound.into());
        };
        let result = read(&mut At { file, offset: 0 });
        if result.is_err() {
            entries.swap_remove(index);
        }
        result
    }

    /// Whether the mount table `path` (a kept `mountinfo`) may have changed since it was
    /// last read: true unless its descriptor is kept and `poll` reports no `POLLPRI`. The
    /// kernel raises `POLLERR | POLLPRI` once per change of the mount namespace after the
    /// file was opened (fs/proc_namespace.c `mounts_poll`), so a kept file that polls quiet
    /// reads as it did. Counts as a read: the file stays kept.
    pub fn mount_table_changed(&self, path: &Path) -> bool {
        let mut entries = self.entries.borrow_mut();
        let path = path.as_os_str();
        let Some(entry) = entries.iter_mut().find(|e| e.path.as_os_str() == path) else {
            return true;
        };
        let Some(file) = entry.file.as_ref() else {
            return true;
        };
        entry.read_cycle = self.cycle.get();
        priority_event(file.as_fd())
    }

    /// Remembers `path`, just opened as `file`: kept when on procfs, else asked no more.
    /// Returns the descriptor when it was not kept.
    pub fn offer(&self, path: &Path, file: File) -> Option<File> {
        let procfs = super::procfs::is_procfs(file.as_fd());
        let (kept, back) = if procfs {
            (Some(file), None)
        } else {
            (None, Some(file))
        };
        self.entries.borrow_mut().push(Entry {
            path: path.to_path_buf(),
            file: kept,
            read_cycle: self.cycle.get(),
        });
        back
    }

    /// Under `<root>/proc`, and not a process's own directory other than 1's or self's.
    fn eligible(&self, path: &Path) -> bool {
        let (path, proc_dir) = (
            path.as_os_str().as_encoded_bytes(),
            self.proc_dir.as_os_str().as_encoded_bytes(),
        );
        let Some(rest) = path
            .strip_prefix(proc_dir)
            .and_then(|r| r.strip_prefix(b"/"))
        else {
            return false;
        };
        let first = rest.split(|b| *b == b'/').next().unwrap_or_default();
        match first {
            b"" => false,
            b"1" | b"self" => true,
            name => !name.iter().all(u8::is_ascii_digit),
        }
    }
}

/// Runs `read` on `path` from its first byte: through its kept descriptor when `kept` has
/// one (opened again by path, once, if that read fails), else opened now with
/// [`open_file`] (and offered to `kept` if it never saw the path).
pub fn read_with(
    kept: Option<&Kept>,
    path: &Path,
    read: &mut dyn FnMut(&mut dyn Read) -> io::Result<usize>,
) -> Result<usize, ReadError> {
    if let Some(kept) = kept {
        match kept.find(path) {
            Found::Kept => {
                if let Ok(n) = kept.read(path, &mut *read) {
                    return Ok(n);
                }
            }
            Found::New => {
                return match kept.offer(path, open_file(path)?) {
                    None => Ok(kept.read(path, read)?),
                    Some(mut file) => Ok(read(&mut file)?),
                };
            }
            Found::Open => {}
        }
    }
    Ok(read(&mut open_file(path)?)?)
}

/// True when `fd` has a `POLLPRI` (or error) event pending, or cannot be polled.
fn priority_event(fd: std::os::fd::BorrowedFd<'_>) -> bool {
    use rustix::event::{PollFd, PollFlags, poll};
    let mut fds = [PollFd::new(&fd, PollFlags::PRI)];
    let zero = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    match poll(&mut fds, Some(&zero)) {
        Ok(0) => false,
        Ok(_) => fds.first().is_none_or(|f| !f.revents().is_empty()),
        Err(_) => true,
    }
}

/// A kept file read with `pread` from `offset` on: the descriptor's own position is never
/// used, so a read left unfinished cannot shift the next one.
struct At<'a> {
    file: &'a File,
    offset: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.file.read_at(buf, self.offset)?;
        self.offset += read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept() -> Kept {
        Kept::new(PathBuf::from("/proc"))
    }

    #[test]
    fn only_files_of_no_process_but_1_and_self_are_eligible() {
        let k = kept();
        for path in [
            "/proc/meminfo",
            "/proc/net/dev",
            "/proc/pressure/cpu",
            "/proc/1/mountinfo",
            "/proc/self/stat",
            "/proc/sys/fs/file-nr",
        ] {
            assert!(k.eligible(Path::new(path)), "{path}");
        }
        for path in [
            "/proc/42/stat",
            "/proc/123456/io",
            "/proc",
            "/sys/class/net/lo/operstate",
            "/procfoo/meminfo",
        ] {
            assert!(!k.eligible(Path::new(path)), "{path}");
        }
    }

    #[test]
    fn a_procfs_file_is_read_again_from_the_start_every_time() {
        let k = kept();
        let path = Path::new("/proc/self/stat");
        assert!(matches!(k.find(path), Found::New));
        let file = open_file(path).unwrap();
        assert!(k.offer(path, file).is_none(), "procfs: kept");
        assert!(matches!(k.find(path), Found::Kept));
        for _ in 0..3 {
            let mut text = String::new();
            k.read(path, |r| r.read_to_string(&mut text)).unwrap();
            // `pid (comm) state …`: whole, from the first byte, each time.
            let pid = std::process::id().to_string();
            assert!(text.starts_with(&format!("{pid} (")), "{text}");
            assert!(text.ends_with('\n'), "{text}");
        }
        // Half a read leaves the next one whole: pread never moves the file position.
        k.read(path, |r| r.read(&mut [0; 4])).unwrap();
        let mut text = String::new();
        k.read(path, |r| r.read_to_string(&mut text)).unwrap();
        assert!(text.starts_with(&std::process::id().to_string()));
    }

    #[test]
    fn other_files_are_asked_once_and_never_kept() {
        let dir = std::env::temp_dir().join(format!("sysotlp-kept-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("proc")).unwrap();
        let path = dir.join("proc/meminfo");
        std::fs::write(&path, "MemTotal: 1 kB\n").unwrap();
        let k = Kept::new(dir.join("proc"));
        assert!(matches!(k.find(&path), Found::New));
        let file = open_file(&path).unwrap();
        assert!(k.offer(&path, file).is_some(), "not procfs: handed back");
        assert!(matches!(k.find(&path), Found::Open));
        assert!(k.read(&path, |r| r.read(&mut [0; 4])).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn unread_files_close_after_three_cycles_and_errors_close_at_once() {
        let k = kept();
        let (stat, status) = (Path::new("/proc/self/stat"), Path::new("/proc/self/status"));
        for path in [stat, status] {
            assert!(matches!(k.find(path), Found::New));
            k.offer(path, open_file(path).unwrap());
        }
        for _ in 0..STALE_CYCLES {
            k.begin_cycle();
            assert!(matches!(k.find(stat), Found::Kept));
        }
        k.begin_cycle();
        assert!(matches!(k.find(stat), Found::Kept));
        assert!(
            matches!(k.find(status), Found::New),
            "closed, to be opened anew"
        );
        let failed = k.read(stat, |_| Err::<(), _>(io::Error::other("ENODEV")));
        assert!(failed.is_err());
        assert!(matches!(k.find(stat), Found::New), "closed after the error");
    }

    #[test]
    fn at_most_max_kept_paths_are_remembered() {
        let k = kept();
        for n in 0..MAX_KEPT {
            let path = PathBuf::from(format!("/proc/self/fake{n}"));
            assert!(matches!(k.find(&path), Found::New));
            k.offer(&path, open_file(Path::new("/proc/self/stat")).unwrap());
        }
        assert!(matches!(k.find(Path::new("/proc/uptime")), Found::Open));
    }
}

#[cfg(test)]
mod mount_table_tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};

    #[test]
    fn a_kept_mount_table_polls_quiet_until_a_mount() {
        // A shell in a mount namespace of its own mounts a tmpfs when told to.
        let script = "echo ready; read x; mount -t tmpfs sysotlp-poll /mnt && echo mounted; read y";
        let spawned = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn();
        let ready = |line: &str| line.trim_end() == "ready";
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => return skip_or_fail(&format!("unshare (util-linux): {e}")),
        };
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return skip_or_fail("no pipes to unshare");
        };
        let mut lines = BufReader::new(stdout).lines();
        if !lines.next().and_then(Result::ok).is_some_and(|l| ready(&l)) {
            let _ = child.wait();
            return skip_or_fail("unshare --mount needs CAP_SYS_ADMIN");
        }
        let dir = PathBuf::from(format!("/proc/{}", child.id()));
        let path = dir.join("mountinfo");
        let kept = Kept::new(dir);
        let mut text = String::new();
        read_with(Some(&kept), &path, &mut |file| {
            file.read_to_string(&mut text)
        })
        .unwrap();
        assert!(text.contains(" / "), "{text}");
        assert!(
            !kept.mount_table_changed(&path),
            "no mount since it was opened"
        );
        writeln!(stdin).unwrap();
        assert_eq!(lines.next().unwrap().unwrap(), "mounted");
        assert!(kept.mount_table_changed(&path), "a mount");
        assert!(!kept.mount_table_changed(&path), "reported once");
        let mut again = String::new();
        read_with(Some(&kept), &path, &mut |file| {
            file.read_to_string(&mut again)
        })
        .unwrap();
        assert!(again.contains("sysotlp-poll"), "{again}");
        // A table that is not kept may always have changed.
        assert!(kept.mount_table_changed(Path::new("/proc/self/mounts")));
        writeln!(stdin).unwrap();
        child.wait().unwrap();
    }

    /// Fails under `CI=true` (a check must not pass because the machine cannot run it).
    fn skip_or_fail(reason: &str) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "cannot run here (CI=true, so this fails rather than skips): {reason}"
        );
        eprintln!("SKIP: {reason}");
    }
}
