//! `make bench`: the cost of one tick in-process (collect every default collector, encode
//! protobuf and JSON), on the captured fixture and on this machine's live `/proc`; then
//! with 1,000 extra sleeping processes (spawned here, ended here by PID) with the `process`
//! collector off, on with the cap at 256, and at 1,000; then the `<pid>/stat` and `io`
//! parsers alone, ours against procfs-core's, on those processes' files (issue 12).
//! `cargo bench --bench tick -- process` runs only those last rows.
//!
//! Reports CPU time per tick (`CLOCK_PROCESS_CPUTIME_ID`: every thread of the process),
//! allocations and allocated bytes per tick in steady state (a counting allocator), the heap
//! the collection, plan and body buffer hold after the measured ticks and at most during the
//! run, and request sizes. `BENCH_ONLY=text` runs the rows whose label contains `text`.

use procfs_core::FromRead;
use rustix::time::{ClockId, clock_gettime};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use sysotlp::collect::process::stat::{PidIo, PidStat};
use sysotlp::config::Config;
use sysotlp::cycle::Collection;
use sysotlp::export::gzip::Gzip;
use sysotlp::otlp::split::{PART_TARGET, Plan};
use sysotlp::otlp::{encode, json};
use sysotlp::source::Source;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
/// Heap bytes allocated and not yet freed, and the most there were since `PEAK` was reset.
static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

