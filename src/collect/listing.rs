//! Directories of sysfs devices that come and go (`sys/class/hwmon`, `sys/class/thermal`,
//! `sys/class/power_supply`), watched cheaply for a change.
//!
//! Reads: one `getdents64` pass over a directory per tick, into a buffer kept between
//! ticks (rustix `RawDir`: no allocation per entry, unlike `std::fs::read_dir`).
//! Emits: whether the set of entry names changed since the last look (a USB battery or a
//! Wi-Fi card plugged in, a driver loaded), so a collector rebuilds its sensor list only
//! then; and, when it does, the names sorted by their number (`hwmon2` before `hwmon10`).

use rustix::fs::{Mode, OFlags, RawDir};
use std::path::Path;

/// Bytes of `getdents64` buffer: ~200 entries per call.
const DIRENT_BUFFER: usize = 8192;

/// A directory's names, remembered as a signature.
#[derive(Debug)]
pub struct Listing {
    dirents: Vec<u8>,
    signature: Option<u64>,
}

impl Default for Listing {
    fn default() -> Self {
        Listing {
            dirents: Vec::with_capacity(DIRENT_BUFFER),
            signature: None,
        }
    }
}

/// FNV-1a of one name; the signature adds them up, so the order `getdents` returns does
/// not matter.
fn name_hash(name: &[u8]) -> u64 {
    name.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Listing {
    /// True when the names in `dir` differ from those of the previous call (always on the
    /// first). A directory that cannot be read counts as empty, so a permanent error does
    /// not trigger a rebuild every tick.
    pub fn changed(&mut self, dir: &Path) -> bool {
        let signature = self.signature_of(dir);
        let changed = self.signature != Some(signature);
        self.signature = Some(signature);
        changed
    }

    fn signature_of(&mut self, dir: &Path) -> u64 {
        let Ok(fd) = rustix::fs::open(
            dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) else {
            return 0;
        };
        let mut signature: u64 = 0;
        let mut entries = RawDir::new(&fd, self.dirents.spare_capacity_mut());
        while let Some(Ok(entry)) = entries.next() {
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                signature = signature.wrapping_add(name_hash(name)).wrapping_add(1);
            }
        }
        signature
    }
}

/// `N` of a name `<prefix>N` (`hwmon3` → 3); `None` for other names.
pub fn numbered(name: &str, prefix: &str) -> Option<u32> {
    let digits = name.strip_prefix(prefix)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The UTF-8 names in `dir`, sorted; empty when it cannot be read. Allocates: called only
/// when [`Listing::changed`] says so.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    found.sort();
    found
}

/// The entries `<prefix>N` of `dir`, sorted by `N`, with `N`.
pub fn numbered_entries(dir: &Path, prefix: &str) -> Vec<(u32, String)> {
    let mut found: Vec<(u32, String)> = entries(dir)
        .into_iter()
        .filter_map(|name| Some((numbered(&name, prefix)?, name)))
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_or_removed_entry_is_a_change_and_order_is_not() {
        let dir = std::env::temp_dir().join(format!("sysotlp-listing-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("hwmon0")).unwrap();
        let mut listing = Listing::default();
        assert!(listing.changed(&dir), "first look");
        assert!(!listing.changed(&dir));
        std::fs::create_dir_all(dir.join("hwmon10")).unwrap();
        assert!(listing.changed(&dir), "hwmon10 appeared");
        assert!(!listing.changed(&dir));
        std::fs::remove_dir(dir.join("hwmon0")).unwrap();
        assert!(listing.changed(&dir), "hwmon0 left");
        std::fs::create_dir_all(dir.join("hwmon2")).unwrap();
        std::fs::create_dir_all(dir.join("hwmon0")).unwrap();
        listing.changed(&dir);
        assert_eq!(
            numbered_entries(&dir, "hwmon"),
            [
                (0, "hwmon0".to_string()),
                (2, "hwmon2".to_string()),
                (10, "hwmon10".to_string())
            ]
        );
        let missing = dir.join("absent");
        let mut gone = Listing::default();
        assert!(gone.changed(&missing), "first look at a missing directory");
        assert!(!gone.changed(&missing), "still missing: no change");
        assert!(numbered_entries(&missing, "hwmon").is_empty());
    }

    #[test]
    fn numbers_of_names() {
        assert_eq!(numbered("hwmon3", "hwmon"), Some(3));
        assert_eq!(numbered("thermal_zone12", "thermal_zone"), Some(12));
        assert_eq!(numbered("cooling_device0", "thermal_zone"), None);
        assert_eq!(numbered("hwmon", "hwmon"), None);
        assert_eq!(numbered("hwmon+1", "hwmon"), None);
        assert_eq!(numbered("hwmon99999999999", "hwmon"), None);
    }
}
