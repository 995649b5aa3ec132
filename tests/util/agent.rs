//! The `sysotlp` binary as the tests run it: to completion (`--once`), or as a long-running
//! `Agent` whose output is read on threads, so that every wait has a limit and a test fails
//! instead of hanging. An agent is stopped with SIGTERM to its PID, and killed by PID when a
//! failed assertion drops it first.

use super::{bin, fixture, run, stderr_of, stdout_of};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How long `stop` waits for the exit after SIGTERM.
const STOP_LIMIT: Duration = Duration::from_secs(20);

/// `sysotlp --once --exporter stdout args…` with `vars`: the one request line it printed
/// (exit 0 and exactly one line asserted) and its stderr.
pub fn print_once(args: &[&str], vars: &[(&str, &str)]) -> (String, String) {
    let mut all = vec!["--once", "--exporter", "stdout"];
    all.extend_from_slice(args);
    let out = run(&all, vars);
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    let stdout = stdout_of(&out);
    assert_eq!(stdout.lines().count(), 1, "{args:?}: one request per line");
    (stdout.trim_end().to_string(), stderr)
}

/// `print_once` parsed: the request and the stderr.
pub fn request_once(args: &[&str]) -> (Value, String) {
    let (line, stderr) = print_once(args, &[]);
    (serde_json::from_str(&line).expect("stdout is JSON"), stderr)
}

/// `request_once` on `fixtures/<name>` with `flags`.
pub fn request_for(name: &str, flags: &[&str]) -> (Value, String) {
    let root = fixture(name);
    let mut args = vec!["--root-path", root.to_str().unwrap()];
    args.extend_from_slice(flags);
    request_once(&args)
}

/// `sysotlp --once --endpoint endpoint --root-path fixtures/<name> extra…` with `vars`.
pub fn send_once(endpoint: &str, name: &str, extra: &[&str], vars: &[(&str, &str)]) -> Output {
    let root = fixture(name);
    let mut args = vec![
        "--once",
        "--endpoint",
        endpoint,
        "--root-path",
        root.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args, vars)
}

/// The lines of `lines` logged at `level` (`<time> LEVEL message`).
pub fn at_level<'a, S>(lines: impl IntoIterator<Item = &'a S>, level: &str) -> Vec<&'a str>
where
    S: AsRef<str> + ?Sized + 'a,
{
    lines
        .into_iter()
        .map(AsRef::as_ref)
        .filter(|l| l.split_whitespace().nth(1) == Some(level))
        .collect()
}

