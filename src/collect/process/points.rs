//! The points of one reported process, in spec/metrics.md §3.9 table order.
//!
//! Reads: nothing (the walk's `stat`, the `Details` read for it, what the collector keeps).
//! Emits: `process.cpu.time`, `.cpu.utilization`, `.memory.usage`, `.memory.utilization`,
//! `.memory.virtual`, `.disk.io`, `.disk.operations`, `.paging.faults`, `.signals_pending`,
//! `.threads`, `.open_file_descriptors`, `.context_switches`, `.uptime` (those switched off
//! take no points), every one starting when the process started (§1.1).
//! Input: `stat` fields, e.g. utime 173 and stime 997 ticks → 1.73 s and 9.97 s at 100 Hz.

use super::details::Details;
use super::walk::Entry;
use crate::collect::counter::to_int;
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::semconv;

/// What every process of a tick shares.
#[derive(Debug)]
pub struct Context<'a> {
    pub tick: &'a Tick,
    pub mem_total: Option<u64>,
    pub cpus: Option<u64>,
    /// `--hostmetrics-quirks`: `process.disk.io` from `rchar`/`wchar`, as upstream.
    pub rchar_wchar: bool,
}

/// The points of one process, in spec/metrics.md §3.9 table order.
pub fn emit(
    out: &mut Builder,
    entry: &Entry,
    delta: Option<([u64; 3], u64)>,
    details: &Details,
    cx: &Context<'_>,
    page_size: u64,
    hz: u64,
) {
    let s = &entry.stat;
    let seconds = |ticks: u64| ticks as f64 / hz as f64;
    let start = cx.tick.boot_unix_nano.saturating_add(
        u64::try_from(u128::from(s.starttime) * 1_000_000_000 / u128::from(hz)).unwrap_or(u64::MAX),
    );
    let cpu = [Some(s.utime), Some(s.stime), s.delayacct_blkio_ticks];
    let mut time = out.metric(&semconv::PROCESS_CPU_TIME);
    for (state, ticks) in semconv::PROCESS_CPU_STATES.iter().zip(cpu) {
        if let Some(ticks) = ticks {
            time.point_since(start, &[(semconv::STATE, state)], seconds(ticks));
        }
    }
    if let (Some((delta, wall)), Some(cpus)) = (delta, cx.cpus) {
        let capacity = wall as f64 / 1e9 * cpus as f64;
        if capacity > 0.0 {
            let mut utilization = out.metric(&semconv::PROCESS_CPU_UTILIZATION);
            for (i, state) in semconv::PROCESS_CPU_STATES.iter().enumerate() {
                if cpu.get(i).copied().flatten().is_some() {
                    let ticks = delta.get(i).copied().unwrap_or(0);
                    utilization.point_since(
                        start,
                        &[(semconv::STATE, state)],
                        seconds(ticks) / capacity,
                    );
                }
            }
        }
    }
    if let Some(resident) = details.resident {
        let rss = resident.saturating_mul(page_size);
        out.metric(&semconv::PROCESS_MEMORY_USAGE)
            .point_since(start, &[], to_int(rss));
        if let Some(total) = cx.mem_total {
            out.metric(&semconv::PROCESS_MEMORY_UTILIZATION)
                .point_since(start, &[], rss as f64 / total as f64);
        }
    }
    out.metric(&semconv::PROCESS_MEMORY_VIRTUAL)
        .point_since(start, &[], to_int(s.vsize));
    if let Some(io) = details.io {
        // Upstream's values count every read(2) and write(2), pipes and sockets included
        // (gopsutil `fillFromIOWithContext`: ReadBytes = rchar; spec D7).
        let (read, written) = if cx.rchar_wchar {
            (io.rchar, io.wchar)
        } else {
            (io.read_bytes, io.write_bytes)
        };
        let mut disk = out.metric(&semconv::PROCESS_DISK_IO);
        disk.point_since(start, &[(semconv::DIRECTION, semconv::READ)], to_int(read));
        disk.point_since(
            start,
            &[(semconv::DIRECTION, semconv::WRITE)],
            to_int(written),
        );
        let mut ops = out.metric(&semconv::PROCESS_DISK_OPERATIONS);
        ops.point_since(
            start,
            &[(semconv::DIRECTION, semconv::READ)],
            to_int(io.syscr),
        );
        ops.point_since(
            start,
            &[(semconv::DIRECTION, semconv::WRITE)],
            to_int(io.syscw),
        );
    }
    let mut faults = out.metric(&semconv::PROCESS_PAGING_FAULTS);
    faults.point_since(start, &[(semconv::TYPE, semconv::MAJOR)], to_int(s.majflt));
    faults.point_since(start, &[(semconv::TYPE, semconv::MINOR)], to_int(s.minflt));
    if let Some(pending) = details.status.pending {
        out.metric(&semconv::PROCESS_SIGNALS_PENDING).point_since(
            start,
            &[],
            i64::from(pending.count_ones()),
        );
    }
    out.metric(&semconv::PROCESS_THREADS)
        .point_since(start, &[], to_int(s.num_threads));
    if let Some(fds) = details.fds {
        out.metric(&semconv::PROCESS_OPEN_FILE_DESCRIPTORS)
            .point_since(start, &[], to_int(fds));
    }
    if let (Some(voluntary), Some(involuntary)) = (
        details.status.voluntary_ctxt_switches,
        details.status.nonvoluntary_ctxt_switches,
    ) {
        let mut switches = out.metric(&semconv::PROCESS_CONTEXT_SWITCHES);
        switches.point_since(
            start,
            &[(semconv::TYPE, semconv::VOLUNTARY)],
            to_int(voluntary),
        );
        switches.point_since(
            start,
            &[(semconv::TYPE, semconv::INVOLUNTARY)],
            to_int(involuntary),
        );
    }
    let uptime = cx.tick.now_unix_nano.saturating_sub(start) as f64 / 1e9;
    out.metric(&semconv::PROCESS_UPTIME)
        .point_since(start, &[], uptime);
}
