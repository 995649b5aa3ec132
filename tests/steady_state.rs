//! Steady state, counted: in its own process (a counting global allocator sees every
//! thread, the statfs helper's included), each whole-machine fixture runs every default
//! collector plus protobuf, gzip and JSON encoding, tick after tick over the same files, cut
//! into requests as the agent cuts them (one part, and several for a small size limit).
//!
//! - After 10 warm-up ticks, 200 ticks allocate nothing at all (STYLE.md: the hot path does
//!   not allocate in steady state; a series allocates when it first appears).
//! - Then the live heap (bytes allocated and not yet freed, by every thread) does not grow
//!   over 2,000 more ticks, sampled before every 100th; `make bench` runs 100,000 ticks of
//!   the VM sampled every 1,000 (`SYSOTLP_GROWTH_TICKS`, `SYSOTLP_GROWTH_EVERY`,
//!   `SYSOTLP_STEADY_ONLY` = one label). Growth, precisely: the largest sample of the second
//!   half is above the largest of the first half. Any leak, even one byte every 1,000
//!   ticks, raises every later sample; a buffer that reaches its final capacity once, late
//!   in the first half, does not fail, and is printed.
//!
//! Counts, not timings: the numbers do not depend on the machine's speed or load.

#[path = "util/many.rs"]
mod many;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use sysotlp::config::Config;
use sysotlp::cycle::Collection;
use sysotlp::export::gzip::Gzip;
use sysotlp::otlp::split::{PART_TARGET, Plan};
use sysotlp::otlp::{encode, json};
use sysotlp::source::Source;
use sysotlp::telemetry::Telemetry;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static LIVE_BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        LIVE_BYTES.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations allowed in 200 steady-state ticks.
const ALLOWED: u64 = 0;

/// The growth run: its ticks and the interval of its samples.
#[derive(Clone, Copy)]
struct Growth {
    ticks: u64,
    every: u64,
}

impl Growth {
    /// `make test`'s 2,000 ticks every 100, or what the environment says.
    fn from_env() -> Growth {
        let var = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .map(|v| v.parse().expect(name))
                .unwrap_or(default)
        };
        let growth = Growth {
            ticks: var("SYSOTLP_GROWTH_TICKS", 2000),
            every: var("SYSOTLP_GROWTH_EVERY", 100),
        };
        assert!(
            growth.every > 0 && growth.ticks / growth.every >= 2,
            "two samples at least"
        );
        growth
    }
}

/// `Some((first, second))` when the largest sample of the second half (`second`) is above
/// the largest of the first (`first`).
fn grown(samples: &[u64]) -> Option<(u64, u64)> {
    let (first, second) = samples.split_at(samples.len() / 2);
    let (first, second) = (first.iter().max()?, second.iter().max()?);
    (second > first).then_some((*first, *second))
}

