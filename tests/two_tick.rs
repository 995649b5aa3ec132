//! Two-cycle tests: the collectors' state across ticks over `t0/`, `t1/` fixture trees.

use crate::util::otlp::{Point, get, points};
use crate::util::ticks::run_ticks;
use serde_json::{Value, json};

fn point<'a>(points: &'a [Point], name: &str, attrs: &str) -> &'a Value {
    &get(points, name, attrs).value
}

/// The start time of the first point of `name`.
fn start_of(request: &Value, name: &str) -> String {
    points(request)
        .into_iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .start
}

#[test]
fn cpu_hot_unplug_never_makes_cpu_time_go_back() {
    let requests = run_ticks("cpu-hotplug", &["t0", "t1"], &["--collectors=cpu"]);
    let (t0, t1) = (points(&requests[0]), points(&requests[1]));
    for state in [
        "user",
        "nice",
        "system",
        "idle",
        "wait",
        "interrupt",
        "softirq",
        "steal",
    ] {
        let attrs = format!("state={state}");
        let (a, b) = (
            point(&t0, "system.cpu.time", &attrs).as_f64().unwrap(),
            point(&t1, "system.cpu.time", &attrs).as_f64().unwrap(),
        );
        assert!(b >= a, "{state}: {a} → {b}");
    }
    assert_eq!(
        point(&t1, "system.cpu.time", "state=user").as_f64(),
        Some(41.0)
    );
    assert_eq!(
        point(&t0, "system.cpu.time", "state=wait").as_f64(),
        Some(10.0)
    );
    assert_eq!(
        point(&t1, "system.cpu.time", "state=wait").as_f64(),
        Some(10.0),
        "iowait 1000 → 998 ticks is clamped"
    );
    assert_eq!(
        start_of(&requests[0], "system.cpu.time"),
        start_of(&requests[1], "system.cpu.time"),
        "no reset"
    );
    assert_eq!(
        start_of(&requests[0], "system.cpu.time"),
        "1767220000000000000",
        "btime"
    );
    assert_eq!(point(&t0, "system.cpu.logical.count", ""), &json!("4"));
    assert_eq!(point(&t1, "system.cpu.logical.count", ""), &json!("3"));
}

#[test]
fn per_cpu_series_of_an_offline_cpu_pauses() {
    let requests = run_ticks(
        "cpu-hotplug",
        &["t0", "t1"],
        &["--collectors=cpu", "--per-cpu"],
    );
    let cpus = |request: &Value| {
        let mut cpus: Vec<String> = points(request)
            .into_iter()
            .filter(|p| p.name == "system.cpu.time" && p.attrs.ends_with("state=idle"))
            .map(|p| p.attrs)
            .collect();
        cpus.dedup();
        cpus
    };
    assert_eq!(
        cpus(&requests[0]),
        [
            "cpu=cpu0,state=idle",
            "cpu=cpu1,state=idle",
            "cpu=cpu2,state=idle",
            "cpu=cpu3,state=idle"
        ]
    );
    assert_eq!(
        cpus(&requests[1]),
        [
            "cpu=cpu0,state=idle",
            "cpu=cpu1,state=idle",
            "cpu=cpu2,state=idle"
        ]
    );
    let t1 = points(&requests[1]);
    assert_eq!(
        point(&t1, "system.cpu.time", "cpu=cpu0,state=wait").as_f64(),
        Some(2.5),
        "cpu0 iowait 250 → 249 clamped"
    );
}
