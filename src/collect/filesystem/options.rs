//! Options of the `filesystem` collector and their defaults (spec/metrics.md §6.2, §6.3).
//!
//! Reads: nothing (config fills `Options` from the flags). Emits: the default filters and
//! statfs timeout.

use crate::filter::{Filter, Pattern};
use std::time::Duration;

/// The `--filesystem-include-type` keyword for types that need a block device, plus zfs.
pub const PHYSICAL: &str = "physical";
/// Default `--filesystem-exclude-type`: images are always 100 % full (spec/metrics.md §6.2).
pub const DEFAULT_TYPE_EXCLUDE: [&str; 4] = ["squashfs", "iso9660", "erofs", "udf"];
/// Default `--filesystem-exclude-mountpoint` (spec/metrics.md §6.2): container and kubelet
/// volume paths, and the single files container runtimes bind into every container (Docker,
/// Podman and Kubernetes: they only repeat the host disk holding them).
pub const DEFAULT_MOUNTPOINT_EXCLUDE: [&str; 2] = [
    "re:^/(var/lib/docker|var/lib/containers/storage|var/lib/kubelet/pods|run/containerd|run/credentials)/",
    r"re:^/etc/(hosts|hostname|resolv\.conf)$",
];
/// Default `--statfs-timeout` (node_exporter's), capped at half the interval.
pub const DEFAULT_STATFS_TIMEOUT: Duration = Duration::from_secs(5);

/// Options of the `filesystem` collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// On the file system type; the include keyword `physical` is resolved by the collector.
    pub types: Filter,
    /// On the mount point (host path).
    pub mountpoints: Filter,
    /// Longest wait for one statfs, already capped at half the interval.
    pub statfs_timeout: Duration,
    /// Mounts statted and reported per tick, in mount table order (`collect::cap::Cap`).
    pub max_mounts: usize,
}

/// Default `--max-mounts`: mounts reported per tick (up to 6 points each), after the filters.
pub const DEFAULT_MAX_MOUNTS: usize = 1024;

impl Default for Options {
    fn default() -> Self {
        let patterns = |texts: &[&str]| {
            texts
                .iter()
                .filter_map(|t| Pattern::parse(t).ok())
                .collect()
        };
        Options {
            types: Filter {
                include: patterns(&[PHYSICAL]),
                exclude: patterns(&DEFAULT_TYPE_EXCLUDE),
            },
            mountpoints: Filter {
                include: Vec::new(),
                exclude: patterns(&DEFAULT_MOUNTPOINT_EXCLUDE),
            },
            statfs_timeout: DEFAULT_STATFS_TIMEOUT,
            max_mounts: DEFAULT_MAX_MOUNTS,
        }
    }
}
