//! Time since boot.
//!
//! Reads: `<root>/proc/uptime` (proc(5): seconds since boot, including suspend
//! (CLOCK_BOOTTIME), then idle seconds summed over CPUs).
//! Emits: `system.uptime`, Gauge, s, double (spec/metrics.md §3.10); 10 ms resolution where
//! upstream's `sysinfo(2)` gives whole seconds.
//! Input: `35.81 66.13`; only the first field is used.

use super::{Collect, CollectError, read_required};
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::Source;
use std::path::PathBuf;

/// What this collector emits (the registry's list).
pub const METRICS: &[&semconv::Info] = &[&semconv::SYSTEM_UPTIME.info];

/// Seconds since boot: the first field of `/proc/uptime`.
pub fn parse_uptime(text: &str) -> Result<f64, String> {
    let field = text
        .split_ascii_whitespace()
        .next()
        .ok_or("expected seconds since boot, found nothing")?;
    field
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("expected seconds since boot, found \"{field}\""))
}

/// The `system` collector.
#[derive(Debug)]
pub struct System {
    path: PathBuf,
    buf: String,
}

impl System {
    pub fn new(src: &Source) -> Self {
        System {
            path: src.path("proc/uptime"),
            buf: String::new(),
        }
    }
}

impl Collect for System {
    fn collect(
        &mut self,
        src: &Source,
        _tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        read_required(src, &self.path, &mut self.buf)?;
        let uptime = parse_uptime(&self.buf)
            .map_err(|what| CollectError::malformed(&self.path, Some(1), what))?;
        out.metric(&semconv::SYSTEM_UPTIME).point(&[], uptime);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_field() {
        assert_eq!(parse_uptime("35.81 66.13\n"), Ok(35.81));
        assert_eq!(parse_uptime("123456.78 900000.00"), Ok(123_456.78));
    }

    #[test]
    fn garbage_never_panics() {
        crate::collect::garbage::for_each_variant("35.81 66.13\n", |text| {
            if let Ok(uptime) = parse_uptime(text) {
                assert!(uptime.is_finite() && uptime >= 0.0);
            }
        });
    }

    #[test]
    fn empty_and_garbage_are_errors() {
        assert_eq!(
            parse_uptime(""),
            Err("expected seconds since boot, found nothing".into())
        );
        assert_eq!(
            parse_uptime("abc 1"),
            Err("expected seconds since boot, found \"abc\"".into())
        );
        assert!(parse_uptime("-5 1").is_err());
    }
}
