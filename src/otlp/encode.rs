//! Protobuf bytes of one `ExportMetricsServiceRequest`, written into a reused buffer.
//!
//! Reads: a `Builder`. Emits: the request body for OTLP/HTTP (`application/x-protobuf`).
//! The builder keeps resources, scopes and metrics as separate prost messages (so they are
//! reused without unwrapping a nested tree); this module writes the two wrapping messages
//! (`ResourceMetrics`, `ScopeMetrics`) around them with prost's length-delimiter functions
//! and `Message::encode_length_delimited` for everything inside. The bytes are exactly what
//! `Message::encode` of the assembled request gives (tested below).

use super::{Builder, ResourceSlot, ScopeSlot};
use crate::semconv;
use prost::Message;

// Field keys (field number << 3 | wire type 2, length-delimited); all fields used are 1..=3.
const FIELD_1: u8 = 1 << 3 | 2;
const FIELD_2: u8 = 2 << 3 | 2;
const FIELD_3: u8 = 3 << 3 | 2;

/// Replaces `buf` with the encoded request. Lengths are computed before each message is
/// written, so the buffer grows at most once per new size.
pub fn encode(builder: &Builder, buf: &mut Vec<u8>) {
    buf.clear();
    let schema = semconv::SCHEMA_URL;
    let scope_len = |scope: &ScopeSlot| {
        field_len(scope.scope().encoded_len())
            + scope
                .metrics()
                .iter()
                .map(|m| field_len(m.encoded_len()))
                .sum::<usize>()
            + string_len(scope.schema_url())
    };
    let resource_len = |resource: &ResourceSlot| {
        field_len(resource.resource().encoded_len())
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
        resource
            .resource()
            .encode_length_delimited(buf)
            .unwrap_or_default();
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

/// Bytes of a length-delimited field with a one-byte key and `len` bytes of content.
fn field_len(len: usize) -> usize {
    1 + prost::length_delimiter_len(len) + len
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
    use crate::semconv::{SYSTEM_CPU_TIME, SYSTEM_MEMORY_LIMIT};

    /// The request as prost would build it from the builder's messages.
    fn assembled(b: &Builder) -> ExportMetricsServiceRequest {
        ExportMetricsServiceRequest {
            resource_metrics: b
                .resources()
                .iter()
                .map(|r| ResourceMetrics {
                    resource: Some(r.resource().clone()),
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
    }
}
