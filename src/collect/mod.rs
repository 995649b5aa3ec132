//! The collectors, their registry, and the kit they share.
//!
//! Reads: through `Source` only (each collector names its files).
//! Emits: points into the `otlp::Builder`, in registry order (the table order of
//! spec/metrics.md §3), each collector's points in kernel order.
//! The registry is the one place that lists collectors: `--collectors`, `--help`, `--check`,
//! README's table (checked by a test) and the tests' metric lists come from it. The kit:
//! `error` (`CollectError`, `read_required`), `text` (shared `/proc` text parsers),
//! `counter` (wraps, resets, `to_int`), `report::Once` for one-time notes.

pub mod agent;
pub mod cap;
pub mod container;
pub mod counter;
pub mod cpu;
pub mod disk;
pub mod error;
pub mod filefd;
pub mod filesystem;
#[cfg(test)]
pub mod garbage;
pub mod listing;
pub mod load;
pub mod memory;
pub mod netclass;
pub mod network;
pub mod paging;
pub mod power;
pub mod pressure;
pub mod process;
pub mod processes;
pub mod sockstat;
pub mod system;
pub mod text;
pub mod textfile;
pub mod thermal;

pub use error::{CollectError, Problem, read_required, required_stat, required_vmstat};

use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::semconv::{self, Info, Switches};
use crate::source::Source;
use crate::telemetry::Telemetry;
use std::cell::RefCell;
use std::rc::Rc;

/// One collector: a module with one job (STYLE.md §2).
pub trait Collect {
    /// Appends this tick's points; may append some and still return `Err` (a bad line for
    /// one device skips that device and is reported).
    fn collect(&mut self, src: &Source, tick: &Tick, out: &mut Builder)
    -> Result<(), CollectError>;

    /// Appends the next batch of this tick's resources, already read by `collect`, after
    /// the builder sent the previous one (`Builder::begin_more`); false when there is none.
    /// For a collector of many resources (`process`), so the builder holds one batch of
    /// them, not all.
    fn collect_more(&mut self, _tick: &Tick, _out: &mut Builder) -> bool {
        false
    }
}

/// Every collector's options; each type and its defaults live in the collector's module.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub cpu: cpu::Options,
    pub load: load::Options,
    pub disk: disk::Options,
    pub filesystem: filesystem::Options,
    pub network: network::Options,
    pub process: process::Options,
    pub textfile: textfile::Options,
    pub container: container::Options,
    /// `--hostmetrics-quirks` (spec/metrics.md D12): emit the values of the Collector's
    /// hostmetrics receiver where they differ from ours. Read by `memory`, `network`,
    /// `paging` and `processes` (README "Side by side with hostmetrics"); `process` is to read
    /// it for `process.disk.io` from `rchar`/`wchar`.
    pub hostmetrics_quirks: bool,
}

/// What a collector is built from.
pub struct Context<'a> {
    pub src: &'a Source,
    pub options: &'a Options,
    pub telemetry: &'a Rc<RefCell<Telemetry>>,
    /// The collector was named in `--collectors` or `--enable` (not only defaulted on).
    pub named: bool,
    /// The tick's one walk of `<root>/proc/[pid]`, shared by `processes` and `process`.
    pub walk: &'a process::walk::SharedWalk,
    /// Which metrics are on (`--enable`, `--disable`).
    pub metrics: &'a Switches,
}

/// One registry row.
pub struct Row {
    /// The `--collectors` name, used in logs and self-metrics.
    pub name: &'static str,
    /// Runs unless `--collectors` or `--disable` leave it out.
    pub on_by_default: bool,
    /// One line for `--help`.
    pub about: &'static str,
    /// Every metric it can emit, in emission order (off-by-default ones included).
    pub metrics: &'static [&'static Info],
    /// The collector, or `None` where it does not apply (`agent` in fixture mode unless named).
    pub build: fn(&Context) -> Option<Box<dyn Collect>>,
}

