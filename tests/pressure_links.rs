//! The `pressure`, `netclass` and `sockstat` collectors end to end: a kernel without PSI, a
//! pressure file that fails with EOPNOTSUPP, counters across cycles (resets, interfaces that
//! vanish or are re-created), the shared interface filter, the namespace rule of sockstat,
//! the whole-machine fixtures' values, and this machine's own files read in the same second
//! as the agent.

use crate::util::agent::{at_level, request_for, request_once};
use crate::util::otlp::{Point, find, get, points, value_and_start as at};
use crate::util::ticks::run_ticks;
use crate::util::{run, scratch, skip_or_fail, stderr_of, stdout_of};
use serde_json::Value;
use std::path::{Path, PathBuf};

const PRESSURE: &str = "system.linux.pressure.time";
const UP: &str = "hw.network.up";
const BANDWIDTH: &str = "hw.network.bandwidth.limit";
const CHANGES: &str = "system.network.linux.carrier_changes";
const SOCKETS: &str = "system.network.linux.socket.count";

/// A point's expected (value, start).
fn pair(value: &str, start: &str) -> (String, String) {
    (value.to_string(), start.to_string())
}

fn psi(resource: &str, kind: &str) -> String {
    format!("system.linux.pressure.resource={resource},system.linux.pressure.stall_type={kind}")
}

fn hw(name: &str) -> String {
    format!("hw.id={name},hw.name={name}")
}

fn interface(name: &str) -> String {
    format!("network.interface.name={name}")
}

/// The interfaces of `metric` in output order.
fn names(points: &[Point], metric: &str) -> Vec<String> {
    points
        .iter()
        .filter(|p| p.name == metric)
        .map(|p| p.attrs.rsplit('=').next().unwrap_or_default().to_string())
        .collect()
}

/// A scratch fixture root with directory `dir` and a `sysotlp-fixture.json` of `page_size`
/// and `machine`, time 1767225600 s.
fn fixture_root(name: &str, dir: &str, page_size: u64, machine: &str) -> PathBuf {
    let root = scratch(name);
    std::fs::create_dir_all(root.join(dir)).unwrap();
    let json = format!(
        r#"{{"format":1,"page_size":{page_size},"clock_ticks":100,"machine":"{machine}","now_unix_nano":1767225600000000000}}"#
    );
    std::fs::write(root.join("sysotlp-fixture.json"), json).unwrap();
    root
}

#[test]
fn a_kernel_without_psi_emits_no_pressure_and_no_warning() {
    // fixtures/no-psi/README.md: Debian 8, Linux 3.16.
    let flags = "--collectors=cpu,load,system,pressure,netclass,sockstat";
    let (request, stderr) = request_for("no-psi", &[flags, "--log-level=debug"]);
    let p = points(&request);
    assert!(!p.iter().any(|p| p.name == PRESSURE), "{p:?}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(at_level(&lines, "WARN").is_empty(), "{stderr}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("DEBUG pressure:"))
            .count(),
        4,
        "one DEBUG line per absent file: {stderr}"
    );
    // The other collectors of the run are unaffected.
    assert_eq!(at(&p, "system.uptime", "").0, "225600");
    // bond0: down, speed 4294967295 (unknown); bonding_masters is a file, not an interface.
    assert_eq!(names(&p, UP), ["bond0", "eth0", "lo"]);
    assert_eq!(at(&p, UP, &hw("bond0")).0, "0");
    assert_eq!(at(&p, UP, &hw("lo")).0, "1");
    assert_eq!(names(&p, BANDWIDTH), ["eth0"]);
    assert_eq!(at(&p, BANDWIDTH, &hw("eth0")).0, "125000000");
    assert_eq!(at(&p, CHANGES, &interface("eth0")).0, "2");
    assert_eq!(
        at(&p, SOCKETS, "network.transport=tcp,network.type=ipv4").0,
        "5"
    );
    assert_eq!(
        at(&p, SOCKETS, "network.transport=udp,network.type=ipv6").0,
        "1"
    );
    assert_eq!(at(&p, "system.network.linux.tcp.orphan.count", "").0, "1");
    assert_eq!(
        at(
            &p,
            "system.network.linux.socket.memory",
            "network.transport=tcp"
        )
        .0,
        "8192"
    );
}

