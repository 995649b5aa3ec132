//! Interop: the official OpenTelemetry decoders (the `opentelemetry-proto` Python package
//! from PyPI) read our protobuf body and our OTLP/JSON line, and must find the same request
//! with the names, kinds and value types of spec/metrics.md. `make test` installs the
//! package into `.venv` and sets SYSOTLP_INTEROP_PYTHON; a bare `cargo test` without it
//! prints why it skips, and fails under `CI=true`.

use crate::export::stdout_line;
use crate::util::agent::send_once;
use crate::util::receiver::{Receiver, Reply};
use crate::util::{default_metrics, fixture_default_collectors};
use crate::util::{scratch, skip_or_fail, stderr_of};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;
use sysotlp::semconv::{Kind, ValueType};

/// Default collectors that run on the captured VM but find nothing there: a guest without
/// hwmon or thermal zones (its `sys/class` has neither).
const NO_SOURCE: [&str; 1] = ["thermal"];

/// (name, kind, value type, monotonic) of every metric a default run emits on the captured
/// VM, from the registry and semconv (the `agent` collector is off with a fixture root).
fn expected() -> Vec<(&'static str, &'static str, &'static str, bool)> {
    let collectors: Vec<&str> = fixture_default_collectors("x86_64-vm")
        .into_iter()
        .filter(|c| !NO_SOURCE.contains(c))
        .collect();
    default_metrics(&collectors)
        .iter()
        .map(|m| {
            let kind = match m.kind {
                Kind::Gauge => "gauge",
                Kind::Counter | Kind::UpDownCounter => "sum",
            };
            let value = match m.value {
                ValueType::Int => "as_int",
                ValueType::Double => "as_double",
            };
            (m.name, kind, value, m.kind == Kind::Counter)
        })
        .collect()
}

#[test]
fn official_decoders_agree_with_our_bytes_and_json() {
    let Some(python) = std::env::var_os("SYSOTLP_INTEROP_PYTHON") else {
        return skip_or_fail(
            "the official decoders: SYSOTLP_INTEROP_PYTHON is not set (run `make test`, which \
             installs opentelemetry-proto into .venv and sets it)",
        );
    };
    let receiver = Receiver::start(vec![Reply::ok()]);
    let out = send_once(&receiver.base_url(), "x86_64-vm", &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let body = receiver.next(Duration::from_secs(5)).expect("request").body;

    let dir = scratch("interop");
    std::fs::write(dir.join("request.bin"), &body).unwrap();
    std::fs::write(dir.join("request.json"), stdout_line("x86_64-vm")).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/decode.py");
    let out = Command::new(python)
        .arg(script)
        .arg(dir.join("request.bin"))
        .arg(dir.join("request.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "decode.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let summary: Value = serde_json::from_slice(&out.stdout).expect("decode.py prints JSON");
    let metrics = summary["metrics"].as_array().unwrap();
    let seen: Vec<(&str, &str, &str, bool)> = metrics
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap(),
                m["kind"].as_str().unwrap(),
                m["value"].as_str().unwrap(),
                m["monotonic"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected = expected();
    assert!(expected.len() >= 29, "{expected:?}");
    assert_eq!(seen, expected);
    assert_eq!(summary["temporality"], "AGGREGATION_TEMPORALITY_CUMULATIVE");
    assert_eq!(summary["resource"]["os.type"], "linux");
    assert_eq!(summary["resource"]["service.name"], "sysotlp");
    assert_eq!(summary["scope"], "sysotlp");
}
