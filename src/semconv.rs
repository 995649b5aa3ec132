//! Every metric name, unit, description, kind and attribute key/value sysotlp emits.
//!
//! Reads: nothing. Emits: nothing; collectors take their names from here so no name is ever
//! written inline. Names, units, kinds and value types follow `spec/metrics.md` (hostmetrics
//! on main, semantic conventions v1.44 for extensions). The value type is part of each
//! descriptor's Rust type (`Metric<i64>` → `asInt`, `Metric<f64>` → `asDouble`), so a
//! collector cannot emit the wrong one.

use std::marker::PhantomData;

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

/// A metric's identity. `V` is `i64` for `int` metrics and `f64` for `double` ones.
#[derive(Debug)]
pub struct Metric<V> {
    pub name: &'static str,
    pub unit: &'static str,
    pub description: &'static str,
    pub kind: Kind,
    value: PhantomData<fn() -> V>,
}

impl<V> Metric<V> {
    const fn new(
        name: &'static str,
        unit: &'static str,
        kind: Kind,
        description: &'static str,
    ) -> Self {
        Metric {
            name,
            unit,
            description,
            kind,
            value: PhantomData,
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