/// A sysfs attribute this kernel refuses with EOPNOTSUPP on read, as `proc/pressure/*` of a
/// 4.20–5.12 kernel booted with `psi=0` does: `phys_port_name` of an interface whose driver
/// has no `ndo_get_phys_port_name` (virtio_net, e1000, …).
fn eopnotsupp_file() -> Option<std::path::PathBuf> {
    let eopnotsupp = rustix::io::Errno::OPNOTSUPP.raw_os_error();
    let mut candidates: Vec<_> = std::fs::read_dir("/sys/class/net")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("phys_port_name"))
        .collect();
    candidates.sort();
    candidates
        .into_iter()
        .find(|p| std::fs::read(p).err().and_then(|e| e.raw_os_error()) == Some(eopnotsupp))
}

#[test]
fn pressure_files_failing_with_eopnotsupp_are_silent() {
    let Some(refusing) = eopnotsupp_file() else {
        skip_or_fail(
            "no /sys/class/net/*/phys_port_name fails with EOPNOTSUPP here (needs an interface \
             whose driver lacks ndo_get_phys_port_name, such as virtio_net)",
        );
        return;
    };
    let root = fixture_root("psi-eopnotsupp", "proc/pressure", 4096, "x86_64");
    std::fs::write(
        root.join("proc/stat"),
        "cpu  1 0 1 1 0 0 0 0 0 0\nbtime 1767220000\n",
    )
    .unwrap();
    // cpu: the kernel's EOPNOTSUPP through a link to the refusing file; io: a normal file.
    std::os::unix::fs::symlink(&refusing, root.join("proc/pressure/cpu")).unwrap();
    std::fs::write(
        root.join("proc/pressure/io"),
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=1500000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=500000\n",
    )
    .unwrap();
    let (request, stderr) = request_once(&[
        "--root-path",
        root.to_str().unwrap(),
        "--collectors=pressure",
        "--log-level=debug",
    ]);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(at_level(&lines, "WARN").is_empty(), "{stderr}");
    let p = points(&request);
    assert_eq!(
        p.iter().map(|p| p.attrs.as_str()).collect::<Vec<_>>(),
        [psi("io", "some"), psi("io", "full")],
        "no cpu points"
    );
    assert_eq!(at(&p, PRESSURE, &psi("io", "some")).0, "1.5");
    let debug = at_level(&lines, "DEBUG");
    assert!(
        debug.iter().any(|l| l.contains("proc/pressure/cpu")
            && l.contains(&format!(
                "os error {}",
                rustix::io::Errno::OPNOTSUPP.raw_os_error()
            ))),
        "{stderr}"
    );
}

#[test]
fn pressure_totals_across_three_cycles() {
    // fixtures/container-v2-max/README.md: host PSI seen from a container.
    let r = run_ticks(
        "container-v2-max",
        &["t0", "t1", "t2"],
        &["--collectors=pressure"],
    );
    let boot = "1767200000000000000";
    let (t0, t1, t2) = (points(&r[0]), points(&r[1]), points(&r[2]));
    let attrs: Vec<&str> = t0.iter().map(|p| p.attrs.as_str()).collect();
    assert_eq!(
        attrs,
        [
            psi("cpu", "some"),
            psi("cpu", "full"),
            psi("memory", "some"),
            psi("memory", "full"),
            psi("io", "some"),
            psi("io", "full"),
            psi("irq", "full"),
        ],
        "file order; irq has no some line"
    );
    assert_eq!(
        at(&t0, PRESSURE, &psi("cpu", "some")),
        pair("86.123456", boot)
    );
    assert_eq!(at(&t0, PRESSURE, &psi("cpu", "full")), pair("0", boot));
    assert_eq!(at(&t0, PRESSURE, &psi("irq", "full")), pair("2.5", boot));
    assert_eq!(
        at(&t1, PRESSURE, &psi("cpu", "some")),
        pair("87.123456", boot)
    );
    assert_eq!(at(&t1, PRESSURE, &psi("io", "some")), pair("45.6", boot));
    assert_eq!(at(&t1, PRESSURE, &psi("io", "full")), pair("30.3", boot));
    assert_eq!(at(&t1, PRESSURE, &psi("irq", "full")), pair("2.56", boot));
    assert_eq!(at(&t2, PRESSURE, &psi("cpu", "some")), pair("88", boot));
    assert_eq!(at(&t2, PRESSURE, &psi("memory", "some")), pair("1.7", boot));
    assert_eq!(
        at(&t2, PRESSURE, &psi("memory", "full")),
        pair("1.35", boot)
    );
    assert_eq!(at(&t2, PRESSURE, &psi("io", "full")), pair("30.5", boot));
    assert_eq!(at(&t2, PRESSURE, &psi("irq", "full")), pair("2.6", boot));
}

