//! Every metric name, unit, description, kind and attribute key/value sysotlp emits.
//!
//! Reads: nothing. Emits: nothing; collectors take their names from here so no name is ever
//! written inline. `host` holds the hostmetrics collectors' names, `agent` sysotlp's own,
//! `current` their semantic-conventions v1.44 form (`--names semconv`);
//! each collector's `METRICS` list (the registry's) names the ones it emits. Names, units,
//! kinds and value types follow `spec/metrics.md` (hostmetrics on main, semantic conventions
//! v1.44 for extensions). The value type is part of each descriptor's Rust type
//! (`Metric<i64>` → `asInt`, `Metric<f64>` → `asDouble`), so a collector cannot emit the
//! wrong one.

mod agent;
pub mod current;
mod host;
mod hw;
mod linux;
mod process;
mod quirks;
mod textfile;

pub use agent::*;
pub use current::Naming;
pub use host::*;
pub use hw::*;
pub use linux::*;
pub use process::*;
pub use quirks::*;
pub use textfile::*;

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

/// An attribute's value: most are strings, some are ints (`process.pid`,
/// `cpu.logical_number`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrValue<'a> {
    Str(&'a str),
    Int(i64),
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
