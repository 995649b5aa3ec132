//! The agent's own container: its cgroup v2 usage and limits, as a resource of its own.
//!
//! Reads (spec/metrics.md §5.8), all in the agent's **own view** (§8.3: live its own `/`,
//! whatever `--root-path` says; in fixture mode the same paths inside the tree): once at
//! start, what [`detect`] needs (markers, `proc/self/cgroup`, `proc/self/mountinfo`) and
//! `proc/1/stat` (field 22, the start of PID 1 of the agent's PID namespace: the container's
//! start); each tick, in `sys/fs/cgroup/<own cgroup>/` (Documentation/admin-guide/
//! cgroup-v2.rst): `cpu.stat` (always present), `cpu.max`, `memory.{current,max,stat,events}`,
//! `pids.{current,max}` and `io.stat`, whose `MAJ:MIN` names come from
//! `sys/dev/block/MAJ:MIN/uevent` (`DEVNAME=`, read once per device).
//! Emits, on a resource of `container.id` (when found) then the host attributes, in table
//! order: `container.cpu.time` (user, system), `container.memory.{usage,working_set,rss,
//! available}`, `container.paging.faults` (major, minor), `container.disk.io` (per device,
//! read/write), `container.uptime`, `container.cpu.limit`, `container.cpu.throttled.time`,
//! `container.memory.limit`, `container.memory.oom_kills`, `container.task.{count,limit}`.
//! Every series starts at the container's start (§1.1), a reset at the previous cycle.
//! Input (`cpu.stat`, `memory.stat` and `memory.events` are `<key> <value>` lines):
//! ```text
//! usage_usec 887700            (cpu.stat; throttled_usec only with the cpu controller)
//! user_usec 325470
//! system_usec 562230
//! ```
//! and single values (`memory.current`, `pids.max`: a number or `max`), see [`cgroup`].
//!
//! A limit of `max` omits the limit (and `container.memory.available`). A controller that
//! is not enabled for the cgroup has no files: its metrics are omitted, with one DEBUG line
//! per file. Other read errors and malformed values skip that metric and are reported.
//! Not a container: the collector is not built. cgroup v1 or hybrid: one INFO at start and
//! not built (spec §5.8).

pub mod cgroup;
pub mod detect;

use super::counter::{Counters, Width, kernel_word_bits, to_int};
use super::filesystem::parse_uevent_devname;
use super::process::stat::PidStat;
use super::{Collect, CollectError};
use crate::otlp::{AttrValue, Builder, PointValue};
use crate::report::Once;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::{ReadError, Source};
use cgroup::{FILES, Values, parse_io_stat_line};
use detect::{Detection, Evidence, detect};
use std::path::{Path, PathBuf};

/// What this collector emits (the registry's list), in table order.
pub const METRICS: &[&semconv::Info] = &[
    &semconv::CONTAINER_CPU_TIME.info,
    &semconv::CONTAINER_MEMORY_USAGE.info,
    &semconv::CONTAINER_MEMORY_WORKING_SET.info,
    &semconv::CONTAINER_MEMORY_RSS.info,
    &semconv::CONTAINER_MEMORY_AVAILABLE.info,
    &semconv::CONTAINER_PAGING_FAULTS.info,
    &semconv::CONTAINER_DISK_IO.info,
    &semconv::CONTAINER_UPTIME.info,
    &semconv::CONTAINER_CPU_LIMIT.info,
    &semconv::CONTAINER_CPU_THROTTLED_TIME.info,
    &semconv::CONTAINER_MEMORY_LIMIT.info,
    &semconv::CONTAINER_MEMORY_OOM_KILLS.info,
    &semconv::CONTAINER_TASK_COUNT.info,
    &semconv::CONTAINER_TASK_LIMIT.info,
];

/// Options of the `container` collector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The `container` environment variable is set (systemd-nspawn, LXC, Podman set it for
    /// the container's init); a marker live, ignored in fixture mode.
    pub env_marker: bool,
}

const CPU_STAT: usize = 0;
/// `io.stat`, read on its own after the others.
const IO_STAT: usize = FILES.len() - 1;

/// Device state not refreshed for this many cycles is dropped (§1.3).
const STALE_CYCLES: u64 = 3;

/// A block device seen in `io.stat`, and its name.
#[derive(Debug)]
struct Device {
    major_minor: String,
    /// `DEVNAME` of its uevent, else `MAJ:MIN` itself.
    name: String,
    seen_cycle: u64,
}

