//! The `container` collector end to end: the agent's own cgroup v2 container as a resource of
//! its own (Docker-shaped and Podman-shaped fixtures, limits of `max`, a controller enabled
//! between cycles), detection (none, hybrid), this machine's own answer, and the runtime's
//! single-file binds that the filesystem collector now leaves out.

use crate::util::agent::{at_level, request_for, request_once};
use crate::util::otlp::{Point, points, value_and_start as at};
use crate::util::ticks::run_ticks;
use crate::util::{fixture, scratch};
use serde_json::Value;

const DOCKER_ID: &str = "47eeb30c08437fe1b78855369023caab75f07cd7f1fd03f4c0040b02030da559";
const PODMAN_ID: &str = "52264430c2cbe1d4cbf9b04c4de89f1d4b0b108fc3bb3c684e9898b34364bc03";

/// The attributes of resource `index` of `request`, as `k=v`.
fn resource_attributes(request: &Value, index: usize) -> Vec<String> {
    request["resourceMetrics"][index]["resource"]["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|kv| {
            format!(
                "{}={}",
                kv["key"].as_str().unwrap(),
                kv["value"]["stringValue"].as_str().unwrap()
            )
        })
        .collect()
}

/// A point's expected (value, start).
fn pair(value: &str, start: &str) -> (String, String) {
    (value.to_string(), start.to_string())
}

fn metric_names(points: &[Point]) -> Vec<&str> {
    let mut names: Vec<&str> = points.iter().map(|p| p.name.as_str()).collect();
    names.dedup();
    names
}

#[test]
fn container_v2_values_computed_by_hand() {
    // fixtures/container-v2/README.md, "The container collector".
    let (request, stderr) = request_for("container-v2", &["--collectors=container"]);
    assert!(!stderr.contains("WARN"), "{stderr}");
    let resources = request["resourceMetrics"].as_array().unwrap();
    assert_eq!(resources.len(), 1, "the host resource has no points");
    let attrs = resource_attributes(&request, 0);
    assert_eq!(attrs[0], format!("container.id={DOCKER_ID}"));
    assert_eq!(attrs[1], "host.name=47eeb30c0843", "then the host's");
    let p = points(&request);
    let start = "1795643605600000000";
    assert_eq!(
        at(&p, "container.cpu.time", "cpu.mode=user"),
        pair("0.32547", start)
    );
    assert_eq!(
        at(&p, "container.cpu.time", "cpu.mode=system"),
        pair("0.56223", start)
    );
    assert_eq!(at(&p, "container.memory.usage", "").0, "31457280");
    assert_eq!(at(&p, "container.memory.working_set", "").0, "18612224");
    assert_eq!(at(&p, "container.memory.rss", "").0, "11743232");
    assert_eq!(at(&p, "container.memory.available", "").0, "518258688");
    assert_eq!(
        at(
            &p,
            "container.paging.faults",
            "system.paging.fault.type=minor"
        )
        .0,
        "27273"
    );
    assert_eq!(
        at(
            &p,
            "container.disk.io",
            "disk.io.direction=read,system.device=vda"
        ),
        pair("15138816", start)
    );
    assert_eq!(at(&p, "container.uptime", ""), pair("2.701824673", start));
    assert_eq!(at(&p, "container.cpu.limit", "").0, "1.5");
    assert_eq!(at(&p, "container.cpu.throttled.time", "").0, "1.843217");
    assert_eq!(at(&p, "container.memory.limit", "").0, "536870912");
    assert_eq!(at(&p, "container.memory.oom_kills", "").0, "1");
    assert_eq!(at(&p, "container.task.count", "").0, "2");
    assert!(
        !metric_names(&p).contains(&"container.task.limit"),
        "pids.max max: no limit point"
    );
}

