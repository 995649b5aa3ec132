//! sysotlp's own health: exporter outcomes, collector results, its memory and CPU.
//!
//! Reads: the shared `Telemetry`, and the live `/proc/self/status` (VmRSS, VmHWM) and
//! `/proc/self/stat` (utime, stime): always this process, never `--root-path` (exporter spec
//! §5.1), which is why this is the one collector that names `/proc` itself.
//! Emits: `sysotlp.exporter.*` (only once a tick has been exported: values cover earlier
//! ticks), `sysotlp.scraper.*` per collector, `sysotlp.process.*`. Sums start when the
//! process started.
//! Input: `VmHWM:      2404 kB` lines; `stat` fields 14 and 15 after the command name.

use super::counter::to_int;
use super::process::stat::PidStat;
use super::{Collect, CollectError, memory, read_required};
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::Source;
use crate::telemetry::{DropReason, RequestOutcome, Telemetry};
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

/// What this collector emits (the registry's list).
pub const METRICS: &[&semconv::Info] = &[
    &semconv::SYSOTLP_EXPORTER_SENT_METRIC_POINTS.info,
    &semconv::SYSOTLP_EXPORTER_SEND_FAILED_METRIC_POINTS.info,
    &semconv::SYSOTLP_EXPORTER_REQUESTS.info,
    &semconv::SYSOTLP_EXPORTER_DROPPED_METRIC_POINTS.info,
    &semconv::SYSOTLP_EXPORTER_QUEUE_SIZE.info,
    &semconv::SYSOTLP_EXPORTER_QUEUE_SIZE_BYTES.info,
    &semconv::SYSOTLP_EXPORTER_QUEUE_CAPACITY_BYTES.info,
    &semconv::SYSOTLP_EXPORTER_OLDEST_BATCH_AGE.info,
    &semconv::SYSOTLP_EXPORTER_SEND_DURATION.info,
    &semconv::SYSOTLP_SCRAPER_SCRAPED_METRIC_POINTS.info,
    &semconv::SYSOTLP_SCRAPER_ERRORS.info,
    &semconv::SYSOTLP_SCRAPER_DURATION.info,
    &semconv::SYSOTLP_PROCESS_MEMORY_RSS.info,
    &semconv::SYSOTLP_PROCESS_MEMORY_PEAK.info,
    &semconv::SYSOTLP_PROCESS_CPU_TIME.info,
    &semconv::SYSOTLP_PROCESS_UPTIME.info,
];

const SELF_STATUS: &str = "/proc/self/status";
const SELF_STAT: &str = "/proc/self/stat";

/// `VmRSS` and `VmHWM` of `/proc/<pid>/status`, in bytes.
pub fn parse_status_memory(text: &str) -> (Option<u64>, Option<u64>) {
    let mut rss = None;
    let mut peak = None;
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let slot = match key {
            "VmRSS" => &mut rss,
            "VmHWM" => &mut peak,
            _ => continue,
        };
        // parse_kib proved kib × 1024 fits an i64.
        *slot = memory::parse_kib(rest).map(|kib| kib.saturating_mul(1024));
    }
    (rss, peak)
}

/// utime + stime of `/proc/<pid>/stat`, in clock ticks: fields 14 and 15, counted after the
/// last `)` because the command name may contain spaces and parentheses.
pub fn parse_stat_cpu_ticks(text: &str) -> Option<u64> {
    let (_, stat) = PidStat::parse(text.as_bytes()).ok()?;
    stat.utime.checked_add(stat.stime)
}

/// The `agent` collector.
pub struct Agent {
    telemetry: Rc<RefCell<Telemetry>>,
    buf: String,
    error_type: String,
}

impl Agent {
    pub fn new(telemetry: Rc<RefCell<Telemetry>>) -> Self {
        Agent {
            telemetry,
            buf: String::new(),
            error_type: String::new(),
        }
    }

