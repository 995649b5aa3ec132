//! `make bench`: what counting TCP states by state costs the thread that asks, each way the
//! network collector can ask: one `TCPDIAG_GETSOCK` dump (both families in one walk, what
//! the agent does), one `SOCK_DIAG_BY_FAMILY` dump per family (what it did before, and its
//! fallback), AF_INET alone (that fallback on a kernel without IPv6), and the
//! `/proc/net/tcp{,6}` files (with `--root-path`, or netlink refused).
//!
//! Each count is timed by the thread's CPU clock (`CLOCK_THREAD_CPUTIME_ID`: the kernel's
//! walk runs inside our `sendto` and `recv`, so it is our system time); 200 counts (fewer
//! past a second) back to back ("hot": the hash heads stay in the CPU caches) and as many
//! after writing 64 MiB ("cold": as at a 1 s interval, when the rest of the machine has
//! evicted them). Median and 10th percentile of each, and the median wall time. Not the
//! minimum: in a VM with steal-time accounting the CPU clock sometimes books a count at a
//! fraction of the work it did (a 65,536-bucket walk at 16 µs, 0.25 ns a bucket).
//!
//! `-- --ehash-curve` (root, Linux ≥ 6.1): the same counts in new network namespaces whose
//! established hash has 2^10 .. 2^24 buckets (`net.ipv4.tcp_child_ehash_entries`, set in
//! this namespace for the time of each `unshare --net`, then restored): the cost against
//! the hash size, which the kernel scales with memory (`tcp_ehash_entries`).

use rustix::time::{ClockId, clock_gettime};
use std::fs::File;
use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};
use sysotlp::collect::network::sock_diag::{Mode, SockDiag};
use sysotlp::collect::network::tcp::{STATES, count_tcp_states};

const COUNTS: usize = 200;
/// Larger than this machine kind's 32 MiB L3: writing it evicts the hash heads.
const EVICT_BYTES: usize = 64 << 20;
const CHILD_SYSCTL: &str = "/proc/sys/net/ipv4/tcp_child_ehash_entries";
const EHASH: &str = "/proc/sys/net/ipv4/tcp_ehash_entries";
/// The argument the curve's children run with, in their new namespace.
const IN_NETNS: &str = "--in-netns";

fn thread_cpu_ns() -> u64 {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// Per-count µs of thread CPU time: the 10th percentile, the median, and the median of
/// the wall time for comparison.
#[derive(Clone, Copy)]
struct Spent {
    p10: f64,
    median: f64,
    wall: f64,
}

/// Up to `COUNTS` calls of `count` (fewer past one second), hot or with the caches evicted
/// before each.
fn time(count: &mut dyn FnMut() -> [u64; STATES], mut evict: Option<&mut [u8]>) -> Spent {
    let (mut cpu, mut wall) = (Vec::new(), Vec::new());
    let started = Instant::now();
    for round in 0..COUNTS {
        if round >= 15 && started.elapsed() > Duration::from_secs(1) {
            break;
        }
        if let Some(buf) = evict.as_deref_mut() {
            buf.iter_mut().step_by(64).for_each(|b| *b = round as u8);
            black_box(&buf);
        }
        let (start, at) = (thread_cpu_ns(), Instant::now());
        black_box(count());
        cpu.push(thread_cpu_ns() - start);
        wall.push(at.elapsed().as_nanos() as u64);
    }
    cpu.sort_unstable();
    wall.sort_unstable();
    let micros = |sorted: &[u64], at: usize| sorted[at] as f64 / 1e3;
    Spent {
        p10: micros(&cpu, cpu.len() / 10),
        median: micros(&cpu, cpu.len() / 2),
        wall: micros(&wall, wall.len() / 2),
    }
}

/// Both files summed, through the collector's own scanner.
fn files() -> [u64; STATES] {
    let mut buf = vec![0; sysotlp::collect::network::TCP_BUFFER_BYTES];
    let mut total = [0; STATES];
    for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(mut file) = File::open(path) {
            let _ = count_tcp_states(&mut file, &mut buf, &mut total);
        }
    }
    total
}

fn ehash_entries() -> String {
    std::fs::read_to_string(EHASH)
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|e| format!("? ({EHASH}: {e})"))
}

/// One line per way of asking, in the calling thread's namespace; the files last (they walk
/// the same hash twice, as the per-family dumps do).
fn measure(label: &str) {
    let inet6 = std::path::Path::new("/proc/net/if_inet6").exists();
    let mut evict = vec![0u8; EVICT_BYTES];
    let modes = [
        ("TCPDIAG_GETSOCK", Mode::BothFamilies),
        ("per family", Mode::PerFamily { inet6: true }),
        ("AF_INET only", Mode::PerFamily { inet6: false }),
    ];
    let mut sockets = None;
    for (name, mode) in modes {
        let mut diag = match SockDiag::open_in(mode, inet6) {
            Ok(diag) => diag,
            Err(e) => return println!("{label}: sock_diag: {e}"),
        };
        let mut count = || match diag.count_tcp_states() {
            Ok(counts) => counts,
            Err(e) => panic!("{name}: {e}"),
        };
        sockets.get_or_insert_with(|| count().iter().sum::<u64>());
        let hot = time(&mut count, None);
        let cold = time(&mut count, Some(&mut evict));
        row(label, name, hot, cold);
    }
    row(
        label,
        "files",
        time(&mut files, None),
        time(&mut files, Some(&mut evict)),
    );
    println!("{label}: {} TCP sockets", sockets.unwrap_or(0));
}

fn row(label: &str, name: &str, hot: Spent, cold: Spent) {
    println!(
        "{label}: {name:>15} | cold {:>8.1} µs (p10 {:>8.1}, wall {:>8.1}) | hot {:>8.1} µs (p10 {:>8.1}, wall {:>8.1})",
        cold.median, cold.p10, cold.wall, hot.median, hot.p10, hot.wall
    );
}

/// Each size in a namespace of its own; the sysctl restored whatever happens.
fn curve() {
    let Ok(saved) = std::fs::read_to_string(CHILD_SYSCTL) else {
        return println!("ehash curve: skipped, no {CHILD_SYSCTL} (Linux < 6.1)");
    };
    let exe = std::env::current_exe().expect("own path");
    for shift in [10, 12, 14, 16, 18, 19, 20, 22, 24] {
        let entries = 1u64 << shift;
        if let Err(e) = std::fs::write(CHILD_SYSCTL, entries.to_string()) {
            return println!("ehash curve: skipped, cannot set {CHILD_SYSCTL}: {e} (root?)");
        }
        let status = Command::new("unshare")
            .arg("--net")
            .arg(&exe)
            .arg(IN_NETNS)
            .status();
        let _ = std::fs::write(CHILD_SYSCTL, saved.trim());
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => return println!("ehash curve: unshare --net: {status}"),
            Err(e) => return println!("ehash curve: unshare (util-linux): {e}"),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == IN_NETNS) {
        let label = format!("ehash {:>8}", ehash_entries());
        return measure(&label);
    }
    measure(&format!("this host, ehash {}", ehash_entries()));
    if args.iter().any(|a| a == "--ehash-curve") {
        curve();
    }
}
