//! A tick's request cut into parts that each fit `--max-request-size`.
//!
//! Reads: a finished `Builder` and the size limit. Emits: a `Plan`: parts, each a list of
//! `Span`s (a metric of a scope of a resource, and a range of its points), in request order,
//! for `encode::encode_part` and `json::write_part` to serialise one part at a time. A tick
//! that fits is one part of whole metrics (the common case: the plan's vectors are reused,
//! nothing is allocated). One that does not is cut by resource, then by metric, then by
//! points: a resource or a metric that would overflow the part being filled starts the next
//! part if it fits in an empty one; only a metric too large for any part is cut between
//! points. Parts also end between resources once they hold `PART_TARGET` bytes. Nothing
//! that fits is dropped: only a point that cannot fit even alone in a part
//! (with its resource, scope and metric) is left out, and counted.
//! Sizes are protobuf bytes, computed with prost's `encoded_len` and a 5-byte bound for each
//! length prefix that is not known yet, so a part is never larger than the limit.

use super::{Builder, KeyValue, Metric, ResourceSlot, ScopeSlot, metric};
use prost::Message;
use std::ops::Range;

/// Protobuf bytes past which the agent starts the next part at a resource boundary
/// (`Plan::make_within`): bounds the body buffers of a tick of many resources (256
/// processes made one 340 KB body, held for the agent's life; now six of at most 64 KiB).
/// A host without per-process resources still sends one request per tick.
pub const PART_TARGET: usize = 64 * 1024;

/// Bytes of a field key and the longest length prefix we allow for (a length below 2^35).
const FIELD_BOUND: usize = 1 + 5;

/// Points `points` of metric `metric` of scope `scope` of resource `resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub resource: usize,
    pub scope: usize,
    pub metric: usize,
    pub points: Range<usize>,
}

/// The parts of one tick's request.
#[derive(Debug, Default)]
pub struct Plan {
    spans: Vec<Span>,
    /// Each part: a range of `spans`.
    parts: Vec<Range<usize>>,
    /// Points left out: each too large for a part on its own.
    pub dropped: u64,
}

impl Plan {
    /// The parts, in order.
    pub fn parts(&self) -> impl Iterator<Item = &[Span]> {
        self.parts
            .iter()
            .map(|range| self.spans.get(range.clone()).unwrap_or_default())
    }

    /// Cuts the request of `builder` (after `finish`) into parts of at most `max` bytes.
    pub fn make(&mut self, builder: &Builder, max: usize) {
        self.make_within(builder, max, max);
    }

    /// As `make`, and a resource that would take a part past `target` bytes starts the next
    /// part (a resource alone is never cut for `target`, only for `max`): what bounds the
    /// encoded body of a tick of many small resources (256 processes were one 340 KB body).
    pub fn make_within(&mut self, builder: &Builder, target: usize, max: usize) {
        self.spans.clear();
        self.parts.clear();
        self.dropped = 0;
        let mut part = Part::default();
        let mut start = 0;
        let schema = field_len(builder.schema_url().len());
        for (r, resource) in builder.resources().iter().enumerate() {
            // A scope's schema URL may be ours or none (textfile): ours bounds both.
            let resource_head =
                FIELD_BOUND + field_len(resource.resource_len(builder.host_attributes())) + schema;
            // A whole resource that overflows this part but fits an empty one moves on.
            let whole = resource_len(resource, builder.host_attributes(), schema);
            if part.size > 0
                && (whole <= max && !part.fits(whole, max) || !part.fits(whole, target))
            {
                self.close(&mut part, &mut start);
            }
            for (s, scope) in resource.scopes().iter().enumerate() {
                let scope_head = FIELD_BOUND + field_len(scope.scope().encoded_len()) + schema;
                let heads = |part: &Part, metric_head: usize| {
                    let mut heads = FIELD_BOUND + metric_head;
                    if part.resource != Some(r) {
                        heads += resource_head + scope_head;
                    } else if part.scope != Some(s) {
                        heads += scope_head;
                    }
                    heads
                };
                for (m, metric) in scope.metrics().iter().enumerate() {
                    let sizes = MetricSizes::of(metric);
                    // So does a whole metric.
                    let whole = sizes.points + heads(&Part::default(), sizes.head);
                    if part.size > 0
                        && whole <= max
                        && !part.fits(sizes.points + heads(&part, sizes.head), max)
                    {
                        self.close(&mut part, &mut start);
                    }
                    let count = point_count(metric);
                    // The first point of this metric's span in the part being filled.
                    let mut first = None;
                    for p in 0..count {
                        let point_len = point_len(metric, p);
                        if let Some(from) = first {
                            if part.fits(point_len, max) {
                                part.size += point_len;
                                continue;
                            }
                            self.spans.push(span(r, s, m, from..p));
                            self.close(&mut part, &mut start);
                            first = None;
                        }
                        if part.size > 0 && !part.fits(point_len + heads(&part, sizes.head), max) {
                            self.close(&mut part, &mut start);
                        }
                        let cost = point_len + heads(&part, sizes.head);
                        if cost > max {
                            // Alone in a part, it still does not fit.
                            self.dropped += 1;
                            continue;
                        }
                        part.size += cost;
                        part.resource = Some(r);
                        part.scope = Some(s);
                        first = Some(p);
                    }
                    if let Some(from) = first {
                        self.spans.push(span(r, s, m, from..count));
                    }
                }
            }
        }
        if start < self.spans.len() {
            self.parts.push(start..self.spans.len());
        }
    }

