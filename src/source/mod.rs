//! The root handle: every read of `/proc`, `/sys` and `/etc` goes through here.
//!
//! Reads: `<root>/proc/...`, `<root>/sys/...`, `<root>/etc/...` into the caller's reused buffer;
//! `<root>/sysotlp-fixture.json` (spec/metrics.md §8.2) once at start, whose presence selects
//! fixture mode; `<root>/proc/stat` and `<root>/proc/vmstat` at most once per cycle for
//! everyone who needs them; `<root>/proc/sys/kernel/arch` (≥ 6.1) once.
//! Emits: file text, "not found" vs "damaged" errors, system values that are not files
//! (clock ticks per second, page size, machine name: from the fixture in fixture mode, else
//! from `sysconf(3)` and `uname(2)`), and the `statfs(2)` seam: the one call that can hang,
//! live or answered from the fixture's `statfs` table.
//! Every file is opened by [`open_file`]: never blocking, regular files only (FIFOs refused);
//! the per-PID files of a live procfs also by `procfs::ProcDir::read_at` (no FIFO can be
//! there). Live, procfs files that belong to no process are kept open and read again
//! ([`kept`]).

mod fixture;
mod kept;
pub mod procfs;

use fixture::FixtureStatfs;
use kept::Kept;
use std::cell::{Cell, Ref, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Largest file we read. `/proc/stat` of a 1024-CPU host is ~150 KiB; anything far bigger
/// under a root is damage, and reading it whole would cost the RSS we exist to save.
const MAX_FILE_BYTES: u64 = 4 << 20;

/// Why a file could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// ENOENT (or ENOTDIR on the way): the kernel or the fixture does not have it.
    NotFound,
    /// EACCES / EPERM.
    Denied,
    /// Not UTF-8 text.
    NotText,
    /// Larger than [`MAX_FILE_BYTES`].
    TooLarge,
    /// Any other I/O error, with its errno when the kernel gave one.
    Io(io::ErrorKind, Option<i32>),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotFound => f.write_str("not found"),
            ReadError::Denied => f.write_str("permission denied"),
            ReadError::NotText => f.write_str("not UTF-8 text"),
            ReadError::TooLarge => write!(f, "larger than {MAX_FILE_BYTES} bytes"),
            // `open_file`'s refusal (a variant of its own would break exhaustive matches in
            // collectors; it reads the same to them: an I/O failure of this file).
            ReadError::Io(io::ErrorKind::InvalidInput, None) => {
                f.write_str("not a regular file (a FIFO, socket or device)")
            }
            ReadError::Io(kind, Some(errno)) => write!(f, "{kind} (os error {errno})"),
            ReadError::Io(kind, None) => write!(f, "{kind}"),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::InvalidInput => ReadError::Io(io::ErrorKind::InvalidInput, None),
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => ReadError::NotFound,
            io::ErrorKind::PermissionDenied => ReadError::Denied,
            io::ErrorKind::InvalidData => ReadError::NotText,
            kind => ReadError::Io(kind, e.raw_os_error()),
        }
    }
}

/// Opens `path` for reading without ever blocking in `open(2)`, and only if it is a regular
/// file: a FIFO planted in a tree (`mkfifo proc/meminfo`) would otherwise block the loop in
/// `open` forever, a socket or a device would be read as data. `O_NONBLOCK` makes the open
/// of a FIFO return at once; `fstat` on the open descriptor (no race with a rename) then
/// refuses it. procfs and sysfs files are regular files to `fstat`. A symlink is followed,
/// as procfs needs (`/proc/self`), but its target must be a regular file too.
///
/// Two system calls, `openat` and `fstat`, straight from rustix: musl's `open` adds an
/// `fcntl(F_SETFD, FD_CLOEXEC)` after every `O_CLOEXEC` open (for kernels before 2.6.23),
/// and std's `metadata` asks `statx` for every field.
pub fn open_file(path: &Path) -> io::Result<File> {
    use rustix::fs::{FileType, Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::empty())?;
    match FileType::from_raw_mode(rustix::fs::fstat(&fd)?.st_mode) {
        FileType::RegularFile => Ok(File::from(fd)),
        FileType::Directory => Err(rustix::io::Errno::ISDIR.into()),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, socket or device)",
        )),
    }
}

