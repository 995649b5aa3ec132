//! Per-process metrics: one resource per process, the N largest only.
//!
//! Reads: the tick's one walk of `<root>/proc/[pid]/stat` (`walk.rs`, shared with
//! `processes`); for each reported process `statm` (exact RSS: `stat`'s is approximate
//! since 6.2, see `stat.rs`) and `io` (disk.io and .operations), `status` only
//! for the off-by-default signals and context switches, `fd/` only for
//! open_file_descriptors; once per `(pid, starttime)` its identity (`identity.rs`:
//! `exe`, `cmdline`, `status`, `<root>/etc/passwd`); `<root>/proc/meminfo` (MemTotal) and
//! the logical CPU count only for the utilization metrics.
//! Emits (spec/metrics.md §3.9): a resource per process with the attributes of §2.2 and the
//! host's, carrying `process.cpu.time` {user, system, wait}, `process.memory.usage` (statm
//! resident × page size) and `.virtual`, `process.disk.io` (`read_bytes`/`write_bytes`), and, when
//! enabled, `process.cpu.utilization`, `.memory.utilization`, `.disk.operations`,
//! `.paging.faults`, `.signals_pending`, `.threads`, `.open_file_descriptors`,
//! `.context_switches`, `.uptime`. Every point starts when its process started: `btime +
//! starttime / USER_HZ` (§1.1). Processes are emitted in PID order.
//! Input: see `stat.rs` for `stat`, `io` and `status`.
//!
//! Kernel threads (`PF_KTHREAD`) are skipped, as upstream. Of the rest, those whose
//! executable name passes `--process-include`/`--process-exclude` compete for the
//! `--max-processes` slots by RSS or by CPU time since the previous tick (a process that
//! started since competes with all of its CPU time); one WARN the first time the cap bites.
//! A process another user owns gives EACCES on `io`, `exe` and `fd/`: those metrics and
//! attributes are omitted, counted in one DEBUG line per tick, never a WARN. A process that
//! ends while it is read is skipped silently.

pub mod details;
pub mod identity;
pub mod points;
pub mod stat;
pub mod walk;

use super::{Collect, CollectError, cpu, memory};
use crate::filter::Filter;
use crate::otlp::{AttrValue, Builder};
use crate::report::Once;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::Source;
use details::{DetailReader, Quiet};
use identity::{Identity, Lookup, Reader};
use points::{Context, emit};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use walk::{Entry, SharedWalk};

/// What this collector emits (the registry's list), in emission order.
pub const METRICS: &[&semconv::Info] = &[
    &semconv::PROCESS_CPU_TIME.info,
    &semconv::PROCESS_CPU_UTILIZATION.info,
    &semconv::PROCESS_MEMORY_USAGE.info,
    &semconv::PROCESS_MEMORY_VIRTUAL.info,
    &semconv::PROCESS_MEMORY_UTILIZATION.info,
    &semconv::PROCESS_DISK_IO.info,
    &semconv::PROCESS_DISK_OPERATIONS.info,
    &semconv::PROCESS_PAGING_FAULTS.info,
    &semconv::PROCESS_SIGNALS_PENDING.info,
    &semconv::PROCESS_THREADS.info,
    &semconv::PROCESS_OPEN_FILE_DESCRIPTORS.info,
    &semconv::PROCESS_CONTEXT_SWITCHES.info,
    &semconv::PROCESS_UPTIME.info,
];

/// `--max-processes` default (spec/metrics.md §3.9).
pub const DEFAULT_MAX_PROCESSES: usize = 256;

/// What ranks processes for the `--max-processes` slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TopBy {
    /// Resident memory (RSS).
    #[default]
    Memory,
    /// CPU time (user + system) since the previous tick.
    Cpu,
}

/// The `process` collector's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub max_processes: usize,
    pub top_by: TopBy,
    /// On `process.executable.name`.
    pub filter: Filter,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_processes: DEFAULT_MAX_PROCESSES,
            top_by: TopBy::Memory,
            filter: Filter::default(),
        }
    }
}

/// What is kept per `(pid, starttime)` seen: pruned the tick it is not seen.
#[derive(Debug)]
struct Known {
    /// The cycle it was last seen in.
    seen: u64,
    /// Its executable name passes the filter (decided once).
    allowed: bool,
    /// utime, stime, delayacct_blkio_ticks at the last sight, and that tick's time.
    cpu: [u64; 3],
    at: u64,
    /// CPU ticks per state and nanoseconds since the sight before (none on the first).
    delta: Option<([u64; 3], u64)>,
    /// Read when first reported (boxed: most processes are never reported, and this map
    /// has a slot per process).
    identity: Option<Box<Identity>>,
}

/// One process competing for a slot: its rank, PID, index in the walk's entries, and the
/// key it is sorted by.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    rank: u64,
    pid: u32,
    index: usize,
    order: u128,
}

/// Sorts by `order`: one sort for both orders, as each sort instance costs binary size.
fn sort_by_order(candidates: &mut [Candidate]) {
    candidates.sort_unstable_by_key(|c| c.order);
}

