//! Pressure stall information: how long tasks waited for CPU, memory, I/O and IRQ time.
//!
//! Reads: `<root>/proc/pressure/{cpu,memory,io,irq}` (Documentation/accounting/psi.rst),
//! the host's whatever the namespace: PSI files are not namespaced.
//! Emits (spec/metrics.md §5.3): `system.linux.pressure.time` (Counter, s, double), one point
//! per line present: `system.linux.pressure.resource` ∈ {cpu, memory, io, irq},
//! `system.linux.pressure.stall_type` ∈ {some, full}; `total=` µs ÷ 10⁶. No averages: a rate
//! of the total gives any window.
//! Input (`memory`; `cpu` has a `full` line since 5.13, all zeros system-wide; `irq`, ≥ 6.1
//! with CONFIG_IRQ_TIME_ACCOUNTING, has only the `full` line):
//! ```text
//! some avg10=0.00 avg60=0.12 avg300=0.05 total=14245571
//! full avg10=0.00 avg60=0.00 avg300=0.01 total=9994879
//! ```
//!
//! A file that is absent (kernel < 4.20, CONFIG_PSI=n, or irq without IRQ time accounting)
//! or that fails with EOPNOTSUPP (booted with `psi=0`: kernels before 5.13 create the files
//! anyway and refuse the read, psi.c `psi_show`) gives no points and one DEBUG line per
//! process. Totals are u64 µs that only grow; a smaller one is a reset (§1.3).

use super::counter::{Counters, Width};
use super::text::parse_counter;
use super::{Collect, CollectError};
use crate::otlp::Builder;
use crate::report::Once;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::{ReadError, Source};
use std::path::PathBuf;

/// What this collector emits (the registry's list).
pub const METRICS: &[&semconv::Info] = &[&semconv::SYSTEM_LINUX_PRESSURE_TIME.info];

/// Counter keys per resource (in [`semconv::PRESSURE_RESOURCES`] order): `some`, `full`.
const KEYS: [[&str; 2]; 4] = [
    ["cpu some", "cpu full"],
    ["memory some", "memory full"],
    ["io some", "io full"],
    ["irq some", "irq full"],
];

/// One line of a pressure file: its stall type (`some`, `full`) and `total=` in µs.
/// `Ok(None)` for a line of another kind (none exists today; a future one is ignored).
pub fn parse_pressure_line(line: &str) -> Result<Option<(&'static str, u64)>, String> {
    let mut fields = line.split_ascii_whitespace();
    let kind = match fields.next() {
        Some("some") => semconv::PRESSURE_SOME,
        Some("full") => semconv::PRESSURE_FULL,
        _ => return Ok(None),
    };
    fields
        .find_map(|f| f.strip_prefix("total="))
        .and_then(parse_counter)
        .map(|total| Some((kind, total)))
        .ok_or_else(|| format!("expected \"{kind} … total=<µs>\", found \"{line}\""))
}

/// True when a read error means "this kernel has no such pressure file".
pub fn is_absent(error: ReadError) -> bool {
    match error {
        ReadError::NotFound => true,
        ReadError::Io(_, Some(errno)) => errno == rustix::io::Errno::OPNOTSUPP.raw_os_error(),
        _ => false,
    }
}

/// The `pressure` collector.
#[derive(Debug)]
pub struct Pressure {
    /// `<root>/proc/pressure/<resource>`, in [`semconv::PRESSURE_RESOURCES`] order.
    files: [PathBuf; 4],
    absent: [Once; 4],
    buf: String,
    counters: Counters,
}

impl Pressure {
    pub fn new(src: &Source) -> Self {
        Pressure {
            files: semconv::PRESSURE_RESOURCES.map(|r| src.path("proc/pressure").join(r)),
            absent: Default::default(),
            buf: String::new(),
            // Every field is a u64 (psi_group.total[]): no wrap below 64 bits.
            counters: Counters::new(64),
        }
    }
}