/// Reads at most `limit` bytes of the regular file `path` as text; `TooLarge` beyond.
pub fn read_text(path: &Path, limit: u64, buf: &mut String) -> Result<(), ReadError> {
    buf.clear();
    let file = open_file(path)?;
    let read = file.take(limit + 1).read_to_string(buf)?;
    if read as u64 > limit {
        buf.clear();
        return Err(ReadError::TooLarge);
    }
    Ok(())
}

/// A start-up problem with the root: exit 2.
#[derive(Debug)]
pub enum SourceError {
    NotADirectory(PathBuf),
    Fixture(PathBuf, String),
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::NotADirectory(p) => {
                write!(
                    f,
                    "invalid value \"{}\" for --root-path: not a directory",
                    p.display()
                )
            }
            SourceError::Fixture(p, why) => {
                write!(f, "unusable fixture file \"{}\": {why}", p.display())
            }
        }
    }
}

/// What `statfs(2)` says of a file system, in its own units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FsStats {
    /// Preferred I/O size (`f_bsize`).
    pub bsize: u64,
    /// Fragment size (`f_frsize`): the unit of the block counts; 0 on old kernels.
    pub frsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
}

/// The `statfs(2)` seam. `mountpoint` is the host path (the fixture's key); `path` is it
/// under the root. Implementations may block forever (a dead NFS server): callers run them
/// on a helper thread (spec/metrics.md §6.3).
pub trait Statfs: Send + Sync {
    fn statfs(&self, mountpoint: &str, path: &Path) -> io::Result<FsStats>;
}

/// The live system call.
#[derive(Debug)]
struct LiveStatfs;

impl Statfs for LiveStatfs {
    fn statfs(&self, _mountpoint: &str, path: &Path) -> io::Result<FsStats> {
        let st = rustix::fs::statvfs(path)?;
        Ok(FsStats {
            bsize: st.f_bsize,
            frsize: st.f_frsize,
            blocks: st.f_blocks,
            bfree: st.f_bfree,
            bavail: st.f_bavail,
            files: st.f_files,
            ffree: st.f_ffree,
        })
    }
}

/// The fixture's `statfs` table: no entry is ENOENT; `hang` blocks forever, as a dead
/// server does (in-process tests inject their own `Statfs` to release a hang).
#[derive(Debug)]
struct FixtureStatfsTable(BTreeMap<String, FixtureStatfs>);

impl Statfs for FixtureStatfsTable {
    fn statfs(&self, mountpoint: &str, _path: &Path) -> io::Result<FsStats> {
        match self.0.get(mountpoint) {
            Some(FixtureStatfs::Stats(stats)) => Ok(*stats),
            Some(FixtureStatfs::Errno(errno)) => {
                Err(io::Error::from_raw_os_error(errno_number(errno)))
            }
            Some(FixtureStatfs::Hang(true)) => loop {
                std::thread::sleep(Duration::from_secs(3600));
            },
            Some(FixtureStatfs::Hang(false)) | None => Err(io::Error::from_raw_os_error(ENOENT)),
        }
    }
}

const ENOENT: i32 = 2;

/// The errno numbers fixtures name (asm-generic/errno-base.h, errno.h); others become EIO.
fn errno_number(name: &str) -> i32 {
    match name {
        "EPERM" => 1,
        "ENOENT" => ENOENT,
        "ESRCH" => 3,
        "EACCES" => 13,
        "ENOTCONN" => 107,
        "ESTALE" => 116,
        _ => 5,
    }
}

/// Values of the system that are not files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemInfo {
    /// `USER_HZ`, `sysconf(_SC_CLK_TCK)`: the unit of `/proc/stat` CPU columns (100 on x86,
    /// arm, arm64), never the kernel's CONFIG_HZ.
    pub clock_ticks: u64,
    /// Bytes per page.
    pub page_size: u64,
    /// The kernel's machine name, e.g. `x86_64`, `armv7l`: `proc/sys/kernel/arch` when the
    /// root has it (≥ 6.1), else `uname -m` (the fixture's `machine` in fixture mode).
    pub machine: String,
}

