//! The ingest rules of the backends README's table names, each played by a loopback
//! receiver that answers as that backend's documentation says (tests/util/receiver.rs
//! `Reply::Decide`): Dynatrace refuses cumulative monotonic sums with a partial success,
//! Prometheus needs `service.name` and `service.instance.id` for `job` and `instance`,
//! OpenObserve takes Basic auth on its own path, and a JSON-only receiver takes
//! `--protocol http/json` (plain and gzipped, queued and spooled).

use crate::export::stdout_line;
use crate::util::receiver::{Receiver, Reply, Request};
use crate::util::{fixture, run, scratch, stderr_of};
use prost::Message;
use serde_json::Value;
use std::io::Read;
use std::time::Duration;
use sysotlp::otlp::{
    AggregationTemporality, ExportMetricsPartialSuccess, ExportMetricsServiceResponse, metric,
};

const WAIT: Duration = Duration::from_secs(20);
const DYNATRACE_REFUSAL: &str = "UNSUPPORTED_METRIC_TYPE_MONOTONIC_CUMULATIVE_SUM";

/// Dynatrace's OTLP metrics API: `Api-Token` auth; monotonic cumulative sums are refused
/// point by point in a partial success (HTTP 200), everything else is taken.
fn dynatrace(request: &Request) -> Reply {
    if !request
        .header("authorization")
        .is_some_and(|v| v.starts_with("Api-Token "))
    {
        return Reply::status(401, 16, "missing Api-Token");
    }
    let mut refused = 0;
    for rm in &request.message().resource_metrics {
        for sm in &rm.scope_metrics {
            for m in &sm.metrics {
                if let Some(metric::Data::Sum(sum)) = &m.data {
                    let cumulative =
                        sum.aggregation_temporality == AggregationTemporality::Cumulative as i32;
                    if sum.is_monotonic && cumulative {
                        refused += sum.data_points.len() as i64;
                    }
                }
            }
        }
    }
    let answer = ExportMetricsServiceResponse {
        partial_success: (refused > 0).then(|| ExportMetricsPartialSuccess {
            rejected_data_points: refused,
            error_message: DYNATRACE_REFUSAL.into(),
        }),
    };
    Reply::Answer(200, "application/x-protobuf", answer.encode_to_vec())
}

/// Prometheus' OTLP receiver (`/api/v1/otlp/v1/metrics`): protobuf only, and a resource
/// without `service.name` and `service.instance.id` has no `job` and `instance` label (we
/// answer 400 so the test sees it).
fn prometheus(request: &Request) -> Reply {
    if request.path != "/api/v1/otlp/v1/metrics" {
        return Reply::status(404, 5, "not found");
    }
    if request.header("content-type") != Some("application/x-protobuf") {
        return Reply::status(415, 3, "unsupported content type");
    }
    for rm in &request.message().resource_metrics {
        let keys: Vec<&str> = rm
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .map(|kv| kv.key.as_str())
            .collect();
        if !keys.contains(&"service.name") || !keys.contains(&"service.instance.id") {
            return Reply::status(400, 3, "no job/instance: service.name, service.instance.id");
        }
    }
    Reply::ok()
}

/// OpenObserve: `/api/<organisation>/v1/metrics` with Basic auth (`root@example.com:Complexpass#123`).
fn openobserve(request: &Request) -> Reply {
    if request.path != "/api/default/v1/metrics" {
        return Reply::status(404, 5, "not found");
    }
    if request.header("authorization") != Some("Basic cm9vdEBleGFtcGxlLmNvbTpDb21wbGV4cGFzcyMxMjM=")
    {
        return Reply::status(401, 16, "unauthorized");
    }
    Reply::ok()
}

/// A receiver that reads OTLP/JSON only (`application/json`, gzip allowed) and answers in
/// JSON, refusing none.
fn json_only(request: &Request) -> Reply {
    if request.header("content-type") != Some("application/json") {
        return Reply::Answer(
            415,
            "application/json",
            br#"{"code":3,"message":"JSON only"}"#.to_vec(),
        );
    }
    if serde_json::from_slice::<Value>(&plain_body(request)).is_err() {
        return Reply::Answer(
            400,
            "application/json",
            br#"{"code":3,"message":"bad JSON"}"#.to_vec(),
        );
    }
    Reply::Answer(200, "application/json", b"{\"partialSuccess\":{}}".to_vec())
}

