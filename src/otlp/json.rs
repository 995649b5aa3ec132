//! OTLP/JSON of one `ExportMetricsServiceRequest` on one line (exporter spec §4).
//!
//! Reads: a `Builder`, or a decoded request (tests compare the two).
//! Emits: `{"resourceMetrics":[…]}` following the protobuf JSON mapping as the OTLP
//! specification restricts it: lowerCamelCase keys in `.proto` declaration order (stable
//! goldens); 64-bit integers (`startTimeUnixNano`, `asInt`, `intValue`) as decimal strings;
//! enums as integers; fields at their default value omitted, except the oneof value
//! (`"asDouble":0`); NaN and infinities as `"NaN"`, `"Infinity"`, `"-Infinity"`.
//! Written by hand rather than with serde_json: serde would print `null` for NaN and does not
//! know proto3's default-omission rules; this is ~150 lines and allocates nothing.

use super::split::{Span, within};
use super::{
    AnyValue, Builder, ExportMetricsServiceRequest, HistogramDataPoint, InstrumentationScope,
    KeyValue, Metric, NumberDataPoint, SummaryDataPoint, any_value, metric, number_data_point,
};
use std::fmt::Write;
use std::ops::Range;

/// Replaces `out` with the JSON of the builder's request (no trailing newline).
pub fn write(builder: &Builder, out: &mut String) {
    out.clear();
    out.push_str("{\"resourceMetrics\":[");
    for (i, resource) in builder.resources().iter().enumerate() {
        comma(out, i);
        let scopes = resource
            .scopes()
            .iter()
            .map(|s| (Some(s.scope()), s.metrics(), s.schema_url()));
        let attributes = resource.attributes(builder.host_attributes());
        write_resource_metrics(out, Some((attributes, 0)), scopes, builder.schema_url());
    }
    out.push_str("]}");
}

/// The JSON of a decoded request, in the same shape as [`write`].
pub fn write_request(request: &ExportMetricsServiceRequest, out: &mut String) {
    out.clear();
    out.push('{');
    if !request.resource_metrics.is_empty() {
        out.push_str("\"resourceMetrics\":[");
        for (i, rm) in request.resource_metrics.iter().enumerate() {
            comma(out, i);
            let scopes = rm
                .scope_metrics
                .iter()
                .map(|sm| (sm.scope.as_ref(), &sm.metrics[..], sm.schema_url.as_str()));
            let resource = rm
                .resource
                .as_ref()
                .map(|r| (r.attributes.iter(), r.dropped_attributes_count));
            write_resource_metrics(out, resource, scopes, &rm.schema_url);
        }
        out.push(']');
    }
    out.push('}');
}

