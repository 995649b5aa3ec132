//! Unit tests of the filesystem collector: the pure parts on literal kernel text, then the
//! collector driven through cycles over fixture trees with a fault-injecting `Statfs`.

use super::*;
use crate::otlp::{any_value, metric, number_data_point};
use crate::semconv::Switches;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

// Linux 6.18 x86_64 (this machine), first and last lines of /proc/filesystems.
const FILESYSTEMS: &str = "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\n\text3\n\text2\n\text4\n\tsquashfs\n\
nodev\tautofs\n\tfuseblk\nnodev\tfuse\nnodev\tfusectl\nnodev\toverlay\n\txfs\n\terofs\nnodev\tmqueue\n\tbtrfs\nnodev\tpstore\n";

#[test]
fn physical_types_are_the_ones_without_nodev_plus_zfs() {
    for kept in [
        "ext4", "ext2", "xfs", "btrfs", "squashfs", "erofs", "fuseblk", "zfs",
    ] {
        assert!(is_physical(FILESYSTEMS, kept), "{kept}");
    }
    for dropped in [
        "tmpfs", "proc", "sysfs", "overlay", "fuse", "autofs", "nfs4", "vfat", "",
    ] {
        assert!(!is_physical(FILESYSTEMS, dropped), "{dropped}");
    }
    // Subtypes count as their main type.
    assert!(is_physical(FILESYSTEMS, "fuseblk.ntfs"));
    assert!(!is_physical(FILESYSTEMS, "fuse.sshfs"));
    // zfs is physical even where the module is not loaded (hostmetrics' rule).
    assert!(is_physical("", "zfs"));
    assert!(!is_physical("", "ext4"));
}

#[test]
fn network_types_are_asked_last() {
    for network in [
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "fuse",
        "fuse.sshfs",
        "ceph",
        "glusterfs",
        "9p",
    ] {
        assert!(is_network_type(network), "{network}");
    }
    for local in ["ext4", "xfs", "btrfs", "tmpfs", "fuseblk", "zfs", "vfat"] {
        assert!(!is_network_type(local), "{local}");
    }
}

#[test]
fn uevent_names_the_device() {
    // This machine's sys/dev/block/254:0/uevent.
    let vda = "MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\nDISKSEQ=9\n";
    assert_eq!(parse_uevent_devname(vda), Some("vda"));
    assert_eq!(
        parse_uevent_devname("MAJOR=253\nMINOR=0\nDEVNAME=dm-0\nDEVTYPE=disk\n"),
        Some("dm-0")
    );
    for bad in [
        "",
        "MAJOR=8\n",
        "DEVNAME=\n",
        "DEVNAME=/etc/passwd\n",
        "DEVNAME=../x\n",
    ] {
        assert_eq!(parse_uevent_devname(bad), None, "{bad:?}");
    }
}

fn stats(frsize: u64, blocks: u64, bfree: u64, bavail: u64, files: u64, ffree: u64) -> FsStats {
    FsStats {
        bsize: 4096,
        frsize,
        blocks,
        bfree,
        bavail,
        files,
        ffree,
    }
}

#[test]
fn values_of_the_spec_example() {
    // spec/metrics.md §8.2 "/": used (7574718 − 5023310)·4096, free 4636812·4096,
    // reserved (5023310 − 4636812)·4096; inodes used 1929536 − 1763227.
    let v = fs_values(&stats(
        4096, 7_574_718, 5_023_310, 4_636_812, 1_929_536, 1_763_227,
    ));
    let space = v.space.unwrap();
    assert_eq!(
        space,
        Space {
            used: 10_450_567_168,
            free: 18_992_381_952,
            reserved: 1_583_095_808
        }
    );
    assert_eq!(
        space.used + space.free + space.reserved,
        7_574_718 * 4096,
        "sum = blocks·S"
    );
    assert_eq!(v.inodes, Some((166_309, 1_763_227)));
    // 2551408 / (2551408 + 4636812)
    let u = space.utilization().unwrap();
    assert!((u - 2_551_408.0 / 7_188_220.0).abs() < 1e-15, "{u}");
}