#[test]
fn container_v2_max_across_three_cycles() {
    // fixtures/container-v2-max/README.md: memory.max max, io enabled from t1, pids.max 100.
    let r = run_ticks(
        "container-v2-max",
        &["t0", "t1", "t2"],
        &["--collectors=container"],
    );
    let attrs = resource_attributes(&r[0], 0);
    assert_eq!(attrs[0], format!("container.id={PODMAN_ID}"));
    assert!(attrs.contains(&"host.name=52264430c2cb".to_string()));
    assert!(
        attrs.contains(&"os.description=Alpine Linux v3.20 (Linux 6.8.0-51-generic)".to_string())
    );
    let start = "1767225000000000000";
    let t0_time = "1767225600000000000";
    let (t0, t1, t2) = (points(&r[0]), points(&r[1]), points(&r[2]));
    assert_eq!(
        metric_names(&t0),
        [
            "container.cpu.time",
            "container.memory.usage",
            "container.memory.working_set",
            "container.memory.rss",
            "container.paging.faults",
            "container.uptime",
            "container.cpu.limit",
            "container.cpu.throttled.time",
            "container.memory.oom_kills",
            "container.task.count",
            "container.task.limit",
        ],
        "table order; no available or memory.limit (max), no disk.io (io disabled)"
    );
    assert_eq!(
        at(&t0, "container.cpu.time", "cpu.mode=user"),
        pair("90", start)
    );
    assert_eq!(
        at(&t1, "container.cpu.time", "cpu.mode=user"),
        pair("91.5", start)
    );
    assert_eq!(
        at(&t2, "container.cpu.time", "cpu.mode=system"),
        pair("31.2", start)
    );
    assert_eq!(at(&t0, "container.memory.working_set", "").0, "201326592");
    assert_eq!(at(&t2, "container.memory.working_set", "").0, "209715200");
    let minor = "system.paging.fault.type=minor";
    assert_eq!(
        at(&t0, "container.paging.faults", minor),
        pair("499880", start)
    );
    assert_eq!(
        at(&t1, "container.paging.faults", minor),
        pair("502875", start)
    );
    assert_eq!(
        at(&t2, "container.paging.faults", minor),
        pair("506375", start)
    );
    assert_eq!(
        at(
            &t2,
            "container.paging.faults",
            "system.paging.fault.type=major"
        ),
        pair("125", start)
    );
    // io.stat appears in t1: first seen in cycle 2, so it starts at t0's time (§1.3).
    let read = "disk.io.direction=read,system.device=nvme0n1";
    let write = "disk.io.direction=write,system.device=nvme0n1";
    assert_eq!(at(&t1, "container.disk.io", read), pair("1048576", t0_time));
    assert_eq!(
        at(&t1, "container.disk.io", write),
        pair("4194304", t0_time)
    );
    assert_eq!(at(&t2, "container.disk.io", read), pair("2097152", t0_time));
    assert_eq!(
        at(&t2, "container.disk.io", write),
        pair("8388608", t0_time)
    );
    assert_eq!(at(&t0, "container.uptime", "").0, "600");
    assert_eq!(at(&t2, "container.uptime", "").0, "720");
    assert_eq!(
        at(&t1, "container.cpu.throttled.time", ""),
        pair("2.4", start)
    );
    assert_eq!(
        at(&t2, "container.cpu.throttled.time", ""),
        pair("2.65", start)
    );
    assert_eq!(at(&t0, "container.memory.oom_kills", ""), pair("0", start));
    assert_eq!(at(&t1, "container.memory.oom_kills", ""), pair("1", start));
    assert_eq!(at(&t2, "container.cpu.limit", "").0, "2");
    assert_eq!(at(&t1, "container.task.count", "").0, "24");
    assert_eq!(at(&t1, "container.task.limit", "").0, "100");
}

#[test]
fn no_container_means_no_resource_and_a_note_only_when_named() {
    // x86_64-vm: proc/self/cgroup ends in 0::/ but there is no sys/fs/cgroup/memory.max and
    // no marker: not a container.
    let (request, stderr) = request_for(
        "x86_64-vm",
        &["--collectors=load,container", "--log-level=debug"],
    );
    assert_eq!(request["resourceMetrics"].as_array().unwrap().len(), 1);
    assert!(
        !points(&request)
            .iter()
            .any(|p| p.name.starts_with("container."))
    );
    let lines: Vec<&str> = stderr.lines().collect();
    let infos = at_level(&lines, "INFO");
    assert!(
        infos
            .iter()
            .any(|l| l.contains("container: no container detected")),
        "named: one INFO: {stderr}"
    );
    let (_, quiet) = request_for("x86_64-vm", &["--collectors=load"]);
    assert!(!quiet.contains("container"), "{quiet}");
}

