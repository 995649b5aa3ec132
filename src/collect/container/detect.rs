//! Is the agent in a container, is it cgroup v2, and which cgroup and id are its own.
//!
//! Reads (spec/metrics.md §5.8, in the agent's own view, §8.3; the collector reads the
//! files once at start): the markers `/.dockerenv` (Docker) and `/run/.containerenv`
//! (Podman), the `container` environment variable (systemd-nspawn, LXC, Podman), and the
//! text of `/proc/self/cgroup` and `/proc/self/mountinfo`.
//! Emits: a [`Detection`]: not a container; a container whose `/sys/fs/cgroup` is not a
//! cgroup2 mount (cgroup v1 or hybrid: the collector is off, one INFO); or the own cgroup's
//! path under `/sys/fs/cgroup` and the 64-hex container id when one is visible.
//! Input:
//! ```text
//! 0::/                                                   (proc/self/cgroup, cgroup namespace)
//! 0::/system.slice/docker-47eeb30c…a559.scope            (no cgroup namespace)
//! 72 48 254:0 /var/lib/docker/containers/47eeb30c…a559/hostname /etc/hostname rw,… - ext4 …
//! ```
//! Without a marker, a cgroup path of exactly `/` with `memory.max` beside it also means a
//! container: the host's root cgroup has no `memory.max`, so `/` with one is the root of a
//! cgroup namespace.

/// What start-up found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    /// No marker and no cgroup namespace root: the collector does not run.
    NotContainer,
    /// A container, but its cgroups are not v2 only: the collector is off; says why.
    NotV2(String),
    /// A cgroup v2 container.
    V2 {
        /// The own cgroup, `/` or `/…` with no `..` (the `0::` path).
        cgroup: String,
        /// 64 lowercase hex digits, when the cgroup path or a bind mount shows it.
        id: Option<String>,
    },
}

/// What start-up read; `None` for a file that could not be read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Evidence<'a> {
    /// The first marker present: `/.dockerenv`, `/run/.containerenv`, or `container=`.
    pub marker: Option<&'a str>,
    pub cgroup: Option<&'a str>,
    pub mountinfo: Option<&'a str>,
    /// `/sys/fs/cgroup/memory.max` exists (asked only for a cgroup path of `/`).
    pub root_memory_max: bool,
}

/// The `0::<path>` entry of `/proc/self/cgroup` (the cgroup v2 hierarchy).
pub fn unified_path(cgroup: &str) -> Option<&str> {
    cgroup.lines().find_map(|line| line.strip_prefix("0::"))
}

/// Whether the last mount at `/sys/fs/cgroup` in `mountinfo` is a cgroup2 file system;
/// `None` when nothing is mounted there.
pub fn sys_fs_cgroup_is_v2(mountinfo: &str) -> Option<bool> {
    mountinfo.lines().rev().find_map(|line| {
        let mut fields = line.split(' ');
        let mount_point = fields.nth(4)?;
        let fstype = fields.skip_while(|f| *f != "-").nth(1)?;
        (mount_point == "/sys/fs/cgroup").then_some(fstype == "cgroup2")
    })
}

