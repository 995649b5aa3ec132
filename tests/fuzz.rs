//! The randomized garbage-in harness (issue 10, `make fuzz`): every parser of `/proc` and
//! `/sys` text, the configuration parsers (durations, sizes, endpoints, headers, `OTEL_*`
//! variables), `Retry-After` and spool file decoding get mutated real input, and every
//! collector of the registry runs over fixture trees whose files are mutated one at a time.
//! No call may panic, and none may hold more than [`peak_limit`] of heap at once (a
//! counting global allocator, hence a process of its own).
//!
//! `make test` runs a short pass with a fixed seed; `make fuzz` a long one
//! (`SYSOTLP_FUZZ_ITERATIONS`, `SYSOTLP_FUZZ_SEED`; a failure prints the seed, target and
//! input to replay it). Adding a parser is one line in [`TARGETS`]: a name, seed inputs (a
//! fixture file, or literal text) and a call. New collectors are covered by the tree pass
//! without a line.

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};
use sysotlp::collect::{self, cpu, disk, filefd, load, memory, paging, system, text};
use sysotlp::config::{self, endpoint, pairs};

struct Counting;

static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts live bytes and their peak.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed) + layout.size() as u64;
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let live = LIVE.fetch_add(new_size as u64, Ordering::Relaxed) + new_size as u64;
        PEAK.fetch_max(live, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Heap one call may hold beyond what was live before it: linear in its input (parsers keep
/// lines, error texts, one small struct per list member: `c=d,` × 60,000 as a header list
/// holds 35 bytes per input byte) and a fixed allowance (regex programs, buffers).
fn peak_limit(input: usize) -> u64 {
    64 * input as u64 + (4 << 20)
}

/// A seed input: a file under `fixtures/` (real kernel output), or literal text.
enum Seed {
    File(&'static str),
    Text(&'static str),
}
use Seed::{File, Text};

/// One fuzz target: its name, seed inputs and the call under test.
struct Target {
    name: &'static str,
    seeds: &'static [Seed],
    run: fn(&[u8]),
}

/// The input as the agent would see it: `Source` refuses non-UTF-8, so only lossy text
/// reaches a text parser.
fn text(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Keeps a result alive for the optimiser: the call must really run.
fn sink<T>(value: T) {
    std::hint::black_box(value);
}

fn lines(bytes: &[u8], parse: impl Fn(&str)) {
    text(bytes).lines().for_each(parse);
}

/// Every parser, one line each.
#[rustfmt::skip]
const TARGETS: &[Target] = &[
    Target { name: "proc/stat cpu lines", seeds: &[File("x86_64-vm/proc/stat"), File("cpu-hotplug/t0/proc/stat")], run: |b| lines(b, |l| sink(cpu::parse_stat_cpu_line(l))) },
    Target { name: "proc/stat btime", seeds: &[File("x86_64-vm/proc/stat")], run: |b| sink(sysotlp::boot::parse_btime(&text(b))) },
    Target { name: "proc/stat keyed", seeds: &[File("x86_64-vm/proc/stat")], run: |b| sink(text::keyed_counters(&text(b), ["ctxt", "processes", "procs_running"])) },
    Target { name: "proc/meminfo", seeds: &[File("x86_64-vm/proc/meminfo"), File("no-memavailable/proc/meminfo")], run: |b| sink(memory::parse_meminfo(&text(b))) },
    Target { name: "proc/loadavg", seeds: &[File("x86_64-vm/proc/loadavg")], run: |b| sink(load::parse_loadavg(&text(b))) },
    Target { name: "proc/diskstats", seeds: &[File("disk-x86/proc/diskstats"), File("disk-linux-4.9/proc/diskstats")], run: |b| lines(b, |l| sink(disk::parse_diskstats_line(l))) },
    Target { name: "proc/net/dev", seeds: &[File("x86_64-vm/proc/net/dev")], run: |b| collect::network::dev::parse_net_dev(&text(b)).for_each(sink) },
    Target { name: "proc/net/tcp", seeds: &[File("x86_64-vm/proc/net/tcp"), File("x86_64-vm/proc/net/tcp6")], run: |b| sink(collect::network::tcp::count_tcp_states(&mut &b[..], &mut [0; 512], &mut [0; collect::network::tcp::STATES])) },
    Target { name: "proc/net/tcp sockets (--hostmetrics-quirks)", seeds: &[File("net-tcp-reuseport/proc/1/net/tcp"), File("net-tcp-reuseport/proc/1/net/tcp6")], run: |b| { let mut sockets = Vec::new(); sink(collect::network::tcp::collect_tcp_sockets(&mut &b[..], &mut [0; 512], &mut sockets)); collect::network::tcp::count_distinct(&mut sockets, &mut [0; collect::network::tcp::STATES]) } },
    Target { name: "sock_diag datagram", seeds: &[Text("\u{14}\0\0\0\u{3}\0\u{2}\0\u{1}\0\0\0\0\0\0\0\0\0\0\0")], run: |b| sink(collect::network::sock_diag::parse_datagram(b, collect::network::sock_diag::Request::Family(2), 1, &mut [0; collect::network::tcp::STATES])) },
    Target { name: "sock_diag TCPDIAG_GETSOCK datagram", seeds: &[Text("\u{14}\0\0\0\u{3}\0\u{2}\0\u{1}\0\0\0\0\0\0\0\0\0\0\0")], run: |b| sink(collect::network::sock_diag::parse_datagram(b, collect::network::sock_diag::Request::BothFamilies, 1, &mut [0; collect::network::tcp::STATES])) },
    Target { name: "proc/1/mountinfo", seeds: &[File("fs-x86/proc/1/mountinfo"), File("fs-edge/proc/1/mountinfo")], run: |b| lines(b, |l| sink(collect::filesystem::mountinfo::parse_mountinfo_line(l))) },
    Target { name: "proc/filesystems", seeds: &[File("fs-x86/proc/filesystems")], run: |b| sink(collect::filesystem::is_physical(&text(b), "ext4")) },
    Target { name: "sys/dev/block uevent", seeds: &[Text("MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n")], run: |b| sink(collect::filesystem::parse_uevent_devname(&text(b))) },
    Target { name: "octal escapes", seeds: &[Text("/mnt/with\\040space\\011tab\\134")], run: |b| text::unescape_octal(&text(b), &mut String::new()) },
    Target { name: "proc/swaps", seeds: &[File("paging-x86/proc/swaps"), File("paging-swapfile/proc/swaps")], run: |b| lines(b, |l| sink(paging::parse_swaps_line(l))) },
    Target { name: "proc/vmstat", seeds: &[File("paging-x86/proc/vmstat")], run: |b| sink(paging::parse_vmstat(&text(b))) },
    Target { name: "proc/uptime", seeds: &[File("x86_64-vm/proc/uptime")], run: |b| sink(system::parse_uptime(&text(b))) },
    Target { name: "proc/sys/fs/file-nr", seeds: &[Text("1184\t0\t93634\n")], run: |b| sink(filefd::parse_file_nr(&text(b))) },
    Target { name: "proc/<pid>/stat", seeds: &[File("x86_64-vm/proc/1/stat"), File("processes/proc/5002/stat")], run: |b| sink(collect::process::stat::PidStat::parse(b)) },
    Target { name: "proc/<pid>/statm", seeds: &[Text("3341 1094 771 2 0 329 0\n")], run: |b| sink(collect::process::stat::parse_statm(b)) },
    Target { name: "proc/<pid>/io", seeds: &[Text("rchar: 4292\nwchar: 0\nsyscr: 12\nsyscw: 0\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n")], run: |b| sink(collect::process::stat::PidIo::parse(b)) },
    Target { name: "proc/<pid>/status", seeds: &[Text("Name:\tsshd\nUid:\t0\t0\t0\t0\nSigPnd:\t0\nShdPnd:\t0\nvoluntary_ctxt_switches:\t5\nnonvoluntary_ctxt_switches:\t1\n")], run: |b| sink(collect::process::stat::PidStatus::parse(b)) },
    Target { name: "etc/passwd", seeds: &[Text("root:x:0:0:root:/root:/bin/bash\nsshd:x:105:65534::/run/sshd:/usr/sbin/nologin\n")], run: |b| collect::process::identity::parse_passwd(&text(b)).for_each(sink) },
    Target { name: "proc/self/status", seeds: &[Text("Name:\tsysotlp\nVmHWM:\t    2404 kB\nVmRSS:\t    2100 kB\n")], run: |b| sink(collect::agent::parse_status_memory(&text(b))) },
    Target { name: "proc/self/stat cpu", seeds: &[File("x86_64-vm/proc/1/stat")], run: |b| sink(collect::agent::parse_stat_cpu_ticks(&text(b))) },
    Target { name: "hwmon/thermal millidegrees", seeds: &[Text("45000\n"), Text("-1500\n")], run: |b| { let t = text(b); sink((collect::thermal::parse_millicelsius(&t), collect::thermal::trip_limit(&t), collect::thermal::temp_input(&t), collect::thermal::trip_type(&t))) } },
    Target { name: "power_supply values", seeds: &[Text("4850000\n"), Text("Discharging\n")], run: |b| { let t = text(b); sink((collect::power::parse_value(&t), collect::power::role(&t, Some(&t)), collect::power::named_states(Some(&t), Some(&t)))) } },
    Target { name: "cpu lists and labels", seeds: &[Text("0-3,8-11\n"), Text("cpu12")], run: |b| { let t = text(b); sink((collect::cpu::parse_cpu_list(&t), collect::cpu::cpu_label(&t))) } },
    Target { name: "textfile *.prom", seeds: &[File("textfile/prom/latency.prom"), File("textfile/prom/backup.prom"), File("textfile/prom/apt.prom")], run: prom_file },
    Target { name: "durations", seeds: &[Text("10s"), Text("500ms"), Text("24h")], run: |b| sink(sysotlp::units::parse_duration(&text(b))) },
    Target { name: "milliseconds", seeds: &[Text("30000")], run: |b| sink(sysotlp::units::parse_millis(&text(b))) },
    Target { name: "sizes", seeds: &[Text("1MiB"), Text("64KiB"), Text("1TiB")], run: |b| sink(sysotlp::units::parse_size(&text(b))) },
    Target { name: "endpoints", seeds: &[Text("http://collector:4318/otlp"), Text("https://[::1]:4318/v1/metrics")], run: |b| { let t = text(b); sink(endpoint::parse_endpoint(&t, endpoint::PathRule::Base)); sink(endpoint::parse_endpoint(&t, endpoint::PathRule::Verbatim)) } },
    Target { name: "header lists", seeds: &[Text("api-key=a%2Cb,Authorization=Basic dXNlcjpw==")], run: |b| { let t = text(b); sink(pairs::parse_encoded_list(&t)); sink(pairs::parse_literal_pair(&t)); sink((pairs::is_header_name(&t), pairs::is_header_value(&t))) } },
    Target { name: "filter patterns", seeds: &[Text("re:^(z?ram|loop|fd)\\d+$"), Text("eth0")], run: |b| sink(sysotlp::filter::Pattern::parse(&text(b))) },
    Target { name: "OTEL_* variables", seeds: &[Text("http://127.0.0.1:4318"), Text("a=b,c=d"), Text("gzip"), Text("10000")], run: otel_variables },
    Target { name: "Retry-After", seeds: &[Text("120"), Text("Sun, 06 Nov 1994 08:49:37 GMT"), Text("Sunday, 06-Nov-94 08:49:37 GMT"), Text("Sun Nov  6 08:49:37 1994")], run: |b| sink(sysotlp::export::backoff::parse_retry_after(&text(b), SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777))) },
    Target { name: "spool file names", seeds: &[Text("00000000000000ff.otlp")], run: |b| sink(sysotlp::export::spool::parse_name(&text(b))) },
    Target { name: "spool files", seeds: &[Text("SOTLPSP1\u{1}\0\0\0\u{5}\0\0\0\u{1}\0\0\0\0\0\0\0\u{3}\0\0\0\u{42}\u{b0}\u{c6}\u{f0}abc")], run: spool_file },
];

/// A Prometheus text file parsed, then its series assembled (textfile collector).
fn prom_file(bytes: &[u8]) {
    use collect::textfile::{parse::Parsed, series::Assembled};
    let file = text(bytes);
    let mut parsed = Parsed::default();
    if parsed.parse(&file).is_ok() {
        sink(Assembled::default().assemble(&parsed, &file));
    }
}

/// Every variable the configuration reads, one at a time set to the input.
fn otel_variables(bytes: &[u8]) {
    const NAMES: &[&str] = &[
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_METRIC_EXPORT_INTERVAL",
        "OTEL_METRIC_EXPORT_TIMEOUT",
        "OTEL_METRICS_EXPORTER",
        "OTEL_SDK_DISABLED",
        "OTEL_RESOURCE_ATTRIBUTES",
        "OTEL_SERVICE_NAME",
        "OTEL_LOG_LEVEL",
        "RUST_LOG",
        "HTTP_PROXY",
        "NO_PROXY",
        "SYSOTLP_DISK_INCLUDE",
    ];
    use std::os::unix::ffi::OsStrExt;
    let value = std::ffi::OsStr::from_bytes(bytes).to_os_string();
    for name in NAMES {
        let lookup = |n: &str| (n == *name).then(|| value.clone());
        sink(config::Config::from_os_env(
            sysotlp::cli::Cli::default(),
            &lookup,
        ));
    }
}

/// The input as a spool file: indexed at start, then read back (header, length, CRC).
fn spool_file(bytes: &[u8]) {
    let dir = scratch().join("spool");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("spool dir");
    std::fs::write(dir.join("0000000000000001.otlp"), bytes).expect("spool file");
    let Ok((spool, found)) = sysotlp::export::spool::Spool::open(&dir) else {
        return;
    };
    let mut body = Vec::new();
    for entry in &found {
        sink(spool.read(entry, &mut body));
    }
}

/// This process's scratch directory.
fn scratch() -> PathBuf {
    std::env::temp_dir().join(format!("sysotlp-fuzz-{}", std::process::id()))
}

/// xorshift64*: reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Values that break naive parsers.
const HOSTILE: &[&[u8]] = &[
    b"18446744073709551616",
    b"99999999999999999999999999",
    b"-1",
    b"",
    b"NaN",
    b"1e309",
    b"\xff\xfe",
    b"0x10",
    b"%",
    b"%+1",
    b"\n",
    b"\0",
    b"(",
    b")",
    b":",
    b"=",
    b" - ",
];

/// A damaged copy of `seed`: byte edits, a hostile token in place of a field, a cut, a
/// repeated line, or a splice of two seeds; at most 256 KiB.
fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(7) {
            0 => {
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(out.len() + 1);
                    let byte = rng.next() as u8;
                    if at < out.len() && rng.below(2) == 0 {
                        out[at] = byte;
                    } else {
                        out.insert(at, byte);
                    }
                }
            }
            1 => {
                let token = HOSTILE[rng.below(HOSTILE.len())];
                let fields: Vec<(usize, usize)> = field_spans(&out);
                if let Some(&(start, end)) = fields.get(rng.below(fields.len())) {
                    out.splice(start..end, token.iter().copied());
                }
            }
            2 => out.truncate(rng.below(out.len() + 1)),
            3 => {
                let start = rng.below(out.len() + 1);
                let end = (start + rng.below(200)).min(out.len());
                let piece = out[start..end].to_vec();
                let times = 1 + rng.below(2000);
                for _ in 0..times {
                    out.extend_from_slice(&piece);
                }
            }
            4 => {
                let at = rng.below(out.len() + 1);
                let from = rng.below(other.len() + 1);
                out.splice(at..at, other[from..].iter().copied());
            }
            5 => {
                let at = rng.below(out.len() + 1);
                let byte = b" x9\t\n"[rng.below(5)];
                out.splice(at..at, std::iter::repeat_n(byte, rng.below(70_000)));
            }
            _ => {
                let at = rng.below(out.len());
                if at < out.len() {
                    out.remove(at);
                }
            }
        }
    }
    out.truncate(256 << 10);
    out
}

/// Start and end of each whitespace-separated field.
fn field_spans(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, b) in bytes.iter().enumerate() {
        match (b.is_ascii_whitespace(), start) {
            (true, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, bytes.len()));
    }
    spans
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn seed_bytes(seed: &Seed) -> Vec<u8> {
    match seed {
        File(path) => std::fs::read(fixtures().join(path))
            .unwrap_or_else(|e| panic!("seed fixtures/{path}: {e}")),
        Text(text) => text.as_bytes().to_vec(),
    }
}

/// Runs `call` on `input`, failing with the replay details if it holds too much heap.
fn measured(what: &str, seed: u64, input: &[u8], call: impl FnOnce()) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    call();
    let held = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    if held > peak_limit(input.len()) {
        panic!(
            "{what}: held {held} bytes of heap for an input of {} bytes (SYSOTLP_FUZZ_SEED={seed}): {:?}",
            input.len(),
            String::from_utf8_lossy(&input[..input.len().min(300)])
        );
    }
}