/// A file read at most once per cycle and shared by the collectors that need it.
#[derive(Debug)]
struct SharedFile {
    path: PathBuf,
    text: RefCell<String>,
    state: Cell<Option<Result<(), ReadError>>>,
}

impl SharedFile {
    fn new(path: PathBuf) -> Self {
        SharedFile {
            path,
            text: RefCell::new(String::new()),
            state: Cell::new(None),
        }
    }
}

/// The root (`--root-path`, default `/`) and everything read from it.
pub struct Source {
    root: PathBuf,
    info: SystemInfo,
    fixed_now_unix_nano: Option<u64>,
    fixture_mode: bool,
    statfs: Arc<dyn Statfs>,
    /// The fixture's injected read errors, by path under the root.
    errors: BTreeMap<PathBuf, i32>,
    stat: SharedFile,
    vmstat: SharedFile,
    /// procfs files kept open between cycles; `None` in fixture mode.
    kept: Option<Kept>,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("root", &self.root)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl Source {
    /// Opens `root`; in fixture mode loads `sysotlp-fixture.json`, else asks the kernel.
    pub fn open(root: &Path) -> Result<Source, SourceError> {
        if !root.is_dir() {
            return Err(SourceError::NotADirectory(root.to_path_buf()));
        }
        let fixture_path = root.join("sysotlp-fixture.json");
        let mut text = String::new();
        let mut errors = BTreeMap::new();
        let (mut info, fixed_now_unix_nano, statfs): (_, _, Option<Arc<dyn Statfs>>) =
            match read_text(&fixture_path, MAX_FILE_BYTES, &mut text) {
                Ok(()) => {
                    let fixture = fixture::parse(&text)
                        .map_err(|why| SourceError::Fixture(fixture_path, why))?;
                    let info = SystemInfo {
                        clock_ticks: fixture.clock_ticks,
                        page_size: fixture.page_size,
                        machine: fixture.machine,
                    };
                    errors = fixture
                        .errors
                        .iter()
                        .map(|(path, errno)| (root.join(path), errno_number(errno)))
                        .collect();
                    (
                        info,
                        fixture.now_unix_nano,
                        Some(Arc::new(FixtureStatfsTable(fixture.statfs))),
                    )
                }
                Err(ReadError::NotFound) => (live_system_info(), None, None),
                Err(e) => return Err(SourceError::Fixture(fixture_path, e.to_string())),
            };
        let mut arch = String::new();
        let _ = read_text(&root.join("proc/sys/kernel/arch"), 4096, &mut arch);
        if !arch.trim().is_empty() {
            info.machine = arch.trim().to_string();
        }
        Ok(Source {
            kept: statfs.is_none().then(|| Kept::new(root.join("proc"))),
            stat: SharedFile::new(root.join("proc/stat")),
            vmstat: SharedFile::new(root.join("proc/vmstat")),
            root: root.to_path_buf(),
            info,
            fixed_now_unix_nano,
            fixture_mode: statfs.is_some(),
            statfs: statfs.unwrap_or_else(|| Arc::new(LiveStatfs)),
            errors,
        })
    }

    /// `<root>/<relative>`; `relative` never starts with `/`.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// `/<relative>` in the agent's own view (spec/metrics.md §8.3): live, the agent's own
    /// `/proc` and `/sys` whatever `--root-path` says (a host watcher's own container is
    /// not under `/host`); in fixture mode `<root>/<relative>`, the tree standing in for it.
    pub fn own_path(&self, relative: &str) -> PathBuf {
        if self.fixture_mode {
            self.root.join(relative)
        } else {
            Path::new("/").join(relative)
        }
    }

    /// True when the root is not `/` ("with `--root-path`" in spec/metrics.md).
    pub fn is_custom_root(&self) -> bool {
        self.root != Path::new("/")
    }

    /// True when `sysotlp-fixture.json` supplied the system values.
    pub fn is_fixture(&self) -> bool {
        self.fixture_mode
    }

    pub fn info(&self) -> &SystemInfo {
        &self.info
    }

    /// The fixture's fixed wall-clock time, if any: golden output must not depend on the clock.
    pub fn fixed_now_unix_nano(&self) -> Option<u64> {
        self.fixed_now_unix_nano
    }

    /// Whether the mount table `path` (`proc/<1|self>/mountinfo`) may have changed since it
    /// was last read: always true but for a live table kept open that polls quiet.
    pub fn mount_table_changed(&self, path: &Path) -> bool {
        self.kept
            .as_ref()
            .is_none_or(|kept| kept.mount_table_changed(path))
    }

    /// Reads `path` into `buf` (cleared first), reusing its capacity.
    pub fn read_into(&self, path: &Path, buf: &mut String) -> Result<(), ReadError> {
        buf.clear();
        self.injected(path)?;
        let read = kept::read_with(self.kept.as_ref(), path, &mut |file| {
            buf.clear();
            file.take(MAX_FILE_BYTES + 1).read_to_string(buf)
        })?;
        if read as u64 > MAX_FILE_BYTES {
            buf.clear();
            return Err(ReadError::TooLarge);
        }
        Ok(())
    }

    /// Reads `path` into `buf` (cleared first) as bytes, reusing its capacity: for files
    /// whose text is not ours to judge, such as `/proc/<pid>/stat`, whose command name any
    /// user can set to invalid UTF-8.
    pub fn read_bytes_into(&self, path: &Path, buf: &mut Vec<u8>) -> Result<(), ReadError> {
        self.read_head_into(path, buf, MAX_FILE_BYTES as usize)?;
        if buf.len() as u64 > MAX_FILE_BYTES {
            buf.clear();
            return Err(ReadError::TooLarge);
        }
        Ok(())
    }

    /// Reads at most `limit + 1` bytes of `path` into `buf` (cleared first): the head of a
    /// file that can be long, such as `cmdline`, whose tail is cut anyway.
    pub fn read_head_into(
        &self,
        path: &Path,
        buf: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), ReadError> {
        buf.clear();
        self.injected(path)?;
        kept::read_with(self.kept.as_ref(), path, &mut |file| {
            buf.clear();
            file.take(limit as u64 + 1).read_to_end(buf)
        })?;
        Ok(())
    }

    /// The target of the symbolic link `path` (`/proc/<pid>/exe`), as bytes.
    pub fn read_link(&self, path: &Path) -> Result<Vec<u8>, ReadError> {
        self.injected(path)?;
        Ok(std::fs::read_link(path)?
            .into_os_string()
            .into_encoded_bytes())
    }

    /// The fixture's injected error for `path`, if any (never in live mode).
    fn injected(&self, path: &Path) -> Result<(), ReadError> {
        match self.errors.get(path) {
            Some(errno) => Err(ReadError::from(io::Error::from_raw_os_error(*errno))),
            None => Ok(()),
        }
    }

    /// Opens `path` to be streamed through the caller's fixed buffer: for files that can
    /// outgrow [`MAX_FILE_BYTES`], such as `/proc/net/tcp` of a busy host (100k sockets ≈ 15 MB).
    pub fn open_stream(&self, path: &Path) -> Result<File, ReadError> {
        Ok(open_file(path)?)
    }

    /// Reads a small file once (start-up detection); `None` when absent or unreadable.
    pub fn read_optional(&self, relative: &str) -> Option<String> {
        let mut buf = String::new();
        self.read_into(&self.path(relative), &mut buf)
            .ok()
            .map(|()| buf)
    }

    /// The `statfs(2)` seam of this root (live, or the fixture's table).
    pub fn statfs(&self) -> Arc<dyn Statfs> {
        Arc::clone(&self.statfs)
    }

    /// Forgets the shared files of the previous cycle; called once at the start of a tick.
    pub fn begin_cycle(&self) {
        self.stat.state.set(None);
        self.vmstat.state.set(None);
        if let Some(kept) = &self.kept {
            kept.begin_cycle();
        }
    }

    /// `<root>/proc/vmstat` of this cycle, read on first use.
    pub fn vmstat(&self) -> Result<Ref<'_, str>, ReadError> {
        self.shared(&self.vmstat)
    }

