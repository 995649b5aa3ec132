//! Swap space per device, and paging and fault counters.
//!
//! Reads: `<root>/proc/swaps` (mm/swapfile.c `swap_show`; sizes in KiB) and the cycle's
//! shared `<root>/proc/vmstat` (proc(5)). Never the live files when `--root-path` is given
//! (upstream reads the host's swap list whatever the root, spec/metrics.md §9.11).
//! Emits (spec/metrics.md §3.7): `system.paging.usage` (UpDownCounter, By, `device`,
//! `state` used/free), `system.paging.utilization` (Gauge, 1, off by default),
//! `system.paging.operations` (Counter, {operations}, `direction` × `type`) and
//! `system.paging.faults` (Counter, {faults}, `type`).
//! Input:
//! ```text
//! Filename                                Type            Size            Used            Priority
//! /dev/zram0                              partition       32764           0               100
//! /var/tmp/my\040swap                     file            16380           0               -2
//! ```
//! The kernel escapes space, tab, newline and backslash of the file name as `\ooo` octal
//! (`seq_file_path(m, file, " \t\n\\")`), so the line splits on whitespace; `device` is the
//! decoded name. Size and Used are KiB. A host without swap has only the header line: it gets
//! `used` and `free` points of 0 without `device` (no swap is a fact), no utilization.
//!
//! vmstat counts are emitted raw, never ×page size (spec D3): `pswpin`/`pswpout` are pages
//! swapped (type major), `pgpgin`/`pgpgout` KiB paged to and from block devices (type minor),
//! as `vmstat -s` prints them. Faults: major = `pgmajfault`, minor = `pgfault − pgmajfault`.
//! All six are `unsigned long` event counters (width word, spec/metrics.md §1.3): they are
//! wrap-extended first, and minor faults are the difference of the extended values.
//!
//! `--hostmetrics-quirks` (spec D12) multiplies all six by 4096 when emitting, as the
//! Collector does (see [`GOPSUTIL_PAGE`]); wraps are extended before, so the Counters still
//! never step back.

use super::counter::{Counters, Width, kernel_word_bits, to_int};
use super::text::{keyed_counters, parse_counter, unescape_octal};
use super::{Collect, CollectError, required_vmstat};
use crate::otlp::Builder;
use crate::report::Once;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::{ReadError, Source};
use std::path::PathBuf;

const KIB: u64 = 1024;

/// What this collector emits (the registry's list), in table order.
pub const METRICS: &[&semconv::Info] = &[
    &semconv::SYSTEM_PAGING_USAGE.info,
    &semconv::SYSTEM_PAGING_UTILIZATION.info,
    &semconv::SYSTEM_PAGING_OPERATIONS.info,
    &semconv::SYSTEM_PAGING_FAULTS.info,
];

/// One device line of `/proc/swaps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapLine<'a> {
    /// The file name as printed, octal escapes not yet decoded.
    pub filename: &'a str,
    /// Size in KiB.
    pub size_kib: u64,
    /// Used in KiB (at most `size_kib`).
    pub used_kib: u64,
}

/// Parses one line of `/proc/swaps`: `Ok(None)` for the header and blank lines.
/// `Filename Type Size Used Priority`; Size and Used must fit an `i64` in bytes.
pub fn parse_swaps_line(line: &str) -> Result<Option<SwapLine<'_>>, String> {
    let mut fields = line.split_ascii_whitespace();
    let Some(filename) = fields.next() else {
        return Ok(None);
    };
    if filename == "Filename" {
        return Ok(None);
    }
    let (Some(_kind), Some(size), Some(used), Some(priority)) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(format!(
            "expected \"Filename Type Size Used Priority\", found \"{line}\""
        ));
    };
    let kib = |field: &str| {
        parse_counter(field)
            .filter(|v| v.checked_mul(KIB).is_some_and(|b| i64::try_from(b).is_ok()))
    };
    let (Some(size_kib), Some(used_kib)) = (kib(size), kib(used)) else {
        return Err(format!(
            "expected Size and Used in KiB, found \"{size}\" and \"{used}\""
        ));
    };
    if priority.parse::<i32>().is_err() {
        return Err(format!(
            "expected an integer Priority, found \"{priority}\""
        ));
    }
    Ok(Some(SwapLine {
        filename,
        size_kib,
        used_kib,
    }))
}

/// The `/proc/vmstat` counters paging uses; `None` when the kernel does not print one.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Vmstat {
    pub pgpgin: Option<u64>,
    pub pgpgout: Option<u64>,
    pub pswpin: Option<u64>,
    pub pswpout: Option<u64>,
    pub pgfault: Option<u64>,
    pub pgmajfault: Option<u64>,
}

