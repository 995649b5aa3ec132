//! Issue 11, the boards half: the optional hostmetrics metrics of `cpu` and `memory`, the
//! `thermal` and `power` collectors, on the Raspberry Pi, laptop and workstation fixtures.
//! Every value is the one computed by hand in the fixture's README.

use crate::util::agent::request_for;
use crate::util::otlp::{Point, find, get, points};
use crate::util::ticks::run_ticks;
use crate::util::{run, stderr_of};
use serde_json::{Value, json};

fn double(points: &[Point], name: &str, attrs: &str) -> f64 {
    get(points, name, attrs)
        .value
        .as_f64()
        .unwrap_or_else(|| panic!("{name}{{{attrs}}} is not a double"))
}

fn int(points: &[Point], name: &str, attrs: &str) -> i64 {
    get(points, name, attrs)
        .int()
        .unwrap_or_else(|| panic!("{name}{{{attrs}}} is not an int"))
}

fn named<'a>(points: &'a [Point], name: &str) -> Vec<&'a Point> {
    points.iter().filter(|p| p.name == name).collect()
}

fn no_warning(stderr: &str) {
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("WARN")).collect();
    assert!(warnings.is_empty(), "{warnings:?}");
}

const PI4_ZONE: &str = "hw.id=thermal/cpu-thermal,hw.name=cpu-thermal";

#[test]
fn raspberry_pi_4_shows_its_soc_temperature_and_clock() {
    // The check of issue 11: default collectors plus the frequency.
    let (request, stderr) = request_for("raspberry-pi-4", &["--enable", "system.cpu.frequency"]);
    no_warning(&stderr);
    let p = points(&request);
    assert_eq!(double(&p, "hw.temperature", PI4_ZONE), 47.712);
    assert_eq!(
        named(&p, "hw.temperature").len(),
        1,
        "hwmon0 mirrors the zone"
    );
    for cpu in 0..4 {
        assert_eq!(
            double(&p, "system.cpu.frequency", &format!("cpu=cpu{cpu}")),
            1.8e9
        );
    }
    assert!(
        find(
            &p,
            "hw.temperature.limit",
            &format!("{PI4_ZONE},hw.limit_type=high.critical")
        )
        .is_none(),
        "limits are off by default"
    );
    assert!(named(&p, "hw.battery.charge").is_empty(), "no power supply");
}

#[test]
fn raspberry_pi_3_reads_scaling_cur_freq_and_its_zone() {
    let (request, stderr) = request_for(
        "raspberry-pi-3-armv7",
        &[
            "--collectors=cpu,thermal",
            "--enable=system.cpu.frequency,system.cpu.physical.count,hw.temperature.limit",
        ],
    );
    no_warning(&stderr);
    let p = points(&request);
    assert_eq!(double(&p, "hw.temperature", PI4_ZONE), 54.768);
    assert_eq!(
        double(
            &p,
            "hw.temperature.limit",
            &format!("{PI4_ZONE},hw.limit_type=high.critical")
        ),
        90.0
    );
    assert_eq!(double(&p, "system.cpu.frequency", "cpu=cpu3"), 6e8);
    assert_eq!(int(&p, "system.cpu.physical.count", ""), 4);
}

