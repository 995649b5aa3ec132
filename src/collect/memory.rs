//! Physical memory by state, kernel slab, the total, huge pages, and OOM kills.
//!
//! Reads: `<root>/proc/meminfo` (proc(5); values in KiB, printed as "kB", except the
//! `HugePages_*` page counts) and the cycle's shared `<root>/proc/vmstat` (its `oom_kill`
//! line, Linux ≥ 4.13).
//! Emits: `system.memory.usage` (used, free, buffered, cached),
//! `system.memory.linux.slab.usage` (reclaimable, unreclaimable) and `system.memory.limit`,
//! UpDownCounters of bytes (spec/metrics.md §3.2); `system.memory.linux.oom_kills`, Counter,
//! {kill} (§5.4): an `unsigned long` event counter (width word, §1.3), omitted without a
//! word of log above debug when the kernel or root has no `oom_kill`. Off by default (§3.2,
//! hostmetrics' names, units and kinds): `system.memory.utilization` (state ÷ MemTotal),
//! `system.memory.page_size`, `system.linux.memory.available` (MemAvailable; omitted without
//! the line), `system.linux.memory.dirty` (Dirty), `system.memory.linux.shared` (Shmem),
//! and `system.memory.linux.hugepages.*` from `HugePages_{Total,Free,Rsvd,Surp}` and
//! `Hugepagesize` (omitted on kernels built without hugetlbfs, which print none of them;
//! utilization omitted for an empty pool).
//! Input: `MemTotal:       16303480 kB` lines; only the keys below are used.
//!
//! used = MemTotal − MemAvailable, as procps-ng `free`, node_exporter dashboards and the
//! semantic conventions define it; the four states partition MemTotal exactly (spec D4).
//! Kernels before 3.14 have no MemAvailable: it is estimated as
//! min(MemTotal, MemFree + Buffers + Cached + SReclaimable), logged once; so is a
//! MemAvailable above MemTotal (a distorted container view).
//!
//! Own parser, not procfs' `Meminfo`: that one builds a `HashMap<String, u64>` on every parse
//! and fails the whole file on one malformed line.

use super::counter::{Counters, Width, kernel_word_bits, to_int};
use super::text::{keyed_counter, parse_counter};
use super::{Collect, CollectError, read_required};
use crate::otlp::Builder;
use crate::report::Once;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::{ReadError, Source};
use std::path::PathBuf;

const KIB: u64 = 1024;

/// What this collector emits (the registry's list).
pub const METRICS: &[&semconv::Info] = &[
    &semconv::SYSTEM_MEMORY_USAGE.info,
    &semconv::SYSTEM_MEMORY_UTILIZATION.info,
    &semconv::SYSTEM_MEMORY_LINUX_SLAB_USAGE.info,
    &semconv::SYSTEM_MEMORY_LIMIT.info,
    &semconv::SYSTEM_MEMORY_PAGE_SIZE.info,
    &semconv::SYSTEM_LINUX_MEMORY_AVAILABLE.info,
    &semconv::SYSTEM_LINUX_MEMORY_DIRTY.info,
    &semconv::SYSTEM_MEMORY_LINUX_SHARED.info,
    &semconv::SYSTEM_MEMORY_LINUX_HUGEPAGES_LIMIT.info,
    &semconv::SYSTEM_MEMORY_LINUX_HUGEPAGES_USAGE.info,
    &semconv::SYSTEM_MEMORY_LINUX_HUGEPAGES_UTILIZATION.info,
    &semconv::SYSTEM_MEMORY_LINUX_HUGEPAGES_PAGE_SIZE.info,
    &semconv::SYSTEM_MEMORY_LINUX_HUGEPAGES_RESERVED.info,
    &semconv::SYSTEM_MEMORY_LINUX_HUGEPAGES_SURPLUS.info,
    &semconv::SYSTEM_MEMORY_LINUX_OOM_KILLS.info,
];

