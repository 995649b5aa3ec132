//! The whole-machine fixtures (issue 4): a container's own view captured live, two Raspberry
//! Pis written from published output, a 100-CPU host. Their `expected*.json` goldens are
//! checked by `golden.rs`; here a few points of each are pinned to the values computed by
//! hand in the fixture's README, and every run must be quiet (no WARN).

use crate::util::agent::request_for;
use crate::util::otlp::{Point, get, points, resource};
use serde_json::{Value, json};

/// The collectors these fixtures carry files for (filesystem joins when it lands).
const PINNED: &str = "--collectors=cpu,memory,load,disk,network,paging,processes,system";

const FIXTURES: [&str; 4] = [
    "container-v2",
    "raspberry-pi-4",
    "raspberry-pi-3-armv7",
    "cpu-100",
];

/// The value of the one point of `name` with exactly `attrs` ("k=v,…").
fn value(points: &[Point], name: &str, attrs: &str) -> Value {
    get(points, name, attrs).value.clone()
}

/// The `asDouble` of the one point of `name` with `attrs` (JSON prints 800.0 as 800).
fn double(points: &[Point], name: &str, attrs: &str) -> f64 {
    value(points, name, attrs)
        .as_f64()
        .unwrap_or_else(|| panic!("{name}{{{attrs}}} is not a number"))
}

#[test]
fn whole_machine_fixtures_log_no_warning() {
    for name in FIXTURES {
        for flags in [
            vec![PINNED],
            vec![PINNED, "--per-cpu", "--load-cpu-average"],
        ] {
            let (_, stderr) = request_for(name, &flags);
            let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("WARN")).collect();
            assert!(warnings.is_empty(), "{name} {flags:?}: {warnings:?}");
        }
    }
}

#[test]
fn container_v2_values_computed_by_hand() {
    // fixtures/container-v2/README.md
    let (request, _) = request_for("container-v2", &[PINNED]);
    let attrs = resource(&request);
    assert!(attrs.contains(&"host.name=47eeb30c0843".to_string()));
    assert!(
        !attrs.iter().any(|a| a.starts_with("host.id=")),
        "no machine-id"
    );
    assert!(attrs.contains(&"service.instance.id=47eeb30c0843".to_string()));
    let p = points(&request);
    assert_eq!(double(&p, "system.cpu.time", "state=user"), 1526.74);
    assert_eq!(
        value(&p, "system.memory.usage", "state=used"),
        json!("2375602176")
    );
    assert_eq!(
        value(&p, "system.memory.usage", "state=cached"),
        json!("5530288128")
    );
    assert_eq!(
        value(&p, "system.network.io", "device=eth0,direction=receive"),
        json!("267404")
    );
    assert_eq!(
        value(
            &p,
            "system.network.connections",
            "protocol=tcp,state=CLOSE_WAIT"
        ),
        json!("1")
    );
    assert_eq!(
        value(
            &p,
            "system.network.connections",
            "protocol=tcp,state=LISTEN"
        ),
        json!("2")
    );
    assert_eq!(value(&p, "system.paging.usage", "state=free"), json!("0"));
    assert_eq!(
        value(&p, "system.processes.count", "status=sleeping"),
        json!("2")
    );
    assert_eq!(
        value(&p, "system.disk.io", "device=vda,direction=read"),
        json!("8661128192")
    );
}

