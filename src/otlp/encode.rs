//! Protobuf bytes of one `ExportMetricsServiceRequest`, written into a reused buffer.
//!
//! Reads: a `Builder`. Emits: the request body for OTLP/HTTP (`application/x-protobuf`).
//! The builder keeps resources, scopes and metrics as separate prost messages (so they are
//! reused without unwrapping a nested tree); this module writes the two wrapping messages
//! (`ResourceMetrics`, `ScopeMetrics`) around them with prost's length-delimiter functions
//! and `Message::encode_length_delimited` for everything inside. The bytes are exactly what
//! `Message::encode` of the assembled request gives (tested below). `encode_part` writes one
//! part of a `split::Plan` the same way, a metric cut between points included.

use super::split::{Span, data_extra_len, field_len, point_count, points_len, within};
use super::{Builder, Metric, ResourceSlot, ScopeSlot, metric};
use prost::Message;

// Field keys (field number << 3 | wire type 2, length-delimited); all fields used are 1..=3.
const FIELD_1: u8 = 1 << 3 | 2;
const FIELD_2: u8 = 2 << 3 | 2;
const FIELD_3: u8 = 3 << 3 | 2;

/// Replaces `buf` with the encoded request. Lengths are computed before each message is
/// written, so the buffer grows at most once per new size.
pub fn encode(builder: &Builder, buf: &mut Vec<u8>) {
    buf.clear();
    let schema = builder.schema_url();
    let scope_len = |scope: &ScopeSlot| {
        field_len(scope.scope().encoded_len())
            + scope
                .metrics()
                .iter()
                .map(|m| field_len(m.encoded_len()))
                .sum::<usize>()
            + string_len(scope.schema_url())
    };
    let host = builder.host_attributes();
    let resource_len = |resource: &ResourceSlot| {
        field_len(resource.resource_len(host))
            + resource
                .scopes()
                .iter()
                .map(|s| field_len(scope_len(s)))
                .sum::<usize>()
            + field_len(schema.len())
    };
    for resource in builder.resources() {
        // ExportMetricsServiceRequest.resource_metrics (1)
        start_field(buf, FIELD_1, resource_len(resource));
        // ResourceMetrics.resource (1), scope_metrics (2), schema_url (3)
        buf.push(FIELD_1);
        resource.encode_resource(host, buf);
        for scope in resource.scopes() {
            start_field(buf, FIELD_2, scope_len(scope));
            // ScopeMetrics.scope (1), metrics (2), schema_url (3)
            buf.push(FIELD_1);
            scope
                .scope()
                .encode_length_delimited(buf)
                .unwrap_or_default();
            for metric in scope.metrics() {
                buf.push(FIELD_2);
                metric.encode_length_delimited(buf).unwrap_or_default();
            }
            write_string(buf, FIELD_3, scope.schema_url());
        }
        write_string(buf, FIELD_3, schema);
    }
}

/// Replaces `buf` with the request of one part of a `split::Plan`: the spans' metrics (or
/// ranges of their points) under their scopes and resources.
pub fn encode_part(builder: &Builder, spans: &[Span], buf: &mut Vec<u8>) {
    buf.clear();
    let schema = builder.schema_url();
    let resources = builder.resources();
    let scope_len = |group: &[Span]| {
        let scope = group.first().and_then(|span| scope_of(resources, span));
        field_len(scope.map_or(0, |s| s.scope().encoded_len()))
            + group
                .iter()
                .map(|span| field_len(span_len(resources, span)))
                .sum::<usize>()
            + string_len(scope.map_or("", ScopeSlot::schema_url))
    };
    for group in spans.chunk_by(|a, b| a.resource == b.resource) {
        let Some(resource) = group.first().and_then(|span| resources.get(span.resource)) else {
            continue;
        };
        let host = builder.host_attributes();
        let content = field_len(resource.resource_len(host))
            + group
                .chunk_by(|a, b| a.scope == b.scope)
                .map(|scope| field_len(scope_len(scope)))
                .sum::<usize>()
            + field_len(schema.len());
        start_field(buf, FIELD_1, content);
        buf.push(FIELD_1);
        resource.encode_resource(host, buf);
        for scope_group in group.chunk_by(|a, b| a.scope == b.scope) {
            let Some(scope) = scope_group.first().and_then(|s| scope_of(resources, s)) else {
                continue;
            };
            start_field(buf, FIELD_2, scope_len(scope_group));
            buf.push(FIELD_1);
            scope
                .scope()
                .encode_length_delimited(buf)
                .unwrap_or_default();
            for span in scope_group {
                write_span(resources, span, buf);
            }
            write_string(buf, FIELD_3, scope.schema_url());
        }
        write_string(buf, FIELD_3, schema);
    }
}

