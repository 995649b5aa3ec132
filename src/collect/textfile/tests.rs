//! The collector over real directories: start times over ticks, files used whole or not at
//! all, caps, and the health points.

use super::*;
use crate::otlp::{any_value, metric, number_data_point};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const BOOT: u64 = 1_767_000_000_000_000_000;
const SECOND: u64 = 1_000_000_000;

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sysotlp-textfile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn collector(dir: &Path, tweak: impl FnOnce(&mut Options)) -> Textfile {
    let mut options = Options {
        dir: Some(dir.to_path_buf()),
        ..Options::default()
    };
    tweak(&mut options);
    Textfile::new(&options).unwrap()
}

fn tick(cycle: u64) -> Tick {
    Tick {
        now_unix_nano: BOOT + cycle * 60 * SECOND,
        boot_unix_nano: BOOT,
        cycle,
        previous_unix_nano: if cycle > 1 {
            BOOT + (cycle - 1) * 60 * SECOND
        } else {
            0
        },
    }
}

/// One point: scope, metric, attributes "k=v,…", value text, start.
type Row = (String, String, String, String, u64);

fn run(t: &mut Textfile, cycle: u64) -> (Vec<Row>, Result<(), CollectError>) {
    let src = Source::open(Path::new("/")).unwrap();
    let mut out = Builder::new(&[]);
    let tick = tick(cycle);
    out.begin(tick.now_unix_nano, tick.boot_unix_nano);
    let result = t.collect(&src, &tick, &mut out);
    out.finish();
    let mut rows = Vec::new();
    for resource in out.resources() {
        for scope in resource.scopes() {
            for m in scope.metrics() {
                let mut push = |attrs: &[crate::otlp::KeyValue], value: String, start: u64| {
                    let attrs: Vec<String> = attrs
                        .iter()
                        .map(
                            |kv| match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                                Some(any_value::Value::StringValue(s)) => format!("{}={s}", kv.key),
                                other => format!("{}={other:?}", kv.key),
                            },
                        )
                        .collect();
                    rows.push((
                        scope.scope().name.clone(),
                        m.name.clone(),
                        attrs.join(","),
                        value,
                        start,
                    ));
                };
                match &m.data {
                    Some(metric::Data::Gauge(g)) => g
                        .data_points
                        .iter()
                        .for_each(|p| push(&p.attributes, number(p), p.start_time_unix_nano)),
                    Some(metric::Data::Sum(s)) => s
                        .data_points
                        .iter()
                        .for_each(|p| push(&p.attributes, number(p), p.start_time_unix_nano)),
                    Some(metric::Data::Histogram(h)) => h.data_points.iter().for_each(|p| {
                        let v = format!("count={} buckets={:?}", p.count, p.bucket_counts);
                        push(&p.attributes, v, p.start_time_unix_nano)
                    }),
                    Some(metric::Data::Summary(s)) => s.data_points.iter().for_each(|p| {
                        push(
                            &p.attributes,
                            format!("count={}", p.count),
                            p.start_time_unix_nano,
                        )
                    }),
                    None => {}
                }
            }
        }
    }
    (rows, result)
}

fn number(p: &crate::otlp::NumberDataPoint) -> String {
    match p.value {
        Some(number_data_point::Value::AsDouble(v)) => v.to_string(),
        Some(number_data_point::Value::AsInt(v)) => v.to_string(),
        None => "none".into(),
    }
}

fn value_of<'a>(rows: &'a [Row], metric: &str, attrs: &str) -> Option<&'a Row> {
    rows.iter().find(|r| r.1 == metric && r.2 == attrs)
}

