//! Fault injection against a scripted loopback receiver (exporter spec §7): the delivery path
//! loses nothing the spec says it keeps, retries what it should, and drops what it must.

use crate::util::agent::{Agent, send_once};
use crate::util::otlp::{Point, json_of, points};
use crate::util::receiver::{Receiver, Reply, Request};
use crate::util::{fixture, run, scratch, stderr_of};
use std::time::Duration;

const FOUNDATION: &str = "--collectors=cpu,memory,load,system";

/// Every request received so far (waits up to `limit` for the first).
fn drain(receiver: &Receiver, limit: Duration) -> Vec<Request> {
    let mut all = Vec::new();
    let mut wait = limit;
    while let Some(request) = receiver.next(wait) {
        all.push(request);
        wait = Duration::from_millis(300);
    }
    all
}

/// The data points of a request's body.
fn points_of(request: &Request) -> Vec<Point> {
    points(&json_of(&request.message()))
}

/// The tick time of a request: `timeUnixNano` of its first point.
fn tick_time(request: &Request) -> u64 {
    points_of(request)[0].time.parse().expect("timeUnixNano")
}

/// The value of `name` with attribute `key`=`value` (or the only point), as i64.
fn int_point(points: &[Point], name: &str, attr: Option<(&str, &str)>) -> Option<i64> {
    points
        .iter()
        .find(|p| p.name == name && attr.is_none_or(|(k, v)| p.has(k, v)))?
        .int()
}

/// Asserts accepted requests carry distinct, strictly increasing tick times.
fn assert_in_order_once(accepted: &[&Request]) {
    let times: Vec<u64> = accepted.iter().map(|r| tick_time(r)).collect();
    for pair in times.windows(2) {
        assert!(pair[0] < pair[1], "out of order or duplicated: {times:?}");
    }
}

#[test]
fn down_for_20_ticks_then_up_every_tick_arrives_once_in_order() {
    let receiver = Receiver::start(vec![Reply::Close]);
    let endpoint = receiver.base_url();
    let mut agent = Agent::start(&[
        FOUNDATION,
        "--interval",
        "200ms",
        "--timeout",
        "1s",
        "--log-level",
        "debug",
        "--endpoint",
        &endpoint,
    ]);
    agent.wait_for("tick:", 20, Duration::from_secs(30));
    receiver.set_script(vec![Reply::ok()]);
    agent.wait_for("export: recovered", 1, Duration::from_secs(60));
    let (code, log) = agent.stop();
    assert_eq!(code, Some(0));
    let ticks = log.iter().filter(|l| l.contains("tick:")).count();
    let requests = drain(&receiver, Duration::from_secs(5));
    let accepted: Vec<&Request> = requests.iter().filter(|r| r.answered == 200).collect();
    assert_eq!(
        accepted.len(),
        ticks,
        "every tick delivered exactly once ({} attempts refused)",
        requests.len() - accepted.len()
    );
    assert_in_order_once(&accepted);
    assert_eq!(
        log.iter().filter(|l| l.contains(" WARN export: ")).count(),
        1,
        "{log:#?}"
    );
    assert!(!log.iter().any(|l| l.contains(" ERROR ")), "{log:#?}");
}