fn is_id(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The container id in a cgroup path: the last segment ending in 64 hex digits after a
/// `-` or `:` or alone, `.scope` cut (`docker-<id>.scope`, `cri-containerd-<id>.scope`,
/// `crio-<id>.scope`, `libpod-<id>.scope/container`, `/docker/<id>`, `/kubepods/…/<id>`).
pub fn id_in_cgroup(path: &str) -> Option<&str> {
    path.rsplit('/').find_map(|segment| {
        let segment = segment.strip_suffix(".scope").unwrap_or(segment);
        let tail = segment.rsplit(['-', ':']).next()?;
        is_id(tail).then_some(tail)
    })
}

/// The container id in the roots of the runtime's bind mounts (field 4 of mountinfo):
/// `…/containers/<id>/hostname` (Docker) or `…/overlay-containers/<id>/userdata/…` (Podman).
/// Kubernetes binds come from `sandboxes/<pod sandbox id>` and `pods/<uid>`: not the
/// container's, so not taken.
pub fn id_in_mountinfo(mountinfo: &str) -> Option<&str> {
    mountinfo.lines().find_map(|line| {
        let root = line.split(' ').nth(3)?;
        let mut segments = root.split('/');
        let mut previous = segments.next()?;
        for segment in segments {
            if matches!(previous, "containers" | "overlay-containers") && is_id(segment) {
                return Some(segment);
            }
            previous = segment;
        }
        None
    })
}

/// Decides from what start-up read.
pub fn detect(evidence: &Evidence) -> Detection {
    let path = evidence.cgroup.and_then(unified_path);
    let namespace_root = path == Some("/") && evidence.root_memory_max;
    if evidence.marker.is_none() && !namespace_root {
        return Detection::NotContainer;
    }
    let found = evidence
        .marker
        .unwrap_or("a cgroup namespace root with memory.max");
    let v2 = match evidence.mountinfo.map(sys_fs_cgroup_is_v2) {
        Some(Some(v2)) => v2,
        Some(None) => {
            return Detection::NotV2(format!("{found}, but nothing is mounted at /sys/fs/cgroup"));
        }
        // No mount table: cgroup v2 only if the v2 entry is the only one.
        None => evidence
            .cgroup
            .is_some_and(|c| c.lines().all(|l| l.starts_with("0::"))),
    };
    let Some(path) = path.filter(|_| v2) else {
        return Detection::NotV2(format!(
            "{found}, but /sys/fs/cgroup is not a cgroup2 mount (cgroup v1 or hybrid)"
        ));
    };
    if !path.starts_with('/') || path.split('/').any(|s| s == "..") {
        return Detection::NotV2(format!(
            "{found}, but its cgroup \"{path}\" is outside the cgroup namespace"
        ));
    }
    let id = id_in_cgroup(path).or_else(|| evidence.mountinfo.and_then(id_in_mountinfo));
    Detection::V2 {
        cgroup: path.to_string(),
        id: id.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "47eeb30c08437fe1b78855369023caab75f07cd7f1fd03f4c0040b02030da559";

    /// fixtures/container-v2 (captured): proc/47/mountinfo, cgroup namespace.
    const MOUNTINFO_V2: &str = "48 50 0:42 / / rw,relatime - overlay overlay rw,lowerdir=/,upperdir=/var/tmp/sysotlp-container-v2/overlay/upper\n\
        63 48 0:40 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs rw\n\
        64 63 0:38 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw\n\
        72 48 254:0 /var/tmp/sysotlp-container-v2/containers/47eeb30c08437fe1b78855369023caab75f07cd7f1fd03f4c0040b02030da559/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw\n";

    /// This project's VM (Linux 6.18, hybrid: v1 controllers on a tmpfs).
    const MOUNTINFO_HYBRID: &str = "25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw\n\
        26 25 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:7 - tmpfs cgroup_root rw,size=10240k,mode=755\n\
        27 26 0:25 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 none rw,nsdelegate\n";
    const CGROUP_HYBRID: &str = "9:name=systemd:/\n4:memory:/process_api/74801b9e\n1:cpu:/\n0::/\n";

    #[test]
    fn docker_with_a_cgroup_namespace_is_found_by_its_marker_and_bind_mounts() {
        let evidence = Evidence {
            marker: Some("/.dockerenv"),
            cgroup: Some("0::/\n"),
            mountinfo: Some(MOUNTINFO_V2),
            root_memory_max: true,
        };
        assert_eq!(
            detect(&evidence),
            Detection::V2 {
                cgroup: "/".into(),
                id: Some(ID.into())
            }
        );
        // No marker: the namespace root with memory.max is enough (container-v2).
        let unmarked = Evidence {
            marker: None,
            ..evidence
        };
        assert!(matches!(detect(&unmarked), Detection::V2 { .. }));
    }

    #[test]
    fn a_host_is_no_container() {
        // A systemd host's service, and a root-cgroup process without memory.max.
        for (cgroup, memory_max) in [
            ("0::/system.slice/sysotlp.service\n", false),
            ("0::/\n", false),
        ] {
            let evidence = Evidence {
                marker: None,
                cgroup: Some(cgroup),
                mountinfo: Some(MOUNTINFO_V2),
                root_memory_max: memory_max,
            };
            assert_eq!(detect(&evidence), Detection::NotContainer, "{cgroup}");
        }
        assert_eq!(detect(&Evidence::default()), Detection::NotContainer);
    }

    #[test]
    fn hybrid_and_v1_hosts_are_off_with_a_reason() {
        let evidence = Evidence {
            marker: Some("/.dockerenv"),
            cgroup: Some(CGROUP_HYBRID),
            mountinfo: Some(MOUNTINFO_HYBRID),
            root_memory_max: false,
        };
        let Detection::NotV2(why) = detect(&evidence) else {
            panic!("hybrid is not v2");
        };
        assert_eq!(
            why,
            "/.dockerenv, but /sys/fs/cgroup is not a cgroup2 mount (cgroup v1 or hybrid)"
        );
        // Without a mount table, the v1 lines of proc/self/cgroup tell.
        let blind = Evidence {
            mountinfo: None,
            ..evidence
        };
        assert!(matches!(detect(&blind), Detection::NotV2(_)));
        let v2_blind = Evidence {
            cgroup: Some("0::/docker/abc\n"),
            ..blind
        };
        assert!(matches!(detect(&v2_blind), Detection::V2 { .. }));
        let outside = Evidence {
            cgroup: Some("0::/../../user.slice\n"),
            mountinfo: Some(MOUNTINFO_V2),
            ..evidence
        };
        assert!(matches!(detect(&outside), Detection::NotV2(w) if w.contains("outside")));
    }

    #[test]
    fn ids_come_from_runtime_cgroup_names() {
        let id = ID;
        for path in [
            format!("/system.slice/docker-{id}.scope"),
            format!(
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-{id}.scope"
            ),
            format!("/kubepods/besteffort/pod4f1c/{id}"),
            format!("/machine.slice/libpod-{id}.scope/container"),
            format!("/docker/{id}"),
            format!("/crio-{id}.scope"),
        ] {
            assert_eq!(id_in_cgroup(&path), Some(id), "{path}");
        }
        for path in [
            "/",
            "/system.slice/sysotlp.service",
            "/docker/47eeb30c0843",
            "/user.slice",
        ] {
            assert_eq!(id_in_cgroup(path), None, "{path}");
        }
        // Upper case is not an id (runtimes print lower case hex).
        assert_eq!(
            id_in_cgroup(&format!("/docker/{}", id.to_uppercase())),
            None
        );
    }

    #[test]
    fn ids_come_from_docker_and_podman_bind_mounts_not_kubernetes_sandboxes() {
        assert_eq!(id_in_mountinfo(MOUNTINFO_V2), Some(ID));
        let podman = format!(
            "1590 1585 0:42 /containers/storage/overlay-containers/{ID}/userdata/hostname /etc/hostname rw,nosuid,nodev,relatime - tmpfs tmpfs rw\n"
        );
        assert_eq!(id_in_mountinfo(&podman), Some(ID));
        let kubernetes = format!(
            "2012 2003 259:1 /var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/{ID}/hostname /etc/hostname rw,relatime - ext4 /dev/nvme0n1p1 rw\n\
             2013 2003 259:1 /var/lib/kubelet/pods/9a1c0d36-1c9c-4b0b-8f3e-0e6b0c6b5d8e/containers/app/1f2e3d4c /dev/termination-log rw,relatime - ext4 /dev/nvme0n1p1 rw\n"
        );
        assert_eq!(id_in_mountinfo(&kubernetes), None);
    }

    #[test]
    fn garbage_never_panics() {
        crate::collect::garbage::for_each_variant(MOUNTINFO_V2, |text| {
            let _ = id_in_mountinfo(text);
            let _ = sys_fs_cgroup_is_v2(text);
            let _ = detect(&Evidence {
                marker: None,
                cgroup: Some(text),
                mountinfo: Some(text),
                root_memory_max: true,
            });
        });
    }
}