impl Collect for Pressure {
    fn collect(
        &mut self,
        src: &Source,
        tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        if !out.enabled(&semconv::SYSTEM_LINUX_PRESSURE_TIME) {
            return Ok(());
        }
        // Opened with its first point: a metric opened and left empty moves the builder's
        // slots about every tick, which costs allocations (otlp::Builder::finish).
        let mut metric = None;
        let mut first_error = None;
        for (index, resource) in semconv::PRESSURE_RESOURCES.iter().enumerate() {
            let (path, keys) = (&self.files[index], KEYS[index]);
            match src.read_into(path, &mut self.buf) {
                Ok(()) => {}
                Err(e) if is_absent(e) => {
                    if self.absent[index].first() {
                        log::debug!(
                            "pressure: {}: {e}; no {resource} pressure on this kernel \
                             (< 4.20, CONFIG_PSI=n or psi=0; irq: < 6.1 or no IRQ time accounting)",
                            path.display()
                        );
                    }
                    continue;
                }
                Err(e) => {
                    first_error.get_or_insert_with(|| CollectError::read(path, e));
                    continue;
                }
            }
            for (number, line) in self.buf.lines().enumerate() {
                let (kind, total) = match parse_pressure_line(line) {
                    Ok(Some(parsed)) => parsed,
                    Ok(None) => continue,
                    Err(what) => {
                        first_error.get_or_insert_with(|| {
                            CollectError::malformed(path, Some(number + 1), what)
                        });
                        continue;
                    }
                };
                let key = if kind == semconv::PRESSURE_SOME {
                    keys[0]
                } else {
                    keys[1]
                };
                if self.counters.seen(key, tick) {
                    first_error.get_or_insert_with(|| {
                        CollectError::malformed(
                            path,
                            Some(number + 1),
                            format!("a second \"{kind}\" line"),
                        )
                    });
                    continue;
                }
                let ([micros], start) =
                    self.counters
                        .update(key, tick, [(total, Width::Bits64)], false);
                let metric =
                    *metric.get_or_insert_with(|| out.open(&semconv::SYSTEM_LINUX_PRESSURE_TIME));
                out.point_since(
                    metric,
                    start,
                    &[
                        (semconv::PRESSURE_RESOURCE, resource),
                        (semconv::PRESSURE_STALL_TYPE, kind),
                    ],
                    micros as f64 / 1e6,
                );
            }
        }
        self.counters.prune(tick);
        first_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn lines_give_their_kind_and_total() {
        // Linux 6.18 x86_64 (this project's VM), /proc/pressure/io.
        assert_eq!(
            parse_pressure_line("some avg10=0.03 avg60=0.14 avg300=0.28 total=10958160"),
            Ok(Some(("some", 10_958_160)))
        );
        assert_eq!(
            parse_pressure_line("full avg10=0.01 avg60=0.09 avg300=0.21 total=8619407"),
            Ok(Some(("full", 8_619_407)))
        );
        assert_eq!(parse_pressure_line(""), Ok(None));
        assert_eq!(parse_pressure_line("other total=5"), Ok(None));
    }

    #[test]
    fn a_line_without_a_usable_total_is_malformed() {
        for line in [
            "some avg10=0.03 avg60=0.14 avg300=0.28",
            "some avg10=0.03 total=",
            "full total=-1",
            "full total=18446744073709551615",
            "some total=12x",
        ] {
            assert!(parse_pressure_line(line).is_err(), "{line}");
        }
    }

    #[test]
    fn absent_files_and_eopnotsupp_are_absent_other_errors_are_not() {
        let from = |errno: i32| ReadError::from(io::Error::from_raw_os_error(errno));
        assert!(is_absent(ReadError::NotFound));
        assert!(is_absent(from(rustix::io::Errno::OPNOTSUPP.raw_os_error())));
        assert!(!is_absent(ReadError::Denied));
        assert!(!is_absent(from(rustix::io::Errno::IO.raw_os_error())));
        assert!(!is_absent(ReadError::NotText));
    }

    #[test]
    fn garbage_never_panics() {
        crate::collect::garbage::for_each_variant(
            "some avg10=0.47 avg60=0.39 avg300=0.44 total=14245571\n",
            |text| {
                for line in text.lines() {
                    let _ = parse_pressure_line(line);
                }
            },
        );
    }
}