    fn close(&mut self, part: &mut Part, start: &mut usize) {
        if *start < self.spans.len() {
            self.parts.push(*start..self.spans.len());
        }
        *start = self.spans.len();
        *part = Part::default();
    }
}

/// The part being filled: its size bound and what it has open.
#[derive(Debug, Default)]
struct Part {
    size: usize,
    resource: Option<usize>,
    scope: Option<usize>,
}

impl Part {
    fn fits(&self, more: usize, max: usize) -> bool {
        self.size.saturating_add(more) <= max
    }
}

fn span(resource: usize, scope: usize, metric: usize, points: Range<usize>) -> Span {
    Span {
        resource,
        scope,
        metric,
        points,
    }
}

/// A whole resource's size bound in a part of its own (`host`: the builder's host
/// attributes); `schema`: its schema URL field.
fn resource_len(resource: &ResourceSlot, host: &[KeyValue], schema: usize) -> usize {
    let scopes: usize = resource.scopes().iter().map(scope_len).sum();
    FIELD_BOUND + field_len(resource.resource_len(host)) + schema + scopes
}

fn scope_len(scope: &ScopeSlot) -> usize {
    let schema = field_len(scope.schema_url().len());
    let metrics: usize = scope
        .metrics()
        .iter()
        .map(|m| field_len(m.encoded_len()))
        .sum();
    FIELD_BOUND + field_len(scope.scope().encoded_len()) + schema + metrics
}

/// A metric's bytes apart from its points, and its points' bytes.
pub struct MetricSizes {
    /// Every field but the points, the data message's key and length bound included.
    pub head: usize,
    /// The points, each with its key and length prefix.
    pub points: usize,
}

impl MetricSizes {
    pub fn of(metric: &Metric) -> MetricSizes {
        let points = points_len(metric, 0..point_count(metric));
        let data_extra = data_extra_len(metric);
        // encoded_len counts the data field with the exact prefix of all the points.
        let whole_data = field_len(points + data_extra);
        let head = metric.encoded_len().saturating_sub(whole_data) + FIELD_BOUND + data_extra;
        MetricSizes { head, points }
    }
}

/// The points of a metric, of whichever kind.
pub fn point_count(metric: &Metric) -> usize {
    match &metric.data {
        Some(metric::Data::Gauge(gauge)) => gauge.data_points.len(),
        Some(metric::Data::Sum(sum)) => sum.data_points.len(),
        Some(metric::Data::Histogram(histogram)) => histogram.data_points.len(),
        Some(metric::Data::Summary(summary)) => summary.data_points.len(),
        None => 0,
    }
}

/// Bytes of point `index` as a `data_points` entry (key and length prefix included).
fn point_len(metric: &Metric, index: usize) -> usize {
    points_len(metric, index..index + 1)
}

/// `all[range]`, cut to what exists.
pub fn within<T>(all: &[T], range: Range<usize>) -> &[T] {
    let end = range.end.min(all.len());
    all.get(range.start.min(end)..end).unwrap_or_default()
}

/// Bytes of the points `range` of a metric as `data_points` entries.
pub fn points_len(metric: &Metric, range: Range<usize>) -> usize {
    fn sum<T: Message>(points: &[T]) -> usize {
        points.iter().map(|p| field_len(p.encoded_len())).sum()
    }
    match &metric.data {
        Some(metric::Data::Gauge(gauge)) => sum(within(&gauge.data_points, range)),
        Some(metric::Data::Sum(s)) => sum(within(&s.data_points, range)),
        Some(metric::Data::Histogram(h)) => sum(within(&h.data_points, range)),
        Some(metric::Data::Summary(s)) => sum(within(&s.data_points, range)),
        None => 0,
    }
}