fn plain_body(request: &Request) -> Vec<u8> {
    if request.header("content-encoding") == Some("gzip") {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&request.body[..])
            .read_to_end(&mut plain)
            .expect("gunzip");
        plain
    } else {
        request.body.clone()
    }
}

/// `sysotlp --once` on `fixtures/<name>` with `args`; exit code and stderr.
fn once(name: &str, args: &[&str], vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let root = fixture(name);
    let mut all = vec!["--once", "--root-path", root.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = run(&all, vars);
    (out.status.code(), stderr_of(&out))
}

#[test]
fn dynatrace_refuses_cumulative_sums_and_takes_deltas() {
    let receiver = Receiver::start(vec![Reply::Decide(dynatrace)]);
    let url = format!("{}/api/v2/otlp/v1/metrics", receiver.base_url());
    let auth = [(
        "OTEL_EXPORTER_OTLP_HEADERS",
        "Authorization=Api-Token%20dt0c01.x",
    )];
    let (code, stderr) = once("x86_64-vm", &["--metrics-endpoint", &url], &auth);
    let request = receiver.next(WAIT).expect("a request");
    assert_eq!(request.answered, 200);
    assert_eq!(code, Some(0), "a partial success is delivered: {stderr}");
    let counters: usize = request
        .message()
        .resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .filter_map(|m| match &m.data {
            Some(metric::Data::Sum(s)) if s.is_monotonic => Some(s.data_points.len()),
            _ => None,
        })
        .sum();
    assert!(counters > 20, "{counters}");
    assert!(
        stderr.contains(&format!(
            "receiver rejected {counters} data points: {DYNATRACE_REFUSAL}"
        )),
        "{stderr}"
    );

    // Delta: two live collections a second apart; the second carries deltas only.
    let live = [
        "--metrics-endpoint",
        &url,
        "--temporality",
        "delta",
        "--collectors",
        "cpu,network",
        "--interval",
        "1s",
        "--header",
        "Authorization=Api-Token dt0c01.x",
    ];
    let agent = crate::util::agent::Agent::start(&live);
    let first = receiver.next(WAIT).expect("first request");
    let second = receiver.next(WAIT).expect("second request");
    let (_, log) = agent.stop();
    for request in [&first, &second] {
        assert_eq!(request.answered, 200);
        for rm in &request.message().resource_metrics {
            for m in rm.scope_metrics.iter().flat_map(|sm| &sm.metrics) {
                if let Some(metric::Data::Sum(s)) = &m.data {
                    if s.is_monotonic {
                        assert_eq!(
                            s.aggregation_temporality,
                            AggregationTemporality::Delta as i32,
                            "{}",
                            m.name
                        );
                    }
                }
            }
        }
    }
    let has_counter = |r: &Request| {
        r.message()
            .resource_metrics
            .iter()
            .flat_map(|rm| &rm.scope_metrics)
            .flat_map(|sm| &sm.metrics)
            .any(|m| m.name == "system.cpu.time")
    };
    assert!(
        !has_counter(&first),
        "the first collection sends no counter"
    );
    assert!(has_counter(&second));
    assert!(
        log.iter().all(|l| !l.contains("receiver rejected")),
        "{log:#?}"
    );
}

#[test]
fn prometheus_finds_job_and_instance_on_every_resource() {
    let receiver = Receiver::start(vec![Reply::Decide(prometheus)]);
    let url = format!("{}/api/v1/otlp/v1/metrics", receiver.base_url());
    let (code, stderr) = once(
        "process",
        &["--metrics-endpoint", &url, "--enable", "process"],
        &[],
    );
    let request = receiver.next(WAIT).expect("a request");
    assert_eq!(
        (code, request.answered),
        (Some(0), 200),
        "per-process resources carry the host's service.* too: {stderr}"
    );
    assert!(request.message().resource_metrics.len() > 1);

    // A user who removes `service.name` (an empty value removes an attribute, spec/metrics.md
    // §2.3) gets the receiver's 400 as one final, named failure.
    let (code, stderr) = once(
        "x86_64-vm",
        &["--metrics-endpoint", &url, "--resource", "service.name="],
        &[],
    );
    assert_eq!(receiver.next(WAIT).expect("a request").answered, 400);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("HTTP 400: no job/instance"), "{stderr}");
}