#[test]
fn raspberry_pi_4_values_computed_by_hand() {
    // fixtures/raspberry-pi-4/README.md
    let (request, _) = request_for("raspberry-pi-4", &[PINNED]);
    let attrs = resource(&request);
    assert!(attrs.contains(&"host.arch=arm64".to_string()));
    assert!(attrs.contains(
        &"os.description=Debian GNU/Linux 12 (bookworm) (Linux 6.6.51+rpt-rpi-v8)".to_string()
    ));
    let p = points(&request);
    assert_eq!(double(&p, "system.cpu.time", "state=user"), 159993.56);
    assert_eq!(double(&p, "system.cpu.time", "state=idle"), 3847802.44);
    assert_eq!(value(&p, "system.cpu.logical.count", ""), json!("4"));
    assert_eq!(
        value(&p, "system.memory.usage", "state=used"),
        json!("656498688")
    );
    assert_eq!(
        value(&p, "system.memory.usage", "state=cached"),
        json!("1658572800")
    );
    assert_eq!(
        value(&p, "system.disk.io", "device=mmcblk0,direction=read"),
        json!("10113580032")
    );
    assert_eq!(
        value(&p, "system.disk.io", "device=mmcblk0p1,direction=read"),
        json!("6591488")
    );
    assert_eq!(
        double(&p, "system.disk.weighted_io_time", "device=mmcblk0"),
        11189.041
    );
    assert!(!p.iter().any(|p| p.attrs.contains("device=ram")));
    assert_eq!(
        value(&p, "system.network.io", "device=eth0,direction=receive"),
        json!("12345678901")
    );
    assert_eq!(
        value(
            &p,
            "system.network.dropped",
            "device=wlan0,direction=receive"
        ),
        json!("4567")
    );
    assert_eq!(
        value(&p, "system.paging.usage", "device=/var/swap,state=used"),
        json!("12582912")
    );
    assert_eq!(
        value(&p, "system.paging.faults", "type=minor"),
        json!("987630865")
    );
    assert_eq!(
        value(&p, "system.processes.count", "status=idle"),
        json!("6")
    );
}

#[test]
fn raspberry_pi_3_armv7_values_computed_by_hand() {
    // fixtures/raspberry-pi-3-armv7/README.md
    let (request, _) = request_for("raspberry-pi-3-armv7", &[PINNED]);
    let attrs = resource(&request);
    assert!(attrs.contains(&"host.arch=arm32".to_string()));
    assert!(attrs.contains(&"os.version=11".to_string()));
    let p = points(&request);
    assert_eq!(double(&p, "system.cpu.time", "state=user"), 3666666.65);
    assert_eq!(
        value(&p, "system.memory.usage", "state=cached"),
        json!("419259392")
    );
    assert_eq!(value(&p, "system.memory.linux.oom_kills", ""), json!("2"));
    assert_eq!(
        value(&p, "system.disk.io", "device=mmcblk0,direction=write"),
        json!("101135802368")
    );
    assert_eq!(
        value(&p, "system.network.io", "device=eth0,direction=receive"),
        json!("1234567890")
    );
    assert_eq!(
        value(&p, "system.paging.faults", "type=minor"),
        json!("4123111111")
    );
    assert_eq!(
        value(&p, "system.processes.count", "status=blocked"),
        json!("1")
    );
}

#[test]
fn cpu_100_values_computed_by_hand() {
    // fixtures/cpu-100/README.md
    let (request, _) = request_for("cpu-100", &[PINNED]);
    let p = points(&request);
    assert_eq!(value(&p, "system.cpu.logical.count", ""), json!("100"));
    assert_eq!(double(&p, "system.cpu.time", "state=user"), 9399990.5);
    assert_eq!(double(&p, "system.cpu.time", "state=idle"), 22121975.0);
    assert_eq!(double(&p, "system.cpu.time", "state=steal"), 105945.5);
    assert_eq!(p.iter().filter(|p| p.name == "system.cpu.time").count(), 8);

    let (request, _) = request_for("cpu-100", &[PINNED, "--per-cpu"]);
    let p = points(&request);
    let cpus: Vec<&str> = p
        .iter()
        .filter(|p| p.name == "system.cpu.time" && p.attrs.ends_with("state=user"))
        .map(|p| p.attrs.as_str())
        .collect();
    assert_eq!(cpus.len(), 100);
    assert_eq!(cpus[0], "cpu=cpu0,state=user");
    assert_eq!(cpus[99], "cpu=cpu99,state=user");
    assert_eq!(
        double(&p, "system.cpu.time", "cpu=cpu57,state=user"),
        94513.83
    );
    assert_eq!(
        double(&p, "system.cpu.time", "cpu=cpu57,state=idle"),
        220173.15
    );
    assert_eq!(
        double(&p, "system.cpu.time", "cpu=cpu99,state=idle"),
        214822.59
    );
    assert_eq!(double(&p, "system.cpu.time", "cpu=cpu0,state=steal"), 800.0);
}