    /// Path of `proc/vmstat`, for error messages.
    pub fn vmstat_path(&self) -> &Path {
        &self.vmstat.path
    }

    /// `<root>/proc/stat` of this cycle, read on first use.
    pub fn stat(&self) -> Result<Ref<'_, str>, ReadError> {
        self.shared(&self.stat)
    }

    /// Path of `proc/stat`, for error messages.
    pub fn stat_path(&self) -> &Path {
        &self.stat.path
    }

    fn shared<'a>(&'a self, file: &'a SharedFile) -> Result<Ref<'a, str>, ReadError> {
        let state = match file.state.get() {
            Some(state) => state,
            None => {
                let state = self.read_into(&file.path, &mut file.text.borrow_mut());
                file.state.set(Some(state));
                state
            }
        };
        state.map(|()| Ref::map(file.text.borrow(), String::as_str))
    }
}

fn live_system_info() -> SystemInfo {
    let uname = rustix::system::uname();
    SystemInfo {
        clock_ticks: rustix::param::clock_ticks_per_second(),
        page_size: rustix::param::page_size() as u64,
        machine: uname.machine().to_string_lossy().into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_root(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("sysotlp-source-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("proc")).unwrap();
        dir
    }

    #[test]
    fn fixture_file_selects_fixture_values() {
        let root = temp_root("fixture");
        std::fs::write(
            root.join("sysotlp-fixture.json"),
            r#"{"format":1,"page_size":16384,"clock_ticks":250,"machine":"armv7l","now_unix_nano":5,"statfs":{}}"#,
        )
        .unwrap();
        let src = Source::open(&root).unwrap();
        assert!(src.is_fixture());
        assert_eq!(src.info().clock_ticks, 250);
        assert_eq!(src.info().page_size, 16384);
        assert_eq!(src.info().machine, "armv7l");
        assert_eq!(src.fixed_now_unix_nano(), Some(5));
    }

    #[test]
    fn own_view_is_the_tree_in_fixture_mode_and_slash_live() {
        let root = temp_root("own");
        let live = Source::open(&root).unwrap();
        assert_eq!(
            live.own_path("proc/self/cgroup"),
            Path::new("/proc/self/cgroup")
        );
        std::fs::write(
            root.join("sysotlp-fixture.json"),
            r#"{"format":1,"page_size":4096,"clock_ticks":100,"machine":"x86_64"}"#,
        )
        .unwrap();
        let fixture = Source::open(&root).unwrap();
        assert_eq!(
            fixture.own_path("proc/self/cgroup"),
            root.join("proc/self/cgroup")
        );
    }

    #[test]
    fn arch_file_names_the_machine() {
        let root = temp_root("arch");
        std::fs::create_dir_all(root.join("proc/sys/kernel")).unwrap();
        std::fs::write(root.join("proc/sys/kernel/arch"), "aarch64\n").unwrap();
        std::fs::write(
            root.join("sysotlp-fixture.json"),
            r#"{"format":1,"page_size":4096,"clock_ticks":100,"machine":"armv7l"}"#,
        )
        .unwrap();
        assert_eq!(Source::open(&root).unwrap().info().machine, "aarch64");
    }

    #[test]
    fn fixture_statfs_table_answers_numbers_errnos_and_enoent() {
        let root = temp_root("statfs");
        std::fs::write(
            root.join("sysotlp-fixture.json"),
            r#"{"format":1,"page_size":4096,"clock_ticks":100,"machine":"x86_64","statfs":{
              "/":{"bsize":4096,"frsize":512,"blocks":10,"bfree":6,"bavail":4,"files":100,"ffree":90},
              "/boot":{"errno":"EACCES"},"/mnt/nas":{"hang":true}}}"#,
        )
        .unwrap();
        let statfs = Source::open(&root).unwrap().statfs();
        let st = statfs.statfs("/", Path::new("/x")).unwrap();
        assert_eq!(
            (st.frsize, st.blocks, st.bavail, st.ffree),
            (512, 10, 4, 90)
        );
        assert_eq!(
            statfs
                .statfs("/boot", Path::new("/x"))
                .unwrap_err()
                .raw_os_error(),
            Some(13)
        );
        assert_eq!(
            statfs.statfs("/data", Path::new("/x")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn bad_fixture_file_is_a_start_up_error() {
        let root = temp_root("badfixture");
        std::fs::write(
            root.join("sysotlp-fixture.json"),
            r#"{"format":2,"page_size":1,"clock_ticks":1,"machine":"x"}"#,
        )
        .unwrap();
        let err = Source::open(&root).unwrap_err().to_string();
        assert!(err.contains("format 2 is not supported"), "{err}");
        std::fs::write(root.join("sysotlp-fixture.json"), "{").unwrap();
        assert!(matches!(Source::open(&root), Err(SourceError::Fixture(..))));
    }

    #[test]
    fn missing_root_is_a_start_up_error() {
        let err = Source::open(Path::new("/nonexistent/sysotlp"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "invalid value \"/nonexistent/sysotlp\" for --root-path: not a directory"
        );
    }

    #[test]
    fn read_errors_tell_missing_from_damaged() {
        let root = temp_root("errors");
        let src = Source::open(&root).unwrap();
        let mut buf = String::from("old");
        assert_eq!(
            src.read_into(&src.path("proc/nope"), &mut buf),
            Err(ReadError::NotFound)
        );
        std::fs::write(root.join("proc/bin"), [0xff, 0xfe, 0x00]).unwrap();
        assert_eq!(
            src.read_into(&src.path("proc/bin"), &mut buf),
            Err(ReadError::NotText)
        );
        std::fs::write(root.join("proc/ok"), "cpu 1 2 3 4\n").unwrap();
        src.read_into(&src.path("proc/ok"), &mut buf).unwrap();
        assert_eq!(buf, "cpu 1 2 3 4\n");
        // Any other error keeps its errno in the message: a directory read gives EISDIR.
        std::fs::create_dir_all(root.join("proc/dir")).unwrap();
        let e = src.read_into(&src.path("proc/dir"), &mut buf).unwrap_err();
        assert_eq!(e, ReadError::Io(io::ErrorKind::IsADirectory, Some(21)));
        assert_eq!(e.to_string(), "is a directory (os error 21)");
    }

    #[test]
    fn issue_10_fifos_are_refused_without_blocking() {
        let root = temp_root("fifo");
        let mkfifo = |path: &Path| {
            rustix::fs::mknodat(
                rustix::fs::CWD,
                path,
                rustix::fs::FileType::Fifo,
                rustix::fs::Mode::from_raw_mode(0o600),
                0,
            )
            .unwrap();
        };
        mkfifo(&root.join("proc/meminfo"));
        std::fs::create_dir_all(root.join("proc/sys/kernel")).unwrap();
        mkfifo(&root.join("proc/sys/kernel/arch"));
        let src = Source::open(&root).unwrap();
        let mut buf = String::new();
        let e = src
            .read_into(&src.path("proc/meminfo"), &mut buf)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "not a regular file (a FIFO, socket or device)"
        );
        assert!(src.open_stream(&src.path("proc/meminfo")).is_err());
        // The fixture file too: a start-up error, not a hang.
        mkfifo(&root.join("sysotlp-fixture.json"));
        let e = Source::open(&root).unwrap_err().to_string();
        assert!(
            e.ends_with("not a regular file (a FIFO, socket or device)"),
            "{e}"
        );
    }

    #[test]
    fn stat_is_read_once_per_cycle() {
        let root = temp_root("stat");
        std::fs::write(root.join("proc/stat"), "btime 1\n").unwrap();
        let src = Source::open(&root).unwrap();
        assert_eq!(&*src.stat().unwrap(), "btime 1\n");
        std::fs::write(root.join("proc/stat"), "btime 2\n").unwrap();
        assert_eq!(
            &*src.stat().unwrap(),
            "btime 1\n",
            "same cycle: cached text"
        );
        src.begin_cycle();
        assert_eq!(&*src.stat().unwrap(), "btime 2\n");
        std::fs::remove_file(root.join("proc/stat")).unwrap();
        src.begin_cycle();
        assert_eq!(src.stat().err(), Some(ReadError::NotFound));
    }
}
