//! Interface traffic counters, TCP connections by state, and the conntrack table size.
//!
//! Reads (spec/metrics.md §3.6): `net/dev`, `net/tcp` and `net/tcp6` of one network
//! namespace: without `--root-path` `<root>/proc/net/`; with it `<root>/proc/1/net/` (PID 1's
//! namespace, the host's), falling back to `<root>/proc/net/` (the agent's own namespace)
//! with one WARN per process. `<root>/sys/class/net/<if>/ifindex` (optional) per interface.
//! With conntrack on, `<root>/proc/sys/net/netfilter/nf_conntrack_{count,max}` (optional).
//! Without `--root-path` and outside fixtures, a netlink `sock_diag` socket instead of
//! `tcp` and `tcp6` while it works (and whether `net/if_inet6` exists, for its fallback).
//! Emits: `system.network.{packets,dropped,errors,io}` (Counters, int, `device`, `direction`),
//! `system.network.connections` (UpDownCounter, `protocol`=tcp, `state`: all 12 states),
//! `system.network.conntrack.{count,max}` (UpDownCounters, off by default).
//! Input: see [`dev`], [`tcp`] and [`sock_diag`]; conntrack files hold one decimal number.
//!
//! Interface counters are kernel words (`unsigned long`; 32-bit drivers wrap at 4 GiB on
//! armv7) and go through [`Counters`] (§1.3): a wrap continues the series, a drop is a reset,
//! and so is a changed `ifindex` (the interface was deleted and re-created between two
//! cycles, e.g. a VPN reconnecting). Points are in kernel order after the interface filter
//! (default exclude `re:^veth`), which runs before any state is kept, and at most
//! `--max-interfaces` of them (1024) per tick ([`Cap`]).
//!
//! The TCP files are streamed through one fixed buffer: 100k sockets are ≈ 15 MB of text,
//! and only column 4 of each line is read. Reading the agent's own namespace live (root `/`,
//! no fixture), the same counts come from one netlink `sock_diag` dump of both families
//! instead ([`sock_diag`]: 1.1 ms a tick where the files cost 6.7 ms, on an idle 24 GiB host
//! whose TCP hash has 262,144 buckets); the first netlink failure switches to the files for
//! the rest of the process's life, with one INFO.
//! conntrack: see [`conntrack`].
//!
//! `--hostmetrics-quirks` (spec D12): TCP states always from the files, counted as the
//! Collector does (one socket per address pair and state; `FIN_WAIT1`/`FIN_WAIT2` beside
//! zero `FIN_WAIT_1`/`FIN_WAIT_2`, see [`tcp`]).

pub mod conntrack;
pub mod dev;
pub mod sock_diag;
pub mod tcp;

use super::cap::Cap;
use super::counter::{Counters, Width, kernel_word_bits, to_int};
use super::{Collect, CollectError, read_required};
use crate::filter::{Filter, Pattern};
use crate::otlp::{Builder, Open};
use crate::report::Once;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::{ReadError, Source};
use sock_diag::SockDiag;
use std::path::{Path, PathBuf};

/// What this collector emits (the registry's list), in table order.
pub const METRICS: &[&semconv::Info] = &[
    &semconv::SYSTEM_NETWORK_PACKETS.info,
    &semconv::SYSTEM_NETWORK_DROPPED.info,
    &semconv::SYSTEM_NETWORK_ERRORS.info,
    &semconv::SYSTEM_NETWORK_IO.info,
    &semconv::SYSTEM_NETWORK_CONNECTIONS.info,
    &semconv::SYSTEM_NETWORK_CONNTRACK_COUNT.info,
    &semconv::SYSTEM_NETWORK_CONNTRACK_MAX.info,
];

/// Default `--network-exclude` (spec/metrics.md §6.2): one veth per container, churning.
pub const DEFAULT_EXCLUDE: &str = "re:^veth";

/// Default `--max-interfaces`: interfaces reported per tick (8 points each), after the filter.
pub const DEFAULT_MAX_INTERFACES: usize = 1024;

/// Options of the `network` collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// On the interface name.
    pub filter: Filter,
    /// Interfaces reported per tick, in kernel order ([`Cap`]).
    pub max_interfaces: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            filter: Filter {
                include: Vec::new(),
                exclude: Pattern::parse(DEFAULT_EXCLUDE).into_iter().collect(),
            },
            max_interfaces: DEFAULT_MAX_INTERFACES,
        }
    }
}