#[test]
fn counter_starts_when_first_seen_and_restarts_after_a_decrease() {
    let d = dir("counter");
    let write = |value: u32| {
        std::fs::write(
            d.join("jobs.prom"),
            format!("# TYPE jobs_done counter\njobs_done{{job=\"backup\"}} {value}\n# TYPE queue gauge\nqueue 3\n"),
        )
        .unwrap()
    };
    let mut t = collector(&d, |_| {});
    write(10);
    let (r1, ok) = run(&mut t, 1);
    ok.unwrap();
    let first = value_of(&r1, "jobs_done", "job=backup").unwrap();
    assert_eq!(first.0, "textfile");
    assert_eq!(
        (first.3.as_str(), first.4),
        ("10", tick(1).now_unix_nano),
        "start = first seen"
    );
    assert_eq!(
        value_of(&r1, "queue", "").unwrap().4,
        BOOT,
        "gauges start at boot"
    );
    write(15);
    let (r2, _) = run(&mut t, 2);
    assert_eq!(
        value_of(&r2, "jobs_done", "job=backup").unwrap().4,
        tick(1).now_unix_nano
    );
    write(2);
    let (r3, _) = run(&mut t, 3);
    assert_eq!(
        value_of(&r3, "jobs_done", "job=backup").unwrap().4,
        tick(2).now_unix_nano,
        "a decrease is a reset: the new start is the previous tick"
    );
    write(4);
    let (r4, _) = run(&mut t, 4);
    assert_eq!(
        value_of(&r4, "jobs_done", "job=backup").unwrap().4,
        tick(2).now_unix_nano
    );
}

#[test]
fn a_bad_file_contributes_nothing_and_says_so_once() {
    let d = dir("bad");
    std::fs::write(d.join("a.prom"), "good 1\n").unwrap();
    std::fs::write(d.join("b.prom"), "half 1\nhalf_count{x=\"1} 2\n").unwrap();
    let mut t = collector(&d, |_| {});
    for cycle in 1..=3 {
        let (rows, ok) = run(&mut t, cycle);
        ok.unwrap();
        assert!(value_of(&rows, "good", "").is_some());
        assert!(
            value_of(&rows, "half", "").is_none(),
            "none of b.prom's samples"
        );
        assert_eq!(
            value_of(&rows, "sysotlp.textfile.error", "file.name=a.prom")
                .unwrap()
                .3,
            "0"
        );
        assert_eq!(
            value_of(&rows, "sysotlp.textfile.error", "file.name=b.prom")
                .unwrap()
                .3,
            "1"
        );
    }
    let warns: Vec<&String> = t
        .report
        .notes
        .lines
        .iter()
        .filter(|(l, _)| *l == log::Level::Warn)
        .map(|(_, text)| text)
        .collect();
    assert_eq!(warns.len(), 1, "{warns:?}");
    assert!(
        warns[0].starts_with("textfile b.prom: line 2: ") && warns[0].contains("closing quote"),
        "{warns:?}"
    );
    std::fs::write(d.join("b.prom"), "half 1\n").unwrap();
    let (rows, _) = run(&mut t, 4);
    assert_eq!(value_of(&rows, "half", "").unwrap().3, "1");
    assert!(t.report.notes.lines.last().unwrap().1.contains("recovered"));
}

#[test]
fn families_merge_across_files_but_conflicts_and_duplicates_refuse_the_later_file() {
    let d = dir("merge");
    std::fs::write(
        d.join("1.prom"),
        "# HELP backup_ok Last backup ended well.\n# TYPE backup_ok gauge\nbackup_ok{job=\"db\"} 1\n",
    )
    .unwrap();
    std::fs::write(
        d.join("2.prom"),
        "# HELP backup_ok Last backup ended well.\n# TYPE backup_ok gauge\nbackup_ok{job=\"www\"} 0\n",
    )
    .unwrap();
    std::fs::write(
        d.join("3.prom"),
        "# TYPE backup_ok counter\nbackup_ok{job=\"x\"} 1\n",
    )
    .unwrap();
    std::fs::write(d.join("4.prom"), "# HELP backup_ok Last backup ended well.\n# TYPE backup_ok gauge\nbackup_ok{job=\"db\"} 0\n").unwrap();
    std::fs::write(
        d.join("5.prom"),
        "dup{a=\"1\",b=\"2\"} 1\ndup{b=\"2\",a=\"1\"} 2\n",
    )
    .unwrap();
    let mut t = collector(&d, |_| {});
    let (rows, _) = run(&mut t, 1);
    let backup: Vec<&Row> = rows.iter().filter(|r| r.1 == "backup_ok").collect();
    assert_eq!(backup.len(), 2, "{rows:?}");
    assert_eq!(
        (backup[0].2.as_str(), backup[1].2.as_str()),
        ("job=db", "job=www")
    );
    for (file, error) in [("1", "0"), ("2", "0"), ("3", "1"), ("4", "1"), ("5", "1")] {
        let attrs = format!("file.name={file}.prom");
        assert_eq!(
            value_of(&rows, "sysotlp.textfile.error", &attrs).unwrap().3,
            error,
            "{file}"
        );
    }
    let lines = &t.report.notes.lines;
    assert!(
        lines
            .iter()
            .any(|(_, l)| l.contains("3.prom") && l.contains("another TYPE"))
    );
    assert!(
        lines
            .iter()
            .any(|(_, l)| l.contains("4.prom") && l.contains("earlier file"))
    );
    assert!(
        lines
            .iter()
            .any(|(_, l)| l.contains("5.prom") && l.contains("appears twice"))
    );
}

