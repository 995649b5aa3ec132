"""Decode sysotlp's output with the official OpenTelemetry protobuf classes.

Usage: decode.py REQUEST.bin REQUEST.json

REQUEST.bin is a body sysotlp POSTed to /v1/metrics; REQUEST.json is the line its stdout
exporter printed for the same fixture. Both are parsed with opentelemetry-proto (PyPI) and
google.protobuf's json_format, strictly: unknown JSON keys or unknown protobuf fields fail.
The two messages must be equal. Prints a JSON summary (metric name, kind, value type,
monotonicity, resource attributes) for the Rust test to check against the spec.
"""

import json
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def main():
    with open(sys.argv[1], "rb") as f:
        body = f.read()
    with open(sys.argv[2], encoding="utf-8") as f:
        line = f.read()

    from_bytes = ExportMetricsServiceRequest()
    from_bytes.ParseFromString(body)
    if from_bytes.ByteSize() != len(body):
        fail(f"protobuf: {len(body)} bytes read, {from_bytes.ByteSize()} understood (unknown fields?)")
    from_json = json_format.Parse(line, ExportMetricsServiceRequest(), ignore_unknown_fields=False)
    if from_bytes != from_json:
        fail("the protobuf body and the JSON line decode to different requests")
    if len(from_bytes.resource_metrics) != 1:
        fail("expected one ResourceMetrics")

    rm = from_bytes.resource_metrics[0]
    scope = rm.scope_metrics[0]
    metrics = []
    temporalities = set()
    for metric in scope.metrics:
        kind = metric.WhichOneof("data")
        data = getattr(metric, kind)
        values = {p.WhichOneof("value") for p in data.data_points}
        if len(values) != 1:
            fail(f"{metric.name}: mixed value types {values}")
        if any(p.time_unix_nano == 0 or p.start_time_unix_nano == 0 for p in data.data_points):
            fail(f"{metric.name}: a point without time or start time")
        if kind == "sum" and data.is_monotonic:
            temporalities.add(data.aggregation_temporality)
        elif kind == "sum" and data.aggregation_temporality != AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE:
            fail(f"{metric.name}: an UpDownCounter is always cumulative")
        metrics.append({
            "name": metric.name,
            "kind": kind,
            "value": values.pop(),
            "monotonic": kind == "sum" and data.is_monotonic,
            "points": len(data.data_points),
        })
    if len(temporalities) != 1:
        fail(f"expected one temporality of Counters, got {temporalities}")
    summary = {
        "metrics": metrics,
        "temporality": AggregationTemporality.Name(temporalities.pop()),
        "resource": {kv.key: kv.value.string_value for kv in rm.resource.attributes},
        "scope": scope.scope.name,
        "schema_url": rm.schema_url,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
