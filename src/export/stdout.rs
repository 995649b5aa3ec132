//! The stdout exporter: one OTLP/JSON request per line (JSON Lines).
//!
//! Reads: a JSON line from `otlp::json`. Emits: the line and `\n` on stdout, flushed at once
//! so `| jq` or `| head -1` sees it; logs go to stderr. A closed pipe (EPIPE, e.g. after
//! `head -1` exits) is `Outcome::Closed`: the agent stops and exits 0.

use super::{ErrorType, Outcome};
use std::io::{self, Write};

/// Writes each request as a line on stdout.
#[derive(Debug, Default)]
pub struct StdoutExporter;

impl StdoutExporter {
    pub fn write_line(&mut self, line: &str) -> Outcome {
        let mut out = io::stdout().lock();
        let written = out
            .write_all(line.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        match written {
            Ok(()) => Outcome::Sent { rejected: 0 },
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Outcome::Closed,
            Err(e) => Outcome::Failed {
                error: ErrorType::Connection,
                detail: format!("writing to stdout: {e}"),
            },
        }
    }
}
