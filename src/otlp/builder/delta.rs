//! Delta temporality: every Counter (monotonic `Sum`) of a tick turned into its increase
//! since the series' previous collection (exporter spec §1, `--temporality delta`).
//!
//! Reads: the tick's finished slots (resources, scopes, metrics, points) before they are
//! compacted, and the state kept from earlier ticks. Emits: the same slots with each monotonic
//! `Sum` marked `DELTA` and its points rewritten in place: value = current − previous, start =
//! the previous collection of the series; after a reset (a new start time at or after that
//! collection: §1.3 rule 3, a restarted process) the current value from its own start; a
//! series never seen before emits nothing, unless it was born since the previous collection
//! (hot-plug, a new process), whose whole count is its increase. UpDownCounters, gauges,
//! histograms and summaries stay cumulative: the OTel SDK's rule for asynchronous
//! instruments, which is why `lowmemory` is cumulative for every metric of ours.
//! A series is known by a 64-bit SipHash of its resource attributes, scope, metric name and
//! point attributes (a collision needs ~4·10⁹ live series); state not refreshed for three
//! collections is dropped, so churn (veths, processes) keeps memory bounded. The map reuses
//! its slots: a stable set of series allocates nothing here.

use super::slots::{ResourceSlot, ScopeSlot};
use crate::otlp::{AggregationTemporality, KeyValue, NumberDataPoint, any_value, metric};
use crate::otlp::{Metric, number_data_point::Value};
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{BuildHasherDefault, Hasher};

/// What `Sum` points of Counters carry (`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Temporality {
    #[default]
    Cumulative,
    Delta,
    /// Delta for synchronous Counters only; all of ours are asynchronous: cumulative.
    LowMemory,
}

impl Temporality {
    /// The OTel spellings, case-insensitively.
    pub fn parse(text: &str) -> Option<Temporality> {
        match text.trim().to_ascii_lowercase().as_str() {
            "cumulative" => Some(Temporality::Cumulative),
            "delta" => Some(Temporality::Delta),
            "lowmemory" => Some(Temporality::LowMemory),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Temporality::Cumulative => "cumulative",
            Temporality::Delta => "delta",
            Temporality::LowMemory => "lowmemory",
        }
    }
}

/// Collections a series may miss before its state is forgotten (spec/metrics.md §1.3).
const STALE_AFTER: u64 = 3;

/// The last collection of one series.
#[derive(Debug, Clone, Copy)]
struct Previous {
    value: Value,
    start: u64,
    time: u64,
    /// The collection that last refreshed it.
    seen: u64,
}

/// Keys are SipHash values already: the map need not hash them again.
#[derive(Debug, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// Every Counter series' previous collection.
#[derive(Debug, Default)]
pub(super) struct Deltas {
    series: HashMap<u64, Previous, BuildHasherDefault<Prehashed>>,
    collection: u64,
    /// Time of the previous collection; 0 before the second.
    previous_time: u64,
    /// Time of the current collection.
    current_time: u64,
}

impl Deltas {
    /// Rewrites Counter points of `resources` as deltas; returns how many points were dropped
    /// (first collections). `now` is the tick's time. A tick may come in several batches
    /// (`Builder::finish_more`): only its first (`first`) starts a new collection, and
    /// forgets the series the collections before it left stale.
    pub(super) fn apply(&mut self, resources: &mut [ResourceSlot], now: u64, first: bool) -> usize {
        if first {
            // What the end of the last collection would have dropped: not refreshed in it
            // nor in the two before.
            let finished = self.collection;
            self.series
                .retain(|_, previous| finished - previous.seen < STALE_AFTER);
            self.collection += 1;
            self.previous_time = self.current_time;
            self.current_time = now;
        }
        let mut dropped = 0;
        for resource in resources {
            let mut identity = DefaultHasher::new();
            hash_attributes(&mut identity, resource.own_attributes());
            for scope in resource.scopes.iter_mut().take(resource.used) {
                let mut scope_identity = identity.clone();
                scope_identity.write(scope.scope.name.as_bytes());
                scope_identity.write_u8(0xff);
                dropped += self.apply_scope(scope, &scope_identity, now);
            }
        }
        dropped
    }