/// The `/proc/meminfo` values sysotlp uses, in KiB (the `HugePages_*` ones in pages).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Meminfo {
    pub mem_total: Option<u64>,
    pub mem_free: Option<u64>,
    pub mem_available: Option<u64>,
    pub buffers: Option<u64>,
    pub cached: Option<u64>,
    pub s_reclaimable: Option<u64>,
    pub s_unreclaim: Option<u64>,
    pub dirty: Option<u64>,
    pub shmem: Option<u64>,
    pub huge_pages_total: Option<u64>,
    pub huge_pages_free: Option<u64>,
    pub huge_pages_rsvd: Option<u64>,
    pub huge_pages_surp: Option<u64>,
    pub hugepagesize: Option<u64>,
}

/// Parses `/proc/meminfo`. A malformed line for a key we use leaves that key `None` and
/// is returned as `(line number, text)` of the first such line; other lines are ignored.
pub fn parse_meminfo(text: &str) -> (Meminfo, Option<(usize, String)>) {
    let mut info = Meminfo::default();
    let mut first_bad = None;
    for (index, line) in text.lines().enumerate() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let slot = match key {
            "MemTotal" => &mut info.mem_total,
            "MemFree" => &mut info.mem_free,
            "MemAvailable" => &mut info.mem_available,
            "Buffers" => &mut info.buffers,
            "Cached" => &mut info.cached,
            "SReclaimable" => &mut info.s_reclaimable,
            "SUnreclaim" => &mut info.s_unreclaim,
            "Dirty" => &mut info.dirty,
            "Shmem" => &mut info.shmem,
            "HugePages_Total" => &mut info.huge_pages_total,
            "HugePages_Free" => &mut info.huge_pages_free,
            "HugePages_Rsvd" => &mut info.huge_pages_rsvd,
            "HugePages_Surp" => &mut info.huge_pages_surp,
            "Hugepagesize" => &mut info.hugepagesize,
            _ => continue,
        };
        match parse_kib(rest) {
            Some(value) => *slot = Some(value),
            None => {
                first_bad.get_or_insert_with(|| {
                    (
                        index + 1,
                        format!("expected \"{key}: <n> kB\", found \"{line}\""),
                    )
                });
            }
        }
    }
    (info, first_bad)
}

/// `   16303480 kB` → 16303480; the value must fit in bytes as an `i64`.
pub fn parse_kib(rest: &str) -> Option<u64> {
    let mut fields = rest.split_ascii_whitespace();
    let value = parse_counter(fields.next()?)?;
    match (fields.next(), fields.next()) {
        (Some("kB") | None, None) => value
            .checked_mul(KIB)
            .filter(|b| i64::try_from(*b).is_ok())
            .map(|_| value),
        _ => None,
    }
}

/// The four states of `system.memory.usage` in KiB; they sum to MemTotal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryStates {
    pub used: u64,
    pub free: u64,
    pub buffered: u64,
    pub cached: u64,
}

/// Splits MemTotal into states (spec/metrics.md §3.2). The second value is true when
/// MemAvailable had to be estimated (absent, or above MemTotal).
pub fn memory_states(total: u64, free: u64, info: &Meminfo) -> (MemoryStates, bool) {
    let buffers = info.buffers.unwrap_or(0);
    let (available, estimated) = match info.mem_available {
        Some(available) if available <= total => (available, false),
        _ => {
            let estimate = free
                .saturating_add(buffers)
                .saturating_add(info.cached.unwrap_or(0))
                .saturating_add(info.s_reclaimable.unwrap_or(0));
            (estimate.min(total), true)
        }
    };
    let free_state = free.min(available);
    let buffered = buffers.min(available - free_state);
    let states = MemoryStates {
        used: total - available,
        free: free_state,
        buffered,
        cached: available - free_state - buffered,
    };
    (states, estimated)
}