#[test]
fn kill_9_mid_backlog_loses_nothing_with_a_spool() {
    let dir = scratch("spool-kill");
    let spool = dir.join("spool");
    let spool_arg = spool.to_str().unwrap();
    let receiver = Receiver::start(vec![Reply::Answer(503, "text/plain", b"busy".to_vec())]);
    let endpoint = receiver.base_url();
    let mut agent = Agent::start(&[
        FOUNDATION,
        "--interval",
        "200ms",
        "--log-level",
        "debug",
        "--spool-dir",
        spool_arg,
        "--endpoint",
        &endpoint,
    ]);
    agent.wait_for("spooled seq=", 5, Duration::from_secs(30));
    agent.kill();
    let spooled = std::fs::read_dir(&spool)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "otlp"))
        .count();
    assert!(spooled >= 5, "{spooled}");

    let healthy = Receiver::start(vec![Reply::ok()]);
    let out = run(
        &[
            FOUNDATION,
            "--once",
            "--spool-dir",
            spool_arg,
            "--endpoint",
            &healthy.base_url(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let requests = drain(&healthy, Duration::from_secs(5));
    assert_eq!(
        requests.len(),
        spooled + 1,
        "every spooled tick, then this run's"
    );
    let accepted: Vec<&Request> = requests.iter().collect();
    assert_in_order_once(&accepted);
    let left: Vec<String> = std::fs::read_dir(&spool)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut left = left;
    left.sort();
    assert_eq!(left, ["corrupt", "tmp"], "delivered files are deleted");
}

#[test]
fn sigterm_drains_the_backlog_when_the_receiver_returns() {
    let receiver = Receiver::start(vec![Reply::Close]);
    let endpoint = receiver.base_url();
    let mut agent = Agent::start(&[
        FOUNDATION,
        "--interval",
        "200ms",
        "--log-level",
        "debug",
        "--endpoint",
        &endpoint,
        "--shutdown-timeout",
        "5s",
    ]);
    agent.wait_for("tick:", 5, Duration::from_secs(30));
    receiver.set_script(vec![Reply::ok()]);
    let (code, log) = agent.stop();
    assert_eq!(code, Some(0), "{log:#?}");
    let ticks = log.iter().filter(|l| l.contains("tick:")).count();
    let requests = drain(&receiver, Duration::from_secs(5));
    let accepted: Vec<&Request> = requests.iter().filter(|r| r.answered == 200).collect();
    assert_eq!(accepted.len(), ticks, "{log:#?}");
    assert_in_order_once(&accepted);
}

#[test]
fn sigterm_with_503_and_a_spool_keeps_everything_on_disk() {
    let dir = scratch("spool-term");
    let spool = dir.join("spool");
    let receiver = Receiver::start(vec![Reply::Answer(503, "text/plain", Vec::new())]);
    let endpoint = receiver.base_url();
    let mut agent = Agent::start(&[
        FOUNDATION,
        "--interval",
        "200ms",
        "--log-level",
        "debug",
        "--spool-dir",
        spool.to_str().unwrap(),
        "--shutdown-timeout",
        "1s",
        "--endpoint",
        &endpoint,
    ]);
    agent.wait_for("tick:", 3, Duration::from_secs(30));
    let (code, log) = agent.stop();
    assert_eq!(code, Some(0));
    let ticks = log.iter().filter(|l| l.contains("tick:")).count();
    let files = std::fs::read_dir(&spool)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "otlp"))
        .count();
    assert_eq!(files, ticks, "{log:#?}");
    assert!(
        log.iter().any(|l| l.contains("kept in the spool")),
        "{log:#?}"
    );
}

#[test]
fn retry_after_is_honoured() {
    // The backoff's first delay is 0.5–1.5 s (1 s, jittered): a retry planned 2.0 s later
    // can only be the server's Retry-After.
    let receiver = Receiver::start(vec![
        Reply::AnswerWith(503, "retry-after", "2".into()),
        Reply::ok(),
    ]);
    let endpoint = receiver.base_url();
    let root = fixture("offline-cpu");
    let agent = Agent::start(&[
        FOUNDATION,
        "--interval",
        "1h",
        "--endpoint",
        &endpoint,
        "--root-path",
        root.to_str().unwrap(),
    ]);
    let first = receiver
        .next(Duration::from_secs(10))
        .expect("first attempt");
    let second = receiver.next(Duration::from_secs(10)).expect("retry");
    assert_eq!(
        (first.answered, second.answered),
        (503, 200),
        "the retry comes after the Retry-After reply"
    );
    assert_eq!(first.body, second.body, "the same batch");
    let (code, log) = agent.stop();
    assert_eq!(code, Some(0));
    assert_eq!(
        planned_delays(&log),
        [2.0],
        "one failure, retried after the server's delay: {log:#?}"
    );
}

