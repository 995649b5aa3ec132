//! Every metric name, unit, description, kind and attribute key/value sysotlp emits.
//!
//! Reads: nothing. Emits: nothing; collectors take their names from here so no name is ever
//! written inline. Names, units, kinds and value types follow `spec/metrics.md` (hostmetrics
//! on main, semantic conventions v1.44 for extensions). The value type is part of each
//! descriptor's Rust type (`Metric<i64>` → `asInt`, `Metric<f64>` → `asDouble`), so a
//! collector cannot emit the wrong one.

use std::marker::PhantomData;
use std::ops::Deref;

/// How a metric maps to OTLP (spec/metrics.md §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `Sum`, cumulative, monotonic.
    Counter,
    /// `Sum`, cumulative, not monotonic.
    UpDownCounter,
    /// `Gauge`.
    Gauge,
}

/// The OTLP value field of a metric's points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// `asInt`.
    Int,
    /// `asDouble`.
    Double,
}

/// The Rust type of a metric's values: `i64` → `asInt`, `f64` → `asDouble`.
pub trait Value {
    const TYPE: ValueType;
}

impl Value for i64 {
    const TYPE: ValueType = ValueType::Int;
}

impl Value for f64 {
    const TYPE: ValueType = ValueType::Double;
}

/// What a metric is, whatever its value type: the registry lists these per collector, and
/// `--enable`/`--disable` look names up in them.
#[derive(Debug)]
pub struct Info {
    pub name: &'static str,
    pub unit: &'static str,
    pub description: &'static str,
    pub kind: Kind,
    pub value: ValueType,
    /// Emitted unless `--disable`d; otherwise only when `--enable`d (spec/metrics.md §3).
    pub on_by_default: bool,
}

/// A metric's identity. `V` is `i64` for `int` metrics and `f64` for `double` ones.
#[derive(Debug)]
pub struct Metric<V> {
    pub info: Info,
    value: PhantomData<fn() -> V>,
}

impl<V: Value> Metric<V> {
    const fn new(
        name: &'static str,
        unit: &'static str,
        kind: Kind,
        description: &'static str,
    ) -> Self {
        Metric {
            info: Info {
                name,
                unit,
                description,
                kind,
                value: V::TYPE,
                on_by_default: true,
            },
            value: PhantomData,
        }
    }

    /// Off unless named in `--enable`.
    const fn off(mut self) -> Self {
        self.info.on_by_default = false;
        self
    }
}

impl<V> Deref for Metric<V> {
    type Target = Info;

    fn deref(&self) -> &Info {
        &self.info
    }
}

/// Which metrics `--enable` and `--disable` switched on or off; the rest follow their
/// `on_by_default`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Switches {
    pub on: Vec<&'static str>,
    pub off: Vec<&'static str>,
}

impl Switches {
    pub fn is_on(&self, info: &Info) -> bool {
        if self.off.contains(&info.name) {
            false
        } else {
            info.on_by_default || self.on.contains(&info.name)
        }
    }
}

// Instrumentation scope and schema (spec/metrics.md §1.2).
pub const SCOPE_NAME: &str = "sysotlp";
pub const SCHEMA_URL: &str = "https://opentelemetry.io/schemas/1.9.0";

// Attribute keys (hostmetrics keys, spec/metrics.md §1.4).
pub const STATE: &str = "state";
pub const CPU: &str = "cpu";

// system.cpu.time states, in the order of the /proc/stat columns they come from (§3.1).
pub const CPU_STATES: [&str; 8] = [
    "user",
    "nice",
    "system",
    "idle",
    "wait",
    "interrupt",
    "softirq",
    "steal",
];

// system.memory.usage states (§3.2).
pub const MEMORY_USED: &str = "used";
pub const MEMORY_FREE: &str = "free";
pub const MEMORY_BUFFERED: &str = "buffered";
pub const MEMORY_CACHED: &str = "cached";
pub const SLAB_STATE: &str = "system.memory.linux.slab.state";
pub const SLAB_RECLAIMABLE: &str = "reclaimable";
pub const SLAB_UNRECLAIMABLE: &str = "unreclaimable";

// cpu (spec/metrics.md §3.1)
pub const SYSTEM_CPU_TIME: Metric<f64> = Metric::new(
    "system.cpu.time",
    "s",
    Kind::Counter,
    "CPU time spent in each state since boot.",
);
pub const SYSTEM_CPU_LOGICAL_COUNT: Metric<i64> = Metric::new(
    "system.cpu.logical.count",
    "{cpu}",
    Kind::UpDownCounter,
    "Number of logical CPUs currently online.",
);

