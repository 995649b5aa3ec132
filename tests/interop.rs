//! Interop: the official OpenTelemetry decoders (the `opentelemetry-proto` Python package
//! from PyPI) read our protobuf body and our OTLP/JSON line, and must find the same request
//! with the names, kinds and value types of spec/metrics.md. `make test` installs the
//! package into `.venv` and sets SYSOTLP_INTEROP_PYTHON; a bare `cargo test` without it
//! prints why it skips, and fails under `CI=true`.

use crate::export::stdout_line;
use crate::util::agent::{request_for, send_once};
use crate::util::receiver::{Receiver, Reply};
use crate::util::ticks::run_ticks_encoded;
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
        // The VM's virtio eth0 reports speed −1 ("unknown") and its other links none: no
        // bandwidth point (spec §5.5), asserted in tests/pressure_links.rs.
        .filter(|m| m.name != sysotlp::semconv::HW_NETWORK_BANDWIDTH_LIMIT.name)
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

/// The interop Python, or `None` after `skip_or_fail` said why.
fn python() -> Option<std::ffi::OsString> {
    let python = std::env::var_os("SYSOTLP_INTEROP_PYTHON");
    if python.is_none() {
        skip_or_fail(
            "the official OpenTelemetry packages: SYSOTLP_INTEROP_PYTHON is not set (run \
             `make test`, which installs them into .venv and sets it)",
        );
    }
    python
}

fn script(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(name)
}

#[test]
fn official_decoders_read_delta_requests() {
    let Some(python) = python() else { return };
    let ticks = run_ticks_encoded(
        "delta",
        &["t0", "t1"],
        &["--collectors=cpu,network", "--temporality=delta"],
    );
    let (line, body) = &ticks[1];
    let dir = scratch("interop-delta");
    std::fs::write(dir.join("request.bin"), body).unwrap();
    std::fs::write(dir.join("request.json"), line).unwrap();
    let out = Command::new(python)
        .arg(script("decode.py"))
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
    assert_eq!(summary["temporality"], "AGGREGATION_TEMPORALITY_DELTA");
    let monotonic: Vec<&str> = summary["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["monotonic"] == true)
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        monotonic,
        [
            "system.cpu.time",
            "system.network.packets",
            "system.network.dropped",
            "system.network.errors",
            "system.network.io"
        ]
    );
}

/// Every registry metric and collector but our own (`agent`) and `textfile` (it needs a
/// directory): `--enable` for the widest request a fixture gives.
fn everything() -> String {
    let rows = sysotlp::collect::REGISTRY
        .iter()
        .filter(|row| !matches!(row.name, "agent" | "textfile"));
    let mut names: Vec<&str> = Vec::new();
    for row in rows {
        names.push(row.name);
        names.extend(row.metrics.iter().map(|m| m.name));
    }
    names.join(",")
}

#[test]
fn semconv_names_units_keys_and_values_exist_in_semantic_conventions_1_44() {
    let Some(python) = python() else { return };
    let dir = scratch("interop-semconv");
    let everything = everything();
    let mut files = Vec::new();
    for naming in ["semconv", "hostmetrics"] {
        for name in [
            "x86_64-vm",
            "laptop-x86",
            "raspberry-pi-4",
            "container-v2",
            "process",
        ] {
            let flags = ["--per-cpu", "--names", naming, "--enable", &everything];
            let (request, _) = request_for(name, &flags);
            let file = dir.join(format!("{name}-{naming}.json"));
            std::fs::write(&file, request.to_string()).unwrap();
            files.push((naming, file));
        }
        // Utilization needs a second tick.
        let flags = [
            "--per-cpu",
            "--names",
            naming,
            "--enable",
            "system.cpu.utilization",
        ];
        let ticks = run_ticks_encoded("cpu-hotplug", &["t0", "t1"], &flags);
        let file = dir.join(format!("cpu-hotplug-{naming}.json"));
        std::fs::write(&file, &ticks[1].0).unwrap();
        files.push((naming, file));
        let flags = ["--names", naming, "--enable", &everything];
        let ticks = run_ticks_encoded("process-cpu", &["t0", "t1"], &flags);
        let file = dir.join(format!("process-cpu-{naming}.json"));
        std::fs::write(&file, &ticks[1].0).unwrap();
        files.push((naming, file));
    }
    let readme = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let check = |naming: &str| {
        let mut command = Command::new(&python);
        command.arg(script("check_semconv.py")).arg(&readme);
        command.args(files.iter().filter(|(n, _)| *n == naming).map(|(_, f)| f));
        command.output().unwrap()
    };

    let out = check("semconv");
    assert!(
        out.status.success(),
        "check_semconv.py:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("a JSON summary");
    let renames = sysotlp::semconv::current::RENAMES;
    assert_eq!(
        summary["rows"],
        renames.len(),
        "every README row was checked"
    );
    let seen: Vec<&str> = summary["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    for rename in renames {
        assert!(
            seen.contains(&rename.name),
            "{} (row {}) is in no fixture's output: its row is unchecked",
            rename.name,
            rename.from
        );
    }

    // The checker can fail: hostmetrics names are what semconv deprecated.
    let out = check("hostmetrics");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("system.network.packets is deprecated")
            && stderr.contains("key device is not a current semconv attribute"),
        "{stderr}"
    );
}
