//! Metric names, units, kinds and resource attribute keys of the `process` collector
//! (spec/metrics.md §2.2, §3.9): hostmetrics' process scraper, one resource per process.

use super::{Kind, Metric};

// Resource attributes of a process (§2.2).
pub const PROCESS_PID: &str = "process.pid";
pub const PROCESS_PARENT_PID: &str = "process.parent_pid";
pub const PROCESS_EXECUTABLE_NAME: &str = "process.executable.name";
pub const PROCESS_EXECUTABLE_PATH: &str = "process.executable.path";
pub const PROCESS_COMMAND: &str = "process.command";
pub const PROCESS_COMMAND_LINE: &str = "process.command_line";
pub const PROCESS_OWNER: &str = "process.owner";

// `state` values of process.cpu.time and .utilization, in `stat` field order (14, 15, 42).
pub const PROCESS_CPU_STATES: [&str; 3] = ["user", "system", "wait"];
// `type` values of process.context_switches.
pub const VOLUNTARY: &str = "voluntary";
pub const INVOLUNTARY: &str = "involuntary";

// process (§3.9)
pub const PROCESS_CPU_TIME: Metric<f64> = Metric::new(
    "process.cpu.time",
    "s",
    Kind::Counter,
    "CPU time of the process by state since it started.",
);
pub const PROCESS_CPU_UTILIZATION: Metric<f64> = Metric::new(
    "process.cpu.utilization",
    "1",
    Kind::Gauge,
    "Share of all logical CPUs the process used since the previous collection.",
)
.off();
pub const PROCESS_MEMORY_USAGE: Metric<i64> = Metric::new(
    "process.memory.usage",
    "By",
    Kind::UpDownCounter,
    "Resident memory of the process (RSS).",
);
pub const PROCESS_MEMORY_VIRTUAL: Metric<i64> = Metric::new(
    "process.memory.virtual",
    "By",
    Kind::UpDownCounter,
    "Virtual memory of the process.",
);
pub const PROCESS_MEMORY_UTILIZATION: Metric<f64> = Metric::new(
    "process.memory.utilization",
    "1",
    Kind::Gauge,
    "Resident memory of the process as a share of the host's memory.",
)
.off();
pub const PROCESS_DISK_IO: Metric<i64> = Metric::new(
    "process.disk.io",
    "By",
    Kind::Counter,
    "Bytes the process made the storage layer read and write.",
);
pub const PROCESS_DISK_OPERATIONS: Metric<i64> = Metric::new(
    "process.disk.operations",
    "{operations}",
    Kind::Counter,
    "Read and write system calls of the process.",
)
.off();
pub const PROCESS_PAGING_FAULTS: Metric<i64> = Metric::new(
    "process.paging.faults",
    "{faults}",
    Kind::Counter,
    "Page faults of the process, major and minor.",
)
.off();
pub const PROCESS_SIGNALS_PENDING: Metric<i64> = Metric::new(
    "process.signals_pending",
    "{signals}",
    Kind::UpDownCounter,
    "Signals pending for the process.",
)
.off();
pub const PROCESS_THREADS: Metric<i64> = Metric::new(
    "process.threads",
    "{threads}",
    Kind::UpDownCounter,
    "Threads of the process.",
)
.off();
pub const PROCESS_OPEN_FILE_DESCRIPTORS: Metric<i64> = Metric::new(
    "process.open_file_descriptors",
    "{count}",
    Kind::UpDownCounter,
    "File descriptors the process has open.",
)
.off();
pub const PROCESS_CONTEXT_SWITCHES: Metric<i64> = Metric::new(
    "process.context_switches",
    "{count}",
    Kind::Counter,
    "Context switches of the process, voluntary and involuntary.",
)
.off();
pub const PROCESS_UPTIME: Metric<f64> = Metric::new(
    "process.uptime",
    "s",
    Kind::Gauge,
    "Time since the process started.",
)
.off();