// memory (§3.2)
pub const SYSTEM_MEMORY_USAGE: Metric<i64> = Metric::new(
    "system.memory.usage",
    "By",
    Kind::UpDownCounter,
    "Memory in use, free, in buffers and in reclaimable cache; the states sum to the total.",
);
pub const SYSTEM_MEMORY_LINUX_SLAB_USAGE: Metric<i64> = Metric::new(
    "system.memory.linux.slab.usage",
    "By",
    Kind::UpDownCounter,
    "Kernel slab memory, reclaimable and unreclaimable.",
);
pub const SYSTEM_MEMORY_LIMIT: Metric<i64> = Metric::new(
    "system.memory.limit",
    "By",
    Kind::UpDownCounter,
    "Total usable memory (MemTotal).",
);

// load (§3.3)
pub const SYSTEM_CPU_LOAD_AVERAGE_1M: Metric<f64> = Metric::new(
    "system.cpu.load_average.1m",
    "{thread}",
    Kind::Gauge,
    "Load average over the last minute.",
);
pub const SYSTEM_CPU_LOAD_AVERAGE_5M: Metric<f64> = Metric::new(
    "system.cpu.load_average.5m",
    "{thread}",
    Kind::Gauge,
    "Load average over the last 5 minutes.",
);
pub const SYSTEM_CPU_LOAD_AVERAGE_15M: Metric<f64> = Metric::new(
    "system.cpu.load_average.15m",
    "{thread}",
    Kind::Gauge,
    "Load average over the last 15 minutes.",
);

// system (§3.10)
pub const SYSTEM_UPTIME: Metric<f64> = Metric::new(
    "system.uptime",
    "s",
    Kind::Gauge,
    "Time since boot, including suspend.",
);

// memory: OOM kills (§5.4)
pub const SYSTEM_MEMORY_LINUX_OOM_KILLS: Metric<i64> = Metric::new(
    "system.memory.linux.oom_kills",
    "{kill}",
    Kind::Counter,
    "Processes killed by the kernel's out-of-memory killer since boot.",
);

// disk (§3.4)
pub const SYSTEM_DISK_IO: Metric<i64> = Metric::new(
    "system.disk.io",
    "By",
    Kind::Counter,
    "Bytes read from and written to the device.",
);
pub const SYSTEM_DISK_OPERATIONS: Metric<i64> = Metric::new(
    "system.disk.operations",
    "{operations}",
    Kind::Counter,
    "Completed read and write requests.",
);
pub const SYSTEM_DISK_IO_TIME: Metric<f64> = Metric::new(
    "system.disk.io_time",
    "s",
    Kind::Counter,
    "Time the device had at least one request in flight.",
);
pub const SYSTEM_DISK_OPERATION_TIME: Metric<f64> = Metric::new(
    "system.disk.operation_time",
    "s",
    Kind::Counter,
    "Time spent on completed read and write requests, summed over requests.",
);
pub const SYSTEM_DISK_WEIGHTED_IO_TIME: Metric<f64> = Metric::new(
    "system.disk.weighted_io_time",
    "s",
    Kind::Counter,
    "Time requests were in flight, weighted by the number in flight.",
);
pub const SYSTEM_DISK_PENDING_OPERATIONS: Metric<i64> = Metric::new(
    "system.disk.pending_operations",
    "{operations}",
    Kind::UpDownCounter,
    "Requests in flight right now.",
);
pub const SYSTEM_DISK_MERGED: Metric<i64> = Metric::new(
    "system.disk.merged",
    "{operations}",
    Kind::Counter,
    "Adjacent requests merged into one.",
);

// filesystem (§3.5)
pub const SYSTEM_FILESYSTEM_USAGE: Metric<i64> = Metric::new(
    "system.filesystem.usage",
    "By",
    Kind::UpDownCounter,
    "File system space used, free to users, and reserved for root.",
);
pub const SYSTEM_FILESYSTEM_INODES_USAGE: Metric<i64> = Metric::new(
    "system.filesystem.inodes.usage",
    "{inodes}",
    Kind::UpDownCounter,
    "Inodes used and free.",
);
pub const SYSTEM_FILESYSTEM_UTILIZATION: Metric<f64> = Metric::new(
    "system.filesystem.utilization",
    "1",
    Kind::Gauge,
    "Fraction of the space available to users that is used (df's Use%).",
)
.off();

