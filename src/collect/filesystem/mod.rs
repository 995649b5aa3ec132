//! Space and inodes of the mounted file systems, safe against hung mounts.
//!
//! Reads: `<root>/proc/1/mountinfo` (the host's mount table; if unreadable,
//! `<root>/proc/self/mountinfo` restricted to mount points under `<root>`, prefix cut),
//! `<root>/proc/filesystems` (which types need a block device), `<root>/sys/dev/block/M:m/uevent`
//! (`DEVNAME=`, sysfs-dev ABI), and `statfs(2)` of `<root>/<mount point>` through the
//! `Statfs` seam on a helper thread with a timeout ([`statfs_worker`], spec/metrics.md §6.3).
//! Emits: `system.filesystem.usage` (state used, free, reserved; By) and
//! `system.filesystem.inodes.usage` (state used, free; {inodes}), UpDownCounters of int;
//! `system.filesystem.utilization` (Gauge, 1, double; off by default); attributes device,
//! mode, mountpoint, type (then state), spec/metrics.md §3.5.
//! Input:
//! ```text
//! 27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard        (mountinfo, see mountinfo.rs)
//! nodev<TAB>tmpfs                                              (proc/filesystems: flags, tab, name)
//! <TAB>ext4
//! DEVNAME=vda                                                  (sys/dev/block/254:0/uevent)
//! ```
//!
//! Live, the host's table is parsed again only when it polls `POLLPRI` or a statfs says ENOENT.
//!
//! Which mounts: the last entry of each mount point (an over-mount hides the ones below,
//! and statfs sees the top; this also dedups (device, mountpoint)); bind mounts at other
//! mount points stay separate. Then the type filter, where the include keyword `physical`
//! means a type listed in `proc/filesystems` without `nodev`, or zfs (out-of-tree, so not
//! listed until loaded), with mount source `none` dropped (gopsutil's `all=false` rule that
//! hostmetrics uses); then the excludes and the mount point filter (§6.2), and at most
//! `--max-mounts` (1024) of what is left, in table order (`Cap`). Local types are
//! statted first, network types (nfs, cifs, fuse.*, …) last, so a hung server delays no
//! local mount; points are emitted in mount table order.
//!
//! Values, with `S = f_frsize` (`f_bsize` if 0; ext4 may report bsize 4096 with frsize
//! 512, and the counts are in frsize units, statvfs(3)): used = (blocks − bfree)·S,
//! free = bavail·S, reserved = (bfree − bavail)·S, so they sum to blocks·S; inodes used =
//! files − ffree, free = ffree, none when files = 0 (btrfs, vfat have no inode limit);
//! utilization = used/(used + free), df's Use%.
//!
//! Log lines (§6.3, §7): a statfs timeout is one WARN, its return one INFO; EACCES, EPERM
//! and ENOENT (`/run/user/*` FUSE, vanished mounts) are debug only; another errno (ESTALE,
//! ENOTCONN, EIO) is one WARN per mount until it works again (one INFO).

pub mod device;
pub mod kinds;
pub mod mountinfo;
pub mod options;
pub mod space;
pub mod statfs_worker;

pub use device::parse_uevent_devname;
use device::resolve_device;
pub use kinds::{is_block_type, is_network_type, is_physical};
pub use options::{
    DEFAULT_MAX_MOUNTS, DEFAULT_MOUNTPOINT_EXCLUDE, DEFAULT_STATFS_TIMEOUT, DEFAULT_TYPE_EXCLUDE,
    Options, PHYSICAL,
};
pub use space::{FsValues, Space, fs_values};

use self::mountinfo::{cut_root, parse_mountinfo_line};
use self::statfs_worker::{Answer, MAX_ABANDONED, MountFailure, StatfsWorker};
use super::cap::Cap;
use super::text::unescape_octal;
use super::{Collect, CollectError, read_required};
use crate::filter::{Filter, Pattern};
use crate::otlp::Builder;
use crate::report::{Once, Report};
use crate::schedule::Tick;
use crate::semconv;
use crate::source::{FsStats, Source, Statfs};
use std::ffi::OsString;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// What this collector emits (the registry's list), in table order.
pub const METRICS: &[&semconv::Info] = &[
    &semconv::SYSTEM_FILESYSTEM_USAGE.info,
    &semconv::SYSTEM_FILESYSTEM_INODES_USAGE.info,
    &semconv::SYSTEM_FILESYSTEM_UTILIZATION.info,
];

