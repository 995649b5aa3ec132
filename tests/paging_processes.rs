//! The `paging` and `processes` collectors and OOM kills on fixture trees: spec/metrics.md
//! §9.1, §9.3, §9.11, the 32-bit pgfault wrap, and the values each fixture's README computes.

use crate::util::agent::{request_for, request_once};
use crate::util::otlp::{Point, get, points};
use crate::util::ticks::run_ticks;
use crate::util::{fixture, scratch};
use serde_json::{Value, json};

fn value<'a>(points: &'a [Point], name: &str, attrs: &str) -> &'a Value {
    &get(points, name, attrs).value
}

/// The attribute sets of `name`'s points, in output order.
fn series(points: &[Point], name: &str) -> Vec<String> {
    points
        .iter()
        .filter(|p| p.name == name)
        .map(|p| p.attrs.clone())
        .collect()
}

/// `startTimeUnixNano` of every point of `name`.
fn starts(request: &Value, name: &str) -> Vec<String> {
    let starts: Vec<String> = points(request)
        .into_iter()
        .filter(|p| p.name == name)
        .map(|p| p.start)
        .collect();
    assert!(!starts.is_empty(), "no {name}");
    starts
}

#[test]
fn paging_counts_are_raw_not_times_4096() {
    // spec/metrics.md §9.1 (fixtures/paging-zram/README.md).
    let (request, stderr) = request_for("paging-zram", &["--collectors=paging"]);
    assert!(!stderr.contains("WARN"), "{stderr}");
    let p = points(&request);
    let ops = "system.paging.operations";
    assert_eq!(
        value(&p, ops, "direction=page_in,type=minor"),
        &json!("1000")
    );
    assert_eq!(value(&p, ops, "direction=page_in,type=major"), &json!("7"));
    assert_eq!(
        value(&p, ops, "direction=page_out,type=minor"),
        &json!("2000")
    );
    assert_eq!(value(&p, ops, "direction=page_out,type=major"), &json!("9"));
    let faults = "system.paging.faults";
    assert_eq!(value(&p, faults, "type=major"), &json!("12"));
    assert_eq!(value(&p, faults, "type=minor"), &json!("4988"));
}

#[test]
fn swaps_come_from_the_root_only() {
    // spec/metrics.md §9.11: the fixture's /dev/zram0, never the test host's swap.
    let (request, _) = request_for(
        "paging-zram",
        &["--collectors=paging", "--enable=system.paging.utilization"],
    );
    let p = points(&request);
    assert_eq!(
        series(&p, "system.paging.usage"),
        [
            "device=/dev/zram0,state=used",
            "device=/dev/zram0,state=free"
        ]
    );
    // Size 2097148 KiB, Used 524288 KiB.
    let usage = "system.paging.usage";
    assert_eq!(
        value(&p, usage, "device=/dev/zram0,state=used"),
        &json!("536870912")
    );
    assert_eq!(
        value(&p, usage, "device=/dev/zram0,state=free"),
        &json!("1610608640")
    );
    let used = value(
        &p,
        "system.paging.utilization",
        "device=/dev/zram0,state=used",
    )
    .as_f64()
    .unwrap();
    let free = value(
        &p,
        "system.paging.utilization",
        "device=/dev/zram0,state=free",
    )
    .as_f64()
    .unwrap();
    assert_eq!(used, 524_288.0 / 2_097_148.0);
    assert!((used + free - 1.0).abs() < 1e-12);
}

#[test]
fn swap_file_names_are_unescaped() {
    // Captured: a file named "my swap" is printed as my\040swap.
    let (request, _) = request_for(
        "paging-swapfile",
        &[
            "--collectors=paging",
            "--enable=system.paging.utilization",
            "--disable=system.paging.operations",
            "--disable=system.paging.faults",
        ],
    );
    let p = points(&request);
    let file = "device=/var/tmp/sysotlp-pp-capture/my swap";
    assert_eq!(
        value(&p, "system.paging.usage", &format!("{file},state=free")),
        &json!("16773120")
    );
    assert_eq!(
        value(&p, "system.paging.usage", "device=/dev/zram0,state=free"),
        &json!("33550336")
    );
    assert_eq!(
        value(
            &p,
            "system.paging.utilization",
            &format!("{file},state=used")
        )
        .as_f64(),
        Some(0.0)
    );
    assert!(
        series(&p, "system.paging.faults").is_empty(),
        "disabled, and the tree has no vmstat"
    );
}

#[test]
fn no_swap_is_zero_without_a_device_and_no_utilization() {
    let (request, stderr) = request_for(
        "paging-x86",
        &["--collectors=paging", "--enable=system.paging.utilization"],
    );
    assert!(!stderr.contains("WARN"), "{stderr}");
    let p = points(&request);
    assert_eq!(
        series(&p, "system.paging.usage"),
        ["state=used", "state=free"]
    );
    assert_eq!(value(&p, "system.paging.usage", "state=used"), &json!("0"));
    assert_eq!(value(&p, "system.paging.usage", "state=free"), &json!("0"));
    assert!(series(&p, "system.paging.utilization").is_empty());
    // Live capture: pgfault 22726688, pgmajfault 5635.
    assert_eq!(
        value(&p, "system.paging.faults", "type=minor"),
        &json!("22721053")
    );
}

