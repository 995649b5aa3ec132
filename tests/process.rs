//! The `process` collector (issue 12): the fixture values its README computes by hand,
//! top-N by memory and by CPU over two ticks, the executable-name filter, quiet EACCES, and
//! live runs: the agent finding itself, 10,000 processes starting and ending during
//! collection, a name that is not UTF-8, and an unprivileged agent.

use crate::util::agent::{Agent, at_level, request_for};
use crate::util::otlp::{Point, points};
use crate::util::ticks::run_ticks;
use crate::util::{scratch, skip_or_fail};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

/// One process resource: its `process.*` attributes (ints as their JSON text) and points.
#[derive(Debug)]
struct Resource {
    attrs: BTreeMap<String, String>,
    points: Vec<Point>,
}

impl Resource {
    fn pid(&self) -> i64 {
        self.attrs["process.pid"].parse().expect("int pid")
    }

    fn value(&self, name: &str, attrs: &str) -> Option<&Value> {
        self.points
            .iter()
            .find(|p| p.name == name && p.attrs == attrs)
            .map(|p| &p.value)
    }

    fn double(&self, name: &str, attrs: &str) -> Option<f64> {
        self.value(name, attrs).and_then(Value::as_f64)
    }

    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.points.iter().map(|p| p.name.as_str()).collect();
        names.dedup();
        names
    }
}

/// The process resources of `request`, in output order.
fn processes(request: &Value) -> Vec<Resource> {
    request["resourceMetrics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|rm| {
            let attrs: BTreeMap<String, String> = rm["resource"]["attributes"]
                .as_array()?
                .iter()
                .filter_map(|kv| {
                    let key = kv["key"].as_str()?;
                    let value = &kv["value"];
                    let text = value["stringValue"]
                        .as_str()
                        .or(value["intValue"].as_str())?;
                    Some((key.to_string(), text.to_string()))
                })
                .filter(|(k, _)| k.starts_with("process."))
                .collect();
            (!attrs.is_empty()).then(|| Resource {
                attrs,
                points: points(&json!({ "resourceMetrics": [rm] })),
            })
        })
        .collect()
}