fn scope_of<'a>(resources: &'a [ResourceSlot], span: &Span) -> Option<&'a ScopeSlot> {
    resources.get(span.resource)?.scopes().get(span.scope)
}

fn metric_of<'a>(resources: &'a [ResourceSlot], span: &Span) -> Option<&'a Metric> {
    scope_of(resources, span)?.metrics().get(span.metric)
}

/// True when `span` holds every point of its metric.
fn is_whole(metric: &Metric, span: &Span) -> bool {
    span.points.start == 0 && span.points.end >= point_count(metric)
}

/// Bytes of the `Metric` message of `span`.
fn span_len(resources: &[ResourceSlot], span: &Span) -> usize {
    let Some(metric) = metric_of(resources, span) else {
        return 0;
    };
    if is_whole(metric, span) {
        return metric.encoded_len();
    }
    let extra = data_extra_len(metric);
    let all = points_len(metric, 0..point_count(metric));
    let some = points_len(metric, span.points.clone());
    metric.encoded_len().saturating_sub(field_len(all + extra)) + field_len(some + extra)
}

/// One `ScopeMetrics.metrics` entry: the metric as prost encodes it when whole; else its
/// fields written here around the span's points (what prost would write for a copy
/// holding only those points, up to field order).
fn write_span(resources: &[ResourceSlot], span: &Span, buf: &mut Vec<u8>) {
    let Some(metric) = metric_of(resources, span) else {
        return;
    };
    buf.push(FIELD_2);
    if is_whole(metric, span) {
        metric.encode_length_delimited(buf).unwrap_or_default();
        return;
    }
    prost::encode_length_delimiter(span_len(resources, span), buf).unwrap_or_default();
    for (key, text) in [
        (FIELD_1, &metric.name),
        (FIELD_2, &metric.description),
        (FIELD_3, &metric.unit),
    ] {
        write_string(buf, key, text);
    }
    // Metric.data: gauge (5), sum (7), histogram (9), summary (11); each holds its points
    // (field 1), then its temporality (2, varint) and a sum's monotonic flag (3, varint).
    let key = match &metric.data {
        Some(metric::Data::Gauge(_)) => 5,
        Some(metric::Data::Sum(_)) => 7,
        Some(metric::Data::Histogram(_)) => 9,
        Some(metric::Data::Summary(_)) => 11,
        None => return,
    };
    let range = span.points.clone();
    let content = points_len(metric, range.clone()) + data_extra_len(metric);
    start_field(buf, key << 3 | 2, content);
    fn points<T: Message>(all: &[T], range: std::ops::Range<usize>, buf: &mut Vec<u8>) {
        for point in within(all, range) {
            buf.push(FIELD_1);
            point.encode_length_delimited(buf).unwrap_or_default();
        }
    }
    let temporality = |value: i32, buf: &mut Vec<u8>| {
        if value != 0 {
            buf.push(2 << 3);
            prost::encoding::encode_varint(value as u64, buf);
        }
    };
    match &metric.data {
        Some(metric::Data::Gauge(gauge)) => points(&gauge.data_points, range, buf),
        Some(metric::Data::Sum(sum)) => {
            points(&sum.data_points, range, buf);
            temporality(sum.aggregation_temporality, buf);
            if sum.is_monotonic {
                buf.extend_from_slice(&[3 << 3, 1]);
            }
        }
        Some(metric::Data::Histogram(histogram)) => {
            points(&histogram.data_points, range, buf);
            temporality(histogram.aggregation_temporality, buf);
        }
        Some(metric::Data::Summary(summary)) => points(&summary.data_points, range, buf),
        None => {}
    }
    // Metric.metadata (12)
    for kv in &metric.metadata {
        buf.push(12 << 3 | 2);
        kv.encode_length_delimited(buf).unwrap_or_default();
    }
}

fn start_field(buf: &mut Vec<u8>, key: u8, len: usize) {
    buf.push(key);
    // A Vec<u8> grows as needed: encoding into it cannot run out of space.
    prost::encode_length_delimiter(len, buf).unwrap_or_default();
}

/// Bytes of a string field; an empty string is not written (proto3 default).
fn string_len(value: &str) -> usize {
    if value.is_empty() {
        0
    } else {
        field_len(value.len())
    }
}