#[test]
fn pgfault_wrap_on_a_32_bit_kernel_keeps_minor_faults_growing() {
    // fixtures/paging-armv7-wrap/README.md: pgfault 4294967000 → 1200, pgmajfault 300 → 310.
    let requests = run_ticks("paging-armv7-wrap", &["t0", "t1"], &["--collectors=paging"]);
    let (t0, t1) = (points(&requests[0]), points(&requests[1]));
    let faults = "system.paging.faults";
    assert_eq!(value(&t0, faults, "type=minor"), &json!("4294966700"));
    assert_eq!(value(&t1, faults, "type=minor"), &json!("4294968186"));
    assert_eq!(value(&t0, faults, "type=major"), &json!("300"));
    assert_eq!(value(&t1, faults, "type=major"), &json!("310"));
    assert_eq!(
        value(
            &t1,
            "system.paging.operations",
            "direction=page_out,type=major"
        ),
        &json!("360")
    );
    let boot = "1767200000000000000";
    for request in &requests {
        assert!(
            starts(request, faults).iter().all(|s| s == boot),
            "no reset"
        );
    }
    assert_eq!(
        value(&t1, "system.paging.usage", "device=/var/swap,state=used"),
        &json!("3145728")
    );
    assert_eq!(
        value(&t1, "system.paging.usage", "device=/var/swap,state=free"),
        &json!("101707776")
    );
}

#[test]
fn process_count_counts_processes_not_threads() {
    // spec/metrics.md §9.3: PIDs R, S, S, Z, D; procs_running 9; loadavg 3/250.
    let (request, stderr) = request_for("processes", &["--collectors=processes"]);
    assert!(!stderr.contains("WARN"), "{stderr}");
    let p = points(&request);
    let count = |status: &str| value(&p, "system.processes.count", &format!("status={status}"));
    for (status, n) in [
        ("running", "1"),
        ("sleeping", "2"),
        ("blocked", "1"),
        ("stopped", "0"),
        ("zombies", "1"),
        ("idle", "0"),
        ("unknown", "0"),
    ] {
        assert_eq!(count(status), &json!(n), "{status}");
    }
    assert_eq!(series(&p, "system.processes.count").len(), 7);
    assert_eq!(value(&p, "system.processes.created", ""), &json!("38457"));
}

#[test]
fn every_state_letter_and_a_vanished_pid() {
    // fixtures/processes-states/README.md; pid 5020 has no stat (gone after readdir).
    let (request, stderr) = request_for("processes-states", &["--collectors=processes"]);
    assert!(
        !stderr.contains("WARN"),
        "a vanished PID is not a warning: {stderr}"
    );
    let p = points(&request);
    let counts: Vec<&Value> = series(&p, "system.processes.count")
        .iter()
        .map(|attrs| value(&p, "system.processes.count", attrs))
        .collect();
    assert_eq!(
        counts,
        [
            &json!("1"),
            &json!("3"),
            &json!("1"),
            &json!("2"),
            &json!("1"),
            &json!("1"),
            &json!("1")
        ],
        "running sleeping blocked stopped zombies idle unknown"
    );
}

#[test]
fn oom_kills_follow_memory_limit_and_are_omitted_before_4_13() {
    let (request, _) = request_for("x86_64-vm", &["--collectors=memory"]);
    let p = points(&request);
    let names: Vec<&str> = p.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names.last().copied(),
        Some("system.memory.linux.oom_kills"),
        "emitted after system.memory.limit"
    );
    assert_eq!(value(&p, "system.memory.linux.oom_kills", ""), &json!("0"));

    // Linux 3.2: vmstat without oom_kill → no point, only a debug line.
    let root = scratch("oom-kill-absent");
    let from = fixture("no-memavailable");
    for file in ["sysotlp-fixture.json", "proc/meminfo", "proc/stat"] {
        std::fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
        std::fs::copy(from.join(file), root.join(file)).unwrap();
    }
    std::fs::write(
        root.join("proc/vmstat"),
        "nr_free_pages 1436129\npgpgin 1020304\npgpgout 40506\npswpin 0\npswpout 0\npgfault 845518\npgmajfault 416\n",
    )
    .unwrap();
    let root = root.to_str().unwrap();
    for (level, debug_line) in [("info", false), ("debug", true)] {
        let (request, stderr) = request_once(&[
            "--collectors=memory",
            "--log-level",
            level,
            "--root-path",
            root,
        ]);
        assert!(!stderr.contains("WARN"), "{stderr}");
        assert_eq!(stderr.contains("no oom_kill line"), debug_line, "{stderr}");
        let p = points(&request);
        assert!(series(&p, "system.memory.linux.oom_kills").is_empty());
        assert_eq!(series(&p, "system.memory.limit"), [""]);
    }
}