fn grow(by: u64) {
    let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        grow(layout.size() as u64);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        grow(new_size as u64);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const TICKS: u64 = 2000;

/// Ticks of the runs with 1,000 extra processes (each walks them all).
const PROCESS_TICKS: u64 = 300;

/// CPU time of this process, every thread, in nanoseconds (`CLOCK_PROCESS_CPUTIME_ID`:
/// exact, where `/proc/self/stat` counts 10 ms clock ticks).
fn cpu_ns() -> u64 {
    let t = clock_gettime(ClockId::ProcessCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// Whether `BENCH_ONLY` (unset: everything) selects the row `label`.
fn selected(label: &str) -> bool {
    std::env::var("BENCH_ONLY").map_or(true, |only| label.contains(&only))
}

fn bench(label: &str, root: &Path, extra: &[&str], ticks: u64) {
    if !selected(label) {
        return;
    }
    let mut argv = vec![
        "sysotlp".to_string(),
        "--root-path".to_string(),
        root.to_string_lossy().into_owned(),
    ];
    argv.extend(extra.iter().map(|a| a.to_string()));
    let live0 = LIVE.load(Ordering::Relaxed);
    PEAK.store(live0, Ordering::Relaxed);
    let cli = sysotlp::cli::parse(&argv).expect("flags");
    let config = Config::from_cli(cli, &|_| None).expect("config");
    let telemetry = sysotlp::telemetry::Telemetry::shared(0);
    let mut collection = Collection::new(&config, Source::open(root).expect("root"), telemetry);
    let (mut body, mut line) = (Vec::new(), String::new());
    // As the agent encodes: cut into parts of the default --max-request-size (and
    // PART_TARGET between resources), each encoded; the last tick's largest part is kept
    // for gzip.
    let mut plan = Plan::default();
    let (mut parts, mut largest) = (0, Vec::new());
    // A tick is its first batch and the further ones (`run_more`: processes past the first
    // batch), each sent before the next is built; the JSON size is of all batches.
    let mut json_bytes = 0;
    let mut run_tick = |cycle: u64, keep: bool| {
        let mut next = Some(collection.run(1_767_225_600_000_000_000 + cycle * 1_000_000_000));
        let mut points = 0;
        parts = 0;
        while let Some(builder) = next {
            plan.make_within(builder, PART_TARGET, 1 << 20);
            for spans in plan.parts() {
                encode::encode_part(builder, spans, &mut body);
                parts += 1;
                if keep && body.len() > largest.len() {
                    largest.clone_from(&body);
                }
            }
            points += builder.point_count();
            if keep {
                json::write(builder, &mut line);
                json_bytes += line.len();
            }
            next = collection.run_more();
        }
        points
    };
    for cycle in 1..=10 {
        run_tick(cycle, false);
    }
    let (allocs0, bytes0, cpu0, wall0) = (
        ALLOCATIONS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
        cpu_ns(),
        Instant::now(),
    );
    for cycle in 11..11 + ticks {
        run_tick(cycle, false);
    }
    let wall = wall0.elapsed();
    let cpu_seconds = (cpu_ns() - cpu0) as f64 / 1e9;
    let allocs = ALLOCATIONS.load(Ordering::Relaxed) - allocs0;
    let bytes = BYTES.load(Ordering::Relaxed) - bytes0;
    let live = LIVE.load(Ordering::Relaxed).saturating_sub(live0);
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(live0);
    let points = run_tick(11 + ticks, true);
    let body = largest;
    let mut gzip = Gzip::new();
    let mut compressed = Vec::new();
    let gzip_started = Instant::now();
    for _ in 0..100 {
        gzip.compress(&body, &mut compressed);
    }
    let gzip_micros = gzip_started.elapsed().as_secs_f64() * 1e6 / 100.0;
    println!(
        "{label:>22}: {:>5} points, {parts} parts, largest protobuf {:>5} B (gzip {:>5} B in {gzip_micros:.0} µs), JSON {:>6} B | CPU {:>6.1} µs/tick (wall {:>6.1} µs) | {:.2} allocations, {:.0} B allocated per tick | heap {} KB held, peak {} KB",
        points,
        body.len(),
        compressed.len(),
        json_bytes,
        cpu_seconds * 1e6 / ticks as f64,
        wall.as_secs_f64() * 1e6 / ticks as f64,
        allocs as f64 / ticks as f64,
        bytes as f64 / ticks as f64,
        live / 1000,
        peak / 1000,
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

/// `sleep` processes that end (by PID, SIGKILL) when dropped.
struct Sleepers(Vec<Child>);

impl Sleepers {
    fn spawn(n: usize) -> Sleepers {
        let children = (0..n)
            .map(|_| {
                Command::new("sleep")
                    .arg("3600")
                    .stdin(Stdio::null())
                    .spawn()
                    .expect("spawn sleep")
            })
            .collect();
        Sleepers(children)
    }
}

impl Drop for Sleepers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// CPU µs and allocations per round of `parse`.
fn measure(rounds: u64, mut parse: impl FnMut() -> u64) -> (f64, f64, u64) {
    let (allocs0, cpu0) = (ALLOCATIONS.load(Ordering::Relaxed), cpu_ns());
    let mut check = 0;
    for _ in 0..rounds {
        check += parse();
    }
    let cpu = (cpu_ns() - cpu0) as f64 / 1e9;
    let allocs = ALLOCATIONS.load(Ordering::Relaxed) - allocs0;
    (
        cpu * 1e6 / rounds as f64,
        allocs as f64 / rounds as f64,
        check,
    )
}

/// One tick's parsing, without the reads: every process's `stat` and 256 `io` files, by
/// our parser and by procfs-core's types through `FromRead` on the same bytes.
fn parsers() {
    let mut stats = Vec::new();
    let mut ios = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let path = entry.path();
        if let Ok(stat) = std::fs::read(path.join("stat")) {
            stats.push(stat);
        }
        if ios.len() < 256 {
            if let Ok(io) = std::fs::read(path.join("io")) {
                ios.push(io);
            }
        }
    }
    const ROUNDS: u64 = 2000;
    let ours = measure(ROUNDS, || {
        let mut sum = 0;
        for stat in &stats {
            if let Ok((_, s)) = PidStat::parse(stat) {
                sum += s.rss;
            }
        }
        for io in &ios {
            if let Ok(io) = PidIo::parse(io) {
                sum += io.read_bytes;
            }
        }
        sum
    });
    let procfs = measure(ROUNDS, || {
        let mut sum = 0;
        for stat in &stats {
            if let Ok(s) = procfs_core::process::Stat::from_read(&stat[..]) {
                sum += s.rss;
            }
        }
        for io in &ios {
            if let Ok(io) = procfs_core::process::Io::from_read(&io[..]) {
                sum += io.read_bytes;
            }
        }
        sum
    });
    assert_eq!(ours.2, procfs.2, "both parsers read the same values");
    for (label, (cpu, allocs, _)) in [("own parser", ours), ("procfs-core", procfs)] {
        println!(
            "{label:>22}: {} stat + {} io parsed | CPU {cpu:>6.1} µs/tick | {allocs:.0} allocations per tick",
            stats.len(),
            ios.len()
        );
    }
}

fn main() {
    // `cargo bench --bench tick -- process`: only the rows with 1,000 extra processes and
    // the parser comparison (what issue 12's cost table needs).
    if std::env::args().skip(1).any(|a| a == "process") {
        return processes();
    }
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/x86_64-vm");
    bench("fixture", &fixture, &[], TICKS);
    let textfile = textfile_dir();
    let textfile_flags = ["--textfile-dir", textfile.to_str().expect("UTF-8 temp dir")];
    bench("+textfile", &fixture, &textfile_flags, TICKS);
    let _ = std::fs::remove_dir_all(&textfile);
    bench("live /", Path::new("/"), &[], TICKS);
    // The rest of the tick (issue 14 item 3): every default collector but the TCP walk.
    bench(
        "live -conn /",
        Path::new("/"),
        &["--disable=system.network.connections"],
        TICKS,
    );
    // One collector at a time (issue 11): its own cost, on the fixture that has its files.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let (laptop, workstation, pi4) = (
        fixtures.join("laptop-x86"),
        fixtures.join("workstation-x86"),
        fixtures.join("raspberry-pi-4"),
    );
    // The container collector runs alone only with a host collector beside it (an empty
    // host resource moves the builder's slots): "load c2" is its baseline.
    let container_v2 = fixtures.join("container-v2");
    let cpu_optional =
        "--enable=system.cpu.utilization,system.cpu.physical.count,system.cpu.frequency";
    let memory_optional = "--enable=system.memory.utilization,system.linux.memory.available,system.memory.linux.hugepages.usage,system.memory.linux.hugepages.utilization";
    for (label, root, flags) in [
        ("thermal pi4", pi4.as_path(), &["--collectors=thermal"][..]),
        ("thermal lap", &laptop, &["--collectors=thermal"]),
        ("power lap", &laptop, &["--collectors=power"]),
        ("cpu+opt lap", &laptop, &["--collectors=cpu", cpu_optional]),
        ("cpu lap", &laptop, &["--collectors=cpu"]),
        ("memory ws", &workstation, &["--collectors=memory"]),
        (
            "mem+opt ws",
            &workstation,
            &["--collectors=memory", memory_optional],
        ),
        ("thermal vm", &fixture, &["--collectors=thermal"]),
        ("memory vm", &fixture, &["--collectors=memory"]),
        ("thermal /", Path::new("/"), &["--collectors=thermal"]),
        // system.network.connections: the difference of these two (issue 14).
        ("network /", Path::new("/"), &["--collectors=network"]),
        (
            "network -conn /",
            Path::new("/"),
            &[
                "--collectors=network",
                "--disable=system.network.connections",
            ],
        ),
        ("pressure vm", &fixture, &["--collectors=pressure"]),
        ("netclass vm", &fixture, &["--collectors=netclass"]),
        ("sockstat c2", &container_v2, &["--collectors=sockstat"]),
        (
            "container c2",
            &container_v2,
            &["--collectors=load,container"],
        ),
        ("load c2", &container_v2, &["--collectors=load"]),
        ("pressure /", Path::new("/"), &["--collectors=pressure"]),
        ("netclass /", Path::new("/"), &["--collectors=netclass"]),
        ("sockstat /", Path::new("/"), &["--collectors=sockstat"]),
        (
            "cpu+opt /",
            Path::new("/"),
            &["--collectors=cpu", cpu_optional],
        ),
    ] {
        bench(label, root, flags, TICKS);
    }
    if selected("+1000") {
        processes();
    }
}

/// The rows of issue 12: 1,000 extra sleeping processes with `process` off, at the default
/// cap (256) and at 1,000; then the parsers alone.
fn processes() {
    let sleepers = Sleepers::spawn(1000);
    let live = Path::new("/");
    // The census alone (`processes`: one `stat` read per PID), what every row below pays.
    bench(
        "+1000 census only",
        live,
        &["--collectors", "processes"],
        PROCESS_TICKS,
    );
    bench("+1000 process off", live, &[], PROCESS_TICKS);
    bench(
        "+1000 process cap 256",
        live,
        &["--enable", "process"],
        PROCESS_TICKS,
    );
    bench(
        "+1000 process cap 1000",
        live,
        &["--enable", "process", "--max-processes", "1000"],
        PROCESS_TICKS,
    );
    parsers();
    drop(sleepers);
}
