//! The request under construction, reused tick after tick.
//!
//! Reads: points from collectors: `open(&semconv::X)` gives a handle, `point(handle, attrs,
//! value)` writes through it; several metrics may be open at once, so a collector emits
//! every metric of a device as it parses the device's line. `metric(&semconv::X)` is the
//! same for one metric at a time. Points go to the host resource and the `sysotlp` scope
//! unless a collector starts another resource (`resource`: a process, the agent's
//! container; it carries the host attributes too, spec/metrics.md §1.2) or another scope
//! (`scope`); each collector starts on the host's own scope.
//! Emits: the resources, scopes and metrics of one `ExportMetricsServiceRequest`, which
//! `encode` and `json` serialise after `finish`. Every slot (resource, scope, metric, point,
//! attribute, string) is kept and overwritten in place on the next tick, so a host whose set
//! of series is stable allocates nothing here in steady state. Metrics appear in the order
//! they were opened; a metric that got no point is not emitted, nor is a scope or resource
//! without metrics; a metric switched off (`Switches`) takes no points.

use super::{
    AggregationTemporality, AnyValue, Gauge, InstrumentationScope, KeyValue, Metric,
    NumberDataPoint, Resource, Sum, any_value, metric, number_data_point,
};
use crate::semconv::{self, Kind, Switches};
use std::marker::PhantomData;

/// `i64` → `asInt`, `f64` → `asDouble` (spec/metrics.md §1.1: one type per metric).
pub trait PointValue: Copy + semconv::Value + sealed::Sealed + 'static {
    #[doc(hidden)]
    fn to_value(self) -> number_data_point::Value;
}

impl PointValue for i64 {
    fn to_value(self) -> number_data_point::Value {
        number_data_point::Value::AsInt(self)
    }
}

impl PointValue for f64 {
    fn to_value(self) -> number_data_point::Value {
        number_data_point::Value::AsDouble(self)
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for i64 {}
    impl Sealed for f64 {}
}

/// A resource attribute's value: most are strings, some are ints (`process.pid`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AttrValue<'a> {
    Str(&'a str),
    Int(i64),
}

/// An open metric of this tick: where its points go. `None` when the metric is switched
/// off; its points are then dropped. Valid until `finish`.
pub struct Open<V> {
    slot: Option<(usize, usize, usize)>,
    value: PhantomData<fn(V)>,
}

impl<V> Clone for Open<V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<V> Copy for Open<V> {}

/// One scope of a resource and its metrics.
#[derive(Debug, Default)]
pub struct ScopeSlot {
    scope: InstrumentationScope,
    metrics: Vec<Metric>,
    /// Points written this tick into each metric slot.
    lens: Vec<usize>,
    used: usize,
}

impl ScopeSlot {
    pub fn scope(&self) -> &InstrumentationScope {
        &self.scope
    }

    /// This tick's metrics, in the order opened (after `Builder::finish`).
    pub fn metrics(&self) -> &[Metric] {
        self.metrics.get(..self.used).unwrap_or_default()
    }

    /// Puts the metrics that got points first (in open order), cut to this tick's points;
    /// returns how many there are.
    fn compact(&mut self) -> usize {
        let mut kept = 0;
        for index in 0..self.used.min(self.metrics.len()) {
            let len = self.lens.get(index).copied().unwrap_or(0);
            if len == 0 {
                continue;
            }
            if let Some(points) = self.metrics.get_mut(index).and_then(points_of) {
                points.truncate(len);
            }
            self.metrics.swap(kept, index);
            self.lens.swap(kept, index);
            kept += 1;
        }
        self.used = kept;
        kept
    }
}

/// One resource and its scopes.
#[derive(Debug, Default)]
pub struct ResourceSlot {
    resource: Resource,
    scopes: Vec<ScopeSlot>,
    used: usize,
    /// The scope being written.
    current: usize,
}

impl ResourceSlot {
    pub fn resource(&self) -> &Resource {
        &self.resource
    }

    /// This tick's scopes (after `Builder::finish`).
    pub fn scopes(&self) -> &[ScopeSlot] {
        self.scopes.get(..self.used).unwrap_or_default()
    }

    /// Starts the tick with the one default scope.
    fn reset(&mut self) {
        let scope = slot(&mut self.scopes, 0);
        set_str(&mut scope.scope.name, semconv::SCOPE_NAME);
        set_str(&mut scope.scope.version, env!("CARGO_PKG_VERSION"));
        scope.used = 0;
        self.used = 1;
        self.current = 0;
    }