/// Parses `/proc/vmstat` (`name value` lines). A malformed line for a key we use leaves that
/// key `None` and is returned as `(line number, text)` of the first such line.
pub fn parse_vmstat(text: &str) -> (Vmstat, Option<(usize, String)>) {
    let ([pgpgin, pgpgout, pswpin, pswpout, pgfault, pgmajfault], bad) = keyed_counters(
        text,
        [
            "pgpgin",
            "pgpgout",
            "pswpin",
            "pswpout",
            "pgfault",
            "pgmajfault",
        ],
    );
    let stat = Vmstat {
        pgpgin,
        pgpgout,
        pswpin,
        pswpout,
        pgfault,
        pgmajfault,
    };
    (stat, bad)
}

/// What gopsutil multiplies every vmstat count by, whatever the page size: v4
/// `mem.SwapMemoryWithContext` (mem/mem_linux.go) sets `Sin`, `Sout`, `PgIn`, `PgOut`,
/// `PgFault` and `PgMajFault` to `value * 4 * 1024` for `pswpin`, `pswpout`, `pgpgin`,
/// `pgpgout`, `pgfault` and `pgmajfault`. The Collector's paging scraper
/// (`recordPagingOperationsDataPoints`, `recordPageFaultsDataPoints`,
/// receiver/hostmetricsreceiver/internal/scraper/pagingscraper/paging_scraper_others.go)
/// emits them as they are, minor faults as `PgFault − PgMajFault`: (pgfault − pgmajfault) × 4096.
pub const GOPSUTIL_PAGE: u64 = 4096;

/// A vmstat count as `--hostmetrics-quirks` emits it: × [`GOPSUTIL_PAGE`], saturating where
/// Go's `uint64` would wrap (a Counter never steps back, spec D12).
pub fn hostmetrics_paging(count: u64) -> u64 {
    count.saturating_mul(GOPSUTIL_PAGE)
}

/// Minor faults: `pgfault − pgmajfault` of wrap-extended values (0 if the kernel's per-CPU
/// sums ever show more major than total faults).
pub fn minor_faults(pgfault: u64, pgmajfault: u64) -> u64 {
    pgfault.saturating_sub(pgmajfault)
}

/// The last emitted minor-fault count and its series start.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct LastMinor {
    value: u64,
    start_unix_nano: u64,
}

impl LastMinor {
    /// This cycle's minor faults: `minor`, held at the previous value of the same series
    /// (same start) while it is below it.
    fn next(last: Option<LastMinor>, minor: u64, start_unix_nano: u64) -> LastMinor {
        let value = match last {
            Some(last) if last.start_unix_nano == start_unix_nano => minor.max(last.value),
            _ => minor,
        };
        LastMinor {
            value,
            start_unix_nano,
        }
    }
}

/// The `paging` collector.
#[derive(Debug)]
pub struct Paging {
    /// `--hostmetrics-quirks`: vmstat counts × 4096.
    quirks: bool,
    swaps: PathBuf,
    buf: String,
    /// Scratch for the decoded device name.
    device: String,
    /// The six vmstat counters as one entity (`vmstat`), so they share one start time.
    counters: Counters,
    /// Minor faults are a difference of two counters summed over CPUs without a lock; a
    /// read may catch `pgmajfault` ahead of `pgfault` by a few. The emitted value is held
    /// at its previous one until it catches up, so the Counter never steps back (§1.3).
    last_minor: Option<LastMinor>,
    swaps_missing_noted: Once,
    vmstat_gaps_noted: Once,
}

impl Paging {
    pub fn new(src: &Source, quirks: bool) -> Self {
        Paging {
            quirks,
            swaps: src.path("proc/swaps"),
            buf: String::new(),
            device: String::new(),
            counters: Counters::new(kernel_word_bits(&src.info().machine)),
            last_minor: None,
            swaps_missing_noted: Once::default(),
            vmstat_gaps_noted: Once::default(),
        }
    }

