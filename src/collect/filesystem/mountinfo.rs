//! The mount table: one line of `/proc/<pid>/mountinfo`.
//!
//! Reads: text of `<root>/proc/1/mountinfo` or `<root>/proc/self/mountinfo` (proc(5),
//! Documentation/filesystems/proc.rst §3.5); the collector reads the file.
//! Emits: the fields the filesystem collector uses, borrowed from the line.
//! Input:
//! ```text
//! 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//! (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)    (10)         (11)
//! ```
//! (1) mount ID, (2) parent ID, (3) `major:minor` of `st_dev`, (4) root of the mount within
//! its file system, (5) mount point, (6) per-mount options, (7) zero or more optional fields
//! (`shared:N`, `master:N`, `propagate_from:N`, `unbindable`), (8) the separator `-`,
//! (9) file system type (`type.subtype` for FUSE and friends), (10) mount source, (11) super
//! block options.
//!
//! Fields are separated by exactly one space: the kernel escapes space, tab, newline and
//! backslash inside a field as `\040`, `\011`, `\012`, `\134` (fs/proc_namespace.c `mangle`,
//! also `#` on newer kernels), so splitting on single spaces is exact and keeps an empty
//! source (`mount -t tmpfs "" /x` prints `- tmpfs  rw`) as an empty field.

/// One parsed mountinfo line; mount point and source are still escaped (see `text::unescape_octal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountLine<'a> {
    /// Field 3 as printed, e.g. `254:0`; proven to be `<u32>:<u32>`.
    pub major_minor: &'a str,
    /// Field 5, escaped; starts with `/`.
    pub mount_point: &'a str,
    /// `rw` or `ro` from field 6 (the kernel prints one of them first), else `unknown`.
    pub mode: &'static str,
    /// Field 9, subtype kept (`fuse.sshfs`).
    pub fstype: &'a str,
    /// Field 10, escaped; may be empty.
    pub source: &'a str,
}

/// `mode` when field 6 has neither `rw` nor `ro`.
pub const MODE_UNKNOWN: &str = "unknown";
const MODE_RW: &str = "rw";
const MODE_RO: &str = "ro";

/// Parses one line; `Err` says what was expected.
pub fn parse_mountinfo_line(line: &str) -> Result<MountLine<'_>, &'static str> {
    let mut fields = line.split(' ');
    let (Some(id), Some(parent), Some(major_minor), Some(_root), Some(mount_point), Some(opts)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err("expected at least 6 fields before the \"-\" separator");
    };
    if id.parse::<u64>().is_err() || parent.parse::<u64>().is_err() {
        return Err("expected numeric mount and parent IDs");
    }
    if !is_major_minor(major_minor) {
        return Err("expected major:minor in field 3");
    }
    if !mount_point.starts_with('/') {
        return Err("expected an absolute mount point in field 5");
    }
    // Optional fields up to the separator (proc(5): "zero or more fields of the form tag[:value]").
    if !fields.by_ref().any(|f| f == "-") {
        return Err("expected the \"-\" separator after the optional fields");
    }
    let (Some(fstype), Some(source)) = (fields.next(), fields.next()) else {
        return Err("expected file system type and mount source after \"-\"");
    };
    if fstype.is_empty() {
        return Err("expected a file system type after \"-\"");
    }
    Ok(MountLine {
        major_minor,
        mount_point,
        mode: mode_of(opts),
        fstype,
        source,
    })
}

/// `rw`/`ro` from the per-mount options (field 6), `unknown` if neither is there.
fn mode_of(opts: &str) -> &'static str {
    opts.split(',')
        .find_map(|o| match o {
            "rw" => Some(MODE_RW),
            "ro" => Some(MODE_RO),
            _ => None,
        })
        .unwrap_or(MODE_UNKNOWN)
}

fn is_major_minor(text: &str) -> bool {
    text.split_once(':').is_some_and(|(major, minor)| {
        major.parse::<u32>().is_ok()
            && minor.parse::<u32>().is_ok()
            && !major.starts_with('+')
            && !minor.starts_with('+')
    })
}