// network (§3.6)
pub const SYSTEM_NETWORK_PACKETS: Metric<i64> = Metric::new(
    "system.network.packets",
    "{packets}",
    Kind::Counter,
    "Packets received and transmitted.",
);
pub const SYSTEM_NETWORK_DROPPED: Metric<i64> = Metric::new(
    "system.network.dropped",
    "{packets}",
    Kind::Counter,
    "Packets dropped.",
);
pub const SYSTEM_NETWORK_ERRORS: Metric<i64> = Metric::new(
    "system.network.errors",
    "{errors}",
    Kind::Counter,
    "Receive and transmit errors.",
);
pub const SYSTEM_NETWORK_IO: Metric<i64> = Metric::new(
    "system.network.io",
    "By",
    Kind::Counter,
    "Bytes received and transmitted.",
);
pub const SYSTEM_NETWORK_CONNECTIONS: Metric<i64> = Metric::new(
    "system.network.connections",
    "{connections}",
    Kind::UpDownCounter,
    "TCP sockets by state, IPv4 and IPv6.",
);
pub const SYSTEM_NETWORK_CONNTRACK_COUNT: Metric<i64> = Metric::new(
    "system.network.conntrack.count",
    "{entries}",
    Kind::UpDownCounter,
    "Entries in the connection tracking table.",
)
.off();
pub const SYSTEM_NETWORK_CONNTRACK_MAX: Metric<i64> = Metric::new(
    "system.network.conntrack.max",
    "{entries}",
    Kind::UpDownCounter,
    "Size limit of the connection tracking table.",
)
.off();

// paging (§3.7)
pub const SYSTEM_PAGING_USAGE: Metric<i64> = Metric::new(
    "system.paging.usage",
    "By",
    Kind::UpDownCounter,
    "Swap space used and free, per device.",
);
pub const SYSTEM_PAGING_UTILIZATION: Metric<f64> = Metric::new(
    "system.paging.utilization",
    "1",
    Kind::Gauge,
    "Fraction of swap space used and free, per device.",
)
.off();
pub const SYSTEM_PAGING_OPERATIONS: Metric<i64> = Metric::new(
    "system.paging.operations",
    "{operations}",
    Kind::Counter,
    "Pages swapped (major) and KiB paged (minor) in and out.",
);
pub const SYSTEM_PAGING_FAULTS: Metric<i64> = Metric::new(
    "system.paging.faults",
    "{faults}",
    Kind::Counter,
    "Page faults, major and minor.",
);

// processes (§3.8)
pub const SYSTEM_PROCESSES_COUNT: Metric<i64> = Metric::new(
    "system.processes.count",
    "{processes}",
    Kind::UpDownCounter,
    "Processes by state.",
);
pub const SYSTEM_PROCESSES_CREATED: Metric<i64> = Metric::new(
    "system.processes.created",
    "{processes}",
    Kind::Counter,
    "Processes created (forks) since boot.",
);