/// `resource`: its attributes and dropped-attributes count.
fn write_resource_metrics<'a>(
    out: &mut String,
    resource: Option<(impl Iterator<Item = &'a KeyValue>, u32)>,
    scopes: impl ExactSizeIterator<Item = (Option<&'a InstrumentationScope>, &'a [Metric], &'a str)>,
    schema_url: &str,
) {
    let mut o = Object::open(out);
    if let Some((attributes, dropped)) = resource {
        o.key("resource");
        let mut r = Object::open(o.out);
        let mut attributes = attributes.peekable();
        if attributes.peek().is_some() {
            r.key("attributes");
            write_attributes(r.out, attributes);
        }
        if dropped != 0 {
            r.key("droppedAttributesCount");
            let _ = write!(r.out, "{dropped}");
        }
        r.close();
    }
    if scopes.len() != 0 {
        o.key("scopeMetrics");
        o.out.push('[');
        for (i, (scope, metrics, scope_schema)) in scopes.enumerate() {
            comma(o.out, i);
            let mut s = Object::open(o.out);
            if let Some(scope) = scope {
                s.key("scope");
                write_scope(s.out, scope);
            }
            if !metrics.is_empty() {
                s.key("metrics");
                s.out.push('[');
                for (j, metric) in metrics.iter().enumerate() {
                    comma(s.out, j);
                    write_metric(s.out, metric, 0..usize::MAX);
                }
                s.out.push(']');
            }
            s.string("schemaUrl", scope_schema);
            s.close();
        }
        o.out.push(']');
    }
    o.string("schemaUrl", schema_url);
    o.close();
}

fn write_scope(out: &mut String, scope: &InstrumentationScope) {
    let mut o = Object::open(out);
    o.string("name", &scope.name);
    o.string("version", &scope.version);
    if !scope.attributes.is_empty() {
        o.key("attributes");
        write_attributes(o.out, &scope.attributes);
    }
    if scope.dropped_attributes_count != 0 {
        o.key("droppedAttributesCount");
        let _ = write!(o.out, "{}", scope.dropped_attributes_count);
    }
    o.close();
}

/// Replaces `out` with the JSON of one part of a `split::Plan` (no trailing newline): the
/// same shape as [`write`], each span's metric with only the span's points.
pub fn write_part(builder: &Builder, spans: &[Span], out: &mut String) {
    out.clear();
    out.push_str("{\"resourceMetrics\":[");
    let resources = builder.resources();
    for (i, group) in spans.chunk_by(|a, b| a.resource == b.resource).enumerate() {
        let Some(resource) = group.first().and_then(|s| resources.get(s.resource)) else {
            continue;
        };
        comma(out, i);
        let mut o = Object::open(out);
        o.key("resource");
        let mut r = Object::open(o.out);
        let mut attributes = resource.attributes(builder.host_attributes()).peekable();
        if attributes.peek().is_some() {
            r.key("attributes");
            write_attributes(r.out, attributes);
        }
        r.close();
        o.key("scopeMetrics");
        o.out.push('[');
        for (j, scope_group) in group.chunk_by(|a, b| a.scope == b.scope).enumerate() {
            let Some(scope) = scope_group
                .first()
                .and_then(|s| resource.scopes().get(s.scope))
            else {
                continue;
            };
            comma(o.out, j);
            let mut sm = Object::open(o.out);
            sm.key("scope");
            write_scope(sm.out, scope.scope());
            sm.key("metrics");
            sm.out.push('[');
            for (k, span) in scope_group.iter().enumerate() {
                let Some(metric) = scope.metrics().get(span.metric) else {
                    continue;
                };
                comma(sm.out, k);
                write_metric(sm.out, metric, span.points.clone());
            }
            sm.out.push(']');
            sm.string("schemaUrl", scope.schema_url());
            sm.close();
        }
        o.out.push(']');
        o.string("schemaUrl", builder.schema_url());
        o.close();
    }
    out.push_str("]}");
}

/// `metric` with its points `range` (all: `0..usize::MAX`, or a span's).
fn write_metric(out: &mut String, metric: &Metric, range: Range<usize>) {
    let mut o = Object::open(out);
    o.string("name", &metric.name);
    o.string("description", &metric.description);
    o.string("unit", &metric.unit);
    match &metric.data {
        Some(metric::Data::Gauge(gauge)) => {
            let points = within(&gauge.data_points, range);
            o.key("gauge");
            let mut g = Object::open(o.out);
            if !points.is_empty() {
                g.key("dataPoints");
                write_points(g.out, points);
            }
            g.close();
        }
        Some(metric::Data::Sum(sum)) => {
            let points = within(&sum.data_points, range);
            o.key("sum");
            let mut s = Object::open(o.out);
            if !points.is_empty() {
                s.key("dataPoints");
                write_points(s.out, points);
            }
            if sum.aggregation_temporality != 0 {
                s.key("aggregationTemporality");
                let _ = write!(s.out, "{}", sum.aggregation_temporality);
            }
            if sum.is_monotonic {
                s.key("isMonotonic");
                s.out.push_str("true");
            }
            s.close();
        }
        Some(metric::Data::Histogram(histogram)) => {
            o.key("histogram");
            let mut h = Object::open(o.out);
            let points = within(&histogram.data_points, range);
            if !points.is_empty() {
                h.key("dataPoints");
                write_histogram_points(h.out, points);
            }
            if histogram.aggregation_temporality != 0 {
                h.key("aggregationTemporality");
                let _ = write!(h.out, "{}", histogram.aggregation_temporality);
            }
            h.close();
        }
        Some(metric::Data::Summary(summary)) => {
            o.key("summary");
            let mut s = Object::open(o.out);
            let points = within(&summary.data_points, range);
            if !points.is_empty() {
                s.key("dataPoints");
                write_summary_points(s.out, points);
            }
            s.close();
        }
        None => {}
    }
    if !metric.metadata.is_empty() {
        o.key("metadata");
        write_attributes(o.out, &metric.metadata);
    }
    o.close();
}

fn write_histogram_points(out: &mut String, points: &[HistogramDataPoint]) {
    out.push('[');
    for (i, point) in points.iter().enumerate() {
        comma(out, i);
        let mut o = Object::open(out);
        if !point.attributes.is_empty() {
            o.key("attributes");
            write_attributes(o.out, &point.attributes);
        }
        o.fixed64("startTimeUnixNano", point.start_time_unix_nano);
        o.fixed64("timeUnixNano", point.time_unix_nano);
        o.fixed64("count", point.count);
        if let Some(sum) = point.sum {
            o.key("sum");
            write_double(o.out, sum);
        }
        if !point.bucket_counts.is_empty() {
            o.key("bucketCounts");
            o.out.push('[');
            for (j, count) in point.bucket_counts.iter().enumerate() {
                comma(o.out, j);
                let _ = write!(o.out, "\"{count}\"");
            }
            o.out.push(']');
        }
        if !point.explicit_bounds.is_empty() {
            o.key("explicitBounds");
            o.out.push('[');
            for (j, bound) in point.explicit_bounds.iter().enumerate() {
                comma(o.out, j);
                write_double(o.out, *bound);
            }
            o.out.push(']');
        }
        if point.flags != 0 {
            o.key("flags");
            let _ = write!(o.out, "{}", point.flags);
        }
        for (key, value) in [("min", point.min), ("max", point.max)] {
            if let Some(value) = value {
                o.key(key);
                write_double(o.out, value);
            }
        }
        o.close();
    }
    out.push(']');
}

fn write_summary_points(out: &mut String, points: &[SummaryDataPoint]) {
    out.push('[');
    for (i, point) in points.iter().enumerate() {
        comma(out, i);
        let mut o = Object::open(out);
        if !point.attributes.is_empty() {
            o.key("attributes");
            write_attributes(o.out, &point.attributes);
        }
        o.fixed64("startTimeUnixNano", point.start_time_unix_nano);
        o.fixed64("timeUnixNano", point.time_unix_nano);
        o.fixed64("count", point.count);
        o.double("sum", point.sum);
        if !point.quantile_values.is_empty() {
            o.key("quantileValues");
            o.out.push('[');
            for (j, q) in point.quantile_values.iter().enumerate() {
                comma(o.out, j);
                let mut v = Object::open(o.out);
                v.double("quantile", q.quantile);
                v.double("value", q.value);
                v.close();
            }
            o.out.push(']');
        }
        if point.flags != 0 {
            o.key("flags");
            let _ = write!(o.out, "{}", point.flags);
        }
        o.close();
    }
    out.push(']');
}

fn write_points(out: &mut String, points: &[NumberDataPoint]) {
    out.push('[');
    for (i, point) in points.iter().enumerate() {
        comma(out, i);
        let mut o = Object::open(out);
        if !point.attributes.is_empty() {
            o.key("attributes");
            write_attributes(o.out, &point.attributes);
        }
        o.fixed64("startTimeUnixNano", point.start_time_unix_nano);
        o.fixed64("timeUnixNano", point.time_unix_nano);
        match point.value {
            Some(number_data_point::Value::AsDouble(v)) => {
                o.key("asDouble");
                write_double(o.out, v);
            }
            Some(number_data_point::Value::AsInt(v)) => {
                o.key("asInt");
                let _ = write!(o.out, "\"{v}\"");
            }
            None => {}
        }
        if point.flags != 0 {
            o.key("flags");
            let _ = write!(o.out, "{}", point.flags);
        }
        o.close();
    }
    out.push(']');
}

fn write_attributes<'a>(out: &mut String, attributes: impl IntoIterator<Item = &'a KeyValue>) {
    out.push('[');
    for (i, kv) in attributes.into_iter().enumerate() {
        comma(out, i);
        let mut o = Object::open(out);
        o.string("key", &kv.key);
        if let Some(value) = &kv.value {
            o.key("value");
            write_any_value(o.out, value);
        }
        o.close();
    }
    out.push(']');
}

