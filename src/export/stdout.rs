//! The stdout exporter: one OTLP/JSON request per line (JSON Lines).
//!
//! Reads: a JSON line from `otlp::json`. Emits: the line and `\n` on stdout, flushed at once
//! so `| jq` or `| head -1` sees it; logs go to stderr. A closed pipe (EPIPE, e.g. after
//! `head -1` exits) is `Outcome::Closed`: the agent stops and exits 0. Other write errors
//! (ENOSPC on a redirected stdout) drop the tick's points and go to `report`: one ERROR for
//! a run of them, one INFO when writing works again.

use super::{ErrorType, ExportFailure, Outcome};
use crate::report::Report;
use std::io::{self, Write};
use std::time::Instant;

/// The `report` source of stdout failures.
const STDOUT: &str = "stdout";

/// Writes each request as a line on stdout.
#[derive(Debug)]
pub struct StdoutExporter {
    report: Report<ExportFailure>,
}

impl Default for StdoutExporter {
    fn default() -> Self {
        StdoutExporter {
            report: Report::new(""),
        }
    }
}

impl StdoutExporter {
    /// Writes `line`, the request of `points` data points.
    pub fn write_line(&mut self, line: &str, points: u32) -> Outcome {
        let mut out = io::stdout().lock();
        let written = out
            .write_all(line.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        match written {
            Ok(()) => {
                self.report.succeeded(STDOUT, Instant::now(), "");
                Outcome::Sent { rejected: 0 }
            }
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Outcome::Closed,
            Err(e) => {
                let detail = format!("writing to stdout: {e}");
                let failure = ExportFailure::Dropped {
                    error: ErrorType::Connection,
                    detail: detail.clone(),
                    points,
                };
                self.report
                    .failed(log::Level::Error, STDOUT, failure, Instant::now());
                Outcome::Failed {
                    error: ErrorType::Connection,
                    detail,
                }
            }
        }
    }
}