    fn exporter(&mut self, out: &mut Builder, start: u64) {
        let telemetry = self.telemetry.borrow();
        let stats = &telemetry.exporter;
        out.metric(&semconv::SYSOTLP_EXPORTER_SENT_METRIC_POINTS)
            .point_since(start, &[], to_int(stats.sent_points));
        {
            let mut failed = out.metric(&semconv::SYSOTLP_EXPORTER_SEND_FAILED_METRIC_POINTS);
            for (error, points) in &stats.failed_points {
                error.write_name(&mut self.error_type);
                failed.point_since(
                    start,
                    &[(semconv::ERROR_TYPE, &self.error_type)],
                    to_int(*points),
                );
            }
        }
        {
            let mut requests = out.metric(&semconv::SYSOTLP_EXPORTER_REQUESTS);
            for outcome in RequestOutcome::ALL {
                requests.point_since(
                    start,
                    &[(semconv::OUTCOME, outcome.name())],
                    to_int(stats.requests[outcome as usize]),
                );
            }
        }
        {
            let mut dropped = out.metric(&semconv::SYSOTLP_EXPORTER_DROPPED_METRIC_POINTS);
            for reason in DropReason::ALL {
                dropped.point_since(
                    start,
                    &[(semconv::REASON, reason.name())],
                    to_int(stats.dropped[reason as usize]),
                );
            }
        }
        out.metric(&semconv::SYSOTLP_EXPORTER_QUEUE_SIZE)
            .point(&[], to_int(stats.queue_batches));
        {
            let mut size = out.metric(&semconv::SYSOTLP_EXPORTER_QUEUE_SIZE_BYTES);
            size.point(
                &[(semconv::STORAGE, semconv::STORAGE_MEMORY)],
                to_int(stats.memory_bytes),
            );
            if let Some((bytes, _)) = stats.spool {
                size.point(&[(semconv::STORAGE, semconv::STORAGE_SPOOL)], to_int(bytes));
            }
        }
        {
            let mut capacity = out.metric(&semconv::SYSOTLP_EXPORTER_QUEUE_CAPACITY_BYTES);
            capacity.point(
                &[(semconv::STORAGE, semconv::STORAGE_MEMORY)],
                to_int(stats.memory_capacity),
            );
            if let Some((_, cap)) = stats.spool {
                capacity.point(&[(semconv::STORAGE, semconv::STORAGE_SPOOL)], to_int(cap));
            }
        }
        out.metric(&semconv::SYSOTLP_EXPORTER_OLDEST_BATCH_AGE)
            .point(&[], stats.oldest_batch_age);
        out.metric(&semconv::SYSOTLP_EXPORTER_SEND_DURATION)
            .point(&[], stats.send_duration);
    }
}

impl Collect for Agent {
    fn collect(
        &mut self,
        src: &Source,
        tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        let start = self.telemetry.borrow().start_unix_nano;
        if self.telemetry.borrow().exporter.reported {
            self.exporter(out, start);
        }
        {
            let telemetry = self.telemetry.borrow();
            {
                let mut points = out.metric(&semconv::SYSOTLP_SCRAPER_SCRAPED_METRIC_POINTS);
                for s in &telemetry.scrapers {
                    points.point_since(start, &[(semconv::SCRAPER, s.name)], to_int(s.points));
                }
            }
            {
                let mut errors = out.metric(&semconv::SYSOTLP_SCRAPER_ERRORS);
                for s in &telemetry.scrapers {
                    errors.point_since(start, &[(semconv::SCRAPER, s.name)], to_int(s.errors));
                }
            }
            let mut duration = out.metric(&semconv::SYSOTLP_SCRAPER_DURATION);
            for s in &telemetry.scrapers {
                duration.point_since(start, &[(semconv::SCRAPER, s.name)], s.duration);
            }
        }
        let status = Path::new(SELF_STATUS);
        read_required(src, status, &mut self.buf)?;
        let (rss, peak) = parse_status_memory(&self.buf);
        if let Some(rss) = rss {
            out.metric(&semconv::SYSOTLP_PROCESS_MEMORY_RSS)
                .point_since(start, &[], to_int(rss));
        }
        if let Some(peak) = peak {
            out.metric(&semconv::SYSOTLP_PROCESS_MEMORY_PEAK)
                .point_since(start, &[], to_int(peak));
        }
        let stat = Path::new(SELF_STAT);
        read_required(src, stat, &mut self.buf)?;
        if let Some(ticks) = parse_stat_cpu_ticks(&self.buf) {
            let seconds = ticks as f64 / rustix::param::clock_ticks_per_second() as f64;
            out.metric(&semconv::SYSOTLP_PROCESS_CPU_TIME)
                .point_since(start, &[], seconds);
        }
        let uptime = tick.now_unix_nano.saturating_sub(start) as f64 / 1e9;
        out.metric(&semconv::SYSOTLP_PROCESS_UPTIME)
            .point_since(start, &[], uptime);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_peak() {
        let status = "Name:\tsysotlp\nVmPeak:\t    5000 kB\nVmHWM:\t    2404 kB\nVmRSS:\t    2300 kB\nThreads:\t1\n";
        assert_eq!(
            parse_status_memory(status),
            (Some(2300 * 1024), Some(2404 * 1024))
        );
        assert_eq!(parse_status_memory(""), (None, None));
    }

    #[test]
    fn cpu_ticks_skip_the_command_name() {
        let stat = "4242 (sys (o) tlp) S 1 4242 4242 0 -1 4194560 300 0 0 0 17 4 0 0 20 0 1 0 100 10000000 600 18446744073709551615 1 1 0";
        assert_eq!(parse_stat_cpu_ticks(stat), Some(21));
        assert_eq!(parse_stat_cpu_ticks("4242 (x) S 1"), None);
    }

    #[test]
    fn garbage_never_panics() {
        crate::collect::garbage::for_each_variant(
            "Name:\tx\nVmHWM:\t 2404 kB\nVmRSS:\t 2300 kB\n",
            |text| {
                let _ = parse_status_memory(text);
                let _ = parse_stat_cpu_ticks(text);
            },
        );
    }
}
