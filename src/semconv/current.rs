//! `--names semconv`: the names, units, attribute keys and values of semantic conventions
//! v1.44.0 for the hostmetrics metrics we emit (exporter spec §1, metrics.md §1.2).
//!
//! Reads: nothing. Emits: the rename table the `otlp::Builder` applies as points are written
//! (hostmetrics names stay the source of truth everywhere else: collectors, `--enable`,
//! goldens). Sources: `model/system/metrics.yaml`, `model/process/metrics.yaml` and the
//! registry of semantic-conventions v1.44.0, and its schema file's transformations. A metric
//! semconv defines under another name or unit is renamed; one it lacks keeps its name but
//! takes the registry's attribute keys, so every key in a request follows one convention.
//! README's "Names" table is generated from [`RENAMES`] and checked against the official
//! `opentelemetry-semantic-conventions` package (tests/interop).

use super::AttrValue;

/// Which naming a request follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Naming {
    /// What the Collector's hostmetrics receiver emits today (spec D1).
    #[default]
    Hostmetrics,
    /// Semantic conventions v1.44.0.
    Semconv,
}

impl Naming {
    pub fn parse(text: &str) -> Option<Naming> {
        match text {
            "hostmetrics" => Some(Naming::Hostmetrics),
            "semconv" => Some(Naming::Semconv),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Naming::Hostmetrics => "hostmetrics",
            Naming::Semconv => "semconv",
        }
    }

    /// The schema a request's resources and our scope declare.
    pub fn schema_url(self) -> &'static str {
        match self {
            Naming::Hostmetrics => super::SCHEMA_URL,
            Naming::Semconv => SCHEMA_URL_CURRENT,
        }
    }

    /// How `metric` is written under this naming; `None`: as it is.
    pub fn rename(self, metric: &str) -> Option<&'static Rename> {
        match self {
            Naming::Hostmetrics => None,
            Naming::Semconv => RENAMES.iter().find(|rename| rename.from == metric),
        }
    }
}

pub const SCHEMA_URL_CURRENT: &str = "https://opentelemetry.io/schemas/1.44.0";

/// One hostmetrics metric under semconv names.
#[derive(Debug)]
pub struct Rename {
    /// The hostmetrics name (ours).
    pub from: &'static str,
    /// The semconv name; equal to `from` when semconv defines the metric under that name or
    /// does not define it (see `defined`).
    pub name: &'static str,
    pub unit: &'static str,
    /// False for a metric semconv lacks: it keeps its name; only its attributes change.
    pub defined: bool,
    pub attributes: &'static [Attribute],
}

/// One attribute key of a renamed metric; keys not listed stay as they are.
#[derive(Debug)]
pub struct Attribute {
    pub from: &'static str,
    pub to: &'static str,
    pub values: Values,
}

/// How an attribute's values change.
#[derive(Debug)]
pub enum Values {
    /// Unchanged.
    Same,
    /// Listed values change (`None`: the point is not emitted); others stay. Two values that
    /// become one (softirq into interrupt) have their adjacent points added together.
    Map(&'static [(&'static str, Option<&'static str>)]),
    /// `cpuN` becomes the int `N` (`cpu.logical_number`).
    LogicalNumber,
}

impl Values {
    /// The new value of `value`; `None` to drop the point.
    pub fn map<'a>(&self, value: &'a str) -> Option<AttrValue<'a>> {
        match self {
            Values::Same => Some(AttrValue::Str(value)),
            Values::Map(pairs) => match pairs.iter().find(|(from, _)| *from == value) {
                Some((_, to)) => to.map(AttrValue::Str),
                None => Some(AttrValue::Str(value)),
            },
            Values::LogicalNumber => Some(
                value
                    .strip_prefix("cpu")
                    .and_then(|n| n.parse().ok())
                    .map_or(AttrValue::Str(value), AttrValue::Int),
            ),
        }
    }
}

