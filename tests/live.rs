//! Platform smoke run on this machine's own `/proc` and `/sys`: checks structure and
//! invariants only (values belong to the fixtures).

use crate::util::agent::request_once;
use crate::util::default_metrics;
use crate::util::otlp::points;

#[test]
fn live_once_emits_every_foundation_metric() {
    let (request, _) = request_once(&["--collectors=cpu,memory,load,system"]);
    let p = points(&request);
    let mut names: Vec<&str> = p.iter().map(|p| p.name.as_str()).collect();
    names.dedup();
    // Every default metric of the four: this machine's kernel (6.18) has vmstat's oom_kill
    // (≥ 4.13), the one of them an older kernel may lack.
    let expected: Vec<&str> = default_metrics(&["cpu", "memory", "load", "system"])
        .iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, expected);
    assert!(names.len() >= 10, "{names:?}");
    let int = |v: &serde_json::Value| v.as_str().unwrap().parse::<u64>().unwrap();
    let usage: u64 = p
        .iter()
        .filter(|p| p.name == "system.memory.usage")
        .map(|p| int(&p.value))
        .sum();
    let limit = p
        .iter()
        .find(|p| p.name == "system.memory.limit")
        .map(|p| int(&p.value))
        .unwrap();
    assert_eq!(usage, limit, "memory states partition MemTotal");
    let states: Vec<&str> = p
        .iter()
        .filter(|p| p.name == "system.cpu.time")
        .map(|p| p.attrs.as_str())
        .collect();
    assert_eq!(
        states,
        [
            "state=user",
            "state=nice",
            "state=system",
            "state=idle",
            "state=wait",
            "state=interrupt",
            "state=softirq",
            "state=steal"
        ]
    );
}