// agent: sysotlp's own health (exporter spec §5.1); names mirror otelcol_exporter_*,
// otelcol_scraper_*, otelcol_process_* under our prefix.
pub const SYSOTLP_EXPORTER_SENT_METRIC_POINTS: Metric<i64> = Metric::new(
    "sysotlp.exporter.sent_metric_points",
    "{datapoints}",
    Kind::Counter,
    "Data points the receiver accepted (sent minus rejected).",
);
pub const SYSOTLP_EXPORTER_SEND_FAILED_METRIC_POINTS: Metric<i64> = Metric::new(
    "sysotlp.exporter.send_failed_metric_points",
    "{datapoints}",
    Kind::Counter,
    "Data points in failed attempts, retried or not.",
);
pub const SYSOTLP_EXPORTER_REQUESTS: Metric<i64> = Metric::new(
    "sysotlp.exporter.requests",
    "{requests}",
    Kind::Counter,
    "Export attempts by outcome.",
);
pub const SYSOTLP_EXPORTER_DROPPED_METRIC_POINTS: Metric<i64> = Metric::new(
    "sysotlp.exporter.dropped_metric_points",
    "{datapoints}",
    Kind::Counter,
    "Data points that will never be delivered, by reason.",
);
pub const SYSOTLP_EXPORTER_QUEUE_SIZE: Metric<i64> = Metric::new(
    "sysotlp.exporter.queue_size",
    "{batches}",
    Kind::Gauge,
    "Requests waiting to be delivered.",
);
pub const SYSOTLP_EXPORTER_QUEUE_SIZE_BYTES: Metric<i64> = Metric::new(
    "sysotlp.exporter.queue_size_bytes",
    "By",
    Kind::Gauge,
    "Bytes of waiting requests, by storage.",
);
pub const SYSOTLP_EXPORTER_QUEUE_CAPACITY_BYTES: Metric<i64> = Metric::new(
    "sysotlp.exporter.queue_capacity_bytes",
    "By",
    Kind::Gauge,
    "Limit of waiting requests, by storage.",
);
pub const SYSOTLP_EXPORTER_OLDEST_BATCH_AGE: Metric<f64> = Metric::new(
    "sysotlp.exporter.oldest_batch_age",
    "s",
    Kind::Gauge,
    "Age of the oldest waiting request; 0 when none waits.",
);
pub const SYSOTLP_EXPORTER_SEND_DURATION: Metric<f64> = Metric::new(
    "sysotlp.exporter.send_duration",
    "s",
    Kind::Gauge,
    "Duration of the last export attempt.",
);
pub const SYSOTLP_SCRAPER_SCRAPED_METRIC_POINTS: Metric<i64> = Metric::new(
    "sysotlp.scraper.scraped_metric_points",
    "{datapoints}",
    Kind::Counter,
    "Data points produced, by collector.",
);
pub const SYSOTLP_SCRAPER_ERRORS: Metric<i64> = Metric::new(
    "sysotlp.scraper.errors",
    "{errors}",
    Kind::Counter,
    "Failed collector runs, by collector.",
);
pub const SYSOTLP_SCRAPER_DURATION: Metric<f64> = Metric::new(
    "sysotlp.scraper.duration",
    "s",
    Kind::Gauge,
    "Duration of the last run, by collector.",
);
pub const SYSOTLP_PROCESS_MEMORY_RSS: Metric<i64> = Metric::new(
    "sysotlp.process.memory.rss",
    "By",
    Kind::Gauge,
    "Resident memory of sysotlp (VmRSS).",
);
pub const SYSOTLP_PROCESS_MEMORY_PEAK: Metric<i64> = Metric::new(
    "sysotlp.process.memory.peak",
    "By",
    Kind::Gauge,
    "Peak resident memory of sysotlp (VmHWM).",
);
pub const SYSOTLP_PROCESS_CPU_TIME: Metric<f64> = Metric::new(
    "sysotlp.process.cpu.time",
    "s",
    Kind::Counter,
    "CPU time used by sysotlp, user plus system.",
);
pub const SYSOTLP_PROCESS_UPTIME: Metric<f64> = Metric::new(
    "sysotlp.process.uptime",
    "s",
    Kind::Counter,
    "Time since sysotlp started (a heartbeat).",
);

pub const ERROR_TYPE: &str = "error.type";
pub const OUTCOME: &str = "outcome";
pub const REASON: &str = "reason";
pub const STORAGE: &str = "storage";
pub const SCRAPER: &str = "scraper";
pub const STORAGE_MEMORY: &str = "memory";
pub const STORAGE_SPOOL: &str = "spool";