/// One mount table entry, kept between runs so its strings are reused.
#[derive(Debug, Default)]
struct Mount {
    /// Field 3, `M:m`.
    major_minor: String,
    /// Mount source, unescaped.
    source: String,
    /// Host mount point, unescaped (prefix cut in the fallback).
    mountpoint: String,
    fstype: String,
    mode: &'static str,
    /// `device` attribute: `/dev/<DEVNAME>` or the source.
    device: String,
    /// A later entry has the same mount point.
    shadowed: bool,
    /// Passes the filters.
    selected: bool,
    /// This run's statfs answer.
    stats: Option<FsStats>,
}

/// The `filesystem` collector.
pub struct Filesystem {
    host_table: PathBuf,
    own_table: PathBuf,
    filesystems_path: PathBuf,
    block_dir: OsString,
    /// `<root>` for statfs paths.
    root: OsString,
    /// `<root>` resolved, without a trailing `/` (unless `/`), for the fallback's cut.
    root_prefix: String,
    types: Filter,
    mountpoints: Filter,
    cap: Cap,
    /// The type include list has the `physical` keyword: `proc/filesystems` is needed.
    physical_keyword: bool,
    table: String,
    /// `table` is the host's (`proc/1/mountinfo`), parsed whole into `mounts`.
    host_table_parsed: bool,
    filesystems: String,
    uevent: String,
    uevent_path: OsString,
    mounts: Vec<Mount>,
    len: usize,
    order: Vec<usize>,
    worker: StatfsWorker,
    /// Mounts whose statfs fails or hangs, and this collector's one-time notes.
    report: Report<MountFailure>,
    saturation_warned: Once,
    spawn_warned: Once,
    fallback_noted: Once,
    overlay_noted: Once,
}

impl Filesystem {
    pub fn new(src: &Source, options: &Options) -> Self {
        Self::with_statfs(src, options, src.statfs())
    }

    /// Like `new`, asking `statfs` instead of the source's seam (fault injection in tests).
    pub fn with_statfs(src: &Source, options: &Options, statfs: Arc<dyn Statfs>) -> Self {
        let root = src.path("");
        let resolved = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
        let mut root_prefix = resolved.to_string_lossy().into_owned();
        while root_prefix.len() > 1 && root_prefix.ends_with('/') {
            root_prefix.pop();
        }
        Filesystem {
            host_table: src.path("proc/1/mountinfo"),
            own_table: src.path("proc/self/mountinfo"),
            filesystems_path: src.path("proc/filesystems"),
            block_dir: src.path("sys/dev/block").into_os_string(),
            root: root.into_os_string(),
            root_prefix,
            physical_keyword: options.types.include.iter().any(|p| p.is_keyword(PHYSICAL)),
            types: options.types.clone(),
            mountpoints: options.mountpoints.clone(),
            cap: Cap::new(options.max_mounts, "mounts", "--max-mounts"),
            table: String::new(),
            host_table_parsed: false,
            filesystems: String::new(),
            uevent: String::new(),
            uevent_path: OsString::new(),
            mounts: Vec::new(),
            len: 0,
            order: Vec::new(),
            worker: StatfsWorker::new(statfs, options.statfs_timeout),
            report: Report::new("statfs "),
            saturation_warned: Once::default(),
            spawn_warned: Once::default(),
            fallback_noted: Once::default(),
            overlay_noted: Once::default(),
        }
    }

    /// Reads the mount table into `self.table`; true when it is the agent's own
    /// (`proc/self`), whose mount points must be cut to the root.
    fn read_table(&mut self, src: &Source) -> Result<bool, CollectError> {
        let host_error = match src.read_into(&self.host_table, &mut self.table) {
            Ok(()) => return Ok(false),
            Err(e) => e,
        };
        read_required(src, &self.own_table, &mut self.table)?;
        if self.fallback_noted.first() {
            self.report.notes.note(
                log::Level::Debug,
                format_args!(
                    "{}: {host_error}; using {} restricted to {}",
                    self.host_table.display(),
                    self.own_table.display(),
                    self.root_prefix
                ),
            );
        }
        Ok(true)
    }

