//! `statfs(2)` off the main loop, with a timeout (spec/metrics.md §6.3).
//!
//! Reads: nothing itself; calls the `Statfs` seam of `source` (live `statvfs`, or the
//! fixture's table) on a helper thread.
//! Emits: one [`Answer`] per mount asked, and the mount points whose abandoned calls came
//! back ([`StatfsWorker::drain`]).
//!
//! A `statfs` on a dead NFS server or a stuck FUSE daemon blocks in the kernel, often in an
//! uninterruptible (D) sleep that no signal ends. So the call runs on one long-lived helper
//! thread (64 KiB stack) fed over a channel, and the loop waits for each answer with
//! `recv_timeout`. On a timeout the mount is *stuck*: the blocked helper is abandoned (it
//! cannot be cancelled), a fresh one is started for the other mounts, and the stuck mount
//! is not asked again while its call is pending, so one hung mount costs one thread, not
//! one per tick. When the call finally returns, the abandoned thread posts its late result
//! and exits; `drain` at the start of the next run clears the mark. At most
//! [`MAX_ABANDONED`] threads are abandoned: with that many hung, no helper is started and
//! every further mount is skipped until one returns.
//!
//! Channels are `sync_channel(1)`: their one slot is allocated with the channel, so a
//! steady tick sends and receives without allocating; the `Job` buffers (mount point and
//! path) travel to the helper and back and are reused.

use crate::report::Failure;
use crate::source::{FsStats, Statfs};
use crate::units::display as display_duration;
use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::thread;
use std::time::Duration;

/// Abandoned helper threads allowed at once (spec/metrics.md §6.3 rule 4).
pub const MAX_ABANDONED: usize = 4;
/// Stack of a helper thread: it makes one system call and formats nothing.
const STACK_SIZE: usize = 64 * 1024;
/// Spare `Job` buffers kept for reuse (one in flight, the rest with abandoned threads).
const MAX_SPARE: usize = MAX_ABANDONED + 1;

/// One question to the helper: the host mount point (the fixture's key) and its path
/// under the root (what the kernel is asked about).
#[derive(Debug, Default)]
struct Job {
    mountpoint: String,
    path: PathBuf,
}

/// The helper's answer, with the job's buffers for reuse.
#[derive(Debug)]
struct Reply {
    job: Job,
    result: io::Result<FsStats>,
}

/// The running helper thread's two channel ends.
#[derive(Debug)]
struct Helper {
    jobs: SyncSender<Job>,
    replies: Receiver<Reply>,
}

/// A helper blocked in a call that timed out; its job sender is dropped, so once the call
/// returns it posts the reply and exits.
#[derive(Debug)]
struct Abandoned {
    mountpoint: String,
    replies: Receiver<Reply>,
}

/// Why statfs of one mount is being skipped: rate-limited by `report` per mount point.
#[derive(Debug)]
pub enum MountFailure {
    /// An errno other than the quiet ones (ESTALE, ENOTCONN, EIO): retried every cycle.
    Errno(io::Error),
    /// No answer within the timeout: not asked again until the call returns.
    TimedOut(Duration),
}

impl fmt::Display for MountFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MountFailure::Errno(e) => write!(f, "{e}; skipping it while this lasts"),
            MountFailure::TimedOut(after) => write!(
                f,
                "timed out after {}; skipping until it returns",
                display_duration(*after)
            ),
        }
    }
}

impl Failure for MountFailure {
    fn same_class(&self, other: &MountFailure) -> bool {
        match (self, other) {
            (MountFailure::Errno(a), MountFailure::Errno(b)) => a.kind() == b.kind(),
            (MountFailure::TimedOut(_), MountFailure::TimedOut(_)) => true,
            _ => false,
        }
    }
}

/// What came of asking about one mount.
#[derive(Debug)]
pub enum Answer {
    /// The call returned these numbers within the timeout.
    Stats(FsStats),
    /// The call failed with this error within the timeout.
    Failed(io::Error),
    /// The call did not return within the timeout: the mount is now stuck.
    TimedOut,
    /// The mount is stuck since an earlier run; not asked.
    Pending,
    /// [`MAX_ABANDONED`] calls are hung; not asked.
    Saturated,
    /// No helper thread could be started (the error of `thread::Builder::spawn`).
    NoHelper(io::Error),
}

/// The helper thread and the calls abandoned to hung mounts.
pub struct StatfsWorker {
    statfs: Arc<dyn Statfs>,
    timeout: Duration,
    helper: Option<Helper>,
    abandoned: Vec<Abandoned>,
    spare: Vec<Job>,
}

