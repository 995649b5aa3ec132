//! Shared test plumbing: running the binary with a clean environment (`agent`), reading its
//! requests (`otlp`), fixture paths, a tree of many processes (`many`), a loopback
//! OTLP/HTTP receiver, and what a test does when this machine lacks a tool it needs
//! (`skip_or_fail`).

pub mod agent;
pub mod many;
pub mod otlp;
pub mod receiver;
pub mod ticks;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The `sysotlp` binary cargo built for these tests.
pub fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sysotlp"));
    // No OTEL_* or RUST_LOG of the machine running the tests may leak in.
    command.env_clear().stdin(Stdio::null());
    command
}

/// Runs the binary to completion.
pub fn run(args: &[&str], vars: &[(&str, &str)]) -> Output {
    bin()
        .args(args)
        .envs(vars.iter().copied())
        .output()
        .expect("run sysotlp")
}

/// `fixtures/<name>` of this repository.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A fresh scratch directory for one test (unique even when tests share a name).
pub fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("sysotlp-test-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// This machine cannot run (part of) a test: `reason` names what is missing and how to get
/// it. Under `CI=true` the test fails with it, so a green CI means every test ran; by hand
/// it prints `SKIP <test>: <reason>` to the terminal (past the test harness's capture) and
/// returns, for the caller to skip that part (STYLE.md §4).
pub fn skip_or_fail(reason: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("test");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test} cannot run here (CI=true, so this fails rather than skips): {reason}");
    }
    // Straight to the process's stderr: eprintln! output is captured by the test harness.
    let _ = writeln!(std::io::stderr().lock(), "SKIP {test}: {reason}");
}

/// The metrics a run of `collectors` emits by default, in emission order: from the registry
/// (each row's `METRICS`, on-by-default ones), never a hand-kept list.
pub fn default_metrics(collectors: &[&str]) -> Vec<&'static sysotlp::semconv::Info> {
    sysotlp::collect::REGISTRY
        .iter()
        .filter(|row| collectors.contains(&row.name))
        .flat_map(|row| row.metrics.iter().copied())
        .filter(|metric| metric.on_by_default)
        .collect()
}

/// The collectors that run by default against `fixtures/<name>`: what the registry builds
/// for it (`agent` reports the live process, so a fixture root has it only when named; a
/// collector whose condition the tree does not meet, such as `textfile` without
/// `--textfile-dir`, is not built).
pub fn fixture_default_collectors(name: &str) -> Vec<&'static str> {
    let src = sysotlp::source::Source::open(&fixture(name)).expect("fixture root");
    let telemetry = sysotlp::telemetry::Telemetry::shared(0);
    sysotlp::collect::build(&sysotlp::collect::Selection::default(), &src, &telemetry)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}
