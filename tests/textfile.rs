//! The `textfile` collector end to end: `fixtures/textfile/prom` plus a 2 MiB file and a
//! FIFO, with fixed modification times, through the binary (golden and the values of the
//! fixture's README) and through the official decoders (histogram and summary points).

use crate::util::agent::print_once;
use crate::util::otlp::{Point, points};
use crate::util::receiver::{Receiver, Reply};
use crate::util::{fixture, run, scratch, skip_or_fail, stderr_of};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// First modification time (s); each file gets this + its index in name order.
const MTIME: i64 = 1_767_225_000;

/// `fixtures/textfile/prom` copied, plus `big.prom` and `pipe.prom`, with fixed mtimes.
fn drop_dir(name: &str) -> Option<PathBuf> {
    let dir = scratch(name);
    for entry in std::fs::read_dir(fixture("textfile").join("prom")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let line = "big_samples{i=\"000000\"} 1\n";
    std::fs::write(
        dir.join("big.prom"),
        line.repeat((2 << 20) / line.len() + 1),
    )
    .unwrap();
    let made = Command::new("mkfifo").arg(dir.join("pipe.prom")).status();
    if !made.is_ok_and(|s| s.success()) {
        skip_or_fail("the textfile FIFO case: mkfifo (coreutils) did not run");
        return None;
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".prom"))
        .collect();
    names.sort();
    for (index, name) in names.iter().enumerate() {
        set_mtime(&dir.join(name), MTIME + index as i64);
    }
    Some(dir)
}

/// Sets a file's modification time without opening it (a FIFO would block an open).
fn set_mtime(path: &Path, seconds: i64) {
    let time = rustix::fs::Timestamps {
        last_access: rustix::fs::Timespec {
            tv_sec: seconds,
            tv_nsec: 0,
        },
        last_modification: rustix::fs::Timespec {
            tv_sec: seconds,
            tv_nsec: 0,
        },
    };
    rustix::fs::utimensat(
        rustix::fs::CWD,
        path,
        &time,
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )
    .unwrap();
}

fn args(dir: &Path) -> Vec<String> {
    let root = fixture("textfile");
    [
        "--collectors",
        "textfile",
        "--root-path",
        root.to_str().unwrap(),
        "--textfile-dir",
        dir.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec()
}

/// The metric named `name` (raw OTLP/JSON) of the request.
fn metric<'a>(request: &'a Value, name: &str) -> &'a Value {
    request["resourceMetrics"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|rm| rm["scopeMetrics"].as_array().into_iter().flatten())
        .flat_map(|sm| sm["metrics"].as_array().into_iter().flatten())
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

/// The value of a point as a number: `asDouble` (with OTLP/JSON's "Infinity" and "NaN") or
/// `asInt` (a decimal string).
fn value(p: &[Point], name: &str, attrs: &str) -> f64 {
    let point = p
        .iter()
        .find(|p| p.name == name && p.attrs == attrs)
        .unwrap_or_else(|| panic!("no {name} {{{attrs}}} in {p:#?}"));
    match &point.value {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) if s == "Infinity" => f64::INFINITY,
        Value::String(s) => s.parse().unwrap(),
        other => panic!("{name}: {other}"),
    }
}