#[test]
fn openobserve_takes_basic_auth_on_its_organisation_path() {
    let receiver = Receiver::start(vec![Reply::Decide(openobserve)]);
    let url = format!("{}/api/default/v1/metrics", receiver.base_url());
    let (code, stderr) = once("x86_64-vm", &["--metrics-endpoint", &url], &[]);
    assert_eq!(receiver.next(WAIT).expect("a request").answered, 401);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("check the authorization headers"),
        "{stderr}"
    );
    assert!(!stderr.contains("Basic"), "{stderr}");

    let header = "Authorization=Basic cm9vdEBleGFtcGxlLmNvbTpDb21wbGV4cGFzcyMxMjM=";
    let (code, stderr) = once(
        "x86_64-vm",
        &["--metrics-endpoint", &url, "--header", header],
        &[],
    );
    assert_eq!(receiver.next(WAIT).expect("a request").answered, 200);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_json_only_receiver_takes_http_json_plain_and_gzipped() {
    let receiver = Receiver::start(vec![Reply::Decide(json_only)]);
    let base = receiver.base_url();
    let (code, stderr) = once("x86_64-vm", &["--endpoint", &base], &[]);
    assert_eq!(receiver.next(WAIT).expect("a request").answered, 415);
    assert_eq!(code, Some(1), "protobuf is refused: {stderr}");
    assert!(stderr.contains("HTTP 415: JSON only"), "{stderr}");

    let expected: Value = serde_json::from_str(&stdout_line("x86_64-vm")).unwrap();
    for (flags, vars) in [
        (&["--protocol", "http/json"][..], &[][..]),
        (
            &["--compression", "gzip"][..],
            &[("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json")][..],
        ),
    ] {
        let mut args = vec!["--endpoint", base.as_str()];
        args.extend_from_slice(flags);
        let (code, stderr) = once("x86_64-vm", &args, vars);
        let request = receiver.next(WAIT).expect("a request");
        assert_eq!((code, request.answered), (Some(0), 200), "{stderr}");
        assert_eq!(request.header("content-type"), Some("application/json"));
        let body: Value = serde_json::from_slice(&plain_body(&request)).unwrap();
        assert_eq!(body, expected, "the stdout exporter's OTLP/JSON");
    }
}

#[test]
fn a_json_partial_success_is_read_and_counted() {
    let refusal = br#"{"partialSuccess":{"rejectedDataPoints":"3","errorMessage":"too old"}}"#;
    let receiver = Receiver::start(vec![Reply::Answer(
        200,
        "application/json",
        refusal.to_vec(),
    )]);
    let (code, stderr) = once(
        "x86_64-vm",
        &[
            "--endpoint",
            &receiver.base_url(),
            "--protocol",
            "http/json",
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("receiver rejected 3 data points: too old"),
        "{stderr}"
    );
}

#[test]
fn a_spooled_json_batch_is_replayed_as_json_after_a_restart_with_protobuf() {
    let dir = scratch("spool-json");
    let spool = dir.join("spool");
    let spool = spool.to_str().unwrap();
    let down = Receiver::start(vec![Reply::status(503, 14, "down")]);
    let (code, _) = once(
        "x86_64-vm",
        &[
            "--endpoint",
            &down.base_url(),
            "--protocol",
            "http/json",
            "--spool-dir",
            spool,
        ],
        &[],
    );
    assert_eq!(down.next(WAIT).expect("a request").answered, 503);
    assert_eq!(code, Some(1), "not delivered: spooled");

    let up = Receiver::start(vec![Reply::ok()]);
    let (code, stderr) = once(
        "x86_64-vm",
        &["--endpoint", &up.base_url(), "--spool-dir", spool],
        &[],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let replayed = up.next(WAIT).expect("the spooled batch");
    let fresh = up.next(WAIT).expect("this run's batch");
    assert_eq!(replayed.header("content-type"), Some("application/json"));
    assert!(serde_json::from_slice::<Value>(&replayed.body).is_ok());
    assert_eq!(fresh.header("content-type"), Some("application/x-protobuf"));
    let _ = std::fs::remove_dir_all(&dir);
}