/// The `process` collector.
#[derive(Debug)]
pub struct Process {
    walk: SharedWalk,
    options: Options,
    hostmetrics_quirks: bool,
    page_size: u64,
    clock_ticks: u64,
    known: HashMap<(u32, u64), Known>,
    candidates: Vec<Candidate>,
    reader: Reader,
    capped: Once,
    details: DetailReader,
    text: String,
    /// `<root>/proc`.
    proc_dir: PathBuf,
    meminfo: PathBuf,
    online: PathBuf,
}

impl Process {
    /// `hostmetrics_quirks`: `process.disk.io` as upstream reports it (rchar/wchar).
    pub fn new(
        src: &Source,
        options: &Options,
        walk: SharedWalk,
        hostmetrics_quirks: bool,
    ) -> Self {
        walk.borrow_mut().want_details();
        Process {
            walk,
            options: options.clone(),
            hostmetrics_quirks,
            page_size: src.info().page_size,
            clock_ticks: src.info().clock_ticks.max(1),
            known: HashMap::new(),
            candidates: Vec::new(),
            reader: Reader::new(src),
            capped: Once::default(),
            details: DetailReader::default(),
            text: String::new(),
            proc_dir: src.path("proc"),
            meminfo: src.path("proc/meminfo"),
            online: src.path("sys/devices/system/cpu/online"),
        }
    }

    /// Updates what is known of every process the walk found and lists the allowed ones.
    fn rank(&mut self, src: &Source, tick: &Tick, entries: &[Entry], proc_dir: &Path) {
        self.candidates.clear();
        for (index, entry) in entries.iter().enumerate() {
            let s = &entry.stat;
            let cpu = [s.utime, s.stime, s.delayacct_blkio_ticks.unwrap_or(0)];
            let known = self
                .known
                .entry((entry.pid, s.starttime))
                .or_insert_with(|| Known {
                    seen: 0,
                    allowed: allowed(&self.options.filter, &mut self.reader, src, proc_dir, entry),
                    cpu,
                    at: 0,
                    delta: None,
                    identity: None,
                });
            // A process first seen now (started since the previous tick, or this is the
            // first) competes with all of its CPU time.
            let since = if known.seen == 0 { [0; 3] } else { known.cpu };
            known.delta = (known.seen != 0).then(|| {
                (
                    std::array::from_fn(|i| cpu[i].saturating_sub(since[i])),
                    tick.now_unix_nano.saturating_sub(known.at),
                )
            });
            let cpu_since = (cpu[0] + cpu[1]).saturating_sub(since[0] + since[1]);
            (known.seen, known.cpu, known.at) = (tick.cycle, cpu, tick.now_unix_nano);
            if known.allowed {
                self.candidates.push(Candidate {
                    rank: match self.options.top_by {
                        TopBy::Memory => s.rss,
                        TopBy::Cpu => cpu_since,
                    },
                    pid: entry.pid,
                    index,
                    order: 0,
                });
            }
        }
        let max = self.options.max_processes.max(1);
        if self.candidates.len() > max {
            if self.capped.first() {
                log::warn!(
                    "process collector: {} processes, more than --max-processes {max}: reporting the {max} largest by {} (logged once)",
                    self.candidates.len(),
                    match self.options.top_by {
                        TopBy::Memory => "resident memory",
                        TopBy::Cpu => "CPU time since the previous collection",
                    }
                );
            }
            // Largest first; equal ranks by PID, so the choice does not depend on order.
            for c in &mut self.candidates {
                c.order = u128::from(u64::MAX - c.rank) << 32 | u128::from(c.pid);
            }
            sort_by_order(&mut self.candidates);
            self.candidates.truncate(max);
        }
        for c in &mut self.candidates {
            c.order = u128::from(c.pid);
        }
        sort_by_order(&mut self.candidates);
    }
}

/// Whether `entry`'s executable name passes `filter` (the name needs `exe` only for a
/// 15-byte command name, and only when there is a filter).
fn allowed(
    filter: &Filter,
    reader: &mut Reader,
    src: &Source,
    proc_dir: &Path,
    entry: &Entry,
) -> bool {
    if filter.include.is_empty() && filter.exclude.is_empty() {
        return true;
    }
    let comm = entry.comm.as_bytes();
    let mut digits = PidText::default();
    let path = match comm.len() {
        15 => reader
            .exe(src, proc_dir, digits.of(entry.pid))
            .ok()
            .flatten(),
        _ => None,
    };
    filter.allows(&identity::executable_name(comm, path.as_deref()))
}

/// A PID as decimal digits, without allocating.
#[derive(Debug, Default)]
struct PidText([u8; 10]);