/// Every metric name, for `--enable` / `--disable`.
pub const ALL_METRICS: &[&Info] = &[
    &SYSTEM_CPU_TIME.info,
    &SYSTEM_CPU_LOGICAL_COUNT.info,
    &SYSTEM_MEMORY_USAGE.info,
    &SYSTEM_MEMORY_LINUX_SLAB_USAGE.info,
    &SYSTEM_MEMORY_LIMIT.info,
    &SYSTEM_MEMORY_LINUX_OOM_KILLS.info,
    &SYSTEM_CPU_LOAD_AVERAGE_1M.info,
    &SYSTEM_CPU_LOAD_AVERAGE_5M.info,
    &SYSTEM_CPU_LOAD_AVERAGE_15M.info,
    &SYSTEM_DISK_IO.info,
    &SYSTEM_DISK_OPERATIONS.info,
    &SYSTEM_DISK_IO_TIME.info,
    &SYSTEM_DISK_OPERATION_TIME.info,
    &SYSTEM_DISK_WEIGHTED_IO_TIME.info,
    &SYSTEM_DISK_PENDING_OPERATIONS.info,
    &SYSTEM_DISK_MERGED.info,
    &SYSTEM_FILESYSTEM_USAGE.info,
    &SYSTEM_FILESYSTEM_INODES_USAGE.info,
    &SYSTEM_FILESYSTEM_UTILIZATION.info,
    &SYSTEM_NETWORK_PACKETS.info,
    &SYSTEM_NETWORK_DROPPED.info,
    &SYSTEM_NETWORK_ERRORS.info,
    &SYSTEM_NETWORK_IO.info,
    &SYSTEM_NETWORK_CONNECTIONS.info,
    &SYSTEM_NETWORK_CONNTRACK_COUNT.info,
    &SYSTEM_NETWORK_CONNTRACK_MAX.info,
    &SYSTEM_PAGING_USAGE.info,
    &SYSTEM_PAGING_UTILIZATION.info,
    &SYSTEM_PAGING_OPERATIONS.info,
    &SYSTEM_PAGING_FAULTS.info,
    &SYSTEM_PROCESSES_COUNT.info,
    &SYSTEM_PROCESSES_CREATED.info,
    &SYSTEM_UPTIME.info,
    &SYSOTLP_EXPORTER_SENT_METRIC_POINTS.info,
    &SYSOTLP_EXPORTER_SEND_FAILED_METRIC_POINTS.info,
    &SYSOTLP_EXPORTER_REQUESTS.info,
    &SYSOTLP_EXPORTER_DROPPED_METRIC_POINTS.info,
    &SYSOTLP_EXPORTER_QUEUE_SIZE.info,
    &SYSOTLP_EXPORTER_QUEUE_SIZE_BYTES.info,
    &SYSOTLP_EXPORTER_QUEUE_CAPACITY_BYTES.info,
    &SYSOTLP_EXPORTER_OLDEST_BATCH_AGE.info,
    &SYSOTLP_EXPORTER_SEND_DURATION.info,
    &SYSOTLP_SCRAPER_SCRAPED_METRIC_POINTS.info,
    &SYSOTLP_SCRAPER_ERRORS.info,
    &SYSOTLP_SCRAPER_DURATION.info,
    &SYSOTLP_PROCESS_MEMORY_RSS.info,
    &SYSOTLP_PROCESS_MEMORY_PEAK.info,
    &SYSOTLP_PROCESS_CPU_TIME.info,
    &SYSOTLP_PROCESS_UPTIME.info,
];

// Attribute keys and values of the hostmetrics collectors (§1.4, §3).
pub const DEVICE: &str = "device";
pub const DIRECTION: &str = "direction";
pub const MODE: &str = "mode";
pub const MOUNTPOINT: &str = "mountpoint";
pub const TYPE: &str = "type";
pub const PROTOCOL: &str = "protocol";
pub const STATUS: &str = "status";
pub const READ: &str = "read";
pub const WRITE: &str = "write";
pub const RECEIVE: &str = "receive";
pub const TRANSMIT: &str = "transmit";
pub const USED: &str = "used";
pub const FREE: &str = "free";
pub const RESERVED: &str = "reserved";
pub const PAGE_IN: &str = "page_in";
pub const PAGE_OUT: &str = "page_out";
pub const MAJOR: &str = "major";
pub const MINOR: &str = "minor";
pub const TCP: &str = "tcp";

/// TCP states in kernel order of `st` codes 01..0B (include/net/tcp_states.h), then the
/// Windows-only DELETE that hostmetrics also emits; always all 12 (spec D6).
pub const TCP_STATES: [&str; 12] = [
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "FIN_WAIT_1",
    "FIN_WAIT_2",
    "TIME_WAIT",
    "CLOSE",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "CLOSING",
    "DELETE",
];

/// `system.processes.count` statuses (§3.8), always all 7.
pub const PROCESS_STATUSES: [&str; 7] = [
    "running", "sleeping", "blocked", "stopped", "zombies", "idle", "unknown",
];

// Resource attribute keys (spec/metrics.md §2).
pub const HOST_NAME: &str = "host.name";
pub const HOST_ID: &str = "host.id";
pub const HOST_ARCH: &str = "host.arch";
pub const OS_TYPE: &str = "os.type";
pub const OS_DESCRIPTION: &str = "os.description";
pub const OS_NAME: &str = "os.name";
pub const OS_VERSION: &str = "os.version";
pub const SERVICE_NAME: &str = "service.name";
pub const SERVICE_INSTANCE_ID: &str = "service.instance.id";
pub const OS_TYPE_LINUX: &str = "linux";
pub const SERVICE_NAME_DEFAULT: &str = "sysotlp";
