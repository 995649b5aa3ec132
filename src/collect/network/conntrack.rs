//! The size and limit of the connection tracking table (off by default, as upstream).
//!
//! Reads: `<root>/proc/sys/net/netfilter/nf_conntrack_{count,max}` (one decimal number each;
//! absent unless `nf_conntrack` is loaded, which is silent). Emits:
//! `system.network.conntrack.count` and `.max`, UpDownCounters, {entries}.
//! conntrack is not subject to the namespace rule of the other network files: `proc/sys/net`
//! has no per-PID copy, and the kernel answers sysctl reads from the *reader's* namespace
//! whatever the path (`net_ctl_header_lookup`, net/sysctl_net.c), so without
//! `--network=host` a container sees its own table.

use crate::collect::CollectError;
use crate::collect::counter::to_int;
use crate::collect::text::parse_counter;
use crate::otlp::Builder;
use crate::report::Once;
use crate::semconv;
use crate::source::{ReadError, Source};
use std::path::PathBuf;

/// The conntrack part of the `network` collector.
#[derive(Debug)]
pub struct Conntrack {
    count: PathBuf,
    max: PathBuf,
    buf: String,
    absence_noted: Once,
}

impl Conntrack {
    pub fn new(src: &Source) -> Self {
        Conntrack {
            count: src.path("proc/sys/net/netfilter/nf_conntrack_count"),
            max: src.path("proc/sys/net/netfilter/nf_conntrack_max"),
            buf: String::new(),
            absence_noted: Once::default(),
        }
    }

    /// Emits the metrics that are on; returns the first failure.
    pub fn collect(&mut self, src: &Source, out: &mut Builder) -> Option<CollectError> {
        let mut first_error = None;
        for (desc, path) in [
            (&semconv::SYSTEM_NETWORK_CONNTRACK_COUNT, &self.count),
            (&semconv::SYSTEM_NETWORK_CONNTRACK_MAX, &self.max),
        ] {
            if !out.enabled(desc) {
                continue;
            }
            match src.read_into(path, &mut self.buf) {
                Ok(()) => match parse_counter(self.buf.trim()) {
                    Some(value) => out.metric(desc).point(&[], to_int(value)),
                    None => {
                        first_error.get_or_insert_with(|| {
                            CollectError::malformed(
                                path,
                                Some(1),
                                format!("expected a number, found \"{}\"", self.buf.trim()),
                            )
                        });
                    }
                },
                // nf_conntrack not loaded: optional (spec/metrics.md §7).
                Err(ReadError::NotFound) => {
                    if self.absence_noted.first() {
                        log::debug!(
                            "network: {}: not found (nf_conntrack not loaded)",
                            path.display()
                        );
                    }
                }
                Err(e) => {
                    first_error.get_or_insert_with(|| CollectError::read(path, e));
                }
            }
        }
        first_error
    }
}
