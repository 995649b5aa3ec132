//! The `filesystem` collector through the binary: hand-computed values of the fixtures
//! (fixtures/fs-edge/README.md, fixtures/fs-x86/README.md), the fixture's hung NFS mount
//! (spec/metrics.md §9.13), and a real hung FUSE mount on this machine's live root.

use crate::util::agent::request_for;
use crate::util::agent::{Agent, at_level, lines_of, signal};
use crate::util::otlp::{Point, find, points};
use crate::util::{scratch, skip_or_fail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const FS: &[&str] = &["--collectors", "filesystem"];

fn value(points: &[Point], name: &str, attrs: &str) -> Option<u64> {
    find(points, name, attrs).and_then(|p| p.value.as_str()?.parse().ok())
}

fn mountpoints(points: &[Point], name: &str) -> Vec<String> {
    let mut mps: Vec<String> = points
        .iter()
        .filter(|p| p.name == name)
        .filter_map(|p| {
            p.attrs
                .split(',')
                .find_map(|kv| kv.strip_prefix("mountpoint="))
                .map(String::from)
        })
        .collect();
    mps.dedup();
    mps
}

#[test]
fn edge_values_computed_by_hand() {
    let (request, stderr) = request_for("fs-edge", FS);
    let p = points(&request);
    assert_eq!(
        mountpoints(&p, "system.filesystem.usage"),
        [
            "/",
            "/home",
            "/data",
            "/srv/www",
            "/mnt/my disk",
            "/mnt/usb"
        ]
    );
    let usage = |attrs: &str, state: &str| {
        value(
            &p,
            "system.filesystem.usage",
            &format!("{attrs},state={state}"),
        )
    };
    // §9.12: /mnt/my\040disk; statfs under "/mnt/my disk".
    let disk = "device=/dev/sda1,mode=rw,mountpoint=/mnt/my disk,type=ext4";
    assert_eq!(usage(disk, "used"), Some(44_190_646 * 4096));
    assert_eq!(usage(disk, "free"), Some(187_790_000 * 4096));
    assert_eq!(usage(disk, "reserved"), Some(12_210_000 * 4096));
    // /dev/root resolved through sys/dev/block/179:2/uevent; the spec §8.2 numbers.
    let root = "device=/dev/mmcblk0p2,mode=rw,mountpoint=/,type=ext4";
    assert_eq!(usage(root, "used"), Some(10_450_567_168));
    assert_eq!(usage(root, "free"), Some(18_992_381_952));
    assert_eq!(usage(root, "reserved"), Some(1_583_095_808));
    // §9.14: bsize 4096, frsize 512 → 512-byte units; the sum is blocks·512.
    let data = "device=/dev/dm-0,mode=rw,mountpoint=/data,type=xfs";
    let sum: Vec<u64> = ["used", "free", "reserved"]
        .iter()
        .filter_map(|s| usage(data, s))
        .collect();
    assert_eq!(sum, [204_800_000, 281_600_000, 25_600_000]);
    assert_eq!(sum.iter().sum::<u64>(), 1_000_000 * 512);
    // Over-mount: the top entry only.
    assert_eq!(
        usage(
            "device=/dev/sdc1,mode=ro,mountpoint=/mnt/usb,type=ext4",
            "used"
        ),
        Some(750 * 4096)
    );
    assert_eq!(
        usage(
            "device=/dev/sdb1,mode=rw,mountpoint=/mnt/usb,type=vfat",
            "used"
        ),
        None
    );
    // btrfs, files = 0: space but no inode points.
    assert_eq!(
        mountpoints(&p, "system.filesystem.inodes.usage"),
        ["/", "/data", "/srv/www", "/mnt/my disk", "/mnt/usb"]
    );
    // /boot answers EACCES: silent. Nothing else to say either.
    assert!(at_level(stderr.lines(), "WARN").is_empty(), "{stderr}");
}

#[test]
fn issue_9_13_hung_nfs_in_the_binary_costs_one_warn() {
    let flags = [
        "--collectors",
        "filesystem",
        "--filesystem-include-type",
        "physical",
        "--filesystem-include-type",
        "nfs4",
        "--statfs-timeout",
        "50ms",
    ];
    let (request, stderr) = request_for("fs-edge", &flags);
    let p = points(&request);
    assert_eq!(
        mountpoints(&p, "system.filesystem.usage"),
        [
            "/",
            "/home",
            "/data",
            "/srv/www",
            "/mnt/my disk",
            "/mnt/usb"
        ],
        "the other mounts' points, none for /mnt/nas"
    );
    let warns = at_level(stderr.lines(), "WARN");
    assert_eq!(warns.len(), 1, "{stderr}");
    assert!(
        warns[0].ends_with("WARN statfs /mnt/nas: timed out after 50ms; skipping until it returns"),
        "{stderr}"
    );
}

#[test]
fn x86_root_matches_df() {
    // fixtures/fs-x86/README.md: S = 4096, sum = df's size 270553174016.
    let (request, _) = request_for("fs-x86", FS);
    let p = points(&request);
    let root = "device=/dev/vda,mode=rw,mountpoint=/,type=ext4";
    let get = |name: &str, state: &str| value(&p, name, &format!("{root},state={state}"));
    let usage = "system.filesystem.usage";
    assert_eq!(get(usage, "used"), Some(14_756_024_320));
    assert_eq!(get(usage, "free"), Some(82_816_724_992));
    assert_eq!(get(usage, "reserved"), Some(172_980_424_704));
    assert_eq!(
        get(usage, "used").unwrap() + get(usage, "free").unwrap() + get(usage, "reserved").unwrap(),
        270_553_174_016
    );
    assert_eq!(get("system.filesystem.inodes.usage", "used"), Some(408_652));
    assert_eq!(mountpoints(&p, usage), ["/"]);
    // With tmpfs: the real over-mount of /dev/shm gives one series.
    let (request, _) = request_for(
        "fs-x86",
        &[
            "--collectors",
            "filesystem",
            "--filesystem-include-type",
            "physical",
            "--filesystem-include-type",
            "tmpfs",
        ],
    );
    assert_eq!(
        mountpoints(&points(&request), usage),
        [
            "/",
            "/mnt/sandboxing/model_tools_env/v1/python",
            "/dev/shm",
            "/sys/fs/cgroup"
        ]
    );
}

// ---- A real hung mount ----

/// The FUSE server and the agent of the hung-mount test; dropping it (also on a failed
/// assertion) kills both by PID and detaches the mount.
struct HungMount {
    dir: PathBuf,
    mountpoint: PathBuf,
    server: Option<Child>,
    agent: Option<Agent>,
}

impl Drop for HungMount {
    fn drop(&mut self) {
        drop(self.agent.take()); // killed by its own Drop, before the mount goes
        let _ = Command::new("umount")
            .arg("-l")
            .arg(&self.mountpoint)
            .stderr(Stdio::null())
            .status();
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Why this machine cannot run the test, if it cannot.
fn cannot_mount_fuse() -> Option<String> {
    if !Path::new("/dev/fuse").exists() {
        return Some("/dev/fuse does not exist (no fuse module; see tests/fuse/setup.sh)".into());
    }
    match Command::new("python3")
        .args(["-c", "import ctypes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(status) if status.success() => None,
        Ok(status) => Some(format!("python3 -c 'import ctypes' failed: {status}")),
        Err(e) => Some(format!(
            "python3 not runnable: {e} (see tests/fuse/setup.sh)"
        )),
    }
}

#[test]
fn real_hung_fuse_mount_never_stops_the_ticks() {
    if let Some(reason) = cannot_mount_fuse() {
        return skip_or_fail(&format!("a real FUSE mount: {reason}"));
    }
    let deadline = Instant::now() + Duration::from_secs(25);
    let left = || deadline.saturating_duration_since(Instant::now());
    let dir = std::fs::canonicalize(scratch("fuse-hang")).unwrap();
    let mountpoint = dir.join("mnt");
    std::fs::create_dir(&mountpoint).unwrap();
    let mp = mountpoint.to_str().unwrap().to_string();
    let mut guard = HungMount {
        dir,
        mountpoint,
        server: None,
        agent: None,
    };

    let mut server = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuse/hangfs.py"))
        .arg(&mp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tests/fuse/hangfs.py");
    let server_out = lines_of(server.stdout.take().unwrap());
    let server_err = lines_of(server.stderr.take().unwrap());
    let server_pid = server.id();
    guard.server = Some(server);
    match server_out.recv_timeout(left()) {
        Ok(line) if line == "READY" => {}
        Ok(line) if line.starts_with("SKIP: ") => {
            return skip_or_fail(&format!(
                "a real FUSE mount: tests/fuse/hangfs.py says {}",
                &line[6..]
            ));
        }
        other => {
            let err: Vec<String> = server_err.try_iter().collect();
            panic!("hangfs.py did not get ready: {other:?}\n{}", err.join("\n"));
        }
    }

    let agent = guard.agent.insert(
        Agent::command(&[
            "--interval",
            "1s",
            "--statfs-timeout",
            "200ms",
            "--collectors",
            "memory,filesystem",
            "--filesystem-include-type",
            "physical",
            "--filesystem-include-type",
            "fuse.sysotlphang",
            "--exporter",
            "stdout",
        ])
        .stdout()
        .spawn(),
    );

    // Ticks 1-3 with the statfs hung, then release it; read until the mount has points
    // (the tick after the release, or the next) and at least 5 ticks. A loop that waited on
    // the hung statfs would never print tick 2: the release only comes after tick 3.
    let mut times = Vec::new();
    let mut with_points = Vec::new();
    let mut with_memory = Vec::new();
    let mut used = None;
    while times.len() < 8 && (times.len() < 5 || used.is_none()) {
        let request = agent.request(left());
        let p = points(&request);
        let time: u64 = p[0].time.parse().expect("timeUnixNano of the first point");
        times.push(time);
        let ours = format!(
            "device=sysotlp-hangfs,mode=rw,mountpoint={mp},type=fuse.sysotlphang,state=used"
        );
        let this_used = value(&p, "system.filesystem.usage", &ours);
        with_points.push(this_used.is_some());
        with_memory.push(p.iter().any(|p| p.name == "system.memory.usage"));
        used = used.or(this_used);
        if times.len() == 3 {
            signal(server_pid, "-USR1");
        }
    }
    let (_, log) = guard.agent.take().unwrap().stop();
    let stderr = log.join("\n");

    assert!(
        times.windows(2).all(|pair| pair[0] < pair[1]),
        "one request per tick, in order: {times:?}"
    );
    assert!(
        with_memory.iter().all(|m| *m),
        "every tick, hung or not, has the other collector's points: {with_memory:?}"
    );
    // A tick held up past its interval by the hung statfs is a WARN of the schedule's
    // ("skipped N tick(s)"); the only WARNs here are statfs timeouts.
    let warns = at_level(stderr.lines(), "WARN");
    assert!(
        warns.iter().all(|l| l.contains(" statfs ")),
        "no tick overran its interval: {stderr}"
    );
    assert_eq!(
        &with_points[..3],
        [false, false, false],
        "no points while hung"
    );
    let first = with_points
        .iter()
        .position(|p| *p)
        .expect("points after the release");
    assert!(
        first <= 4,
        "points in the tick after the release or the next: {with_points:?}"
    );
    assert_eq!(used, Some((1000 - 400) * 4096), "hangfs.py's numbers");
    let about_us = |level: &str| -> Vec<&str> {
        at_level(stderr.lines(), level)
            .into_iter()
            .filter(|l| l.contains(&mp))
            .collect()
    };
    assert_eq!(about_us("WARN").len(), 1, "{stderr}");
    assert!(
        about_us("WARN")[0].ends_with(&format!(
            "statfs {mp}: timed out after 200ms; skipping until it returns"
        )),
        "{stderr}"
    );
    assert_eq!(about_us("INFO").len(), 1, "{stderr}");
    assert!(
        about_us("INFO")[0].contains(&format!("statfs {mp}: recovered after ")),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