/// The time of a request's first point: the tick it belongs to.
fn tick_time(request: &Value) -> String {
    let metric = &request["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0];
    ["sum", "gauge"]
        .iter()
        .find_map(|kind| metric[kind]["dataPoints"][0]["timeUnixNano"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn pids(request: &Value) -> Vec<i64> {
    processes(request).iter().map(Resource::pid).collect()
}

fn find(request: &Value, pid: i64) -> Resource {
    processes(request)
        .into_iter()
        .find(|r| r.pid() == pid)
        .unwrap_or_else(|| panic!("pid {pid} not reported: {:?}", pids(request)))
}

const BOTH: &str = "--collectors=processes,process";

#[test]
fn fixture_values_computed_by_hand() {
    // fixtures/process/README.md
    let (request, stderr) = request_for("process", &[BOTH]);
    assert!(at_level(stderr.lines(), "WARN").is_empty(), "{stderr}");
    assert_eq!(
        pids(&request),
        [1, 31996, 31997, 31999, 32003, 32009],
        "PID order; kthreadd (2) is a kernel thread, 7001's files vanished"
    );
    let init = find(&request, 1);
    assert_eq!(init.attrs["process.parent_pid"], "0");
    assert_eq!(init.attrs["process.executable.name"], "process_api");
    assert_eq!(init.attrs["process.command"], "/process_api");
    assert!(
        init.attrs["process.command_line"]
            .starts_with("/process_api --firecracker-init --addr 0.0.0.0:2024")
    );
    assert_eq!(init.attrs["process.owner"], "root");
    assert!(
        !init.attrs.contains_key("process.executable.path"),
        "exe: EACCES"
    );
    assert_eq!(init.double("process.cpu.time", "state=user"), Some(1.73));
    assert_eq!(init.double("process.cpu.time", "state=system"), Some(9.97));
    assert_eq!(init.double("process.cpu.time", "state=wait"), Some(0.0));
    assert_eq!(
        init.value("process.memory.usage", ""),
        Some(&json!("15360000"))
    );
    assert_eq!(
        init.value("process.memory.virtual", ""),
        Some(&json!("57143296"))
    );
    assert_eq!(
        init.names(),
        [
            "process.cpu.time",
            "process.memory.usage",
            "process.memory.virtual"
        ],
        "io: EACCES, so no process.disk.io (spec/metrics.md §9.15)"
    );
    // btime 1796530438 + starttime 26 / 100.
    assert!(init.points.iter().all(|p| p.start == "1796530438260000000"));
    // Every resource carries the host's attributes too.
    let host_name = &request["resourceMetrics"][1]["resource"]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|kv| kv["key"] == "host.name")
        .expect("host.name on a process resource")["value"]["stringValue"];
    assert_eq!(host_name, "vm");

    let long = find(&request, 31997);
    assert_eq!(long.attrs["process.executable.name"], "long-name-daemond");
    assert_eq!(
        long.attrs["process.executable.path"],
        "/tmp/cap/long-name-daemond"
    );
    assert_eq!(
        long.value("process.memory.usage", ""),
        Some(&json!("1830912"))
    );

    let zombie = find(&request, 32003);
    assert_eq!(zombie.attrs["process.executable.name"], "sleep");
    assert_eq!(zombie.attrs["process.parent_pid"], "32000");
    for absent in [
        "process.executable.path",
        "process.command",
        "process.command_line",
    ] {
        assert!(!zombie.attrs.contains_key(absent), "{absent}");
    }
    assert_eq!(zombie.value("process.memory.usage", ""), Some(&json!("0")));

    let other_user = find(&request, 32009);
    assert_eq!(other_user.attrs["process.owner"], "nobody");
    assert!(
        other_user
            .value("process.disk.io", "direction=read")
            .is_none()
    );
    assert_eq!(
        other_user.value("process.memory.usage", ""),
        Some(&json!("1773568"))
    );

    let p = points(&request);
    let count = |status: &str| {
        p.iter()
            .find(|p| p.name == "system.processes.count" && p.attrs == format!("status={status}"))
            .map(|p| p.value.clone())
    };
    assert_eq!(
        count("sleeping"),
        Some(json!("7")),
        "2 and 7001 included, 7000 not"
    );
    assert_eq!(count("zombies"), Some(json!("1")));
}

#[test]
fn odd_names_and_storage_bytes() {
    let (request, _) = request_for("process", &[BOTH]);
    let odd = find(&request, 31996);
    assert_eq!(odd.attrs["process.executable.name"], "my) (x\nproc");
    assert_eq!(
        odd.attrs["process.command_line"],
        "/tmp/cap/my) (x\nproc 600"
    );
    // spec/metrics.md §9.9: rchar 1e9, read_bytes 4096 → read 4096.
    assert_eq!(
        odd.value("process.disk.io", "direction=read"),
        Some(&json!("4096"))
    );
    assert_eq!(
        odd.value("process.disk.io", "direction=write"),
        Some(&json!("0"))
    );
    let renamed = find(&request, 31999);
    assert_eq!(
        renamed.attrs["process.executable.name"],
        "\u{fffd}\u{fffd}-worker"
    );
    assert_eq!(
        renamed.attrs["process.executable.path"],
        "/root/.pyenv/versions/3.11.7/bin/python3.11"
    );
}

#[test]
fn off_by_default_metrics() {
    let (request, stderr) = request_for(
        "process",
        &[
            BOTH,
            "--enable",
            "process.signals_pending,process.threads,process.paging.faults,process.disk.operations,process.context_switches,process.memory.utilization,process.uptime,process.open_file_descriptors",
        ],
    );
    assert!(at_level(stderr.lines(), "WARN").is_empty(), "{stderr}");
    let long = find(&request, 31997);
    // spec/metrics.md §9.10: ShdPnd 0000000000000200 → 1 signal (upstream: 512).
    assert_eq!(long.value("process.signals_pending", ""), Some(&json!("1")));
    assert_eq!(
        long.value("process.context_switches", "type=voluntary"),
        Some(&json!("1"))
    );
    let python = find(&request, 31999);
    assert_eq!(
        python.value("process.paging.faults", "type=major"),
        Some(&json!("3"))
    );
    assert_eq!(
        python.value("process.paging.faults", "type=minor"),
        Some(&json!("2924"))
    );
    assert_eq!(
        python.value("process.disk.operations", "direction=read"),
        Some(&json!("678"))
    );
    assert_eq!(
        python.value("process.disk.operations", "direction=write"),
        Some(&json!("29"))
    );
    assert_eq!(python.value("process.threads", ""), Some(&json!("1")));
    // statm's 3430 pages × 4096 / (24683784 kB × 1024).
    assert_eq!(
        python.value("process.memory.utilization", ""),
        Some(&json!(3430.0 * 4096.0 / (24683784.0 * 1024.0)))
    );
    // now 1796533394 s − start (1796530438 + 2949.70 s) = 6.30 s.
    let uptime = python
        .value("process.uptime", "")
        .unwrap()
        .as_f64()
        .unwrap();
    assert!((uptime - 6.3).abs() < 1e-6, "{uptime}");
    // The fixture has no fd/ directories: no point rather than a zero.
    assert!(python.value("process.open_file_descriptors", "").is_none());
}

#[test]
fn the_cap_keeps_the_largest_rss_and_warns_once() {
    let (request, stderr) = request_for("process", &[BOTH, "--max-processes", "2"]);
    // stat's RSS pages rank: 1 → 3722, 31999 → 3426, the rest ≤ 425.
    assert_eq!(pids(&request), [1, 31999]);
    let warnings = at_level(stderr.lines(), "WARN");
    assert_eq!(warnings.len(), 1, "{stderr}");
    // 7001 competes (its stat is there); it is skipped when its other files are read.
    assert!(
        warnings[0].contains("7 processes, more than --max-processes 2"),
        "{stderr}"
    );
}

#[test]
fn executable_name_filters() {
    let only = |flags: &[&str], vars: &[(&str, &str)]| {
        let root = crate::util::fixture("process");
        let mut args = vec!["--root-path", root.to_str().unwrap(), BOTH];
        args.extend_from_slice(flags);
        let (line, _) = crate::util::agent::print_once(&args, vars);
        pids(&serde_json::from_str(&line).unwrap())
    };
    assert_eq!(only(&["--process-include", "sleep"], &[]), [32003, 32009]);
    // A 15-byte command name is matched by the executable's full file name.
    assert_eq!(
        only(&["--process-include", "long-name-daemond"], &[]),
        [31997]
    );
    assert_eq!(
        only(&["--process-exclude", "re:^(sleep|process_api)$"], &[]),
        [31996, 31997, 31999]
    );
    assert_eq!(
        only(&[], &[("SYSOTLP_PROCESS_INCLUDE", "re:worker$")]),
        [31999]
    );
    let out = crate::util::run(&["--process-include", "re:(", "--check"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(crate::util::stderr_of(&out).contains("--process-include"));
    let out = crate::util::run(&["--max-processes", "0", "--check"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = crate::util::run(&["--process-top-by", "rss", "--check"], &[]);
    assert!(crate::util::stderr_of(&out).contains("expected memory or cpu"));
}

#[test]
fn top_by_cpu_over_two_ticks() {
    // fixtures/process-cpu/README.md: CPU ticks since the previous tick at t1: 100 → 10,
    // 200 → 400, 300 → 0, 400 (started since) → 80.
    let requests = run_ticks(
        "process-cpu",
        &["t0", "t1"],
        &[
            "--collectors=process",
            "--max-processes",
            "2",
            "--process-top-by",
            "cpu",
            "--enable",
            "process.cpu.utilization",
        ],
    );
    assert_eq!(
        pids(&requests[0]),
        [100, 200],
        "t0: all CPU time since start"
    );
    assert_eq!(pids(&requests[1]), [200, 400]);
    let busy = find(&requests[1], 200);
    assert_eq!(busy.double("process.cpu.time", "state=user"), Some(4.0));
    assert_eq!(busy.double("process.cpu.time", "state=system"), Some(1.5));
    // 300 ticks = 3 s of user time in 10 s on 2 CPUs; 100 ticks of system.
    assert_eq!(
        busy.double("process.cpu.utilization", "state=user"),
        Some(0.15)
    );
    assert_eq!(
        busy.double("process.cpu.utilization", "state=system"),
        Some(0.05)
    );
    assert!(busy.points.iter().all(|p| p.start == "1796530440000000000"));
    let new = find(&requests[1], 400);
    assert!(
        new.value("process.cpu.utilization", "state=user").is_none(),
        "first seen: no interval yet"
    );
    assert_eq!(new.double("process.cpu.time", "state=user"), Some(0.6));
    assert!(
        find(&requests[0], 200)
            .value("process.cpu.utilization", "state=user")
            .is_none()
    );

    let by_memory = run_ticks(
        "process-cpu",
        &["t0", "t1"],
        &[
            "--collectors=process",
            "--max-processes",
            "2",
            "--enable",
            "process.open_file_descriptors",
        ],
    );
    assert_eq!(pids(&by_memory[1]), [100, 300], "RSS 50000 and 20000 pages");
    let big = find(&by_memory[1], 100);
    assert_eq!(
        big.value("process.open_file_descriptors", ""),
        Some(&Value::String("3".into())),
        "fd/0, fd/1, fd/2"
    );
    assert!(
        find(&by_memory[1], 300)
            .value("process.open_file_descriptors", "")
            .is_none(),
        "no fd/ directory: no point"
    );
}

/// The log lines at WARN or ERROR, but for the scheduler's note that a tick overran its
/// interval (a loaded test runner, not a collection problem).
fn warnings(log: &[String]) -> Vec<&String> {
    log.iter()
        .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
        .filter(|l| !l.contains("the previous cycle overran"))
        .collect()
}

/// `sysotlp` run live for `ticks` requests with `args`: its PID, the requests and the log.
fn live(args: &[&str], ticks: usize) -> (i64, Vec<Value>, Vec<String>) {
    let mut all = vec!["--exporter", "stdout", "--interval", "1s"];
    all.extend_from_slice(args);
    let mut agent = Agent::command(&all).stdout().spawn();
    let requests = (0..ticks)
        .map(|_| agent.request(Duration::from_secs(30)))
        .collect();
    let pid = i64::from(agent.pid());
    let (_, log) = agent.stop();
    (pid, requests, log)
}

#[test]
fn the_agent_finds_itself_with_its_own_rss() {
    // sysotlp.process.memory.rss is VmRSS of /proc/self/status: statm's resident pages ×
    // page size, the same counter as stat's rss (fs/proc/task_mmu.c).
    let (pid, requests, log) = live(
        &[
            "--collectors",
            "process,agent",
            "--process-include",
            "sysotlp",
        ],
        5,
    );
    assert!(warnings(&log).is_empty(), "{log:?}");
    let mut equal = 0;
    for request in &requests {
        let me = find(request, pid);
        assert_eq!(me.attrs["process.executable.name"], "sysotlp");
        let reported = me.value("process.memory.usage", "").cloned();
        let own = points(request)
            .into_iter()
            .find(|p| p.name == "sysotlp.process.memory.rss")
            .map(|p| p.value);
        assert!(reported.is_some() && own.is_some());
        equal += usize::from(reported == own);
    }
    assert!(equal >= 3, "RSS equal in {equal} of 5 ticks");
}

#[test]
fn ten_thousand_short_lived_processes_log_nothing() {
    let (mut requests, mut log) = (0, Vec::new());
    let mut agent = Agent::command(&[
        "--exporter",
        "stdout",
        "--interval",
        "1s",
        "--collectors",
        "processes,process",
        "--max-processes",
        "100000",
        "--enable",
        "process.open_file_descriptors,process.context_switches",
    ])
    .stdout()
    .spawn();
    let mut churn = Command::new("sh")
        .args([
            "-c",
            "i=0; while [ $i -lt 10000 ]; do /bin/true & i=$((i+1)); done; wait",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("sh");
    while churn.try_wait().expect("try_wait").is_none() {
        agent.request(Duration::from_secs(30));
        requests += 1;
    }
    assert!(churn.wait().unwrap().success());
    agent.request(Duration::from_secs(30));
    let (_, stopped) = agent.stop();
    log.extend(stopped);
    assert!(
        requests >= 3,
        "collected during the churn: {requests} ticks"
    );
    let noisy = warnings(&log);
    assert!(noisy.is_empty(), "{noisy:?}");
}

#[test]
fn issue_10_a_name_that_is_not_utf8_is_counted_and_reported() {
    let script = "import ctypes, sys, time\n\
ctypes.CDLL(None).prctl(15, b'\\xff\\xfe-renamed', 0, 0, 0)\n\
print('ready', flush=True)\n\
time.sleep(60)\n";
    let Ok(mut python) = Command::new("python3")
        .args(["-c", script])
        .stdout(Stdio::piped())
        .spawn()
    else {
        skip_or_fail("python3 is needed to rename a process with prctl (apt install python3)");
        return;
    };
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(python.stdout.take().unwrap()),
        &mut ready,
    )
    .unwrap();
    assert_eq!(ready.trim(), "ready");
    let (_, requests, log) = live(
        &[
            "--collectors",
            "processes,process",
            "--process-include",
            "re:^\u{fffd}\u{fffd}-renamed$",
        ],
        3,
    );
    let _ = python.kill();
    let _ = python.wait();
    assert!(warnings(&log).is_empty(), "{log:?}");
    for request in &requests {
        assert_eq!(pids(request), [i64::from(python.id())]);
        let unknown = points(request)
            .into_iter()
            .find(|p| p.name == "system.processes.count" && p.attrs == "status=unknown")
            .unwrap();
        assert_eq!(
            unknown.value,
            json!("0"),
            "counted by its state, not as damage"
        );
    }
}

#[test]
fn an_unprivileged_agent_is_quiet_and_sees_its_own_processes() {
    let uid = Command::new("id").arg("-u").output().map(|o| o.stdout);
    if uid.ok().as_deref().map(<[u8]>::trim_ascii) != Some(&b"0"[..]) {
        skip_or_fail("runs the agent as nobody through runuser: needs root");
        return;
    }
    // A copy of the binary nobody can run, and one process of nobody's to find.
    let dir = scratch("unprivileged");
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let bin = dir.join("sysotlp");
    std::fs::copy(env!("CARGO_BIN_EXE_sysotlp"), &bin).unwrap();
    let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("runuser");
    let Ok(mut sleeper) = Command::new(runuser)
        .args(["-u", "nobody", "--", "sleep", "60"])
        .spawn()
    else {
        skip_or_fail("runuser (util-linux) is needed to run as nobody");
        return;
    };
    let mut running = Command::new(runuser);
    running
        .args(["-u", "nobody", "--", bin.to_str().unwrap()])
        .args([
            "--exporter",
            "stdout",
            "--interval",
            "1s",
            "--collectors",
            "processes,process",
            "--max-processes",
            "100000",
            "--log-level",
            "info",
        ])
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = running.spawn().expect("runuser");
    let stdout = crate::util::agent::lines_of(child.stdout.take().unwrap());
    let stderr = crate::util::agent::lines_of(child.stderr.take().unwrap());
    // A tick of many processes is several lines (parts of ~64 KiB): lines are grouped by
    // their points' time; the fifth tick is whole once a line of the sixth arrives.
    let mut ticks: Vec<(String, Vec<Value>)> = Vec::new();
    while ticks.len() < 6 {
        let line = stdout
            .recv_timeout(Duration::from_secs(30))
            .expect("a request");
        let request = serde_json::from_str::<Value>(&line).unwrap();
        let time = tick_time(&request);
        match ticks.last_mut() {
            Some((at, parts)) if *at == time => parts.push(request),
            _ => ticks.push((time, vec![request])),
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    // To stderr's end (the agent has exited).
    let log: Vec<String> =
        std::iter::from_fn(|| stderr.recv_timeout(Duration::from_secs(10)).ok()).collect();
    assert!(
        log.iter()
            .all(|l| !l.contains(" WARN ") && !l.contains(" ERROR ")),
        "{log:?}"
    );
    let last: Vec<Resource> = ticks[4].1.iter().flat_map(processes).collect();
    let nobody: Vec<i64> = last
        .iter()
        .filter(|r| r.attrs.get("process.owner").map(String::as_str) == Some("nobody"))
        .map(Resource::pid)
        .collect();
    // The sleeper (runuser's child) and the agent itself.
    assert!(nobody.len() >= 2, "{nobody:?}");
    for r in last.iter().filter(|r| r.attrs["process.owner"] == "nobody") {
        assert!(
            r.value("process.disk.io", "direction=read").is_some(),
            "own io readable"
        );
    }
}

/// The requests of each tick of `flags` over `root` (times `nows`), in process order: each
/// batch of a tick, as the agent sends them one after the other.
fn batches(root: &std::path::Path, flags: &[&str], nows: &[u64]) -> Vec<Vec<Value>> {
    let mut argv = vec!["sysotlp", "--root-path", root.to_str().unwrap()];
    argv.extend_from_slice(flags);
    let argv: Vec<String> = argv.into_iter().map(String::from).collect();
    let cli = sysotlp::cli::parse(&argv).expect("flags");
    let config = sysotlp::config::Config::from_cli(cli, &|_| None).expect("config");
    let src = sysotlp::source::Source::open(root).expect("root");
    let telemetry = sysotlp::telemetry::Telemetry::shared(0);
    let mut collection = sysotlp::cycle::Collection::new(&config, src, telemetry);
    let mut line = String::new();
    let mut ticks = Vec::new();
    for now in nows {
        let mut requests = Vec::new();
        let mut next = Some(collection.run(*now));
        while let Some(builder) = next {
            sysotlp::otlp::json::write(builder, &mut line);
            requests.push(serde_json::from_str(&line).expect("JSON"));
            next = collection.run_more();
        }
        ticks.push(requests);
    }
    ticks
}

#[test]
fn a_tick_of_many_processes_goes_in_batches_in_one_builder() {
    use crate::util::many::{FIRST_COPY, many_processes};
    use sysotlp::collect::process::BATCH;
    // Nine batches: a collection counted per batch would forget the last batches' series
    // before they are refreshed (stale after 3), and drop their points as new.
    let root = many_processes(&scratch("many-batches"), 140);
    let (t1, t2) = (1_767_225_600_000_000_000, 1_767_225_610_000_000_000);
    let ticks = batches(
        &root,
        &[
            "--collectors=process",
            "--max-processes=1000",
            "--temporality=delta",
        ],
        &[t1, t2],
    );
    // The fixture's 6 processes that are not kernel threads (its README), and the copies.
    let everyone: Vec<i64> = [1, 7000, 7001, 31996, 31997, 31999, 32003, 32009]
        .into_iter()
        .filter(|pid| find_in(&ticks[0], *pid).is_some())
        .chain((FIRST_COPY..FIRST_COPY + 140).map(i64::from))
        .collect();
    assert!(everyone.len() > 140, "{everyone:?}");
    for (tick, requests) in ticks.iter().enumerate() {
        let sizes: Vec<usize> = requests.iter().map(|r| processes(r).len()).collect();
        let n = everyone.len();
        let mut expected = vec![BATCH; n / BATCH];
        expected.extend((n % BATCH > 0).then_some(n % BATCH));
        assert!(expected.len() > 4, "{expected:?}");
        assert_eq!(sizes, expected, "tick {}", tick + 1);
        let mut reported: Vec<i64> = requests.iter().flat_map(pids).collect();
        reported.sort_unstable();
        let mut expected = everyone.clone();
        expected.sort_unstable();
        assert_eq!(reported, expected, "tick {}: each process once", tick + 1);
    }
    // Delta temporality across batches: the second tick's counters of every batch start at
    // the first tick (one collection, however many batches), and none was dropped as new.
    let (mut counted, t1) = (0, t1.to_string());
    for request in &ticks[1] {
        for resource in request["resourceMetrics"].as_array().unwrap() {
            for metric in resource["scopeMetrics"][0]["metrics"].as_array().unwrap() {
                if metric["name"] == "process.cpu.time" {
                    for point in metric["sum"]["dataPoints"].as_array().unwrap() {
                        assert_eq!(point["startTimeUnixNano"], t1.as_str(), "{point}");
                        assert_eq!(point["asDouble"].as_f64(), Some(0.0), "{point}");
                        counted += 1;
                    }
                }
            }
        }
    }
    // user, system and wait (the stats have delayacct_blkio_ticks) of every process.
    assert_eq!(counted, 3 * everyone.len(), "cpu.time points");
}

fn find_in(requests: &[Value], pid: i64) -> Option<Resource> {
    requests.iter().flat_map(processes).find(|r| r.pid() == pid)
}

#[test]
fn the_agent_writes_every_batch_of_a_tick() {
    use crate::util::many::many_processes;
    let root = many_processes(&scratch("many-agent"), 80);
    let root = root.to_str().unwrap();
    let args = [
        "--once",
        "--root-path",
        root,
        "--collectors=processes,process",
        "--max-processes=1000",
    ];
    // OTLP/JSON on stdout: a line per batch.
    let out = crate::util::run(&[&args[..], &["--exporter", "stdout"]].concat(), &[]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = crate::util::stdout_of(&out);
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let per_line: Vec<usize> = lines.iter().map(|r| processes(r).len()).collect();
    let total: usize = per_line.iter().sum();
    assert!(total > 80, "{total}");
    let batch = sysotlp::collect::process::BATCH;
    assert_eq!(per_line.len(), total.div_ceil(batch), "{per_line:?}");
    assert!(
        per_line.iter().rev().skip(1).all(|n| *n == batch),
        "{per_line:?}"
    );
    // The census is in the first, with the host's resource.
    assert!(
        points(&lines[0])
            .iter()
            .any(|p| p.name == "system.processes.count")
    );
    // Text: a resource line per process over the batches, one blank line at the tick's end.
    let out = crate::util::run(&[&args[..], &["--exporter", "text"]].concat(), &[]);
    assert_eq!(out.status.code(), Some(0));
    let text = crate::util::stdout_of(&out);
    assert_eq!(text.lines().filter(|l| l.starts_with("--")).count(), total);
    assert!(text.ends_with("\n\n") && !text.ends_with("\n\n\n"));
    assert_eq!(text.matches("\n\n").count(), 1, "{text}");
}
