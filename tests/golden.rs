//! Golden tests: the binary on each fixture tree, compared with its hand-checked
//! `expected*.json` (pretty OTLP/JSON). `make bless` (UPDATE_GOLDEN=1) rewrites them and
//! fails, so every change shows in `git diff` for review.

use crate::util::agent::request_for;
use crate::util::otlp::{Point, get, points};
use crate::util::{fixture, stderr_of, stdout_of};
use serde_json::Value;

/// Every golden case: for each `fixtures/<name>/` with a `sysotlp-fixture.json`, the lines of
/// its `golden.txt` (`<expected file> [flags…]`), or `expected.json` with no flags.
fn cases() -> Vec<(String, Vec<String>, String)> {
    let mut names: Vec<String> = std::fs::read_dir(fixture(""))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("sysotlp-fixture.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut cases = Vec::new();
    for name in names {
        let spec = std::fs::read_to_string(fixture(&name).join("golden.txt"))
            .unwrap_or_else(|_| "expected.json\n".into());
        for line in spec
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let mut words = line.split_whitespace().map(String::from);
            let file = words.next().unwrap();
            cases.push((name.clone(), words.collect(), file));
        }
    }
    cases
}

/// The crate version is not part of the golden: a release must not rewrite every file.
fn normalise(mut request: Value) -> Value {
    for rm in request["resourceMetrics"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        for sm in rm["scopeMetrics"].as_array_mut().into_iter().flatten() {
            sm["scope"]["version"] = Value::String("<version>".into());
        }
    }
    request
}

/// The longest diff shown for one file (a missing golden is all `+` lines).
const DIFF_LINES: usize = 80;

/// A unified diff of `expected` against `actual` with three lines of context, aligned by
/// content: a line inserted or removed is one `+` or `-` line, not a shift of all below it.
fn diff(expected: &str, actual: &str) -> String {
    let text = similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut shown = lines[..lines.len().min(DIFF_LINES)].join("\n");
    if lines.len() > DIFF_LINES {
        shown += &format!("\n… {} more diff lines", lines.len() - DIFF_LINES);
    }
    shown
}

/// `request` against the golden file `path`: `None` when equal, else the diff; with `bless`
/// the file is rewritten (and that is reported, so the run fails and the diff is reviewed).
pub fn check(path: &std::path::Path, request: Value, bless: bool) -> Option<String> {
    let pretty = serde_json::to_string_pretty(&normalise(request)).unwrap() + "\n";
    if bless {
        std::fs::write(path, &pretty).unwrap();
        return Some(format!("rewrote {}", path.display()));
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    (expected != pretty).then(|| {
        format!(
            "{} differs ({} vs {} lines):\n{}",
            path.display(),
            expected.lines().count(),
            pretty.lines().count(),
            diff(&expected, &pretty)
        )
    })
}

/// The collectors of the foundation fixtures (they hold no files for the others).
const FOUNDATION: &str = "--collectors=cpu,memory,load,system";

#[test]
fn golden_requests_match_expected() {
    let bless = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 8, "fixtures found: {cases:?}");
    for (name, flags, file) in &cases {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let (request, stderr) = request_for(name, &flags);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        mismatches.extend(check(&fixture(name).join(file), request, bless));
    }
    assert!(
        mismatches.is_empty(),
        "{}\n(run `make bless` and review the diff)",
        mismatches.join("\n")
    );
}

#[test]
fn a_golden_diff_shows_an_inserted_line_once() {
    let expected: String = (1..=30).map(|n| format!("line {n}\n")).collect();
    let actual = expected.replace("line 10\n", "line 10\ninserted\n");
    let shown = diff(&expected, &actual);
    let changed: Vec<&str> = shown
        .lines()
        .filter(|l| l.starts_with(['+', '-']) && !l.starts_with("+++") && !l.starts_with("---"))
        .collect();
    assert_eq!(changed, ["+inserted"], "{shown}");
    assert!(
        shown.contains(" line 8\n line 9\n line 10\n+inserted\n line 11\n line 12\n line 13"),
        "three lines of context either side:\n{shown}"
    );
}

fn value_of(points: &[Point], name: &str, attrs: &str) -> Value {
    get(points, name, attrs).value.clone()
}

