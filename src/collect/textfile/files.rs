//! The files of `--textfile-dir`: which there are, and reading one safely.
//!
//! Reads: the directory with `getdents64` into a buffer kept between ticks (no name is
//! allocated per tick), then each `*.prom` file opened non-blocking (a FIFO must not stop the
//! tick) and checked by `fstat` to be a regular file no larger than the cap before it is
//! read. Emits: this tick's names sorted, one file's text and modification time, and the
//! reasons a file is not used (`FileFailure`), which `report` rate-limits per file.

use super::Textfile;
use super::parse::ParseError;
use crate::collect::CollectError;
use crate::report::Failure;
use crate::source::ReadError;
use rustix::fs::{FileType, Mode, OFlags, RawDir};
use std::fmt;
use std::io::{self, Read};

/// Why a file was not used this tick.
#[derive(Debug)]
pub(super) enum FileFailure {
    Unreadable(io::ErrorKind, String),
    NotRegular(&'static str),
    TooLarge(u64),
    NotText,
    Parse(ParseError),
    Conflict(usize, String),
    OverSeriesCap(usize),
}

impl fmt::Display for FileFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileFailure::Unreadable(_, e) => write!(f, "cannot read it: {e}"),
            FileFailure::NotRegular(what) => write!(f, "{what}, not a regular file: skipped"),
            FileFailure::TooLarge(limit) => write!(
                f,
                "larger than {limit} bytes: skipped (raise --textfile-max-file-size)"
            ),
            FileFailure::NotText => f.write_str("not UTF-8 text: skipped"),
            FileFailure::Parse(e) => {
                write!(f, "line {}: {}: none of its samples used", e.line, e.reason)
            }
            FileFailure::Conflict(line, why) => {
                write!(f, "line {line}: {why}: none of its samples used")
            }
            FileFailure::OverSeriesCap(limit) => write!(
                f,
                "its series would pass {limit} series this tick: skipped (raise --textfile-max-series)"
            ),
        }
    }
}

impl Failure for FileFailure {
    fn same_class(&self, other: &FileFailure) -> bool {
        match (self, other) {
            (FileFailure::Unreadable(a, _), FileFailure::Unreadable(b, _)) => a == b,
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

impl Textfile {
    /// This tick's `*.prom` names into `names`/`spans`, sorted; the directory's read error.
    pub(super) fn list(&mut self) -> Result<(), CollectError> {
        let error = |e: rustix::io::Errno| {
            CollectError::read(&self.dir, ReadError::from(io::Error::from(e)))
        };
        let fd = rustix::fs::open(
            &self.dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(error)?;
        self.names.clear();
        self.spans.clear();
        let mut entries = RawDir::new(&fd, self.dirents.spare_capacity_mut());
        while let Some(entry) = entries.next() {
            let entry = entry.map_err(error)?;
            let bytes = entry.file_name().to_bytes();
            if !bytes.ends_with(b".prom") {
                continue;
            }
            let Ok(name) = std::str::from_utf8(bytes) else {
                if self.bad_names.first() {
                    log::warn!(
                        "textfile: {}: a file name that is not UTF-8 ends in .prom; skipping such files",
                        self.dir.display()
                    );
                }
                continue;
            };
            let start = self.names.len();
            self.names.push_str(name);
            self.spans.push((start, self.names.len()));
        }
        let names = &self.names;
        self.spans
            .sort_unstable_by(|a, b| names[a.0..a.1].cmp(&names[b.0..b.1]));
        Ok(())
    }

    /// Reads file `name` into `text`; its modification time.
    pub(super) fn read(&mut self, name: (usize, usize)) -> (Option<f64>, Result<(), FileFailure>) {
        self.path.clear();
        self.path.push(&self.dir);
        self.path
            .push(self.names.get(name.0..name.1).unwrap_or_default());
        // Non-blocking: a FIFO must not stop the tick; the type is checked on the open file.
        let opened = rustix::fs::open(
            &self.path,
            OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::empty(),
        );
        let fd = match opened {
            Ok(fd) => fd,
            Err(e) => {
                let e = io::Error::from(e);
                return (None, Err(FileFailure::Unreadable(e.kind(), e.to_string())));
            }
        };
        let stat = match rustix::fs::fstat(&fd) {
            Ok(stat) => stat,
            Err(e) => {
                let e = io::Error::from(e);
                return (None, Err(FileFailure::Unreadable(e.kind(), e.to_string())));
            }
        };
        let mtime = stat.st_mtime as f64 + stat.st_mtime_nsec as f64 / 1e9;
        let kind = FileType::from_raw_mode(stat.st_mode);
        if kind != FileType::RegularFile {
            let what = match kind {
                FileType::Fifo => "a FIFO",
                FileType::Directory => "a directory",
                FileType::CharacterDevice | FileType::BlockDevice => "a device",
                FileType::Socket => "a socket",
                _ => "special",
            };
            return (Some(mtime), Err(FileFailure::NotRegular(what)));
        }
        let limit = self.options.max_file_bytes;
        if u64::try_from(stat.st_size).unwrap_or(u64::MAX) > limit {
            return (Some(mtime), Err(FileFailure::TooLarge(limit)));
        }
        self.text.clear();
        let mut file = std::fs::File::from(fd).take(limit.saturating_add(1));
        let read = match file.read_to_string(&mut self.text) {
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                return (Some(mtime), Err(FileFailure::NotText));
            }
            Err(e) => {
                return (
                    Some(mtime),
                    Err(FileFailure::Unreadable(e.kind(), e.to_string())),
                );
            }
        };
        if read as u64 > limit {
            return (Some(mtime), Err(FileFailure::TooLarge(limit)));
        }
        (Some(mtime), Ok(()))
    }
}