/// The lines of `stream`, read on a thread so a test can wait for them with a limit. The
/// thread ends at EOF, or at the next line once the receiver is dropped.
pub fn lines_of(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A running `sysotlp`: its stderr log, and its stdout lines when asked for.
pub struct Agent {
    child: Child,
    stdout: Option<Receiver<String>>,
    stderr: Receiver<String>,
    log: Vec<String>,
}

/// An agent about to start (`Agent::command`, `Agent::wrapped`).
pub struct Start {
    command: Command,
    stdout: bool,
}

impl Start {
    /// Read stdout lines (`Agent::line`); without this they are discarded.
    pub fn stdout(mut self) -> Start {
        self.stdout = true;
        self
    }

    pub fn spawn(mut self) -> Agent {
        let stdout = if self.stdout {
            Stdio::piped()
        } else {
            Stdio::null()
        };
        let mut child = self
            .command
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sysotlp");
        let stdout = child.stdout.take().map(lines_of);
        let stderr = lines_of(child.stderr.take().expect("stderr"));
        Agent {
            child,
            stdout,
            stderr,
            log: Vec::new(),
        }
    }
}

impl Agent {
    /// `sysotlp args…` with a clean environment.
    pub fn command(args: &[&str]) -> Start {
        let mut command = bin();
        command.args(args);
        Start {
            command,
            stdout: false,
        }
    }

    /// `wrapper… sysotlp args…` (a program that execs the binary, such as a seccomp
    /// filter), with the same clean environment.
    pub fn wrapped(wrapper: &[&str], args: &[&str]) -> Start {
        let (program, rest) = wrapper.split_first().expect("a wrapper program");
        let mut command = Command::new(program);
        command
            .args(rest)
            .arg(env!("CARGO_BIN_EXE_sysotlp"))
            .args(args)
            .env_clear()
            .stdin(Stdio::null());
        Start {
            command,
            stdout: false,
        }
    }

    /// `Agent::command(args).spawn()`: stderr read, stdout discarded.
    pub fn start(args: &[&str]) -> Agent {
        Agent::command(args).spawn()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// The stderr lines read so far.
    pub fn log(&self) -> &[String] {
        &self.log
    }

    /// How many stderr lines read so far contain `needle`.
    pub fn count(&self, needle: &str) -> usize {
        self.log.iter().filter(|l| l.contains(needle)).count()
    }

    /// Reads stderr until `count` lines contain `needle`; fails after `limit`, or when the
    /// agent closes its stderr first.
    pub fn wait_for(&mut self, needle: &str, count: usize, limit: Duration) {
        let end = Instant::now() + limit;
        while self.count(needle) < count {
            match self
                .stderr
                .recv_timeout(end.saturating_duration_since(Instant::now()))
            {
                Ok(line) => self.log.push(line),
                Err(_) => panic!(
                    "{count} × {needle:?} not seen within {limit:?}:\n{}",
                    self.log.join("\n")
                ),
            }
        }
    }

    /// The next stdout line; fails after `limit`, or at EOF, with the stderr read so far.
    pub fn line(&mut self, limit: Duration) -> String {
        let stdout = self.stdout.as_ref().expect("started with .stdout()");
        match stdout.recv_timeout(limit) {
            Ok(line) => line,
            Err(e) => {
                self.log.extend(self.stderr.try_iter());
                let why = match e {
                    RecvTimeoutError::Timeout => format!("no stdout line within {limit:?}"),
                    RecvTimeoutError::Disconnected => "stdout closed".to_string(),
                };
                panic!("{why}; stderr:\n{}", self.log.join("\n"))
            }
        }
    }

    /// The next stdout line as a request (the stdout exporter's OTLP/JSON).
    pub fn request(&mut self, limit: Duration) -> Value {
        let line = self.line(limit);
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not one JSON request ({e}): {line}"))
    }

    /// Stops reading stdout, as `| head -1` does: the pipe closes once the reader thread
    /// sees the next line, and the agent's write after that fails.
    pub fn close_stdout(&mut self) {
        self.stdout = None;
    }

    /// Sends SIGTERM to the agent (by PID, through kill(1)).
    pub fn terminate(&self) {
        signal(self.pid(), "-TERM");
    }

    /// Waits for the exit; fails the test (killing the agent) after `limit`.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let end = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!("sysotlp (pid {}) did not exit within {limit:?}", self.pid());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL (no shutdown of its own), then reaped.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// SIGTERM, the exit code, and the whole stderr log (to its EOF).
    pub fn stop(mut self) -> (Option<i32>, Vec<String>) {
        self.terminate();
        let status = self.wait(STOP_LIMIT);
        let end = Instant::now() + STOP_LIMIT;
        loop {
            match self
                .stderr
                .recv_timeout(end.saturating_duration_since(Instant::now()))
            {
                Ok(line) => self.log.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => panic!(
                    "stderr still open {STOP_LIMIT:?} after the exit:\n{}",
                    self.log.join("\n")
                ),
            }
        }
        (status.code(), std::mem::take(&mut self.log))
    }
}

impl Drop for Agent {
    /// A failing assertion must not leave the agent running: end it (our own child, by PID).
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends `signal` (`-TERM`, `-USR1`) to a process this test started, through kill(1).
pub fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal} {pid}");
}