fn write_any_value(out: &mut String, value: &AnyValue) {
    let mut o = Object::open(out);
    match &value.value {
        Some(any_value::Value::StringValue(s)) => {
            o.key("stringValue");
            write_str(o.out, s);
        }
        Some(any_value::Value::BoolValue(b)) => {
            o.key("boolValue");
            o.out.push_str(if *b { "true" } else { "false" });
        }
        Some(any_value::Value::IntValue(v)) => {
            o.key("intValue");
            let _ = write!(o.out, "\"{v}\"");
        }
        Some(any_value::Value::DoubleValue(v)) => {
            o.key("doubleValue");
            write_double(o.out, *v);
        }
        None => {}
    }
    o.close();
}

fn write_double(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("\"NaN\"");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 {
            "\"Infinity\""
        } else {
            "\"-Infinity\""
        });
    } else {
        // Rust prints the shortest text that reads back to the same f64, never an exponent:
        // valid JSON, stable across runs.
        let _ = write!(out, "{v}");
    }
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn comma(out: &mut String, index: usize) {
    if index > 0 {
        out.push(',');
    }
}

/// A JSON object being written: tracks whether a comma is due.
struct Object<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Object<'a> {
    fn open(out: &'a mut String) -> Self {
        out.push('{');
        Object { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    /// A string field, omitted when empty (proto3 default).
    fn string(&mut self, key: &str, value: &str) {
        if !value.is_empty() {
            self.key(key);
            write_str(self.out, value);
        }
    }

    /// A double field, omitted when 0 (proto3 default; NaN is not 0, so it is written).
    fn double(&mut self, key: &str, value: f64) {
        if value != 0.0 {
            self.key(key);
            write_double(self.out, value);
        }
    }

    /// A fixed64 field as a decimal string, omitted when 0.
    fn fixed64(&mut self, key: &str, value: u64) {
        if value != 0 {
            self.key(key);
            let _ = write!(self.out, "\"{value}\"");
        }
    }

    fn close(self) {
        self.out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semconv::{SYSTEM_CPU_LOGICAL_COUNT, SYSTEM_CPU_TIME, SYSTEM_UPTIME};

    #[test]
    fn follows_the_otlp_json_mapping() {
        let mut b = Builder::new(&[("host.name".into(), "a\"b\\c\n".into())]);
        b.begin(1_767_225_600_000_000_000, 1_767_200_000_000_000_000);
        b.metric(&SYSTEM_CPU_TIME).point(&[("state", "idle")], 0.0);
        b.metric(&SYSTEM_CPU_LOGICAL_COUNT).point(&[], 4);
        b.metric(&SYSTEM_UPTIME).point(&[], f64::NAN);
        b.finish();
        let mut out = String::new();
        write(&b, &mut out);
        let version = env!("CARGO_PKG_VERSION");
        let expected = format!(
            concat!(
                r#"{{"resourceMetrics":[{{"resource":{{"attributes":[{{"key":"host.name","value":{{"stringValue":"a\"b\\c\n"}}}}]}},"#,
                r#""scopeMetrics":[{{"scope":{{"name":"sysotlp","version":"{version}"}},"metrics":["#,
                r#"{{"name":"system.cpu.time","description":"CPU time spent in each state since boot.","unit":"s","sum":{{"dataPoints":[{{"attributes":[{{"key":"state","value":{{"stringValue":"idle"}}}}],"startTimeUnixNano":"1767200000000000000","timeUnixNano":"1767225600000000000","asDouble":0}}],"aggregationTemporality":2,"isMonotonic":true}}}},"#,
                r#"{{"name":"system.cpu.logical.count","description":"Number of logical CPUs currently online.","unit":"{{cpu}}","sum":{{"dataPoints":[{{"startTimeUnixNano":"1767200000000000000","timeUnixNano":"1767225600000000000","asInt":"4"}}],"aggregationTemporality":2}}}},"#,
                r#"{{"name":"system.uptime","description":"Time since boot, including suspend.","unit":"s","gauge":{{"dataPoints":[{{"startTimeUnixNano":"1767200000000000000","timeUnixNano":"1767225600000000000","asDouble":"NaN"}}]}}}}"#,
                r#"],"schemaUrl":"https://opentelemetry.io/schemas/1.9.0"}}],"schemaUrl":"https://opentelemetry.io/schemas/1.9.0"}}]}}"#
            ),
            version = version
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn doubles_and_control_characters() {
        let mut s = String::new();
        for v in [1.5, -0.25, 1e21, f64::INFINITY, f64::NEG_INFINITY, 3.0] {
            write_double(&mut s, v);
            s.push(' ');
        }
        assert_eq!(
            s,
            "1.5 -0.25 1000000000000000000000 \"Infinity\" \"-Infinity\" 3 "
        );
        let mut s = String::new();
        write_str(&mut s, "x\u{1}y\u{e9}");
        assert_eq!(s, "\"x\\u0001y\u{e9}\"");
    }

    #[test]
    fn decoded_request_renders_like_the_builder() {
        use prost::Message;
        let mut b = Builder::new(&[("host.name".into(), "h".into())]);
        b.begin(5, 3);
        b.metric(&SYSTEM_CPU_TIME).point(&[("state", "user")], 2.5);
        b.finish();
        let mut bytes = Vec::new();
        crate::otlp::encode::encode(&b, &mut bytes);
        let decoded = ExportMetricsServiceRequest::decode(&bytes[..]).unwrap();
        let (mut ours, mut theirs) = (String::new(), String::new());
        write(&b, &mut ours);
        write_request(&decoded, &mut theirs);
        assert_eq!(ours, theirs);
    }
}