/// The `container` collector.
#[derive(Debug)]
pub struct Container {
    id: Option<String>,
    /// `sys/fs/cgroup/<own>/<file>` per [`FILES`] entry, and its "absent" note.
    files: Vec<(PathBuf, Once)>,
    /// `sys/dev/block` of the own view.
    block_dir: PathBuf,
    /// PID 1's start in clock ticks after boot; `None` when unreadable.
    pid1_start_ticks: Option<u64>,
    clock_ticks: u64,
    buf: String,
    /// uevent paths and text of a device seen for the first time.
    uevent: String,
    counters: Counters,
    devices: Vec<Device>,
}

impl Container {
    /// Detects the agent's container (spec §5.8); `None` when there is none, or when its
    /// cgroups are not v2 (one INFO). `named`: the user asked for the collector, so "no
    /// container" is an INFO too.
    pub fn detect(src: &Source, options: &Options, named: bool) -> Option<Container> {
        let own = |relative: &str| src.own_path(relative);
        let env_marker = options.env_marker && !src.is_fixture();
        let marker = if own(".dockerenv").exists() {
            Some("/.dockerenv")
        } else if own("run/.containerenv").exists() {
            Some("/run/.containerenv")
        } else {
            env_marker.then_some("the container environment variable")
        };
        let read = |relative: &str| {
            let mut buf = String::new();
            src.read_into(&own(relative), &mut buf).ok().map(|()| buf)
        };
        let cgroup = read("proc/self/cgroup");
        let mountinfo = read("proc/self/mountinfo");
        let evidence = Evidence {
            marker,
            cgroup: cgroup.as_deref(),
            mountinfo: mountinfo.as_deref(),
            root_memory_max: own("sys/fs/cgroup/memory.max").exists(),
        };
        match detect(&evidence) {
            Detection::NotContainer => {
                let level = if named {
                    log::Level::Info
                } else {
                    log::Level::Debug
                };
                log::log!(
                    level,
                    "container: no container detected (no /.dockerenv, /run/.containerenv, \
                     container variable or cgroup namespace root); the collector is off"
                );
                None
            }
            Detection::NotV2(why) => {
                log::info!(
                    "container: {why}: the container collector reads cgroup v2 only and is off"
                );
                None
            }
            Detection::V2 { cgroup, id } => {
                let dir = own("sys/fs/cgroup").join(cgroup.trim_start_matches('/'));
                log::debug!(
                    "container: {} (id {}), reading {}",
                    evidence.marker.unwrap_or("cgroup namespace root"),
                    id.as_deref().unwrap_or("not visible"),
                    dir.display()
                );
                Some(Container::new(src, &dir, id))
            }
        }
    }

    /// The collector of the cgroup at `dir` (its `sys/fs/cgroup/…` directory).
    pub fn new(src: &Source, dir: &Path, id: Option<String>) -> Container {
        let mut stat = String::new();
        let pid1_start_ticks = src
            .read_into(&src.own_path("proc/1/stat"), &mut stat)
            .ok()
            .and_then(|()| PidStat::parse(stat.as_bytes()).ok())
            .map(|(_, fields)| fields.starttime);
        if pid1_start_ticks.is_none() {
            log::debug!("container: proc/1/stat unreadable: series start at boot, no uptime");
        }
        Container {
            id,
            files: FILES
                .iter()
                .map(|f| (dir.join(f), Once::default()))
                .collect(),
            block_dir: src.own_path("sys/dev/block"),
            pid1_start_ticks,
            clock_ticks: src.info().clock_ticks.max(1),
            buf: String::new(),
            uevent: String::new(),
            counters: Counters::new(kernel_word_bits(&src.info().machine)),
            devices: Vec::new(),
        }
    }

    /// Reads file `index` into `buf`: `Ok(true)` when read, `Ok(false)` when absent (its
    /// controller is off: one DEBUG line), `Err` for any other failure.
    fn read(&mut self, src: &Source, index: usize) -> Result<bool, CollectError> {
        let Some((path, absent)) = self.files.get_mut(index) else {
            return Ok(false);
        };
        match src.read_into(path, &mut self.buf) {
            Ok(()) => Ok(true),
            Err(ReadError::NotFound) => {
                if absent.first() {
                    log::debug!(
                        "container: {} absent (controller not enabled): its metrics are omitted",
                        path.display()
                    );
                }
                Ok(false)
            }
            Err(e) => Err(CollectError::read(path, e)),
        }
    }

