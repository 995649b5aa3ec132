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

mod delta;
mod distribution;
mod shape;
mod slots;

pub use delta::Temporality;
pub use distribution::{HistogramValues, OpenHistogram, OpenSummary};
pub use shape::{Named, PointValue};
pub use slots::{ResourceSlot, ScopeSlot};

use delta::Deltas;
use shape::{PROMETHEUS_TYPE, Shape};
use slots::{
    fold_into_previous, points_of, set_attributes, set_point_attributes, set_str,
    set_string_attributes, set_string_value, slot,
};

use super::{AnyValue, KeyValue, Metric, any_value};
pub use crate::semconv::AttrValue;
use crate::semconv::{self, Kind, Naming, Switches, current::Rename};
use std::marker::PhantomData;

/// How points are written: Counter temporality and metric naming (exporter spec §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Output {
    pub temporality: Temporality,
    pub naming: Naming,
}

/// An open metric of this tick: where its points go. `None` when the metric is switched
/// off; its points are then dropped. Valid until `finish`.
#[derive(Debug)]
pub struct Open<V> {
    slot: Option<(usize, usize, usize)>,
    /// How its points' attributes change under `--names semconv`.
    rename: Option<&'static Rename>,
    value: PhantomData<fn(V)>,
}

impl<V> Clone for Open<V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<V> Copy for Open<V> {}

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
    output: Output,
    /// Counter state between ticks (`--temporality delta` only).
    deltas: Deltas,
    /// `finish` ran since `begin`: `resources` is the request.
    finished: bool,
    /// 1 when the host's resource (slot 0) has no metrics and is not in the request.
    first: usize,
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
            output: Output::default(),
            deltas: Deltas::default(),
            finished: true,
            first: 0,
        };
        builder.begin(0, 0);
        builder.finished = true;
        builder
    }

    /// This builder writing Counters with `output.temporality` and names of
    /// `output.naming`.
    pub fn with_output(mut self, output: Output) -> Builder {
        self.output = output;
        self.begin(0, 0);
        self.finished = true;
        self
    }

    /// The schema the request's resources and our scope declare.
    pub fn schema_url(&self) -> &'static str {
        self.output.naming.schema_url()
    }

    /// Starts a tick: forgets the previous points (keeping their memory), sets the tick's
    /// time and the default start time (boot time) of every point.
    pub fn begin(&mut self, now_unix_nano: u64, start_unix_nano: u64) {
        let schema_url = self.schema_url();
        let host = slot(&mut self.resources, 0);
        host.own = set_attributes(&mut host.resource.attributes, &[], &self.host);
        host.with_host = false;
        host.reset(schema_url);
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
        let schema_url = self.schema_url();
        let resource = slot(&mut self.resources, index);
        resource.own = set_attributes(&mut resource.resource.attributes, own, &[]);
        resource.with_host = true;
        resource.reset(schema_url);
    }

    /// Writes to the scope `name` (version `version`) of the current resource from here
    /// on, created on first use this tick; its metrics follow no schema of ours.
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
            scope.schema_url = "";
            scope.used = 0;
            index
        });
        resource.current = index;
    }

    /// Opens `desc` for this tick's points in the current resource and scope. Open each
    /// metric once per tick and scope.
    pub fn open<V: PointValue>(&mut self, desc: &'static semconv::Metric<V>) -> Open<V> {
        let shape = match desc.kind {
            Kind::Gauge => Shape::Gauge,
            Kind::Counter => Shape::Sum { monotonic: true },
            Kind::UpDownCounter => Shape::Sum { monotonic: false },
        };
        let rename = self.output.naming.rename(desc.name);
        let slot = if self.enabled(desc) {
            let named = Named {
                name: rename.map_or(desc.name, |r| r.name),
                description: desc.description,
                unit: rename.map_or(desc.unit, |r| r.unit),
                prometheus_type: "",
            };
            self.open_slot(&named, shape)
        } else {
            None
        };
        Open {
            slot,
            rename,
            value: PhantomData,
        }
    }

    /// Opens a metric known only at run time (a Prometheus text file's family): a Gauge, or
    /// a monotonic cumulative Sum when `counter`; values are doubles. Always on.
    pub fn open_named(&mut self, named: &Named<'_>, counter: bool) -> Open<f64> {
        let shape = if counter {
            Shape::Sum { monotonic: true }
        } else {
            Shape::Gauge
        };
        Open {
            slot: self.open_slot(named, shape),
            rename: None,
            value: PhantomData,
        }
    }

    /// A new metric slot of `shape` in the current resource and scope.
    fn open_slot(&mut self, named: &Named<'_>, shape: Shape) -> Option<(usize, usize, usize)> {
        let r = self.current;
        let resource = self.resources.get_mut(r)?;
        let s = resource.current;
        let scope = resource.scopes.get_mut(s)?;
        let index = scope.used;
        scope.used += 1;
        *slot(&mut scope.lens, index) = 0;
        let metric = slot(&mut scope.metrics, index);
        set_str(&mut metric.name, named.name);
        set_str(&mut metric.description, named.description);
        set_str(&mut metric.unit, named.unit);
        if named.prometheus_type.is_empty() {
            metric.metadata.clear();
        } else {
            metric.metadata.truncate(1);
            let kv = slot(&mut metric.metadata, 0);
            set_str(&mut kv.key, PROMETHEUS_TYPE);
            set_string_value(kv, named.prometheus_type);
        }
        shape.apply(&mut metric.data);
        Some((r, s, index))
    }

    /// A point of `metric` starting at boot time. `attributes` are (key, value) pairs, keys
    /// from semconv.
    pub fn point<V: PointValue>(&mut self, metric: Open<V>, attributes: &[(&str, &str)], value: V) {
        let start = self.start_unix_nano;
        self.point_since(metric, start, attributes, value);
    }

    /// A point whose series started at `start_unix_nano` (hot-plug, reset, per process).
    pub fn point_since<V: PointValue>(
        &mut self,
        metric: Open<V>,
        start_unix_nano: u64,
        attributes: &[(&str, &str)],
        value: V,
    ) {
        self.point_with(metric, start_unix_nano, attributes.iter().copied(), value);
    }

    /// `point_since` with the attributes as an iterator (keys known only at run time).
    pub fn point_with<'a, V: PointValue>(
        &mut self,
        metric: Open<V>,
        start_unix_nano: u64,
        attributes: impl IntoIterator<Item = (&'a str, &'a str), IntoIter: Clone>,
        value: V,
    ) {
        let Some((r, s, m)) = metric.slot else {
            return;
        };
        let attributes = attributes.into_iter();
        // A value renamed to nothing (DELETE) drops the point before it takes a slot: a slot
        // written and left unused would be cut at `finish` and allocated again next tick.
        if let Some(rename) = metric.rename
            && attributes
                .clone()
                .any(|(key, value)| rename.attribute(key, value).is_none())
        {
            return;
        }
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
        match metric.rename {
            None => set_string_attributes(&mut point.attributes, attributes),
            Some(rename) => set_point_attributes(
                &mut point.attributes,
                attributes.filter_map(|(key, value)| rename.attribute(key, value)),
            ),
        }
        point.start_time_unix_nano = start_unix_nano;
        point.time_unix_nano = now;
        point.value = Some(value.to_value());
        point.flags = 0;
        // Two values renamed into one (softirq into interrupt) make one point.
        if metric.rename.is_some() && fold_into_previous(points, *len) {
            return;
        }
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
        self.finish_batch(true);
    }

    /// Starts the next batch of this tick: the resources a collector sends a batch at a
    /// time (`Collect::collect_more`), written into the same slots once the previous batch
    /// was sent. Same time as the tick; the host resource is empty (and so not emitted)
    /// unless written again.
    pub fn begin_more(&mut self) {
        self.begin(self.now_unix_nano, self.start_unix_nano);
    }

    /// Ends a batch `begin_more` started: `finish` without a new delta collection.
    pub fn finish_more(&mut self) {
        self.finish_batch(false);
    }

    fn finish_batch(&mut self, first: bool) {
        if self.output.temporality == Temporality::Delta {
            let used = self.used.min(self.resources.len());
            let resources = self.resources.get_mut(..used).unwrap_or_default();
            let dropped = self.deltas.apply(resources, self.now_unix_nano, first);
            self.points = self.points.saturating_sub(dropped);
        }
        // The host's slot stays first, left out of the request when it has no metrics (a
        // batch after the first, `--collectors=process` alone) rather than moved, so every
        // slot keeps its shape from tick to tick and batch to batch.
        let host_empty = self
            .resources
            .first_mut()
            .is_none_or(|host| host.compact() == 0);
        self.first = usize::from(host_empty);
        let mut kept = 1;
        for index in 1..self.used.min(self.resources.len()) {
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
        self.resources
            .get(self.first..self.used)
            .unwrap_or_default()
    }

    /// The host's own metrics (the `sysotlp` scope of the host resource), after `finish`:
    /// what a collector's unit test looks at.
    pub fn metrics(&self) -> &[Metric] {
        self.resources()
            .iter()
            .find(|r| r.own_attributes() == self.host)
            .and_then(|r| {
                r.scopes()
                    .iter()
                    .find(|s| s.scope.name == semconv::SCOPE_NAME)
            })
            .map_or(&[], ScopeSlot::metrics)
    }

    /// The host resource's attributes, in emission order.
    pub fn host_attributes(&self) -> &[KeyValue] {
        &self.host
    }

    /// The tick's time (`begin`).
    pub fn now_unix_nano(&self) -> u64 {
        self.now_unix_nano
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
    pub fn point(&mut self, attributes: &[(&str, &str)], value: V) {
        self.builder.point(self.metric, attributes, value);
    }

    /// A point whose series started at `start_unix_nano` (hot-plug, reset, per process).
    pub fn point_since(&mut self, start_unix_nano: u64, attributes: &[(&str, &str)], value: V) {
        self.builder
            .point_since(self.metric, start_unix_nano, attributes, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semconv::{SYSTEM_CPU_LOGICAL_COUNT, SYSTEM_CPU_TIME, SYSTEM_UPTIME};

    use crate::otlp::{AggregationTemporality, NumberDataPoint, metric, number_data_point};

    fn points(m: &Metric) -> &[NumberDataPoint] {
        match &m.data {
            Some(metric::Data::Gauge(g)) => &g.data_points,
            Some(metric::Data::Sum(s)) => &s.data_points,
            _ => &[],
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

    fn attrs(b: &Builder, r: &ResourceSlot) -> Vec<String> {
        r.attributes(b.host_attributes())
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
        assert_eq!(attrs(&b, &r[0]), ["host.name=pi", "process.pid=user-set"]);
        assert_eq!(
            attrs(&b, &r[1]),
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
            assert_eq!(attrs(&b, &r[0])[0], "process.pid=2");
            assert_eq!(r[0].scopes().len(), 1);
            assert_eq!(r[0].scopes()[0].scope().name, "sysotlp");
        }
        b.begin(4, 0);
        b.metric(&SYSTEM_UPTIME).point(&[], 4.0);
        b.finish();
        assert_eq!(
            attrs(&b, &b.resources()[0]),
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

    fn semconv() -> Builder {
        Builder::new(&[]).with_output(Output {
            temporality: Temporality::Cumulative,
            naming: Naming::Semconv,
        })
    }

    #[test]
    fn semconv_names_rename_metrics_keys_and_values_and_fold_merged_values() {
        use crate::semconv::{SYSTEM_NETWORK_CONNECTIONS, current::SCHEMA_URL_CURRENT};
        let mut b = semconv();
        b.begin(10, 1);
        {
            let mut time = b.metric(&SYSTEM_CPU_TIME);
            for (state, seconds) in [("user", 1.0), ("interrupt", 0.25), ("softirq", 0.5)] {
                time.point(&[("cpu", "cpu3"), ("state", state)], seconds);
            }
        }
        {
            let mut connections = b.metric(&SYSTEM_NETWORK_CONNECTIONS);
            for (state, n) in [("SYN_RECV", 2), ("DELETE", 0), ("CLOSE", 1)] {
                connections.point(&[("protocol", "tcp"), ("state", state)], n);
            }
        }
        b.finish();
        assert_eq!(b.schema_url(), SCHEMA_URL_CURRENT);
        assert_eq!(
            b.resources()[0].scopes()[0].schema_url(),
            SCHEMA_URL_CURRENT
        );
        let m = b.metrics();
        assert_eq!(
            (m[0].name.as_str(), m[0].unit.as_str()),
            ("system.cpu.time", "s")
        );
        let cpu = points(&m[0]);
        assert_eq!(cpu.len(), 2, "softirq is added to interrupt");
        assert_eq!(cpu[1].value, Some(number_data_point::Value::AsDouble(0.75)));
        assert_eq!(cpu[1].attributes[0].key, "cpu.logical_number");
        assert_eq!(
            cpu[1].attributes[0].value,
            Some(AnyValue {
                value: Some(any_value::Value::IntValue(3))
            })
        );
        assert_eq!(
            (m[1].name.as_str(), m[1].unit.as_str()),
            ("system.network.connection.count", "{connection}")
        );
        let states: Vec<String> = points(&m[1])
            .iter()
            .map(|p| format!("{}={:?}", p.attributes[1].key, p.attributes[1].value))
            .collect();
        assert_eq!(states.len(), 2, "DELETE is not emitted: {states:?}");
        assert!(states[1].contains("closed"), "{states:?}");
        assert_eq!(b.point_count(), 4);
    }

    #[test]
    fn hostmetrics_names_are_the_default() {
        let mut b = Builder::new(&[]);
        b.begin(10, 1);
        b.metric(&SYSTEM_CPU_TIME)
            .point(&[("cpu", "cpu3"), ("state", "softirq")], 1.0);
        b.finish();
        assert_eq!(b.schema_url(), semconv::SCHEMA_URL);
        let p = points(&b.metrics()[0]);
        assert_eq!(p[0].attributes[0].key, "cpu");
        assert_eq!(p[0].attributes[1].key, "state");
    }
}
