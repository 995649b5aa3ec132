//! Platform smoke run on this machine's own `/proc` and `/sys`: checks structure and
//! invariants only (values belong to the fixtures).

use crate::golden::points;
use crate::util::{run, stderr_of, stdout_of};

#[test]
fn live_once_emits_every_foundation_metric() {
    let out = run(
        &[
            "--once",
            "--exporter",
            "stdout",
            "--collectors",
            "cpu,memory,load,system",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let request: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    let p = points(&request);
    let mut names: Vec<&str> = p.iter().map(|(n, _, _)| n.as_str()).collect();
    names.dedup();
    assert_eq!(
        names,
        [
            "system.cpu.time",
            "system.cpu.logical.count",
            "system.memory.usage",
            "system.memory.linux.slab.usage",
            "system.memory.limit",
            "system.cpu.load_average.1m",
            "system.cpu.load_average.5m",
            "system.cpu.load_average.15m",
            "system.uptime"
        ]
    );
    let int = |v: &serde_json::Value| v.as_str().unwrap().parse::<u64>().unwrap();
    let usage: u64 = p
        .iter()
        .filter(|(n, _, _)| n == "system.memory.usage")
        .map(|(_, _, v)| int(v))
        .sum();
    let limit = p
        .iter()
        .find(|(n, _, _)| n == "system.memory.limit")
        .map(|(_, _, v)| int(v))
        .unwrap();
    assert_eq!(usage, limit, "memory states partition MemTotal");
    let states: Vec<&str> = p
        .iter()
        .filter(|(n, _, _)| n == "system.cpu.time")
        .map(|(_, a, _)| a.as_str())
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