    /// Emits usage and utilization from one read of `/proc/swaps`.
    fn swap_space(&mut self, src: &Source, out: &mut Builder) -> Result<(), CollectError> {
        let usage_on = out.enabled(&semconv::SYSTEM_PAGING_USAGE);
        let utilization_on = out.enabled(&semconv::SYSTEM_PAGING_UTILIZATION);
        if !usage_on && !utilization_on {
            return Ok(());
        }
        match src.read_into(&self.swaps, &mut self.buf) {
            Ok(()) => {}
            Err(ReadError::NotFound) => {
                // CONFIG_SWAP=n kernels have no /proc/swaps.
                if self.swaps_missing_noted.first() {
                    log::debug!(
                        "{}: not found (kernel without swap support?); no swap usage",
                        self.swaps.display()
                    );
                }
                return Ok(());
            }
            Err(e) => return Err(CollectError::read(&self.swaps, e)),
        }
        let usage = out.open(&semconv::SYSTEM_PAGING_USAGE);
        let utilization = out.open(&semconv::SYSTEM_PAGING_UTILIZATION);
        let mut first_error = None;
        let mut devices = 0usize;
        for (index, line) in self.buf.lines().enumerate() {
            let swap = match parse_swaps_line(line) {
                Ok(Some(swap)) => swap,
                Ok(None) => continue,
                Err(what) => {
                    first_error.get_or_insert_with(|| {
                        CollectError::malformed(&self.swaps, Some(index + 1), what)
                    });
                    continue;
                }
            };
            devices += 1;
            self.device.clear();
            unescape_octal(swap.filename, &mut self.device);
            let used = swap.used_kib.min(swap.size_kib);
            let free = swap.size_kib - used;
            let device = (semconv::DEVICE, self.device.as_str());
            let (used_attrs, free_attrs) = (
                [device, (semconv::STATE, semconv::USED)],
                [device, (semconv::STATE, semconv::FREE)],
            );
            // parse_swaps_line proved both fit an i64 in bytes.
            out.point(usage, &used_attrs, to_int(used.saturating_mul(KIB)));
            out.point(usage, &free_attrs, to_int(free.saturating_mul(KIB)));
            if swap.size_kib > 0 {
                let size = swap.size_kib as f64;
                out.point(utilization, &used_attrs, used as f64 / size);
                out.point(utilization, &free_attrs, free as f64 / size);
            }
        }
        if devices == 0 && first_error.is_none() {
            out.point(usage, &[(semconv::STATE, semconv::USED)], 0);
            out.point(usage, &[(semconv::STATE, semconv::FREE)], 0);
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Emits operations and faults from the shared `/proc/vmstat`.
    fn vmstat(&mut self, src: &Source, tick: &Tick, out: &mut Builder) -> Result<(), CollectError> {
        let operations_on = out.enabled(&semconv::SYSTEM_PAGING_OPERATIONS);
        let faults_on = out.enabled(&semconv::SYSTEM_PAGING_FAULTS);
        if !operations_on && !faults_on {
            return Ok(());
        }
        let (stat, bad_line) = {
            let text = required_vmstat(src)?;
            parse_vmstat(&text)
        };
        let bad = bad_line
            .map(|(line, what)| CollectError::malformed(src.vmstat_path(), Some(line), what));
        let fields = [
            stat.pswpin,
            stat.pswpout,
            stat.pgpgin,
            stat.pgpgout,
            stat.pgfault,
            stat.pgmajfault,
        ];
        if bad.is_none() && fields.iter().any(Option::is_none) && self.vmstat_gaps_noted.first() {
            log::debug!(
                "{}: some of pswpin, pswpout, pgpgin, pgpgout, pgfault, pgmajfault are missing; their points are omitted",
                src.vmstat_path().display()
            );
        }
        // A missing field is tracked as 0 and never emitted.
        let raw = fields.map(|v| (v.unwrap_or(0), Width::Word));
        let ([pswpin, pswpout, pgpgin, pgpgout, pgfault, pgmajfault], start) =
            self.counters.update("vmstat", tick, raw, false);
        self.counters.prune(tick);
        let quirks = self.quirks;
        let emitted = |count: u64| {
            to_int(if quirks {
                hostmetrics_paging(count)
            } else {
                count
            })
        };
        {
            let mut operations = out.metric(&semconv::SYSTEM_PAGING_OPERATIONS);
            for (present, value, direction, kind) in [
                (stat.pswpin, pswpin, semconv::PAGE_IN, semconv::MAJOR),
                (stat.pswpout, pswpout, semconv::PAGE_OUT, semconv::MAJOR),
                (stat.pgpgin, pgpgin, semconv::PAGE_IN, semconv::MINOR),
                (stat.pgpgout, pgpgout, semconv::PAGE_OUT, semconv::MINOR),
            ] {
                if present.is_some() {
                    operations.point_since(
                        start,
                        &[(semconv::DIRECTION, direction), (semconv::TYPE, kind)],
                        emitted(value),
                    );
                }
            }
        }
        {
            let mut faults = out.metric(&semconv::SYSTEM_PAGING_FAULTS);
            if stat.pgmajfault.is_some() {
                faults.point_since(
                    start,
                    &[(semconv::TYPE, semconv::MAJOR)],
                    emitted(pgmajfault),
                );
            }
            if stat.pgfault.is_some() && stat.pgmajfault.is_some() {
                let minor =
                    LastMinor::next(self.last_minor, minor_faults(pgfault, pgmajfault), start);
                self.last_minor = Some(minor);
                faults.point_since(
                    start,
                    &[(semconv::TYPE, semconv::MINOR)],
                    emitted(minor.value),
                );
            }
        }
        bad.map_or(Ok(()), Err)
    }
}

impl Collect for Paging {
    fn collect(
        &mut self,
        src: &Source,
        tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        let swaps = self.swap_space(src, out);
        let vmstat = self.vmstat(src, tick, out);
        swaps.and(vmstat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Linux 6.18 x86_64, captured with a zram device and a swap file named `my swap`.
    const SWAPS: &str = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n\
/dev/zram0                              partition\t32764\t\t0\t\t100\n\
/var/tmp/sysotlp-pp-capture/my\\040swap  file\t\t16380\t\t0\t\t-2\n";

    #[test]
    fn parses_devices_and_skips_the_header() {
        let lines: Vec<_> = SWAPS.lines().map(parse_swaps_line).collect();
        assert_eq!(lines[0], Ok(None));
        assert_eq!(
            lines[1],
            Ok(Some(SwapLine {
                filename: "/dev/zram0",
                size_kib: 32764,
                used_kib: 0
            }))
        );
        assert_eq!(
            lines[2],
            Ok(Some(SwapLine {
                filename: "/var/tmp/sysotlp-pp-capture/my\\040swap",
                size_kib: 16380,
                used_kib: 0
            }))
        );
        // Large sizes lose the tab padding (swap_show prints "\t" only below 10000000).
        assert_eq!(
            parse_swaps_line(
                "/dev/sda2                               partition\t67108860\t12345678\t-2"
            ),
            Ok(Some(SwapLine {
                filename: "/dev/sda2",
                size_kib: 67_108_860,
                used_kib: 12_345_678
            }))
        );
        assert_eq!(parse_swaps_line(""), Ok(None));
    }

    #[test]
    fn malformed_swap_lines_are_errors() {
        assert!(parse_swaps_line("/dev/zram0 partition 32764").is_err());
        assert!(parse_swaps_line("/dev/zram0 partition big 0 100").is_err());
        assert!(parse_swaps_line("/dev/zram0 partition 32764 -1 100").is_err());
        assert!(parse_swaps_line("/dev/zram0 partition 32764 0 high").is_err());
        // Size in bytes above i64::MAX.
        assert!(parse_swaps_line("/dev/zram0 partition 9007199254740992 0 1").is_err());
        assert!(parse_swaps_line("/dev/zram0 partition 9007199254740991 0 1").is_ok());
    }

    // Linux 6.18 x86_64, the lines of /proc/vmstat around the keys used.
    const VMSTAT: &str = "nr_free_pages 5784460\nnr_zone_inactive_anon 0\npgpgin 3718501\n\
pgpgout 2959580\npswpin 0\npswpout 0\npgalloc_dma 0\npgfree 22004123\npgactivate 0\n\
pgfault 15934000\npgmajfault 4201\npgrefill 0\noom_kill 0\n";

    #[test]
    fn parses_the_vmstat_keys_used() {
        let (stat, bad) = parse_vmstat(VMSTAT);
        assert_eq!(bad, None);
        assert_eq!(
            stat,
            Vmstat {
                pgpgin: Some(3_718_501),
                pgpgout: Some(2_959_580),
                pswpin: Some(0),
                pswpout: Some(0),
                pgfault: Some(15_934_000),
                pgmajfault: Some(4201),
            }
        );
        assert_eq!(minor_faults(15_934_000, 4201), 15_929_799);
    }

    #[test]
    fn spec_example_upstream_gets_wrong() {
        // spec/metrics.md §9.1: no ×4096.
        let (stat, _) = parse_vmstat(
            "pgpgin 1000\npgpgout 0\npswpin 7\npswpout 0\npgfault 5000\npgmajfault 12\n",
        );
        assert_eq!(stat.pgpgin, Some(1000), "operations minor page_in");
        assert_eq!(stat.pswpin, Some(7), "operations major page_in");
        assert_eq!(stat.pgmajfault, Some(12), "faults major");
        assert_eq!(minor_faults(5000, 12), 4988, "faults minor");
    }

    #[test]
    fn hostmetrics_quirks_multiply_every_count_by_4096() {
        // spec/metrics.md §9.1 under --hostmetrics-quirks: pgpgin 1000 → 4096000, pswpin 7
        // → 28672, pgmajfault 12 → 49152, minor (5000 − 12) × 4096 = 20430848, which is
        // also 5000 × 4096 − 12 × 4096 (upstream's PgFault − PgMajFault).
        assert_eq!(hostmetrics_paging(1000), 4_096_000);
        assert_eq!(hostmetrics_paging(7), 28_672);
        assert_eq!(hostmetrics_paging(12), 49_152);
        assert_eq!(hostmetrics_paging(minor_faults(5000, 12)), 20_430_848);
        assert_eq!(
            hostmetrics_paging(5000) - hostmetrics_paging(12),
            20_430_848
        );
        assert_eq!(hostmetrics_paging(0), 0);
        // Where Go's uint64 wraps (and int64() goes negative), ours stays at the top.
        assert_eq!(hostmetrics_paging(u64::MAX / 1000), u64::MAX);
    }

    #[test]
    fn a_bad_vmstat_line_spoils_only_its_key() {
        let (stat, bad) = parse_vmstat(
            "pgpgin 10\npgpgout x\npgfault 5 6\npgmajfault 18446744073709551615\npswpin 3\n",
        );
        assert_eq!(stat.pgpgin, Some(10));
        assert_eq!(stat.pgpgout, None);
        assert_eq!(stat.pgfault, None);
        assert_eq!(stat.pgmajfault, None);
        assert_eq!(stat.pswpin, Some(3));
        assert_eq!(
            bad,
            Some((
                2,
                "expected \"pgpgout <counter>\", found \"pgpgout x\"".into()
            ))
        );
        assert_eq!(parse_vmstat("").0, Vmstat::default());
    }

    #[test]
    fn minor_faults_never_go_below_zero() {
        assert_eq!(minor_faults(10, 12), 0);
    }

    #[test]
    fn minor_faults_are_held_while_a_racy_read_steps_back() {
        let first = LastMinor::next(None, 4988, 7);
        assert_eq!(first.value, 4988);
        // pgmajfault read ahead of pgfault: 4987, held at 4988.
        let second = LastMinor::next(Some(first), 4987, 7);
        assert_eq!(second.value, 4988);
        assert_eq!(LastMinor::next(Some(second), 5000, 7).value, 5000);
        // A reset (new start) emits the new value.
        assert_eq!(LastMinor::next(Some(second), 3, 2000).value, 3);
    }

    fn tick(cycle: u64) -> Tick {
        Tick {
            now_unix_nano: cycle * 1000,
            boot_unix_nano: 7,
            cycle,
            previous_unix_nano: (cycle - 1) * 1000,
        }
    }

    #[test]
    fn minor_faults_use_wrap_extended_values_on_32_bit_kernels() {
        // armv7l: pgfault 4294967000 → 1200 wrapped (+1496), pgmajfault 300 → 310.
        let mut counters = Counters::new(kernel_word_bits("armv7l"));
        let raw = |fault, major| [(fault, Width::Word), (major, Width::Word)];
        let ([f0, m0], s0) = counters.update("vmstat", &tick(1), raw(4_294_967_000, 300), false);
        assert_eq!(minor_faults(f0, m0), 4_294_966_700);
        let ([f1, m1], s1) = counters.update("vmstat", &tick(2), raw(1200, 310), false);
        assert_eq!((f1, m1), (4_294_968_496, 310));
        assert_eq!(minor_faults(f1, m1), 4_294_968_186, "+1486, no reset");
        assert_eq!(s0, s1);
    }

    #[test]
    fn garbage_never_panics() {
        crate::collect::garbage::for_each_variant(SWAPS, |text| {
            let mut device = String::new();
            for line in text.lines() {
                if let Ok(Some(swap)) = parse_swaps_line(line) {
                    assert!(swap.size_kib.checked_mul(KIB).is_some());
                    device.clear();
                    unescape_octal(swap.filename, &mut device);
                }
            }
        });
        let vmstat = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/x86_64-vm/proc/vmstat"
        ))
        .unwrap();
        crate::collect::garbage::for_each_variant(&vmstat, |text| {
            let (stat, _) = parse_vmstat(text);
            if let (Some(f), Some(m)) = (stat.pgfault, stat.pgmajfault) {
                assert!(minor_faults(f, m) <= f);
            }
        });
    }
}