#[test]
fn laptop_sensors_batteries_and_mirrors() {
    let (request, stderr) = request_for(
        "laptop-x86",
        &[
            "--collectors=cpu,thermal,power",
            "--enable=system.cpu.frequency,system.cpu.physical.count,hw.temperature.limit",
        ],
    );
    no_warning(&stderr);
    let p = points(&request);
    // intel_pstate: per-CPU policies, scaling_cur_freq wins over cpuinfo's MHz.
    assert_eq!(
        double(&p, "system.cpu.frequency", "cpu=cpu1"),
        1_198_765_000.0
    );
    assert_eq!(
        double(&p, "system.cpu.frequency", "cpu=cpu3"),
        799_987_000.0
    );
    assert_eq!(int(&p, "system.cpu.physical.count", ""), 2);
    assert_eq!(int(&p, "system.cpu.logical.count", ""), 4);

    let package = "hw.id=hwmon/coretemp.0/temp1,hw.name=coretemp Package id 0,\
hw.parent=hwmon/coretemp.0,hw.sensor_location=Package id 0";
    assert_eq!(double(&p, "hw.temperature", package), 58.0);
    let ids: Vec<String> = named(&p, "hw.temperature")
        .iter()
        .map(|p| p.attrs.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "hw.id=hwmon/coretemp.0/temp1",
            "hw.id=hwmon/coretemp.0/temp2",
            "hw.id=hwmon/coretemp.0/temp3",
            "hw.id=hwmon/nvme0/temp1",
            "hw.id=hwmon/nvme0/temp2",
            "hw.id=thermal/acpitz",
            "hw.id=thermal/x86_pkg_temp",
            "hw.id=thermal/iwlwifi_1",
        ],
        "acpitz and iwlwifi_1 hwmon mirrors skipped; BAT0's hwmon has no temperature"
    );
    assert_eq!(
        double(
            &p,
            "hw.temperature.limit",
            "hw.id=hwmon/nvme0/temp1,hw.name=nvme Composite,hw.parent=hwmon/nvme0,\
hw.sensor_location=Composite,hw.limit_type=low.degraded"
        ),
        -273.15
    );
    assert_eq!(
        double(
            &p,
            "hw.temperature.limit",
            "hw.id=thermal/acpitz,hw.name=acpitz,hw.limit_type=high.critical"
        ),
        128.0
    );
    assert!(
        !named(&p, "hw.temperature.limit")
            .iter()
            .any(|p| p.attrs.contains("x86_pkg_temp") || p.attrs.contains("iwlwifi")),
        "trips of -274000 are unset"
    );

    let bat0 = "hw.id=power_supply/BAT0,hw.name=BAT0,hw.battery.chemistry=Li-ion,\
hw.model=01AV421,hw.vendor=SMP";
    assert_eq!(double(&p, "hw.battery.charge", bat0), 0.87);
    assert_eq!(
        double(&p, "hw.power", &format!("{bat0},hw.type=battery")),
        9.714
    );
    let states: Vec<(String, Value)> = named(&p, "hw.status")
        .iter()
        .map(|p| {
            (
                p.attrs.rsplit(',').next().unwrap().to_string(),
                p.value.clone(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("hw.state=ok".to_string(), json!("0")),
            ("hw.state=charging".to_string(), json!("0")),
            ("hw.state=discharging".to_string(), json!("1")),
            ("hw.state=degraded".to_string(), json!("0")),
            ("hw.state=failed".to_string(), json!("0")),
        ]
    );
    assert!(
        named(&p, "hw.battery.time_left").is_empty(),
        "ACPI has none"
    );
    assert_eq!(
        int(
            &p,
            "system.linux.power_supply.online",
            "hw.id=power_supply/AC,hw.name=AC,hw.type=power_supply"
        ),
        0
    );
    assert!(
        !p.iter().any(|p| p.attrs.contains("hidpp_battery_0")),
        "the mouse's battery has scope Device"
    );
}

#[test]
fn workstation_chips_sharing_a_device_and_a_legacy_chip() {
    let (request, stderr) = request_for(
        "workstation-x86",
        &[
            "--collectors=thermal,power",
            "--enable=hw.temperature.limit",
        ],
    );
    no_warning(&stderr);
    let p = points(&request);
    let ids: Vec<String> = named(&p, "hw.temperature")
        .iter()
        .map(|p| p.attrs.split(",hw.parent").next().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "hw.id=hwmon/0000:00:18.3/temp1,hw.name=k10temp Tctl",
            "hw.id=hwmon/0000:00:18.3/temp3,hw.name=k10temp Tccd1",
            "hw.id=hwmon/asus-nb-wmi:asus/temp1,hw.name=asus temp1",
            "hw.id=hwmon/phy0:mt7996_phy0.0/temp1,hw.name=mt7996_phy0.0 temp1",
            "hw.id=hwmon/phy0:mt7996_phy0.1/temp1,hw.name=mt7996_phy0.1 temp1",
            "hw.id=hwmon/applesmc.768/temp1,hw.name=applesmc TA0P",
            "hw.id=hwmon/applesmc.768/temp2,hw.name=applesmc TC0P",
        ]
    );
    assert_eq!(
        double(
            &p,
            "hw.temperature",
            "hw.id=hwmon/applesmc.768/temp1,hw.name=applesmc TA0P,\
hw.parent=hwmon/applesmc.768,hw.sensor_location=TA0P"
        ),
        42.25
    );
    assert_eq!(
        double(
            &p,
            "hw.temperature.limit",
            "hw.id=hwmon/phy0:mt7996_phy0.1/temp1,hw.name=mt7996_phy0.1 temp1,\
hw.parent=hwmon/phy0:mt7996_phy0.1,hw.limit_type=high.degraded"
        ),
        120.0
    );
    assert!(
        !p.iter()
            .any(|p| p.name.starts_with("hw.battery")
                || p.name == "system.linux.power_supply.online"),
        "no power supply: the power collector does not run"
    );
}

#[test]
fn workstation_huge_page_pool_and_optional_memory_metrics() {
    let (request, stderr) = request_for(
        "workstation-x86",
        &[
            "--collectors=memory",
            "--enable=system.memory.utilization,system.memory.page_size,system.linux.memory.available,\
system.linux.memory.dirty,system.memory.linux.shared,system.memory.linux.hugepages.limit,\
system.memory.linux.hugepages.usage,system.memory.linux.hugepages.utilization,\
system.memory.linux.hugepages.page_size,system.memory.linux.hugepages.reserved,\
system.memory.linux.hugepages.surplus",
        ],
    );
    no_warning(&stderr);
    let p = points(&request);
    assert_eq!(double(&p, "system.memory.utilization", "state=used"), 0.375);
    assert_eq!(
        double(&p, "system.memory.utilization", "state=cached"),
        0.3046875
    );
    let total: f64 = named(&p, "system.memory.utilization")
        .iter()
        .map(|p| p.value.as_f64().unwrap())
        .sum();
    assert_eq!(total, 1.0);
    assert_eq!(int(&p, "system.memory.page_size", ""), 4096);
    assert_eq!(int(&p, "system.linux.memory.available", ""), 41_943_040_000);
    assert_eq!(int(&p, "system.linux.memory.dirty", ""), 12_582_912);
    assert_eq!(int(&p, "system.memory.linux.shared", ""), 1_677_721_600);
    assert_eq!(int(&p, "system.memory.linux.hugepages.limit", ""), 512);
    let state = "system.memory.linux.hugepages.state";
    assert_eq!(
        int(
            &p,
            "system.memory.linux.hugepages.usage",
            &format!("{state}=used")
        ),
        32
    );
    assert_eq!(
        double(
            &p,
            "system.memory.linux.hugepages.utilization",
            &format!("{state}=free")
        ),
        0.9375
    );
    assert_eq!(
        int(&p, "system.memory.linux.hugepages.page_size", ""),
        2_097_152
    );
    assert_eq!(int(&p, "system.memory.linux.hugepages.reserved", ""), 32);
    assert_eq!(int(&p, "system.memory.linux.hugepages.surplus", ""), 0);
}

