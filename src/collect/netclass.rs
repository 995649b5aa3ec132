//! Link state of the network interfaces: up or down, negotiated speed, carrier flaps.
//!
//! Reads: the entries of `<root>/sys/class/net/` (sysfs shows the network namespace of
//! whoever mounted it), after the `--network-include/-exclude` filter of the `network`
//! collector (default exclude `re:^veth`), then per interface (Documentation/ABI/testing/
//! sysfs-class-net): `operstate` (RFC 2863 states: `up`, `down`, `dormant`, `unknown`, …),
//! `carrier` (only when `operstate` is `unknown`; EINVAL while the interface is down),
//! `speed` (Mbit/s; EINVAL when down or for drivers without link settings), `ifindex`,
//! `carrier_changes` (carrier up + down events since the device was created, a 32-bit sum).
//! Emits (spec/metrics.md §5.5), in table order, interfaces sorted by name:
//! `hw.network.up` (UpDownCounter, 1: 1 if `operstate` is `up`, or `unknown` with
//! `carrier` 1 as for `lo` and `tun`; else 0), `hw.network.bandwidth.limit` (UpDownCounter,
//! By/s: `speed` × 125000; omitted for the "unknown" sentinels −1, 65535 and 4294967295 and
//! when unreadable), both with `hw.id` = `hw.name` = the interface, and
//! `system.network.linux.carrier_changes` (Counter, {change}, `network.interface.name`).
//! Input: `up`, `1`, `1000`, `2`, `7` (one value per file).
//!
//! The directory is listed with `getdents64` into a buffer kept between cycles (as the
//! `processes` collector does): `std::fs::read_dir` allocates a name per entry. A file that
//! cannot be read skips that point this cycle, at debug level (spec §7: sysfs sensor
//! errors), and an entry without `operstate` (`bonding_masters`, an interface gone since the
//! listing) is no interface. carrier_changes go through [`Counters`] (§1.3): a decrease is a
//! reset, and so is a new `ifindex` under the same name (the device was re-created).

use super::counter::{Counters, Width, kernel_word_bits, to_int};
use super::text::parse_counter;
use super::{Collect, CollectError};
use crate::filter::Filter;
use crate::otlp::Builder;
use crate::report::Once;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::{ReadError, Source};
use rustix::fs::{Mode, OFlags, RawDir};
use std::io;
use std::path::{Path, PathBuf};

/// What this collector emits (the registry's list), in table order.
pub const METRICS: &[&semconv::Info] = &[
    &semconv::HW_NETWORK_UP.info,
    &semconv::HW_NETWORK_BANDWIDTH_LIMIT.info,
    &semconv::SYSTEM_NETWORK_LINUX_CARRIER_CHANGES.info,
];

/// Bytes of `getdents64` buffer: ~200 interface entries per call.
const DIRENT_BUFFER: usize = 8192;
/// Interface state not refreshed for this many cycles is dropped (§1.3, veth churn).
const STALE_CYCLES: u64 = 3;
/// Bytes per second in one Mbit/s.
const BYTES_PER_MBIT: u64 = 125_000;

/// The value of `hw.network.up` from `operstate` and, for `unknown`, `carrier`.
pub fn link_up(operstate: &str, carrier: Option<&str>) -> i64 {
    match operstate.trim_end() {
        "up" => 1,
        "unknown" if carrier.map(str::trim_end) == Some("1") => 1,
        _ => 0,
    }
}

/// The link speed in Mbit/s from `speed`; `None` for the sentinels drivers and kernels
/// print for "unknown": −1 (SPEED_UNKNOWN printed `%d`), 4294967295 (the same printed
/// unsigned by older kernels) and 65535 (the 16-bit SPEED_UNKNOWN of old drivers).
pub fn parse_speed(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim_end();
    match text.parse::<i64>() {
        Ok(-1 | 65535 | 4_294_967_295) => Ok(None),
        Ok(mbit) if mbit >= 0 => Ok(Some(mbit.unsigned_abs())),
        _ => Err(format!("expected a speed in Mbit/s, found \"{text}\"")),
    }
}

/// What is kept of an interface between cycles (its counter lives in `Counters`).
#[derive(Debug)]
struct Link {
    name: String,
    /// Last `ifindex` read; a different one means a new device under the same name.
    ifindex: Option<u64>,
    seen_cycle: u64,
    /// This cycle's values: `hw.network.up`, `hw.network.bandwidth.limit`, and
    /// carrier_changes with its start time.
    up: Option<i64>,
    bandwidth: Option<i64>,
    changes: Option<(i64, u64)>,
}

