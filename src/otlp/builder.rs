//! The request under construction, reused tick after tick.
//!
//! Reads: points from collectors (`metric(&semconv::X).point(attrs, value)`).
//! Emits: the resource, scope and metrics of one `ExportMetricsServiceRequest`, which
//! `encode` and `json` serialise. Every slot (metric, point, attribute, string) is kept and
//! overwritten in place on the next tick, so a host whose set of series is stable allocates
//! nothing here in steady state; a metric that gets no point is not emitted.

use super::{
    AggregationTemporality, AnyValue, Gauge, InstrumentationScope, KeyValue, Metric,
    NumberDataPoint, Resource, Sum, any_value, metric, number_data_point,
};
use crate::semconv::{self, Kind};

/// `i64` → `asInt`, `f64` → `asDouble` (spec/metrics.md §1.1: one type per metric).
pub trait PointValue: Copy + sealed::Sealed + 'static {
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

/// One resource with one scope, and this tick's metrics.
#[derive(Debug)]
pub struct Builder {
    resource: Resource,
    scope: InstrumentationScope,
    metrics: Vec<Metric>,
    used: usize,
    points: usize,
    now_unix_nano: u64,
    start_unix_nano: u64,
    disabled: Vec<&'static str>,
}

impl Builder {
    /// A builder for one resource; `attributes` in the order they are emitted.
    pub fn new(attributes: &[(String, String)]) -> Builder {
        Self::with_disabled(attributes, Vec::new())
    }

    /// Like `new`; points of the metrics named in `disabled` (`--disable`) are dropped.
    pub fn with_disabled(attributes: &[(String, String)], disabled: Vec<&'static str>) -> Builder {
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
            used: 0,
            points: 0,
            now_unix_nano: 0,
            start_unix_nano: 0,
            disabled,
        }
    }

    /// Starts a tick: forgets the previous points (keeping their memory), sets the tick's
    /// time and the default start time (boot time) of every point.
    pub fn begin(&mut self, now_unix_nano: u64, start_unix_nano: u64) {
        self.used = 0;
        self.points = 0;
        self.now_unix_nano = now_unix_nano;
        self.start_unix_nano = start_unix_nano;
    }

    /// A writer for `desc`'s points. The metric appears in the request only once a point is
    /// written; all its points must be written before the next `metric` call.
    pub fn metric<V: PointValue>(
        &mut self,
        desc: &'static semconv::Metric<V>,
    ) -> MetricWriter<'_, V> {
        let enabled = self.enabled(desc);
        MetricWriter {
            builder: self,
            desc,
            index: None,
            points: 0,
            enabled,
        }
    }

    /// False for a metric turned off with `--disable`: collectors may skip computing it.
    pub fn enabled<V>(&self, desc: &semconv::Metric<V>) -> bool {
        !self.disabled.contains(&desc.name)
    }

    pub fn resource(&self) -> &Resource {
        &self.resource
    }

    pub fn scope(&self) -> &InstrumentationScope {
        &self.scope
    }

    /// This tick's metrics, in the order written.
    pub fn metrics(&self) -> &[Metric] {
        self.metrics.get(..self.used).unwrap_or_default()
    }

    /// Data points written this tick.
    pub fn point_count(&self) -> usize {
        self.points
    }

    fn open<V>(&mut self, desc: &semconv::Metric<V>) -> usize {
        let index = self.used;
        self.used += 1;
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
        index
    }

    fn points_of(&mut self, index: usize) -> Option<&mut Vec<NumberDataPoint>> {
        match &mut self.metrics.get_mut(index)?.data {
            Some(metric::Data::Gauge(gauge)) => Some(&mut gauge.data_points),
            Some(metric::Data::Sum(sum)) => Some(&mut sum.data_points),
            None => None,
        }
    }
}

/// Writes the points of one metric; see [`Builder::metric`].
pub struct MetricWriter<'a, V: PointValue> {
    builder: &'a mut Builder,
    desc: &'static semconv::Metric<V>,
    index: Option<usize>,
    points: usize,
    enabled: bool,
}

impl<V: PointValue> MetricWriter<'_, V> {
    /// A point starting at boot time. `attributes` are (key, value) pairs, keys from semconv.
    pub fn point(&mut self, attributes: &[(&'static str, &str)], value: V) {
        let start = self.builder.start_unix_nano;
        self.point_since(start, attributes, value);
    }

    /// A point whose series started at `start_unix_nano` (hot-plug, reset, per process).
    pub fn point_since(
        &mut self,
        start_unix_nano: u64,
        attributes: &[(&'static str, &str)],
        value: V,
    ) {
        if !self.enabled {
            return;
        }
        let index = match self.index {
            Some(index) => index,
            None => *self.index.insert(self.builder.open(self.desc)),
        };
        let now = self.builder.now_unix_nano;
        let slot_index = self.points;
        let Some(points) = self.builder.points_of(index) else {
            return;
        };
        let point = slot(points, slot_index);
        point.start_time_unix_nano = start_unix_nano;
        point.time_unix_nano = now;
        point.value = Some(value.to_value());
        point.flags = 0;
        set_attributes(&mut point.attributes, attributes);
        self.points += 1;
        self.builder.points += 1;
    }
}

impl<V: PointValue> Drop for MetricWriter<'_, V> {
    fn drop(&mut self) {
        let used = self.points;
        if let Some(points) = self.index.and_then(|index| self.builder.points_of(index)) {
            points.truncate(used);
        }
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
        assert_eq!(b.metrics().len(), 1);
        assert_eq!(b.metrics()[0].name, "system.uptime");
    }

    #[test]
    fn disabled_metrics_are_dropped() {
        let mut b = Builder::with_disabled(&[], vec!["system.uptime"]);
        b.begin(1, 1);
        assert!(!b.enabled(&SYSTEM_UPTIME));
        b.metric(&SYSTEM_UPTIME).point(&[], 1.0);
        b.metric(&SYSTEM_CPU_LOGICAL_COUNT).point(&[], 2);
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
        b.begin(2, 0);
        b.metric(&SYSTEM_CPU_TIME).point(&[("state", "idle")], 3.0);
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
}