#[test]
fn non_retryable_status_drops_each_batch_with_one_error_line() {
    let receiver = Receiver::start(vec![Reply::status(400, 3, "bad metric")]);
    let endpoint = receiver.base_url();
    let root = fixture("offline-cpu");
    let agent = Agent::start(&[
        FOUNDATION,
        "--log-level",
        "debug",
        "--interval",
        "200ms",
        "--endpoint",
        &endpoint,
        "--root-path",
        root.to_str().unwrap(),
    ]);
    let mut requests = Vec::new();
    while requests.len() < 3 {
        requests.push(
            receiver
                .next(Duration::from_secs(30))
                .expect("a request per tick"),
        );
    }
    let (code, log) = agent.stop();
    assert_eq!(code, Some(0));
    requests.extend(drain(&receiver, Duration::from_secs(2)));
    let errors: Vec<&String> = log.iter().filter(|l| l.contains(" ERROR ")).collect();
    assert_eq!(
        errors.len(),
        1,
        "one line for the whole run of drops: {errors:#?}"
    );
    assert!(
        errors[0].contains("HTTP 400: bad metric") && errors[0].contains("not retryable"),
        "{errors:#?}"
    );
    let ticks = log.iter().filter(|l| l.contains(" DEBUG tick: ")).count();
    assert_eq!(
        requests.len(),
        ticks,
        "one attempt per batch, never a retry"
    );
}

#[test]
fn gzip_bodies_gunzip_to_the_plain_request() {
    let mut bodies = Vec::new();
    for (args, vars) in [
        (vec!["--compression", "gzip"], vec![]),
        (vec![], vec![("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")]),
        (vec![], vec![]),
    ] {
        let receiver = Receiver::start(vec![Reply::ok()]);
        let mut flags = vec![FOUNDATION];
        flags.extend(args.iter().copied());
        let out = send_once(&receiver.base_url(), "x86_64-vm", &flags, &vars);
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        bodies.push(receiver.next(Duration::from_secs(5)).expect("request"));
    }
    assert_eq!(bodies[0].header("content-encoding"), Some("gzip"));
    assert_eq!(bodies[1].header("content-encoding"), Some("gzip"));
    assert_eq!(bodies[2].header("content-encoding"), None);
    assert_eq!(bodies[0].message(), bodies[2].message());
    assert!(
        bodies[0].body.len() * 2 < bodies[2].body.len(),
        "{} vs {}",
        bodies[0].body.len(),
        bodies[2].body.len()
    );
}

#[test]
fn self_metrics_count_a_retry_and_a_success() {
    let receiver = Receiver::start(vec![
        Reply::Answer(503, "text/plain", Vec::new()),
        Reply::ok(),
    ]);
    let endpoint = receiver.base_url();
    let root = fixture("offline-cpu");
    let agent = Agent::start(&[
        "--collectors=cpu,agent",
        "--interval",
        "300ms",
        "--endpoint",
        &endpoint,
        "--root-path",
        root.to_str().unwrap(),
    ]);
    let mut requests = Vec::new();
    while requests
        .iter()
        .filter(|r: &&Request| r.answered == 200)
        .count()
        < 8
    {
        requests.push(
            receiver
                .next(Duration::from_secs(20))
                .expect("requests keep coming"),
        );
    }
    let (code, _) = agent.stop();
    assert_eq!(code, Some(0));
    let first = points_of(&requests[0]);
    assert_eq!(
        int_point(
            &first,
            "sysotlp.exporter.requests",
            Some(("outcome", "sent"))
        ),
        None,
        "no exporter values on the first tick"
    );
    let last = points_of(requests.last().unwrap());
    assert_eq!(
        int_point(
            &last,
            "sysotlp.exporter.requests",
            Some(("outcome", "retried"))
        ),
        Some(1)
    );
    // Each request reports outcomes up to its own tick: the counts never go down, and the
    // last one has seen at least the first success.
    let sent: Vec<i64> = requests[1..]
        .iter()
        .filter_map(|r| {
            int_point(
                &points_of(r),
                "sysotlp.exporter.requests",
                Some(("outcome", "sent")),
            )
        })
        .collect();
    assert!(
        sent.windows(2).all(|w| w[0] <= w[1]) && sent.last().is_some_and(|n| *n >= 1),
        "{sent:?}"
    );
    assert_eq!(
        int_point(
            &last,
            "sysotlp.exporter.send_failed_metric_points",
            Some(("error.type", "503"))
        ),
        Some(first.len() as i64),
        "the first batch's points failed once"
    );
    assert_eq!(
        int_point(
            &last,
            "sysotlp.exporter.dropped_metric_points",
            Some(("reason", "queue_full"))
        ),
        Some(0)
    );
    assert!(int_point(&last, "sysotlp.process.memory.peak", None).unwrap() > 0);
}

