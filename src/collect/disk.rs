//! Block device I/O: bytes, requests, merges and time, per device.
//!
//! Reads: `<root>/proc/diskstats` (kernel Documentation/admin-guide/iostats.rst, proc(5)).
//! Emits (spec/metrics.md §3.4, table order): `system.disk.io` (By), `system.disk.operations`,
//! `system.disk.io_time` (s), `system.disk.operation_time` (s), `system.disk.weighted_io_time`
//! (s), `system.disk.pending_operations` (UpDownCounter) and `system.disk.merged`; attribute
//! `device`, plus `direction` (read, write) where the table lists it.
//! Input (Linux 6.18, 20 columns; c3 = name):
//! ```text
//!  254       0 vda 75266 9147 7440098 98419 6837 30495 5920816 20322 0 10992 119456 5931 54 991544 709 128 5
//! ```
//! Columns counted on the whole line: c4 reads, c5 reads merged, c6 sectors read, c7 ms
//! reading, c8–c11 the same for writes, c12 requests in flight, c13 ms doing I/O, c14
//! weighted ms. Linux 4.18 appends 4 discard columns (18), 5.5 two flush columns (20); they
//! are not emitted. Fewer than 14 columns (partitions of kernels before 2.6.25 printed 7) is
//! a malformed line: that device is skipped and the line reported, after the other devices'
//! points are written. Rows whose c4–c14 are all zero (never-used loop, ram devices) are
//! skipped, as upstream (gopsutil `IOCounters`). At most `--max-disks` devices (1024) are
//! reported per tick, the first in kernel order ([`Cap`]).
//!
//! A sector is 512 bytes whatever the device's logical block size: the block layer counts
//! in 512-byte units (iostats.rst "sectors"; node_exporter#2310 shows the 8× error of
//! multiplying by a 4Kn block size).
//!
//! Widths (block/genhd.c `diskstats_show`): c4–c6 and c8–c10 are `unsigned long` (the
//! kernel word: they wrap at 2^32 on 32-bit kernels, 2 TiB of sectors), c7, c11, c13 and c14
//! are printed as `unsigned int` milliseconds on every kernel (49.7 days of accumulated
//! time). `Counters` extends them across wraps (spec/metrics.md §1.3); a device absent for a
//! cycle, or whose counters drop for real (replaced disk), starts a new series at the
//! previous cycle's time. c12 is a current value, not a counter: no wrap logic, and its
//! start time is the host's (§1.1: only Counters restart).
//!
//! Own parser, not procfs' `DiskStats`: that one allocates a `String` per line and fails the
//! whole file on one malformed line.

use super::cap::Cap;
use super::counter::{Counters, Width, kernel_word_bits, to_int};
use super::text::parse_counter;
use super::{Collect, CollectError, read_required};
use crate::filter::{Filter, Pattern};
use crate::otlp::{Builder, Open};
use crate::schedule::Tick;
use crate::semconv;
use crate::source::Source;
use std::path::PathBuf;

/// What this collector emits (the registry's list), in table order.
pub const METRICS: &[&semconv::Info] = &[
    &semconv::SYSTEM_DISK_IO.info,
    &semconv::SYSTEM_DISK_OPERATIONS.info,
    &semconv::SYSTEM_DISK_IO_TIME.info,
    &semconv::SYSTEM_DISK_OPERATION_TIME.info,
    &semconv::SYSTEM_DISK_WEIGHTED_IO_TIME.info,
    &semconv::SYSTEM_DISK_PENDING_OPERATIONS.info,
    &semconv::SYSTEM_DISK_MERGED.info,
];

/// Default `--disk-exclude` (spec/metrics.md §6.2): RAM disks, loop devices, floppies.
pub const DEFAULT_EXCLUDE: &str = r"re:^(z?ram|loop|fd)\d+$";

/// Options of the `disk` collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// On the kernel device name (`sda`, `nvme0n1p1`).
    pub filter: Filter,
    /// Devices reported per tick, in kernel order ([`Cap`]).
    pub max_disks: usize,
}

/// Default `--max-disks`: devices reported per tick (up to 12 points each), after the filter.
pub const DEFAULT_MAX_DISKS: usize = 1024;

impl Default for Options {
    fn default() -> Self {
        Options {
            filter: Filter {
                include: Vec::new(),
                exclude: Pattern::parse(DEFAULT_EXCLUDE).into_iter().collect(),
            },
            max_disks: DEFAULT_MAX_DISKS,
        }
    }
}