impl Rename {
    /// The renamed (key, value) of one attribute; `None` to drop the point.
    pub fn attribute<'a>(&self, key: &'a str, value: &'a str) -> Option<(&'a str, AttrValue<'a>)> {
        match self.attributes.iter().find(|a| a.from == key) {
            Some(attribute) => Some((attribute.to, attribute.values.map(value)?)),
            None => Some((key, AttrValue::Str(value))),
        }
    }
}

const fn key(from: &'static str, to: &'static str) -> Attribute {
    Attribute {
        from,
        to,
        values: Values::Same,
    }
}

const fn values(
    from: &'static str,
    to: &'static str,
    pairs: &'static [(&'static str, Option<&'static str>)],
) -> Attribute {
    Attribute {
        from,
        to,
        values: Values::Map(pairs),
    }
}

const fn renamed(
    from: &'static str,
    name: &'static str,
    unit: &'static str,
    attributes: &'static [Attribute],
) -> Rename {
    Rename {
        from,
        name,
        unit,
        defined: true,
        attributes,
    }
}

/// A metric semconv lacks: name and unit stay, attribute keys follow the registry.
const fn kept(from: &'static str, unit: &'static str, attributes: &'static [Attribute]) -> Rename {
    Rename {
        from,
        name: from,
        unit,
        defined: false,
        attributes,
    }
}

const CPU_MODE: Attribute = values(
    "state",
    "cpu.mode",
    &[("wait", Some("iowait")), ("softirq", Some("interrupt"))],
);
const CPU_NUMBER: Attribute = Attribute {
    from: "cpu",
    to: "cpu.logical_number",
    values: Values::LogicalNumber,
};
/// `process.cpu.time` modes are semconv's already (user, system, wait).
const PROCESS_CPU_MODE: Attribute = key("state", "cpu.mode");
const MEMORY_STATE: Attribute = values(
    "state",
    "system.memory.state",
    &[("buffered", Some("buffers"))],
);
const SYSTEM_DEVICE: Attribute = key("device", "system.device");
const DISK_DIRECTION: Attribute = key("direction", "disk.io.direction");
const FS: [Attribute; 5] = [
    SYSTEM_DEVICE,
    key("mode", "system.filesystem.mode"),
    key("mountpoint", "system.filesystem.mountpoint"),
    key("type", "system.filesystem.type"),
    key("state", "system.filesystem.state"),
];
const INTERFACE: Attribute = key("device", "network.interface.name");
const NET_DIRECTION: Attribute = key("direction", "network.io.direction");
const PAGING: [Attribute; 2] = [key("state", "system.paging.state"), SYSTEM_DEVICE];
const FAULT_TYPE: Attribute = key("type", "system.paging.fault.type");
/// The kernel's TCP state names (ours, spec D6) as `network.connection.state` values;
/// DELETE is a Windows state hostmetrics always reports as 0: not emitted.
const TCP_STATES: &[(&str, Option<&str>)] = &[
    ("ESTABLISHED", Some("established")),
    ("SYN_SENT", Some("syn_sent")),
    ("SYN_RECV", Some("syn_received")),
    ("FIN_WAIT_1", Some("fin_wait_1")),
    ("FIN_WAIT_2", Some("fin_wait_2")),
    ("TIME_WAIT", Some("time_wait")),
    ("CLOSE", Some("closed")),
    ("CLOSE_WAIT", Some("close_wait")),
    ("LAST_ACK", Some("last_ack")),
    ("LISTEN", Some("listen")),
    ("CLOSING", Some("closing")),
    ("DELETE", None),
];

