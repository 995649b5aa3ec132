//! What one statfs answer becomes (spec/metrics.md §3.5).
//!
//! Reads: `FsStats` (statfs numbers in their own units). Emits: bytes used, free and
//! reserved, inodes used and free, and df's Use%.

use crate::source::FsStats;

/// Bytes of one file system by state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Space {
    pub used: i64,
    pub free: i64,
    pub reserved: i64,
}

impl Space {
    /// used / (used + free), df's Use%; `None` when both are 0.
    pub fn utilization(&self) -> Option<f64> {
        let total = i128::from(self.used) + i128::from(self.free);
        (total > 0).then(|| self.used as f64 / total as f64)
    }
}

/// What one statfs answer becomes (spec/metrics.md §3.5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FsValues {
    /// `None` when the block size is 0 or a value does not fit an `i64`.
    pub space: Option<Space>,
    /// (used, free); `None` without an inode limit (files = 0) or on overflow.
    pub inodes: Option<(i64, i64)>,
}

/// Turns statfs numbers into values: `S = f_frsize`, `f_bsize` when that is 0; counts
/// that step out of order (bfree > blocks, bavail > bfree) saturate at 0.
pub fn fs_values(st: &FsStats) -> FsValues {
    let unit = if st.frsize != 0 { st.frsize } else { st.bsize };
    let bytes = |blocks: u64| i64::try_from(u128::from(blocks) * u128::from(unit)).ok();
    let space = if unit == 0 {
        None
    } else {
        match (
            bytes(st.blocks.saturating_sub(st.bfree)),
            bytes(st.bavail),
            bytes(st.bfree.saturating_sub(st.bavail)),
        ) {
            (Some(used), Some(free), Some(reserved)) => Some(Space {
                used,
                free,
                reserved,
            }),
            _ => None,
        }
    };
    let inodes = if st.files == 0 {
        None
    } else {
        match (
            i64::try_from(st.files.saturating_sub(st.ffree)),
            i64::try_from(st.ffree),
        ) {
            (Ok(used), Ok(free)) => Some((used, free)),
            _ => None,
        }
    };
    FsValues { space, inodes }
}