impl StatfsWorker {
    /// A worker asking `statfs`, waiting at most `timeout` per call. The helper thread
    /// starts with the first call.
    pub fn new(statfs: Arc<dyn Statfs>, timeout: Duration) -> StatfsWorker {
        StatfsWorker {
            statfs,
            timeout,
            helper: None,
            abandoned: Vec::new(),
            spare: Vec::new(),
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Helper threads blocked in a timed-out call.
    pub fn abandoned(&self) -> usize {
        self.abandoned.len()
    }

    /// True while a timed-out call on `mountpoint` has not returned.
    pub fn is_stuck(&self, mountpoint: &str) -> bool {
        self.abandoned.iter().any(|a| a.mountpoint == mountpoint)
    }

    /// Collects the late results of abandoned calls: `returned` gets each mount point whose
    /// call has come back (its thread has exited or is exiting), which is stuck no more.
    pub fn drain(&mut self, mut returned: impl FnMut(&str)) {
        let spare = &mut self.spare;
        self.abandoned.retain(|a| match a.replies.try_recv() {
            Ok(reply) => {
                returned(&a.mountpoint);
                if spare.len() < MAX_SPARE {
                    spare.push(reply.job);
                }
                false
            }
            Err(TryRecvError::Empty) => true,
            // The thread ended without a reply (a panicking `Statfs`): not hung either.
            Err(TryRecvError::Disconnected) => {
                returned(&a.mountpoint);
                false
            }
        });
    }

    /// Asks about `mountpoint` (host path) at `<root>/<mountpoint>`, waiting at most the
    /// timeout.
    pub fn stat(&mut self, mountpoint: &str, root: &OsStr) -> Answer {
        if self.is_stuck(mountpoint) {
            return Answer::Pending;
        }
        let helper = match self.helper.take() {
            Some(helper) => helper,
            None if self.abandoned.len() >= MAX_ABANDONED => return Answer::Saturated,
            None => match spawn(Arc::clone(&self.statfs)) {
                Ok(helper) => helper,
                Err(e) => return Answer::NoHelper(e),
            },
        };
        let mut job = self.spare.pop().unwrap_or_default();
        job.mountpoint.clear();
        job.mountpoint.push_str(mountpoint);
        job.path.as_mut_os_string().clear();
        job.path.push(root);
        job.path.push(mountpoint.trim_start_matches('/'));
        // The slot is free: the helper took the previous job before answering it.
        if helper.jobs.try_send(job).is_err() {
            // The helper is gone (a panicking `Statfs`); the next call starts another.
            return Answer::Failed(io::Error::other("the statfs helper thread exited"));
        }
        match helper.replies.recv_timeout(self.timeout) {
            Ok(reply) => {
                self.helper = Some(helper);
                let result = reply.result;
                if self.spare.len() < MAX_SPARE {
                    self.spare.push(reply.job);
                }
                match result {
                    Ok(stats) => Answer::Stats(stats),
                    Err(e) => Answer::Failed(e),
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                // Dropping `helper.jobs` lets the thread exit once its call returns.
                self.abandoned.push(Abandoned {
                    mountpoint: mountpoint.to_string(),
                    replies: helper.replies,
                });
                Answer::TimedOut
            }
            Err(RecvTimeoutError::Disconnected) => {
                Answer::Failed(io::Error::other("the statfs helper thread exited"))
            }
        }
    }
}

/// Starts a helper thread answering jobs until its job sender is dropped.
fn spawn(statfs: Arc<dyn Statfs>) -> io::Result<Helper> {
    let (jobs, job_rx) = mpsc::sync_channel::<Job>(1);
    let (reply_tx, replies) = mpsc::sync_channel::<Reply>(1);
    thread::Builder::new()
        .name("statfs".into())
        .stack_size(STACK_SIZE)
        .spawn(move || {
            while let Ok(job) = job_rx.recv() {
                let result = statfs.statfs(&job.mountpoint, &job.path);
                if reply_tx.send(Reply { job, result }).is_err() {
                    return;
                }
            }
        })?;
    Ok(Helper { jobs, replies })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::sync::{Condvar, Mutex};

    /// Answers every mount at once, except those in `hang`, which block until released.
    #[derive(Default)]
    struct Gate {
        hang: Vec<&'static str>,
        released: Mutex<bool>,
        opened: Condvar,
        asked: Mutex<Vec<(String, PathBuf)>>,
    }

    impl Gate {
        fn release(&self) {
            *self.released.lock().unwrap() = true;
            self.opened.notify_all();
        }
        fn calls(&self, mountpoint: &str) -> usize {
            let asked = self.asked.lock().unwrap();
            asked.iter().filter(|(m, _)| m == mountpoint).count()
        }
    }

    impl Statfs for Gate {
        fn statfs(&self, mountpoint: &str, path: &Path) -> io::Result<FsStats> {
            self.asked
                .lock()
                .unwrap()
                .push((mountpoint.to_string(), path.to_path_buf()));
            if self.hang.contains(&mountpoint) {
                let mut released = self.released.lock().unwrap();
                while !*released {
                    released = self.opened.wait(released).unwrap();
                }
            }
            if mountpoint == "/gone" {
                return Err(io::Error::from_raw_os_error(2));
            }
            Ok(FsStats {
                blocks: 10,
                ..FsStats::default()
            })
        }
    }

    fn worker(gate: &Arc<Gate>) -> StatfsWorker {
        StatfsWorker::new(
            Arc::clone(gate) as Arc<dyn Statfs>,
            Duration::from_millis(30),
        )
    }

    /// Drains until `n` mounts have returned (the helpers post a moment after release).
    fn drain_until(w: &mut StatfsWorker, n: usize) -> Vec<String> {
        let mut back = Vec::new();
        for _ in 0..500 {
            w.drain(|m| back.push(m.to_string()));
            if back.len() >= n {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        back
    }

    #[test]
    fn paths_are_under_the_root() {
        let gate = Arc::new(Gate::default());
        let mut w = worker(&gate);
        assert!(matches!(w.stat("/", OsStr::new("/host")), Answer::Stats(s) if s.blocks == 10));
        assert!(matches!(
            w.stat("/mnt/my disk", OsStr::new("/host")),
            Answer::Stats(_)
        ));
        assert!(matches!(w.stat("/data", OsStr::new("/")), Answer::Stats(_)));
        let asked = gate.asked.lock().unwrap();
        let paths: Vec<&Path> = asked.iter().map(|(_, p)| p.as_path()).collect();
        assert_eq!(
            paths,
            [
                Path::new("/host/"),
                Path::new("/host/mnt/my disk"),
                Path::new("/data")
            ]
        );
    }

    #[test]
    fn errors_come_back_as_errors() {
        let gate = Arc::new(Gate::default());
        let mut w = worker(&gate);
        assert!(
            matches!(w.stat("/gone", OsStr::new("/")), Answer::Failed(e) if e.kind() == io::ErrorKind::NotFound)
        );
        assert_eq!(w.abandoned(), 0);
    }

    #[test]
    fn a_hung_mount_is_asked_once_until_it_returns() {
        let gate = Arc::new(Gate {
            hang: vec!["/mnt/nas"],
            ..Gate::default()
        });
        let mut w = worker(&gate);
        assert!(matches!(
            w.stat("/mnt/nas", OsStr::new("/")),
            Answer::TimedOut
        ));
        assert!(w.is_stuck("/mnt/nas"));
        // A fresh helper answers the others.
        assert!(matches!(w.stat("/", OsStr::new("/")), Answer::Stats(_)));
        assert!(matches!(
            w.stat("/mnt/nas", OsStr::new("/")),
            Answer::Pending
        ));
        assert_eq!(gate.calls("/mnt/nas"), 1);
        let mut back = Vec::new();
        w.drain(|m| back.push(m.to_string()));
        assert!(back.is_empty(), "still hung");
        gate.release();
        assert_eq!(drain_until(&mut w, 1), ["/mnt/nas"]);
        assert!(!w.is_stuck("/mnt/nas"));
        assert!(matches!(
            w.stat("/mnt/nas", OsStr::new("/")),
            Answer::Stats(_)
        ));
        assert_eq!(gate.calls("/mnt/nas"), 2);
    }

    #[test]
    fn at_most_four_threads_are_abandoned() {
        let gate = Arc::new(Gate {
            hang: vec!["/a", "/b", "/c", "/d", "/e"],
            ..Gate::default()
        });
        let mut w = worker(&gate);
        for m in ["/a", "/b", "/c", "/d"] {
            assert!(
                matches!(w.stat(m, OsStr::new("/")), Answer::TimedOut),
                "{m}"
            );
        }
        assert_eq!(w.abandoned(), MAX_ABANDONED);
        // No fifth thread: neither a hanging nor a healthy mount is asked.
        assert!(matches!(w.stat("/e", OsStr::new("/")), Answer::Saturated));
        assert!(matches!(w.stat("/", OsStr::new("/")), Answer::Saturated));
        assert_eq!(gate.calls("/e") + gate.calls("/"), 0);
        gate.release();
        let mut back = drain_until(&mut w, 4);
        back.sort();
        assert_eq!(back, ["/a", "/b", "/c", "/d"]);
        assert!(matches!(w.stat("/e", OsStr::new("/")), Answer::Stats(_)));
    }
}