/// Every hostmetrics metric whose name, unit or attributes differ under semconv v1.44.0.
pub static RENAMES: &[Rename] = &[
    renamed(
        "system.cpu.time",
        "system.cpu.time",
        "s",
        &[CPU_MODE, CPU_NUMBER],
    ),
    renamed(
        "system.cpu.utilization",
        "system.cpu.utilization",
        "1",
        &[CPU_MODE, CPU_NUMBER],
    ),
    renamed(
        "system.cpu.frequency",
        "system.cpu.frequency",
        "Hz",
        &[CPU_NUMBER],
    ),
    renamed(
        "system.memory.usage",
        "system.memory.usage",
        "By",
        &[MEMORY_STATE],
    ),
    renamed(
        "system.memory.utilization",
        "system.memory.utilization",
        "1",
        &[MEMORY_STATE],
    ),
    renamed(
        "system.linux.memory.available",
        "system.memory.linux.available",
        "By",
        &[],
    ),
    renamed(
        "system.disk.io",
        "system.disk.io",
        "By",
        &[SYSTEM_DEVICE, DISK_DIRECTION],
    ),
    renamed(
        "system.disk.operations",
        "system.disk.operations",
        "{operation}",
        &[SYSTEM_DEVICE, DISK_DIRECTION],
    ),
    renamed(
        "system.disk.io_time",
        "system.disk.io_time",
        "s",
        &[SYSTEM_DEVICE],
    ),
    renamed(
        "system.disk.operation_time",
        "system.disk.operation_time",
        "s",
        &[SYSTEM_DEVICE, DISK_DIRECTION],
    ),
    kept("system.disk.weighted_io_time", "s", &[SYSTEM_DEVICE]),
    kept(
        "system.disk.pending_operations",
        "{operation}",
        &[SYSTEM_DEVICE],
    ),
    renamed(
        "system.disk.merged",
        "system.disk.merged",
        "{operation}",
        &[SYSTEM_DEVICE, DISK_DIRECTION],
    ),
    renamed(
        "system.filesystem.usage",
        "system.filesystem.usage",
        "By",
        &FS,
    ),
    kept("system.filesystem.inodes.usage", "{inode}", &FS),
    renamed(
        "system.filesystem.utilization",
        "system.filesystem.utilization",
        "1",
        &FS,
    ),
    renamed(
        "system.network.packets",
        "system.network.packet.count",
        "{packet}",
        &[SYSTEM_DEVICE, NET_DIRECTION],
    ),
    renamed(
        "system.network.dropped",
        "system.network.packet.dropped",
        "{packet}",
        &[INTERFACE, NET_DIRECTION],
    ),
    renamed(
        "system.network.errors",
        "system.network.errors",
        "{error}",
        &[INTERFACE, NET_DIRECTION],
    ),
    renamed(
        "system.network.io",
        "system.network.io",
        "By",
        &[INTERFACE, NET_DIRECTION],
    ),
    renamed(
        "system.network.connections",
        "system.network.connection.count",
        "{connection}",
        &[
            key("protocol", "network.transport"),
            values("state", "network.connection.state", TCP_STATES),
        ],
    ),
    renamed("system.paging.usage", "system.paging.usage", "By", &PAGING),
    renamed(
        "system.paging.utilization",
        "system.paging.utilization",
        "1",
        &PAGING,
    ),
    renamed(
        "system.paging.operations",
        "system.paging.operations",
        "{operation}",
        &[
            values(
                "direction",
                "system.paging.direction",
                &[("page_in", Some("in")), ("page_out", Some("out"))],
            ),
            FAULT_TYPE,
        ],
    ),
    renamed(
        "system.paging.faults",
        "system.paging.faults",
        "{fault}",
        &[FAULT_TYPE],
    ),
    renamed(
        "system.processes.count",
        "system.process.count",
        "{process}",
        &[values(
            "status",
            "process.state",
            &[("zombies", Some("defunct"))],
        )],
    ),
    renamed(
        "system.processes.created",
        "system.process.created",
        "{process}",
        &[],
    ),
    renamed(
        "process.cpu.time",
        "process.cpu.time",
        "s",
        &[PROCESS_CPU_MODE],
    ),
    renamed(
        "process.cpu.utilization",
        "process.cpu.utilization",
        "1",
        &[PROCESS_CPU_MODE],
    ),
    renamed(
        "process.disk.io",
        "process.disk.io",
        "By",
        &[DISK_DIRECTION],
    ),
    renamed(
        "process.disk.operations",
        "process.disk.operations",
        "{operation}",
        &[DISK_DIRECTION],
    ),
    renamed(
        "process.paging.faults",
        "process.paging.faults",
        "{fault}",
        &[FAULT_TYPE],
    ),
    renamed(
        "process.signals_pending",
        "process.signals_pending",
        "{signal}",
        &[],
    ),
    renamed("process.threads", "process.thread.count", "{thread}", &[]),
    renamed(
        "process.open_file_descriptors",
        "process.unix.file_descriptor.count",
        "{file_descriptor}",
        &[],
    ),
    renamed(
        "process.context_switches",
        "process.context_switches",
        "{context_switch}",
        &[key("type", "process.context_switch.type")],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_map_drop_or_pass_through() {
        let rename = Naming::Semconv
            .rename("system.network.connections")
            .unwrap();
        assert_eq!(
            rename.attribute("state", "SYN_RECV"),
            Some(("network.connection.state", AttrValue::Str("syn_received")))
        );
        assert_eq!(rename.attribute("state", "DELETE"), None);
        assert_eq!(
            rename.attribute("protocol", "tcp"),
            Some(("network.transport", AttrValue::Str("tcp")))
        );
        let cpu = Naming::Semconv.rename("system.cpu.time").unwrap();
        assert_eq!(
            cpu.attribute("cpu", "cpu12"),
            Some(("cpu.logical_number", AttrValue::Int(12)))
        );
        assert_eq!(
            cpu.attribute("state", "user"),
            Some(("cpu.mode", AttrValue::Str("user"))),
            "values not listed pass through"
        );
        assert_eq!(
            cpu.attribute("unlisted", "x"),
            Some(("unlisted", AttrValue::Str("x")))
        );
        assert!(Naming::Hostmetrics.rename("system.cpu.time").is_none());
    }

    #[test]
    fn each_metric_is_renamed_once() {
        for (i, rename) in RENAMES.iter().enumerate() {
            assert!(
                RENAMES[..i].iter().all(|r| r.from != rename.from),
                "{} twice",
                rename.from
            );
            assert!(rename.defined || rename.name == rename.from);
        }
    }

    /// README's table row of `rename`.
    fn row(rename: &Rename) -> String {
        let code = |text: &str| format!("`{text}`");
        let name = if rename.defined {
            code(rename.name)
        } else {
            format!("{} (not in semconv)", code(rename.name))
        };
        let attributes: Vec<String> = rename
            .attributes
            .iter()
            .map(|a| {
                let values = match &a.values {
                    Values::Same => String::new(),
                    Values::LogicalNumber => " (`cpuN` → int N)".to_string(),
                    Values::Map(pairs) => {
                        let pairs: Vec<String> = pairs
                            .iter()
                            .map(|(from, to)| match to {
                                Some(to) => format!("{} → {}", code(from), code(to)),
                                None => format!("{} not sent", code(from)),
                            })
                            .collect();
                        format!(" ({})", pairs.join(", "))
                    }
                };
                format!("{} → {}{values}", code(a.from), code(a.to))
            })
            .collect();
        format!(
            "| {} | {name} | {} | {} |",
            code(rename.from),
            code(rename.unit),
            attributes.join("; ")
        )
    }

    #[test]
    fn names_table_in_readme() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let begin = readme
            .find("<!-- names-table:begin")
            .and_then(|at| readme[at..].find('\n').map(|n| at + n + 1))
            .expect("README has the names table's begin marker");
        let end = readme
            .find("<!-- names-table:end -->")
            .expect("README has the names table's end marker");
        let mut table = String::from(
            "| hostmetrics | `--names semconv` | unit | attributes (values) |\n|---|---|---|---|\n",
        );
        for rename in RENAMES {
            table.push_str(&row(rename));
            table.push('\n');
        }
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            let updated = format!("{}{table}{}", &readme[..begin], &readme[end..]);
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"), updated).unwrap();
        }
        assert_eq!(
            readme[begin..end],
            table,
            "README's names table differs from RENAMES (UPDATE_GOLDEN=1 rewrites it)"
        );
    }
}
