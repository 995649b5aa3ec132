//! Interop: the official OpenTelemetry decoders (the `opentelemetry-proto` Python package
//! from PyPI) read our protobuf body and our OTLP/JSON line, and must find the same request
//! with the names, kinds and value types of spec/metrics.md. `make test` installs the
//! package into `.venv` and sets SYSOTLP_INTEROP_PYTHON; a bare `cargo test` without it
//! prints why it skips, and fails under `CI=true`.

use crate::export::stdout_line;
use crate::util::agent::send_once;
use crate::util::receiver::{Receiver, Reply};
use crate::util::{scratch, skip_or_fail, stderr_of};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

/// (name, kind, value type, monotonic) of every metric a default run emits on the captured
/// VM (the `agent` collector is off with a fixture root).
const EXPECTED: &[(&str, &str, &str, bool)] = &[
    ("system.cpu.time", "sum", "as_double", true),
    ("system.cpu.logical.count", "sum", "as_int", false),
    ("system.memory.usage", "sum", "as_int", false),
    ("system.memory.linux.slab.usage", "sum", "as_int", false),
    ("system.memory.limit", "sum", "as_int", false),
    ("system.memory.linux.oom_kills", "sum", "as_int", true),
    ("system.cpu.load_average.1m", "gauge", "as_double", false),
    ("system.cpu.load_average.5m", "gauge", "as_double", false),
    ("system.cpu.load_average.15m", "gauge", "as_double", false),
    ("system.disk.io", "sum", "as_int", true),
    ("system.disk.operations", "sum", "as_int", true),
    ("system.disk.io_time", "sum", "as_double", true),
    ("system.disk.operation_time", "sum", "as_double", true),
    ("system.disk.weighted_io_time", "sum", "as_double", true),
    ("system.disk.pending_operations", "sum", "as_int", false),
    ("system.disk.merged", "sum", "as_int", true),
    ("system.filesystem.usage", "sum", "as_int", false),
    ("system.filesystem.inodes.usage", "sum", "as_int", false),
    ("system.network.packets", "sum", "as_int", true),
    ("system.network.dropped", "sum", "as_int", true),
    ("system.network.errors", "sum", "as_int", true),
    ("system.network.io", "sum", "as_int", true),
    ("system.network.connections", "sum", "as_int", false),
    ("system.paging.usage", "sum", "as_int", false),
    ("system.paging.operations", "sum", "as_int", true),
    ("system.paging.faults", "sum", "as_int", true),
    ("system.processes.count", "sum", "as_int", false),
    ("system.processes.created", "sum", "as_int", true),
    ("system.uptime", "gauge", "as_double", false),
];

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
    assert_eq!(seen, EXPECTED);
    assert_eq!(summary["temporality"], "AGGREGATION_TEMPORALITY_CUMULATIVE");
    assert_eq!(summary["resource"]["os.type"], "linux");
    assert_eq!(summary["resource"]["service.name"], "sysotlp");
    assert_eq!(summary["scope"], "sysotlp");
}