fn write_string(buf: &mut Vec<u8>, key: u8, value: &str) {
    if value.is_empty() {
        return;
    }
    start_field(buf, key, value.len());
    buf.extend_from_slice(value.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{ExportMetricsServiceRequest, ResourceMetrics, ScopeMetrics};
    use crate::semconv::{self, SYSTEM_CPU_TIME, SYSTEM_MEMORY_LIMIT};

    /// The request as prost would build it from the builder's messages.
    fn assembled(b: &Builder) -> ExportMetricsServiceRequest {
        ExportMetricsServiceRequest {
            resource_metrics: b
                .resources()
                .iter()
                .map(|r| ResourceMetrics {
                    resource: Some(r.resource_with(b.host_attributes())),
                    scope_metrics: r
                        .scopes()
                        .iter()
                        .map(|s| ScopeMetrics {
                            scope: Some(s.scope().clone()),
                            metrics: s.metrics().to_vec(),
                            schema_url: s.schema_url().into(),
                        })
                        .collect(),
                    schema_url: semconv::SCHEMA_URL.into(),
                })
                .collect(),
        }
    }

    #[test]
    fn bytes_equal_prost_encoding_of_the_assembled_request() {
        let mut b = Builder::new(&[
            ("host.name".into(), "pi".into()),
            ("os.type".into(), "linux".into()),
        ]);
        b.begin(1_767_225_600_000_000_000, 1_767_200_000_000_000_000);
        {
            let mut w = b.metric(&SYSTEM_CPU_TIME);
            for state in semconv::CPU_STATES {
                w.point(&[("state", state)], 12.5);
            }
        }
        b.metric(&SYSTEM_MEMORY_LIMIT).point(&[], 8_000_000_000);
        b.finish();
        let mut ours = vec![0xde, 0xad];
        encode(&b, &mut ours);

        let request = assembled(&b);
        assert_eq!(ours, request.encode_to_vec());
        assert_eq!(
            ExportMetricsServiceRequest::decode(&ours[..]).unwrap(),
            request
        );
    }

    #[test]
    fn large_requests_use_multi_byte_lengths() {
        let mut b = Builder::new(&[]);
        b.begin(2, 1);
        let cpus: Vec<String> = (0..400).map(|n| format!("cpu{n}")).collect();
        {
            let mut w = b.metric(&SYSTEM_CPU_TIME);
            for cpu in &cpus {
                w.point(&[("cpu", cpu), ("state", "user")], 1.0);
            }
        }
        b.finish();
        let mut ours = Vec::new();
        encode(&b, &mut ours);
        let decoded = ExportMetricsServiceRequest::decode(&ours[..]).unwrap();
        assert_eq!(
            decoded.resource_metrics[0].scope_metrics[0].metrics,
            b.metrics()
        );
        assert!(
            ours.len() > 16_384,
            "lengths above 2^14 need three varint bytes: {}",
            ours.len()
        );
    }

    #[test]
    fn several_resources_and_scopes_encode_as_prost_would() {
        use crate::otlp::AttrValue;
        let mut b = Builder::new(&[("host.name".into(), "pi".into())]);
        b.begin(10, 1);
        b.metric(&SYSTEM_MEMORY_LIMIT).point(&[], 1);
        b.resource(&[
            ("process.pid", AttrValue::Int(42)),
            ("process.executable.name", AttrValue::Str("sshd")),
        ]);
        b.metric(&SYSTEM_MEMORY_LIMIT).point(&[], 2);
        b.scope("textfile", "");
        b.metric(&SYSTEM_MEMORY_LIMIT).point(&[], 3);
        b.finish();
        let mut ours = Vec::new();
        encode(&b, &mut ours);
        let request = assembled(&b);
        assert_eq!(ours, request.encode_to_vec());
        assert_eq!(request.resource_metrics.len(), 2);
        assert_eq!(request.resource_metrics[1].scope_metrics.len(), 2);
        // The host's attributes are written after the process's own, not copied into it.
        let decoded = ExportMetricsServiceRequest::decode(&ours[..]).unwrap();
        let keys: Vec<&str> = decoded.resource_metrics[1]
            .resource
            .as_ref()
            .unwrap()
            .attributes
            .iter()
            .map(|kv| kv.key.as_str())
            .collect();
        assert_eq!(
            keys,
            ["process.pid", "process.executable.name", "host.name"]
        );
        assert_eq!(
            b.resources()[1].attributes(&[]).count(),
            2,
            "only its own are kept"
        );
    }
}