/// The `netclass` collector.
#[derive(Debug)]
pub struct Netclass {
    filter: Filter,
    /// `<root>/sys/class/net`.
    dir: PathBuf,
    /// `<dir>/<interface>/<attribute>`, rebuilt in place.
    path: PathBuf,
    dirents: Vec<u8>,
    /// `operstate`, `carrier`, `speed`.
    buf: String,
    /// `ifindex`, `carrier_changes`.
    small: String,
    links: Vec<Link>,
    counters: Counters,
    absent: Once,
}

impl Netclass {
    /// `filter` is the `network` collector's interface filter (one set of flags).
    pub fn new(src: &Source, filter: &Filter) -> Self {
        Netclass {
            filter: filter.clone(),
            dir: src.path("sys/class/net"),
            path: PathBuf::new(),
            dirents: Vec::with_capacity(DIRENT_BUFFER),
            buf: String::new(),
            small: String::new(),
            links: Vec::new(),
            counters: Counters::new(kernel_word_bits(&src.info().machine)),
            absent: Once::default(),
        }
    }

    /// Marks this cycle's interfaces (after the filter) in `links`; false when the
    /// directory does not exist.
    fn list(&mut self, tick: &Tick) -> Result<bool, CollectError> {
        let dir_error = |e: rustix::io::Errno| {
            CollectError::read(&self.dir, ReadError::from(io::Error::from(e)))
        };
        let fd = match rustix::fs::open(
            &self.dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT) => return Ok(false),
            Err(e) => return Err(dir_error(e)),
        };
        let mut entries = RawDir::new(&fd, self.dirents.spare_capacity_mut());
        while let Some(entry) = entries.next() {
            let entry = entry.map_err(dir_error)?;
            let Ok(name) = entry.file_name().to_str() else {
                continue;
            };
            if name == "." || name == ".." || !self.filter.allows(name) {
                continue;
            }
            match self.links.iter_mut().find(|l| l.name == name) {
                Some(link) => link.seen_cycle = tick.cycle,
                None => self.links.push(Link {
                    name: name.to_string(),
                    ifindex: None,
                    seen_cycle: tick.cycle,
                    up: None,
                    bandwidth: None,
                    changes: None,
                }),
            }
        }
        Ok(true)
    }
    /// Reads this cycle's attributes of every listed interface into its `Link`; returns the
    /// first malformed value.
    fn read_links(&mut self, src: &Source, tick: &Tick) -> Option<CollectError> {
        let Netclass {
            dir,
            path,
            buf,
            small,
            links,
            counters,
            ..
        } = self;
        let mut first_error = None;
        for link in links.iter_mut().filter(|l| l.seen_cycle == tick.cycle) {
            let name = link.name.as_str();
            (link.up, link.bandwidth, link.changes) = (None, None, None);
            let mut read = |attribute: &str, buf: &mut String| {
                read_attribute(src, path, dir, name, attribute, buf).is_ok()
            };
            // Not an interface (bonding_masters), or gone since the listing.
            if !read("operstate", buf) {
                continue;
            }
            link.up = Some(if buf.trim_end() != "unknown" {
                link_up(buf, None)
            } else if read("carrier", buf) {
                link_up("unknown", Some(buf))
            } else {
                0
            });
            match read("speed", buf).then(|| parse_speed(buf)) {
                Some(Ok(Some(mbit))) => {
                    link.bandwidth = Some(to_int(mbit.saturating_mul(BYTES_PER_MBIT)));
                }
                Some(Err(what)) => {
                    first_error.get_or_insert_with(|| {
                        CollectError::malformed(&dir.join(name).join("speed"), None, what)
                    });
                }
                Some(Ok(None)) | None => {}
            }
            let ifindex = read("ifindex", small)
                .then(|| small.trim_end().parse::<u64>().ok())
                .flatten();
            let replaced = matches!((link.ifindex, ifindex), (Some(a), Some(b)) if a != b);
            if ifindex.is_some() {
                link.ifindex = ifindex;
            }
            if !read("carrier_changes", small) {
                continue;
            }
            let Some(count) = parse_counter(small.trim_end()) else {
                first_error.get_or_insert_with(|| {
                    CollectError::malformed(
                        &dir.join(name).join("carrier_changes"),
                        None,
                        format!("expected a count, found \"{}\"", small.trim_end()),
                    )
                });
                continue;
            };
            // atomic_t up + down counts printed `%d` (net-sysfs.c): 32 bits.
            let ([count], start) = counters.update(name, tick, [(count, Width::Bits32)], replaced);
            link.changes = Some((to_int(count), start));
        }
        first_error
    }
}

