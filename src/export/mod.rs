//! Exporters: bytes to the wire (or stdout). They never see a metric.
//!
//! Reads: an encoded request from the agent. Emits: an `Outcome` per attempt, which decides
//! whether the batch is done, retried later, or dropped (exporter spec §2.2).

pub mod backoff;
pub mod delivery;
pub mod gzip;
pub mod http;
pub mod queue;
pub mod spool;
pub mod stdout;
#[cfg(feature = "tls")]
pub mod tls;

pub use crate::telemetry::ErrorType;
use std::time::Duration;

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