#[test]
fn sizes_use_frsize_not_bsize() {
    // spec/metrics.md §9.14: bsize 4096, frsize 512 → sizes use 512.
    let v = fs_values(&stats(512, 1_000_000, 600_000, 550_000, 500_000, 499_000));
    assert_eq!(
        v.space,
        Some(Space {
            used: 204_800_000,
            free: 281_600_000,
            reserved: 25_600_000
        })
    );
    // frsize 0 (old kernels): bsize.
    let old = fs_values(&stats(0, 10, 6, 4, 0, 0));
    assert_eq!(
        old.space,
        Some(Space {
            used: 4 * 4096,
            free: 4 * 4096,
            reserved: 2 * 4096
        })
    );
    let none = fs_values(&FsStats {
        blocks: 10,
        ..FsStats::default()
    });
    assert_eq!(none.space, None, "no block size: no sizes, never zeros");
}

#[test]
fn no_inode_limit_means_no_inode_points() {
    // btrfs and vfat report f_files = 0.
    let v = fs_values(&stats(4096, 100, 40, 39, 0, 0));
    assert_eq!(v.inodes, None);
    assert!(v.space.is_some());
}

#[test]
fn odd_counts_saturate_and_overflow_is_dropped() {
    // bavail > bfree (some FUSE and NFS servers) and bfree > blocks: no negative values.
    let v = fs_values(&stats(4096, 10, 12, 20, 5, 9));
    assert_eq!(
        v.space,
        Some(Space {
            used: 0,
            free: 20 * 4096,
            reserved: 0
        })
    );
    assert_eq!(v.inodes, Some((0, 9)));
    let huge = fs_values(&stats(1 << 20, u64::MAX, 0, 0, u64::MAX, u64::MAX));
    assert_eq!(huge.space, None);
    assert_eq!(huge.inodes, None);
    assert_eq!(
        Space {
            used: 0,
            free: 0,
            reserved: 5
        }
        .utilization(),
        None,
        "denominator 0: omitted"
    );
}

#[test]
fn garbage_never_panics() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/fs-x86/proc/filesystems"
    ))
    .unwrap();
    crate::collect::garbage::for_each_variant(&text, |text| {
        let _ = is_physical(text, "ext4");
        let _ = is_physical(text, "fuseblk.ntfs");
    });
    let uevent = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/fs-x86/sys/dev/block/254:0/uevent"
    ))
    .unwrap();
    crate::collect::garbage::for_each_variant(&uevent, |text| {
        if let Some(name) = parse_uevent_devname(text) {
            assert!(!name.is_empty() && !name.starts_with('/') && !name.contains(".."));
        }
    });
}

// ---- The collector over fixture trees ----

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The default options (spec/metrics.md §6.2), with `--filesystem-include-type` patterns
/// instead of the default include list when `types` names any.
fn options(types: &[&str]) -> Options {
    let mut options = Options::default();
    if !types.is_empty() {
        options.types.include = types.iter().map(|t| Pattern::parse(t).unwrap()).collect();
    }
    options
}

/// `options(types)` with a statfs timeout.
fn options_timing_out(types: &[&str], after: Duration) -> Options {
    Options {
        statfs_timeout: after,
        ..options(types)
    }
}

/// A `Statfs` stand-in: answers from `inner` (the fixture's table), except the mounts in
/// `hang`, which block until `release` and then answer `late`. Counts every call.
struct Gate {
    inner: Arc<dyn Statfs>,
    hang: Vec<&'static str>,
    late: FsStats,
    released: Mutex<bool>,
    opened: Condvar,
    calls: Mutex<BTreeMap<String, usize>>,
}

