//! The `textfile` collector's own metrics: the health of each file of `--textfile-dir`
//! (sysotlp-defined, like node_exporter's `node_textfile_mtime_seconds` and
//! `node_textfile_scrape_error`). The files' own metrics take the names the files give.

use super::{Kind, Metric};

pub const SYSOTLP_TEXTFILE_MTIME: Metric<f64> = Metric::new(
    "sysotlp.textfile.mtime",
    "s",
    Kind::Gauge,
    "Modification time of each file of --textfile-dir, in seconds since the epoch.",
);
pub const SYSOTLP_TEXTFILE_ERROR: Metric<i64> = Metric::new(
    "sysotlp.textfile.error",
    "1",
    Kind::Gauge,
    "1 when none of a file's samples were used this tick (unreadable or invalid), else 0.",
);

/// The file's name, without its directory (semconv `file.name`).
pub const FILE_NAME: &str = "file.name";