/// The fixed read buffer of the TCP files: its size is the memory the scan uses, whatever
/// the number of sockets. seq_file hands out at most one page per `read` (fs/seq_file.c), so
/// 8 KiB holds a page plus a carried partial line, and a bigger buffer gains nothing: on Linux
/// 6.18 x86_64 with 100k loopback sockets (15 MB) a read of `tcp` costs ≈ 175 ms with any
/// buffer from 4 KiB to 256 KiB, ≈ 95 % of it kernel time walking the socket tables (a
/// netlink sock_diag dump of the same sockets costs 135–165 ms of kernel time); parsing the
/// text takes ≈ 9 ms.
pub const TCP_BUFFER_BYTES: usize = 8 * 1024;
/// Interface state not refreshed for this many cycles is dropped (§1.3, veth churn).
const STALE_CYCLES: u64 = 3;

/// The `net/` files of one network namespace.
#[derive(Debug)]
struct NetFiles {
    dev: PathBuf,
    tcp: PathBuf,
    tcp6: PathBuf,
}

impl NetFiles {
    fn new(dir: PathBuf) -> Self {
        NetFiles {
            dev: dir.join("dev"),
            tcp: dir.join("tcp"),
            tcp6: dir.join("tcp6"),
        }
    }
}

/// The namespace whose files this cycle reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Namespace {
    /// PID 1's (`<root>/proc/1/net`): the host's.
    Host,
    /// The agent's own (`<root>/proc/net`).
    Own,
}

/// The files of `namespace`: `host` when there is one and it was chosen, else `own`.
fn files_of<'a>(
    host: &'a Option<NetFiles>,
    own: &'a NetFiles,
    namespace: Namespace,
) -> &'a NetFiles {
    match (host, namespace) {
        (Some(host), Namespace::Host) => host,
        _ => own,
    }
}

/// How TCP states are counted in the agent's own namespace read live.
#[derive(Debug)]
enum Diag {
    /// Netlink not tried yet: the socket is opened at the first count.
    Untried,
    Open(SockDiag),
    /// The files: a custom root or a fixture, or netlink failed once.
    Files,
}

/// What is kept of an interface between cycles (its counters live in `Counters`).
#[derive(Debug)]
struct Link {
    name: String,
    /// Last `ifindex` read; a different one means a new device under the same name.
    ifindex: Option<u64>,
    seen_cycle: u64,
}

/// The `net/dev` metrics and the index of their receive value in the counters passed to
/// `Counters::update` (transmit follows it): packets, drop, errs, bytes.
const METRICS_OF_DEV: [(&semconv::Metric<i64>, usize); 4] = [
    (&semconv::SYSTEM_NETWORK_PACKETS, 0),
    (&semconv::SYSTEM_NETWORK_DROPPED, 2),
    (&semconv::SYSTEM_NETWORK_ERRORS, 4),
    (&semconv::SYSTEM_NETWORK_IO, 6),
];

/// The `network` collector.
#[derive(Debug)]
pub struct Network {
    filter: Filter,
    cap: Cap,
    /// `<root>/proc/1/net` with `--root-path`; `None` without.
    host: Option<NetFiles>,
    /// `<root>/proc/net`: the reader's own namespace.
    own: NetFiles,
    fallback_warned: Once,
    diag: Diag,
    /// `<root>/sys/class/net`; `<if>/ifindex` is pushed and popped in place.
    sys_class_net: PathBuf,
    conntrack: conntrack::Conntrack,
    /// `net/dev` text of this cycle.
    buf: String,
    /// `ifindex` values.
    small: String,
    /// Allocated on first use ([`TCP_BUFFER_BYTES`]).
    tcp_buf: Vec<u8>,
    /// `--hostmetrics-quirks`: gopsutil's counting.
    quirks: bool,
    /// Quirks only: this tick's sockets (40 bytes each), kept for their capacity.
    sockets: Vec<tcp::Socket>,
    counters: Counters,
    links: Vec<Link>,
}

impl Network {
    pub fn new(src: &Source, options: &Options, quirks: bool) -> Self {
        Network {
            filter: options.filter.clone(),
            cap: Cap::new(options.max_interfaces, "interfaces", "--max-interfaces"),
            host: src
                .is_custom_root()
                .then(|| NetFiles::new(src.path("proc/1/net"))),
            own: NetFiles::new(src.path("proc/net")),
            fallback_warned: Once::default(),
            // gopsutil reads the files; so does --hostmetrics-quirks.
            diag: if src.is_custom_root() || src.is_fixture() || quirks {
                Diag::Files
            } else {
                Diag::Untried
            },
            sys_class_net: src.path("sys/class/net"),
            conntrack: conntrack::Conntrack::new(src),
            buf: String::new(),
            small: String::new(),
            tcp_buf: Vec::new(),
            quirks,
            sockets: Vec::new(),
            counters: Counters::new(kernel_word_bits(&src.info().machine)),
            links: Vec::new(),
        }
    }

