//! The `device` attribute of a mount whose source is a `/dev` path.
//!
//! Reads: `<root>/sys/dev/block/M:m/uevent` (sysfs-dev ABI), e.g. `DEVNAME=vda`. Emits:
//! `/dev/<DEVNAME>`, so `/dev/root` and `/dev/mapper/*` name the kernel's device.

use crate::source::Source;
use std::ffi::OsString;
use std::path::Path;

/// The `DEVNAME=` value of a `sys/dev/block/M:m/uevent` file (`DEVNAME=vda`), if any.
pub fn parse_uevent_devname(uevent: &str) -> Option<&str> {
    uevent
        .lines()
        .find_map(|line| line.strip_prefix("DEVNAME="))
        .map(str::trim_end)
        .filter(|name| !name.is_empty() && !name.starts_with('/') && !name.contains(".."))
}

/// `/dev/<DEVNAME>` of block device `major_minor` into `device`; false if unknown.
pub fn resolve_device(
    src: &Source,
    block_dir: &OsString,
    path: &mut OsString,
    buf: &mut String,
    major_minor: &str,
    device: &mut String,
) -> bool {
    path.clear();
    path.push(block_dir);
    path.push("/");
    path.push(major_minor);
    path.push("/uevent");
    if src.read_into(Path::new(path.as_os_str()), buf).is_err() {
        return false;
    }
    match parse_uevent_devname(buf) {
        Some(name) => {
            device.clear();
            device.push_str("/dev/");
            device.push_str(name);
            true
        }
        None => false,
    }
}
