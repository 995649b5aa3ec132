//! `--temporality delta` over three collections of `fixtures/delta` (its README has the
//! numbers): Counters become increases since the previous collection, UpDownCounters and
//! gauges stay cumulative; the official decoders read delta requests (interop).

use crate::util::otlp::{Point, points};
use crate::util::ticks::run_ticks;
use serde_json::Value;

const T0: &str = "1767225600000000000";
const T1: &str = "1767225660000000000";
const BOOT: &str = "1767220000000000000";

fn ticks() -> Vec<Value> {
    run_ticks(
        "delta",
        &["t0", "t1", "t2"],
        &["--collectors=cpu,network", "--temporality=delta"],
    )
}

/// The metrics of `request` with their Sum's (monotonic, temporality), `None` for gauges.
fn kinds(request: &Value) -> Vec<(String, Option<(bool, i64)>)> {
    let metrics = request["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
        .as_array()
        .expect("metrics");
    metrics
        .iter()
        .map(|m| {
            let sum = m["sum"].as_object().map(|s| {
                (
                    s.get("isMonotonic")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    s["aggregationTemporality"].as_i64().expect("temporality"),
                )
            });
            (m["name"].as_str().unwrap().to_string(), sum)
        })
        .collect()
}

fn find<'a>(points: &'a [Point], name: &str, attrs: &str) -> &'a Point {
    points
        .iter()
        .find(|p| p.name == name && p.attrs == attrs)
        .unwrap_or_else(|| panic!("no {name} {{{attrs}}} in {points:#?}"))
}

/// (start, int value) of a point.
fn int(points: &[Point], name: &str, attrs: &str) -> (String, i64) {
    let p = find(points, name, attrs);
    (p.start.clone(), p.int().expect("asInt"))
}

#[test]
fn the_first_collection_sends_no_counter_and_later_ones_send_increases() {
    let requests = ticks();
    let first = kinds(&requests[0]);
    assert_eq!(
        first,
        [
            ("system.cpu.logical.count".to_string(), Some((false, 2))),
            ("system.network.connections".to_string(), Some((false, 2)))
        ],
        "tick 1: only the UpDownCounters, cumulative"
    );
    for request in &requests[1..] {
        for (name, sum) in kinds(request) {
            match sum {
                Some((true, temporality)) => assert_eq!(temporality, 1, "{name} is DELTA"),
                Some((false, temporality)) => assert_eq!(temporality, 2, "{name} cumulative"),
                None => {}
            }
        }
    }

    let t1 = points(&requests[1]);
    let cpu = |p: &[Point], state: &str| {
        let point = find(p, "system.cpu.time", &format!("state={state}"));
        (point.start.clone(), point.value.as_f64().expect("asDouble"))
    };
    for (state, seconds) in [
        ("user", 0.6),
        ("system", 0.3),
        ("idle", 10.0),
        ("wait", 0.02),
    ] {
        let (start, value) = cpu(&t1, state);
        assert_eq!(start, T0, "{state}: start = the previous collection");
        assert!(
            (value - seconds).abs() < 1e-9,
            "{state}: {value} ≠ {seconds}"
        );
    }
    let io = "system.network.io";
    assert_eq!(
        int(&t1, io, "device=eth0,direction=receive"),
        (T0.into(), 600_000)
    );
    assert_eq!(
        int(&t1, io, "device=eth0,direction=transmit"),
        (T0.into(), 100_000)
    );
    assert_eq!(
        int(&t1, io, "device=lo,direction=receive"),
        (T0.into(), 100)
    );
    assert_eq!(
        int(&t1, io, "device=wlan0,direction=receive"),
        (T0.into(), 3000),
        "plugged in since t0: its whole count is this interval's"
    );
    assert_eq!(
        int(
            &t1,
            "system.network.packets",
            "device=eth0,direction=receive"
        ),
        (T0.into(), 1000)
    );
    assert_eq!(
        int(
            &t1,
            "system.network.dropped",
            "device=eth0,direction=receive"
        ),
        (T0.into(), 0)
    );
    assert_eq!(
        int(
            &t1,
            "system.network.connections",
            "protocol=tcp,state=ESTABLISHED"
        ),
        (BOOT.into(), 1),
        "UpDownCounters stay cumulative from boot"
    );

    let t2 = points(&requests[2]);
    assert_eq!(
        int(&t2, io, "device=eth0,direction=receive"),
        (T1.into(), 4000),
        "driver reload: the new count since the reset, from t1"
    );
    assert_eq!(
        int(&t2, io, "device=eth0,direction=transmit"),
        (T1.into(), 3000)
    );
    assert_eq!(
        int(&t2, io, "device=wlan0,direction=receive"),
        (T1.into(), 500)
    );
    assert_eq!(
        int(&t2, io, "device=wlan0,direction=transmit"),
        (T1.into(), 600)
    );
    assert_eq!(
        int(&t2, io, "device=lo,direction=transmit"),
        (T1.into(), 100)
    );
    let (start, user) = cpu(&t2, "user");
    assert_eq!(start, T1);
    assert!((user - 0.6).abs() < 1e-9, "{user}");
}