    /// Reads `net/dev` into `buf` from the host's namespace when there is one and it is
    /// readable, else from the own one; returns the namespace chosen for this cycle.
    fn read_dev(&mut self, src: &Source) -> (Namespace, Result<(), CollectError>) {
        let Some(host) = &self.host else {
            let read = read_required(src, &self.own.dev, &mut self.buf);
            return (Namespace::Own, read);
        };
        match src.read_into(&host.dev, &mut self.buf) {
            Ok(()) => (Namespace::Host, Ok(())),
            Err(e @ (ReadError::NotFound | ReadError::Denied)) => {
                if self.fallback_warned.first() {
                    log::warn!(
                        "network: {}: {e}; reading {} instead, the agent's own network \
                         namespace, not the host's (run the agent with --network=host)",
                        host.dev.display(),
                        self.own.dev.display()
                    );
                }
                let read = read_required(src, &self.own.dev, &mut self.buf);
                (Namespace::Own, read)
            }
            Err(e) => (Namespace::Host, Err(CollectError::read(&host.dev, e))),
        }
    }

    /// Emits this cycle's `net/dev` interfaces as their lines are parsed (wrap-extended
    /// values, start times), metrics in table order.
    fn interfaces(
        &mut self,
        src: &Source,
        tick: &Tick,
        namespace: Namespace,
        out: &mut Builder,
    ) -> Option<CollectError> {
        let Network {
            host,
            own,
            filter,
            cap,
            sys_class_net,
            buf,
            small,
            counters,
            links,
            ..
        } = self;
        let dev_path: &Path = &files_of(host, own, namespace).dev;
        let handles: [Open<i64>; 4] = METRICS_OF_DEV.map(|(desc, _)| out.open(desc));
        let mut first_error = None;
        cap.begin();
        for (line, parsed) in dev::parse_net_dev(buf) {
            let dev = match parsed {
                Ok(dev) => dev,
                Err(what) => {
                    first_error
                        .get_or_insert_with(|| CollectError::malformed(dev_path, Some(line), what));
                    continue;
                }
            };
            if !filter.allows(dev.name) || !cap.admit() {
                continue;
            }
            let index = match links.iter().position(|l| l.name == dev.name) {
                Some(index) => index,
                None => {
                    links.push(Link {
                        name: dev.name.to_string(),
                        ifindex: None,
                        seen_cycle: 0,
                    });
                    links.len() - 1
                }
            };
            let Some(link) = links.get_mut(index) else {
                continue;
            };
            if link.seen_cycle == tick.cycle {
                first_error.get_or_insert_with(|| {
                    CollectError::malformed(
                        dev_path,
                        Some(line),
                        format!("interface \"{}\" listed twice", dev.name),
                    )
                });
                continue;
            }
            let ifindex = read_ifindex(src, sys_class_net, small, dev.name);
            let replaced = matches!((link.ifindex, ifindex), (Some(a), Some(b)) if a != b);
            if ifindex.is_some() {
                link.ifindex = ifindex;
            }
            link.seen_cycle = tick.cycle;
            let w = Width::Word;
            let (values, start_unix_nano) = counters.update(
                dev.name,
                tick,
                [
                    (dev.rx_packets, w),
                    (dev.tx_packets, w),
                    (dev.rx_drop, w),
                    (dev.tx_drop, w),
                    (dev.rx_errs, w),
                    (dev.tx_errs, w),
                    (dev.rx_bytes, w),
                    (dev.tx_bytes, w),
                ],
                replaced,
            );
            for ((_, field), handle) in METRICS_OF_DEV.iter().zip(handles) {
                for (offset, direction) in [(0, semconv::RECEIVE), (1, semconv::TRANSMIT)] {
                    let value = values.get(field + offset).copied().unwrap_or(0);
                    out.point_since(
                        handle,
                        start_unix_nano,
                        &[(semconv::DEVICE, dev.name), (semconv::DIRECTION, direction)],
                        to_int(value),
                    );
                }
            }
        }
        cap.end("network");
        first_error
    }

