//! The OTLP/HTTP exporter against a real loopback receiver.

use crate::util::agent::{print_once, send_once};
use crate::util::receiver::{Receiver, Reply, Request};
use crate::util::{fixture, run, stderr_of};
use prost::Message;
use std::time::Duration;
use sysotlp::otlp::{ExportMetricsPartialSuccess, ExportMetricsServiceResponse};

const WAIT: Duration = Duration::from_secs(10);

/// Runs `--once` against `receiver` for a fixture; returns (exit code, stderr, request seen).
fn once(
    receiver: &Receiver,
    name: &str,
    extra: &[&str],
    vars: &[(&str, &str)],
) -> (Option<i32>, String, Option<Request>) {
    let mut flags = Vec::new();
    if name == "offline-cpu" {
        flags.push("--collectors=cpu,memory,load,system");
    }
    flags.extend_from_slice(extra);
    let out = send_once(&receiver.base_url(), name, &flags, vars);
    (
        out.status.code(),
        stderr_of(&out),
        receiver.next(Duration::from_millis(100)),
    )
}

/// What the stdout exporter prints for the same fixture.
pub fn stdout_line(name: &str) -> String {
    let root = fixture(name);
    print_once(&["--root-path", root.to_str().unwrap()], &[]).0
}

#[test]
fn posts_protobuf_that_decodes_to_the_stdout_request() {
    let receiver = Receiver::start(vec![Reply::ok()]);
    let vars = [(
        "OTEL_EXPORTER_OTLP_HEADERS",
        "api-key=a%2Cb, Authorization=Basic dXNlcjpw==",
    )];
    let (code, stderr, request) = once(&receiver, "x86_64-vm", &[], &vars);
    assert_eq!(code, Some(0), "{stderr}");
    let request = request.expect("one request");
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1/metrics")
    );
    assert_eq!(
        request.header("content-type"),
        Some("application/x-protobuf")
    );
    assert_eq!(
        request.header("user-agent"),
        Some(concat!("sysotlp/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(request.header("api-key"), Some("a,b"));
    assert_eq!(request.header("authorization"), Some("Basic dXNlcjpw=="));
    assert_eq!(
        request.header("content-length"),
        Some(request.body.len().to_string().as_str())
    );
    assert!(
        !stderr.contains("dXNlcjpw"),
        "header values never reach the log"
    );

    let mut json = String::new();
    sysotlp::otlp::json::write_request(&request.message(), &mut json);
    assert_eq!(json, stdout_line("x86_64-vm"));
}

#[test]
fn partial_success_is_delivered_and_logged() {
    let body = ExportMetricsServiceResponse {
        partial_success: Some(ExportMetricsPartialSuccess {
            rejected_data_points: 3,
            error_message: "too old".into(),
        }),
    };
    let receiver = Receiver::start(vec![Reply::Answer(
        200,
        "application/x-protobuf",
        body.encode_to_vec(),
    )]);
    let (code, stderr, request) = once(&receiver, "offline-cpu", &[], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(request.is_some());
    assert!(
        stderr.contains("WARN receiver rejected 3 data points: too old"),
        "{stderr}"
    );
}

#[test]
fn error_status_is_logged_with_its_message_and_exits_1() {
    let receiver = Receiver::start(vec![Reply::status(400, 3, "bad metric")]);
    let (code, stderr, request) = once(&receiver, "offline-cpu", &[], &[]);
    assert_eq!(code, Some(1));
    assert!(request.is_some());
    assert!(
        stderr.contains("/v1/metrics: HTTP 400: bad metric"),
        "{stderr}"
    );
}

#[test]
fn plain_text_errors_are_escaped_excerpts() {
    let receiver = Receiver::start(vec![Reply::Answer(
        503,
        "text/plain",
        b"overloaded\nInjected: line".to_vec(),
    )]);
    let (code, stderr, _) = once(&receiver, "offline-cpu", &[], &[]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("HTTP 503: overloaded\\nInjected: line"),
        "{stderr}"
    );
}

#[test]
fn a_silent_receiver_costs_at_most_the_timeout() {
    let receiver = Receiver::start(vec![Reply::Hang]);
    let (code, stderr, request) = once(&receiver, "offline-cpu", &["--timeout", "500ms"], &[]);
    assert_eq!(code, Some(1));
    assert!(request.is_some());
    assert!(stderr.contains("timed out after 500ms"), "{stderr}");
}

#[test]
fn metrics_endpoint_is_used_verbatim() {
    let receiver = Receiver::start(vec![Reply::ok()]);
    let root = fixture("offline-cpu");
    let url = format!("{}/custom/path", receiver.base_url());
    let out = run(
        &["--once", "--root-path", root.to_str().unwrap()],
        &[("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", &url)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(receiver.next(WAIT).expect("request").path, "/custom/path");
}