/// Reads `<dir>/<name>/<attribute>` into `buf` (path rebuilt in `path`); a failure is
/// logged at debug level only (spec §7: sysfs sensor errors skip the point this cycle).
fn read_attribute(
    src: &Source,
    path: &mut PathBuf,
    dir: &Path,
    name: &str,
    attribute: &str,
    buf: &mut String,
) -> Result<(), ReadError> {
    path.as_mut_os_string().clear();
    path.push(dir);
    path.push(name);
    path.push(attribute);
    src.read_into(path, buf)
        .inspect_err(|e| log::debug!("netclass: {}: {e}", path.display()))
}

impl Collect for Netclass {
    fn collect(
        &mut self,
        src: &Source,
        tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        if !METRICS.iter().any(|m| out.enabled(m)) {
            return Ok(());
        }
        if !self.list(tick)? {
            if self.absent.first() {
                log::debug!(
                    "netclass: {} does not exist: no link state",
                    self.dir.display()
                );
            }
            return Ok(());
        }
        // Sorted by name: the directory order of a fixture tree depends on its file system.
        self.links.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        let first_error = self.read_links(src, tick);
        // Metric by metric (table order), each opened only when it has a point: a metric
        // opened and left empty moves the builder's slots about every tick, which costs
        // allocations (otlp::Builder::finish).
        let this_cycle = |l: &&Link| l.seen_cycle == tick.cycle;
        for (desc, value) in [
            (
                &semconv::HW_NETWORK_UP,
                (|l: &Link| l.up) as fn(&Link) -> Option<i64>,
            ),
            (&semconv::HW_NETWORK_BANDWIDTH_LIMIT, |l: &Link| l.bandwidth),
        ] {
            let mut metric = None;
            for link in self.links.iter().filter(this_cycle) {
                if let Some(value) = value(link) {
                    let metric = *metric.get_or_insert_with(|| out.open(desc));
                    let name = link.name.as_str();
                    let hw = [(semconv::LINK_HW_ID, name), (semconv::LINK_HW_NAME, name)];
                    out.point(metric, &hw, value);
                }
            }
        }
        let mut metric = None;
        for link in self.links.iter().filter(this_cycle) {
            if let Some((count, start)) = link.changes {
                let metric = *metric.get_or_insert_with(|| {
                    out.open(&semconv::SYSTEM_NETWORK_LINUX_CARRIER_CHANGES)
                });
                out.point_since(
                    metric,
                    start,
                    &[(semconv::NETWORK_INTERFACE_NAME, link.name.as_str())],
                    count,
                );
            }
        }
        self.counters.prune(tick);
        self.links
            .retain(|l| tick.cycle.saturating_sub(l.seen_cycle) < STALE_CYCLES);
        first_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_is_operstate_up_or_unknown_with_carrier() {
        assert_eq!(link_up("up\n", None), 1);
        // lo and tun: operstate unknown, carrier 1 (Linux 6.18, this project's VM).
        assert_eq!(link_up("unknown", Some("1\n")), 1);
        assert_eq!(link_up("unknown", Some("0\n")), 0);
        assert_eq!(link_up("unknown", None), 0, "carrier EINVAL: down");
        for state in [
            "down",
            "dormant",
            "lowerlayerdown",
            "notpresent",
            "testing",
            "",
        ] {
            assert_eq!(link_up(state, Some("1")), 0, "{state}");
        }
    }

    #[test]
    fn speed_sentinels_mean_unknown() {
        assert_eq!(parse_speed("1000\n"), Ok(Some(1000)));
        assert_eq!(parse_speed("10000"), Ok(Some(10000)), "veth");
        assert_eq!(parse_speed("0"), Ok(Some(0)));
        // virtio_net and Wi-Fi drivers: SPEED_UNKNOWN printed %d (Linux 6.18).
        assert_eq!(parse_speed("-1\n"), Ok(None));
        assert_eq!(parse_speed("4294967295\n"), Ok(None));
        assert_eq!(parse_speed("65535\n"), Ok(None));
        for bad in ["", "fast", "-2", "1e3", "99999999999999999999"] {
            assert!(parse_speed(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        crate::collect::garbage::for_each_variant("1000\n", |text| {
            let _ = parse_speed(text);
            let _ = link_up(text, Some(text));
        });
    }
}