    /// Fills the mount slots from `self.table`; the first malformed line is returned.
    fn parse_table(&mut self, own: bool) -> Option<CollectError> {
        let mut bad = None;
        self.len = 0;
        for (index, line) in self.table.lines().enumerate() {
            if line.is_empty() {
                continue;
            }
            let parsed = match parse_mountinfo_line(line) {
                Ok(parsed) => parsed,
                Err(what) => {
                    let table = if own {
                        &self.own_table
                    } else {
                        &self.host_table
                    };
                    bad.get_or_insert_with(|| {
                        CollectError::malformed(
                            table,
                            Some(index + 1),
                            format!("{what}, found \"{line}\""),
                        )
                    });
                    continue;
                }
            };
            if self.mounts.len() <= self.len {
                self.mounts.resize_with(self.len + 1, Mount::default);
            }
            let Some(m) = self.mounts.get_mut(self.len) else {
                continue;
            };
            m.mountpoint.clear();
            unescape_octal(parsed.mount_point, &mut m.mountpoint);
            if own && !cut_root(&mut m.mountpoint, &self.root_prefix) {
                continue;
            }
            set(&mut m.major_minor, parsed.major_minor);
            m.source.clear();
            unescape_octal(parsed.source, &mut m.source);
            set(&mut m.fstype, parsed.fstype);
            m.mode = parsed.mode;
            m.shadowed = false;
            m.selected = false;
            m.stats = None;
            self.len += 1;
        }
        bad
    }

    /// Marks every entry that a later entry at the same mount point hides.
    fn mark_shadowed(&mut self) {
        let mounts = self.mounts.get_mut(..self.len).unwrap_or_default();
        self.order.clear();
        self.order.extend(0..mounts.len());
        self.order.sort_unstable_by(|&a, &b| {
            mounts[a]
                .mountpoint
                .cmp(&mounts[b].mountpoint)
                .then(a.cmp(&b))
        });
        for pair in self.order.windows(2) {
            if let [below, above] = *pair {
                if mounts[below].mountpoint == mounts[above].mountpoint {
                    mounts[below].shadowed = true;
                }
            }
        }
    }

    /// Asks statfs about mount `index` and reports what the answer calls for.
    fn stat(&mut self, index: usize) {
        let Some(m) = self.mounts.get_mut(index) else {
            return;
        };
        let mp = m.mountpoint.as_str();
        let now = Instant::now();
        match self.worker.stat(mp, &self.root) {
            Answer::Stats(stats) => {
                m.stats = Some(stats);
                self.report.succeeded(mp, now, "");
            }
            // Gone without a mount change (a parent renamed: no POLLPRI): read the table again.
            Answer::Failed(e) if is_quiet(&e) => {
                self.host_table_parsed = false;
                self.report
                    .notes
                    .note(log::Level::Debug, format_args!("statfs {mp}: {e}"));
            }
            Answer::Failed(e) => {
                self.report
                    .failed(log::Level::Warn, mp, MountFailure::Errno(e), now);
            }
            Answer::TimedOut => {
                let timeout = self.worker.timeout();
                self.report
                    .failed(log::Level::Warn, mp, MountFailure::TimedOut(timeout), now);
            }
            Answer::Pending => {}
            Answer::Saturated => {
                if self.saturation_warned.first() {
                    self.report.notes.note(
                        log::Level::Warn,
                        format_args!(
                            "statfs: {MAX_ABANDONED} calls are hung; skipping {mp} and every further mount until one returns"
                        ),
                    );
                }
            }
            Answer::NoHelper(e) => {
                if self.spawn_warned.first() {
                    self.report.notes.note(
                        log::Level::Warn,
                        format_args!(
                            "cannot start the statfs helper thread: {e}; skipping {mp} and the mounts after it"
                        ),
                    );
                }
            }
        }
    }

    fn emit(&self, out: &mut Builder) {
        let mounts = self.mounts.get(..self.len).unwrap_or_default();
        let values = || {
            mounts
                .iter()
                .filter_map(|m| m.stats.as_ref().map(|st| (m, fs_values(st))))
        };
        {
            let mut usage = out.metric(&semconv::SYSTEM_FILESYSTEM_USAGE);
            for (m, v) in values() {
                if let Some(space) = v.space {
                    usage.point(&with_state(m, semconv::USED), space.used);
                    usage.point(&with_state(m, semconv::FREE), space.free);
                    usage.point(&with_state(m, semconv::RESERVED), space.reserved);
                }
            }
        }
        {
            let mut inodes = out.metric(&semconv::SYSTEM_FILESYSTEM_INODES_USAGE);
            for (m, v) in values() {
                if let Some((used, free)) = v.inodes {
                    inodes.point(&with_state(m, semconv::USED), used);
                    inodes.point(&with_state(m, semconv::FREE), free);
                }
            }
        }
        if out.enabled(&semconv::SYSTEM_FILESYSTEM_UTILIZATION) {
            let mut utilization = out.metric(&semconv::SYSTEM_FILESYSTEM_UTILIZATION);
            for (m, v) in values() {
                if let Some(ratio) = v.space.and_then(|s| s.utilization()) {
                    utilization.point(&attributes(m), ratio);
                }
            }
        }
    }
}