/// The `memory` collector.
#[derive(Debug)]
pub struct Memory {
    path: PathBuf,
    buf: String,
    estimate_noted: Once,
    /// `oom_kill` wrap and reset state (entity `vmstat`).
    counters: Counters,
    oom_kill_missing_noted: Once,
}

impl Memory {
    pub fn new(src: &Source) -> Self {
        Memory {
            path: src.path("proc/meminfo"),
            buf: String::new(),
            estimate_noted: Once::default(),
            counters: Counters::new(kernel_word_bits(&src.info().machine)),
            oom_kill_missing_noted: Once::default(),
        }
    }

    /// Emits `system.memory.linux.oom_kills` when the root's vmstat has `oom_kill`.
    fn oom_kills(
        &mut self,
        src: &Source,
        tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        if !out.enabled(&semconv::SYSTEM_MEMORY_LINUX_OOM_KILLS) {
            return Ok(());
        }
        let parsed = match src.vmstat() {
            Ok(text) => keyed_counter(&text, "oom_kill"),
            Err(ReadError::NotFound) => {
                self.note_no_oom_kill(src, "not found");
                return Ok(());
            }
            Err(e) => return Err(CollectError::read(src.vmstat_path(), e)),
        };
        match parsed {
            Ok(Some(kills)) => {
                let ([kills], start) =
                    self.counters
                        .update("vmstat", tick, [(kills, Width::Word)], false);
                self.counters.prune(tick);
                out.metric(&semconv::SYSTEM_MEMORY_LINUX_OOM_KILLS)
                    .point_since(start, &[], to_int(kills));
                Ok(())
            }
            Ok(None) => {
                self.note_no_oom_kill(src, "no oom_kill line (Linux < 4.13)");
                Ok(())
            }
            Err((line, what)) => Err(CollectError::malformed(src.vmstat_path(), Some(line), what)),
        }
    }

    /// An optional source is absent: one debug line (spec/metrics.md §7).
    fn note_no_oom_kill(&mut self, src: &Source, why: &str) {
        if self.oom_kill_missing_noted.first() {
            log::debug!(
                "{}: {why}; system.memory.linux.oom_kills omitted",
                src.vmstat_path().display()
            );
        }
    }
}

