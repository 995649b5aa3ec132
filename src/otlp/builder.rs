//! The request under construction, reused tick after tick.
//!
//! Reads: points from collectors: `open(&semconv::X)` gives a handle, `point(handle, attrs,
//! value)` writes through it; several metrics may be open at once, so a collector emits
//! every metric of a device as it parses the device's line. `metric(&semconv::X)` is the
//! same for one metric at a time.
//! Emits: the resource, scope and metrics of one `ExportMetricsServiceRequest`, which
//! `encode` and `json` serialise after `finish`. Every slot (metric, point, attribute,
//! string) is kept and overwritten in place on the next tick, so a host whose set of series
//! is stable allocates nothing here in steady state. Metrics appear in the order they were
//! opened; a metric that got no point is not emitted; one switched off (`Switches`) takes
//! no points.

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

/// An open metric of this tick: where its points go. `None` when the metric is switched
/// off; its points are then dropped. Valid until `finish`.
pub struct Open<V> {
    slot: Option<usize>,
    value: PhantomData<fn(V)>,
}

impl<V> Clone for Open<V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<V> Copy for Open<V> {}

/// One resource with one scope, and this tick's metrics.
#[derive(Debug)]
pub struct Builder {
    resource: Resource,
    scope: InstrumentationScope,
    /// Metric slots; `..used` were opened this tick (after `finish`: the emitted ones).
    metrics: Vec<Metric>,
    /// Points written this tick into each slot.
    lens: Vec<usize>,
    used: usize,
    points: usize,
    now_unix_nano: u64,
    start_unix_nano: u64,
    switches: Switches,
    /// `finish` ran since `begin`: `metrics` is the request.
    finished: bool,
}

impl Builder {
    /// A builder for one resource; `attributes` in the order they are emitted. Every metric
    /// follows its default (on or off).
    pub fn new(attributes: &[(String, String)]) -> Builder {
        Self::with_switches(attributes, Switches::default())
    }

    /// Like `new`, with the metrics `--enable` and `--disable` switched.
    pub fn with_switches(attributes: &[(String, String)], switches: Switches) -> Builder {
        let mut resource = Resource::default();
        for (key, value) in attributes {
            resource.attributes.push(string_attribute(key, value));
        }
        Builder {
            resource,
            scope: InstrumentationScope {
                name: semconv::SCOPE_NAME.to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                ..Default::default()
            },
            metrics: Vec::new(),
            lens: Vec::new(),
            used: 0,
            points: 0,
            now_unix_nano: 0,
            start_unix_nano: 0,
            switches,
            finished: true,
        }
    }

    /// Starts a tick: forgets the previous points (keeping their memory), sets the tick's
    /// time and the default start time (boot time) of every point.
    pub fn begin(&mut self, now_unix_nano: u64, start_unix_nano: u64) {
        self.used = 0;
        self.points = 0;
        self.finished = false;
        self.now_unix_nano = now_unix_nano;
        self.start_unix_nano = start_unix_nano;
    }

    /// True when `desc` is on (its default, or switched by `--enable`/`--disable`):
    /// collectors skip computing metrics that are off.
    pub fn enabled(&self, desc: &semconv::Info) -> bool {
        self.switches.is_on(desc)
    }

    /// Opens `desc` for this tick's points. Open each metric once per tick.
    pub fn open<V: PointValue>(&mut self, desc: &'static semconv::Metric<V>) -> Open<V> {
        if !self.enabled(desc) {
            return Open {
                slot: None,
                value: PhantomData,
            };
        }
        let index = self.used;
        self.used += 1;
        *slot(&mut self.lens, index) = 0;
        let metric = slot(&mut self.metrics, index);
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
            slot: Some(index),
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
        let Some(index) = metric.slot else {
            return;
        };
        let now = self.now_unix_nano;
        let Some(len) = self.lens.get_mut(index) else {
            return;
        };
        let Some(points) = self.metrics.get_mut(index).and_then(points_of) else {
            return;
        };
        let point = slot(points, *len);
        point.start_time_unix_nano = start_unix_nano;
        point.time_unix_nano = now;
        point.value = Some(value.to_value());
        point.flags = 0;
        set_attributes(&mut point.attributes, attributes);
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

    /// Ends the tick: drops the points left over from a bigger earlier tick, and moves the
    /// metrics that got points to the front (in open order), so `metrics` is the request.
    pub fn finish(&mut self) {
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
        self.finished = true;
    }

    pub fn resource(&self) -> &Resource {
        &self.resource
    }

    pub fn scope(&self) -> &InstrumentationScope {
        &self.scope
    }

    /// This tick's metrics, in the order opened; only after `finish` (before it, slots may
    /// hold points of an earlier, bigger tick).
    pub fn metrics(&self) -> &[Metric] {
        debug_assert!(self.finished, "Builder::metrics before finish");
        self.metrics.get(..self.used).unwrap_or_default()
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

fn set_attributes(target: &mut Vec<KeyValue>, attributes: &[(&'static str, &str)]) {
    target.truncate(attributes.len());
    for (index, (key, value)) in attributes.iter().enumerate() {
        let kv = slot(target, index);
        set_str(&mut kv.key, key);
        let any = kv.value.get_or_insert_with(AnyValue::default);
        match &mut any.value {
            Some(any_value::Value::StringValue(s)) => set_str(s, value),
            other => *other = Some(any_value::Value::StringValue((*value).to_string())),
        }
    }
}

fn string_attribute(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_string())),
        }),
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
}