    /// Reads and parses every file but `io.stat`; the first problem goes to `first_error`.
    fn values(&mut self, src: &Source, first_error: &mut Option<CollectError>) -> Values {
        let mut v = Values::default();
        for (index, file) in FILES.iter().enumerate().take(IO_STAT) {
            match self.read(src, index) {
                Ok(true) => {}
                Ok(false) if index == CPU_STAT => {
                    // cgroup-v2.rst: cpu.stat "exists whether the controller is enabled or not".
                    let path = &self.files[CPU_STAT].0;
                    first_error
                        .get_or_insert_with(|| CollectError::read(path, ReadError::NotFound));
                    continue;
                }
                Ok(false) => continue,
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            }
            let problem = v.take(file, &self.buf);
            if let Some((line, what)) = problem {
                let path = &self.files[index].0;
                first_error.get_or_insert_with(|| CollectError::malformed(path, Some(line), what));
            }
        }
        v
    }

    /// The name of block device `major_minor` (`DEVNAME` of its uevent, else `MAJ:MIN`),
    /// looked up once; the index into `devices`.
    fn device(&mut self, src: &Source, major_minor: &str, tick: &Tick) -> usize {
        if let Some(index) = self
            .devices
            .iter()
            .position(|d| d.major_minor == major_minor)
        {
            self.devices[index].seen_cycle = tick.cycle;
            return index;
        }
        let path = self.block_dir.join(major_minor).join("uevent");
        let name = match src.read_into(&path, &mut self.uevent) {
            Ok(()) => parse_uevent_devname(&self.uevent).map(str::to_string),
            Err(_) => None,
        };
        if name.is_none() {
            log::debug!(
                "container: {}: no DEVNAME; the device is named {major_minor}",
                path.display()
            );
        }
        self.devices.push(Device {
            major_minor: major_minor.to_string(),
            name: name.unwrap_or_else(|| major_minor.to_string()),
            seen_cycle: tick.cycle,
        });
        self.devices.len() - 1
    }

    /// `io.stat` as `container.disk.io` points; absent when the io controller is off.
    fn disk_io(
        &mut self,
        src: &Source,
        tick: &Tick,
        origin: u64,
        out: &mut Builder,
        first_error: &mut Option<CollectError>,
    ) {
        match self.read(src, IO_STAT) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                first_error.get_or_insert(e);
                return;
            }
        }
        let mut text = std::mem::take(&mut self.buf);
        let mut metric = None;
        for (number, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let (major_minor, read, written) = match parse_io_stat_line(line) {
                Ok(parsed) => parsed,
                Err(what) => {
                    let path = &self.files[IO_STAT].0;
                    first_error.get_or_insert_with(|| {
                        CollectError::malformed(path, Some(number + 1), what)
                    });
                    continue;
                }
            };
            let index = self.device(src, major_minor, tick);
            let w = Width::Bits64;
            let ([read, written], start) = self.counters.update_from(
                major_minor,
                tick,
                origin,
                [(read, w), (written, w)],
                false,
            );
            let name = self.devices[index].name.as_str();
            let metric = *metric.get_or_insert_with(|| out.open(&semconv::CONTAINER_DISK_IO));
            for (direction, value) in [(semconv::READ, read), (semconv::WRITE, written)] {
                out.point_since(
                    metric,
                    start,
                    &[
                        (semconv::DISK_IO_DIRECTION, direction),
                        (semconv::SYSTEM_DEVICE, name),
                    ],
                    to_int(value),
                );
            }
        }
        text.clear();
        self.buf = text;
        self.devices
            .retain(|d| tick.cycle.saturating_sub(d.seen_cycle) < STALE_CYCLES);
    }

    /// The container's start (PID 1's), else boot time.
    fn origin(&self, tick: &Tick) -> u64 {
        self.pid1_start_ticks.map_or(tick.boot_unix_nano, |ticks| {
            let nanos = u128::from(ticks) * 1_000_000_000 / u128::from(self.clock_ticks);
            tick.boot_unix_nano
                .saturating_add(u64::try_from(nanos).unwrap_or(u64::MAX))
        })
    }
}

