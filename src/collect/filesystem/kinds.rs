//! Which file system types count as `physical`, and which may hang.
//!
//! Reads: the text of `/proc/filesystems` (`nodev<TAB>tmpfs`, `<TAB>ext4`) and a mount's
//! type. Emits: whether the type needs a block device (the `physical` filter keyword,
//! hostmetrics' rule, plus zfs) and whether its statfs goes over the network (asked last).

/// Whether `name` is listed in `/proc/filesystems` without `nodev`. Each line is the
/// flags column (`nodev` or empty), a tab, and the name (fs/filesystems.c).
pub fn is_block_type(filesystems: &str, name: &str) -> bool {
    filesystems.lines().any(|line| {
        line.split_once('\t')
            .is_some_and(|(flags, listed)| flags.trim().is_empty() && listed.trim() == name)
    })
}

/// The `physical` keyword of the type filter (spec/metrics.md §6.2): a type that needs a
/// block device, or zfs. A subtype (`fuseblk.ntfs`) counts as its main type.
pub fn is_physical(filesystems: &str, fstype: &str) -> bool {
    let main = fstype.split('.').next().unwrap_or(fstype);
    main == "zfs" || is_block_type(filesystems, fstype) || is_block_type(filesystems, main)
}

/// Types whose statfs goes over the network or to a user-space daemon, so may hang: they
/// are asked last. A subtype counts as its main type (`fuse.sshfs` → `fuse`).
pub fn is_network_type(fstype: &str) -> bool {
    let main = fstype.split('.').next().unwrap_or(fstype);
    matches!(
        main,
        "nfs"
            | "nfs4"
            | "cifs"
            | "smb3"
            | "smbfs"
            | "ncpfs"
            | "ceph"
            | "glusterfs"
            | "9p"
            | "afs"
            | "lustre"
            | "gpfs"
            | "beegfs"
            | "orangefs"
            | "virtiofs"
            | "fuse"
    )
}
