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
//! started since competes with all of its CPU time), chosen while the walk reads each
//! `stat` (`top.rs`: nothing is kept per process the collector does not report, unless
//! ranking by CPU, a filter or CPU utilization needs 40 bytes of it); one WARN the first
//! time the cap bites. Identities are kept for 3 cycles after a process was last reported.
//! A process another user owns gives EACCES on `io`, `exe` and `fd/`: those metrics and
//! attributes are omitted, counted in one DEBUG line per tick, never a WARN. A process that
//! ends while it is read is skipped silently.

pub mod details;
pub mod identity;
pub mod points;
pub mod stat;
pub mod top;
pub mod walk;

use super::{Collect, CollectError, cpu, memory};
use crate::filter::Filter;
use crate::otlp::{AttrValue, Builder};
use crate::report::Once;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::Source;
use details::{DetailReader, Details, Quiet};
use identity::{Identity, Lookup, Reader};
use points::{Context, emit};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use top::{Chosen, Top};
use walk::{Entry, SharedWalk, Walk};

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

/// Cycles an identity is kept after its process was last reported (spec/metrics.md §1.3:
/// state not refreshed for 3 cycles is dropped): a process near the cap that drops out and
/// back in is not read again, and memory stays bounded by the processes reported lately.
const IDENTITY_CYCLES: u64 = 3;

/// Process resources written into the builder at a time: the rest of a tick's go in
/// further batches (`Collect::collect_more`), each once the previous one was sent, so the
/// builder's slots (≈ 4.8 KB a process) hold 16 processes, not `--max-processes`. 32 held
/// 108 KB more at 1,000 processes (VmHWM 2,592 against 2,480 KB) for 8 requests a tick
/// fewer at the cap of 256.
pub const BATCH: usize = 16;

/// Where this tick's per-process files are read: the walk's `/proc`.
#[derive(Clone, Copy)]
struct Where<'a> {
    proc_dir: &'a Path,
    walk: &'a Walk,
    tick: &'a Tick,
}

/// A process to report this tick, read in `collect`, waiting for its batch.
#[derive(Debug)]
struct Row {
    /// Its index among the walk's chosen processes.
    chosen: usize,
    details: Details,
}

/// The identity of a process last reported in the cycle `reported`.
#[derive(Debug)]
struct Cached {
    reported: u64,
    identity: Identity,
}

/// The `process` collector.
#[derive(Debug)]
pub struct Process {
    walk: SharedWalk,
    options: Options,
    hostmetrics_quirks: bool,
    page_size: u64,
    clock_ticks: u64,
    /// By `(pid, starttime)`.
    identities: HashMap<(u32, u64), Cached>,
    reader: Reader,
    capped: Once,
    details: DetailReader,
    /// This tick's reported processes, read in `collect`, emitted `BATCH` at a time.
    rows: Vec<Row>,
    /// Rows emitted so far this tick.
    emitted: usize,
    mem_total: Option<u64>,
    cpus: Option<u64>,
    text: String,
    /// `<root>/proc`.
    proc_dir: PathBuf,
    meminfo: PathBuf,
    online: PathBuf,
}

impl Process {
    /// `hostmetrics_quirks`: `process.disk.io` as upstream reports it (rchar/wchar);
    /// `utilization`: `process.cpu.utilization` is on.
    pub fn new(
        src: &Source,
        options: &Options,
        walk: SharedWalk,
        hostmetrics_quirks: bool,
        utilization: bool,
    ) -> Self {
        walk.borrow_mut()
            .select_with(Top::new(src, options, utilization));
        Process {
            walk,
            options: options.clone(),
            hostmetrics_quirks,
            page_size: src.info().page_size,
            clock_ticks: src.info().clock_ticks.max(1),
            identities: HashMap::new(),
            reader: Reader::new(src),
            capped: Once::default(),
            details: DetailReader::default(),
            rows: Vec::new(),
            emitted: 0,
            mem_total: None,
            cpus: None,
            text: String::new(),
            proc_dir: src.path("proc"),
            meminfo: src.path("proc/meminfo"),
            online: src.path("sys/devices/system/cpu/online"),
        }
    }
}

/// A PID as decimal digits, without allocating.
#[derive(Debug, Default)]
pub(super) struct PidText([u8; 10]);

