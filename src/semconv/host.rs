//! Metric names, units, kinds and attribute keys and values of the hostmetrics collectors
//! (spec/metrics.md §3 and the §5 extensions).

use super::{Kind, Metric};

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
pub const HUGEPAGES_STATE: &str = "system.memory.linux.hugepages.state";

// cpu (spec/metrics.md §3.1)
pub const SYSTEM_CPU_TIME: Metric<f64> = Metric::new(
    "system.cpu.time",
    "s",
    Kind::Counter,
    "CPU time spent in each state since boot.",
);
pub const SYSTEM_CPU_UTILIZATION: Metric<f64> = Metric::new(
    "system.cpu.utilization",
    "1",
    Kind::Gauge,
    "Share of CPU time spent in each state since the previous collection.",
)
.off();
pub const SYSTEM_CPU_LOGICAL_COUNT: Metric<i64> = Metric::new(
    "system.cpu.logical.count",
    "{cpu}",
    Kind::UpDownCounter,
    "Number of logical CPUs currently online.",
);
pub const SYSTEM_CPU_PHYSICAL_COUNT: Metric<i64> = Metric::new(
    "system.cpu.physical.count",
    "{cpu}",
    Kind::UpDownCounter,
    "Number of physical cores of the online CPUs.",
)
.off();
pub const SYSTEM_CPU_FREQUENCY: Metric<f64> = Metric::new(
    "system.cpu.frequency",
    "Hz",
    Kind::Gauge,
    "Current clock frequency of each online CPU.",
)
.off();

// memory (§3.2)
pub const SYSTEM_MEMORY_USAGE: Metric<i64> = Metric::new(
    "system.memory.usage",
    "By",
    Kind::UpDownCounter,
    "Memory in use, free, in buffers and in reclaimable cache; the states sum to the total.",
);
pub const SYSTEM_MEMORY_UTILIZATION: Metric<f64> = Metric::new(
    "system.memory.utilization",
    "1",
    Kind::Gauge,
    "Fraction of the total memory in each state.",
)
.off();
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
pub const SYSTEM_MEMORY_PAGE_SIZE: Metric<i64> = Metric::new(
    "system.memory.page_size",
    "By",
    Kind::Gauge,
    "The system's page size.",
)
.off();
pub const SYSTEM_LINUX_MEMORY_AVAILABLE: Metric<i64> = Metric::new(
    "system.linux.memory.available",
    "By",
    Kind::UpDownCounter,
    "The kernel's estimate of memory available to new workloads without swapping (MemAvailable).",
)
.off();
pub const SYSTEM_LINUX_MEMORY_DIRTY: Metric<i64> = Metric::new(
    "system.linux.memory.dirty",
    "By",
    Kind::UpDownCounter,
    "Memory waiting to be written back to disk (Dirty).",
)
.off();
pub const SYSTEM_MEMORY_LINUX_SHARED: Metric<i64> = Metric::new(
    "system.memory.linux.shared",
    "By",
    Kind::UpDownCounter,
    "Shared memory: tmpfs and System V and POSIX shared memory (Shmem).",
)
.off();
pub const SYSTEM_MEMORY_LINUX_HUGEPAGES_LIMIT: Metric<i64> = Metric::new(
    "system.memory.linux.hugepages.limit",
    "{page}",
    Kind::UpDownCounter,
    "Size of the persistent huge page pool (HugePages_Total).",
)
.off();
pub const SYSTEM_MEMORY_LINUX_HUGEPAGES_USAGE: Metric<i64> = Metric::new(
    "system.memory.linux.hugepages.usage",
    "{page}",
    Kind::UpDownCounter,
    "Huge pages of the pool, free and used.",
)
.off();
pub const SYSTEM_MEMORY_LINUX_HUGEPAGES_UTILIZATION: Metric<f64> = Metric::new(
    "system.memory.linux.hugepages.utilization",
    "1",
    Kind::Gauge,
    "Fraction of the huge page pool free and used.",
)
.off();
pub const SYSTEM_MEMORY_LINUX_HUGEPAGES_PAGE_SIZE: Metric<i64> = Metric::new(
    "system.memory.linux.hugepages.page_size",
    "By",
    Kind::Gauge,
    "Size of a default huge page (Hugepagesize).",
)
.off();
pub const SYSTEM_MEMORY_LINUX_HUGEPAGES_RESERVED: Metric<i64> = Metric::new(
    "system.memory.linux.hugepages.reserved",
    "{page}",
    Kind::Gauge,
    "Huge pages promised to mappings but not yet faulted in (HugePages_Rsvd; part of free).",
)
.off();
pub const SYSTEM_MEMORY_LINUX_HUGEPAGES_SURPLUS: Metric<i64> = Metric::new(
    "system.memory.linux.hugepages.surplus",
    "{page}",
    Kind::Gauge,
    "Huge pages allocated beyond the persistent pool (HugePages_Surp).",
)
.off();

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

// filefd (§5.4): sysotlp-defined names
pub const SYSTEM_LINUX_FILE_DESCRIPTOR_COUNT: Metric<i64> = Metric::new(
    "system.linux.file_descriptor.count",
    "{file_descriptor}",
    Kind::UpDownCounter,
    "File handles in use, system-wide.",
);
pub const SYSTEM_LINUX_FILE_DESCRIPTOR_LIMIT: Metric<i64> = Metric::new(
    "system.linux.file_descriptor.limit",
    "{file_descriptor}",
    Kind::UpDownCounter,
    "Largest number of file handles the kernel allocates (file-max).",
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
