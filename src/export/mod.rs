//! Exporters: bytes to the wire (or stdout). They never see a metric.
//!
//! Reads: an encoded request from the agent. Emits: an `Outcome` per attempt, which decides
//! whether the batch is done, retried later, or dropped (exporter spec §2.2), and
//! `ExportFailure`s for `report`.

pub mod backoff;
pub mod delivery;
pub mod gzip;
pub mod http;
pub mod queue;
pub mod resolver;
pub mod spool;
pub mod stdout;
#[cfg(feature = "tls")]
pub mod tls;

use crate::report::Failure;
pub use crate::telemetry::ErrorType;
use std::fmt;
use std::time::Duration;

/// How a request body is written: OTLP protobuf or OTLP/JSON, gzip-compressed or not. A
/// queued or spooled batch keeps its own (a restart may change `--protocol`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BodyFormat {
    pub json: bool,
    pub gzip: bool,
}

/// What happened to one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered (2xx). `rejected`: data points the receiver refused (partial success);
    /// they are not retried.
    Sent { rejected: u64 },
    /// Not delivered, worth trying again: network failures, 429, 502, 503, 504.
    /// `retry_after`: the server's `Retry-After`, when it gave a valid one.
    Retry {
        error: ErrorType,
        retry_after: Option<Duration>,
        detail: String,
    },
    /// Not delivered and never will be: any other status. The batch is dropped.
    Failed { error: ErrorType, detail: String },
    /// The output is gone for good (stdout closed by the reader): stop quietly, exit 0.
    Closed,
}

/// An export failure as `report` sees it: of one class per error type (a 503 outage turning
/// into refused connections is news; the next 503 is not).
#[derive(Debug)]
pub enum ExportFailure {
    /// Retryable: queued and tried again after `delay` (`None`: not in this process, as
    /// under `--once`).
    Retry {
        error: ErrorType,
        detail: String,
        delay: Option<Duration>,
        queued: usize,
    },
    /// Not retryable: the batch of `points` was dropped.
    Dropped {
        error: ErrorType,
        detail: String,
        points: u32,
    },
}

impl ExportFailure {
    pub fn error(&self) -> ErrorType {
        match self {
            ExportFailure::Retry { error, .. } | ExportFailure::Dropped { error, .. } => *error,
        }
    }
}

impl fmt::Display for ExportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportFailure::Retry {
                detail,
                delay: Some(delay),
                queued,
                ..
            } => write!(
                f,
                "{detail}; retrying in {:.1} s ({queued} batches queued)",
                delay.as_secs_f64()
            ),
            ExportFailure::Retry {
                detail,
                delay: None,
                ..
            } => write!(f, "{detail}; not retried (--once)"),
            ExportFailure::Dropped { detail, points, .. } => {
                write!(f, "{points} data points dropped (not retryable): {detail}")
            }
        }
    }
}

impl Failure for ExportFailure {
    fn same_class(&self, other: &ExportFailure) -> bool {
        self.error() == other.error()
    }
}
