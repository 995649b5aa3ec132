"""Decode a request carrying the textfile collector's metrics with the official classes.

Usage: decode_textfile.py REQUEST.bin REQUEST.json

As decode.py: the protobuf body and the stdout JSON line of the same run are parsed with
opentelemetry-proto (PyPI) and google.protobuf's json_format, strictly, and must be equal.
Prints, per metric name, its kind, temporality, monotonicity, metadata and points (histogram
bounds and counts, summary quantiles), and the scope names, for the Rust test to check.
"""

import json
import math
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def number(v):
    return "NaN" if math.isnan(v) else v


def attributes(kvs):
    return {kv.key: kv.value.string_value for kv in kvs}


def main():
    with open(sys.argv[1], "rb") as f:
        body = f.read()
    with open(sys.argv[2], encoding="utf-8") as f:
        line = f.read()
    from_bytes = ExportMetricsServiceRequest()
    from_bytes.ParseFromString(body)
    if from_bytes.ByteSize() != len(body):
        fail(f"protobuf: {len(body)} bytes read, {from_bytes.ByteSize()} understood")
    from_json = json_format.Parse(line, ExportMetricsServiceRequest(), ignore_unknown_fields=False)
    if from_bytes != from_json:
        fail("the protobuf body and the JSON line decode to different requests")

    out = {"scopes": []}
    for rm in from_bytes.resource_metrics:
        for sm in rm.scope_metrics:
            out["scopes"].append(sm.scope.name)
            for metric in sm.metrics:
                kind = metric.WhichOneof("data")
                data = getattr(metric, kind)
                entry = {"kind": kind, "metadata": attributes(metric.metadata)}
                if kind in ("sum", "histogram"):
                    entry["temporality"] = AggregationTemporality.Name(data.aggregation_temporality)
                if kind == "sum":
                    entry["monotonic"] = data.is_monotonic
                if kind == "histogram":
                    entry["points"] = [{
                        "attributes": attributes(p.attributes),
                        "count": p.count,
                        "sum": p.sum if p.HasField("sum") else None,
                        "bounds": list(p.explicit_bounds),
                        "counts": list(p.bucket_counts),
                    } for p in data.data_points]
                elif kind == "summary":
                    entry["points"] = [{
                        "attributes": attributes(p.attributes),
                        "count": p.count,
                        "sum": p.sum,
                        "quantiles": [[q.quantile, number(q.value)] for q in p.quantile_values],
                    } for p in data.data_points]
                out[metric.name] = entry
    print(json.dumps(out))


if __name__ == "__main__":
    main()