impl Collect for Container {
    /// Metric by metric in table order, each opened only when it has a point: a metric
    /// opened and left empty (a limit of `max`) moves the builder's slots about every tick,
    /// which costs allocations (otlp::Builder::finish).
    fn collect(
        &mut self,
        src: &Source,
        tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        let mut first_error = None;
        let v = self.values(src, &mut first_error);
        let origin = self.origin(tick);
        match &self.id {
            Some(id) => out.resource(&[(semconv::CONTAINER_ID, AttrValue::Str(id))]),
            None => out.resource(&[]),
        }
        if let (Some(user), Some(system)) = (v.user_usec, v.system_usec) {
            let w = Width::Bits64;
            let ([user, system], start) =
                self.counters
                    .update_from("cpu", tick, origin, [(user, w), (system, w)], false);
            let metric = out.open(&semconv::CONTAINER_CPU_TIME);
            for (mode, usec) in [
                (semconv::CPU_MODE_USER, user),
                (semconv::CPU_MODE_SYSTEM, system),
            ] {
                out.point_since(metric, start, &[(semconv::CPU_MODE, mode)], seconds(usec));
            }
        }
        let working_set = v
            .memory_current
            .zip(v.inactive_file)
            .map(|(current, inactive)| current.saturating_sub(inactive));
        let available = v
            .memory_max
            .zip(working_set)
            .map(|(max, ws)| max.saturating_sub(ws));
        for (desc, value) in [
            (&semconv::CONTAINER_MEMORY_USAGE, v.memory_current),
            (&semconv::CONTAINER_MEMORY_WORKING_SET, working_set),
            (&semconv::CONTAINER_MEMORY_RSS, v.anon),
            (&semconv::CONTAINER_MEMORY_AVAILABLE, available),
        ] {
            single_point(out, desc, origin, value.map(to_int));
        }
        if let (Some(all), Some(major)) = (v.pgfault, v.pgmajfault) {
            let w = Width::Word;
            let ([major, all], start) =
                self.counters
                    .update_from("faults", tick, origin, [(major, w), (all, w)], false);
            let metric = out.open(&semconv::CONTAINER_PAGING_FAULTS);
            for (kind, value) in [
                (semconv::MAJOR, major),
                (semconv::MINOR, all.saturating_sub(major)),
            ] {
                let attrs = [(semconv::SYSTEM_PAGING_FAULT_TYPE, kind)];
                out.point_since(metric, start, &attrs, to_int(value));
            }
        }
        self.disk_io(src, tick, origin, out, &mut first_error);
        let uptime = self
            .pid1_start_ticks
            .map(|_| tick.now_unix_nano.saturating_sub(origin) as f64 / 1e9);
        single_point(out, &semconv::CONTAINER_UPTIME, origin, uptime);
        single_point(out, &semconv::CONTAINER_CPU_LIMIT, origin, v.cpu_limit);
        if let Some(throttled) = v.throttled_usec {
            let ([throttled], start) = self.counters.update_from(
                "throttled",
                tick,
                origin,
                [(throttled, Width::Bits64)],
                false,
            );
            out.metric(&semconv::CONTAINER_CPU_THROTTLED_TIME)
                .point_since(start, &[], seconds(throttled));
        }
        single_point(
            out,
            &semconv::CONTAINER_MEMORY_LIMIT,
            origin,
            v.memory_max.map(to_int),
        );
        if let Some(kills) = v.oom_kill {
            let ([kills], start) =
                self.counters
                    .update_from("oom_kill", tick, origin, [(kills, Width::Word)], false);
            out.metric(&semconv::CONTAINER_MEMORY_OOM_KILLS)
                .point_since(start, &[], to_int(kills));
        }
        single_point(
            out,
            &semconv::CONTAINER_TASK_COUNT,
            origin,
            v.pids_current.map(to_int),
        );
        single_point(
            out,
            &semconv::CONTAINER_TASK_LIMIT,
            origin,
            v.pids_max.map(to_int),
        );
        self.counters.prune(tick);
        first_error.map_or(Ok(()), Err)
    }
}

/// One point without attributes since the container's start, when there is a value.
fn single_point<V: PointValue>(
    out: &mut Builder,
    desc: &'static semconv::Metric<V>,
    origin: u64,
    value: Option<V>,
) {
    if let Some(value) = value {
        out.metric(desc).point_since(origin, &[], value);
    }
}

/// µs → s.
fn seconds(usec: u64) -> f64 {
    usec as f64 / 1e6
}