    fn compact(&mut self) -> usize {
        let mut kept = 0;
        for index in 0..self.used.min(self.scopes.len()) {
            let Some(scope) = self.scopes.get_mut(index) else {
                continue;
            };
            if scope.compact() == 0 {
                continue;
            }
            self.scopes.swap(kept, index);
            kept += 1;
        }
        self.used = kept;
        kept
    }
}

/// The host resource, the other resources of this tick, their scopes and metrics.
#[derive(Debug)]
pub struct Builder {
    /// Host attributes, in emission order.
    host: Vec<KeyValue>,
    /// Resource slots; `..used` are this tick's (slot 0 is the host's until `finish`).
    resources: Vec<ResourceSlot>,
    used: usize,
    /// The resource being written.
    current: usize,
    points: usize,
    now_unix_nano: u64,
    start_unix_nano: u64,
    switches: Switches,
    /// `finish` ran since `begin`: `resources` is the request.
    finished: bool,
}

impl Builder {
    /// A builder whose host resource has `attributes`, in emission order. Every metric
    /// follows its default (on or off).
    pub fn new(attributes: &[(String, String)]) -> Builder {
        Self::with_switches(attributes, Switches::default())
    }

    /// Like `new`, with the metrics `--enable` and `--disable` switched.
    pub fn with_switches(attributes: &[(String, String)], switches: Switches) -> Builder {
        let host = attributes
            .iter()
            .map(|(key, value)| KeyValue {
                key: key.clone(),
                value: Some(AnyValue {
                    value: Some(any_value::Value::StringValue(value.clone())),
                }),
            })
            .collect();
        let mut builder = Builder {
            host,
            resources: Vec::new(),
            used: 0,
            current: 0,
            points: 0,
            now_unix_nano: 0,
            start_unix_nano: 0,
            switches,
            finished: true,
        };
        builder.begin(0, 0);
        builder.finished = true;
        builder
    }

    /// Starts a tick: forgets the previous points (keeping their memory), sets the tick's
    /// time and the default start time (boot time) of every point.
    pub fn begin(&mut self, now_unix_nano: u64, start_unix_nano: u64) {
        let host = slot(&mut self.resources, 0);
        set_attributes(&mut host.resource.attributes, &[], &self.host);
        host.reset();
        self.used = 1;
        self.current = 0;
        self.points = 0;
        self.now_unix_nano = now_unix_nano;
        self.start_unix_nano = start_unix_nano;
        self.finished = false;
    }

    /// True when `desc` is on (its default, or switched by `--enable`/`--disable`):
    /// collectors skip computing metrics that are off.
    pub fn enabled(&self, desc: &semconv::Info) -> bool {
        self.switches.is_on(desc)
    }

    /// Writes to the host resource's `sysotlp` scope from here on (each collector starts
    /// there).
    pub fn host(&mut self) {
        self.current = 0;
        if let Some(host) = self.resources.get_mut(0) {
            host.current = 0;
        }
    }

    /// Starts another resource for this tick: `own` attributes (a process's, a container's;
    /// they win over a host attribute of the same key), then the host's. Metrics opened from
    /// here on go to its `sysotlp` scope, until the next `resource` or `host`.
    pub fn resource(&mut self, own: &[(&'static str, AttrValue<'_>)]) {
        let index = self.used;
        self.used += 1;
        self.current = index;
        let resource = slot(&mut self.resources, index);
        set_attributes(&mut resource.resource.attributes, own, &self.host);
        resource.reset();
    }

    /// Writes to the scope `name` (version `version`) of the current resource from here
    /// on, created on first use this tick.
    pub fn scope(&mut self, name: &str, version: &str) {
        let Some(resource) = self.resources.get_mut(self.current) else {
            return;
        };
        let found = resource
            .scopes
            .get(..resource.used)
            .unwrap_or_default()
            .iter()
            .position(|s| s.scope.name == name);
        let index = found.unwrap_or_else(|| {
            let index = resource.used;
            resource.used += 1;
            let scope = slot(&mut resource.scopes, index);
            set_str(&mut scope.scope.name, name);
            set_str(&mut scope.scope.version, version);
            scope.used = 0;
            index
        });
        resource.current = index;
    }

