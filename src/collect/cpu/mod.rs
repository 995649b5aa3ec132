//! CPU time and utilization per state, logical and physical CPU counts, CPU frequency.
//!
//! Reads: `<root>/proc/stat` (the cycle's shared copy; proc(5)) and
//! `<root>/sys/devices/system/cpu/online` (sysfs-devices-system-cpu ABI: a CPU list); for
//! the optional metrics, the per-CPU topology and cpufreq files and `proc/cpuinfo`
//! (`topology`).
//! Emits (spec/metrics.md §3.1, §5.2): `system.cpu.time` (Counter, s, double, `state`; `cpu`
//! too with `--per-cpu`), `system.cpu.utilization` (Gauge, 1, off: Δstate ÷ Σ Δ of the 8
//! states since the previous tick, none on the first tick or when nothing moved; the states
//! sum to 1), `system.cpu.logical.count` (UpDownCounter, {cpu}, int),
//! `system.cpu.physical.count` (UpDownCounter, {cpu}, int, off: distinct cores of the online
//! CPUs) and `system.cpu.frequency` (Gauge, Hz, double, `cpu`, off: one point per online CPU
//! that has a source).
//! Input:
//! ```text
//! cpu  1114 0 812 32326 92 0 16 8 0 0
//! cpu0 311 0 268 16592 4 0 4 2 0 0
//! ```
//! Columns are user nice system idle iowait irq softirq steal guest guest_nice in USER_HZ
//! ticks; guest and guest_nice are already inside user and nice, so they are not emitted.
//! Kernels before 2.6.11 print fewer columns: missing trailing columns count as 0.
//!
//! By default only the aggregate `cpu ` line is used: the kernel sums it over all possible
//! CPUs, so it keeps growing when a CPU goes offline (spec D9). `--per-cpu` uses the `cpuN`
//! lines instead, keyed by the number in the label, never by position, so an offline CPU's
//! series pauses and the others keep their names.
//! idle and iowait can step back on NO_HZ kernels (proc(5)); a value below the previous one
//! is clamped to it (spec/metrics.md §1.3 rule 2), never treated as a reset.
//!
//! Own parser, not procfs' `KernelStats`: that one allocates a `String` per line and a `Vec`
//! per parse, stores CPUs by list position (an offline CPU shifts every later one), and
//! fails the whole file on one malformed `cpuN` line.

mod topology;

pub use topology::{cpu_list_members, distinct_cores, first_cpu, parse_cpuinfo_mhz, parse_khz};

use super::counter::to_int;
use super::text::parse_counter;
use super::{Collect, CollectError, required_stat};
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::{ReadError, Source};
use std::path::{Path, PathBuf};
use topology::CpuFiles;

/// What this collector emits (the registry's list).
pub const METRICS: &[&semconv::Info] = &[
    &semconv::SYSTEM_CPU_TIME.info,
    &semconv::SYSTEM_CPU_UTILIZATION.info,
    &semconv::SYSTEM_CPU_LOGICAL_COUNT.info,
    &semconv::SYSTEM_CPU_PHYSICAL_COUNT.info,
    &semconv::SYSTEM_CPU_FREQUENCY.info,
];

/// Options of the `cpu` collector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `--per-cpu`: one series per `cpuN` line.
    pub per_cpu: bool,
}

/// Number of `system.cpu.time` states; the first 8 columns of a cpu line.
const STATES: usize = semconv::CPU_STATES.len();
/// user, nice, system, idle: every kernel prints at least these.
const MIN_COLUMNS: usize = 4;
/// Per-CPU state not refreshed for this many cycles is dropped (§1.3).
const STALE_CYCLES: u64 = 3;

/// One parsed `cpu`/`cpuN` line.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuLine<'a> {
    /// `cpu` or `cpuN`, as printed.
    pub label: &'a str,
    /// `N` of `cpuN`; `None` for the aggregate line.
    pub number: Option<u32>,
    /// The 8 emitted states in column order, in ticks.
    pub ticks: [u64; STATES],
}

/// The CPU number of a `/proc/stat` label: `Some(None)` for `cpu`, `Some(Some(n))` for
/// `cpuN`, `None` for any other line.
pub fn cpu_label(label: &str) -> Option<Option<u32>> {
    let digits = label.strip_prefix("cpu")?;
    if digits.is_empty() {
        return Some(None);
    }
    digits.parse().ok().map(Some)
}