#[test]
fn without_hugetlbfs_there_are_no_huge_page_metrics() {
    // The Pi 4's kernel prints no HugePages lines (fixtures/raspberry-pi-4/README.md).
    let (request, _) = request_for(
        "raspberry-pi-4",
        &[
            "--collectors=memory",
            "--enable=system.memory.linux.hugepages.limit,system.memory.linux.hugepages.usage",
        ],
    );
    assert!(
        !points(&request)
            .iter()
            .any(|p| p.name.starts_with("system.memory.linux.hugepages"))
    );
}

#[test]
fn cpu_utilization_is_the_share_of_each_state_between_two_ticks() {
    // fixtures/cpu-hotplug: aggregate Δ user 100, system 50, idle 300, wait 0 (iowait
    // 1000 → 998 is clamped), softirq 4: 454 ticks.
    let requests = run_ticks(
        "cpu-hotplug",
        &["t0", "t1"],
        &["--collectors=cpu", "--enable=system.cpu.utilization"],
    );
    let (t0, t1) = (points(&requests[0]), points(&requests[1]));
    assert!(
        named(&t0, "system.cpu.utilization").is_empty(),
        "none on cycle 1"
    );
    let shares = named(&t1, "system.cpu.utilization");
    assert_eq!(shares.len(), 8);
    assert_eq!(
        double(&t1, "system.cpu.utilization", "state=user"),
        100.0 / 454.0
    );
    assert_eq!(
        double(&t1, "system.cpu.utilization", "state=idle"),
        300.0 / 454.0
    );
    assert_eq!(double(&t1, "system.cpu.utilization", "state=wait"), 0.0);
    assert_eq!(
        double(&t1, "system.cpu.utilization", "state=softirq"),
        4.0 / 454.0
    );
    let sum: f64 = shares.iter().map(|p| p.value.as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-12, "{sum}");
}

#[test]
fn per_cpu_utilization_pauses_with_its_cpu() {
    let requests = run_ticks(
        "cpu-hotplug",
        &["t0", "t1"],
        &[
            "--collectors=cpu",
            "--per-cpu",
            "--enable=system.cpu.utilization",
        ],
    );
    let t1 = points(&requests[1]);
    // cpu0: Δ user 40, system 20, idle 100, wait 0 (250 → 249 clamped), softirq 1: 161.
    assert_eq!(
        double(&t1, "system.cpu.utilization", "cpu=cpu0,state=user"),
        40.0 / 161.0
    );
    assert!(find(&t1, "system.cpu.utilization", "cpu=cpu3,state=user").is_none());
    assert_eq!(named(&t1, "system.cpu.utilization").len(), 3 * 8);
}

/// Every metric of spec §3.1–§3.7 and §5 that is off by default.
const OPTIONAL: [&str; 19] = [
    "system.cpu.utilization",
    "system.cpu.physical.count",
    "system.cpu.frequency",
    "system.memory.utilization",
    "system.memory.page_size",
    "system.linux.memory.available",
    "system.linux.memory.dirty",
    "system.memory.linux.shared",
    "system.memory.linux.hugepages.limit",
    "system.memory.linux.hugepages.usage",
    "system.memory.linux.hugepages.utilization",
    "system.memory.linux.hugepages.page_size",
    "system.memory.linux.hugepages.reserved",
    "system.memory.linux.hugepages.surplus",
    "system.filesystem.utilization",
    "system.network.conntrack.count",
    "system.network.conntrack.max",
    "system.paging.utilization",
    "hw.temperature.limit",
];

#[test]
fn enable_accepts_every_optional_metric_and_refuses_unknown_ones() {
    for name in OPTIONAL {
        let metric = sysotlp::collect::metric(name).unwrap_or_else(|| panic!("{name}"));
        assert!(!metric.on_by_default, "{name} is off by default");
        let out = run(&["--check", "--enable", name], &[]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr_of(&out));
    }
    let out = run(&["--check", "--enable", "system.cpu.frequencies"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("system.cpu.frequencies"),
        "{}",
        stderr_of(&out)
    );
}