#[test]
fn link_state_across_cycles_and_carrier_changes_reset_on_a_new_device() {
    // fixtures/net-vanish/README.md, "Link state".
    let r = run_ticks(
        "net-vanish",
        &["t0", "t1", "t2"],
        &["--collectors=netclass"],
    );
    let (boot, t0_time) = ("1767220000000000000", "1767225660000000000");
    let (t0, t1, t2) = (points(&r[0]), points(&r[1]), points(&r[2]));
    assert_eq!(names(&t0, UP), ["docker0", "eth0", "lo", "wlan0"]);
    assert_eq!(names(&t1, UP), ["docker0", "eth0", "lo"]);
    assert_eq!(names(&t2, UP), ["docker0", "eth0", "lo", "wlan0"]);
    assert_eq!(at(&t0, UP, &hw("eth0")).0, "1");
    assert_eq!(at(&t1, UP, &hw("eth0")).0, "0", "cable out");
    assert_eq!(at(&t2, UP, &hw("eth0")).0, "1");
    assert_eq!(names(&t0, BANDWIDTH), ["docker0", "eth0"]);
    assert_eq!(at(&t0, BANDWIDTH, &hw("docker0")).0, "1250000000");
    assert_eq!(at(&t0, BANDWIDTH, &hw("eth0")).0, "125000000");
    assert_eq!(names(&t1, BANDWIDTH), ["docker0"], "eth0 −1 while down");
    assert_eq!(at(&t0, CHANGES, &interface("eth0")), pair("2", boot));
    assert_eq!(at(&t0, CHANGES, &interface("wlan0")), pair("12", boot));
    assert_eq!(at(&t1, CHANGES, &interface("eth0")), pair("3", boot));
    // ifindex 2 → 9: a new device, though its count grew (§1.3).
    assert_eq!(at(&t2, CHANGES, &interface("eth0")), pair("4", t0_time));
    // Absent in t1, back in t2.
    assert_eq!(at(&t2, CHANGES, &interface("wlan0")), pair("2", t0_time));
    assert_eq!(at(&t2, CHANGES, &interface("docker0")), pair("1", boot));
    assert_eq!(at(&t2, CHANGES, &interface("lo")), pair("0", boot));
}

#[test]
fn netclass_takes_the_network_collectors_interface_filter() {
    let tree = "net-vanish/t0";
    let (default, _) = request_for(tree, &["--collectors=netclass"]);
    assert!(!names(&points(&default), UP).contains(&"veth3f2a1b0".to_string()));
    let (all, _) = request_for(tree, &["--collectors=netclass", "--network-exclude=none"]);
    assert_eq!(
        names(&points(&all), UP),
        ["docker0", "eth0", "lo", "veth3f2a1b0", "wlan0"]
    );
    let (eth, _) = request_for(
        tree,
        &["--collectors=netclass", "--network-include=re:^eth"],
    );
    assert_eq!(names(&points(&eth), CHANGES), ["eth0"]);
}