    fn apply_scope(&mut self, scope: &mut ScopeSlot, identity: &DefaultHasher, now: u64) -> usize {
        let mut dropped = 0;
        let metrics = scope.metrics.iter_mut().zip(scope.lens.iter_mut());
        for (metric, len) in metrics.take(scope.used) {
            let mut metric_identity = identity.clone();
            metric_identity.write(metric.name.as_bytes());
            metric_identity.write_u8(0xff);
            let Some(points) = counter_points(metric) else {
                continue;
            };
            let mut kept = 0;
            for index in 0..(*len).min(points.len()) {
                let Some(point) = points.get_mut(index) else {
                    break;
                };
                let mut series = metric_identity.clone();
                hash_attributes(&mut series, &point.attributes);
                if self.rewrite(series.finish(), point, now) {
                    points.swap(kept, index);
                    kept += 1;
                }
            }
            dropped += *len - kept;
            *len = kept;
        }
        dropped
    }

    /// Turns `point` into its delta; false when it has none to emit (first collection).
    fn rewrite(&mut self, key: u64, point: &mut NumberDataPoint, now: u64) -> bool {
        let Some(current) = point.value else {
            return false;
        };
        let start = point.start_time_unix_nano;
        let refreshed = Previous {
            value: current,
            start,
            time: now,
            seen: self.collection,
        };
        let emitted = match self.series.insert(key, refreshed) {
            // A new life: the whole count is this interval's (reset, new process, hot-plug).
            Some(previous) if start != previous.start && start >= previous.time => Some(current),
            Some(previous) => {
                point.start_time_unix_nano = previous.time;
                // A decrease without a new start is a reset too (rule 3): the new value.
                Some(difference(current, previous.value).unwrap_or(current))
            }
            None if self.born_since_previous(start, now) => Some(current),
            None => None,
        };
        point.value = emitted;
        emitted.is_some()
    }

    /// True for a series whose start lies in the last interval: its count is all new.
    fn born_since_previous(&self, start: u64, now: u64) -> bool {
        self.previous_time > 0 && start >= self.previous_time && start < now
    }
}

/// The points of a monotonic `Sum`, now marked delta; `None` for every other shape.
fn counter_points(metric: &mut Metric) -> Option<&mut Vec<NumberDataPoint>> {
    match &mut metric.data {
        Some(metric::Data::Sum(sum)) if sum.is_monotonic => {
            sum.aggregation_temporality = AggregationTemporality::Delta as i32;
            Some(&mut sum.data_points)
        }
        _ => None,
    }
}

/// `current − previous` of the same type; `None` when it would be negative.
fn difference(current: Value, previous: Value) -> Option<Value> {
    match (current, previous) {
        (Value::AsInt(now), Value::AsInt(before)) if now >= before => {
            Some(Value::AsInt(now - before))
        }
        (Value::AsDouble(now), Value::AsDouble(before)) if now >= before => {
            Some(Value::AsDouble(now - before))
        }
        _ => None,
    }
}

