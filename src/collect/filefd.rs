//! Open files of the whole system, and their limit.
//!
//! Reads: `<root>/proc/sys/fs/file-nr` (Documentation/admin-guide/sysctl/fs.rst): three
//! numbers, allocated file handles, free allocated handles (always 0 since 2.6), and
//! `file-max`, the system-wide limit (2^63−1, "no limit", on 64-bit kernels since 5.x).
//! Emits (spec/metrics.md §5.4): `system.linux.file_descriptor.count` (allocated − free) and
//! `system.linux.file_descriptor.limit` (file-max), UpDownCounters of {file_descriptor}: what
//! node_exporter's filefd collector calls `allocated` and `maximum`.
//! Input: `1184\t0\t9223372036854775807`.

use super::counter::to_int;
use super::text::parse_counter;
use super::{Collect, CollectError, read_required};
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::Source;
use std::path::PathBuf;

/// What this collector emits (the registry's list).
pub const METRICS: &[&semconv::Info] = &[
    &semconv::SYSTEM_LINUX_FILE_DESCRIPTOR_COUNT.info,
    &semconv::SYSTEM_LINUX_FILE_DESCRIPTOR_LIMIT.info,
];

/// (handles in use, limit) from `file-nr`.
pub fn parse_file_nr(text: &str) -> Result<(u64, u64), String> {
    let mut fields = text.split_ascii_whitespace().map(parse_counter);
    match (fields.next(), fields.next(), fields.next(), fields.next()) {
        (Some(Some(allocated)), Some(Some(free)), Some(Some(max)), None) if free <= allocated => {
            Ok((allocated - free, max))
        }
        _ => Err(format!(
            "expected \"<allocated> <free> <max>\" with free ≤ allocated, found \"{}\"",
            text.trim_end()
        )),
    }
}

/// The `filefd` collector.
#[derive(Debug)]
pub struct Filefd {
    path: PathBuf,
    buf: String,
}

impl Filefd {
    pub fn new(src: &Source) -> Self {
        Filefd {
            path: src.path("proc/sys/fs/file-nr"),
            buf: String::new(),
        }
    }
}

impl Collect for Filefd {
    fn collect(
        &mut self,
        src: &Source,
        _tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        read_required(src, &self.path, &mut self.buf)?;
        let (count, limit) = parse_file_nr(&self.buf)
            .map_err(|what| CollectError::malformed(&self.path, Some(1), what))?;
        out.metric(&semconv::SYSTEM_LINUX_FILE_DESCRIPTOR_COUNT)
            .point(&[], to_int(count));
        out.metric(&semconv::SYSTEM_LINUX_FILE_DESCRIPTOR_LIMIT)
            .point(&[], to_int(limit));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_is_allocated_minus_free_and_limit_is_file_max() {
        // Linux 6.18 x86_64 (the x86_64-vm fixture): 377 allocated, 0 free, max 2466177.
        assert_eq!(parse_file_nr("377\t0\t2466177\n"), Ok((377, 2_466_177)));
        // A 64-bit Raspberry Pi OS kernel (raspberry-pi-4): no limit, 2^63 − 1.
        assert_eq!(
            parse_file_nr("1696\t0\t9223372036854775807\n"),
            Ok((1696, i64::MAX as u64))
        );
        // Linux 2.4 kept freed handles on a free list: in use = 4096 − 1024.
        assert_eq!(parse_file_nr("4096 1024 8192"), Ok((3072, 8192)));
    }

    #[test]
    fn damaged_text_is_an_error() {
        for text in [
            "",
            "377\t0",
            "377\t0\t2466177\t9",
            "377\tx\t2466177",
            "377\t0\t18446744073709551615",
            "10\t11\t100",
        ] {
            assert!(parse_file_nr(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        crate::collect::garbage::for_each_variant("1184\t0\t93634\n", |text| {
            let _ = parse_file_nr(text);
        });
    }
}
