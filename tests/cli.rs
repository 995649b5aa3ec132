//! Start-up errors, exit codes and signals of the real binary.

use crate::util::agent::{Agent, at_level, print_once};
use crate::util::{fixture, run, stderr_of, stdout_of};
use std::net::TcpListener;
use std::time::Duration;

fn one_line(text: &str) -> &str {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got {text:?}");
    lines[0]
}

#[test]
fn unknown_flag_exits_2_with_one_line() {
    let out = run(&["--bogus"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(one_line(&stderr_of(&out)).contains("--bogus"));
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_interval_exits_2_naming_the_value() {
    let out = run(&["--interval", "banana"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        one_line(&stderr_of(&out)),
        "sysotlp: invalid value \"banana\" for --interval: expected a duration from 100ms to 24h such as 10s"
    );
    let out = run(&["--interval=5"], &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bare number is not a duration"
    );
}

#[test]
fn unusable_values_exit_2() {
    let root = fixture("offline-cpu");
    let root = root.to_str().unwrap();
    for (args, vars, needle) in [
        (
            vec!["--root-path", "/nonexistent/sysotlp"],
            vec![],
            "--root-path",
        ),
        (
            vec!["--endpoint", "http://user:pw@127.0.0.1:4318"],
            vec![],
            "--endpoint",
        ),
        (
            vec!["--root-path", root],
            vec![("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318")],
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ),
        (
            vec!["--root-path", root],
            vec![("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")],
            "grpc",
        ),
        (
            vec!["--root-path", root],
            vec![("OTEL_EXPORTER_OTLP_HEADERS", "a=%zz")],
            "OTEL_EXPORTER_OTLP_HEADERS",
        ),
        (vec!["--collectors", "cpu,gpu"], vec![], "gpu"),
    ] {
        let out = run(&args, &vars);
        assert_eq!(out.status.code(), Some(2), "{args:?} {vars:?}");
        assert!(
            one_line(&stderr_of(&out)).contains(needle),
            "{args:?}: {}",
            stderr_of(&out)
        );
    }
}

#[test]
fn invalid_otel_timeout_warns_and_the_run_succeeds() {
    let root = fixture("offline-cpu");
    let (stdout, stderr) = print_once(
        &[
            "--root-path",
            root.to_str().unwrap(),
            "--collectors=cpu,memory,load,system",
        ],
        &[("OTEL_EXPORTER_OTLP_TIMEOUT", "abc")],
    );
    assert!(
        stderr.contains("WARN ignoring OTEL_EXPORTER_OTLP_TIMEOUT=\"abc\""),
        "{stderr}"
    );
    let line = one_line(&stdout);
    let parsed: serde_json::Value = serde_json::from_str(line).unwrap();
    assert!(parsed["resourceMetrics"].is_array());
}

#[test]
fn sdk_disabled_once_exits_0_without_output() {
    let out = run(&["--once"], &[("OTEL_SDK_DISABLED", "true")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(out.stdout.is_empty());
}

#[test]
fn check_prints_the_effective_config() {
    let out = run(
        &["--check", "--header", "authorization=Bearer s3cret"],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318/otlp")],
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = stdout_of(&out);
    assert!(
        stdout.contains("endpoint=http://127.0.0.1:4318/otlp/v1/metrics (port 4318)"),
        "{stdout}"
    );
    assert!(!stdout.contains("s3cret"));
}

/// A loopback port with nothing listening: bind, note the port, close.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn once_against_a_closed_port_exits_1_and_says_why() {
    let root = fixture("offline-cpu");
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let out = run(
        &[
            "--once",
            "--timeout",
            "2s",
            "--endpoint",
            &endpoint,
            "--root-path",
            root.to_str().unwrap(),
            "--collectors=cpu,memory,load,system",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("export failed") && stderr.contains("connection refused"),
        "{stderr}"
    );
}

#[test]
fn loop_mode_keeps_running_and_logs_each_failed_attempt_once() {
    let root = fixture("offline-cpu");
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let mut agent = Agent::start(&[
        "--interval",
        "100ms",
        "--endpoint",
        &endpoint,
        "--log-level",
        "debug",
        "--collectors=cpu,memory,load,system",
        "--root-path",
        root.to_str().unwrap(),
    ]);
    // The first failed attempt is one WARN; retries (1 s backoff, jittered) are one DEBUG
    // line each; ticks keep coming meanwhile (queued behind the backlog).
    agent.wait_for("export attempt failed", 2, Duration::from_secs(15));
    assert!(agent.is_running(), "still running");
    // What it logged up to the third attempt (the shutdown's own lines come after).
    let lines = agent.log().to_vec();
    let (code, _) = agent.stop();
    assert_eq!(code, Some(0));
    let warns = at_level(&lines, "WARN");
    assert_eq!(warns.len(), 1, "{lines:#?}");
    assert!(
        warns[0].contains(" WARN export: ") && warns[0].contains("connection refused"),
        "{lines:#?}"
    );
    assert!(
        at_level(&lines, "ERROR").is_empty(),
        "nothing dropped: {lines:#?}"
    );
}

/// The agent on the offline-cpu fixture printing to a pipe, its first request line read.
fn stdout_agent(interval: &str) -> Agent {
    let root = fixture("offline-cpu");
    let mut agent = Agent::command(&[
        "--interval",
        interval,
        "--exporter",
        "stdout",
        "--collectors=cpu,memory,load,system",
        "--root-path",
        root.to_str().unwrap(),
    ])
    .stdout()
    .spawn();
    let first = agent.line(Duration::from_secs(10));
    assert!(first.starts_with("{\"resourceMetrics\""));
    agent
}

#[test]
fn sigterm_ends_an_idle_loop() {
    let mut agent = stdout_agent("1h");
    agent.terminate();
    assert_eq!(agent.wait(Duration::from_secs(10)).code(), Some(0));
}

#[test]
fn closed_stdout_ends_the_agent_with_0() {
    let mut agent = stdout_agent("100ms");
    agent.close_stdout(); // like `| head -1`
    assert_eq!(agent.wait(Duration::from_secs(10)).code(), Some(0));
}

#[test]
fn issue_10_stdout_full_is_one_error_for_the_whole_run() {
    // stdout redirected to /dev/full: every write fails with ENOSPC. The points of each tick
    // are dropped; the log says so once, not once per tick.
    let root = crate::util::fixture("offline-cpu");
    let mut agent = Agent::wrapped(
        &["sh", "-c", "exec \"$0\" \"$@\" > /dev/full"],
        &[
            "--exporter",
            "stdout",
            "--collectors=cpu,memory,load,system",
            "--interval",
            "100ms",
            "--log-level",
            "debug",
            "--root-path",
            root.to_str().unwrap(),
        ],
    )
    .spawn();
    agent.wait_for(" DEBUG tick: ", 5, Duration::from_secs(30));
    let (code, log) = agent.stop();
    assert_eq!(code, Some(0), "{log:#?}");
    let errors = at_level(&log, "ERROR");
    assert_eq!(errors.len(), 1, "{log:#?}");
    assert!(
        errors[0].contains("stdout: ")
            && errors[0].contains("data points dropped")
            && errors[0].contains("No space left on device"),
        "{errors:#?}"
    );
}
