//! Sockets in use by transport and IP version, orphaned TCP sockets, socket buffer memory.
//!
//! Reads (namespace rule of spec/metrics.md §3.6): `net/sockstat` and `net/sockstat6`
//! (net/ipv4/proc.c, net/ipv6/proc.c) of one network namespace: without `--root-path`
//! `<root>/proc/net/`; with it `<root>/proc/1/net/` (PID 1's, the host's), falling back to
//! `<root>/proc/net/` with one WARN per process. `sockstat6` is absent when IPv6 is off.
//! Emits (§5.7), UpDownCounters of int: `system.network.linux.socket.count` ({socket}, the
//! `inuse` counts; `network.transport` ∈ {tcp, udp, udplite, raw}, `network.type` ∈ {ipv4,
//! ipv6}), `system.network.linux.tcp.orphan.count` ({socket}, `TCP: orphan`) and
//! `system.network.linux.socket.memory` (By, `mem` pages × page size; `network.transport` ∈
//! {tcp, udp}). The `inuse` counts are the namespace's; orphans and memory are the kernel's
//! totals (`tcp_orphan_count`, `proto_memory_allocated` are global).
//! Input:
//! ```text
//! sockets: used 6
//! TCP: inuse 3 orphan 0 tw 1 alloc 9 mem 126
//! UDP: inuse 0 mem 0
//! UDPLITE: inuse 0
//! RAW: inuse 0
//! FRAG: inuse 0 memory 0
//! ```
//! and `TCP6: inuse 3`, `UDP6: …`, `UDPLITE6: …`, `RAW6: …`, `FRAG6: …` in `sockstat6`.
//! Lines the kernel does not print (UDPLITE is gone from recent kernels) give no point.

use super::counter::to_int;
use super::text::parse_counter;
use super::{Collect, CollectError, read_required};
use crate::otlp::Builder;
use crate::report::Once;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::{ReadError, Source};
use std::path::PathBuf;

/// What this collector emits (the registry's list), in table order.
pub const METRICS: &[&semconv::Info] = &[
    &semconv::SYSTEM_NETWORK_LINUX_SOCKET_COUNT.info,
    &semconv::SYSTEM_NETWORK_LINUX_TCP_ORPHAN_COUNT.info,
    &semconv::SYSTEM_NETWORK_LINUX_SOCKET_MEMORY.info,
];

/// Protocol line labels of `sockstat` and `sockstat6` and their `network.transport`.
const TRANSPORTS: [(&str, &str, &str); 4] = [
    ("TCP", "TCP6", semconv::TCP),
    ("UDP", "UDP6", semconv::UDP),
    ("UDPLITE", "UDPLITE6", semconv::UDPLITE),
    ("RAW", "RAW6", semconv::RAW),
];

/// The values of one `sockstat` or `sockstat6` file, per [`TRANSPORTS`] entry.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SockstatValues {
    pub inuse: [Option<u64>; 4],
    /// `mem` in pages (TCP and UDP only).
    pub mem: [Option<u64>; 4],
    pub tcp_orphan: Option<u64>,
}

/// Parses `sockstat` (`six` false) or `sockstat6` (`six` true); a malformed wanted line is
/// returned as `(line number, what)` and left out.
pub fn parse_sockstat(text: &str, six: bool) -> (SockstatValues, Option<(usize, String)>) {
    let mut stat = SockstatValues::default();
    let mut first_bad = None;
    for (number, line) in text.lines().enumerate() {
        let Some((label, rest)) = line.split_once(": ") else {
            continue;
        };
        let Some(index) = TRANSPORTS
            .iter()
            .position(|(v4, v6, _)| label == if six { *v6 } else { *v4 })
        else {
            continue;
        };
        // `key value` pairs after the label.
        let mut fields = rest.split_ascii_whitespace();
        let mut bad = false;
        while let Some(key) = fields.next() {
            let value = fields.next().and_then(parse_counter);
            let slot = match key {
                "inuse" => &mut stat.inuse[index],
                "mem" => &mut stat.mem[index],
                "orphan" if index == 0 => &mut stat.tcp_orphan,
                _ => continue,
            };
            match value {
                Some(value) => *slot = Some(value),
                None => bad = true,
            }
        }
        if bad {
            first_bad.get_or_insert_with(|| {
                (
                    number + 1,
                    format!("expected \"{label}: <key> <count> …\", found \"{line}\""),
                )
            });
        }
    }
    (stat, first_bad)
}

/// `sockstat` and `sockstat6` of one namespace's `net/` directory.
#[derive(Debug)]
struct Files {
    v4: PathBuf,
    v6: PathBuf,
}

impl Files {
    fn new(dir: PathBuf) -> Self {
        Files {
            v4: dir.join("sockstat"),
            v6: dir.join("sockstat6"),
        }
    }
}

/// The `sockstat` collector.
#[derive(Debug)]
pub struct Sockstat {
    /// `<root>/proc/1/net` with `--root-path`; `None` without.
    host: Option<Files>,
    /// `<root>/proc/net`: the reader's own namespace.
    own: Files,
    fallback_warned: Once,
    buf: String,
    page_size: u64,
}

impl Sockstat {
    pub fn new(src: &Source) -> Self {
        Sockstat {
            host: src
                .is_custom_root()
                .then(|| Files::new(src.path("proc/1/net"))),
            own: Files::new(src.path("proc/net")),
            fallback_warned: Once::default(),
            buf: String::new(),
            page_size: src.info().page_size,
        }
    }
}

