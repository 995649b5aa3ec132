//! What a collector failure says, and the read every collector starts with.
//!
//! Reads: a file through `Source` (`read_required`; `required_stat` and `required_vmstat`
//! for the cycle's shared files). Emits: `CollectError`, which names the
//! file, the line when there is one, and what was wrong; `report` rate-limits it.

use crate::report::Failure;
use crate::source::{ReadError, Source};
use std::cell::Ref;
use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong with a file.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The file could not be read.
    Read(ReadError),
    /// The text is not what the kernel documents; says what was expected.
    Malformed(String),
}

/// A collector failure: the file, the line (1-based) when there is one, and the problem.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub problem: Problem,
}

impl CollectError {
    pub fn read(path: &Path, error: ReadError) -> Self {
        CollectError {
            path: path.to_path_buf(),
            line: None,
            problem: Problem::Read(error),
        }
    }

    pub fn malformed(path: &Path, line: Option<usize>, what: impl Into<String>) -> Self {
        CollectError {
            path: path.to_path_buf(),
            line,
            problem: Problem::Malformed(what.into()),
        }
    }
}

/// Two errors of one class are one ongoing failure for rate-limited logging: the same file
/// and the same kind of problem (line numbers and details may move).
impl Failure for CollectError {
    fn same_class(&self, other: &CollectError) -> bool {
        self.path == other.path
            && match (&self.problem, &other.problem) {
                (Problem::Read(a), Problem::Read(b)) => a == b,
                (Problem::Malformed(_), Problem::Malformed(_)) => true,
                _ => false,
            }
    }
}

impl fmt::Display for CollectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        match &self.problem {
            Problem::Read(e) => write!(f, ": {e}"),
            Problem::Malformed(what) => write!(f, ": {what}"),
        }
    }
}

/// Reads `path` into `buf` (reused); a file the collector cannot do without, so a failure
/// is a `CollectError` naming it.
pub fn read_required(src: &Source, path: &Path, buf: &mut String) -> Result<(), CollectError> {
    src.read_into(path, buf)
        .map_err(|e| CollectError::read(path, e))
}

/// This cycle's shared `<root>/proc/stat`, required.
pub fn required_stat(src: &Source) -> Result<Ref<'_, str>, CollectError> {
    src.stat()
        .map_err(|e| CollectError::read(src.stat_path(), e))
}

/// This cycle's shared `<root>/proc/vmstat`, required.
pub fn required_vmstat(src: &Source) -> Result<Ref<'_, str>, CollectError> {
    src.vmstat()
        .map_err(|e| CollectError::read(src.vmstat_path(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file_and_line() {
        let e = CollectError::malformed(
            Path::new("/proc/stat"),
            Some(4),
            "expected 4+ counters, found 2",
        );
        assert_eq!(
            e.to_string(),
            "/proc/stat line 4: expected 4+ counters, found 2"
        );
        let r = CollectError::read(Path::new("/proc/meminfo"), ReadError::NotFound);
        assert_eq!(r.to_string(), "/proc/meminfo: not found");
        assert!(e.same_class(&CollectError::malformed(
            Path::new("/proc/stat"),
            Some(9),
            "other"
        )));
        assert!(!e.same_class(&r));
    }
}