/// Every collector, in the order they run and emit (spec/metrics.md table order).
pub const REGISTRY: &[Row] = &[
    Row {
        name: "cpu",
        on_by_default: true,
        about: "CPU time by state, logical CPU count",
        metrics: cpu::METRICS,
        build: |c| Some(Box::new(cpu::Cpu::new(c.src, &c.options.cpu))),
    },
    Row {
        name: "memory",
        on_by_default: true,
        about: "memory by state, slab, total, OOM kills",
        metrics: memory::METRICS,
        build: |c| {
            Some(Box::new(memory::Memory::new(
                c.src,
                c.options.hostmetrics_quirks,
            )))
        },
    },
    Row {
        name: "load",
        on_by_default: true,
        about: "load averages",
        metrics: load::METRICS,
        build: |c| Some(Box::new(load::Load::new(c.src, &c.options.load))),
    },
    Row {
        name: "disk",
        on_by_default: true,
        about: "block device I/O",
        metrics: disk::METRICS,
        build: |c| Some(Box::new(disk::Disk::new(c.src, &c.options.disk))),
    },
    Row {
        name: "filesystem",
        on_by_default: true,
        about: "space and inodes of mounted file systems",
        metrics: filesystem::METRICS,
        build: |c| {
            Some(Box::new(filesystem::Filesystem::new(
                c.src,
                &c.options.filesystem,
            )))
        },
    },
    Row {
        name: "network",
        on_by_default: true,
        about: "interface traffic, TCP states, conntrack",
        metrics: network::METRICS,
        build: |c| {
            Some(Box::new(network::Network::new(
                c.src,
                &c.options.network,
                c.options.hostmetrics_quirks,
            )))
        },
    },
    Row {
        name: "paging",
        on_by_default: true,
        about: "swap space, paging and faults",
        metrics: paging::METRICS,
        build: |c| {
            Some(Box::new(paging::Paging::new(
                c.src,
                c.options.hostmetrics_quirks,
            )))
        },
    },
    Row {
        name: "processes",
        on_by_default: true,
        about: "processes by status, forks",
        metrics: processes::METRICS,
        build: |c| {
            Some(Box::new(processes::Processes::new(
                c.src,
                Rc::clone(c.walk),
                c.options.hostmetrics_quirks,
            )))
        },
    },
    Row {
        name: "process",
        on_by_default: false,
        about: "per-process resources: CPU, memory, disk I/O of the largest N",
        metrics: process::METRICS,
        build: |c| {
            Some(Box::new(process::Process::new(
                c.src,
                &c.options.process,
                Rc::clone(c.walk),
                c.options.hostmetrics_quirks,
                c.metrics.is_on(&semconv::PROCESS_CPU_UTILIZATION.info),
            )))
        },
    },
    Row {
        name: "system",
        on_by_default: true,
        about: "uptime",
        metrics: system::METRICS,
        build: |c| Some(Box::new(system::System::new(c.src))),
    },
    Row {
        name: "pressure",
        on_by_default: true,
        about: "pressure stall time of CPU, memory, I/O and IRQ",
        metrics: pressure::METRICS,
        build: |c| Some(Box::new(pressure::Pressure::new(c.src))),
    },
    Row {
        name: "thermal",
        on_by_default: true,
        about: "hwmon and thermal zone temperatures",
        metrics: thermal::METRICS,
        build: |c| Some(Box::new(thermal::Thermal::new(c.src))),
    },
    Row {
        name: "filefd",
        on_by_default: true,
        about: "open file handles and their limit",
        metrics: filefd::METRICS,
        build: |c| Some(Box::new(filefd::Filefd::new(c.src))),
    },
    Row {
        name: "netclass",
        on_by_default: true,
        about: "link up, speed and carrier changes per interface",
        metrics: netclass::METRICS,
        build: |c| {
            Some(Box::new(netclass::Netclass::new(
                c.src,
                &c.options.network.filter,
            )))
        },
    },
    Row {
        name: "power",
        on_by_default: true,
        about: "batteries and mains supplies (where there are any)",
        metrics: power::METRICS,
        build: |c| power::Power::build(c.src).map(|p| Box::new(p) as Box<dyn Collect>),
    },
    Row {
        name: "sockstat",
        on_by_default: false,
        about: "sockets in use, orphaned TCP sockets, socket memory",
        metrics: sockstat::METRICS,
        build: |c| Some(Box::new(sockstat::Sockstat::new(c.src))),
    },
    Row {
        name: "container",
        on_by_default: true,
        about: "the agent's own cgroup v2 container (only when detected)",
        metrics: container::METRICS,
        build: |c| {
            container::Container::detect(c.src, &c.options.container, c.named)
                .map(|collector| Box::new(collector) as Box<dyn Collect>)
        },
    },
    Row {
        name: "textfile",
        on_by_default: true,
        about: "Prometheus text files of --textfile-dir (runs only with it)",
        metrics: textfile::METRICS,
        build: |c| {
            textfile::Textfile::new(&c.options.textfile).map(|t| Box::new(t) as Box<dyn Collect>)
        },
    },
    Row {
        name: "agent",
        on_by_default: true,
        about: "sysotlp's own health (with a fixture root only when named)",
        metrics: agent::METRICS,
        build: |c| {
            // Live process values: meaningless next to a fixture's fixed data.
            (!c.src.is_fixture() || c.named)
                .then(|| Box::new(agent::Agent::new(Rc::clone(c.telemetry))) as Box<dyn Collect>)
        },
    },
];

