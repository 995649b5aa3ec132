//! Load averages.
//!
//! Reads: `<root>/proc/loadavg` (proc(5)); with `--load-cpu-average` also the online CPU list.
//! Emits: `system.cpu.load_average.{1m,5m,15m}`, Gauge, {thread}, double (spec/metrics.md §3.3).
//! Input: `0.42 0.35 0.30 2/517 12345`; only the first three fields are used.
//!
//! Own parser, not procfs' `LoadAverage`: that one parses into `f32` (0.42 becomes
//! 0.41999998) and reads into a new `String` every time.

use super::{Collect, CollectError, cpu, read_required};
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::semconv;
use crate::source::Source;
use std::path::PathBuf;

/// What this collector emits (the registry's list).
pub const METRICS: &[&semconv::Info] = &[
    &semconv::SYSTEM_CPU_LOAD_AVERAGE_1M.info,
    &semconv::SYSTEM_CPU_LOAD_AVERAGE_5M.info,
    &semconv::SYSTEM_CPU_LOAD_AVERAGE_15M.info,
];

/// Options of the `load` collector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `--load-cpu-average`: divide by the online CPU count.
    pub per_cpu_average: bool,
}

/// The 1, 5 and 15 minute averages.
pub fn parse_loadavg(text: &str) -> Result<[f64; 3], String> {
    let mut fields = text.split_ascii_whitespace();
    let mut averages = [0.0; 3];
    for (index, average) in averages.iter_mut().enumerate() {
        let field = fields
            .next()
            .ok_or_else(|| format!("expected 3 load averages, found {index}"))?;
        *average = field
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("expected a load average, found \"{field}\""))?;
    }
    Ok(averages)
}

/// The `load` collector.
#[derive(Debug)]
pub struct Load {
    path: PathBuf,
    online: PathBuf,
    per_cpu_average: bool,
    buf: String,
}

impl Load {
    pub fn new(src: &Source, options: &Options) -> Self {
        Load {
            path: src.path("proc/loadavg"),
            online: src.path("sys/devices/system/cpu/online"),
            per_cpu_average: options.per_cpu_average,
            buf: String::new(),
        }
    }
}

impl Collect for Load {
    fn collect(
        &mut self,
        src: &Source,
        _tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        read_required(src, &self.path, &mut self.buf)?;
        let averages = parse_loadavg(&self.buf)
            .map_err(|what| CollectError::malformed(&self.path, Some(1), what))?;
        let divisor = if self.per_cpu_average {
            cpu::logical_cpu_count(src, &self.online, &mut self.buf)?.max(1) as f64
        } else {
            1.0
        };
        let metrics = [
            &semconv::SYSTEM_CPU_LOAD_AVERAGE_1M,
            &semconv::SYSTEM_CPU_LOAD_AVERAGE_5M,
            &semconv::SYSTEM_CPU_LOAD_AVERAGE_15M,
        ];
        for (metric, average) in metrics.into_iter().zip(averages) {
            out.metric(metric).point(&[], average / divisor);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_averages() {
        assert_eq!(
            parse_loadavg("0.42 0.35 0.30 2/517 12345\n"),
            Ok([0.42, 0.35, 0.30])
        );
        assert_eq!(
            parse_loadavg("12.00 7.50 3.25 1/79 1874"),
            Ok([12.0, 7.5, 3.25])
        );
    }

    #[test]
    fn garbage_never_panics() {
        crate::collect::garbage::for_each_variant("0.42 0.35 0.30 2/517 12345\n", |text| {
            if let Ok(averages) = parse_loadavg(text) {
                assert!(averages.iter().all(|a| a.is_finite() && *a >= 0.0));
            }
        });
    }

    #[test]
    fn empty_short_and_invalid_input_is_an_error() {
        assert_eq!(
            parse_loadavg(""),
            Err("expected 3 load averages, found 0".into())
        );
        assert_eq!(
            parse_loadavg("0.1 0.2"),
            Err("expected 3 load averages, found 2".into())
        );
        assert_eq!(
            parse_loadavg("0.1 x 0.3"),
            Err("expected a load average, found \"x\"".into())
        );
        assert!(parse_loadavg("NaN 0 0").is_err());
        assert!(parse_loadavg("-1 0 0").is_err());
        assert!(parse_loadavg("inf 0 0").is_err());
    }
}