impl Gate {
    fn new(src: &Source, hang: &[&'static str]) -> Arc<Gate> {
        Arc::new(Gate {
            inner: src.statfs(),
            hang: hang.to_vec(),
            late: stats(4096, 1000, 400, 300, 100, 90),
            released: Mutex::new(false),
            opened: Condvar::new(),
            calls: Mutex::new(BTreeMap::new()),
        })
    }

    fn release(&self) {
        *self.released.lock().unwrap() = true;
        self.opened.notify_all();
    }

    fn calls(&self, mountpoint: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .get(mountpoint)
            .copied()
            .unwrap_or(0)
    }
}

impl Statfs for Gate {
    fn statfs(&self, mountpoint: &str, path: &Path) -> io::Result<FsStats> {
        *self
            .calls
            .lock()
            .unwrap()
            .entry(mountpoint.to_string())
            .or_default() += 1;
        if !self.hang.contains(&mountpoint) {
            return self.inner.statfs(mountpoint, path);
        }
        let mut released = self.released.lock().unwrap();
        while !*released {
            released = self.opened.wait(released).unwrap();
        }
        Ok(self.late)
    }
}

/// One cycle: the points of `metric` as (attributes "k=v,…", value), and the log lines
/// noted at INFO or above during the cycle.
struct Cycle {
    result: Result<(), CollectError>,
    points: Vec<(String, String, String)>,
    notes: Vec<(log::Level, String)>,
}

impl Cycle {
    fn mountpoints(&self, metric: &str) -> Vec<&str> {
        let mut mps: Vec<&str> = self
            .points
            .iter()
            .filter(|(m, _, _)| m == metric)
            .filter_map(|(_, attrs, _)| {
                attrs
                    .split(',')
                    .find_map(|kv| kv.strip_prefix("mountpoint="))
            })
            .collect();
        mps.dedup();
        mps
    }

    fn value(&self, metric: &str, attrs: &str) -> Option<&str> {
        self.points
            .iter()
            .find(|(m, a, _)| m == metric && a == attrs)
            .map(|(_, _, v)| v.as_str())
    }

    fn loud(&self) -> Vec<&(log::Level, String)> {
        self.notes
            .iter()
            .filter(|(level, _)| *level <= log::Level::Info)
            .collect()
    }
}

fn run(fs: &mut Filesystem, src: &Source, cycle: u64) -> Cycle {
    run_switched(fs, src, cycle, Switches::default())
}

/// `run` with metrics switched on or off as `--enable`/`--disable` do.
fn run_switched(fs: &mut Filesystem, src: &Source, cycle: u64, switches: Switches) -> Cycle {
    let mut out = Builder::with_switches(&[], switches);
    let now = 1_767_225_600_000_000_000 + cycle * 10_000_000_000;
    out.begin(now, 1_767_220_000_000_000_000);
    let tick = Tick {
        now_unix_nano: now,
        boot_unix_nano: 1_767_220_000_000_000_000,
        cycle,
        previous_unix_nano: now.saturating_sub(10_000_000_000),
    };
    src.begin_cycle();
    fs.report.notes.lines.clear();
    let result = fs.collect(src, &tick, &mut out);
    out.finish();
    let mut points = Vec::new();
    for m in out.metrics() {
        let data = match &m.data {
            Some(metric::Data::Sum(sum)) => &sum.data_points,
            Some(metric::Data::Gauge(gauge)) => &gauge.data_points,
            _ => continue,
        };
        for p in data {
            let attrs: Vec<String> = p
                .attributes
                .iter()
                .map(|kv| {
                    let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                        Some(any_value::Value::StringValue(s)) => s.clone(),
                        other => format!("{other:?}"),
                    };
                    format!("{}={value}", kv.key)
                })
                .collect();
            let value = match p.value {
                Some(number_data_point::Value::AsInt(i)) => i.to_string(),
                Some(number_data_point::Value::AsDouble(d)) => d.to_string(),
                None => "none".into(),
            };
            points.push((m.name.clone(), attrs.join(","), value));
        }
    }
    Cycle {
        result,
        points,
        notes: std::mem::take(&mut fs.report.notes.lines),
    }
}

const USAGE: &str = "system.filesystem.usage";
const INODES: &str = "system.filesystem.inodes.usage";