/// Reads `sockstat` of the host's namespace when there is one and it is readable, else of
/// the own one (one WARN per process); returns the files of the namespace read.
fn read_v4<'a>(
    src: &Source,
    host: &'a Option<Files>,
    own: &'a Files,
    warned: &mut Once,
    buf: &mut String,
) -> Result<&'a Files, CollectError> {
    if let Some(host) = host {
        match src.read_into(&host.v4, buf) {
            Ok(()) => return Ok(host),
            Err(e @ (ReadError::NotFound | ReadError::Denied)) => {
                if warned.first() {
                    log::warn!(
                        "sockstat: {}: {e}; reading {} instead, the agent's own network \
                         namespace, not the host's (run the agent with --network=host)",
                        host.v4.display(),
                        own.v4.display()
                    );
                }
            }
            Err(e) => return Err(CollectError::read(&host.v4, e)),
        }
    }
    read_required(src, &own.v4, buf)?;
    Ok(own)
}

impl Collect for Sockstat {
    fn collect(
        &mut self,
        src: &Source,
        _tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        if !METRICS.iter().any(|m| out.enabled(m)) {
            return Ok(());
        }
        let Sockstat {
            host,
            own,
            fallback_warned,
            buf,
            page_size,
        } = self;
        let files = read_v4(src, host, own, fallback_warned, buf)?;
        let mut first_error = None;
        let (v4, bad) = parse_sockstat(buf, false);
        if let Some((line, what)) = bad {
            first_error = Some(CollectError::malformed(&files.v4, Some(line), what));
        }
        let v6 = match src.read_into(&files.v6, buf) {
            Ok(()) => {
                let (v6, bad) = parse_sockstat(buf, true);
                if let Some((line, what)) = bad {
                    first_error.get_or_insert_with(|| {
                        CollectError::malformed(&files.v6, Some(line), what)
                    });
                }
                v6
            }
            // IPv6 disabled (ipv6.disable=1, CONFIG_IPV6=n): no file, no error.
            Err(ReadError::NotFound) => SockstatValues::default(),
            Err(e) => {
                first_error.get_or_insert_with(|| CollectError::read(&files.v6, e));
                SockstatValues::default()
            }
        };
        // Each metric opened with its first point: a metric opened and left empty moves the
        // builder's slots about every tick, which costs allocations (otlp::Builder::finish).
        let mut count = None;
        for (stat, network_type) in [(&v4, semconv::IPV4), (&v6, semconv::IPV6)] {
            for ((_, _, transport), inuse) in TRANSPORTS.iter().zip(stat.inuse) {
                if let Some(inuse) = inuse {
                    let metric = *count.get_or_insert_with(|| {
                        out.open(&semconv::SYSTEM_NETWORK_LINUX_SOCKET_COUNT)
                    });
                    out.point(
                        metric,
                        &[
                            (semconv::NETWORK_TRANSPORT, transport),
                            (semconv::NETWORK_TYPE, network_type),
                        ],
                        to_int(inuse),
                    );
                }
            }
        }
        if let Some(orphan) = v4.tcp_orphan {
            out.metric(&semconv::SYSTEM_NETWORK_LINUX_TCP_ORPHAN_COUNT)
                .point(&[], to_int(orphan));
        }
        let mut memory = None;
        for ((_, _, transport), pages) in TRANSPORTS.iter().zip(v4.mem) {
            if let Some(pages) = pages {
                let metric = *memory
                    .get_or_insert_with(|| out.open(&semconv::SYSTEM_NETWORK_LINUX_SOCKET_MEMORY));
                out.point(
                    metric,
                    &[(semconv::NETWORK_TRANSPORT, transport)],
                    to_int(pages.saturating_mul(*page_size)),
                );
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockstat_gives_inuse_orphans_and_pages() {
        // container-v2 (Linux 6.18 x86_64), proc/1/net/sockstat.
        let text = "sockets: used 6\nTCP: inuse 3 orphan 0 tw 1 alloc 9 mem 126\n\
                    UDP: inuse 0 mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n";
        let (stat, bad) = parse_sockstat(text, false);
        assert_eq!(bad, None);
        assert_eq!(stat.inuse, [Some(3), Some(0), Some(0), Some(0)]);
        assert_eq!(stat.mem, [Some(126), Some(0), None, None]);
        assert_eq!(stat.tcp_orphan, Some(0));
        // The v4 labels are not read from sockstat6, nor the v6 ones from sockstat.
        assert_eq!(parse_sockstat(text, true).0, SockstatValues::default());
        let six = "TCP6: inuse 3\nUDP6: inuse 2\nUDPLITE6: inuse 0\nRAW6: inuse 1\nFRAG6: inuse 0 memory 0\n";
        let (stat6, bad) = parse_sockstat(six, true);
        assert_eq!(bad, None);
        assert_eq!(stat6.inuse, [Some(3), Some(2), Some(0), Some(1)]);
        assert_eq!(stat6.tcp_orphan, None);
    }

    #[test]
    fn a_damaged_value_drops_that_value_and_names_its_line() {
        let (stat, bad) = parse_sockstat(
            "sockets: used 6\nTCP: inuse 3 orphan x tw 1 alloc 9 mem 126\nUDP: inuse -1 mem 0\n",
            false,
        );
        assert_eq!(stat.inuse[0], Some(3));
        assert_eq!(stat.tcp_orphan, None);
        assert_eq!(stat.inuse[1], None);
        assert_eq!(stat.mem[1], Some(0));
        let (line, what) = bad.unwrap();
        assert_eq!(line, 2);
        assert!(what.contains("orphan x"), "{what}");
    }

    #[test]
    fn garbage_never_panics() {
        crate::collect::garbage::for_each_variant(
            "sockets: used 6\nTCP: inuse 3 orphan 0 tw 1 alloc 9 mem 126\nUDP: inuse 0 mem 0\n",
            |text| {
                let _ = parse_sockstat(text, false);
            },
        );
    }
}
