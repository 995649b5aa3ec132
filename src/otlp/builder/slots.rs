//! The reused slots of the builder: resources, their scopes, and the helpers that overwrite
//! strings, attributes and points in place.
//!
//! Reads: what `Builder` writes. Emits: the slots `encode` and `json` read after `finish`;
//! nothing here allocates once a slot has been used with the same shape and sizes.

use super::AttrValue;
use crate::otlp::{
    AnyValue, InstrumentationScope, KeyValue, Metric, NumberDataPoint, Resource, any_value, metric,
    number_data_point::Value,
};
use crate::semconv;
use prost::Message;

/// One scope of a resource and its metrics.
#[derive(Debug, Default)]
pub struct ScopeSlot {
    pub(super) scope: InstrumentationScope,
    /// The schema its metric names follow; empty for names that are not ours (textfile).
    pub(super) schema_url: &'static str,
    pub(super) metrics: Vec<Metric>,
    /// Points written this tick into each metric slot.
    pub(super) lens: Vec<usize>,
    pub(super) used: usize,
}

impl ScopeSlot {
    pub fn scope(&self) -> &InstrumentationScope {
        &self.scope
    }

    pub fn schema_url(&self) -> &'static str {
        self.schema_url
    }

    /// This tick's metrics, in the order opened (after `Builder::finish`).
    pub fn metrics(&self) -> &[Metric] {
        self.metrics.get(..self.used).unwrap_or_default()
    }

    /// Puts the metrics that got points first (in open order), cut to this tick's points;
    /// returns how many there are.
    pub(super) fn compact(&mut self) -> usize {
        let mut kept = 0;
        for index in 0..self.used.min(self.metrics.len()) {
            let len = self.lens.get(index).copied().unwrap_or(0);
            if len == 0 {
                continue;
            }
            if let Some(metric) = self.metrics.get_mut(index) {
                truncate_points(metric, len);
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
    /// Its own attributes (the host's, for the host resource): the first `own` of
    /// `resource.attributes`. The rest are spare, kept for the next resource written into
    /// this slot (a tick's process batches share the slots): cut, they would be allocated
    /// again.
    pub(super) resource: Resource,
    pub(super) own: usize,
    /// It also carries the host's attributes whose keys it lacks (spec/metrics.md §1.2):
    /// they are not copied into it (256 process resources held 9 copies each) but written
    /// after its own by `attributes`, `resource_len` and `encode_resource`.
    pub(super) with_host: bool,
    pub(super) scopes: Vec<ScopeSlot>,
    pub(super) used: usize,
    /// The scope being written.
    pub(super) current: usize,
}

impl ResourceSlot {
    /// Its attributes: its own, then (unless it is the host's) those of `host` (the
    /// builder's `host_attributes`) whose key it has not.
    pub fn attributes<'a>(
        &'a self,
        host: &'a [KeyValue],
    ) -> impl Iterator<Item = &'a KeyValue> + Clone + 'a {
        let own = self.own_attributes();
        let shared = if self.with_host { host } else { &[] };
        own.iter().chain(
            shared
                .iter()
                .filter(|kv| !own.iter().any(|o| o.key == kv.key)),
        )
    }

    /// Its own attributes, without the host's.
    pub fn own_attributes(&self) -> &[KeyValue] {
        self.resource.attributes.get(..self.own).unwrap_or_default()
    }

    /// Bytes of its `Resource` message (without the length prefix).
    pub fn resource_len(&self, host: &[KeyValue]) -> usize {
        let attributes: usize = self
            .attributes(host)
            .map(|kv| 1 + prost::length_delimiter_len(kv.encoded_len()) + kv.encoded_len())
            .sum();
        let dropped = match self.resource.dropped_attributes_count {
            0 => 0,
            n => 1 + prost::encoding::encoded_len_varint(u64::from(n)),
        };
        attributes + dropped
    }

    /// Appends its `Resource` message, length-delimited: the bytes prost writes for a
    /// `Resource` holding all of `attributes` (fields 1, then 2).
    pub fn encode_resource(&self, host: &[KeyValue], buf: &mut Vec<u8>) {
        prost::encode_length_delimiter(self.resource_len(host), buf).unwrap_or_default();
        for kv in self.attributes(host) {
            // Resource.attributes (1), length-delimited.
            buf.push(1 << 3 | 2);
            kv.encode_length_delimited(buf).unwrap_or_default();
        }
        if self.resource.dropped_attributes_count != 0 {
            // Resource.dropped_attributes_count (2), varint.
            buf.push(2 << 3);
            prost::encoding::encode_varint(u64::from(self.resource.dropped_attributes_count), buf);
        }
    }

    /// Its `Resource` message as one value (tests, and the assembled request).
    pub fn resource_with(&self, host: &[KeyValue]) -> Resource {
        Resource {
            attributes: self.attributes(host).cloned().collect(),
            dropped_attributes_count: self.resource.dropped_attributes_count,
        }
    }

    /// This tick's scopes (after `Builder::finish`).
    pub fn scopes(&self) -> &[ScopeSlot] {
        self.scopes.get(..self.used).unwrap_or_default()
    }

    /// Starts the tick with the one default scope, whose names follow `schema_url`.
    pub(super) fn reset(&mut self, schema_url: &'static str) {
        let scope = slot(&mut self.scopes, 0);
        set_str(&mut scope.scope.name, semconv::SCOPE_NAME);
        set_str(&mut scope.scope.version, env!("CARGO_PKG_VERSION"));
        scope.schema_url = schema_url;
        scope.used = 0;
        self.used = 1;
        self.current = 0;
    }

    pub(super) fn compact(&mut self) -> usize {
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

/// Cuts `metric`'s points, of whatever shape, to `len`.
pub(super) fn truncate_points(metric: &mut Metric, len: usize) {
    match &mut metric.data {
        Some(metric::Data::Gauge(gauge)) => gauge.data_points.truncate(len),
        Some(metric::Data::Sum(sum)) => sum.data_points.truncate(len),
        Some(metric::Data::Histogram(histogram)) => histogram.data_points.truncate(len),
        Some(metric::Data::Summary(summary)) => summary.data_points.truncate(len),
        None => {}
    }
}

pub(super) fn points_of(metric: &mut Metric) -> Option<&mut Vec<NumberDataPoint>> {
    match &mut metric.data {
        Some(metric::Data::Gauge(gauge)) => Some(&mut gauge.data_points),
        Some(metric::Data::Sum(sum)) => Some(&mut sum.data_points),
        Some(metric::Data::Histogram(_) | metric::Data::Summary(_)) | None => None,
    }
}

/// Vectors up to this many slots grow one slot at a time: most hold one to a few (a
/// point's attributes, a resource's scopes, a process's metrics), and the doubling from
/// an empty vector reserves four (5 of every 8 point-attribute bytes of 256 process
/// resources were spare). Only the first tick of a shape grows them.
const EXACT_UP_TO: usize = 8;

/// Element `index` of `vec`, created if the vector is shorter.
pub(super) fn slot<T: Default>(vec: &mut Vec<T>, index: usize) -> &mut T {
    if index >= vec.len() {
        if index < EXACT_UP_TO {
            vec.reserve_exact(index + 1 - vec.len());
        }
        vec.resize_with(index + 1, T::default);
    }
    &mut vec[index]
}

pub(super) fn set_str(target: &mut String, value: &str) {
    if target != value {
        target.clear();
        target.push_str(value);
    }
}

/// Writes a point's attributes.
pub(super) fn set_point_attributes<'a>(
    target: &mut Vec<KeyValue>,
    attributes: impl IntoIterator<Item = (&'a str, AttrValue<'a>)>,
) {
    let mut used = 0;
    for (key, value) in attributes {
        let kv = slot(target, used);
        set_str(&mut kv.key, key);
        set_value(kv, value);
        used += 1;
    }
    target.truncate(used);
}

/// Writes string attributes, all of them.
pub(super) fn set_string_attributes<'a>(
    target: &mut Vec<KeyValue>,
    attributes: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let all = attributes.into_iter();
    set_point_attributes(target, all.map(|(key, value)| (key, AttrValue::Str(value))));
}

/// Adds the point at `index` to the one before it when both are of the same series (two
/// attribute values renamed into one); true when it did, and the point at `index` is spare.
pub(super) fn fold_into_previous(points: &mut [NumberDataPoint], index: usize) -> bool {
    let Some(previous) = index.checked_sub(1) else {
        return false;
    };
    let (before, after) = points.split_at_mut(index);
    let (Some(earlier), Some(later)) = (before.get_mut(previous), after.first()) else {
        return false;
    };
    if earlier.attributes != later.attributes
        || earlier.start_time_unix_nano != later.start_time_unix_nano
    {
        return false;
    }
    earlier.value = match (earlier.value, later.value) {
        (Some(Value::AsInt(a)), Some(Value::AsInt(b))) => Some(Value::AsInt(a.saturating_add(b))),
        (Some(Value::AsDouble(a)), Some(Value::AsDouble(b))) => Some(Value::AsDouble(a + b)),
        (kept, _) => kept,
    };
    true
}

/// A resource's attributes: `own` first, then those of `host` whose key `own` lacks; returns
/// how many (the vector keeps any beyond, `ResourceSlot::own`).
pub(super) fn set_attributes(
    target: &mut Vec<KeyValue>,
    own: &[(&'static str, AttrValue<'_>)],
    host: &[KeyValue],
) -> usize {
    let mut index = 0;
    for (key, value) in own {
        let kv = slot(target, index);
        set_str(&mut kv.key, key);
        set_value(kv, *value);
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
    index
}

fn set_value(kv: &mut KeyValue, value: AttrValue<'_>) {
    match value {
        AttrValue::Str(text) => set_string_value(kv, text),
        AttrValue::Int(number) => {
            kv.value.get_or_insert_with(AnyValue::default).value =
                Some(any_value::Value::IntValue(number));
        }
    }
}

pub(super) fn set_string_value(kv: &mut KeyValue, value: &str) {
    let any = kv.value.get_or_insert_with(AnyValue::default);
    match &mut any.value {
        Some(any_value::Value::StringValue(s)) => set_str(s, value),
        other => *other = Some(any_value::Value::StringValue(value.to_string())),
    }
}