#[test]
fn edge_fixture_mounts_and_attributes() {
    let src = Source::open(&fixture("fs-edge")).unwrap();
    let mut fs = Filesystem::new(&src, &options(&[]));
    let c = run(&mut fs, &src, 1);
    assert_eq!(c.result, Ok(()));
    // Kept: physical types, last entry of /mnt/usb, bind /srv/www separate. Dropped: proc,
    // sysfs, tmpfs /run (nodev), squashfs (excluded), nfs4 (not named), kubelet pod volume
    // (mount point exclude), /boot (EACCES: silent).
    assert_eq!(
        c.mountpoints(USAGE),
        [
            "/",
            "/home",
            "/data",
            "/srv/www",
            "/mnt/my disk",
            "/mnt/usb"
        ]
    );
    assert_eq!(
        c.mountpoints(INODES),
        ["/", "/data", "/srv/www", "/mnt/my disk", "/mnt/usb"],
        "btrfs has files = 0: no inode points"
    );
    let root = "device=/dev/mmcblk0p2,mode=rw,mountpoint=/,type=ext4";
    assert_eq!(
        c.value(USAGE, &format!("{root},state=used")),
        Some("10450567168")
    );
    assert_eq!(
        c.value(USAGE, &format!("{root},state=free")),
        Some("18992381952")
    );
    assert_eq!(
        c.value(USAGE, &format!("{root},state=reserved")),
        Some("1583095808")
    );
    assert_eq!(
        c.value(INODES, &format!("{root},state=used")),
        Some("166309")
    );
    // Over-mount: the ext4 on top, read-only; /dev/mapper/vg0-data resolved via 253:0.
    assert_eq!(
        c.value(
            USAGE,
            "device=/dev/sdc1,mode=ro,mountpoint=/mnt/usb,type=ext4,state=used"
        ),
        Some("3072000")
    );
    assert_eq!(
        c.value(
            USAGE,
            "device=/dev/dm-0,mode=rw,mountpoint=/data,type=xfs,state=used"
        ),
        Some("204800000"),
        "frsize 512"
    );
    assert!(
        c.value(
            USAGE,
            "device=/dev/nvme0n1p3,mode=rw,mountpoint=/home,type=btrfs,state=free"
        )
        .is_some(),
        "0:45 has no sys/dev/block entry: the source stays"
    );
    assert!(c.loud().is_empty(), "{:?}", c.notes);
    assert!(
        c.notes
            .iter()
            .any(|(l, n)| *l == log::Level::Debug && n.starts_with("statfs /boot: ")),
        "{:?}",
        c.notes
    );
}

#[test]
fn issue_9_13_hung_statfs_costs_one_warn_and_one_thread() {
    // spec/metrics.md §9.13: /mnt/nas hangs, --statfs-timeout 50ms.
    let src = Source::open(&fixture("fs-edge")).unwrap();
    let gate = Gate::new(&src, &["/mnt/nas"]);
    let opts = options_timing_out(&["physical", "nfs4"], Duration::from_millis(50));
    let mut fs = Filesystem::with_statfs(&src, &opts, Arc::clone(&gate) as Arc<dyn Statfs>);
    let others = [
        "/",
        "/home",
        "/data",
        "/srv/www",
        "/mnt/my disk",
        "/mnt/usb",
    ];

    // Cycle 1: returns (after one timeout) with the other mounts' points, one WARN.
    let c1 = run(&mut fs, &src, 1);
    assert_eq!(c1.result, Ok(()));
    assert_eq!(c1.mountpoints(USAGE), others);
    assert_eq!(
        c1.loud(),
        [&(
            log::Level::Warn,
            "statfs /mnt/nas: timed out after 50ms; skipping until it returns".to_string()
        )]
    );
    assert_eq!(gate.calls("/mnt/nas"), 1);
    // nfs4 is asked after every local mount.
    assert_eq!(gate.calls("/"), 1);

    // Cycle 2: the stuck mount is not asked again, and nothing is logged.
    let c2 = run(&mut fs, &src, 2);
    assert_eq!(c2.mountpoints(USAGE), others);
    assert!(c2.loud().is_empty(), "{:?}", c2.notes);
    assert_eq!(gate.calls("/mnt/nas"), 1);
    assert_eq!(gate.calls("/"), 2);

    // Release: the abandoned call returns and posts its late result; the first cycle that
    // sees it logs one INFO and asks the mount normally again.
    gate.release();
    let mut cycle = 3;
    let back = loop {
        let c = run(&mut fs, &src, cycle);
        if !c.loud().is_empty() {
            break c;
        }
        assert_eq!(c.mountpoints(USAGE), others, "cycle {cycle}");
        assert_eq!(gate.calls("/mnt/nas"), 1, "cycle {cycle}");
        assert!(cycle < 500, "the released call never came back");
        cycle += 1;
        std::thread::sleep(Duration::from_millis(10));
    };
    let loud = back.loud();
    assert!(
        loud.len() == 1
            && loud[0].0 == log::Level::Info
            && loud[0].1.starts_with("statfs /mnt/nas: recovered after ")
            && loud[0].1.ends_with(" s (1 failures)"),
        "{loud:?}"
    );
    let nas = "device=nas.local:/export,mode=rw,mountpoint=/mnt/nas,type=nfs4";
    assert_eq!(
        back.value(USAGE, &format!("{nas},state=used")),
        Some("2457600"),
        "(1000 − 400)·4096"
    );
    assert_eq!(gate.calls("/mnt/nas"), 2);

    // And from then on, normally.
    let after = run(&mut fs, &src, cycle + 1);
    assert!(after.loud().is_empty(), "{:?}", after.notes);
    assert_eq!(after.mountpoints(USAGE).last(), Some(&"/mnt/nas"));
    assert_eq!(gate.calls("/mnt/nas"), 3);
    assert_eq!(fs.worker.abandoned(), 0);
}