/// Bytes per diskstats sector, on every device (iostats.rst).
const SECTOR_BYTES: u64 = 512;
/// major, minor, name and the 11 fields of the oldest current format (2.6.25 to 4.17).
const MIN_COLUMNS: usize = 14;
const MS_PER_SECOND: f64 = 1000.0;

// Positions in `DiskLine::counters` (the order of the columns c4–c11, c13, c14).
const READS: usize = 0;
const READS_MERGED: usize = 1;
const SECTORS_READ: usize = 2;
const READ_MS: usize = 3;
const WRITES: usize = 4;
const WRITES_MERGED: usize = 5;
const SECTORS_WRITTEN: usize = 6;
const WRITE_MS: usize = 7;
const IO_MS: usize = 8;
const WEIGHTED_MS: usize = 9;
/// Number of counter fields of a device.
const COUNTERS: usize = 10;

/// The C width of each counter field, in `DiskLine::counters` order.
const WIDTHS: [Width; COUNTERS] = [
    Width::Word,
    Width::Word,
    Width::Word,
    Width::Bits32,
    Width::Word,
    Width::Word,
    Width::Word,
    Width::Bits32,
    Width::Bits32,
    Width::Bits32,
];

/// What each column c4–c14 is, for error messages.
const COLUMN_NAMES: [&str; 11] = [
    "reads completed",
    "reads merged",
    "sectors read",
    "ms reading",
    "writes completed",
    "writes merged",
    "sectors written",
    "ms writing",
    "I/Os in progress",
    "ms doing I/O",
    "weighted ms doing I/O",
];

/// One `/proc/diskstats` line: the columns sysotlp uses, raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskLine<'a> {
    /// c3, the kernel's device name (`sda`, `nvme0n1p1`, `mmcblk0`, `dm-0`).
    pub name: &'a str,
    /// c4–c11, c13, c14 in that order: reads, reads merged, sectors read, ms reading, writes,
    /// writes merged, sectors written, ms writing, ms doing I/O, weighted ms.
    pub counters: [u64; COUNTERS],
    /// c12, requests in flight now.
    pub in_flight: u64,
}

impl DiskLine<'_> {
    /// True when c4–c14 are all zero: a device never used since boot (skipped, as upstream).
    pub fn is_idle(&self) -> bool {
        self.in_flight == 0 && self.counters.iter().all(|c| *c == 0)
    }
}

/// The device name (c3) of a diskstats line, if it has one; used to filter before parsing.
pub fn diskstats_name(line: &str) -> Option<&str> {
    line.split_ascii_whitespace().nth(2)
}

/// Parses one line of `/proc/diskstats`; `Ok(None)` for a blank line. Columns past c14
/// (discard, flush, and any a future kernel adds) are not read. Every value must be a
/// decimal counter of at most `i64::MAX`, and sectors × 512 must fit an `i64` too.
pub fn parse_diskstats_line(line: &str) -> Result<Option<DiskLine<'_>>, String> {
    let mut fields = line.split_ascii_whitespace();
    let (Some(major), Some(minor), Some(name)) = (fields.next(), fields.next(), fields.next())
    else {
        return match line.trim() {
            "" => Ok(None),
            _ => Err(format!(
                "expected at least {MIN_COLUMNS} columns, found {}",
                line.split_ascii_whitespace().count()
            )),
        };
    };
    if major.parse::<u32>().is_err() || minor.parse::<u32>().is_err() {
        return Err(format!(
            "expected major and minor numbers before \"{name}\", found \"{major} {minor}\""
        ));
    }
    let mut values = [0u64; 11];
    let mut found = 0;
    for (slot, field) in values.iter_mut().zip(fields.by_ref()) {
        *slot = parse_counter(field).ok_or_else(|| {
            format!(
                "expected a counter in column {} ({}) of \"{name}\", found \"{field}\"",
                found + 4,
                COLUMN_NAMES[found]
            )
        })?;
        found += 1;
    }
    if found < values.len() {
        return Err(format!(
            "expected at least {MIN_COLUMNS} columns for \"{name}\", found {}",
            found + 3
        ));
    }
    for (column, sectors) in [(6, values[2]), (10, values[6])] {
        if sectors
            .checked_mul(SECTOR_BYTES)
            .and_then(|b| i64::try_from(b).ok())
            .is_none()
        {
            return Err(format!(
                "column {column} of \"{name}\": {sectors} sectors is more bytes than an i64 holds"
            ));
        }
    }
    let [c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14] = values;
    Ok(Some(DiskLine {
        name,
        counters: [c4, c5, c6, c7, c8, c9, c10, c11, c13, c14],
        in_flight: c12,
    }))
}