/// Parses one line of `/proc/stat`; `Ok(None)` when it is not a cpu line.
pub fn parse_stat_cpu_line(line: &str) -> Result<Option<CpuLine<'_>>, String> {
    let mut fields = line.split_ascii_whitespace();
    let Some(label) = fields.next() else {
        return Ok(None);
    };
    let Some(number) = cpu_label(label) else {
        return Ok(None);
    };
    let mut ticks = [0u64; STATES];
    let mut columns = 0;
    for field in fields {
        if columns < STATES {
            ticks[columns] = parse_counter(field).ok_or_else(|| {
                format!(
                    "expected a tick counter in column {}, found \"{field}\"",
                    columns + 2
                )
            })?;
        }
        columns += 1;
    }
    if columns < MIN_COLUMNS {
        return Err(format!(
            "expected at least {MIN_COLUMNS} counters after \"{label}\", found {columns}"
        ));
    }
    Ok(Some(CpuLine {
        label,
        number,
        ticks,
    }))
}

/// Counts the CPUs of a sysfs CPU list such as `0-3,6` (5 CPUs); `None` if malformed.
pub fn parse_cpu_list(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut count: u64 = 0;
    for range in text.split(',') {
        let (first, last) = match range.split_once('-') {
            Some((a, b)) => (a.parse::<u64>().ok()?, b.parse::<u64>().ok()?),
            None => {
                let n = range.parse::<u64>().ok()?;
                (n, n)
            }
        };
        count = count.checked_add(last.checked_sub(first)?.checked_add(1)?)?;
    }
    Some(count)
}

/// Online logical CPUs: the `online` list, else (no sysfs) the `cpuN` lines of `/proc/stat`.
pub fn logical_cpu_count(
    src: &Source,
    online: &Path,
    buf: &mut String,
) -> Result<u64, CollectError> {
    match src.read_into(online, buf) {
        Ok(()) => parse_cpu_list(buf).ok_or_else(|| {
            CollectError::malformed(
                online,
                None,
                format!("expected a CPU list such as 0-3, found \"{}\"", buf.trim()),
            )
        }),
        Err(ReadError::NotFound) => {
            let stat = required_stat(src)?;
            let count = stat
                .lines()
                .filter_map(|line| line.split_ascii_whitespace().next())
                .filter(|label| matches!(cpu_label(label), Some(Some(_))))
                .count() as u64;
            if count == 0 {
                return Err(CollectError::malformed(
                    src.stat_path(),
                    None,
                    "no cpuN lines",
                ));
            }
            Ok(count)
        }
        Err(e) => Err(CollectError::read(online, e)),
    }
}

/// Utilization of each state between two samples of one series: Δstate ÷ Σ Δ (spec
/// D8: guest is already inside user and nice, so the 8 states are the whole). `None` when
/// no tick passed (Σ = 0). `now` is clamped, so no Δ is negative.
pub fn utilization(before: &[u64; STATES], now: &[u64; STATES]) -> Option<[f64; STATES]> {
    let mut deltas = [0u64; STATES];
    for ((delta, b), n) in deltas.iter_mut().zip(before).zip(now) {
        *delta = n.saturating_sub(*b);
    }
    let total = deltas.iter().fold(0u64, |sum, d| sum.saturating_add(*d));
    (total > 0).then(|| deltas.map(|d| d as f64 / total as f64))
}

/// Last emitted ticks of one series, for the clamp rule and utilization.
#[derive(Debug)]
struct Series {
    cpu: Option<u32>,
    ticks: [u64; STATES],
    seen_cycle: u64,
}

/// The `cpu` collector.
#[derive(Debug)]
pub struct Cpu {
    per_cpu: bool,
    online: PathBuf,
    buf: String,
    series: Vec<Series>,
    files: CpuFiles,
}

impl Cpu {
    pub fn new(src: &Source, options: &Options) -> Self {
        Cpu {
            per_cpu: options.per_cpu,
            online: src.path("sys/devices/system/cpu/online"),
            buf: String::new(),
            series: Vec::new(),
            files: CpuFiles::new(src),
        }
    }

    /// Applies the clamp rule and returns the ticks to emit for `cpu`, with the ticks of its
    /// previous cycle when there was one (for utilization).
    fn clamped(
        &mut self,
        cpu: Option<u32>,
        ticks: [u64; STATES],
        cycle: u64,
    ) -> ([u64; STATES], Option<[u64; STATES]>) {
        let (series, before) = match self.series.iter().position(|s| s.cpu == cpu) {
            Some(index) => {
                let series = &mut self.series[index];
                let before = (series.seen_cycle < cycle).then_some(series.ticks);
                (series, before)
            }
            None => {
                self.series.push(Series {
                    cpu,
                    ticks,
                    seen_cycle: cycle,
                });
                let last = self.series.len() - 1;
                (&mut self.series[last], None)
            }
        };
        for (kept, new) in series.ticks.iter_mut().zip(ticks) {
            *kept = (*kept).max(new);
        }
        series.seen_cycle = cycle;
        (series.ticks, before)
    }