#[test]
fn a_tiny_queue_drops_the_oldest_and_says_so_once() {
    let receiver = Receiver::start(vec![Reply::Close]);
    let endpoint = receiver.base_url();
    let root = fixture("offline-cpu");
    let mut agent = Agent::start(&[
        FOUNDATION,
        "--interval",
        "100ms",
        "--log-level",
        "debug",
        "--max-request-size",
        "4KiB",
        "--queue-size",
        "4KiB",
        "--endpoint",
        &endpoint,
        "--root-path",
        root.to_str().unwrap(),
    ]);
    agent.wait_for("tick:", 10, Duration::from_secs(30));
    receiver.set_script(vec![Reply::ok()]);
    agent.wait_for("export: recovered", 1, Duration::from_secs(60));
    let (code, log) = agent.stop();
    assert_eq!(code, Some(0));
    assert_eq!(
        log.iter().filter(|l| l.contains("queue full")).count(),
        1,
        "one WARN a minute: {log:#?}"
    );
    let ticks = log.iter().filter(|l| l.contains("tick:")).count();
    let accepted = drain(&receiver, Duration::from_secs(5))
        .into_iter()
        .filter(|r| r.answered == 200)
        .count();
    assert!(
        accepted < ticks,
        "some batches were dropped: {accepted} of {ticks}"
    );
}

/// The delays (s) the failure lines of `log` say the next attempt waits: the first failure's
/// WARN and each later DEBUG line end in "retrying in <s> s (…)", one line per failed attempt.
fn planned_delays(log: &[String]) -> Vec<f64> {
    log.iter()
        .filter_map(|l| {
            let (_, after) = l.split_once("; retrying in ")?;
            after.split_once(" s ")?.0.parse().ok()
        })
        .collect()
}

#[test]
fn a_backlog_never_spins_even_with_a_tiny_export_budget() {
    // Review finding: with --export-timeout below the minimum attempt time, or a retry due
    // just before a tick, the loop woke at once forever (100% CPU) and never drained.
    // Counted here, not timed: the backlog drains, and no attempt is made outside the retry
    // schedule (each refused one planned the next at least the backoff's 0.5 s later). CPU
    // per tick is a benchmark's to measure.
    let receiver = Receiver::start(vec![Reply::Close]);
    let endpoint = receiver.base_url();
    let root = fixture("offline-cpu");
    let mut agent = Agent::start(&[
        FOUNDATION,
        "--interval",
        "2s",
        "--export-timeout",
        "100ms",
        "--log-level",
        "debug",
        "--endpoint",
        &endpoint,
        "--root-path",
        root.to_str().unwrap(),
    ]);
    agent.wait_for("tick:", 2, Duration::from_secs(30));
    receiver.set_script(vec![Reply::ok()]);
    agent.wait_for("export: recovered", 1, Duration::from_secs(60));
    let (code, log) = agent.stop();
    assert_eq!(code, Some(0));
    let requests = drain(&receiver, Duration::from_secs(2));
    let accepted = requests.iter().filter(|r| r.answered == 200).count();
    let delays = planned_delays(&log);
    assert_eq!(
        delays.len(),
        requests.len() - accepted,
        "every refused attempt is one failure line: {log:#?}"
    );
    assert!(
        delays.iter().all(|d| *d >= 0.5),
        "each retry planned at least 0.5 s later: {delays:?}"
    );
    assert_eq!(
        accepted,
        log.iter().filter(|l| l.contains("tick:")).count(),
        "the backlog drained"
    );
}