    /// Counts TCP sockets over netlink while it works, else from `tcp` and `tcp6`; `None`
    /// when neither file could be read.
    fn connections(
        &mut self,
        src: &Source,
        namespace: Namespace,
        first_error: &mut Option<CollectError>,
    ) -> Option<[u64; tcp::STATES]> {
        if let Some(counts) = self.connections_over_netlink() {
            return Some(counts);
        }
        if self.tcp_buf.is_empty() {
            self.tcp_buf = vec![0; TCP_BUFFER_BYTES];
        }
        let files = files_of(&self.host, &self.own, namespace);
        let mut total = [0u64; tcp::STATES];
        let mut read_any = false;
        self.sockets.clear();
        // tcp6 is absent when IPv6 is disabled (ipv6.disable=1, CONFIG_IPV6=n): no error.
        for (path, optional) in [(&files.tcp, false), (&files.tcp6, true)] {
            let mut counts = [0u64; tcp::STATES];
            let kept = self.sockets.len();
            let (buf, sockets, quirks) = (&mut self.tcp_buf, &mut self.sockets, self.quirks);
            let scanned = src.open_stream(path).and_then(|mut file| {
                let scanned = if quirks {
                    tcp::collect_tcp_sockets(&mut file, buf, sockets)
                } else {
                    tcp::count_tcp_states(&mut file, buf, &mut counts)
                };
                scanned.map_err(ReadError::from)
            });
            if scanned.is_err() {
                self.sockets.truncate(kept);
            }
            match scanned {
                Ok(bad) => {
                    read_any = true;
                    for (sum, n) in total.iter_mut().zip(counts) {
                        *sum = sum.saturating_add(n);
                    }
                    if let Some((line, what)) = bad {
                        first_error
                            .get_or_insert_with(|| CollectError::malformed(path, Some(line), what));
                    }
                }
                Err(ReadError::NotFound) if optional => {}
                Err(e) => {
                    first_error.get_or_insert_with(|| CollectError::read(path, e));
                }
            }
        }
        if self.quirks {
            tcp::count_distinct(&mut self.sockets, &mut total);
        }
        read_any.then_some(total)
    }

    /// The netlink count, or `None` when the files must be read: not applicable, or failed
    /// (now or before; the first failure logs one INFO and closes the socket).
    fn connections_over_netlink(&mut self) -> Option<[u64; tcp::STATES]> {
        let counted = match &mut self.diag {
            Diag::Files => return None,
            Diag::Open(diag) => diag.count_tcp_states(),
            // `if_inet6` exists when the kernel has IPv6 (for a fallback to per-family dumps).
            Diag::Untried => SockDiag::open(self.own.dev.with_file_name("if_inet6").exists())
                .and_then(|mut diag| {
                    let counts = diag.count_tcp_states()?;
                    log::debug!(
                        "network: counting TCP states over netlink sock_diag: {}",
                        diag.mode()
                    );
                    self.diag = Diag::Open(diag);
                    Ok(counts)
                }),
        };
        counted
            .inspect_err(|e| {
                self.diag = Diag::Files;
                log::info!(
                    "network: netlink sock_diag: {e}; counting TCP states from {} and {} \
                     from now on",
                    self.own.tcp.display(),
                    self.own.tcp6.display()
                );
            })
            .ok()
    }
}

/// `ifindex` of interface `name` (`<dir>/<name>/ifindex`); `None` when unreadable.
fn read_ifindex(src: &Source, dir: &mut PathBuf, buf: &mut String, name: &str) -> Option<u64> {
    dir.push(name);
    dir.push("ifindex");
    let ifindex = src
        .read_into(dir, buf)
        .ok()
        .and_then(|()| buf.trim().parse().ok());
    dir.pop();
    dir.pop();
    ifindex
}

impl Collect for Network {
    fn collect(
        &mut self,
        src: &Source,
        tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        let mut first_error = None;
        let want_interfaces = METRICS_OF_DEV.iter().any(|(desc, _)| out.enabled(desc));
        let (namespace, dev) = self.read_dev(src);
        match dev {
            Ok(()) if want_interfaces => {
                first_error = self.interfaces(src, tick, namespace, out);
            }
            Ok(()) => {}
            Err(e) => {
                if want_interfaces {
                    first_error = Some(e);
                }
            }
        }
        self.counters.prune(tick);
        self.links
            .retain(|l| tick.cycle.saturating_sub(l.seen_cycle) < STALE_CYCLES);

        if out.enabled(&semconv::SYSTEM_NETWORK_CONNECTIONS) {
            if let Some(mut counts) = self.connections(src, namespace, &mut first_error) {
                let fin_wait = if self.quirks {
                    tcp::hostmetrics_fin_wait(&mut counts)
                } else {
                    [0, 0]
                };
                let mut metric = out.metric(&semconv::SYSTEM_NETWORK_CONNECTIONS);
                // DELETE (Windows only) has no code: always 0.
                let values = counts.iter().copied().chain([0]);
                let gopsutil = [semconv::TCP_FIN_WAIT1, semconv::TCP_FIN_WAIT2].iter();
                let fin_wait = gopsutil.zip(fin_wait).filter(|(_, count)| *count > 0);
                for (state, count) in semconv::TCP_STATES.iter().zip(values).chain(fin_wait) {
                    metric.point(
                        &[(semconv::PROTOCOL, semconv::TCP), (semconv::STATE, state)],
                        to_int(count),
                    );
                }
            }
        }

        if let Some(e) = self.conntrack.collect(src, out) {
            first_error.get_or_insert(e);
        }
        first_error.map_or(Ok(()), Err)
    }
}
