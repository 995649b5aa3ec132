//! Shared test plumbing: running the binary with a clean environment (`agent`), reading its
//! requests (`otlp`), fixture paths, and a loopback OTLP/HTTP receiver.

pub mod agent;
pub mod otlp;
pub mod receiver;
pub mod ticks;

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