#[test]
fn whole_machine_fixtures_link_state_and_pressure_by_hand() {
    // x86_64-vm (captured): virtio eth0 reports speed −1; ifb0/1 are down; lo unknown + carrier.
    let (vm, _) = request_for("x86_64-vm", &["--collectors=pressure,netclass"]);
    let vm = points(&vm);
    assert_eq!(names(&vm, UP), ["eth0", "ifb0", "ifb1", "lo"]);
    assert_eq!(
        names(&vm, UP)
            .iter()
            .map(|n| at(&vm, UP, &hw(n)).0)
            .collect::<Vec<_>>(),
        ["1", "0", "0", "1"]
    );
    assert!(names(&vm, BANDWIDTH).is_empty(), "speed −1 and EINVAL only");
    assert_eq!(at(&vm, CHANGES, &interface("eth0")).0, "2");
    assert_eq!(at(&vm, PRESSURE, &psi("cpu", "some")).0, "2.477822");
    assert_eq!(at(&vm, PRESSURE, &psi("io", "full")).0, "1.752038");
    for (board, speed, wlan_changes) in [
        ("raspberry-pi-4", "125000000", "3"),
        ("raspberry-pi-3-armv7", "12500000", "5"),
    ] {
        let (request, _) = request_for(board, &["--collectors=netclass"]);
        let p = points(&request);
        assert_eq!(names(&p, UP), ["eth0", "lo", "wlan0"], "{board}");
        assert_eq!(at(&p, BANDWIDTH, &hw("eth0")).0, speed, "{board}");
        assert_eq!(
            names(&p, BANDWIDTH),
            ["eth0"],
            "{board}: wlan0 has no speed"
        );
        assert_eq!(
            at(&p, CHANGES, &interface("wlan0")).0,
            wlan_changes,
            "{board}"
        );
    }
    // laptop-x86 (fixtures/laptop-x86/README.md): an unplugged e1000e port (down, −1) and a
    // mac80211 Wi-Fi device without `speed` (EINVAL): no bandwidth at all.
    let (laptop, _) = request_for("laptop-x86", &["--collectors=netclass"]);
    let laptop = points(&laptop);
    assert_eq!(names(&laptop, UP), ["enp0s31f6", "lo", "wlp58s0"]);
    assert_eq!(at(&laptop, UP, &hw("enp0s31f6")).0, "0");
    assert_eq!(at(&laptop, UP, &hw("wlp58s0")).0, "1");
    assert!(names(&laptop, BANDWIDTH).is_empty());
    assert_eq!(at(&laptop, CHANGES, &interface("wlp58s0")).0, "8");
    // container-v2 (captured): the veth peer eth0 reports 10000 Mbit/s.
    let (c, _) = request_for("container-v2", &["--collectors=netclass"]);
    assert_eq!(at(&points(&c), BANDWIDTH, &hw("eth0")).0, "1250000000");
}

#[test]
fn sockstat_reads_the_host_namespace_else_its_own_with_one_warning() {
    // container-v2: proc/1/net/sockstat{,6} (fixtures/container-v2/README.md).
    let (request, stderr) = request_for("container-v2", &["--collectors=sockstat"]);
    assert!(!stderr.contains("WARN"), "{stderr}");
    let p = points(&request);
    assert_eq!(
        p.iter().filter(|p| p.name == SOCKETS).count(),
        8,
        "4 transports × 2 IP versions"
    );
    assert_eq!(
        at(&p, SOCKETS, "network.transport=tcp,network.type=ipv6").0,
        "3"
    );
    assert_eq!(
        at(
            &p,
            "system.network.linux.socket.memory",
            "network.transport=tcp"
        )
        .0,
        "516096"
    );
    // Only the agent's own proc/net (no PID 1): one WARN, values from there; no sockstat6
    // (IPv6 off): no ipv6 points and no error.
    let root = fixture_root("sockstat-fallback", "proc/net", 16384, "aarch64");
    std::fs::write(
        root.join("proc/net/sockstat"),
        "sockets: used 9\nTCP: inuse 4 orphan 2 tw 0 alloc 5 mem 3\nUDP: inuse 1 mem 2\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n",
    )
    .unwrap();
    let out = run(
        &[
            "--once",
            "--exporter",
            "stdout",
            "--root-path",
            root.to_str().unwrap(),
            "--collectors=sockstat",
        ],
        &[],
    );
    let stderr = stderr_of(&out);
    let lines: Vec<&str> = stderr.lines().collect();
    let warnings = at_level(&lines, "WARN");
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains("proc/1/net/sockstat"), "{stderr}");
    let request: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    let p = points(&request);
    // No UDPLITE line (kernels after its removal): no udplite point.
    assert_eq!(
        p.iter()
            .filter(|p| p.name == SOCKETS)
            .map(|p| p.attrs.as_str())
            .collect::<Vec<_>>(),
        [
            "network.transport=tcp,network.type=ipv4",
            "network.transport=udp,network.type=ipv4",
            "network.transport=raw,network.type=ipv4"
        ]
    );
    assert_eq!(at(&p, "system.network.linux.tcp.orphan.count", "").0, "2");
    // 16 KiB pages (the fixture's page size): 3 × 16384, 2 × 16384.
    assert_eq!(
        at(
            &p,
            "system.network.linux.socket.memory",
            "network.transport=tcp"
        )
        .0,
        "49152"
    );
    assert_eq!(
        at(
            &p,
            "system.network.linux.socket.memory",
            "network.transport=udp"
        )
        .0,
        "32768"
    );
}