/// Rewrites `mount_point` (a path of the agent's own mount table, the `proc/self/mountinfo`
/// fallback of spec/metrics.md §3.5) as seen from `root`: `/host/boot` → `/boot`, `/host`
/// → `/`. False, and `mount_point` unchanged, when it is not `root` or below it. `root` has
/// no trailing `/` unless it is `/`, which keeps every mount point as it is.
pub fn cut_root(mount_point: &mut String, root: &str) -> bool {
    if root == "/" {
        return true;
    }
    let Some(rest) = mount_point.strip_prefix(root) else {
        return false;
    };
    if rest.is_empty() {
        mount_point.clear();
        mount_point.push('/');
        true
    } else if rest.starts_with('/') {
        mount_point.replace_range(..root.len(), "");
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::text::unescape_octal;

    #[test]
    fn parses_the_proc5_example() {
        // proc(5) and Documentation/filesystems/proc.rst §3.5.
        let line = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue";
        assert_eq!(
            parse_mountinfo_line(line),
            Ok(MountLine {
                major_minor: "98:0",
                mount_point: "/mnt2",
                mode: "rw",
                fstype: "ext3",
                source: "/dev/root",
            })
        );
    }

    #[test]
    fn optional_fields_zero_one_or_many() {
        // Linux 6.18 x86_64 (this machine's proc/1/mountinfo): no optional field.
        let none = "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534";
        let one = "29 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw";
        let many = "612 29 0:52 / /mnt/nas rw,relatime shared:310 master:17 propagate_from:4 unbindable - nfs4 nas:/export rw,vers=4.2";
        assert_eq!(parse_mountinfo_line(none).unwrap().source, "/dev/vda");
        assert_eq!(parse_mountinfo_line(one).unwrap().fstype, "ext4");
        let nas = parse_mountinfo_line(many).unwrap();
        assert_eq!(
            (nas.fstype, nas.source, nas.major_minor),
            ("nfs4", "nas:/export", "0:52")
        );
    }

    #[test]
    fn mode_comes_from_the_per_mount_options() {
        let ro = "28 27 0:25 / /mnt/sandboxing/model_tools_env/v1/python ro,nosuid,nodev,relatime - tmpfs model_tools_unavailable ro,size=4k,mode=755";
        assert_eq!(parse_mountinfo_line(ro).unwrap().mode, "ro");
        // The super block options (field 11) say rw; the mount is ro: the mount wins.
        let ro_mount = "40 27 8:1 / /mnt ro,relatime - ext4 /dev/sda1 rw";
        assert_eq!(parse_mountinfo_line(ro_mount).unwrap().mode, "ro");
        let neither = "40 27 8:1 / /mnt relatime - ext4 /dev/sda1 rw";
        assert_eq!(parse_mountinfo_line(neither).unwrap().mode, MODE_UNKNOWN);
    }

    #[test]
    fn subtypes_and_empty_sources_are_kept() {
        let sshfs = "90 29 0:61 / /mnt/remote rw,nosuid,nodev,relatime - fuse.sshfs user@host:/home rw,user_id=0,group_id=0";
        assert_eq!(parse_mountinfo_line(sshfs).unwrap().fstype, "fuse.sshfs");
        let empty = "91 29 0:62 / /mnt/x rw,relatime - tmpfs  rw";
        let parsed = parse_mountinfo_line(empty).unwrap();
        assert_eq!((parsed.fstype, parsed.source), ("tmpfs", ""));
        // Super block options absent: still a mount.
        let short = "92 29 0:63 / /mnt/y rw - tmpfs tmpfs";
        assert_eq!(parse_mountinfo_line(short).unwrap().source, "tmpfs");
    }

    #[test]
    fn octal_escapes_are_decoded() {
        let line =
            r"77 29 8:17 / /mnt/my\040disk rw,relatime - vfat /dev/disk/by-label/MY\040DISK rw";
        let parsed = parse_mountinfo_line(line).unwrap();
        let mut mp = String::new();
        unescape_octal(parsed.mount_point, &mut mp);
        assert_eq!(mp, "/mnt/my disk");
        let mut src = String::new();
        unescape_octal(parsed.source, &mut src);
        assert_eq!(src, "/dev/disk/by-label/MY DISK");
        let mut all = String::new();
        unescape_octal(r"/a\011b\012c\134d\043e", &mut all);
        assert_eq!(all, "/a\tb\nc\\d#e");
    }

    #[test]
    fn malformed_lines_say_what_was_expected() {
        for (line, why) in [
            ("", "expected at least 6 fields before the \"-\" separator"),
            (
                "36 35 98:0 / /mnt",
                "expected at least 6 fields before the \"-\" separator",
            ),
            (
                "x 35 98:0 / /mnt rw - ext4 /dev/sda rw",
                "expected numeric mount and parent IDs",
            ),
            (
                "36 35 98 / /mnt rw - ext4 /dev/sda rw",
                "expected major:minor in field 3",
            ),
            (
                "36 35 98:-1 / /mnt rw - ext4 /dev/sda rw",
                "expected major:minor in field 3",
            ),
            (
                "36 35 98:+1 / /mnt rw - ext4 /dev/sda rw",
                "expected major:minor in field 3",
            ),
            (
                "36 35 98:0 / mnt rw - ext4 /dev/sda rw",
                "expected an absolute mount point in field 5",
            ),
            (
                "36 35 98:0 / /mnt rw shared:1 ext4 /dev/sda rw",
                "expected the \"-\" separator after the optional fields",
            ),
            (
                "36 35 98:0 / /mnt rw - ext4",
                "expected file system type and mount source after \"-\"",
            ),
            (
                "36 35 98:0 / /mnt rw -  /dev/sda rw",
                "expected a file system type after \"-\"",
            ),
        ] {
            assert_eq!(parse_mountinfo_line(line), Err(why), "{line:?}");
        }
    }

    #[test]
    fn mount_points_under_the_root_lose_the_prefix() {
        for (mount_point, root, cut) in [
            ("/host", "/host", Some("/")),
            ("/host/boot", "/host", Some("/boot")),
            ("/host/mnt/my disk", "/host", Some("/mnt/my disk")),
            ("/hostile", "/host", None),
            ("/", "/host", None),
            ("/data", "/", Some("/data")),
            ("/", "/", Some("/")),
        ] {
            let mut text = mount_point.to_string();
            let kept = cut_root(&mut text, root);
            assert_eq!(
                kept.then_some(text.as_str()),
                cut,
                "{mount_point} under {root}"
            );
            if !kept {
                assert_eq!(text, mount_point);
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/fs-x86/proc/1/mountinfo"
        ))
        .unwrap();
        let mut out = String::new();
        crate::collect::garbage::for_each_variant(&text, |text| {
            for line in text.lines() {
                if let Ok(m) = parse_mountinfo_line(line) {
                    assert!(m.mount_point.starts_with('/'));
                    out.clear();
                    unescape_octal(m.mount_point, &mut out);
                    unescape_octal(m.source, &mut out);
                }
            }
        });
    }
}