/// One fixture with `flags`: (allocations in 200 ticks, live-heap samples of the growth run).
fn run(name: &str, flags: &[&str], growth: Growth) -> (u64, Vec<u64>) {
    // A fixture's name, or a tree's absolute path.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    let mut argv = vec![
        "sysotlp".to_string(),
        "--root-path".to_string(),
        root.to_string_lossy().into_owned(),
    ];
    argv.extend(flags.iter().map(|f| f.to_string()));
    let cli = sysotlp::cli::parse(&argv).expect("flags");
    let config = Config::from_cli(cli, &|_| None).expect("config");
    let src = Source::open(&root).expect("fixture root");
    let mut collection = Collection::new(&config, src, Telemetry::shared(0));
    let (mut body, mut compressed, mut line) = (Vec::new(), Vec::new(), String::new());
    let mut gzip = Gzip::new();
    let (mut plan, mut small) = (Plan::default(), Plan::default());
    let mut tick = |cycle: u64| {
        let builder = collection.run(1_767_225_600_000_000_000 + cycle * 1_000_000_000);
        assert!(builder.point_count() > 0, "{name}: no points");
        // As the agent sends: each batch of the tick (`run_more`), in the parts of the
        // default --max-request-size (64 KiB parts) and of a 4 KiB one (several: the split
        // path allocates nothing either once warm).
        let mut next = Some(builder);
        while let Some(builder) = next {
            for (plan, max) in [(&mut plan, 1 << 20), (&mut small, 4096)] {
                plan.make_within(builder, PART_TARGET.min(max), max);
                for spans in plan.parts() {
                    encode::encode_part(builder, spans, &mut body);
                    gzip.compress(&body, &mut compressed);
                    json::write_part(builder, spans, &mut line);
                }
            }
            next = collection.run_more();
        }
    };
    for cycle in 1..=10 {
        tick(cycle);
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for cycle in 11..211 {
        tick(cycle);
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    // Sized up front: the samples must not grow the heap they measure.
    let mut samples = Vec::with_capacity((growth.ticks / growth.every) as usize);
    for n in 0..growth.ticks {
        if n % growth.every == 0 {
            samples.push(LIVE_BYTES.load(Ordering::Relaxed));
        }
        tick(211 + n);
    }
    (allocations, samples)
}

/// 10 files of 100 series each: counters, gauges with labels, one histogram per file.
fn textfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sysotlp-steady-textfile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("textfile dir");
    for file in 0..10 {
        let mut text =
            format!("# HELP jobs_{file}_total Jobs run.\n# TYPE jobs_{file}_total counter\n");
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
    // The rule itself, on samples worked out by hand.
    assert_eq!(grown(&[5, 5, 5, 5]), None);
    assert_eq!(
        grown(&[5, 7, 7, 7]),
        None,
        "a step in the first half is not growth"
    );
    assert_eq!(grown(&[5, 5, 5, 6]), Some((5, 6)));
    assert_eq!(grown(&[5, 6, 7, 8]), Some((6, 8)), "a leak");
    let growth = Growth::from_env();
    let only = std::env::var("SYSOTLP_STEADY_ONLY").ok();
    let mut failures = Vec::new();
    let textfile = textfile_dir();
    let textfile = textfile.to_string_lossy();
    // A captured VM, a 32-bit board (word-size wraps), a container view (its own
    // container's resource, and sockstat, which is off by default); the VM again with a
    // --textfile-dir of 10 files × 100 series, and also with delta temporality and semconv
    // names (the builder's state map and renames); per-process resources with every process
    // metric on (issue 12), and a tree of 106 in batches (`run_more`) with delta
    // temporality; --hostmetrics-quirks (six memory states, gopsutil's socket list,
    // the process arithmetic).
    let many = many::many_processes(
        &std::env::temp_dir().join(format!("sysotlp-steady-many-{}", std::process::id())),
        100,
    );
    let many = many.to_string_lossy();
    let every_process_metric = sysotlp::collect::process::METRICS
        .iter()
        .map(|m| m.name)
        .collect::<Vec<_>>()
        .join(",");
    for (label, name, flags) in [
        ("x86_64-vm", "x86_64-vm", vec![]),
        ("raspberry-pi-3-armv7", "raspberry-pi-3-armv7", vec![]),
        (
            "container-v2 + sockstat",
            "container-v2",
            vec!["--enable", "sockstat"],
        ),
        (
            "x86_64-vm + textfile",
            "x86_64-vm",
            vec!["--textfile-dir", textfile.as_ref()],
        ),
        (
            "x86_64-vm + textfile, delta, semconv",
            "x86_64-vm",
            vec![
                "--textfile-dir",
                textfile.as_ref(),
                "--temporality=delta",
                "--names=semconv",
            ],
        ),
        (
            "process",
            "process",
            vec![
                "--collectors=processes,process",
                "--enable",
                every_process_metric.as_str(),
            ],
        ),
        (
            "106 processes in batches, delta",
            many.as_ref(),
            vec![
                "--collectors=processes,process",
                "--max-processes=1000",
                "--temporality=delta",
            ],
        ),
        (
            "x86_64-vm --hostmetrics-quirks",
            "x86_64-vm",
            vec!["--hostmetrics-quirks"],
        ),
        (
            "process --hostmetrics-quirks",
            "process",
            vec!["--collectors=processes", "--hostmetrics-quirks"],
        ),
    ] {
        if only.as_deref().is_some_and(|only| only != label) {
            continue;
        }
        let (allocations, samples) = run(name, &flags, growth);
        let name = label;
        let first = samples.first().copied().unwrap_or(0);
        let last = samples.last().copied().unwrap_or(0);
        let min = samples.iter().min().copied().unwrap_or(0);
        let max = samples.iter().max().copied().unwrap_or(0);
        println!(
            "steady_state {name}: {allocations} allocations in 200 ticks; live heap over {} \
             ticks, every {}: first {first}, min {min}, max {max}, last {last} bytes",
            growth.ticks, growth.every,
        );
        if allocations > ALLOWED {
            failures.push(format!(
                "{name}: {allocations} allocations in 200 steady-state ticks (allowed {ALLOWED})"
            ));
        }
        if let Some((first, second)) = grown(&samples) {
            let at = samples.iter().position(|s| *s > first).unwrap_or(0) as u64;
            failures.push(format!(
                "{name}: the live heap grew: at most {first} bytes in the first half of {} \
                 ticks, {second} in the second (above {first} from tick {} on); samples \
                 {samples:?}",
                growth.ticks,
                at * growth.every
            ));
        }
    }
    if !failures.is_empty() {
        eprintln!("{}", failures.join("\n"));
        std::process::exit(1);
    }
}