#[test]
fn more_than_four_hung_mounts_are_skipped_with_one_warn() {
    let src = Source::open(&fixture("fs-edge")).unwrap();
    // Local mounts hang too: five of them, in mount table order.
    let gate = Gate::new(&src, &["/", "/home", "/data", "/srv/www", "/mnt/my disk"]);
    let opts = options_timing_out(&[], Duration::from_millis(20));
    let mut fs = Filesystem::with_statfs(&src, &opts, Arc::clone(&gate) as Arc<dyn Statfs>);
    let c1 = run(&mut fs, &src, 1);
    let warns: Vec<&str> = c1
        .loud()
        .iter()
        .filter(|(l, _)| *l == log::Level::Warn)
        .map(|(_, n)| n.as_str())
        .collect();
    assert_eq!(
        warns,
        [
            "statfs /: timed out after 20ms; skipping until it returns",
            "statfs /home: timed out after 20ms; skipping until it returns",
            "statfs /data: timed out after 20ms; skipping until it returns",
            "statfs /srv/www: timed out after 20ms; skipping until it returns",
            "statfs: 4 calls are hung; skipping /mnt/my disk and every further mount until one returns",
        ]
    );
    assert!(c1.mountpoints(USAGE).is_empty(), "no fifth thread");
    assert_eq!(gate.calls("/mnt/my disk") + gate.calls("/mnt/usb"), 0);
    let c2 = run(&mut fs, &src, 2);
    assert!(c2.loud().is_empty(), "{:?}", c2.notes);
    assert_eq!(fs.worker.abandoned(), MAX_ABANDONED);
    gate.release();
    let mut infos = 0;
    for cycle in 3..500 {
        let c = run(&mut fs, &src, cycle);
        infos += c.loud().len();
        if c.mountpoints(USAGE).len() == 6 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(infos >= 4, "one INFO per returned call");
    // Statted again once its hung call returned (more than once if a 20 ms retry timed out
    // again on a loaded machine: the behaviour under test is "resumes", not the count).
    assert!(gate.calls("/") >= 2);
}

#[test]
fn other_errnos_warn_once_until_the_mount_works() {
    struct Flaky {
        failing: Mutex<bool>,
    }
    impl Statfs for Flaky {
        fn statfs(&self, mountpoint: &str, _path: &Path) -> io::Result<FsStats> {
            if mountpoint == "/data" && *self.failing.lock().unwrap() {
                return Err(io::Error::from_raw_os_error(116)); // ESTALE
            }
            Ok(stats(4096, 10, 5, 4, 0, 0))
        }
    }
    let src = Source::open(&fixture("fs-edge")).unwrap();
    let flaky = Arc::new(Flaky {
        failing: Mutex::new(true),
    });
    let mut fs =
        Filesystem::with_statfs(&src, &options(&[]), Arc::clone(&flaky) as Arc<dyn Statfs>);
    let c1 = run(&mut fs, &src, 1);
    assert_eq!(c1.loud().len(), 1, "{:?}", c1.notes);
    assert!(
        c1.loud()[0].1.starts_with("statfs /data: "),
        "{:?}",
        c1.notes
    );
    assert!(!c1.mountpoints(USAGE).contains(&"/data"));
    assert!(run(&mut fs, &src, 2).loud().is_empty());
    *flaky.failing.lock().unwrap() = false;
    let c3 = run(&mut fs, &src, 3);
    let loud = c3.loud();
    assert!(
        loud.len() == 1
            && loud[0].0 == log::Level::Info
            && loud[0].1.starts_with("statfs /data: recovered after ")
            && loud[0].1.ends_with(" s (2 failures)"),
        "{loud:?}"
    );
    assert!(c3.mountpoints(USAGE).contains(&"/data"));
}

/// A scratch root with the given files (relative path, content).
fn temp_root(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sysotlp-fs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::canonicalize(&dir).unwrap()
}

const FIXTURE_JSON: &str = r#"{"format":1,"page_size":4096,"clock_ticks":100,"machine":"x86_64","statfs":{
  "/":{"bsize":4096,"frsize":4096,"blocks":100,"bfree":50,"bavail":40,"files":10,"ffree":5},
  "/boot":{"bsize":1024,"frsize":1024,"blocks":100,"bfree":50,"bavail":40,"files":10,"ffree":5}}}"#;