    /// Opens `desc` for this tick's points in the current resource and scope. Open each
    /// metric once per tick and scope.
    pub fn open<V: PointValue>(&mut self, desc: &'static semconv::Metric<V>) -> Open<V> {
        let closed = Open {
            slot: None,
            value: PhantomData,
        };
        if !self.enabled(desc) {
            return closed;
        }
        let (r, s) = match self.resources.get(self.current) {
            Some(resource) => (self.current, resource.current),
            None => return closed,
        };
        let Some(scope) = self
            .resources
            .get_mut(r)
            .and_then(|resource| resource.scopes.get_mut(s))
        else {
            return closed;
        };
        let index = scope.used;
        scope.used += 1;
        *slot(&mut scope.lens, index) = 0;
        let metric = slot(&mut scope.metrics, index);
        set_str(&mut metric.name, desc.name);
        set_str(&mut metric.description, desc.description);
        set_str(&mut metric.unit, desc.unit);
        let monotonic = desc.kind == Kind::Counter;
        match (&mut metric.data, desc.kind) {
            (Some(metric::Data::Gauge(_)), Kind::Gauge) => {}
            (Some(metric::Data::Sum(sum)), Kind::Counter | Kind::UpDownCounter) => {
                sum.is_monotonic = monotonic
            }
            (data, Kind::Gauge) => *data = Some(metric::Data::Gauge(Gauge::default())),
            (data, Kind::Counter | Kind::UpDownCounter) => {
                *data = Some(metric::Data::Sum(Sum {
                    data_points: Vec::new(),
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                    is_monotonic: monotonic,
                }))
            }
        }
        Open {
            slot: Some((r, s, index)),
            value: PhantomData,
        }
    }

