//! Metrics written by scripts: a drop directory of Prometheus text files, forwarded as OTLP.
//!
//! Reads: every `*.prom` file of `--textfile-dir` (a host path, never under `--root-path`),
//! sorted by name, not recursive, each tick; node_exporter's textfile collector format
//! (`parse`). Emits: the files' samples under the host resource in the scope `textfile`,
//! mapped as the OpenTelemetry specification's "Prometheus and OpenMetrics Compatibility"
//! (specification/compatibility/prometheus_and_openmetrics.md, "Prometheus Metric points to
//! OTLP") says: counter → monotonic cumulative Sum, gauge and untyped → Gauge, histogram →
//! Histogram with explicit bounds, summary → Summary; labels → attributes; HELP →
//! description; TYPE → `prometheus.type` metadata; names unchanged. And per file, in the
//! `sysotlp` scope: `sysotlp.textfile.mtime` (its modification time, to alert on stale
//! files) and `sysotlp.textfile.error` (1 when none of its samples were used this tick).
//!
//! Start times: a file has none ("Start Time" of the spec: no `_created` in this format), so
//! the tick a series is first seen is its start (a zero-duration first point, the data
//! model's "unknown start time"), and a counter, histogram or summary count that goes down
//! is a reset whose new start is the previous tick's time, as for the host's counters
//! (spec/metrics.md §1.3). Gauges start at boot, like the host's. A series gone for 3 ticks
//! is forgotten.
//!
//! A file is used whole or not at all: unreadable, not a regular file (a FIFO, device or
//! directory would block or mislead), over `--textfile-max-file-size`, not UTF-8, a syntax
//! error, a timestamped sample, contradicting histogram lines, a family whose TYPE or HELP
//! differs from an earlier file's, a series an earlier file (or the same one) already gave,
//! or more series than `--textfile-max-series` leaves: each is one rate-limited WARN naming
//! the file (and line), and its `error` point is 1. Files past `--textfile-max-files` are
//! not read (one WARN naming the flag). Scripts should write a temporary file and rename it
//! (README "Feeding it from scripts"): a file written in place may be read half-written.

mod checks;
mod emit;
mod files;
pub mod parse;
pub mod series;

use self::files::FileFailure;
use self::parse::{Parsed, Type};
use self::series::Assembled;
use super::{Collect, CollectError};
use crate::otlp::{Builder, Open, OpenHistogram, OpenSummary};
use crate::report::{Once, Report};
use crate::schedule::Tick;
use crate::semconv;
use crate::source::Source;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

/// What this collector emits of its own (the registry's list); the files' metrics are
/// whatever they say.
pub const METRICS: &[&semconv::Info] = &[
    &semconv::SYSOTLP_TEXTFILE_MTIME.info,
    &semconv::SYSOTLP_TEXTFILE_ERROR.info,
];

pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 20;
pub const DEFAULT_MAX_FILES: usize = 100;
pub const DEFAULT_MAX_SERIES: usize = 2000;
/// The scope of the files' metrics.
const SCOPE: &str = "textfile";
/// A series not seen for this many ticks is forgotten.
const STALE_TICKS: u64 = 3;
/// Bytes of `getdents64` buffer.
const DIRENT_BUFFER: usize = 8192;

/// Options of the `textfile` collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `--textfile-dir` (`SYSOTLP_TEXTFILE_DIR`); the collector runs only with one.
    pub dir: Option<PathBuf>,
    /// `--textfile-max-file-size`: larger files are refused.
    pub max_file_bytes: u64,
    /// `--textfile-max-files`: the first this many files (by name) are read.
    pub max_files: usize,
    /// `--textfile-max-series`: series per tick, all files together.
    pub max_series: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dir: None,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_files: DEFAULT_MAX_FILES,
            max_series: DEFAULT_MAX_SERIES,
        }
    }
}

/// What is kept of a series between ticks.
#[derive(Debug, Clone, Copy)]
struct SeriesState {
    /// Start time; 0 until first emitted.
    start: u64,
    /// Last value (the count for histograms and summaries), for reset detection.
    last: f64,
    /// Tick it was last claimed by a file, and by which file (to find duplicates).
    tick: u64,
    file: usize,
    /// `tick` before this tick's claim, restored if the claiming file is refused.
    previous_tick: u64,
}

