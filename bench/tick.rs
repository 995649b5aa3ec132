//! `make bench`: the cost of one tick in-process (collect every default collector, encode
//! protobuf and JSON), on the captured fixture and on this machine's live `/proc`.
//!
//! Reports CPU time per tick (from /proc/self/stat, so the whole process), allocations and
//! allocated bytes per tick in steady state (a counting allocator), and request sizes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use sysotlp::cli::Cli;
use sysotlp::config::Config;
use sysotlp::cycle::Collection;
use sysotlp::export::gzip::Gzip;
use sysotlp::otlp::split::Plan;
use sysotlp::otlp::{encode, json};
use sysotlp::source::Source;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const TICKS: u64 = 2000;

/// utime + stime of this process, in clock ticks.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_comm = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    // Fields 14 and 15 of stat(5); after_comm starts at field 3.
    fields
        .get(11)
        .and_then(|f| f.parse::<u64>().ok())
        .unwrap_or(0)
        + fields
            .get(12)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
}

fn bench(label: &str, root: &Path, textfile_dir: Option<&Path>) {
    focused(label, root, textfile_dir, &[], &[]);
}

/// One collector set (empty: the defaults) with `enable`d metrics, on `root`.
fn focused(
    label: &str,
    root: &Path,
    textfile_dir: Option<&Path>,
    collectors: &[&str],
    enable: &[&str],
) {
    let cli = Cli {
        root_path: Some(root.to_string_lossy().into_owned()),
        textfile_dir: textfile_dir.map(|d| d.to_string_lossy().into_owned()),
        collectors: collectors.iter().map(|c| c.to_string()).collect(),
        enable: enable.iter().map(|c| c.to_string()).collect(),
        ..Cli::default()
    };
    let config = Config::from_cli(cli, &|_| None).expect("config");
    let telemetry = sysotlp::telemetry::Telemetry::shared(0);
    let mut collection = Collection::new(&config, Source::open(root).expect("root"), telemetry);
    let (mut body, mut line) = (Vec::new(), String::new());
    // As the agent encodes: cut into parts of the default --max-request-size, each encoded.
    let mut plan = Plan::default();
    let mut run_tick = |cycle: u64| {
        let builder = collection.run(1_767_225_600_000_000_000 + cycle * 1_000_000_000);
        plan.make(builder, 1 << 20);
        for spans in plan.parts() {
            encode::encode_part(builder, spans, &mut body);
        }
        builder.point_count()
    };
    for cycle in 1..=10 {
        run_tick(cycle);
    }
    let (allocs0, bytes0, cpu0, wall0) = (
        ALLOCATIONS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
        cpu_ticks(),
        Instant::now(),
    );
    for cycle in 11..11 + TICKS {
        run_tick(cycle);
    }
    let wall = wall0.elapsed();
    let cpu_seconds = (cpu_ticks() - cpu0) as f64 / rustix::param::clock_ticks_per_second() as f64;
    let allocs = ALLOCATIONS.load(Ordering::Relaxed) - allocs0;
    let bytes = BYTES.load(Ordering::Relaxed) - bytes0;
    let points = run_tick(11 + TICKS);
    json::write(collection.builder(), &mut line);
    let mut gzip = Gzip::new();
    let mut compressed = Vec::new();
    let gzip_started = Instant::now();
    for _ in 0..100 {
        gzip.compress(&body, &mut compressed);
    }
    let gzip_micros = gzip_started.elapsed().as_secs_f64() * 1e6 / 100.0;
    println!(
        "{label:>10}: {:>5} points, protobuf {:>5} B (gzip {:>5} B in {gzip_micros:.0} µs), JSON {:>6} B | CPU {:>6.1} µs/tick (wall {:>6.1} µs) | {:.2} allocations, {:.0} B allocated per tick",
        points,
        body.len(),
        compressed.len(),
        line.len(),
        cpu_seconds * 1e6 / TICKS as f64,
        wall.as_secs_f64() * 1e6 / TICKS as f64,
        allocs as f64 / TICKS as f64,
        bytes as f64 / TICKS as f64,
    );
}

/// A --textfile-dir of 10 files × 100 series (45 counters, 54 gauges, one histogram each).
fn textfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sysotlp-bench-textfile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("textfile dir");
    for file in 0..10 {
        let mut text = format!("# TYPE jobs_{file}_total counter\n");
        for n in 0..45 {
            text += &format!("jobs_{file}_total{{job=\"job{n}\",host=\"h\"}} {}\n", n * 7);
        }
        text += &format!("# TYPE queue_{file} gauge\n");
        for n in 0..54 {
            text += &format!("queue_{file}{{q=\"q{n}\"}} {n}.5\n");
        }
        text += &format!("# TYPE took_{file}_seconds histogram\n");
        for (le, count) in [("0.1", 1), ("1", 4), ("10", 9), ("+Inf", 10)] {
            text += &format!("took_{file}_seconds_bucket{{le=\"{le}\"}} {count}\n");
        }
        text += &format!("took_{file}_seconds_sum 31.5\ntook_{file}_seconds_count 10\n");
        std::fs::write(dir.join(format!("f{file}.prom")), text).expect("textfile");
    }
    dir
}

fn main() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/x86_64-vm");
    bench("fixture", &fixture, None);
    let textfile = textfile_dir();
    bench("+textfile", &fixture, Some(&textfile));
    let _ = std::fs::remove_dir_all(&textfile);
    bench("live /", Path::new("/"), None);
    // One collector at a time (issue 11): its own cost, on the fixture that has its files.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let cpu_optional = [
        "system.cpu.utilization",
        "system.cpu.physical.count",
        "system.cpu.frequency",
    ];
    focused(
        "thermal pi4",
        &fixtures.join("raspberry-pi-4"),
        None,
        &["thermal"],
        &[],
    );
    focused(
        "thermal lap",
        &fixtures.join("laptop-x86"),
        None,
        &["thermal"],
        &[],
    );
    focused(
        "power lap",
        &fixtures.join("laptop-x86"),
        None,
        &["power"],
        &[],
    );
    focused(
        "cpu+opt lap",
        &fixtures.join("laptop-x86"),
        None,
        &["cpu"],
        &cpu_optional,
    );
    focused("cpu lap", &fixtures.join("laptop-x86"), None, &["cpu"], &[]);
    focused(
        "memory ws",
        &fixtures.join("workstation-x86"),
        None,
        &["memory"],
        &[],
    );
    let memory_optional = [
        "system.memory.utilization",
        "system.linux.memory.available",
        "system.memory.linux.hugepages.usage",
        "system.memory.linux.hugepages.utilization",
    ];
    focused(
        "mem+opt ws",
        &fixtures.join("workstation-x86"),
        None,
        &["memory"],
        &memory_optional,
    );
    focused("thermal vm", &fixture, None, &["thermal"], &[]);
    focused("memory vm", &fixture, None, &["memory"], &[]);
    focused("thermal /", Path::new("/"), None, &["thermal"], &[]);
    focused("cpu+opt /", Path::new("/"), None, &["cpu"], &cpu_optional);
}