impl PidText {
    fn of(&mut self, pid: u32) -> &[u8] {
        let mut at = self.0.len();
        let mut n = pid;
        loop {
            at -= 1;
            self.0[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 || at == 0 {
                break;
            }
        }
        &self.0[at..]
    }
}

impl Collect for Process {
    fn collect(
        &mut self,
        src: &Source,
        tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        let walk = std::rc::Rc::clone(&self.walk);
        let mut walk = walk.borrow_mut();
        walk.run(src, tick)?;
        let mut first_error = walk.damaged_fields().cloned();
        let proc_dir = std::mem::take(&mut self.proc_dir);
        self.rank(src, tick, walk.entries(), &proc_dir);
        self.known.retain(|_, known| known.seen == tick.cycle);
        let mem_total = if out.enabled(&semconv::PROCESS_MEMORY_UTILIZATION) {
            self.mem_total(src)
        } else {
            None
        };
        let cpus = if out.enabled(&semconv::PROCESS_CPU_UTILIZATION) {
            cpu::logical_cpu_count(src, &self.online, &mut self.text).ok()
        } else {
            None
        };
        let mut quiet = Quiet::default();
        let candidates = std::mem::take(&mut self.candidates);
        for candidate in &candidates {
            let Some(entry) = walk.entries().get(candidate.index) else {
                continue;
            };
            let context = Context {
                proc_dir: &proc_dir,
                tick,
                mem_total,
                cpus,
                rchar_wchar: self.hostmetrics_quirks,
            };
            if let Err(e) = self.report(src, out, entry, &context, &mut quiet) {
                first_error.get_or_insert(e);
            }
        }
        self.candidates = candidates;
        self.proc_dir = proc_dir;
        let Quiet {
            reported,
            io_denied,
            exe_denied,
            fd_denied,
            gone,
        } = quiet;
        if io_denied + exe_denied + fd_denied + gone > 0 {
            log::debug!(
                "process: {reported} reported; denied (another user's): io {io_denied}, exe {exe_denied}, fd {fd_denied}; {gone} ended while read",
            );
        }
        first_error.map_or(Ok(()), Err)
    }
}

impl Process {
    /// MemTotal of `<root>/proc/meminfo`, in bytes.
    fn mem_total(&mut self, src: &Source) -> Option<u64> {
        src.read_into(&self.meminfo, &mut self.text).ok()?;
        let line = self.text.lines().find(|l| l.starts_with("MemTotal:"))?;
        memory::parse_kib(line.strip_prefix("MemTotal:")?)?
            .checked_mul(1024)
            .filter(|total| *total > 0)
    }

    /// Emits one process's resource and points.
    fn report(
        &mut self,
        src: &Source,
        out: &mut Builder,
        entry: &Entry,
        cx: &Context<'_>,
        quiet: &mut Quiet,
    ) -> Result<(), CollectError> {
        let key = (entry.pid, entry.stat.starttime);
        let mut digits = PidText::default();
        let pid = digits.of(entry.pid);
        let needs_identity = self.known.get(&key).is_some_and(|k| k.identity.is_none());
        if needs_identity {
            let (identity, lookup) =
                self.reader
                    .load(src, cx.proc_dir, pid, entry.comm.as_bytes(), cx.tick.cycle);
            match lookup {
                Lookup::Gone => {
                    quiet.gone += 1;
                    return Ok(());
                }
                Lookup::ExeDenied => quiet.exe_denied += 1,
                Lookup::Complete => {}
            }
            if let Some(known) = self.known.get_mut(&key) {
                known.identity = Some(Box::new(identity));
            }
        }
        let Some(details) = self.details.read(src, out, pid, cx.proc_dir, quiet)? else {
            quiet.gone += 1;
            return Ok(());
        };
        let Some(known) = self.known.get(&key) else {
            return Ok(());
        };
        let Some(id) = known.identity.as_ref() else {
            return Ok(());
        };
        let mut attrs = [(semconv::PROCESS_PID, AttrValue::Int(0)); 7];
        let mut n = 0;
        let optional = [
            (
                semconv::PROCESS_PID,
                Some(AttrValue::Int(i64::from(entry.pid))),
            ),
            (
                semconv::PROCESS_PARENT_PID,
                Some(AttrValue::Int(i64::from(entry.stat.ppid))),
            ),
            (
                semconv::PROCESS_EXECUTABLE_NAME,
                Some(AttrValue::Str(&id.name)),
            ),
            (
                semconv::PROCESS_EXECUTABLE_PATH,
                id.path.as_deref().map(AttrValue::Str),
            ),
            (
                semconv::PROCESS_COMMAND,
                id.command.as_deref().map(AttrValue::Str),
            ),
            (
                semconv::PROCESS_COMMAND_LINE,
                id.command_line.as_deref().map(AttrValue::Str),
            ),
            (
                semconv::PROCESS_OWNER,
                id.owner.as_deref().map(AttrValue::Str),
            ),
        ];
        for (key, value) in optional {
            if let (Some(value), Some(slot)) = (value, attrs.get_mut(n)) {
                *slot = (key, value);
                n += 1;
            }
        }
        out.resource(attrs.get(..n).unwrap_or_default());
        quiet.reported += 1;
        emit(
            out,
            entry,
            known.delta,
            &details,
            cx,
            self.page_size,
            self.clock_ticks,
        );
        Ok(())
    }
}