#[test]
fn a_hybrid_host_turns_the_collector_off_with_one_info() {
    // This project's VM: /.dockerenv, v1 controllers on a tmpfs at /sys/fs/cgroup (the
    // x86_64-vm capture's proc/self/{cgroup,mountinfo}).
    let root = scratch("container-hybrid");
    let vm = fixture("x86_64-vm");
    std::fs::create_dir_all(root.join("proc/self")).unwrap();
    std::fs::copy(
        vm.join("sysotlp-fixture.json"),
        root.join("sysotlp-fixture.json"),
    )
    .unwrap();
    std::fs::copy(vm.join("proc/stat"), root.join("proc/stat")).unwrap();
    std::fs::copy(vm.join("proc/loadavg"), root.join("proc/loadavg")).unwrap();
    for file in ["cgroup", "mountinfo"] {
        std::fs::copy(
            vm.join("proc/self").join(file),
            root.join("proc/self").join(file),
        )
        .unwrap();
    }
    std::fs::write(root.join(".dockerenv"), "").unwrap();
    let (request, stderr) = request_once(&[
        "--root-path",
        root.to_str().unwrap(),
        "--collectors=load,container",
    ]);
    assert!(
        !points(&request)
            .iter()
            .any(|p| p.name.starts_with("container."))
    );
    let lines: Vec<&str> = stderr.lines().collect();
    let notes: Vec<&str> = at_level(&lines, "INFO")
        .into_iter()
        .filter(|l| l.contains("container:"))
        .collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(
        notes[0].contains(
            "/.dockerenv, but /sys/fs/cgroup is not a cgroup2 mount (cgroup v1 or hybrid)"
        ),
        "{stderr}"
    );
    assert!(at_level(&lines, "WARN").is_empty(), "{stderr}");
}

/// Whether this machine's `/sys/fs/cgroup` is a cgroup2 mount (the last mount there).
fn live_sys_fs_cgroup_is_v2() -> Option<bool> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mountinfo.lines().rev().find_map(|line| {
        let fields: Vec<&str> = line.split(' ').collect();
        let separator = fields.iter().position(|f| *f == "-")?;
        (fields.get(4) == Some(&"/sys/fs/cgroup"))
            .then(|| fields.get(separator + 1) == Some(&"cgroup2"))
    })
}

#[test]
fn live_the_agent_reports_its_own_container_exactly_when_it_is_in_a_v2_one() {
    // What spec §5.8 decides, from this machine's own files (the agent runs with a clean
    // environment, so the `container` variable plays no part).
    let marker = ["/.dockerenv", "/run/.containerenv"]
        .iter()
        .any(|m| std::path::Path::new(m).exists());
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let namespace_root = cgroup.lines().any(|l| l == "0::/")
        && std::path::Path::new("/sys/fs/cgroup/memory.max").exists();
    let detected = marker || namespace_root;
    let v2 = live_sys_fs_cgroup_is_v2() == Some(true);
    let (request, stderr) = request_once(&["--collectors=load,container"]);
    let container_points = points(&request)
        .iter()
        .filter(|p| p.name.starts_with("container."))
        .count();
    let lines: Vec<&str> = stderr.lines().collect();
    let infos: Vec<&str> = at_level(&lines, "INFO")
        .into_iter()
        .filter(|l| l.contains("container:"))
        .collect();
    match (detected, v2) {
        (true, true) => {
            assert!(container_points >= 2, "a cgroup v2 container: {request}");
            assert!(infos.is_empty(), "{stderr}");
        }
        (true, false) => {
            assert_eq!(container_points, 0, "{request}");
            assert_eq!(infos.len(), 1, "one INFO: {stderr}");
            assert!(infos[0].contains("cgroup v1 or hybrid"), "{stderr}");
        }
        (false, _) => {
            assert_eq!(container_points, 0, "{request}");
            assert_eq!(infos.len(), 1, "named, so one INFO: {stderr}");
            assert!(infos[0].contains("no container detected"), "{stderr}");
        }
    }
}

#[test]
fn the_runtimes_single_file_binds_are_excluded_by_default() {
    let mountpoints = |flags: &[&str]| -> Vec<String> {
        let (request, _) = request_for("container-v2", flags);
        let mut found: Vec<String> = points(&request)
            .iter()
            .filter(|p| p.name == "system.filesystem.usage" && p.attrs.ends_with("state=used"))
            .filter_map(|p| {
                p.attrs
                    .split(',')
                    .find_map(|kv| kv.strip_prefix("mountpoint="))
                    .map(str::to_string)
            })
            .collect();
        found.dedup();
        found
    };
    assert_eq!(mountpoints(&["--collectors=filesystem"]), ["/srv/data"]);
    assert_eq!(
        mountpoints(&[
            "--collectors=filesystem",
            "--filesystem-exclude-mountpoint=none"
        ]),
        [
            "/srv/data",
            "/etc/resolv.conf",
            "/etc/hostname",
            "/etc/hosts"
        ]
    );
}