impl Collect for Memory {
    fn collect(
        &mut self,
        src: &Source,
        tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        read_required(src, &self.path, &mut self.buf)?;
        let (info, bad_line) = parse_meminfo(&self.buf);
        let bad =
            bad_line.map(|(line, what)| CollectError::malformed(&self.path, Some(line), what));
        let (Some(total), Some(free)) = (info.mem_total, info.mem_free) else {
            return Err(bad.unwrap_or_else(|| {
                CollectError::malformed(&self.path, None, "no MemTotal or MemFree line")
            }));
        };

        let (states, estimated) = memory_states(total, free, &info);
        if estimated && self.estimate_noted.first() {
            log::info!(
                "{}: MemAvailable is missing or above MemTotal; estimating it from MemFree + Buffers + Cached + SReclaimable",
                self.path.display()
            );
        }
        // Every value is at most MemTotal, which parse_kib proved fits an i64 in bytes.
        let bytes = |kib: u64| to_int(kib.saturating_mul(KIB));
        {
            let mut usage = out.metric(&semconv::SYSTEM_MEMORY_USAGE);
            usage.point(
                &[(semconv::STATE, semconv::MEMORY_USED)],
                bytes(states.used),
            );
            usage.point(
                &[(semconv::STATE, semconv::MEMORY_FREE)],
                bytes(states.free),
            );
            usage.point(
                &[(semconv::STATE, semconv::MEMORY_BUFFERED)],
                bytes(states.buffered),
            );
            usage.point(
                &[(semconv::STATE, semconv::MEMORY_CACHED)],
                bytes(states.cached),
            );
        }
        if out.enabled(&semconv::SYSTEM_MEMORY_UTILIZATION) {
            let mut utilization = out.metric(&semconv::SYSTEM_MEMORY_UTILIZATION);
            let states = [
                (semconv::MEMORY_USED, states.used),
                (semconv::MEMORY_FREE, states.free),
                (semconv::MEMORY_BUFFERED, states.buffered),
                (semconv::MEMORY_CACHED, states.cached),
            ];
            for (state, kib) in states.into_iter().filter(|_| total > 0) {
                utilization.point(&[(semconv::STATE, state)], kib as f64 / total as f64);
            }
        }
        {
            let mut slab = out.metric(&semconv::SYSTEM_MEMORY_LINUX_SLAB_USAGE);
            if let Some(kib) = info.s_reclaimable {
                slab.point(
                    &[(semconv::SLAB_STATE, semconv::SLAB_RECLAIMABLE)],
                    bytes(kib),
                );
            }
            if let Some(kib) = info.s_unreclaim {
                slab.point(
                    &[(semconv::SLAB_STATE, semconv::SLAB_UNRECLAIMABLE)],
                    bytes(kib),
                );
            }
        }
        out.metric(&semconv::SYSTEM_MEMORY_LIMIT)
            .point(&[], bytes(total));
        out.metric(&semconv::SYSTEM_MEMORY_PAGE_SIZE)
            .point(&[], to_int(src.info().page_size));
        for (metric, kib) in [
            (&semconv::SYSTEM_LINUX_MEMORY_AVAILABLE, info.mem_available),
            (&semconv::SYSTEM_LINUX_MEMORY_DIRTY, info.dirty),
            (&semconv::SYSTEM_MEMORY_LINUX_SHARED, info.shmem),
        ] {
            if let Some(kib) = kib {
                out.metric(metric).point(&[], bytes(kib));
            }
        }
        hugepages(&info, out);
        let oom_kills = self.oom_kills(src, tick, out);
        bad.map_or(oom_kills, Err)
    }
}

