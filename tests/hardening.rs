//! Issue 10: what a hostile tree, a careless operator and a broken network do to the real
//! binary: clean exit 2s, bounded and on-time shutdowns, data still correct.

use crate::util::agent::{Agent, at_level, send_once};
use crate::util::receiver::{Receiver, Reply};
use crate::util::{bin, fixture, run, scratch, stderr_of, stdout_of};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

/// A generous limit for "it did exit": far above any bound under test, far below forever.
const EXITS: Duration = Duration::from_secs(60);

fn one_line(text: &str) -> &str {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got {text:?}");
    lines[0]
}

/// A copy of `fixtures/<name>` (symlinks as symlinks) to damage.
pub fn copy_fixture(name: &str) -> std::path::PathBuf {
    let dest = scratch(name);
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", fixture(name).display()))
        .arg(&dest)
        .status()
        .expect("cp");
    assert!(status.success());
    dest
}

pub fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("mkfifo");
}

#[test]
fn issue_10_non_utf8_variables_exit_2_naming_them() {
    for name in [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
    ] {
        let out = bin()
            .args(["--check"])
            .env(name, OsStr::from_bytes(b"http://\xffh"))
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert_eq!(
            one_line(&stderr_of(&out)),
            format!(
                "sysotlp: invalid value for {name}: expected UTF-8 text (the value has bytes that are not)"
            )
        );
    }
}