/// The registry row named `name`.
pub fn row(name: &str) -> Option<&'static Row> {
    REGISTRY.iter().find(|r| r.name == name)
}

/// The metric named `name` (its hostmetrics or its semconv name), from any collector.
pub fn metric(name: &str) -> Option<&'static Info> {
    let by_name = |name: &str| {
        REGISTRY
            .iter()
            .flat_map(|r| r.metrics.iter().copied())
            .find(|m| m.name == name)
    };
    // `--enable system.network.connection.count` means the metric whatever `--names`.
    by_name(name).or_else(|| {
        let renamed = semconv::current::RENAMES.iter().find(|r| r.name == name)?;
        by_name(renamed.from)
    })
}

/// What runs: the collectors chosen, those named explicitly, which metrics are switched, and
/// every collector's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Registry names, in registry order.
    pub collectors: Vec<&'static str>,
    /// Names given in `--collectors` or `--enable`.
    pub named: Vec<&'static str>,
    pub metrics: Switches,
    pub options: Options,
}

impl Default for Selection {
    /// Every collector that is on by default, with default options.
    fn default() -> Self {
        Selection {
            collectors: REGISTRY
                .iter()
                .filter(|r| r.on_by_default)
                .map(|r| r.name)
                .collect(),
            named: Vec::new(),
            metrics: Switches::default(),
            options: Options::default(),
        }
    }
}

/// The collectors `selection` asks for, with their names, in registry order.
pub fn build(
    selection: &Selection,
    src: &Source,
    telemetry: &Rc<RefCell<Telemetry>>,
) -> Vec<(&'static str, Box<dyn Collect>)> {
    let walk = process::walk::Walk::shared(src);
    REGISTRY
        .iter()
        .filter(|row| selection.collectors.contains(&row.name))
        .filter_map(|row| {
            let context = Context {
                src,
                options: &selection.options,
                telemetry,
                named: selection.named.contains(&row.name),
                walk: &walk,
                metrics: &selection.metrics,
            };
            (row.build)(&context).map(|collector| (row.name, collector))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every `pub const X: Metric<…>` of `src/semconv/*.rs`, read from the source text.
    fn semconv_constants() -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/semconv");
        let mut constants = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            constants.extend(
                source
                    .lines()
                    .filter_map(|line| line.strip_prefix("pub const "))
                    .filter(|rest| rest.contains(": Metric<"))
                    .filter_map(|rest| rest.split(':').next())
                    .map(str::to_string),
            );
        }
        constants
    }

    #[test]
    fn every_semconv_metric_belongs_to_exactly_one_collector() {
        let listed: Vec<&str> = REGISTRY
            .iter()
            .flat_map(|r| r.metrics.iter().map(|m| m.name))
            .collect();
        let unique: BTreeSet<&str> = listed.iter().copied().collect();
        assert_eq!(
            unique.len(),
            listed.len(),
            "a metric in two rows: {listed:?}"
        );
        // Every listed `Info` is a semconv constant's (only semconv can make one) and the
        // names are unique, so equal counts mean every constant is listed.
        let constants = semconv_constants();
        assert!(constants.len() > 40, "{constants:?}");
        assert_eq!(
            listed.len(),
            constants.len(),
            "semconv/ has {} metric constants, the registry lists {}: a constant is missing from its collector's METRICS",
            constants.len(),
            listed.len()
        );
    }

    #[test]
    fn names_are_unique_and_lookups_find_them() {
        let names: BTreeSet<&str> = REGISTRY.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), REGISTRY.len());
        assert_eq!(row("disk").map(|r| r.name), Some("disk"));
        assert!(row("gpu").is_none());
        assert_eq!(
            metric("system.paging.utilization").map(|m| m.on_by_default),
            Some(false)
        );
        assert!(metric("system.gpu.time").is_none());
    }

    #[test]
    fn readme_lists_every_collector_with_its_default() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let table = readme
            .split("## What it collects")
            .nth(1)
            .expect("README has \"## What it collects\"");
        let rows: Vec<(&str, &str)> = table
            .lines()
            .skip_while(|l| !l.starts_with("| `"))
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let name = cells.get(1)?.trim_matches('`');
                Some((name, *cells.get(cells.len().checked_sub(2)?)?))
            })
            .collect();
        let names: Vec<&str> = rows.iter().map(|(n, _)| *n).collect();
        let registry: Vec<&str> = REGISTRY.iter().map(|r| r.name).collect();
        assert_eq!(
            names, registry,
            "README table rows vs the registry, in order"
        );
        for ((name, default), row) in rows.iter().zip(REGISTRY) {
            let on = if row.on_by_default { "on" } else { "off" };
            assert!(
                default.starts_with(on),
                "README says {name} is \"{default}\", the registry says {on}"
            );
        }
    }
}