/// The `system.memory.linux.hugepages.*` metrics, in the order of spec/metrics.md §3.2;
/// none when the kernel prints no `HugePages_Total` (built without hugetlbfs).
fn hugepages(info: &Meminfo, out: &mut Builder) {
    let (Some(total), Some(free)) = (info.huge_pages_total, info.huge_pages_free) else {
        return;
    };
    // The pool never has more free pages than pages; a torn read could say so.
    let free = free.min(total);
    let used = total - free;
    out.metric(&semconv::SYSTEM_MEMORY_LINUX_HUGEPAGES_LIMIT)
        .point(&[], to_int(total));
    let states = [(semconv::FREE, free), (semconv::USED, used)];
    {
        let mut usage = out.metric(&semconv::SYSTEM_MEMORY_LINUX_HUGEPAGES_USAGE);
        for (state, pages) in states {
            usage.point(&[(semconv::HUGEPAGES_STATE, state)], to_int(pages));
        }
    }
    if total > 0 {
        let mut utilization = out.metric(&semconv::SYSTEM_MEMORY_LINUX_HUGEPAGES_UTILIZATION);
        for (state, pages) in states {
            utilization.point(
                &[(semconv::HUGEPAGES_STATE, state)],
                pages as f64 / total as f64,
            );
        }
    }
    if let Some(kib) = info.hugepagesize {
        out.metric(&semconv::SYSTEM_MEMORY_LINUX_HUGEPAGES_PAGE_SIZE)
            .point(&[], to_int(kib.saturating_mul(KIB)));
    }
    for (metric, pages) in [
        (
            &semconv::SYSTEM_MEMORY_LINUX_HUGEPAGES_RESERVED,
            info.huge_pages_rsvd,
        ),
        (
            &semconv::SYSTEM_MEMORY_LINUX_HUGEPAGES_SURPLUS,
            info.huge_pages_surp,
        ),
    ] {
        if let Some(pages) = pages {
            out.metric(metric).point(&[], to_int(pages));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Linux 6.1 x86_64, first lines of /proc/meminfo.
    const MODERN: &str = "MemTotal:       16303480 kB\nMemFree:         9212544 kB\nMemAvailable:   13407212 kB\n\
Buffers:          231700 kB\nCached:          4052536 kB\nSwapCached:            0 kB\nShmem:            90136 kB\n\
SReclaimable:     258000 kB\nSUnreclaim:       101520 kB\nHugePages_Total:       0\nHugepagesize:       2048 kB\n";

    #[test]
    fn parses_the_keys_used() {
        let (info, bad) = parse_meminfo(MODERN);
        assert_eq!(bad, None);
        assert_eq!(info.mem_total, Some(16_303_480));
        assert_eq!(info.mem_free, Some(9_212_544));
        assert_eq!(info.mem_available, Some(13_407_212));
        assert_eq!(info.buffers, Some(231_700));
        assert_eq!(info.cached, Some(4_052_536));
        assert_eq!(info.s_reclaimable, Some(258_000));
        assert_eq!(info.s_unreclaim, Some(101_520));
    }

    #[test]
    fn parses_the_optional_keys() {
        let (info, bad) = parse_meminfo(MODERN);
        assert_eq!(bad, None);
        assert_eq!(info.shmem, Some(90_136));
        assert_eq!(info.dirty, None, "MODERN has no Dirty line");
        assert_eq!(
            (info.huge_pages_total, info.hugepagesize),
            (Some(0), Some(2048))
        );
        // Documentation/admin-guide/mm/hugetlbpage.rst: the HugePages_* lines are page
        // counts without a unit; ShmemHugePages is another key than Shmem.
        let pool = "Dirty:               588 kB\nShmemHugePages:        0 kB\nHugePages_Total:     512\n\
HugePages_Free:      480\nHugePages_Rsvd:       32\nHugePages_Surp:        0\nHugepagesize:       2048 kB\n";
        let (info, bad) = parse_meminfo(pool);
        assert_eq!(bad, None);
        assert_eq!(info.dirty, Some(588));
        assert_eq!(info.shmem, None);
        assert_eq!(
            (
                info.huge_pages_total,
                info.huge_pages_free,
                info.huge_pages_rsvd,
                info.huge_pages_surp
            ),
            (Some(512), Some(480), Some(32), Some(0))
        );
    }

    #[test]
    fn states_partition_memtotal() {
        let (info, _) = parse_meminfo(MODERN);
        let (s, estimated) = memory_states(16_303_480, 9_212_544, &info);
        assert!(!estimated);
        // used = 16303480 − 13407212; free = MemFree; buffered = Buffers;
        // cached = 13407212 − 9212544 − 231700.
        assert_eq!(
            s,
            MemoryStates {
                used: 2_896_268,
                free: 9_212_544,
                buffered: 231_700,
                cached: 3_962_968
            }
        );
        assert_eq!(s.used + s.free + s.buffered + s.cached, 16_303_480);
    }

    #[test]
    fn spec_example_upstream_gets_wrong() {
        // spec/metrics.md §9.2: T 1000000, F 100000, B 20000, Cached 400000, SReclaimable 50000, A 500000.
        let info = Meminfo {
            mem_total: Some(1_000_000),
            mem_free: Some(100_000),
            mem_available: Some(500_000),
            buffers: Some(20_000),
            cached: Some(400_000),
            s_reclaimable: Some(50_000),
            ..Meminfo::default()
        };
        let (s, _) = memory_states(1_000_000, 100_000, &info);
        assert_eq!(
            s,
            MemoryStates {
                used: 500_000,
                free: 100_000,
                buffered: 20_000,
                cached: 380_000
            }
        );
        // MemAvailable above MemTotal: estimated, still sums to T.
        let above = Meminfo {
            mem_available: Some(2_000_000),
            ..info.clone()
        };
        let (s, estimated) = memory_states(1_000_000, 100_000, &above);
        assert!(estimated);
        assert_eq!(
            s,
            MemoryStates {
                used: 430_000,
                free: 100_000,
                buffered: 20_000,
                cached: 450_000
            }
        );
        // No MemAvailable (kernel < 3.14): F + B + Cached + SReclaimable = 570000.
        let old = Meminfo {
            mem_available: None,
            ..info
        };
        let (s, estimated) = memory_states(1_000_000, 100_000, &old);
        assert!(estimated);
        assert_eq!(s.used, 430_000);
        assert_eq!(s.used + s.free + s.buffered + s.cached, 1_000_000);
    }

    #[test]
    fn estimate_is_capped_at_memtotal() {
        let info = Meminfo {
            buffers: Some(600),
            cached: Some(900),
            ..Default::default()
        };
        let (s, _) = memory_states(1000, 400, &info);
        assert_eq!(
            s,
            MemoryStates {
                used: 0,
                free: 400,
                buffered: 600,
                cached: 0
            }
        );
    }

    #[test]
    fn a_bad_line_spoils_only_its_key() {
        let text = "MemTotal:       1000 kB\nMemFree: lots kB\nBuffers: 5 MB\nCached: 7 kB\nSomethingNew: ? kB\n";
        let (info, bad) = parse_meminfo(text);
        assert_eq!(info.mem_total, Some(1000));
        assert_eq!(info.mem_free, None);
        assert_eq!(info.buffers, None);
        assert_eq!(info.cached, Some(7));
        assert_eq!(
            bad,
            Some((
                2,
                "expected \"MemFree: <n> kB\", found \"MemFree: lots kB\"".into()
            ))
        );
    }

    #[test]
    fn garbage_never_panics() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/x86_64-vm/proc/meminfo"
        ))
        .unwrap();
        crate::collect::garbage::for_each_variant(&text, |text| {
            let (info, _) = parse_meminfo(text);
            if let (Some(total), Some(free)) = (info.mem_total, info.mem_free) {
                let (s, _) = memory_states(total, free, &info);
                assert_eq!(s.used + s.free + s.buffered + s.cached, total);
            }
        });
    }

    fn oom_kill(vmstat: &str) -> Result<Option<u64>, (usize, String)> {
        keyed_counter(vmstat, "oom_kill")
    }

    #[test]
    fn oom_kill_from_vmstat() {
        // Linux 6.18 x86_64, the end of /proc/vmstat.
        let text = "pgmajfault 4201\npgrefill 0\noom_kill 3\nnuma_pte_updates 0\n";
        assert_eq!(oom_kill(text), Ok(Some(3)));
        // Linux 4.9: no oom_kill line.
        assert_eq!(oom_kill("pgmajfault 4201\npgrefill 0\n"), Ok(None));
        assert_eq!(oom_kill(""), Ok(None));
        assert_eq!(
            oom_kill("pgrefill 0\noom_kill -1\n"),
            Err((
                2,
                "expected \"oom_kill <counter>\", found \"oom_kill -1\"".into()
            ))
        );
        assert!(oom_kill("oom_kill 1 2\n").is_err());
        assert!(oom_kill("oom_kill\n").is_err());
        // A name that only starts with oom_kill is another counter.
        assert_eq!(oom_kill("oom_kill_x 5\n"), Ok(None));
    }

    #[test]
    fn oom_kill_garbage_never_panics() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/x86_64-vm/proc/vmstat"
        ))
        .unwrap();
        crate::collect::garbage::for_each_variant(&text, |text| {
            let _ = oom_kill(text);
        });
    }

    #[test]
    fn values_that_overflow_bytes_are_malformed() {
        let (info, bad) = parse_meminfo("MemTotal: 9223372036854775807 kB\n");
        assert_eq!(info.mem_total, None);
        assert!(bad.is_some());
        assert_eq!(parse_meminfo("").0, Meminfo::default());
    }
}