fn hash_attributes(hasher: &mut DefaultHasher, attributes: &[KeyValue]) {
    for kv in attributes {
        hasher.write(kv.key.as_bytes());
        hasher.write_u8(0xff);
        match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
            Some(any_value::Value::StringValue(text)) => {
                hasher.write_u8(1);
                hasher.write(text.as_bytes());
                hasher.write_u8(0xff);
            }
            Some(any_value::Value::IntValue(number)) => {
                hasher.write_u8(2);
                hasher.write_i64(*number);
            }
            _ => hasher.write_u8(3),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{Builder, Output};
    use crate::semconv::{
        Naming, SYSTEM_CPU_LOGICAL_COUNT, SYSTEM_CPU_TIME, SYSTEM_NETWORK_IO, SYSTEM_UPTIME,
    };

    const SECOND: u64 = 1_000_000_000;
    const BOOT: u64 = 100 * SECOND;

    fn delta() -> Builder {
        Builder::new(&[("host.name".into(), "h".into())]).with_output(Output {
            temporality: Temporality::Delta,
            naming: Naming::Hostmetrics,
        })
    }

    /// (metric, attribute values, start, value) of every point after `finish`.
    fn points(b: &Builder) -> Vec<(String, Vec<String>, u64, Value)> {
        let mut out = Vec::new();
        for resource in b.resources() {
            for scope in resource.scopes() {
                for m in scope.metrics() {
                    let points = match &m.data {
                        Some(metric::Data::Sum(s)) => &s.data_points,
                        Some(metric::Data::Gauge(g)) => &g.data_points,
                        _ => continue,
                    };
                    for p in points {
                        let attrs = p
                            .attributes
                            .iter()
                            .map(
                                |kv| match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                                    Some(any_value::Value::StringValue(s)) => s.clone(),
                                    other => format!("{other:?}"),
                                },
                            )
                            .collect();
                        out.push((
                            m.name.clone(),
                            attrs,
                            p.start_time_unix_nano,
                            p.value.unwrap(),
                        ));
                    }
                }
            }
        }
        out
    }

    fn tick(b: &mut Builder, now: u64, rx: i64, lo_start: u64) {
        b.begin(now, BOOT);
        b.metric(&SYSTEM_CPU_TIME)
            .point(&[("state", "user")], now as f64 / 1e9);
        b.metric(&SYSTEM_CPU_LOGICAL_COUNT).point(&[], 2);
        b.metric(&SYSTEM_UPTIME).point(&[], 9.0);
        let mut io = b.metric(&SYSTEM_NETWORK_IO);
        io.point(&[("device", "eth0")], rx);
        io.point_since(lo_start, &[("device", "lo")], 7);
        b.finish();
    }

    #[test]
    fn first_collection_has_no_counter_points_then_increases_from_the_previous_tick() {
        let mut b = delta();
        tick(&mut b, 200 * SECOND, 1000, BOOT);
        let names: Vec<String> = points(&b).into_iter().map(|p| p.0).collect();
        assert_eq!(names, ["system.cpu.logical.count", "system.uptime"]);
        assert_eq!(b.point_count(), 2);

        tick(&mut b, 210 * SECOND, 1500, BOOT);
        let p = points(&b);
        assert_eq!(
            p[0],
            (
                "system.cpu.time".into(),
                vec!["user".into()],
                200 * SECOND,
                Value::AsDouble(10.0)
            )
        );
        assert_eq!(
            p[3],
            (
                "system.network.io".into(),
                vec!["eth0".into()],
                200 * SECOND,
                Value::AsInt(500)
            )
        );
        assert_eq!(
            p[4],
            (
                "system.network.io".into(),
                vec!["lo".into()],
                200 * SECOND,
                Value::AsInt(0)
            )
        );
        assert_eq!(
            p[1].2, BOOT,
            "an UpDownCounter keeps its start: it stays cumulative"
        );
        assert_eq!(p[1].3, Value::AsInt(2));
        let Some(metric::Data::Sum(sum)) = &b.metrics()[0].data else {
            panic!("cpu.time is a Sum")
        };
        assert_eq!(
            sum.aggregation_temporality,
            AggregationTemporality::Delta as i32
        );
        let Some(metric::Data::Sum(sum)) = &b.metrics()[1].data else {
            panic!("logical.count is a Sum")
        };
        assert_eq!(
            sum.aggregation_temporality,
            AggregationTemporality::Cumulative as i32
        );
    }

    #[test]
    fn a_reset_sends_the_new_value_from_its_own_start() {
        let mut b = delta();
        tick(&mut b, 200 * SECOND, 1000, BOOT);
        tick(&mut b, 210 * SECOND, 1500, BOOT);
        // lo restarted: the counter layer gives it the previous tick as start (§1.3 rule 3).
        tick(&mut b, 220 * SECOND, 1600, 210 * SECOND);
        let lo = points(&b).into_iter().find(|p| p.1 == ["lo"]).unwrap();
        assert_eq!((lo.2, lo.3), (210 * SECOND, Value::AsInt(7)));
        // A decrease without a new start is a reset too: the new value, never negative.
        tick(&mut b, 230 * SECOND, 40, BOOT);
        let eth0 = points(&b).into_iter().find(|p| p.1 == ["eth0"]).unwrap();
        assert_eq!((eth0.2, eth0.3), (220 * SECOND, Value::AsInt(40)));
    }

    #[test]
    fn a_series_born_since_the_previous_collection_sends_its_whole_count() {
        let mut b = delta();
        tick(&mut b, 200 * SECOND, 1000, BOOT);
        let born = |b: &mut Builder, now: u64, start: u64| {
            b.begin(now, BOOT);
            b.metric(&SYSTEM_NETWORK_IO)
                .point_since(start, &[("device", "wlan0")], 300);
            b.finish();
            points(b)
        };
        // Hot-plugged since the previous tick (start = that tick), or a new process.
        assert_eq!(
            born(&mut b, 210 * SECOND, 200 * SECOND)[0].3,
            Value::AsInt(300)
        );
        let mut b = delta();
        tick(&mut b, 200 * SECOND, 1000, BOOT);
        assert_eq!(born(&mut b, 210 * SECOND, 205 * SECOND)[0].2, 205 * SECOND);
        // First seen with a start before the previous tick, or one that is "now" (a
        // Prometheus counter of unknown start): its count is not this interval's.
        let mut b = delta();
        tick(&mut b, 200 * SECOND, 1000, BOOT);
        assert!(born(&mut b, 210 * SECOND, 150 * SECOND).is_empty());
        let mut b = delta();
        tick(&mut b, 200 * SECOND, 1000, BOOT);
        assert!(born(&mut b, 210 * SECOND, 210 * SECOND).is_empty());
    }

    #[test]
    fn state_of_series_gone_for_three_collections_is_forgotten() {
        let mut b = delta();
        tick(&mut b, 200 * SECOND, 1000, BOOT);
        let held = b.deltas.series.len();
        assert!(held > 0);
        for n in 1..=3 {
            b.begin((200 + n) * SECOND, BOOT);
            b.metric(&SYSTEM_UPTIME).point(&[], 1.0);
            b.finish();
        }
        // Forgotten when the next collection begins: a batch of a tick after the first
        // (`finish_more`) may still refresh them until then.
        assert_eq!(b.deltas.series.len(), held, "kept through the third");
        b.begin(204 * SECOND, BOOT);
        b.metric(&SYSTEM_UPTIME).point(&[], 1.0);
        b.finish();
        assert_eq!(b.deltas.series.len(), 0, "eth0, lo and cpu.time are stale");
        tick(&mut b, 210 * SECOND, 1500, BOOT);
        assert!(
            points(&b).iter().all(|p| p.0 != "system.network.io"),
            "a forgotten series starts over"
        );
        b.begin(211 * SECOND, BOOT);
        b.metric(&SYSTEM_UPTIME).point(&[], 1.0);
        b.finish();
        b.begin(212 * SECOND, BOOT);
        b.metric(&SYSTEM_UPTIME).point(&[], 1.0);
        b.finish();
        tick(&mut b, 213 * SECOND, 1600, BOOT);
        let eth0 = points(&b).into_iter().find(|p| p.1 == ["eth0"]).unwrap();
        assert_eq!(
            (eth0.2, eth0.3),
            (210 * SECOND, Value::AsInt(100)),
            "two missed collections: the delta spans them"
        );
    }

    #[test]
    fn series_are_told_apart_by_resource_and_scope() {
        use crate::otlp::AttrValue;
        let mut b = delta();
        for (now, value) in [(200, 10), (210, 25)] {
            b.begin(now * SECOND, BOOT);
            for (pid, scale) in [(1, 1), (2, 100)] {
                b.resource(&[("process.pid", AttrValue::Int(pid))]);
                b.metric(&SYSTEM_NETWORK_IO).point(&[], value * scale);
            }
            b.scope("textfile", "");
            b.metric(&SYSTEM_NETWORK_IO).point(&[], value * 1000);
            b.finish();
        }
        let values: Vec<Value> = points(&b).into_iter().map(|p| p.3).collect();
        assert_eq!(
            values,
            [Value::AsInt(15), Value::AsInt(1500), Value::AsInt(15000)]
        );
    }

    #[test]
    fn cumulative_and_lowmemory_leave_counters_alone() {
        for temporality in [Temporality::Cumulative, Temporality::LowMemory] {
            let mut b = Builder::new(&[]).with_output(Output {
                temporality,
                naming: Naming::Hostmetrics,
            });
            tick(&mut b, 200 * SECOND, 1000, BOOT);
            assert_eq!(points(&b)[0].3, Value::AsDouble(200.0));
            assert_eq!(points(&b).len(), 5);
        }
        assert_eq!(
            Temporality::parse(" LowMemory"),
            Some(Temporality::LowMemory)
        );
        assert_eq!(Temporality::parse("deltas"), None);
    }
}