#[test]
fn own_mount_table_is_cut_to_the_root() {
    // No proc/1/mountinfo: proc/self/mountinfo of an agent whose host / is at <root>.
    let dir = temp_root("fallback", &[("sysotlp-fixture.json", FIXTURE_JSON)]);
    let root = dir.to_str().unwrap();
    let own = format!(
        "20 1 8:2 / / rw - ext4 /dev/sda2 rw\n\
         30 20 8:2 / {root} rw - ext4 /dev/sda2 rw\n\
         31 30 8:1 / {root}/boot rw - ext4 /dev/sda1 rw\n\
         32 20 8:3 / {root}x rw - ext4 /dev/sda3 rw\n"
    );
    std::fs::create_dir_all(dir.join("proc/self")).unwrap();
    std::fs::write(dir.join("proc/self/mountinfo"), own).unwrap();
    std::fs::write(dir.join("proc/filesystems"), FILESYSTEMS).unwrap();
    let src = Source::open(&dir).unwrap();
    let mut fs = Filesystem::new(&src, &options(&[]));
    let c = run(&mut fs, &src, 1);
    assert_eq!(c.result, Ok(()));
    assert_eq!(c.mountpoints(USAGE), ["/", "/boot"]);
    assert_eq!(
        c.value(
            USAGE,
            "device=/dev/sda1,mode=rw,mountpoint=/boot,type=ext4,state=used"
        ),
        Some("51200"),
        "(100 − 50)·1024; no sys/dev/block here, so the source stays"
    );
    assert!(
        c.notes
            .iter()
            .any(|(l, n)| *l == log::Level::Debug && n.contains("restricted to")),
        "{:?}",
        c.notes
    );
}

#[test]
fn a_bad_line_skips_that_mount_and_is_reported() {
    let dir = temp_root(
        "badline",
        &[
            ("sysotlp-fixture.json", FIXTURE_JSON),
            ("proc/filesystems", FILESYSTEMS),
            (
                "proc/1/mountinfo",
                "20 1 8:2 / / rw - ext4 /dev/sda2 rw\n21 20 8:1 / /boot rw ext4 /dev/sda1 rw\n",
            ),
        ],
    );
    let src = Source::open(&dir).unwrap();
    let mut fs = Filesystem::new(&src, &options(&[]));
    let c = run(&mut fs, &src, 1);
    assert_eq!(c.mountpoints(USAGE), ["/"]);
    let err = c.result.unwrap_err().to_string();
    assert!(
        err.ends_with(
            "proc/1/mountinfo line 2: expected the \"-\" separator after the optional fields, found \"21 20 8:1 / /boot rw ext4 /dev/sda1 rw\""
        ),
        "{err}"
    );
}

#[test]
fn missing_tables_are_errors_and_unknown_types_keep_explicit_includes() {
    let dir = temp_root("missing", &[("sysotlp-fixture.json", FIXTURE_JSON)]);
    let src = Source::open(&dir).unwrap();
    let mut fs = Filesystem::new(&src, &options(&[]));
    let c = run(&mut fs, &src, 1);
    assert!(
        c.result
            .unwrap_err()
            .to_string()
            .ends_with("proc/self/mountinfo: not found")
    );
    // No proc/filesystems: `physical` matches nothing, a named type still works.
    std::fs::create_dir_all(dir.join("proc/1")).unwrap();
    std::fs::write(
        dir.join("proc/1/mountinfo"),
        "20 1 8:2 / / rw - ext4 /dev/sda2 rw\n",
    )
    .unwrap();
    let c = run(&mut fs, &src, 2);
    assert!(c.mountpoints(USAGE).is_empty());
    assert!(
        c.result
            .unwrap_err()
            .to_string()
            .ends_with("proc/filesystems: not found")
    );
    let mut named = Filesystem::new(&src, &options(&["physical", "ext4"]));
    let c = run(&mut named, &src, 1);
    assert_eq!(c.mountpoints(USAGE), ["/"]);
}