impl PidText {
    pub(super) fn of(&mut self, pid: u32) -> &[u8] {
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
        // A batch left over from a tick not sent whole is never sent with this one's.
        self.rows.clear();
        self.emitted = 0;
        let walk = std::rc::Rc::clone(&self.walk);
        let mut walk = walk.borrow_mut();
        walk.run(src, tick)?;
        let mut first_error = walk.damaged_fields().cloned();
        let proc_dir = std::mem::take(&mut self.proc_dir);
        let (chosen, competed) = walk
            .top()
            .map_or((&[][..], 0), |top| (top.chosen(), top.competed()));
        let max = self.options.max_processes.max(1);
        if competed > max && self.capped.first() {
            log::warn!(
                "process collector: {competed} processes, more than --max-processes {max}: reporting the {max} largest by {} (logged once)",
                match self.options.top_by {
                    TopBy::Memory => "resident memory",
                    TopBy::Cpu => "CPU time since the previous collection",
                }
            );
        }
        self.mem_total = if out.enabled(&semconv::PROCESS_MEMORY_UTILIZATION) {
            self.mem_total(src)
        } else {
            None
        };
        self.cpus = if out.enabled(&semconv::PROCESS_CPU_UTILIZATION) {
            cpu::logical_cpu_count(src, &self.online, &mut self.text).ok()
        } else {
            None
        };
        let mut quiet = Quiet::default();
        let at = Where {
            proc_dir: &proc_dir,
            walk: &walk,
            tick,
        };
        for (index, chosen) in chosen.iter().enumerate() {
            match self.read(src, out, chosen, &at, &mut quiet) {
                Ok(Some(details)) => self.rows.push(Row {
                    chosen: index,
                    details,
                }),
                Ok(None) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        drop(walk);
        // Identities of processes not reported lately (ended, or out of the top N).
        self.identities
            .retain(|_, cached| cached.reported + IDENTITY_CYCLES > tick.cycle);
        self.proc_dir = proc_dir;
        let Quiet {
            io_denied,
            exe_denied,
            fd_denied,
            gone,
            ..
        } = quiet;
        if io_denied + exe_denied + fd_denied + gone > 0 {
            log::debug!(
                "process: {} reported; denied (another user's): io {io_denied}, exe {exe_denied}, fd {fd_denied}; {gone} ended while read",
                self.rows.len()
            );
        }
        self.emit_batch(tick, out);
        first_error.map_or(Ok(()), Err)
    }

    fn collect_more(&mut self, tick: &Tick, out: &mut Builder) -> bool {
        self.emit_batch(tick, out)
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

    /// Reads what process `chosen` needs beyond its `stat` (its identity once per
    /// `(pid, starttime)`); `None` when it ended meanwhile.
    fn read(
        &mut self,
        src: &Source,
        out: &Builder,
        chosen: &Chosen,
        at: &Where<'_>,
        quiet: &mut Quiet,
    ) -> Result<Option<Details>, CollectError> {
        let Where {
            proc_dir,
            walk,
            tick,
        } = *at;
        let entry = &chosen.entry;
        let key = (entry.pid, entry.stat.starttime);
        let mut digits = PidText::default();
        let pid = digits.of(entry.pid);
        if !self.identities.contains_key(&key) {
            let (identity, lookup) =
                self.reader
                    .load(src, proc_dir, pid, entry.comm.as_bytes(), tick.cycle);
            match lookup {
                Lookup::Gone => {
                    quiet.gone += 1;
                    return Ok(None);
                }
                Lookup::ExeDenied => quiet.exe_denied += 1,
                Lookup::Complete => {}
            }
            self.identities.insert(
                key,
                Cached {
                    reported: tick.cycle,
                    identity,
                },
            );
        }
        let Some(details) = self
            .details
            .read(src, out, pid, proc_dir, walk.live(), quiet)?
        else {
            quiet.gone += 1;
            return Ok(None);
        };
        if let Some(cached) = self.identities.get_mut(&key) {
            cached.reported = tick.cycle;
        }
        Ok(Some(details))
    }

    /// Emits the next `BATCH` rows of this tick; false when none was left.
    fn emit_batch(&mut self, tick: &Tick, out: &mut Builder) -> bool {
        let end = self.rows.len().min(self.emitted + BATCH);
        let Some(rows) = self.rows.get(self.emitted..end).filter(|r| !r.is_empty()) else {
            return false;
        };
        let walk = self.walk.borrow();
        let chosen = walk.top().map_or(&[][..], |top| top.chosen());
        let context = Context {
            tick,
            mem_total: self.mem_total,
            cpus: self.cpus,
            rchar_wchar: self.hostmetrics_quirks,
        };
        for row in rows {
            let Some(chosen) = chosen.get(row.chosen) else {
                continue;
            };
            let entry = &chosen.entry;
            let Some(cached) = self.identities.get(&(entry.pid, entry.stat.starttime)) else {
                continue;
            };
            resource(out, entry, &cached.identity);
            emit(
                out,
                entry,
                chosen.delta,
                &row.details,
                &context,
                self.page_size,
                self.clock_ticks,
            );
        }
        self.emitted = end;
        true
    }
}

/// Starts the resource of process `entry` (spec/metrics.md §3.9 attributes).
fn resource(out: &mut Builder, entry: &Entry, id: &Identity) {
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
            Some(AttrValue::Str(id.name())),
        ),
        (
            semconv::PROCESS_EXECUTABLE_PATH,
            id.path().map(AttrValue::Str),
        ),
        (semconv::PROCESS_COMMAND, id.command().map(AttrValue::Str)),
        (
            semconv::PROCESS_COMMAND_LINE,
            id.command_line().map(AttrValue::Str),
        ),
        (semconv::PROCESS_OWNER, id.owner().map(AttrValue::Str)),
    ];
    for (key, value) in optional {
        if let (Some(value), Some(slot)) = (value, attrs.get_mut(n)) {
            *slot = (key, value);
            n += 1;
        }
    }
    out.resource(attrs.get(..n).unwrap_or_default());
}