#[test]
fn offline_cpu_values_computed_by_hand() {
    // fixtures/offline-cpu/README.md: aggregate line includes offline cpu2's ticks.
    let (request, _) = request_for("offline-cpu", &[FOUNDATION]);
    let p = points(&request);
    assert_eq!(
        value_of(&p, "system.cpu.time", "state=user"),
        serde_json::json!(6867.23)
    );
    assert_eq!(
        value_of(&p, "system.cpu.time", "state=wait"),
        serde_json::json!(192.93)
    );
    assert_eq!(
        value_of(&p, "system.cpu.time", "state=steal"),
        serde_json::json!(136.88)
    );
    assert_eq!(
        value_of(&p, "system.cpu.logical.count", ""),
        serde_json::json!("3")
    );
    assert_eq!(
        value_of(&p, "system.memory.usage", "state=used"),
        serde_json::json!("2984169472")
    );
    assert_eq!(
        value_of(&p, "system.memory.limit", ""),
        serde_json::json!("16763236352")
    );
    assert_eq!(
        value_of(&p, "system.cpu.load_average.15m", ""),
        serde_json::json!(0.59)
    );
    assert_eq!(
        value_of(&p, "system.uptime", ""),
        serde_json::json!(25726.41)
    );
}

#[test]
fn offline_cpu_keeps_its_number_per_cpu() {
    let (request, _) = request_for("offline-cpu", &[FOUNDATION, "--per-cpu"]);
    let cpus: Vec<String> = points(&request)
        .into_iter()
        .filter(|p| p.name == "system.cpu.time" && p.attrs.ends_with("state=user"))
        .map(|p| p.attrs)
        .collect();
    assert_eq!(
        cpus,
        [
            "cpu=cpu0,state=user",
            "cpu=cpu1,state=user",
            "cpu=cpu3,state=user"
        ]
    );
}

#[test]
fn memory_states_sum_to_memtotal_without_memavailable() {
    let (request, stderr) = request_for("no-memavailable", &[FOUNDATION]);
    let p = points(&request);
    let state = |s: &str| {
        value_of(&p, "system.memory.usage", &format!("state={s}"))
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    // fixtures/no-memavailable/README.md
    assert_eq!(state("used"), 337_133_568);
    assert_eq!(state("cached"), 1_045_553_152);
    assert_eq!(
        state("used") + state("free") + state("buffered") + state("cached"),
        2_110_300_160
    );
    assert!(stderr.contains("MemAvailable is missing"), "{stderr}");
}

#[test]
fn truncated_stat_keeps_the_aggregate_and_reports_the_cut_line() {
    let (request, _) = request_for("truncated-stat", &[FOUNDATION]);
    let p = points(&request);
    assert_eq!(
        value_of(&p, "system.cpu.time", "state=user"),
        serde_json::json!(393.93)
    );
    let (request, stderr) = request_for("truncated-stat", &[FOUNDATION, "--per-cpu"]);
    let cpus: Vec<String> = points(&request)
        .into_iter()
        .filter(|p| p.name == "system.cpu.time" && p.attrs.ends_with("state=idle"))
        .map(|p| p.attrs)
        .collect();
    assert_eq!(
        cpus,
        ["cpu=cpu0,state=idle"],
        "cpu1 is cut mid-line and skipped"
    );
    assert!(
        stderr.contains("proc/stat line 3: expected at least 4 counters after \"cpu1\", found 3"),
        "{stderr}"
    );
}

#[test]
fn empty_loadavg_skips_load_only() {
    let (request, stderr) = request_for("empty-loadavg", &[FOUNDATION]);
    let names: Vec<String> = points(&request).into_iter().map(|p| p.name).collect();
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("system.cpu.load_average"))
    );
    assert!(
        names.contains(&"system.uptime".to_string())
            && names.contains(&"system.cpu.time".to_string())
    );
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("load: ")
            && warnings[0].contains("proc/loadavg line 1: expected 3 load averages, found 0")
    );
}

/// `--exporter text` on every whole-machine fixture: each line fits an 80-column console;
/// on the VM the text equals `expected.txt` (blessed like the JSON goldens).
#[test]
fn text_exporter_fits_80_columns_and_matches_its_golden() {
    let bless = std::env::var_os("UPDATE_GOLDEN").is_some();
    for name in [
        "x86_64-vm",
        "laptop-x86",
        "workstation-x86",
        "raspberry-pi-4",
        "raspberry-pi-3-armv7",
        "container-v2",
    ] {
        let root = fixture(name);
        let args = ["--exporter", "text", "--once", "--per-cpu", "--root-path"];
        let out = crate::util::run(&[&args[..], &[root.to_str().unwrap()]].concat(), &[]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr_of(&out));
        let text = stdout_of(&out);
        assert!(text.ends_with("\n\n"), "{name}: a blank line ends the tick");
        let wide: Vec<&str> = text.lines().filter(|l| l.chars().count() > 80).collect();
        assert!(
            wide.is_empty(),
            "{name}: lines wider than 80:\n{}",
            wide.join("\n")
        );
        if name == "x86_64-vm" {
            let path = root.join("expected.txt");
            if bless {
                std::fs::write(&path, &text).unwrap();
                panic!("rewrote {}", path.display());
            }
            let expected = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                expected == text,
                "{}:\n{}",
                path.display(),
                diff(&expected, &text)
            );
        }
    }
}