    /// `system.cpu.physical.count` and `system.cpu.frequency`, from the online CPUs' sysfs
    /// files. Optional sources: a CPU without them is left out, silently.
    fn topology(&mut self, src: &Source, out: &mut Builder) {
        let physical = out.enabled(&semconv::SYSTEM_CPU_PHYSICAL_COUNT);
        let frequency = out.enabled(&semconv::SYSTEM_CPU_FREQUENCY);
        if !physical && !frequency {
            return;
        }
        let online = match src.read_into(&self.online, &mut self.buf) {
            Ok(()) => Some(self.buf.as_str()),
            Err(_) => None,
        };
        let known = match src.stat() {
            Ok(stat) => self.files.set_online(online, &stat),
            Err(_) => self.files.set_online(online, ""),
        };
        if !known {
            return;
        }
        if physical {
            match self.files.physical_cores(src) {
                Some(cores) => out
                    .metric(&semconv::SYSTEM_CPU_PHYSICAL_COUNT)
                    .point(&[], to_int(cores)),
                None => log::debug!(
                    "{}: an online CPU has no topology/core_cpus_list; system.cpu.physical.count omitted",
                    self.files.dir().display()
                ),
            }
        }
        if frequency {
            // Opened with its first point: a CPU without a source has none.
            let mut hz = None;
            for index in 0..self.files.online.len() {
                let cpu = self.files.online[index];
                if let Some(value) = self.files.frequency(src, cpu) {
                    let metric =
                        *hz.get_or_insert_with(|| out.open(&semconv::SYSTEM_CPU_FREQUENCY));
                    out.point(metric, &[(semconv::CPU, &self.files.label)], value);
                }
            }
        }
    }
}