fn parsers(iterations: u64, seed: u64) {
    for (t, target) in TARGETS.iter().enumerate() {
        let seeds: Vec<Vec<u8>> = target.seeds.iter().map(seed_bytes).collect();
        let mut rng = Rng((seed ^ (t as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1);
        for seed_input in &seeds {
            measured(target.name, seed, seed_input, || (target.run)(seed_input));
        }
        for _ in 0..iterations {
            let base = &seeds[rng.below(seeds.len())];
            let other = &seeds[rng.below(seeds.len())];
            let input = mutate(&mut rng, base, other);
            let replay = format!("{} (SYSOTLP_FUZZ_SEED={seed})", target.name);
            let outcome = std::panic::catch_unwind(|| {
                measured(target.name, seed, &input, || (target.run)(&input))
            });
            if let Err(panic) = outcome {
                eprintln!(
                    "{replay} panicked on {:?}",
                    String::from_utf8_lossy(&input[..input.len().min(300)])
                );
                std::panic::resume_unwind(panic);
            }
        }
        println!("fuzz {}: {iterations} inputs", target.name);
    }
}

/// Every collector over a copy of each whole-machine fixture, one of its files mutated per
/// cycle and restored after.
fn trees(iterations: u64, seed: u64) {
    let names: Vec<String> = collect::REGISTRY
        .iter()
        .map(|r| r.name.to_string())
        .collect();
    for fixture in [
        "x86_64-vm",
        "raspberry-pi-4",
        "fs-x86",
        "laptop-x86",
        "textfile",
    ] {
        let copy = scratch().join(fixture);
        let _ = std::fs::remove_dir_all(&copy);
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(fixtures().join(fixture))
            .arg(&copy)
            .status()
            .expect("cp");
        assert!(status.success());
        let mut files = Vec::new();
        for top in ["proc", "sys", "prom"] {
            walk(&copy.join(top), &mut files);
        }
        // A fixture with Prometheus text files feeds the textfile collector.
        let prom = copy.join("prom");
        let cli = sysotlp::cli::Cli {
            root_path: Some(copy.to_string_lossy().into_owned()),
            collectors: vec![names.join(",")],
            textfile_dir: prom.is_dir().then(|| prom.to_string_lossy().into_owned()),
            ..sysotlp::cli::Cli::default()
        };
        let config = config::Config::from_cli(cli, &|_| None).expect("config");
        let src = sysotlp::source::Source::open(&copy).expect("source");
        let telemetry = sysotlp::telemetry::Telemetry::shared(0);
        let mut collection = sysotlp::cycle::Collection::new(&config, src, telemetry);
        let mut rng = Rng((seed ^ 0x5eed) | 1);
        let now = collection.source().fixed_now_unix_nano().unwrap_or(1);
        for cycle in 0..iterations {
            let path = &files[rng.below(files.len())];
            let original = std::fs::read(path).expect("fixture file");
            let input = mutate(&mut rng, &original, &original);
            std::fs::write(path, &input).expect("write mutated file");
            let shown = path
                .strip_prefix(&copy)
                .unwrap_or(path)
                .display()
                .to_string();
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                measured(&shown, seed, &input, || {
                    collection.run(now + cycle * 10_000_000_000);
                })
            }));
            if let Err(panic) = outcome {
                eprintln!(
                    "{fixture}/{shown} (SYSOTLP_FUZZ_SEED={seed}) panicked on {:?}",
                    String::from_utf8_lossy(&input[..input.len().min(300)])
                );
                std::panic::resume_unwind(panic);
            }
            std::fs::write(path, &original).expect("restore");
        }
        println!(
            "fuzz tree {fixture}: {iterations} cycles over {} files",
            files.len()
        );
    }
}

/// Regular files under `dir` (symlinks not followed: the sysfs loops of the fixtures).
fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&entry.path(), files),
            Ok(t) if t.is_file() => files.push(entry.path()),
            _ => {}
        }
    }
}

fn main() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let iterations = env("SYSOTLP_FUZZ_ITERATIONS", 200);
    let seed = env("SYSOTLP_FUZZ_SEED", 0x0010_f022);
    // A panic message is printed by the hook; the harness adds the replay line.
    parsers(iterations, seed);
    trees(iterations, seed);
    let _ = std::fs::remove_dir_all(scratch());
    println!("fuzz: 2 passed, 0 failed");
}
