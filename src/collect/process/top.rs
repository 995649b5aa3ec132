//! The `--max-processes` selection, made while the walk parses each `stat`: the N largest
//! allowed processes by RSS or by CPU time since the previous tick, without an entry per
//! process (1,000 processes held 128 bytes each for the tick, and a map entry each across
//! ticks).
//!
//! Reads: each process's parsed `stat` from the walk; `<root>/proc/<pid>/exe` only for a
//! 15-byte command name when `--process-include`/`--process-exclude` is set, once per
//! process.
//! Emits: the chosen processes in PID order, each with its CPU ticks per state since the
//! previous tick and the nanoseconds between the two (none for a process first seen), and
//! how many allowed processes competed (the cap's WARN).
//! Kept between ticks only when something needs it (`--process-top-by cpu`, a filter,
//! `process.cpu.utilization`): 40 bytes per process (PID, start, the filter's verdict, CPU
//! ticks), sorted by PID for binary search. The selection is a max-heap of at most N.

use super::identity::{Reader, executable_name};
use super::stat::PidStat;
use super::walk::{Comm, Entry};
use super::{PidText, TopBy};
use crate::filter::Filter;
use crate::source::Source;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::path::Path;

/// What is kept of a process between ticks (when tracking).
#[derive(Debug, Clone, Copy)]
struct Seen {
    pid: u32,
    /// Its executable name passes the filter (decided once per process).
    allowed: bool,
    starttime: u64,
    /// utime, stime, delayacct_blkio_ticks.
    cpu: [u64; 3],
}

/// A process that holds, or held, a slot.
#[derive(Debug, Clone, Copy)]
pub struct Chosen {
    /// Smaller is larger: the rank's complement, then the PID (equal ranks by PID, so the
    /// choice does not depend on the listing order).
    order: u128,
    pub entry: Entry,
    /// CPU ticks per state since the previous tick, and the nanoseconds between the two.
    pub delta: Option<([u64; 3], u64)>,
}

impl PartialEq for Chosen {
    fn eq(&self, other: &Self) -> bool {
        self.order == other.order
    }
}

impl Eq for Chosen {}

impl PartialOrd for Chosen {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Chosen {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order.cmp(&other.order)
    }
}

/// The selection of one walk, and what is kept for the next.
#[derive(Debug)]
pub struct Top {
    max: usize,
    by: TopBy,
    filter: Filter,
    /// Keep `Seen` per process: ranks by CPU, a filter, or CPU utilization need it.
    track: bool,
    /// This walk's processes and the previous walk's, each sorted by PID once complete.
    seen: Vec<Seen>,
    previous: Vec<Seen>,
    /// The times of the previous walk and of this one.
    previous_at: u64,
    now: u64,
    /// While walking: the chosen so far, the smallest at the top.
    heap: BinaryHeap<Chosen>,
    /// After the walk: the chosen, in PID order.
    chosen: Vec<Chosen>,
    competed: usize,
    exe: Reader,
}

impl Top {
    /// `utilization`: `process.cpu.utilization` is on (CPU deltas for every process).
    pub fn new(src: &Source, options: &super::Options, utilization: bool) -> Top {
        let filter = options.filter.clone();
        let track = options.top_by == TopBy::Cpu
            || utilization
            || !filter.include.is_empty()
            || !filter.exclude.is_empty();
        Top {
            max: options.max_processes.max(1),
            by: options.top_by,
            filter,
            track,
            seen: Vec::new(),
            previous: Vec::new(),
            previous_at: 0,
            now: 0,
            heap: BinaryHeap::new(),
            chosen: Vec::new(),
            competed: 0,
            exe: Reader::new(src),
        }
    }

    /// Starts the walk of the tick at `now` (Unix nanoseconds); buffers are reused.
    pub fn begin(&mut self, now: u64) {
        std::mem::swap(&mut self.seen, &mut self.previous);
        self.seen.clear();
        self.previous_at = self.now;
        self.now = now;
        let mut chosen = std::mem::take(&mut self.chosen);
        chosen.clear();
        self.heap = BinaryHeap::from(chosen);
        self.competed = 0;
    }

    /// A process of the walk (not a kernel thread).
    pub fn offer(&mut self, src: &Source, proc_dir: &Path, pid: u32, comm: &[u8], stat: &PidStat) {
        let cpu = [
            stat.utime,
            stat.stime,
            stat.delayacct_blkio_ticks.unwrap_or(0),
        ];
        let before = if self.track {
            self.previous
                .binary_search_by_key(&pid, |s| s.pid)
                .ok()
                .and_then(|i| self.previous.get(i))
                .filter(|s| s.starttime == stat.starttime)
                .copied()
        } else {
            None
        };
        let allowed = match before {
            Some(seen) => seen.allowed,
            None => self.allows(src, proc_dir, pid, comm),
        };
        if self.track {
            self.seen.push(Seen {
                pid,
                allowed,
                starttime: stat.starttime,
                cpu,
            });
        }
        if !allowed {
            return;
        }
        self.competed += 1;
        // A process first seen now (started since the previous tick, or this is the first)
        // competes with all of its CPU time.
        let since = before.map_or([0; 3], |s| s.cpu);
        let rank = match self.by {
            TopBy::Memory => stat.rss,
            TopBy::Cpu => (cpu[0] + cpu[1]).saturating_sub(since[0] + since[1]),
        };
        let order = u128::from(u64::MAX - rank) << 32 | u128::from(pid);
        let full = self.heap.len() >= self.max;
        if full
            && self
                .heap
                .peek()
                .is_some_and(|smallest| order >= smallest.order)
        {
            return;
        }
        let candidate = Chosen {
            order,
            entry: Entry {
                pid,
                comm: Comm::new(comm),
                stat: *stat,
            },
            delta: before.map(|s| {
                (
                    std::array::from_fn(|i| cpu[i].saturating_sub(s.cpu[i])),
                    self.now.saturating_sub(self.previous_at),
                )
            }),
        };
        if !full {
            self.heap.push(candidate);
        } else if let Some(mut smallest) = self.heap.peek_mut() {
            *smallest = candidate;
        }
    }

    /// Ends the walk: the chosen in PID order; this walk's processes sorted for the next.
    pub fn finish(&mut self) {
        self.chosen = std::mem::take(&mut self.heap).into_vec();
        self.chosen.sort_unstable_by_key(|c| c.entry.pid);
        // `/proc` lists PIDs in order; a fixture's directory may not.
        if !self.seen.is_sorted_by_key(|s| s.pid) {
            self.seen.sort_unstable_by_key(|s| s.pid);
        }
    }

    /// The chosen processes of the last walk, in PID order.
    pub fn chosen(&self) -> &[Chosen] {
        &self.chosen
    }

    /// Allowed processes of the last walk (more than `--max-processes`: the cap bit).
    pub fn competed(&self) -> usize {
        self.competed
    }

    /// Whether the executable name of `pid` passes the filter (the name needs `exe` only
    /// for a 15-byte command name, and only when there is a filter).
    fn allows(&mut self, src: &Source, proc_dir: &Path, pid: u32, comm: &[u8]) -> bool {
        if self.filter.include.is_empty() && self.filter.exclude.is_empty() {
            return true;
        }
        let mut digits = PidText::default();
        let path = match comm.len() {
            15 => self.exe.exe(src, proc_dir, digits.of(pid)).ok().flatten(),
            _ => None,
        };
        self.filter.allows(&executable_name(comm, path.as_deref()))
    }
}