/// How a `system.disk.*` metric takes its value from a device's columns.
#[derive(Clone, Copy)]
enum Value {
    /// An int Counter: the column times a scale (512 bytes per sector, else 1).
    Count(&'static semconv::Metric<i64>, u64),
    /// A double Counter of seconds from a millisecond column.
    Seconds(&'static semconv::Metric<f64>),
    /// `pending_operations`: c12, a current value whose start is the host's.
    InFlight(&'static semconv::Metric<i64>),
}

/// Which columns a metric reads: one per direction (read, write), or one for the device.
#[derive(Clone, Copy)]
enum Columns {
    ReadWrite(usize, usize),
    Device(usize),
}

/// `system.disk.*` in table order (spec/metrics.md §3.4).
const TABLE: [(Value, Columns); 7] = [
    (
        Value::Count(&semconv::SYSTEM_DISK_IO, SECTOR_BYTES),
        Columns::ReadWrite(SECTORS_READ, SECTORS_WRITTEN),
    ),
    (
        Value::Count(&semconv::SYSTEM_DISK_OPERATIONS, 1),
        Columns::ReadWrite(READS, WRITES),
    ),
    (
        Value::Seconds(&semconv::SYSTEM_DISK_IO_TIME),
        Columns::Device(IO_MS),
    ),
    (
        Value::Seconds(&semconv::SYSTEM_DISK_OPERATION_TIME),
        Columns::ReadWrite(READ_MS, WRITE_MS),
    ),
    (
        Value::Seconds(&semconv::SYSTEM_DISK_WEIGHTED_IO_TIME),
        Columns::Device(WEIGHTED_MS),
    ),
    (
        Value::InFlight(&semconv::SYSTEM_DISK_PENDING_OPERATIONS),
        Columns::Device(0),
    ),
    (
        Value::Count(&semconv::SYSTEM_DISK_MERGED, 1),
        Columns::ReadWrite(READS_MERGED, WRITES_MERGED),
    ),
];

/// A `TABLE` metric opened for this tick.
#[derive(Clone, Copy)]
enum Handle {
    Count(Open<i64>, u64),
    Seconds(Open<f64>),
    InFlight(Open<i64>),
}

/// One device's values of this cycle.
struct Device<'a> {
    name: &'a str,
    /// Wrap-extended counters, in `DiskLine::counters` order.
    counters: [u64; COUNTERS],
    in_flight: u64,
    start_unix_nano: u64,
}

impl Handle {
    fn open(value: Value, out: &mut Builder) -> Handle {
        match value {
            Value::Count(metric, scale) => Handle::Count(out.open(metric), scale),
            Value::Seconds(metric) => Handle::Seconds(out.open(metric)),
            Value::InFlight(metric) => Handle::InFlight(out.open(metric)),
        }
    }

    /// One point of `device` from `column`, with a `direction` when the metric has one.
    fn point(self, out: &mut Builder, device: &Device, direction: Option<&str>, column: usize) {
        let with_direction = [
            (semconv::DEVICE, device.name),
            (semconv::DIRECTION, direction.unwrap_or_default()),
        ];
        let attributes = match direction {
            Some(_) => &with_direction[..],
            None => &with_direction[..1],
        };
        let counter = device.counters.get(column).copied().unwrap_or(0);
        let start = device.start_unix_nano;
        match self {
            Handle::Count(metric, scale) => out.point_since(
                metric,
                start,
                attributes,
                to_int(counter.saturating_mul(scale)),
            ),
            Handle::Seconds(metric) => {
                out.point_since(metric, start, attributes, counter as f64 / MS_PER_SECOND)
            }
            Handle::InFlight(metric) => out.point(metric, attributes, to_int(device.in_flight)),
        }
    }
}

/// The `disk` collector. State: per device, the last raw counters, wrap offsets and series
/// start (`Counters`, dropped 3 cycles after a device disappears); the rest is buffers
/// reused every cycle.
#[derive(Debug)]
pub struct Disk {
    path: PathBuf,
    filter: Filter,
    cap: Cap,
    buf: String,
    counters: Counters,
}

impl Disk {
    pub fn new(src: &Source, options: &Options) -> Self {
        Disk {
            path: src.path("proc/diskstats"),
            filter: options.filter.clone(),
            cap: Cap::new(options.max_disks, "disks", "--max-disks"),
            buf: String::new(),
            counters: Counters::new(kernel_word_bits(&src.info().machine)),
        }
    }

    /// Emits every device of this cycle's file as its line is parsed, metrics in table
    /// order; returns the first bad line, if any.
    fn emit(&mut self, tick: &Tick, out: &mut Builder) -> Option<CollectError> {
        let handles = TABLE.map(|(value, _)| Handle::open(value, out));
        let mut first_error = None;
        self.cap.begin();
        for (index, line) in self.buf.lines().enumerate() {
            if diskstats_name(line).is_some_and(|name| !self.filter.allows(name)) {
                continue;
            }
            let disk = match parse_diskstats_line(line) {
                Ok(Some(disk)) if !disk.is_idle() && self.cap.admit() => disk,
                Ok(_) => continue,
                Err(what) => {
                    first_error.get_or_insert_with(|| {
                        CollectError::malformed(&self.path, Some(index + 1), what)
                    });
                    continue;
                }
            };
            if self.counters.seen(disk.name, tick) {
                first_error.get_or_insert_with(|| {
                    CollectError::malformed(
                        &self.path,
                        Some(index + 1),
                        format!("device \"{}\" appears twice", disk.name),
                    )
                });
                continue;
            }
            let mut raw = [(0, Width::Bits64); COUNTERS];
            for ((slot, value), width) in raw.iter_mut().zip(disk.counters).zip(WIDTHS) {
                *slot = (value, width);
            }
            let (counters, start_unix_nano) = self.counters.update(disk.name, tick, raw, false);
            let device = Device {
                name: disk.name,
                counters,
                in_flight: disk.in_flight,
                start_unix_nano,
            };
            for ((_, columns), handle) in TABLE.iter().zip(handles) {
                match *columns {
                    Columns::ReadWrite(read, write) => {
                        handle.point(out, &device, Some(semconv::READ), read);
                        handle.point(out, &device, Some(semconv::WRITE), write);
                    }
                    Columns::Device(column) => handle.point(out, &device, None, column),
                }
            }
        }
        self.counters.prune(tick);
        self.cap.end("disk");
        first_error
    }
}

impl Collect for Disk {
    fn collect(
        &mut self,
        src: &Source,
        tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        read_required(src, &self.path, &mut self.buf)?;
        self.emit(tick, out).map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_20_column_format() {
        // Linux 6.18 x86_64 (this machine): discard and flush columns present, not used.
        let line = " 254       0 vda 75266 9147 7440098 98419 6837 30495 5920816 20322 0 10992 119456 5931 54 991544 709 128 5";
        let disk = parse_diskstats_line(line).unwrap().unwrap();
        assert_eq!(disk.name, "vda");
        assert_eq!(
            disk.counters,
            [
                75266, 9147, 7440098, 98419, 6837, 30495, 5920816, 20322, 10992, 119456
            ]
        );
        assert_eq!(disk.in_flight, 0);
        assert!(!disk.is_idle());
    }

    #[test]
    fn parses_the_18_column_format() {
        // Linux 4.19 (discard columns 15–18, no flush yet).
        let line =
            "   8       0 sda 1250 40 90210 3112 860 1203 51824 9001 2 4120 12113 17 0 4096 20";
        let disk = parse_diskstats_line(line).unwrap().unwrap();
        assert_eq!(disk.name, "sda");
        assert_eq!(
            disk.counters,
            [1250, 40, 90210, 3112, 860, 1203, 51824, 9001, 4120, 12113]
        );
        assert_eq!(disk.in_flight, 2);
    }

    #[test]
    fn parses_the_14_column_format() {
        // Linux 4.9: the 11 fields of iostats.rst and nothing after.
        let line = "   8       1 sda1 402 0 9614 280 3 0 18 4 0 276 284";
        let disk = parse_diskstats_line(line).unwrap().unwrap();
        assert_eq!(disk.name, "sda1");
        assert_eq!(disk.counters, [402, 0, 9614, 280, 3, 0, 18, 4, 276, 284]);
        assert_eq!(disk.in_flight, 0);
    }

    #[test]
    fn all_zero_rows_are_idle() {
        let line = "   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0";
        assert!(parse_diskstats_line(line).unwrap().unwrap().is_idle());
        // A request in flight on a device with no completion yet is not idle.
        let busy = "   8      16 sdb 0 0 0 0 0 0 0 0 1 4 0";
        assert!(!parse_diskstats_line(busy).unwrap().unwrap().is_idle());
    }

    #[test]
    fn short_lines_are_errors() {
        // Kernels before 2.6.25 printed partitions with 4 fields.
        assert_eq!(
            parse_diskstats_line("   8    1 sda1 395 9586 3 24"),
            Err("expected at least 14 columns for \"sda1\", found 7".to_string())
        );
        // A line cut after 13 columns.
        assert!(parse_diskstats_line("8 0 sda 1 2 3 4 5 6 7 8 9 10").is_err());
        assert_eq!(
            parse_diskstats_line("   8    0"),
            Err("expected at least 14 columns, found 2".to_string())
        );
        assert_eq!(parse_diskstats_line(""), Ok(None));
        assert_eq!(parse_diskstats_line("   \t "), Ok(None));
    }

    #[test]
    fn garbled_fields_are_errors() {
        assert_eq!(
            parse_diskstats_line("8 0 sda 1 2 x 4 5 6 7 8 9 10 11"),
            Err(
                "expected a counter in column 6 (sectors read) of \"sda\", found \"x\"".to_string()
            )
        );
        assert!(parse_diskstats_line("x 0 sda 1 2 3 4 5 6 7 8 9 10 11").is_err());
        assert!(parse_diskstats_line("8 0 sda 1 2 3 4 5 6 7 8 -1 10 11").is_err());
    }

    #[test]
    fn values_above_i64_max_are_errors() {
        // spec/metrics.md §7: a transient 2^64−1 is malformed, not a huge count.
        assert!(parse_diskstats_line("8 0 sda 18446744073709551615 0 0 0 0 0 0 0 0 0 0").is_err());
        assert!(parse_diskstats_line("8 0 sda 9223372036854775808 0 0 0 0 0 0 0 0 0 0").is_err());
        let max = parse_diskstats_line("8 0 sda 9223372036854775807 0 0 0 0 0 0 0 0 0 0")
            .unwrap()
            .unwrap();
        assert_eq!(max.counters[READS], i64::MAX as u64);
        // Sectors fit an i64 but their bytes do not.
        assert_eq!(
            parse_diskstats_line("8 0 sda 1 0 18014398509481984 0 0 0 0 0 0 0 0"),
            Err(
                "column 6 of \"sda\": 18014398509481984 sectors is more bytes than an i64 holds"
                    .to_string()
            )
        );
        assert!(
            parse_diskstats_line("8 0 sda 1 0 18014398509481983 0 0 0 0 0 0 0 0")
                .unwrap()
                .is_some()
        );
    }

    use crate::filter::Pattern;
    use crate::otlp::{any_value, metric, number_data_point};

    fn tick(cycle: u64) -> Tick {
        Tick {
            now_unix_nano: cycle * 1000,
            boot_unix_nano: 7,
            cycle,
            previous_unix_nano: (cycle - 1) * 1000,
        }
    }

    fn collector(machine_word_bits: u32, exclude: &[&str]) -> Disk {
        Disk {
            path: PathBuf::from("/proc/diskstats"),
            filter: Filter {
                include: Vec::new(),
                exclude: exclude.iter().map(|p| Pattern::parse(p).unwrap()).collect(),
            },
            cap: Cap::new(DEFAULT_MAX_DISKS, "disks", "--max-disks"),
            buf: String::new(),
            counters: Counters::new(machine_word_bits),
        }
    }

    /// One cycle over `text`: the first error, and "metric device[/direction] value start".
    fn cycle(disk: &mut Disk, text: &str, tick: &Tick) -> (Option<CollectError>, Vec<String>) {
        disk.buf.clear();
        disk.buf.push_str(text);
        let mut out = Builder::new(&[]);
        out.begin(tick.now_unix_nano, tick.boot_unix_nano);
        let error = disk.emit(tick, &mut out);
        out.finish();
        let mut points = Vec::new();
        for m in out.metrics() {
            let data = match &m.data {
                Some(metric::Data::Sum(sum)) => &sum.data_points,
                _ => panic!("{} is not a sum", m.name),
            };
            for p in data {
                let attrs: Vec<String> = p
                    .attributes
                    .iter()
                    .map(
                        |kv| match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                            Some(any_value::Value::StringValue(s)) => s.clone(),
                            other => panic!("{other:?}"),
                        },
                    )
                    .collect();
                let value = match p.value {
                    Some(number_data_point::Value::AsInt(v)) => v.to_string(),
                    Some(number_data_point::Value::AsDouble(v)) => v.to_string(),
                    None => panic!("no value"),
                };
                points.push(format!(
                    "{} {} {value} {}",
                    m.name,
                    attrs.join("/"),
                    p.start_time_unix_nano
                ));
            }
        }
        (error, points)
    }

    const SDA: &str = "   8       0 sda 10 1 80 7 20 2 160 9 3 1000 16 0 0 0 0 0 0\n";

    #[test]
    fn one_device_gives_every_metric_in_table_order() {
        let mut disk = collector(64, &[]);
        let (error, points) = cycle(&mut disk, SDA, &tick(1));
        assert_eq!(error, None);
        assert_eq!(
            points,
            [
                "system.disk.io sda/read 40960 7",
                "system.disk.io sda/write 81920 7",
                "system.disk.operations sda/read 10 7",
                "system.disk.operations sda/write 20 7",
                "system.disk.io_time sda 1 7",
                "system.disk.operation_time sda/read 0.007 7",
                "system.disk.operation_time sda/write 0.009 7",
                "system.disk.weighted_io_time sda 0.016 7",
                "system.disk.pending_operations sda 3 7",
                "system.disk.merged sda/read 1 7",
                "system.disk.merged sda/write 2 7",
            ]
        );
    }

    #[test]
    fn a_bad_line_skips_that_device_only() {
        let mut disk = collector(64, &[]);
        let text = format!(
            "{SDA}   8       1 sda1 1 2 x 4 5 6 7 8 9 10 11\n   8       2 sda2 1 2\n{}",
            SDA.replace("sda", "sdb")
        );
        let (error, points) = cycle(&mut disk, &text, &tick(1));
        let error = error.unwrap();
        assert_eq!(error.line, Some(2), "the first bad line is reported");
        assert_eq!(
            error.to_string(),
            "/proc/diskstats line 2: expected a counter in column 6 (sectors read) of \"sda1\", found \"x\""
        );
        let devices: Vec<&str> = points
            .iter()
            .filter(|p| p.starts_with("system.disk.io_time "))
            .map(|p| p.split(' ').nth(1).unwrap())
            .collect();
        assert_eq!(devices, ["sda", "sdb"]);
    }

    #[test]
    fn a_repeated_device_is_reported_and_emitted_once() {
        let mut disk = collector(64, &[]);
        let (error, points) = cycle(&mut disk, &format!("{SDA}{SDA}"), &tick(1));
        assert_eq!(
            error.unwrap().to_string(),
            "/proc/diskstats line 2: device \"sda\" appears twice"
        );
        assert_eq!(points.len(), 11);
    }

    #[test]
    fn excluded_devices_are_neither_read_nor_reported() {
        let mut disk = collector(64, &[r"re:^(z?ram|loop|fd)\d+$"]);
        let text = format!(
            "{SDA} 254       0 zram0 20112 0 160896 44 41210 0 329680 560 0 1320 604\n   7       0 loop0 1 2 x\n"
        );
        let (error, points) = cycle(&mut disk, &text, &tick(1));
        assert_eq!(error, None);
        assert!(points.iter().all(|p| p.contains(" sda")), "{points:?}");
    }

    #[test]
    fn pending_operations_keep_the_host_start_on_a_reset() {
        let mut disk = collector(64, &[]);
        cycle(&mut disk, SDA, &tick(1));
        // All counters drop far below: the disk was replaced; counters restart at t1's time.
        let replaced = "   8       0 sda 1 0 8 1 2 0 16 1 1 10 2\n";
        let (_, points) = cycle(&mut disk, replaced, &tick(2));
        assert!(points.contains(&"system.disk.io sda/read 4096 1000".to_string()));
        assert!(points.contains(&"system.disk.pending_operations sda 1 7".to_string()));
    }

    #[test]
    fn garbage_never_panics_across_cycles() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/disk-armv7/t0/proc/diskstats"
        ))
        .unwrap();
        for word_bits in [32, 64] {
            let mut disk = collector(word_bits, &[]);
            let mut n = 0;
            crate::collect::garbage::for_each_variant(&text, |variant| {
                n += 1;
                let _ = cycle(&mut disk, variant, &tick(n));
            });
        }
    }

    #[test]
    fn garbage_never_panics() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/disk-x86/proc/diskstats"
        ))
        .unwrap();
        crate::collect::garbage::for_each_variant(&text, |text| {
            for line in text.lines() {
                let _ = diskstats_name(line);
                if let Ok(Some(disk)) = parse_diskstats_line(line) {
                    let _ = disk.is_idle();
                }
            }
        });
    }
}