/// Bytes of the data message's fields other than its points: a sum's temporality and
/// monotonic flag, a histogram's temporality (a gauge and a summary have none).
pub fn data_extra_len(metric: &Metric) -> usize {
    let temporality = |value: i32| {
        if value != 0 {
            1 + prost::encoding::encoded_len_varint(value as u64)
        } else {
            0
        }
    };
    match &metric.data {
        Some(metric::Data::Sum(sum)) => {
            temporality(sum.aggregation_temporality) + if sum.is_monotonic { 2 } else { 0 }
        }
        Some(metric::Data::Histogram(h)) => temporality(h.aggregation_temporality),
        _ => 0,
    }
}

/// Bytes of a length-delimited field with a one-byte key and `len` bytes of content.
pub fn field_len(len: usize) -> usize {
    1 + prost::length_delimiter_len(len) + len
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::encode::{encode, encode_part};
    use crate::otlp::json::{write, write_part};
    use crate::otlp::{AttrValue, ExportMetricsServiceRequest, HistogramValues, Named};
    use crate::semconv::{SYSTEM_MEMORY_LIMIT, SYSTEM_NETWORK_IO, SYSTEM_UPTIME};

    /// A host resource with `interfaces` × 2 network points and a gauge, then two process
    /// resources with one point each.
    fn builder(interfaces: usize) -> Builder {
        let mut b = Builder::new(&[("host.name".into(), "h".into())]);
        b.begin(1_767_225_600_000_000_000, 1_767_200_000_000_000_000);
        let names: Vec<String> = (0..interfaces).map(|n| format!("eth{n}")).collect();
        {
            let mut w = b.metric(&SYSTEM_NETWORK_IO);
            for (n, name) in names.iter().enumerate() {
                w.point(&[("device", name), ("direction", "receive")], n as i64);
                w.point(&[("device", name), ("direction", "transmit")], 7);
            }
        }
        b.metric(&SYSTEM_UPTIME).point(&[], 3.5);
        // A scope of ours without schema, metadata, histograms and summaries (textfile).
        b.scope("textfile", "");
        let named = |name, prometheus_type| Named {
            name,
            description: "from a file",
            unit: "",
            prometheus_type,
        };
        let histogram = b.open_histogram(&named("latency", "histogram"));
        let summary = b.open_summary(&named("rpc", "summary"));
        for (n, name) in names.iter().enumerate().take(interfaces / 4) {
            let values = HistogramValues {
                count: n as u64,
                sum: Some(1.5),
                bounds: &[0.1, 1.0],
                counts: &[1, 2, 3],
            };
            b.histogram_point(histogram, 5, [("job", name.as_str())], values);
            b.summary_point(
                summary,
                5,
                [("job", name.as_str())],
                (3, 2.5),
                [(0.5, 1.0), (0.9, 2.0)],
            );
        }
        b.host();
        for pid in [1, 2] {
            b.resource(&[("process.pid", AttrValue::Int(pid))]);
            b.metric(&SYSTEM_MEMORY_LIMIT).point(&[], pid * 10);
        }
        b.finish();
        b
    }

    /// Each point of `m` as text, of whichever kind.
    fn points_of(m: &Metric) -> Vec<String> {
        match &m.data {
            Some(metric::Data::Gauge(g)) => {
                g.data_points.iter().map(|p| format!("{p:?}")).collect()
            }
            Some(metric::Data::Sum(s)) => s.data_points.iter().map(|p| format!("{p:?}")).collect(),
            Some(metric::Data::Histogram(h)) => {
                h.data_points.iter().map(|p| format!("{p:?}")).collect()
            }
            Some(metric::Data::Summary(s)) => {
                s.data_points.iter().map(|p| format!("{p:?}")).collect()
            }
            None => Vec::new(),
        }
    }

    /// Every point as `resource attributes | scope | metric | point`, in request order.
    fn flat(request: &ExportMetricsServiceRequest) -> Vec<String> {
        let mut out = Vec::new();
        for rm in &request.resource_metrics {
            for sm in &rm.scope_metrics {
                for m in &sm.metrics {
                    for p in points_of(m) {
                        out.push(format!(
                            "{:?}|{:?}|{}|{:?}|{}|{p}",
                            rm.resource, sm.scope, sm.schema_url, m.metadata, m.name
                        ));
                    }
                }
            }
        }
        out
    }

    fn parts(b: &Builder, max: usize) -> (Plan, Vec<Vec<u8>>) {
        let mut plan = Plan::default();
        plan.make(b, max);
        let bodies = plan
            .parts()
            .map(|spans| {
                let mut body = Vec::new();
                encode_part(b, spans, &mut body);
                body
            })
            .collect();
        (plan, bodies)
    }

    fn decode(body: &[u8]) -> ExportMetricsServiceRequest {
        ExportMetricsServiceRequest::decode(body).unwrap()
    }

    #[test]
    fn a_request_that_fits_is_one_part_with_the_same_bytes() {
        let b = builder(20);
        let (plan, bodies) = parts(&b, 1 << 20);
        let mut whole = Vec::new();
        encode(&b, &mut whole);
        assert_eq!(bodies, [whole]);
        let (mut json, mut whole_json) = (String::new(), String::new());
        write_part(&b, plan.parts().next().unwrap(), &mut json);
        write(&b, &mut whole_json);
        assert_eq!(json, whole_json);
    }

    #[test]
    fn issue_10_an_oversized_request_is_cut_without_losing_a_point() {
        let b = builder(500);
        let mut whole = Vec::new();
        encode(&b, &mut whole);
        for max in [400, 1000, 4096, 65_536, whole.len() - 1] {
            let (plan, bodies) = parts(&b, max);
            assert_eq!(plan.dropped, 0, "{max}");
            assert!(bodies.len() > 1, "{max}");
            for body in &bodies {
                assert!(body.len() <= max, "{} > {max}", body.len());
            }
            let cut: Vec<String> = bodies.iter().flat_map(|body| flat(&decode(body))).collect();
            assert_eq!(cut, flat(&decode(&whole)), "{max}");
            // The JSON of each part is the JSON of its protobuf.
            for (spans, body) in plan.parts().zip(&bodies) {
                let (mut ours, mut theirs) = (String::new(), String::new());
                write_part(&b, spans, &mut ours);
                crate::otlp::json::write_request(&decode(body), &mut theirs);
                assert_eq!(ours, theirs);
            }
        }
    }

    /// Bytes of `resource` alone, encoded from the spans of a whole tick.
    fn encoded_len(b: &Builder, whole: &[Span], resource: usize) -> usize {
        let spans: Vec<Span> = whole
            .iter()
            .filter(|s| s.resource == resource)
            .cloned()
            .collect();
        let mut body = Vec::new();
        encode_part(b, &spans, &mut body);
        body.len()
    }

    #[test]
    fn issue_10_whole_resources_and_metrics_move_to_the_next_part() {
        let b = builder(20);
        let mut plan = Plan::default();
        plan.make(&b, usize::MAX);
        let all = plan.parts().next().unwrap().to_vec();
        let (host, process) = (encoded_len(&b, &all, 0), encoded_len(&b, &all, 1));
        // Room for the host resource and one process (and the bounds' slack), not two.
        let (_, bodies) = parts(&b, host + process + process / 2);
        let requests: Vec<ExportMetricsServiceRequest> = bodies.iter().map(|b| decode(b)).collect();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].resource_metrics.len(), 2);
        assert_eq!(requests[1].resource_metrics.len(), 1);
        for request in &requests {
            for rm in &request.resource_metrics {
                for sm in &rm.scope_metrics {
                    for m in &sm.metrics {
                        let expected = match m.name.as_str() {
                            "system.network.io" => 40,
                            "latency" | "rpc" => 5,
                            _ => 1,
                        };
                        assert_eq!(point_count(m), expected, "{} was cut", m.name);
                    }
                }
            }
        }
    }

    #[test]
    fn a_target_starts_a_part_at_a_resource_and_never_cuts_one() {
        let b = builder(20);
        let mut plan = Plan::default();
        plan.make(&b, usize::MAX);
        let whole: Vec<Span> = plan.parts().next().unwrap().to_vec();
        let resource_len = |resource: usize| encoded_len(&b, &whole, resource);
        // A target below the host resource: the host alone (it is not cut), then the two
        // processes, which fit the target together.
        let (host, process) = (resource_len(0), resource_len(1));
        let parts_of = |plan: &Plan| -> Vec<Vec<usize>> {
            plan.parts()
                .map(|spans| {
                    let mut r: Vec<usize> = spans.iter().map(|s| s.resource).collect();
                    r.dedup();
                    r
                })
                .collect()
        };
        let mut plan = Plan::default();
        plan.make_within(&b, host / 2, 1 << 20);
        assert_eq!(
            parts_of(&plan),
            [vec![0], vec![1, 2]],
            "host {host}, process {process}"
        );
        let mut all: Vec<Span> = Vec::new();
        for spans in plan.parts() {
            all.extend_from_slice(spans);
        }
        assert_eq!(all, whole, "the same spans, whole metrics");
        // Room for one process and a half: one each.
        plan.make_within(&b, process + process / 2, 1 << 20);
        assert_eq!(parts_of(&plan), [vec![0], vec![1], vec![2]]);
    }

    #[test]
    fn issue_10_only_a_point_too_large_alone_is_dropped() {
        let b = builder(3);
        // Smaller than any resource with a point: everything is dropped, and counted.
        let (plan, bodies) = parts(&b, 40);
        assert!(bodies.is_empty());
        assert_eq!(plan.dropped, 9);
    }
}