#[test]
fn issue_10_unsendable_values_exit_2_at_check() {
    let file = scratch("spool-file").join("plain");
    std::fs::write(&file, "x").unwrap();
    let file = file.to_str().unwrap().to_string();
    for (args, needle) in [
        (
            vec!["--endpoint", "http://127.0.0.1:4318/a b"],
            "--endpoint",
        ),
        (
            vec!["--endpoint", "http://127.0.0.1:4318/a\nb"],
            "--endpoint",
        ),
        (
            vec!["--endpoint", "http://127.0.0.1:4318/{x}"],
            "--endpoint",
        ),
        (vec!["--header", "x-key=a\u{1}b"], "--header"),
        (vec!["--proxy", "garbage"], "--proxy"),
        (vec!["--spool-dir", &file], "not a directory"),
        (vec!["--spool-dir", "/proc/sys/sysotlp"], "procfs"),
        (
            vec!["--tls-ca", "/dev/zero"],
            "--tls-ca \"/dev/zero\": cannot read it: not a regular file",
        ),
    ] {
        let mut all = vec!["--check"];
        all.extend_from_slice(&args);
        if args[0].starts_with("--tls") {
            all.extend_from_slice(&["--endpoint", "https://127.0.0.1:4318"]);
        }
        let out = run(&all, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
        assert!(
            one_line(&stderr_of(&out)).contains(needle),
            "{args:?}: {}",
            stderr_of(&out)
        );
    }
}

#[test]
fn issue_10_trace_logging_of_the_http_client_shows_no_header_value() {
    let receiver = Receiver::start(vec![Reply::ok()]);
    let out = send_once(
        &receiver.base_url(),
        "offline-cpu",
        &[],
        &[
            ("RUST_LOG", "trace,ureq=trace,ureq_proto=trace"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Basic c2VjcmV0"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let request = receiver.next(Duration::from_secs(10)).expect("a request");
    assert_eq!(request.header("authorization"), Some("Basic c2VjcmV0"));
    let stderr = stderr_of(&out);
    assert!(!stderr.contains("c2VjcmV0"), "the secret is in the log");
    // Hex dumps print the bytes in pairs: "63 32 56 6a" is "c2Vj".
    assert!(!stderr.contains("63 32 56 6a"), "a hex dump of the secret");
}

#[test]
fn issue_10_a_header_with_a_colon_is_refused_without_its_value() {
    let out = run(
        &["--check"],
        &[("OTEL_EXPORTER_OTLP_HEADERS", "Authorization: Basic abc=")],
    );
    assert_eq!(out.status.code(), Some(2));
    let line = stderr_of(&out);
    assert!(!line.contains("abc") && !line.contains("Basic"), "{line}");
}

#[test]
fn issue_10_fifos_in_the_tree_are_skipped_not_waited_on() {
    let root = copy_fixture("offline-cpu");
    mkfifo(&root.join("proc/meminfo"));
    mkfifo(&root.join("etc/hostname"));
    std::fs::create_dir_all(root.join("proc/1")).unwrap();
    mkfifo(&root.join("proc/1/mountinfo"));
    let out = bin()
        .args(["--once", "--exporter", "stdout", "--root-path"])
        .arg(&root)
        .output()
        .expect("run");
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("proc/meminfo: not a regular file"),
        "{stderr}"
    );
    let line = stdout_of(&out);
    assert!(line.contains("system.cpu.time"), "the other collectors ran");
    assert!(!line.contains("system.memory.usage"));
    // The fixture file itself: a start-up error.
    mkfifo(&root.join("sysotlp-fixture.json"));
    let out = bin()
        .args(["--once", "--exporter", "stdout", "--root-path"])
        .arg(&root)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(one_line(&stderr_of(&out)).contains("not a regular file"));
}

#[test]
fn issue_10_once_does_not_promise_a_retry() {
    let receiver = Receiver::start(vec![Reply::status(503, 14, "busy")]);
    let out = send_once(&receiver.base_url(), "offline-cpu", &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = stderr_of(&out);
    assert!(!stderr.contains("retrying in"), "{stderr}");
    assert!(stderr.contains("not retried (--once)"), "{stderr}");
}

#[test]
fn issue_10_a_second_agent_is_refused_even_with_the_lock_file_gone() {
    let receiver = Receiver::start(vec![Reply::status(503, 14, "busy")]);
    let root = fixture("offline-cpu");
    let spool = scratch("two-agents").join("spool");
    let spool = spool.to_str().unwrap();
    let args = [
        "--interval",
        "100ms",
        "--endpoint",
        &receiver.base_url(),
        "--root-path",
        root.to_str().unwrap(),
        "--spool-dir",
        spool,
    ];
    let mut first = Agent::start(&args);
    first.wait_for("starting", 1, EXITS);
    // What an operator might delete: every plain file but the batches.
    for entry in std::fs::read_dir(spool).unwrap().flatten() {
        let name = entry.file_name();
        if entry.path().is_file() && !name.to_string_lossy().ends_with(".otlp") {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
    let mut all = vec!["--once"];
    all.extend_from_slice(&args);
    let out = run(&all, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        one_line(&stderr_of(&out)).contains("locked by another sysotlp process"),
        "{}",
        stderr_of(&out)
    );
    let (code, log) = first.stop();
    assert_eq!(code, Some(0), "{log:?}");
    assert!(at_level(&log, "ERROR").is_empty(), "{log:?}");
}

/// An agent sending to `receiver` every `interval`, with `extra` flags.
fn sender(receiver: &Receiver, interval: &str, extra: &[&str]) -> Agent {
    let root = fixture("offline-cpu");
    let endpoint = receiver.base_url();
    let mut args = vec![
        "--interval",
        interval,
        "--endpoint",
        &endpoint,
        "--root-path",
        root.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Agent::start(&args)
}

#[test]
fn issue_10_sigterm_ends_a_send_that_never_answers() {
    let receiver = Receiver::start(vec![Reply::Hang]);
    let mut agent = sender(
        &receiver,
        "24h",
        &[
            "--timeout",
            "0s",
            "--export-timeout",
            "0s",
            "--shutdown-timeout",
            "1s",
        ],
    );
    receiver.next(EXITS).expect("the first request");
    agent.terminate();
    let status = agent.wait(EXITS);
    agent.wait_for("did not finish", 1, EXITS);
    assert_eq!(status.code(), Some(1), "{:?}", agent.log());
    let log = agent.log();
    let stop = log
        .iter()
        .position(|l| l.contains("stop signal: exiting within 11s"));
    let cut = log
        .iter()
        .position(|l| l.contains("ERROR shutdown did not finish within 11s"));
    assert!(stop.is_some() && stop < cut, "{log:#?}");
}

#[test]
fn issue_10_a_second_signal_cuts_the_shutdown_short() {
    let receiver = Receiver::start(vec![Reply::Hang]);
    let mut agent = sender(
        &receiver,
        "24h",
        &["--timeout", "0s", "--shutdown-timeout", "1h"],
    );
    receiver.next(EXITS).expect("the first request");
    agent.terminate();
    agent.wait_for("stop signal: exiting within", 1, EXITS);
    agent.terminate();
    let status = agent.wait(EXITS);
    assert_eq!(status.code(), Some(0));
    agent.wait_for("second stop signal: exiting now", 1, EXITS);
}

#[test]
fn issue_10_sigterm_ends_a_write_to_a_pipe_nobody_reads() {
    let root = fixture("x86_64-vm");
    let mut child = bin()
        .args([
            "--exporter",
            "stdout",
            "--interval",
            "100ms",
            "--timeout",
            "1s",
            "--shutdown-timeout",
            "1s",
            "--root-path",
        ])
        .arg(&root)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = crate::util::agent::lines_of(child.stderr.take().expect("stderr"));
    // Nobody reads: once the pipe is full, the agent sleeps in the kernel's pipe write.
    let wchan = format!("/proc/{}/wchan", child.id());
    let end = std::time::Instant::now() + EXITS;
    while !std::fs::read_to_string(&wchan).is_ok_and(|w| w.contains("pipe_write")) {
        assert!(
            std::time::Instant::now() < end,
            "never blocked writing stdout"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    crate::util::agent::signal(child.id(), "-TERM");
    let end = std::time::Instant::now() + EXITS;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if std::time::Instant::now() > end {
            let _ = child.kill();
            panic!("still blocked {EXITS:?} after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
    let log: Vec<String> = stderr.iter().collect();
    assert!(
        log.iter()
            .any(|l| l.contains("shutdown did not finish within 2s")),
        "{log:#?}"
    );
    drop(stdout);
}

#[test]
fn issue_10_redirects_and_cut_bodies_are_one_line_per_run() {
    for (reply, level, needle) in [
        (
            Reply::AnswerWith(302, "location", "http://elsewhere/".into()),
            "ERROR",
            "HTTP 302",
        ),
        (
            Reply::Cut(200, vec![0x0a; 8]),
            "WARN",
            "response not parsed",
        ),
    ] {
        let receiver = Receiver::start(vec![reply]);
        let agent = sender(
            &receiver,
            "200ms",
            &["--log-level", "debug", "--collectors", "cpu,memory,load"],
        );
        for _ in 0..4 {
            receiver.next(EXITS).expect("a request per tick");
        }
        let (code, log) = agent.stop();
        assert_eq!(code, Some(0));
        let lines = at_level(&log, level);
        assert_eq!(lines.len(), 1, "{needle}: {lines:#?}");
        assert!(lines[0].contains(needle), "{lines:#?}");
    }
}

/// A tree with `interfaces` interfaces in `proc/1/net/dev` and `mounts` ext4 mounts (each
/// with a statfs answer in the fixture file), made here rather than kept in fixtures/.
fn big_tree(interfaces: usize, mounts: usize) -> std::path::PathBuf {
    let root = scratch("big-tree");
    std::fs::create_dir_all(root.join("proc/1/net")).unwrap();
    let mut dev = String::from(
        "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n",
    );
    for n in 0..interfaces {
        dev.push_str(&format!(
            "eth{n}: {} {} 1 2 0 0 0 0 {} {} 3 4 0 0 0 0\n",
            1000 + n,
            10 + n,
            2000 + n,
            20 + n
        ));
    }
    std::fs::write(root.join("proc/1/net/dev"), dev).unwrap();
    let (mut table, mut statfs) = (String::new(), Vec::new());
    for n in 0..mounts {
        table.push_str(&format!(
            "{} 1 8:{} / /data/{n} rw,relatime - ext4 /dev/sd{n} rw\n",
            100 + n,
            n % 256
        ));
        statfs.push(format!(
            "\"/data/{n}\":{{\"bsize\":4096,\"frsize\":4096,\"blocks\":1000,\"bfree\":600,\"bavail\":500,\"files\":100,\"ffree\":90}}"
        ));
    }
    std::fs::write(root.join("proc/1/mountinfo"), table).unwrap();
    std::fs::write(root.join("proc/filesystems"), "nodev\tproc\n\text4\n").unwrap();
    std::fs::write(
        root.join("sysotlp-fixture.json"),
        format!(
            "{{\"format\":1,\"page_size\":4096,\"clock_ticks\":100,\"machine\":\"x86_64\",\"now_unix_nano\":1795641967450692403,\"statfs\":{{{}}}}}",
            statfs.join(",")
        ),
    )
    .unwrap();
    root
}

/// Runs `sysotlp args…` under GNU time and returns (stdout, stderr, peak RSS in KiB): the
/// child's `ru_maxrss`, its VmHWM. (A wrapper that forks from a big process, python or this
/// test binary, would pass its own RSS on: exec keeps the larger of the two.)
fn run_measured(args: &[&str]) -> Option<(String, String, u64)> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        crate::util::skip_or_fail("GNU time (to read the agent's peak RSS): apt-get install time");
        return None;
    }
    let out = std::process::Command::new(time)
        .args(["-f", "peak %M KiB"])
        .arg(env!("CARGO_BIN_EXE_sysotlp"))
        .args(args)
        .env_clear()
        .output()
        .expect("run /usr/bin/time");
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let peak = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("peak ")?.strip_suffix(" KiB")?.parse().ok())
        .next_back()
        .expect("time's peak line");
    Some((stdout_of(&out), stderr, peak))
}

#[test]
fn issue_10_ten_thousand_interfaces_and_five_thousand_mounts_stay_under_32_mib() {
    let root = big_tree(10_000, 5_000);
    let Some((stdout, stderr, peak_kib)) = run_measured(&[
        "--once",
        "--exporter",
        "stdout",
        "--collectors",
        "network,filesystem",
        "--root-path",
        root.to_str().unwrap(),
    ]) else {
        return;
    };
    // The systemd unit's MemoryMax=32M.
    assert!(peak_kib < 32 * 1024, "VmHWM {peak_kib} KiB");
    let mut per_metric = std::collections::BTreeMap::new();
    let lines: Vec<&str> = stdout.lines().collect();
    for line in &lines {
        let request: serde_json::Value = serde_json::from_str(line).expect("a JSON request");
        for point in crate::util::otlp::points(&request) {
            *per_metric.entry(point.name.clone()).or_insert(0) += 1;
        }
    }
    // Every point the caps allow: 1024 interfaces × 2 directions, 1024 mounts × states.
    for (metric, expected) in [
        ("system.network.packets", 2048),
        ("system.network.dropped", 2048),
        ("system.network.errors", 2048),
        ("system.network.io", 2048),
        ("system.filesystem.usage", 3 * 1024),
        ("system.filesystem.inodes.usage", 2 * 1024),
    ] {
        assert_eq!(
            per_metric.get(metric),
            Some(&expected),
            "{metric}: {per_metric:?}"
        );
    }
    let warnings = at_level(stderr.lines(), "WARN");
    for flag in ["--max-interfaces 1024", "--max-mounts 1024"] {
        assert_eq!(
            warnings.iter().filter(|l| l.contains(flag)).count(),
            1,
            "{warnings:#?}"
        );
    }
    eprintln!(
        "10,000 interfaces, 5,000 mounts: VmHWM {peak_kib} KiB, {} requests, {} points",
        lines.len(),
        per_metric.values().sum::<usize>()
    );
}

#[test]
fn issue_10_a_tick_larger_than_max_request_size_goes_as_several_requests() {
    let root = big_tree(3_000, 0);
    let receiver = Receiver::start(vec![Reply::ok()]);
    let out = run(
        &[
            "--once",
            "--collectors",
            "network",
            "--max-interfaces",
            "3000",
            "--max-request-size",
            "256KiB",
            "--queue-size",
            "1MiB",
            "--endpoint",
            &receiver.base_url(),
            "--root-path",
            root.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let mut points = 0;
    let mut requests = 0;
    while let Some(request) = receiver.next(Duration::from_secs(2)) {
        assert!(request.body.len() <= 256 * 1024, "{}", request.body.len());
        let json = crate::util::otlp::json_of(&request.message());
        points += crate::util::otlp::points(&json).len();
        requests += 1;
    }
    assert!(requests > 1, "one request of {points} points");
    // 3000 interfaces × 4 metrics × 2 directions, and the connections metric's states.
    assert_eq!(points, 3000 * 8, "{requests} requests");
}

#[test]
fn issue_10_a_spool_dir_created_at_start_is_announced() {
    let receiver = Receiver::start(vec![Reply::status(503, 14, "busy")]);
    let spool = scratch("spool-new").join("a/b/spool");
    let out = send_once(
        &receiver.base_url(),
        "offline-cpu",
        &["--spool-dir", spool.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains(&format!(
            "INFO created --spool-dir {} (mode 0700)",
            spool.display()
        )),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(&spool)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".otlp"))
            .count(),
        1,
        "the undelivered batch is kept"
    );
}
