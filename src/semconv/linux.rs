//! Metric names, units, kinds and attribute keys and values of the extensions for pressure
//! stall, link state, sockets and the agent's own container (spec/metrics.md §5.3, §5.5,
//! §5.7, §5.8). Names marked `*` in the spec are sysotlp-defined (built by semconv rules);
//! the others are semantic conventions v1.44.

use super::{Kind, Metric};

// pressure (§5.3): sysotlp-defined (semconv issue #2995 open).
pub const SYSTEM_LINUX_PRESSURE_TIME: Metric<f64> = Metric::new(
    "system.linux.pressure.time",
    "s",
    Kind::Counter,
    "Time some or all runnable tasks stalled waiting for a resource (PSI total), since boot.",
);
pub const PRESSURE_RESOURCE: &str = "system.linux.pressure.resource";
pub const PRESSURE_STALL_TYPE: &str = "system.linux.pressure.stall_type";
/// The `/proc/pressure/` files, in emission order; each is also the resource's value.
pub const PRESSURE_RESOURCES: [&str; 4] = ["cpu", "memory", "io", "irq"];
pub const PRESSURE_SOME: &str = "some";
pub const PRESSURE_FULL: &str = "full";

// netclass (§5.5)
pub const HW_NETWORK_UP: Metric<i64> = Metric::new(
    "hw.network.up",
    "1",
    Kind::UpDownCounter,
    "Whether the link is up (1) or not (0).",
);
pub const HW_NETWORK_BANDWIDTH_LIMIT: Metric<i64> = Metric::new(
    "hw.network.bandwidth.limit",
    "By/s",
    Kind::UpDownCounter,
    "Link speed the interface negotiated, in bytes per second.",
);
pub const SYSTEM_NETWORK_LINUX_CARRIER_CHANGES: Metric<i64> = Metric::new(
    "system.network.linux.carrier_changes",
    "{change}",
    Kind::Counter,
    "Times the link carrier went up or down since the interface was created.",
);
/// `hw.id` and `hw.name` of a network interface (both the interface name, §5.5); named for
/// the link so they cannot collide with the hardware keys of other extensions.
pub const LINK_HW_ID: &str = "hw.id";
pub const LINK_HW_NAME: &str = "hw.name";
pub const NETWORK_INTERFACE_NAME: &str = "network.interface.name";

// sockstat (§5.7): sysotlp-defined.
pub const SYSTEM_NETWORK_LINUX_SOCKET_COUNT: Metric<i64> = Metric::new(
    "system.network.linux.socket.count",
    "{socket}",
    Kind::UpDownCounter,
    "Sockets in use, by transport and IP version.",
);
pub const SYSTEM_NETWORK_LINUX_TCP_ORPHAN_COUNT: Metric<i64> = Metric::new(
    "system.network.linux.tcp.orphan.count",
    "{socket}",
    Kind::UpDownCounter,
    "TCP sockets no longer attached to a process, still closing.",
);
pub const SYSTEM_NETWORK_LINUX_SOCKET_MEMORY: Metric<i64> = Metric::new(
    "system.network.linux.socket.memory",
    "By",
    Kind::UpDownCounter,
    "Memory the kernel holds for socket buffers, by transport.",
);
pub const NETWORK_TRANSPORT: &str = "network.transport";
pub const NETWORK_TYPE: &str = "network.type";
pub const UDP: &str = "udp";
pub const UDPLITE: &str = "udplite";
pub const RAW: &str = "raw";
pub const IPV4: &str = "ipv4";
pub const IPV6: &str = "ipv6";

// container (§5.8): the agent's own cgroup v2, a resource of its own.
pub const CONTAINER_CPU_TIME: Metric<f64> = Metric::new(
    "container.cpu.time",
    "s",
    Kind::Counter,
    "CPU time the container's processes spent in user and kernel mode.",
);
pub const CONTAINER_MEMORY_USAGE: Metric<i64> = Metric::new(
    "container.memory.usage",
    "By",
    Kind::UpDownCounter,
    "Memory charged to the container (memory.current), page cache included.",
);
pub const CONTAINER_MEMORY_WORKING_SET: Metric<i64> = Metric::new(
    "container.memory.working_set",
    "By",
    Kind::UpDownCounter,
    "Memory usage minus inactive file cache: what the OOM killer weighs.",
);
pub const CONTAINER_MEMORY_RSS: Metric<i64> = Metric::new(
    "container.memory.rss",
    "By",
    Kind::UpDownCounter,
    "Anonymous memory of the container (heap, stacks).",
);
pub const CONTAINER_MEMORY_AVAILABLE: Metric<i64> = Metric::new(
    "container.memory.available",
    "By",
    Kind::UpDownCounter,
    "Memory limit minus working set (0 once the working set reaches the limit).",
);
pub const CONTAINER_PAGING_FAULTS: Metric<i64> = Metric::new(
    "container.paging.faults",
    "{fault}",
    Kind::Counter,
    "Page faults of the container's processes, major and minor.",
);
pub const CONTAINER_DISK_IO: Metric<i64> = Metric::new(
    "container.disk.io",
    "By",
    Kind::Counter,
    "Bytes the container read from and wrote to each block device.",
);
pub const CONTAINER_UPTIME: Metric<f64> = Metric::new(
    "container.uptime",
    "s",
    Kind::Gauge,
    "Time since the container's first process started.",
);
pub const CONTAINER_CPU_LIMIT: Metric<f64> = Metric::new(
    "container.cpu.limit",
    "{cpu}",
    Kind::UpDownCounter,
    "CPUs the container may use per period (cpu.max quota ÷ period).",
);
pub const CONTAINER_CPU_THROTTLED_TIME: Metric<f64> = Metric::new(
    "container.cpu.throttled.time",
    "s",
    Kind::Counter,
    "Time the container's processes were throttled by the CPU limit.",
);
pub const CONTAINER_MEMORY_LIMIT: Metric<i64> = Metric::new(
    "container.memory.limit",
    "By",
    Kind::UpDownCounter,
    "Memory limit of the container (memory.max).",
);
pub const CONTAINER_MEMORY_OOM_KILLS: Metric<i64> = Metric::new(
    "container.memory.oom_kills",
    "{kill}",
    Kind::Counter,
    "Processes of the container killed by the out-of-memory killer.",
);
pub const CONTAINER_TASK_COUNT: Metric<i64> = Metric::new(
    "container.task.count",
    "{task}",
    Kind::UpDownCounter,
    "Tasks (threads) in the container.",
);
pub const CONTAINER_TASK_LIMIT: Metric<i64> = Metric::new(
    "container.task.limit",
    "{task}",
    Kind::UpDownCounter,
    "Largest number of tasks the container may have (pids.max).",
);
pub const CONTAINER_ID: &str = "container.id";
pub const CPU_MODE: &str = "cpu.mode";
pub const CPU_MODE_USER: &str = "user";
pub const CPU_MODE_SYSTEM: &str = "system";
pub const SYSTEM_PAGING_FAULT_TYPE: &str = "system.paging.fault.type";
pub const DISK_IO_DIRECTION: &str = "disk.io.direction";
pub const SYSTEM_DEVICE: &str = "system.device";