#[test]
fn golden_textfile_dir_carries_every_valid_sample_and_per_file_health() {
    let Some(dir) = drop_dir("textfile-golden") else {
        return;
    };
    let argv = args(&dir);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let (stdout, stderr) = print_once(&argv, &[]);
    let request: Value = serde_json::from_str(&stdout).expect("one JSON request");
    let p = points(&request);

    // fixtures/textfile/README.md, file by file.
    assert_eq!(
        value(
            &p,
            "apt_upgrades_pending",
            "origin=Debian:bookworm-security,arch=amd64"
        ),
        2.0
    );
    assert_eq!(
        value(
            &p,
            "apt_upgrades_pending",
            "origin=Debian:bookworm,arch=amd64"
        ),
        11.0
    );
    assert_eq!(value(&p, "apt_reboot_required", ""), 0.0);
    assert_eq!(
        value(&p, "apt_last_message", "text=said \"done\"\nthen C:\\logs"),
        1.0
    );
    assert_eq!(
        metric(&request, "apt_upgrades_pending")["metadata"][0]["value"]["stringValue"],
        "unknown"
    );
    let start = |name: &str, attrs: &str| {
        p.iter()
            .find(|x| x.name == name && x.attrs == attrs)
            .map(|x| x.start.clone())
    };
    let db = ("backup_last_success_timestamp_seconds", "target=db");
    assert_eq!(value(&p, db.0, db.1), 1_767_218_400.0);
    assert_eq!(value(&p, db.0, "target=photos"), 1_767_132_000.0);
    assert_eq!(
        start(db.0, db.1).as_deref(),
        Some("1767139200000000000"),
        "gauges: boot"
    );
    assert_eq!(value(&p, "backup_runs_total", "result=ok"), 412.0);
    assert_eq!(value(&p, "backup_runs_total", "result=failed"), 3.0);
    assert_eq!(
        start("backup_runs_total", "result=ok").as_deref(),
        Some("1767225600000000000"),
        "counters: first seen"
    );
    assert_eq!(
        metric(&request, "backup_runs_total")["sum"]["isMonotonic"],
        true
    );
    assert_eq!(value(&p, "raid_degraded", "md=md0"), 0.0);
    assert_eq!(value(&p, "raid_temperature_celsius", ""), f64::INFINITY);

    let histogram = &metric(&request, "cron_duration_seconds")["histogram"];
    assert_eq!(histogram["aggregationTemporality"], 2);
    let backup = &histogram["dataPoints"][0];
    assert_eq!(backup["count"], "15");
    assert_eq!(backup["sum"], 3127.5);
    assert_eq!(backup["explicitBounds"], serde_json::json!([1, 60, 600]));
    assert_eq!(
        backup["bucketCounts"],
        serde_json::json!(["0", "10", "4", "1"])
    );
    let logrotate = &histogram["dataPoints"][1];
    assert_eq!(
        (logrotate["count"].clone(), logrotate.get("sum")),
        (Value::from("30"), None)
    );
    assert_eq!(
        logrotate["bucketCounts"],
        serde_json::json!(["30", "0", "0", "0"])
    );
    let summary = &metric(&request, "certificate_check_seconds")["summary"]["dataPoints"][0];
    assert_eq!(
        (summary["count"].clone(), summary["sum"].clone()),
        (Value::from("34"), Value::from(8.5))
    );
    assert_eq!(summary["quantileValues"][1]["value"], "NaN");

    for absent in [
        "certificate_expiry_seconds",
        "smart_errors",
        "pending_mail",
        "big_samples",
    ] {
        assert!(
            !p.iter().any(|x| x.name == absent),
            "{absent} is from a refused file"
        );
    }
    let files = [
        ("apt.prom", 0),
        ("backup.prom", 0),
        ("bad-cut.prom", 1),
        ("bad-duplicate.prom", 1),
        ("bad-timestamp.prom", 1),
        ("big.prom", 1),
        ("latency.prom", 0),
        ("pipe.prom", 1),
    ];
    for (index, (file, error)) in files.iter().enumerate() {
        let attrs = format!("file.name={file}");
        assert_eq!(
            value(&p, "sysotlp.textfile.error", &attrs),
            f64::from(*error),
            "{file}"
        );
        assert_eq!(
            value(&p, "sysotlp.textfile.mtime", &attrs),
            (MTIME + index as i64) as f64,
            "{file}"
        );
    }
    let warns: Vec<&str> = stderr.lines().filter(|l| l.contains(" WARN ")).collect();
    assert_eq!(warns.len(), 5, "one per refused file: {warns:#?}");
    for needle in [
        "bad-cut.prom: line 3:",
        "bad-duplicate.prom: line 4: a series appears twice",
        "bad-timestamp.prom: line 3: pending_mail has a timestamp",
        "big.prom: larger than 1048576 bytes",
        "pipe.prom: a FIFO",
    ] {
        assert!(
            warns.iter().any(|w| w.contains(needle)),
            "{needle}: {warns:#?}"
        );
    }

    let bless = std::env::var_os("UPDATE_GOLDEN").is_some();
    let path = fixture("textfile").join("expected.json");
    if let Some(mismatch) = crate::golden::check(&path, request, bless) {
        panic!("{mismatch}\n(run `make bless` and review the diff)");
    }
}

#[test]
fn official_decoders_read_histograms_and_summaries() {
    let Some(python) = std::env::var_os("SYSOTLP_INTEROP_PYTHON") else {
        return skip_or_fail(
            "the official decoders: SYSOTLP_INTEROP_PYTHON is not set (run `make test`)",
        );
    };
    let Some(dir) = drop_dir("textfile-interop") else {
        return;
    };
    let receiver = Receiver::start(vec![Reply::ok()]);
    let mut argv = args(&dir);
    argv.extend([
        "--once".to_string(),
        "--endpoint".to_string(),
        receiver.base_url(),
    ]);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let out = run(&argv, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let body = receiver.next(Duration::from_secs(5)).expect("request").body;
    let stdout_argv = args(&dir);
    let stdout_argv: Vec<&str> = stdout_argv.iter().map(String::as_str).collect();
    let (line, _) = print_once(&stdout_argv, &[]);
    let work = scratch("textfile-decode");
    std::fs::write(work.join("request.bin"), &body).unwrap();
    std::fs::write(work.join("request.json"), line).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/decode_textfile.py");
    let out = Command::new(python)
        .arg(script)
        .arg(work.join("request.bin"))
        .arg(work.join("request.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        summary["cron_duration_seconds"],
        serde_json::json!({
            "kind": "histogram",
            "temporality": "AGGREGATION_TEMPORALITY_CUMULATIVE",
            "metadata": {"prometheus.type": "histogram"},
            "points": [
                {"attributes": {"job": "backup"}, "count": 15, "sum": 3127.5,
                 "bounds": [1.0, 60.0, 600.0], "counts": [0, 10, 4, 1]},
                {"attributes": {"job": "logrotate"}, "count": 30, "sum": null,
                 "bounds": [1.0, 60.0, 600.0], "counts": [30, 0, 0, 0]}
            ]
        })
    );
    assert_eq!(
        summary["certificate_check_seconds"],
        serde_json::json!({
            "kind": "summary",
            "metadata": {"prometheus.type": "summary"},
            "points": [{"attributes": {}, "count": 34, "sum": 8.5,
                        "quantiles": [[0.5, 0.25], [0.99, "NaN"]]}]
        })
    );
    assert_eq!(summary["backup_runs_total"]["kind"], "sum");
    assert_eq!(summary["backup_runs_total"]["monotonic"], true);
    assert_eq!(
        summary["scopes"],
        serde_json::json!(["sysotlp", "textfile"])
    );
}