#[test]
fn source_none_is_not_physical_but_can_be_named() {
    let dir = temp_root(
        "none",
        &[
            ("sysotlp-fixture.json", FIXTURE_JSON),
            ("proc/filesystems", FILESYSTEMS),
            (
                "proc/1/mountinfo",
                "20 1 8:2 / / rw - ext4 none rw\n21 20 0:30 / /boot rw - tmpfs none rw\n",
            ),
        ],
    );
    let src = Source::open(&dir).unwrap();
    let c = run(&mut Filesystem::new(&src, &options(&[])), &src, 1);
    assert!(c.mountpoints(USAGE).is_empty());
    let opts = options(&["physical", "tmpfs"]);
    let c = run(&mut Filesystem::new(&src, &opts), &src, 1);
    assert_eq!(c.mountpoints(USAGE), ["/boot"]);
}

#[test]
fn utilization_is_opt_in() {
    let src = Source::open(&fixture("fs-edge")).unwrap();
    let off = run(&mut Filesystem::new(&src, &options(&[])), &src, 1);
    assert!(
        off.mountpoints("system.filesystem.utilization").is_empty(),
        "off by default"
    );
    let switches = Switches {
        on: vec!["system.filesystem.utilization"],
        off: vec![],
    };
    let on = run_switched(&mut Filesystem::new(&src, &options(&[])), &src, 1, switches);
    assert_eq!(
        on.value(
            "system.filesystem.utilization",
            "device=/dev/sdc1,mode=ro,mountpoint=/mnt/usb,type=ext4"
        ),
        Some("0.7894736842105263"),
        "750 / (750 + 200)"
    );
}

#[test]
fn steady_state_reuses_its_buffers() {
    let src = Source::open(&fixture("fs-edge")).unwrap();
    let mut fs = Filesystem::new(&src, &options(&[]));
    run(&mut fs, &src, 1);
    let capacity = |fs: &Filesystem| {
        (
            fs.mounts.len(),
            fs.table.capacity(),
            fs.mounts
                .iter()
                .map(|m| m.mountpoint.capacity() + m.device.capacity())
                .sum::<usize>(),
        )
    };
    let first = capacity(&fs);
    for cycle in 2..5 {
        run(&mut fs, &src, cycle);
    }
    assert_eq!(capacity(&fs), first);
}

#[test]
fn network_mounts_are_asked_after_local_ones() {
    struct Recorder(Mutex<Vec<String>>);
    impl Statfs for Recorder {
        fn statfs(&self, mountpoint: &str, _path: &Path) -> io::Result<FsStats> {
            self.0.lock().unwrap().push(mountpoint.to_string());
            Ok(stats(4096, 10, 5, 4, 10, 5))
        }
    }
    let dir = temp_root(
        "order",
        &[
            ("sysotlp-fixture.json", FIXTURE_JSON),
            ("proc/filesystems", FILESYSTEMS),
            (
                "proc/1/mountinfo",
                "20 1 0:50 / /mnt/nas rw - nfs4 nas:/x rw\n\
                 21 1 0:51 / /mnt/ssh rw - fuse.sshfs me@host:/ rw\n\
                 22 1 8:2 / / rw - ext4 /dev/sda2 rw\n\
                 23 22 8:3 / /srv rw - xfs /dev/sda3 rw\n",
            ),
        ],
    );
    let src = Source::open(&dir).unwrap();
    let recorder = Arc::new(Recorder(Mutex::new(Vec::new())));
    let opts = options(&["physical", "nfs4", "re:^fuse\\."]);
    let mut fs = Filesystem::with_statfs(&src, &opts, Arc::clone(&recorder) as Arc<dyn Statfs>);
    let c = run(&mut fs, &src, 1);
    assert_eq!(
        *recorder.0.lock().unwrap(),
        ["/", "/srv", "/mnt/nas", "/mnt/ssh"],
        "asked: local first"
    );
    assert_eq!(
        c.mountpoints(USAGE),
        ["/mnt/nas", "/mnt/ssh", "/", "/srv"],
        "emitted: mount table order"
    );
}