    /// A point of `metric` starting at boot time. `attributes` are (key, value) pairs, keys
    /// from semconv.
    pub fn point<V: PointValue>(
        &mut self,
        metric: Open<V>,
        attributes: &[(&'static str, &str)],
        value: V,
    ) {
        let start = self.start_unix_nano;
        self.point_since(metric, start, attributes, value);
    }

    /// A point whose series started at `start_unix_nano` (hot-plug, reset, per process).
    pub fn point_since<V: PointValue>(
        &mut self,
        metric: Open<V>,
        start_unix_nano: u64,
        attributes: &[(&'static str, &str)],
        value: V,
    ) {
        let Some((r, s, m)) = metric.slot else {
            return;
        };
        let now = self.now_unix_nano;
        let Some(scope) = self
            .resources
            .get_mut(r)
            .and_then(|resource| resource.scopes.get_mut(s))
        else {
            return;
        };
        let Some(len) = scope.lens.get_mut(m) else {
            return;
        };
        let Some(points) = scope.metrics.get_mut(m).and_then(points_of) else {
            return;
        };
        let point = slot(points, *len);
        point.start_time_unix_nano = start_unix_nano;
        point.time_unix_nano = now;
        point.value = Some(value.to_value());
        point.flags = 0;
        set_point_attributes(&mut point.attributes, attributes);
        *len += 1;
        self.points += 1;
    }

    /// A writer for one metric's points: `out.metric(&semconv::X).point(attrs, value)`.
    pub fn metric<V: PointValue>(
        &mut self,
        desc: &'static semconv::Metric<V>,
    ) -> MetricWriter<'_, V> {
        let metric = self.open(desc);
        MetricWriter {
            builder: self,
            metric,
        }
    }

    /// Ends the tick: drops the points left over from a bigger earlier tick, and keeps the
    /// metrics, scopes and resources that got points, in order, so `resources` is the
    /// request.
    pub fn finish(&mut self) {
        let mut kept = 0;
        for index in 0..self.used.min(self.resources.len()) {
            let Some(resource) = self.resources.get_mut(index) else {
                continue;
            };
            if resource.compact() == 0 {
                continue;
            }
            self.resources.swap(kept, index);
            kept += 1;
        }
        self.used = kept;
        self.current = 0;
        self.finished = true;
    }

    /// This tick's resources (after `finish`).
    pub fn resources(&self) -> &[ResourceSlot] {
        debug_assert!(self.finished, "Builder::resources before finish");
        self.resources.get(..self.used).unwrap_or_default()
    }

    /// The host's own metrics (the `sysotlp` scope of the host resource), after `finish`:
    /// what a collector's unit test looks at.
    pub fn metrics(&self) -> &[Metric] {
        self.resources()
            .iter()
            .find(|r| r.resource.attributes == self.host)
            .and_then(|r| {
                r.scopes()
                    .iter()
                    .find(|s| s.scope.name == semconv::SCOPE_NAME)
            })
            .map_or(&[], ScopeSlot::metrics)
    }

    /// Data points written this tick.
    pub fn point_count(&self) -> usize {
        self.points
    }
}

/// Writes the points of one metric; see [`Builder::metric`].
pub struct MetricWriter<'a, V: PointValue> {
    builder: &'a mut Builder,
    metric: Open<V>,
}

impl<V: PointValue> MetricWriter<'_, V> {
    /// A point starting at boot time. `attributes` are (key, value) pairs, keys from semconv.
    pub fn point(&mut self, attributes: &[(&'static str, &str)], value: V) {
        self.builder.point(self.metric, attributes, value);
    }

    /// A point whose series started at `start_unix_nano` (hot-plug, reset, per process).
    pub fn point_since(
        &mut self,
        start_unix_nano: u64,
        attributes: &[(&'static str, &str)],
        value: V,
    ) {
        self.builder
            .point_since(self.metric, start_unix_nano, attributes, value);
    }
}

fn points_of(metric: &mut Metric) -> Option<&mut Vec<NumberDataPoint>> {
    match &mut metric.data {
        Some(metric::Data::Gauge(gauge)) => Some(&mut gauge.data_points),
        Some(metric::Data::Sum(sum)) => Some(&mut sum.data_points),
        None => None,
    }
}

/// Element `index` of `vec`, created if the vector is shorter.
fn slot<T: Default>(vec: &mut Vec<T>, index: usize) -> &mut T {
    if index >= vec.len() {
        vec.resize_with(index + 1, T::default);
    }
    &mut vec[index]
}

fn set_str(target: &mut String, value: &str) {
    if target != value {
        target.clear();
        target.push_str(value);
    }
}

fn set_point_attributes(target: &mut Vec<KeyValue>, attributes: &[(&'static str, &str)]) {
    target.truncate(attributes.len());
    for (index, (key, value)) in attributes.iter().enumerate() {
        let kv = slot(target, index);
        set_str(&mut kv.key, key);
        set_string_value(kv, value);
    }
}

/// A resource's attributes: `own` first, then those of `host` whose key `own` lacks.
fn set_attributes(
    target: &mut Vec<KeyValue>,
    own: &[(&'static str, AttrValue<'_>)],
    host: &[KeyValue],
) {
    let mut index = 0;
    for (key, value) in own {
        let kv = slot(target, index);
        set_str(&mut kv.key, key);
        match value {
            AttrValue::Str(text) => set_string_value(kv, text),
            AttrValue::Int(number) => {
                kv.value.get_or_insert_with(AnyValue::default).value =
                    Some(any_value::Value::IntValue(*number));
            }
        }
        index += 1;
    }
    for kv in host {
        if own.iter().any(|(key, _)| *key == kv.key) {
            continue;
        }
        let target_kv = slot(target, index);
        set_str(&mut target_kv.key, &kv.key);
        match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
            Some(any_value::Value::StringValue(text)) => set_string_value(target_kv, text),
            other => {
                target_kv.value = Some(AnyValue {
                    value: other.cloned(),
                })
            }
        }
        index += 1;
    }
    target.truncate(index);
}

fn set_string_value(kv: &mut KeyValue, value: &str) {
    let any = kv.value.get_or_insert_with(AnyValue::default);
    match &mut any.value {
        Some(any_value::Value::StringValue(s)) => set_str(s, value),
        other => *other = Some(any_value::Value::StringValue(value.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semconv::{SYSTEM_CPU_LOGICAL_COUNT, SYSTEM_CPU_TIME, SYSTEM_UPTIME};

    fn points(m: &Metric) -> &[NumberDataPoint] {
        match &m.data {
            Some(metric::Data::Gauge(g)) => &g.data_points,
            Some(metric::Data::Sum(s)) => &s.data_points,
            None => &[],
        }
    }

    #[test]
    fn kinds_map_to_sum_and_gauge() {
        let mut b = Builder::new(&[("host.name".into(), "h".into())]);
        b.begin(10, 1);
        b.metric(&SYSTEM_CPU_TIME).point(&[("state", "user")], 1.5);
        b.metric(&SYSTEM_CPU_LOGICAL_COUNT).point(&[], 4);
        b.metric(&SYSTEM_UPTIME).point_since(7, &[], 9.0);
        b.finish();
        let m = b.metrics();
        assert_eq!(m.len(), 3);
        match &m[0].data {
            Some(metric::Data::Sum(s)) => {
                assert!(s.is_monotonic);
                assert_eq!(
                    s.aggregation_temporality,
                    AggregationTemporality::Cumulative as i32
                );
            }
            other => panic!("cpu.time is a monotonic sum, got {other:?}"),
        }
        match &m[1].data {
            Some(metric::Data::Sum(s)) => assert!(!s.is_monotonic),
            other => panic!("logical.count is a non-monotonic sum, got {other:?}"),
        }
        assert!(matches!(m[2].data, Some(metric::Data::Gauge(_))));
        assert_eq!(
            points(&m[1])[0].value,
            Some(number_data_point::Value::AsInt(4))
        );
        assert_eq!(
            points(&m[0])[0].value,
            Some(number_data_point::Value::AsDouble(1.5))
        );
        assert_eq!(
            (
                points(&m[0])[0].start_time_unix_nano,
                points(&m[0])[0].time_unix_nano
            ),
            (1, 10)
        );
        assert_eq!(points(&m[2])[0].start_time_unix_nano, 7);
        assert_eq!(b.point_count(), 3);
    }

    #[test]
    fn a_metric_without_points_is_not_emitted() {
        let mut b = Builder::new(&[]);
        b.begin(1, 1);
        {
            let _unused = b.metric(&SYSTEM_CPU_TIME);
        }
        b.metric(&SYSTEM_UPTIME).point(&[], 1.0);
        b.finish();
        assert_eq!(b.metrics().len(), 1);
        assert_eq!(b.metrics()[0].name, "system.uptime");
    }

    #[test]
    fn disabled_metrics_are_dropped() {
        let switches = Switches {
            on: vec![],
            off: vec!["system.uptime"],
        };
        let mut b = Builder::with_switches(&[], switches);
        b.begin(1, 1);
        assert!(!b.enabled(&SYSTEM_UPTIME));
        b.metric(&SYSTEM_UPTIME).point(&[], 1.0);
        b.metric(&SYSTEM_CPU_LOGICAL_COUNT).point(&[], 2);
        b.finish();
        assert_eq!(b.metrics().len(), 1);
        assert_eq!(b.point_count(), 1);
    }

    #[test]
    fn next_tick_reuses_slots_and_drops_stale_points() {
        let mut b = Builder::new(&[]);
        b.begin(1, 0);
        {
            let mut w = b.metric(&SYSTEM_CPU_TIME);
            w.point(&[("cpu", "cpu0"), ("state", "user")], 1.0);
            w.point(&[("cpu", "cpu1"), ("state", "user")], 2.0);
        }
        b.metric(&SYSTEM_UPTIME).point(&[], 1.0);
        b.finish();
        b.begin(2, 0);
        b.metric(&SYSTEM_CPU_TIME).point(&[("state", "idle")], 3.0);
        b.finish();
        let m = b.metrics();
        assert_eq!(m.len(), 1, "uptime was not written this tick");
        let p = points(&m[0]);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].attributes.len(), 1);
        assert_eq!(p[0].attributes[0].key, "state");
        assert_eq!(
            p[0].attributes[0].value,
            Some(AnyValue {
                value: Some(any_value::Value::StringValue("idle".into()))
            })
        );
        assert_eq!(p[0].time_unix_nano, 2);
    }

    #[test]
    fn several_metrics_take_points_at_once_and_keep_open_order() {
        let mut b = Builder::new(&[]);
        b.begin(5, 1);
        let time = b.open(&SYSTEM_CPU_TIME);
        let empty = b.open(&SYSTEM_UPTIME);
        let count = b.open(&SYSTEM_CPU_LOGICAL_COUNT);
        for (cpu, value) in [("cpu0", 1.0), ("cpu1", 2.0)] {
            b.point(count, &[("cpu", cpu)], 1);
            b.point(time, &[("cpu", cpu)], value);
        }
        let _ = empty;
        b.finish();
        let names: Vec<&str> = b.metrics().iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["system.cpu.time", "system.cpu.logical.count"]);
        assert_eq!(points(&b.metrics()[0]).len(), 2);
        assert_eq!(
            points(&b.metrics()[0])[1].value,
            Some(number_data_point::Value::AsDouble(2.0))
        );
        assert_eq!(b.point_count(), 4);
    }

    #[test]
    fn off_by_default_metrics_need_enable() {
        use crate::semconv::SYSTEM_PAGING_UTILIZATION;
        let b = Builder::new(&[]);
        assert!(!b.enabled(&SYSTEM_PAGING_UTILIZATION));
        let on = Switches {
            on: vec!["system.paging.utilization"],
            off: vec![],
        };
        assert!(Builder::with_switches(&[], on).enabled(&SYSTEM_PAGING_UTILIZATION));
    }

    fn attrs(r: &ResourceSlot) -> Vec<String> {
        r.resource()
            .attributes
            .iter()
            .map(
                |kv| match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                    Some(any_value::Value::StringValue(s)) => format!("{}={s}", kv.key),
                    Some(any_value::Value::IntValue(i)) => format!("{}={i}", kv.key),
                    other => format!("{}={other:?}", kv.key),
                },
            )
            .collect()
    }

    #[test]
    fn other_resources_carry_the_host_attributes_after_their_own() {
        let host = [
            ("host.name".to_string(), "pi".to_string()),
            ("process.pid".to_string(), "user-set".to_string()),
        ];
        let mut b = Builder::new(&host);
        b.begin(10, 1);
        b.metric(&SYSTEM_UPTIME).point(&[], 1.0);
        b.resource(&[
            ("process.pid", AttrValue::Int(42)),
            ("process.owner", AttrValue::Str("root")),
        ]);
        b.metric(&SYSTEM_UPTIME).point(&[], 2.0);
        b.host();
        b.metric(&SYSTEM_CPU_LOGICAL_COUNT).point(&[], 4);
        b.finish();
        let r = b.resources();
        assert_eq!(r.len(), 2);
        assert_eq!(attrs(&r[0]), ["host.name=pi", "process.pid=user-set"]);
        assert_eq!(
            attrs(&r[1]),
            ["process.pid=42", "process.owner=root", "host.name=pi"],
            "own attributes first; the user's process.pid never replaces the real one"
        );
        let names: Vec<&str> = b.metrics().iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["system.uptime", "system.cpu.logical.count"]);
        assert_eq!(points(&r[1].scopes()[0].metrics()[0])[0].time_unix_nano, 10);
    }

    #[test]
    fn empty_resources_and_scopes_are_not_emitted_and_slots_are_reused() {
        let mut b = Builder::new(&[("host.name".into(), "h".into())]);
        for tick in 1..=3 {
            b.begin(tick, 0);
            b.resource(&[("process.pid", AttrValue::Int(1))]);
            b.scope("textfile", "");
            let _nothing = b.open(&SYSTEM_UPTIME);
            b.resource(&[("process.pid", AttrValue::Int(2))]);
            b.metric(&SYSTEM_UPTIME).point(&[], tick as f64);
            b.finish();
            let r = b.resources();
            assert_eq!(r.len(), 1, "tick {tick}: only pid 2 has points");
            assert_eq!(attrs(&r[0])[0], "process.pid=2");
            assert_eq!(r[0].scopes().len(), 1);
            assert_eq!(r[0].scopes()[0].scope().name, "sysotlp");
        }
        b.begin(4, 0);
        b.metric(&SYSTEM_UPTIME).point(&[], 4.0);
        b.finish();
        assert_eq!(
            attrs(&b.resources()[0]),
            ["host.name=h"],
            "the host slot is the host's again after a tick without host points"
        );
    }

    #[test]
    fn a_scope_is_created_once_per_tick_and_named() {
        let mut b = Builder::new(&[]);
        b.begin(1, 0);
        b.scope("textfile", "");
        b.metric(&SYSTEM_UPTIME).point(&[], 1.0);
        b.host();
        b.metric(&SYSTEM_CPU_LOGICAL_COUNT).point(&[], 1);
        b.scope("textfile", "");
        b.metric(&SYSTEM_CPU_TIME).point(&[], 1.0);
        b.finish();
        let scopes = b.resources()[0].scopes();
        let names: Vec<(&str, usize)> = scopes
            .iter()
            .map(|s| (s.scope().name.as_str(), s.metrics().len()))
            .collect();
        assert_eq!(names, [("sysotlp", 1), ("textfile", 2)]);
    }
}
