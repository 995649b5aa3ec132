//! OTLP/JSON requests (what the stdout exporter prints, or a decoded protobuf body written
//! as JSON) flattened to one `Point` per data point: the one reading of `resourceMetrics`
//! every test module shares.

use serde_json::Value;
use sysotlp::otlp::ExportMetricsServiceRequest;

/// One data point of a request, in output order.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The metric's name.
    pub name: String,
    /// The point's attributes as `k=v,…` in output order (`""` when it has none).
    pub attrs: String,
    /// `asDouble` (a JSON number) or `asInt` (a JSON string, as OTLP/JSON prints int64);
    /// `Null` when the point has neither.
    pub value: Value,
    /// `startTimeUnixNano` and `timeUnixNano` as printed (decimal strings; `""` when absent).
    pub start: String,
    pub time: String,
}

impl Point {
    /// The `asInt` value (`None` for a double).
    pub fn int(&self) -> Option<i64> {
        self.value.as_str()?.parse().ok()
    }

    /// Whether `key=value` is one of the attributes.
    pub fn has(&self, key: &str, value: &str) -> bool {
        self.attrs
            .split(',')
            .any(|kv| kv == format!("{key}={value}"))
    }
}

/// Every data point of `request` (sums and gauges), in output order.
pub fn points(request: &Value) -> Vec<Point> {
    let mut out = Vec::new();
    for rm in request["resourceMetrics"].as_array().into_iter().flatten() {
        for sm in rm["scopeMetrics"].as_array().into_iter().flatten() {
            for m in sm["metrics"].as_array().into_iter().flatten() {
                let data = if m["sum"].is_object() {
                    &m["sum"]
                } else {
                    &m["gauge"]
                };
                for p in data["dataPoints"].as_array().into_iter().flatten() {
                    let text = |key: &str| p[key].as_str().unwrap_or_default().to_string();
                    out.push(Point {
                        name: m["name"].as_str().expect("metric name").to_string(),
                        attrs: attributes(&p["attributes"]).join(","),
                        value: p
                            .get("asDouble")
                            .or(p.get("asInt"))
                            .cloned()
                            .unwrap_or(Value::Null),
                        start: text("startTimeUnixNano"),
                        time: text("timeUnixNano"),
                    });
                }
            }
        }
    }
    out
}

/// An OTLP/JSON `KeyValue` list as `k=v` strings (string values bare, any other as JSON).
fn attributes(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|kv| {
            let key = kv["key"].as_str().expect("attribute key");
            match kv["value"]["stringValue"].as_str() {
                Some(value) => format!("{key}={value}"),
                None => format!("{key}={}", kv["value"]),
            }
        })
        .collect()
}

/// The attributes of the first resource, as `k=v`.
pub fn resource(request: &Value) -> Vec<String> {
    attributes(&request["resourceMetrics"][0]["resource"]["attributes"])
}

/// The point of `name` with exactly `attrs`, if there is one.
pub fn find<'a>(points: &'a [Point], name: &str, attrs: &str) -> Option<&'a Point> {
    points.iter().find(|p| p.name == name && p.attrs == attrs)
}

/// The one point of `name` with exactly `attrs`; fails the test when there is none, or more
/// than one (the same series twice in a request).
pub fn get<'a>(points: &'a [Point], name: &str, attrs: &str) -> &'a Point {
    let found: Vec<&Point> = points
        .iter()
        .filter(|p| p.name == name && p.attrs == attrs)
        .collect();
    match found[..] {
        [point] => point,
        [] => panic!("no point {name}{{{attrs}}}"),
        _ => panic!("{} points {name}{{{attrs}}}: {found:?}", found.len()),
    }
}

/// (value as printed, start time) of the one point of `name` with exactly `attrs`: an int as
/// its decimal string, a double as serde prints it (`1.5`, `86.123456`, `600`).
pub fn value_and_start(points: &[Point], name: &str, attrs: &str) -> (String, String) {
    let p = get(points, name, attrs);
    let value = match &p.value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    (value, p.start.clone())
}

/// A decoded protobuf request as the OTLP/JSON our stdout exporter prints, parsed.
pub fn json_of(request: &ExportMetricsServiceRequest) -> Value {
    let mut line = String::new();
    sysotlp::otlp::json::write_request(request, &mut line);
    serde_json::from_str(&line).expect("our OTLP/JSON parses")
}