impl Collect for Cpu {
    fn collect(
        &mut self,
        src: &Source,
        tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        let hz = src.info().clock_ticks as f64;
        let mut first_error = None;
        {
            let stat = required_stat(src)?;
            let time = out.open(&semconv::SYSTEM_CPU_TIME);
            // Opened with its first point: none on the first tick, and an opened metric without
            // points would reshuffle the builder's reused slots every tick.
            let mut shares_metric = None;
            let want_utilization = out.enabled(&semconv::SYSTEM_CPU_UTILIZATION);
            for (index, line) in stat.lines().enumerate() {
                let parsed = match parse_stat_cpu_line(line) {
                    Ok(Some(parsed)) if parsed.number.is_some() == self.per_cpu => parsed,
                    Ok(_) => continue,
                    Err(what) => {
                        // A bad line only matters if it is one this mode reads.
                        let is_per_cpu_line = matches!(
                            line.split_ascii_whitespace().next().and_then(cpu_label),
                            Some(Some(_))
                        );
                        if is_per_cpu_line == self.per_cpu {
                            first_error.get_or_insert_with(|| {
                                CollectError::malformed(src.stat_path(), Some(index + 1), what)
                            });
                        }
                        continue;
                    }
                };
                let (ticks, before) = self.clamped(parsed.number, parsed.ticks, tick.cycle);
                let cpu = [(semconv::CPU, parsed.label)];
                let cpu: &[_] = if self.per_cpu { &cpu } else { &[] };
                for (state, value) in semconv::CPU_STATES.iter().zip(ticks) {
                    point_with_cpu(out, time, cpu, state, value as f64 / hz);
                }
                let shares = before
                    .filter(|_| want_utilization)
                    .and_then(|before| utilization(&before, &ticks));
                for (state, share) in semconv::CPU_STATES.iter().zip(shares.iter().flatten()) {
                    let metric = *shares_metric
                        .get_or_insert_with(|| out.open(&semconv::SYSTEM_CPU_UTILIZATION));
                    point_with_cpu(out, metric, cpu, state, *share);
                }
            }
        }
        self.series
            .retain(|s| tick.cycle.saturating_sub(s.seen_cycle) < STALE_CYCLES);

        match logical_cpu_count(src, &self.online, &mut self.buf) {
            Ok(count) => out
                .metric(&semconv::SYSTEM_CPU_LOGICAL_COUNT)
                .point(&[], to_int(count)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
        self.topology(src, out);
        first_error.map_or(Ok(()), Err)
    }
}

/// A point of `metric` with the `cpu` attribute when there is one, then `state`.
fn point_with_cpu(
    out: &mut Builder,
    metric: crate::otlp::Open<f64>,
    cpu: &[(&'static str, &str)],
    state: &str,
    value: f64,
) {
    match cpu {
        [cpu] => out.point(metric, &[*cpu, (semconv::STATE, state)], value),
        _ => out.point(metric, &[(semconv::STATE, state)], value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_aggregate_and_numbered_lines() {
        // Linux 6.18 x86_64, two CPUs.
        let line = parse_stat_cpu_line("cpu  1114 0 812 32326 92 0 16 8 0 0")
            .unwrap()
            .unwrap();
        assert_eq!(line.label, "cpu");
        assert_eq!(line.number, None);
        assert_eq!(line.ticks, [1114, 0, 812, 32326, 92, 0, 16, 8]);
        let line = parse_stat_cpu_line("cpu13 311 0 268 16592 4 0 4 2 7 1")
            .unwrap()
            .unwrap();
        assert_eq!((line.label, line.number), ("cpu13", Some(13)));
        assert_eq!(line.ticks, [311, 0, 268, 16592, 4, 0, 4, 2]);
    }

    #[test]
    fn old_kernels_with_fewer_columns_pad_with_zero() {
        // Linux 2.6.9 prints 7 columns (no steal).
        let line = parse_stat_cpu_line("cpu  100 2 30 4000 5 6 7")
            .unwrap()
            .unwrap();
        assert_eq!(line.ticks, [100, 2, 30, 4000, 5, 6, 7, 0]);
    }

    #[test]
    fn other_lines_are_not_cpu_lines() {
        for line in [
            "intr 1 2 3",
            "btime 1767200000",
            "",
            "cpux 1 2 3 4",
            "ctxt 5",
        ] {
            assert_eq!(parse_stat_cpu_line(line), Ok(None), "{line:?}");
        }
    }

    #[test]
    fn truncated_and_garbled_lines_are_errors() {
        assert_eq!(
            parse_stat_cpu_line("cpu1 8034 12 54"),
            Err("expected at least 4 counters after \"cpu1\", found 3".into())
        );
        assert!(parse_stat_cpu_line("cpu 1 2 x 4").is_err());
        assert!(parse_stat_cpu_line("cpu 1 2 3 18446744073709551615").is_err());
        assert!(parse_stat_cpu_line("cpu").is_err());
    }

    #[test]
    fn cpu_lists_count_ranges_and_singles() {
        assert_eq!(parse_cpu_list("0-3,6\n"), Some(5));
        assert_eq!(parse_cpu_list("0\n"), Some(1));
        assert_eq!(parse_cpu_list("0-1,3"), Some(3));
        assert_eq!(parse_cpu_list("0-127"), Some(128));
        assert_eq!(parse_cpu_list(""), None);
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list("0-"), None);
        assert_eq!(parse_cpu_list("a"), None);
        assert_eq!(parse_cpu_list("0-18446744073709551615"), None);
    }

    #[test]
    fn garbage_never_panics() {
        let stat = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/offline-cpu/proc/stat"
        ))
        .unwrap();
        crate::collect::garbage::for_each_variant(&stat, |text| {
            for line in text.lines() {
                let _ = parse_stat_cpu_line(line);
            }
            let _ = parse_cpu_list(text);
        });
    }

    #[test]
    fn idle_stepping_back_is_clamped_not_reset() {
        let root = std::env::temp_dir();
        let src = Source::open(&root).unwrap();
        let mut cpu = Cpu::new(&src, &Options::default());
        let first = cpu.clamped(None, [10, 0, 5, 1000, 50, 0, 0, 0], 1);
        assert_eq!(first, ([10, 0, 5, 1000, 50, 0, 0, 0], None));
        // iowait 50 → 48 (NO_HZ), user grows.
        let second = cpu.clamped(None, [12, 0, 5, 1001, 48, 0, 0, 0], 2);
        assert_eq!(second.0, [12, 0, 5, 1001, 50, 0, 0, 0]);
        assert_eq!(second.1, Some(first.0), "the previous cycle's ticks");
        let third = cpu.clamped(None, [13, 0, 5, 1002, 51, 0, 0, 0], 3);
        assert_eq!(third.0[4], 51);
        // Δ user 1, idle 1, wait 0 (clamped 50 → 50) in cycle 2: halves.
        let shares = utilization(&first.0, &second.0).unwrap();
        assert_eq!(shares, [2.0 / 3.0, 0.0, 0.0, 1.0 / 3.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn utilization_is_the_share_of_each_state_and_sums_to_one() {
        // spec/metrics.md §9.8: Δ user 300, system 100, idle 500, wait 100 of 1000 ticks;
        // Δ guest (500, inside user) is not a ninth state.
        let before = [1000, 10, 400, 9000, 50, 0, 20, 0];
        let now = [1300, 10, 500, 9500, 150, 0, 20, 0];
        let shares = utilization(&before, &now).unwrap();
        assert_eq!(shares, [0.3, 0.0, 0.1, 0.5, 0.1, 0.0, 0.0, 0.0]);
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(utilization(&now, &now), None, "no tick passed");
    }
}