/// `total=` of each line of this machine's `/proc/pressure/<resource>`, as (kind, µs).
fn live_totals(resource: &str) -> Vec<(String, u64)> {
    let text =
        std::fs::read_to_string(Path::new("/proc/pressure").join(resource)).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let kind = line.split_whitespace().next()?.to_string();
            let total = line.split("total=").nth(1)?.trim().parse().ok()?;
            Some((kind, total))
        })
        .collect()
}

#[test]
fn live_pressure_points_lie_between_two_reads_of_proc_pressure() {
    let resources = ["cpu", "memory", "io", "irq"];
    let before: Vec<_> = resources.iter().map(|r| live_totals(r)).collect();
    let (request, _) = request_once(&["--collectors=pressure"]);
    let after: Vec<_> = resources.iter().map(|r| live_totals(r)).collect();
    let p = points(&request);
    let mut expected = Vec::new();
    for ((resource, before), after) in resources.iter().zip(&before).zip(&after) {
        for ((kind, low), (kind_after, high)) in before.iter().zip(after) {
            assert_eq!(kind, kind_after);
            let attrs = psi(resource, kind);
            let seconds = get(&p, PRESSURE, &attrs).value.as_f64().unwrap();
            let micros = (seconds * 1e6).round() as u64;
            assert!(
                *low <= micros && micros <= *high,
                "{attrs}: {low} ≤ {micros} ≤ {high}"
            );
            expected.push(attrs);
        }
    }
    let emitted: Vec<&str> = p.iter().map(|p| p.attrs.as_str()).collect();
    assert_eq!(
        emitted, expected,
        "one point per line of the files, none else"
    );
    if expected.is_empty() {
        eprintln!("note: this kernel has no /proc/pressure: the agent emitted nothing either");
    }
}

/// One attribute of `/sys/class/net/<name>/`, trimmed; `None` when unreadable.
fn sys_net(name: &str, attribute: &str) -> Option<String> {
    std::fs::read_to_string(Path::new("/sys/class/net").join(name).join(attribute))
        .ok()
        .map(|s| s.trim().to_string())
}

#[test]
fn live_link_points_agree_with_sys_class_net_read_around_them() {
    let mut interfaces: Vec<String> = std::fs::read_dir("/sys/class/net")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().join("operstate").exists())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    interfaces.sort();
    if interfaces.is_empty() {
        skip_or_fail("/sys/class/net lists no interface (no sysfs mounted?)");
        return;
    }
    let read_all = || -> Vec<[Option<String>; 4]> {
        interfaces
            .iter()
            .map(|i| ["operstate", "carrier", "speed", "carrier_changes"].map(|a| sys_net(i, a)))
            .collect()
    };
    let before = read_all();
    let (request, _) = request_once(&["--collectors=netclass", "--network-exclude=none"]);
    let after = read_all();
    let p = points(&request);
    assert_eq!(names(&p, UP), interfaces, "every interface, sorted");
    for ((name, b), a) in interfaces.iter().zip(&before).zip(&after) {
        let up = |state: &[Option<String>; 4]| {
            let operstate = state[0].as_deref();
            let up = operstate == Some("up")
                || (operstate == Some("unknown") && state[1].as_deref() == Some("1"));
            if up { "1" } else { "0" }
        };
        let agent = at(&p, UP, &hw(name)).0;
        assert!(
            agent == up(b) || agent == up(a),
            "{name}: agent {agent}, sysfs {b:?} then {a:?}"
        );
        if b[2] == a[2] {
            let limit = find(&p, BANDWIDTH, &hw(name)).map(|p| p.int().unwrap());
            let speed = b[2].as_deref().and_then(|s| s.parse::<i64>().ok());
            let expected = speed
                .filter(|s| ![-1, 65535, 4_294_967_295].contains(s))
                .map(|s| s * 125_000);
            assert_eq!(limit, expected, "{name}: speed {:?}", b[2]);
        }
        let low: u64 = b[3].as_deref().unwrap().parse().unwrap();
        let high: u64 = a[3].as_deref().unwrap().parse().unwrap();
        let agent: u64 = at(&p, CHANGES, &interface(name)).0.parse().unwrap();
        assert!(
            low <= agent && agent <= high,
            "{name}: {low} ≤ {agent} ≤ {high}"
        );
    }
}