#[test]
fn fifos_directories_and_big_files_are_skipped_without_blocking() {
    let d = dir("special");
    std::fs::write(d.join("ok.prom"), "ok 1\n").unwrap();
    let fifo = d.join("pipe.prom");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let have_fifo = made.is_ok_and(|s| s.success());
    if !have_fifo {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "mkfifo is missing"
        );
        eprintln!("SKIP the FIFO part: mkfifo is missing");
    }
    std::fs::create_dir(d.join("sub.prom")).unwrap();
    std::fs::write(d.join("big.prom"), "x 1\n".repeat(300)).unwrap();
    let mut t = collector(&d, |o| o.max_file_bytes = 1000);
    let (rows, ok) = run(&mut t, 1);
    ok.unwrap();
    assert_eq!(value_of(&rows, "ok", "").unwrap().3, "1");
    let mut files = vec!["big.prom", "sub.prom"];
    if have_fifo {
        files.push("pipe.prom");
    }
    for file in files {
        let attrs = format!("file.name={file}");
        assert_eq!(
            value_of(&rows, "sysotlp.textfile.error", &attrs).unwrap().3,
            "1",
            "{file}"
        );
    }
    let text = t
        .report
        .notes
        .lines
        .iter()
        .map(|(_, l)| l.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("big.prom: larger than 1000 bytes")
            && text.contains("--textfile-max-file-size"),
        "{text}"
    );
    assert!(
        text.contains("sub.prom: a directory, not a regular file"),
        "{text}"
    );
    if have_fifo {
        assert!(
            text.contains("pipe.prom: a FIFO, not a regular file"),
            "{text}"
        );
    }
}

#[test]
fn caps_on_files_and_series_name_their_flags() {
    let d = dir("caps");
    for n in 0..5 {
        std::fs::write(
            d.join(format!("{n}.prom")),
            format!("s{{i=\"a\"}} {n}\ns{{i=\"b\"}} {n}\n").replace('s', &format!("m{n}_")),
        )
        .unwrap();
    }
    let mut t = collector(&d, |o| {
        o.max_files = 3;
        o.max_series = 5;
    });
    let (rows, _) = run(&mut t, 1);
    let files: Vec<&str> = rows
        .iter()
        .filter(|r| r.1 == "sysotlp.textfile.error")
        .map(|r| r.2.as_str())
        .collect();
    assert_eq!(
        files,
        ["file.name=0.prom", "file.name=1.prom", "file.name=2.prom"]
    );
    assert_eq!(
        value_of(&rows, "sysotlp.textfile.error", "file.name=2.prom")
            .unwrap()
            .3,
        "1",
        "4 + 2 > 5 series"
    );
    assert!(
        t.report
            .notes
            .lines
            .iter()
            .any(|(_, l)| l.contains("2.prom") && l.contains("--textfile-max-series"))
    );
}

#[test]
fn mtime_is_the_files_modification_time() {
    let d = dir("mtime");
    let path = d.join("m.prom");
    std::fs::write(&path, "m 1\n").unwrap();
    let when = UNIX_EPOCH + Duration::from_millis(1_767_225_600_250);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(when)
        .unwrap();
    let mut t = collector(&d, |_| {});
    let (rows, _) = run(&mut t, 1);
    assert_eq!(
        value_of(&rows, "sysotlp.textfile.mtime", "file.name=m.prom")
            .unwrap()
            .3,
        "1767225600.25"
    );
    assert!(SystemTime::now() > when);
}

#[test]
fn a_missing_directory_is_a_collector_error() {
    let d = dir("gone");
    let mut t = collector(&d, |_| {});
    std::fs::remove_dir(&d).unwrap();
    let (rows, result) = run(&mut t, 1);
    assert!(rows.is_empty());
    assert!(result.unwrap_err().to_string().ends_with("not found"));
}
