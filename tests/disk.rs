//! The `disk` collector across cycles and on damaged input: devices that vanish and come
//! back, 32-bit millisecond wraps, word-sized sector wraps on a 32-bit kernel, and counters
//! that never go back within a series. Expected values: the fixtures' README files.

use crate::util::agent::{request_for, request_once};
use crate::util::otlp::{self, points};
use crate::util::skip_or_fail;
use crate::util::ticks::run_ticks;
use serde_json::{Value, json};

const DISK: &str = "--collectors=disk";

/// The value and start time of one point; panics when absent.
fn get(request: &Value, name: &str, attrs: &str) -> (Value, String) {
    let point = otlp::get(&points(request), name, attrs).clone();
    (point.value, point.start)
}

fn devices(request: &Value) -> Vec<String> {
    points(request)
        .into_iter()
        .filter(|p| p.name == "system.disk.io_time")
        .map(|p| p.attrs.trim_start_matches("device=").to_string())
        .collect()
}

fn number(value: &Value) -> f64 {
    match value {
        Value::String(s) => s.parse().unwrap(),
        other => other.as_f64().unwrap(),
    }
}

/// Within one series (same start time), no Counter goes back from one cycle to the next.
fn assert_monotonic(requests: &[Value]) {
    for pair in requests.windows(2) {
        let before = points(&pair[0]);
        for p in points(&pair[1]) {
            if p.name == "system.disk.pending_operations" {
                continue;
            }
            let Some(old) = otlp::find(&before, &p.name, &p.attrs) else {
                continue;
            };
            if old.start == p.start {
                assert!(
                    number(&p.value) >= number(&old.value),
                    "{}{{{}}} went back: {} → {}",
                    p.name,
                    p.attrs,
                    old.value,
                    p.value
                );
            }
        }
    }
}

const BOOT_VANISH: &str = "1762041600000000000";
const T1: &str = "1767225660000000000";

#[test]
fn a_disk_that_vanishes_and_returns_starts_a_new_series() {
    // spec/metrics.md §9.5, fixtures/disk-vanish/README.md.
    let r = run_ticks("disk-vanish", &["t0", "t1", "t2"], &[DISK]);
    assert_eq!(devices(&r[0]), ["sda", "sda1", "sda2", "sdb", "sdb1"]);
    assert_eq!(devices(&r[1]), ["sda", "sda1", "sda2"]);
    assert_eq!(devices(&r[2]), ["sda", "sda1", "sda2", "sdb", "sdb1"]);
    assert_eq!(
        get(&r[0], "system.disk.io", "device=sdb,direction=read"),
        (json!("671088640"), BOOT_VANISH.into())
    );
    for (attrs, value) in [
        ("device=sdb,direction=read", "4424704"),
        ("device=sdb,direction=write", "0"),
        ("device=sdb1,direction=read", "3441664"),
    ] {
        assert_eq!(
            get(&r[2], "system.disk.io", attrs),
            (json!(value), T1.into()),
            "{attrs}: back in t2, new start = t1's time"
        );
    }
    assert_eq!(
        get(&r[0], "system.disk.io", "device=sdb1,direction=read").0,
        json!("666894336")
    );
    assert_eq!(
        get(&r[2], "system.disk.io", "device=sda,direction=read"),
        (json!("3133736401920"), BOOT_VANISH.into())
    );
    assert_eq!(
        get(&r[2], "system.disk.io_time", "device=sdb"),
        (json!(0.38), T1.into())
    );
    assert_eq!(
        get(&r[2], "system.disk.pending_operations", "device=sdb").1,
        BOOT_VANISH,
        "not a Counter: host start time"
    );
    assert_monotonic(&r);
}

#[test]
fn io_time_wraps_at_32_bits_on_a_64_bit_kernel() {
    // spec/metrics.md §9.5: c13 4294967000 → 200 is +0.496 s, same start.
    let r = run_ticks("disk-vanish", &["t0", "t1", "t2"], &[DISK]);
    let io_time: Vec<(f64, String)> = r
        .iter()
        .map(|r| get(r, "system.disk.io_time", "device=sda"))
        .map(|(v, start)| (number(&v), start))
        .collect();
    assert_eq!(
        io_time,
        [
            (4294967.0, BOOT_VANISH.into()),
            (4294967.496, BOOT_VANISH.into()),
            (4294969.196, BOOT_VANISH.into()),
        ]
    );
    // Every other sda counter is unchanged by the wrap, and the series did not restart.
    assert_eq!(
        get(&r[1], "system.disk.io", "device=sda,direction=read"),
        (json!("3133723294720"), BOOT_VANISH.into())
    );
    assert_eq!(
        get(&r[1], "system.disk.weighted_io_time", "device=sda").0,
        json!(4149099.558)
    );
    assert_eq!(
        get(&r[1], "system.disk.pending_operations", "device=sda").0,
        json!("1")
    );
    assert_eq!(
        get(&r[1], "system.disk.io_time", "device=sda2").0,
        json!(4100000.496)
    );
    assert_monotonic(&r);
}

