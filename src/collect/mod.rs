//! The collectors and their registry.
//!
//! Reads: through `Source` only (each collector names its files).
//! Emits: points into the `otlp::Builder`, in collector order (the table order of
//! spec/metrics.md §3), each collector's points in kernel order.

pub mod agent;
pub mod counter;
pub mod cpu;
pub mod disk;
pub mod filesystem;
#[cfg(test)]
pub mod garbage;
pub mod load;
pub mod memory;
pub mod network;
pub mod paging;
pub mod processes;
pub mod system;

use crate::config::{CollectorName, Config};
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::source::{ReadError, Source};
use crate::telemetry::Telemetry;
use std::cell::RefCell;
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// One collector: a module with one job (STYLE.md §2).
pub trait Collect {
    /// The `--collectors` name, used in logs.
    fn name(&self) -> &'static str;
    /// Appends this tick's points; may append some and still return `Err` (a bad line for
    /// one device skips that device and is reported).
    fn collect(&mut self, src: &Source, tick: &Tick, out: &mut Builder)
    -> Result<(), CollectError>;
}

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

    /// Two errors of one class are one ongoing failure for rate-limited logging: the same
    /// file and the same kind of problem (line numbers and details may move).
    pub fn same_class(&self, other: &CollectError) -> bool {
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

/// The collectors `config` asks for, in table order (the registry: one line per collector).
/// `agent` reports live process values, so in fixture mode it runs only when named.
pub fn registry(
    src: &Source,
    config: &Config,
    telemetry: &Rc<RefCell<Telemetry>>,
) -> Vec<Box<dyn Collect>> {
    let mut collectors: Vec<Box<dyn Collect>> = Vec::new();
    for name in CollectorName::ALL {
        if !config.collectors.contains(&name)
            || (name == CollectorName::Agent && src.is_fixture() && !config.agent_named)
        {
            continue;
        }
        collectors.push(match name {
            CollectorName::Cpu => Box::new(cpu::Cpu::new(src, &config.cpu)),
            CollectorName::Memory => Box::new(memory::Memory::new(src)),
            CollectorName::Load => Box::new(load::Load::new(src, &config.load)),
            CollectorName::Disk => Box::new(disk::Disk::new(src, &config.disk)),
            CollectorName::Filesystem => {
                Box::new(filesystem::Filesystem::new(src, &config.filesystem))
            }
            CollectorName::Network => Box::new(network::Network::new(src, &config.network)),
            CollectorName::Paging => Box::new(paging::Paging::new(src, &config.paging)),
            CollectorName::Processes => Box::new(processes::Processes::new(src)),
            CollectorName::System => Box::new(system::System::new(src)),
            CollectorName::Agent => Box::new(agent::Agent::new(Rc::clone(telemetry))),
        });
    }
    collectors
}

/// Parses a kernel counter: decimal, at most `i64::MAX` (spec/metrics.md §7: larger values,
/// such as a transient 2^64−1, are malformed).
pub fn parse_counter(field: &str) -> Option<u64> {
    field
        .parse::<u64>()
        .ok()
        .filter(|v| i64::try_from(*v).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_above_i64_max_are_malformed() {
        assert_eq!(parse_counter("9223372036854775807"), Some(i64::MAX as u64));
        assert_eq!(parse_counter("9223372036854775808"), None);
        assert_eq!(parse_counter("18446744073709551615"), None);
        assert_eq!(parse_counter("-1"), None);
        assert_eq!(parse_counter("12a"), None);
        assert_eq!(parse_counter(""), None);
    }

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