/// The attributes of a mount's points, in table order (spec/metrics.md §3.5).
fn attributes(m: &Mount) -> [(&'static str, &str); 4] {
    [
        (semconv::DEVICE, m.device.as_str()),
        (semconv::MODE, m.mode),
        (semconv::MOUNTPOINT, m.mountpoint.as_str()),
        (semconv::TYPE, m.fstype.as_str()),
    ]
}

/// `attributes` and `state`.
fn with_state<'a>(m: &'a Mount, state: &'static str) -> [(&'static str, &'a str); 5] {
    let [device, mode, mountpoint, fstype] = attributes(m);
    [device, mode, mountpoint, fstype, (semconv::STATE, state)]
}

/// EACCES, EPERM, ENOENT: expected noise (spec/metrics.md §6.3 rule 6).
fn is_quiet(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::PermissionDenied | io::ErrorKind::NotFound
    )
}

fn set(target: &mut String, value: &str) {
    target.clear();
    target.push_str(value);
}

impl Collect for Filesystem {
    fn collect(
        &mut self,
        src: &Source,
        _tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        // Late results first: a mount whose call returned is asked normally below.
        let report = &mut self.report;
        self.worker.drain(|mp| {
            report.succeeded(mp, Instant::now(), "");
        });
        if self.worker.abandoned() < MAX_ABANDONED {
            self.saturation_warned.reset();
        }

        // Last tick's parse while the kept table polls quiet; choices and stats made afresh.
        let mut failure = None;
        if self.host_table_parsed && !src.mount_table_changed(&self.host_table) {
            for m in self.mounts.iter_mut().take(self.len) {
                m.selected = false;
                m.stats = None;
            }
        } else {
            let own = self.read_table(src)?;
            failure = self.parse_table(own);
            self.mark_shadowed();
            self.host_table_parsed = !own && failure.is_none();
        }

        let physical_known = if self.physical_keyword {
            match src.read_into(&self.filesystems_path, &mut self.filesystems) {
                Ok(()) => true,
                Err(e) => {
                    failure.get_or_insert_with(|| CollectError::read(&self.filesystems_path, e));
                    false
                }
            }
        } else {
            false
        };

        let live_root = !src.is_custom_root();
        self.cap.begin();
        for m in self.mounts.iter_mut().take(self.len) {
            if m.shadowed {
                continue;
            }
            let physical =
                physical_known && m.source != "none" && is_physical(&self.filesystems, &m.fstype);
            let keyword = |p: &Pattern| p.is_keyword(PHYSICAL) && physical;
            m.selected = self.types.allows_with(&m.fstype, keyword)
                && self.mountpoints.allows(&m.mountpoint);
            if !m.selected && live_root && physical_known && !physical && m.mountpoint == "/" {
                if self.overlay_noted.first() {
                    self.report.notes.note(
                        log::Level::Info,
                        format_args!(
                            "/ is {}, not a block device file system (a container without --root-path?): no filesystem points for it",
                            m.fstype
                        ),
                    );
                }
                continue;
            }
            if !m.selected {
                continue;
            }
            if !self.cap.admit() {
                m.selected = false;
                continue;
            }
            let resolved = m.source.starts_with("/dev/")
                && resolve_device(
                    src,
                    &self.block_dir,
                    &mut self.uevent_path,
                    &mut self.uevent,
                    &m.major_minor,
                    &mut m.device,
                );
            if !resolved {
                set(&mut m.device, &m.source);
            }
        }

        self.cap.end("filesystem");

        // Local file systems first: a dead server must not delay them.
        for network in [false, true] {
            for index in 0..self.len {
                let wanted = self
                    .mounts
                    .get(index)
                    .is_some_and(|m| m.selected && is_network_type(&m.fstype) == network);
                if wanted {
                    self.stat(index);
                }
            }
        }

        self.emit(out);

        // Forget failures of mounts that are gone (bounded under mount churn); a hung one
        // stays until its call returns.
        let mounts = self.mounts.get(..self.len).unwrap_or_default();
        let worker = &self.worker;
        self.report.retain(|f| {
            worker.is_stuck(f) || mounts.iter().any(|m| m.selected && m.mountpoint == f)
        });
        failure.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests;