/// A family opened this tick, shared by the files that have it.
#[derive(Debug, Default)]
struct FamilySlot {
    name: String,
    help: String,
    kind: Option<Type>,
    handle: Handle,
}

#[derive(Debug, Default, Clone, Copy)]
enum Handle {
    #[default]
    None,
    Number(Open<f64>),
    Histogram(OpenHistogram),
    Summary(OpenSummary),
}

/// One file of this tick, for its health points.
#[derive(Debug, Clone, Copy)]
struct FileRow {
    /// Span of its name in `names`.
    name: (usize, usize),
    mtime: Option<f64>,
    error: bool,
}

/// The `textfile` collector.
pub struct Textfile {
    dir: PathBuf,
    options: Options,
    dirents: Vec<u8>,
    /// This tick's file names, back to back; `spans` index them, sorted by name.
    names: String,
    spans: Vec<(usize, usize)>,
    path: PathBuf,
    text: String,
    parsed: Parsed,
    assembled: Assembled,
    series: HashMap<String, SeriesState>,
    key: String,
    families: Vec<FamilySlot>,
    families_used: usize,
    files: Vec<FileRow>,
    series_this_tick: usize,
    report: Report<FileFailure>,
    files_capped: Once,
    bad_names: Once,
}

impl Textfile {
    /// The collector, when `--textfile-dir` names a directory.
    pub fn new(options: &Options) -> Option<Self> {
        let dir = options.dir.clone()?;
        Some(Textfile {
            path: dir.clone(),
            dir,
            options: options.clone(),
            dirents: Vec::with_capacity(DIRENT_BUFFER),
            names: String::new(),
            spans: Vec::new(),
            text: String::new(),
            parsed: Parsed::default(),
            assembled: Assembled::default(),
            series: HashMap::new(),
            key: String::new(),
            families: Vec::new(),
            families_used: 0,
            files: Vec::new(),
            series_this_tick: 0,
            report: Report::new("textfile "),
            files_capped: Once::default(),
            bad_names: Once::default(),
        })
    }

    /// Per-file health points, in the `sysotlp` scope of the host resource.
    fn health(&self, out: &mut Builder) {
        out.host();
        let mtime = out.open(&semconv::SYSOTLP_TEXTFILE_MTIME);
        let error = out.open(&semconv::SYSOTLP_TEXTFILE_ERROR);
        for row in &self.files {
            let name = self.names.get(row.name.0..row.name.1).unwrap_or_default();
            let attributes = [(semconv::FILE_NAME, name)];
            if let Some(seconds) = row.mtime {
                out.point(mtime, &attributes, seconds);
            }
            out.point(error, &attributes, i64::from(row.error));
        }
    }
}

fn set(target: &mut String, value: &str) {
    if target != value {
        target.clear();
        target.push_str(value);
    }
}

impl Collect for Textfile {
    fn collect(
        &mut self,
        _src: &Source,
        tick: &Tick,
        out: &mut Builder,
    ) -> Result<(), CollectError> {
        self.families_used = 0;
        self.series_this_tick = 0;
        self.files.clear();
        self.list()?;
        if self.spans.len() > self.options.max_files && self.files_capped.first() {
            log::warn!(
                "textfile: {} has {} .prom files; reading the first {} by name (raise --textfile-max-files)",
                self.dir.display(),
                self.spans.len(),
                self.options.max_files
            );
        }
        let now = Instant::now();
        for file in 0..self.spans.len().min(self.options.max_files) {
            let Some(&name) = self.spans.get(file) else {
                continue;
            };
            let (mtime, read) = self.read(name);
            let result = read.and_then(|()| self.check(file, tick));
            let file_name = self.names.get(name.0..name.1).unwrap_or_default();
            match result {
                Ok(()) => {
                    self.report.succeeded(file_name, now, "");
                    self.emit(tick, out);
                }
                Err(failure) => {
                    self.report
                        .failed(log::Level::Warn, file_name, failure, now);
                }
            }
            self.files.push(FileRow {
                name,
                mtime,
                error: self
                    .report
                    .is_failing(self.names.get(name.0..name.1).unwrap_or_default()),
            });
        }
        let names = &self.names;
        let files = &self.files;
        self.report.retain(|gone| {
            files
                .iter()
                .any(|f| names.get(f.name.0..f.name.1) == Some(gone))
        });
        self.series
            .retain(|_, state| tick.cycle.saturating_sub(state.tick) < STALE_TICKS);
        self.health(out);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