#[test]
fn sectors_wrap_at_the_word_size_of_a_32_bit_kernel() {
    // fixtures/disk-armv7/README.md: armv7l, c6 of mmcblk0 4294966946 → 10946.
    let r = run_ticks("disk-armv7", &["t0", "t1"], &[DISK]);
    let boot = "1759300000000000000";
    for (attrs, t0, t1) in [
        (
            "device=mmcblk0,direction=read",
            "2199023076352",
            "2199028859904",
        ),
        (
            "device=mmcblk0p2,direction=read",
            "2199018496000",
            "2199024279552",
        ),
        ("device=mmcblk0p1,direction=read", "4580352", "4580352"),
    ] {
        assert_eq!(
            get(&r[0], "system.disk.io", attrs),
            (json!(t0), boot.into())
        );
        assert_eq!(
            get(&r[1], "system.disk.io", attrs),
            (json!(t1), boot.into()),
            "{attrs}: continues, same start"
        );
    }
    assert_eq!(
        get(
            &r[1],
            "system.disk.operations",
            "device=mmcblk0,direction=read"
        )
        .0,
        json!("98120011")
    );
    assert_eq!(
        devices(&r[0]),
        ["mmcblk0", "mmcblk0p1", "mmcblk0p2"],
        "ram*, loop* idle; zram0 excluded by default"
    );
    assert_monotonic(&r);
}

#[test]
fn the_default_exclude_can_be_emptied() {
    let r = run_ticks(
        "disk-armv7",
        &["t0", "t1"],
        &[DISK, "--disk-exclude", "none"],
    );
    assert_eq!(
        devices(&r[0]),
        ["mmcblk0", "mmcblk0p1", "mmcblk0p2", "zram0"],
        "all-zero ram* and loop* rows are still skipped"
    );
    assert_eq!(
        get(&r[1], "system.disk.io", "device=zram0,direction=write").0,
        json!("168796160")
    );
}

#[test]
fn damaged_lines_skip_their_device_and_are_reported() {
    // fixtures/disk-damaged/README.md.
    let (request, stderr) = request_for("disk-damaged", &[DISK]);
    assert_eq!(devices(&request), ["nvme0n1", "nvme0n1p1", "dm-0"]);
    assert_eq!(
        get(&request, "system.disk.io", "device=dm-0,direction=read").0,
        json!("12431411200")
    );
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains(
            "proc/diskstats line 3: expected a counter in column 12 (I/Os in progress) of \"nvme0n1p2\", found \"18446744073709551615\""
        ),
        "{stderr}"
    );
}

#[test]
fn old_kernel_with_14_columns() {
    // fixtures/disk-linux-4.9/README.md.
    let (request, _) = request_for("disk-linux-4.9", &[DISK]);
    assert_eq!(devices(&request), ["sr0", "sda", "sda1", "sda2", "sda5"]);
    assert_eq!(
        get(&request, "system.disk.io", "device=sda,direction=read"),
        (json!("609133568"), "1767139200000000000".into())
    );
    assert_eq!(
        get(&request, "system.disk.pending_operations", "device=sda").0,
        json!("1")
    );
    assert_eq!(
        get(&request, "system.disk.weighted_io_time", "device=sda").0,
        json!(85.004)
    );
}

/// Bytes read and written per device (c6, c10 × 512) of this machine's `/proc/diskstats`.
fn live_bytes() -> Vec<(String, u64, u64)> {
    std::fs::read_to_string("/proc/diskstats")
        .unwrap()
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let sectors = |i: usize| f[i].parse::<u64>().unwrap() * 512;
            (f[2].to_string(), sectors(5), sectors(9))
        })
        .collect()
}

#[test]
fn live_bytes_lie_between_reads_before_and_after() {
    // Platform smoke run (STYLE.md §4): structure and invariants, no values.
    let before = live_bytes();
    let (request, _) = request_once(&[DISK]);
    let after = live_bytes();
    let mut names: Vec<String> = points(&request).into_iter().map(|p| p.name).collect();
    names.dedup();
    // Non-zero before the run, so non-zero (not an idle row) when the binary read it.
    let expected_devices: Vec<String> = before
        .iter()
        .filter(|(name, r, w)| {
            (*r > 0 || *w > 0)
                && !["loop", "ram", "zram", "fd"].iter().any(|p| {
                    name.strip_prefix(p)
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                })
        })
        .map(|(name, _, _)| name.clone())
        .collect();
    if expected_devices.is_empty() {
        // Some containers: nothing to compare.
        return skip_or_fail("no block device with I/O in /proc/diskstats");
    }
    assert_eq!(
        names,
        [
            "system.disk.io",
            "system.disk.operations",
            "system.disk.io_time",
            "system.disk.operation_time",
            "system.disk.weighted_io_time",
            "system.disk.pending_operations",
            "system.disk.merged",
        ]
    );
    for (device, read_before, write_before) in &before {
        let Some((_, read_after, write_after)) = after.iter().find(|(d, _, _)| d == device) else {
            continue;
        };
        if !expected_devices.contains(device) {
            continue;
        }
        for (direction, low, high) in [
            ("read", read_before, read_after),
            ("write", write_before, write_after),
        ] {
            let (value, _) = get(
                &request,
                "system.disk.io",
                &format!("device={device},direction={direction}"),
            );
            let value = number(&value) as u64;
            assert!(
                *low <= value && value <= *high,
                "{device} {direction}: {low} <= {value} <= {high}"
            );
        }
    }
}
