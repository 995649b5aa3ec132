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

use std::time::Duration;

/// Why an attempt failed, as the `error.type` of the self-metrics (exporter spec §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    Timeout,
    Connection,
    Dns,
    Tls,
    /// An HTTP status that is not 2xx.
    Status(u16),
}

impl ErrorType {
    /// The attribute value: `timeout`, `connection`, `dns`, `tls` or the status code.
    pub fn write_name(self, out: &mut String) {
        out.clear();
        match self {
            ErrorType::Timeout => out.push_str("timeout"),
            ErrorType::Connection => out.push_str("connection"),
            ErrorType::Dns => out.push_str("dns"),
            ErrorType::Tls => out.push_str("tls"),
            ErrorType::Status(code) => {
                use std::fmt::Write;
                let _ = write!(out, "{code}");
            }
        }
    }
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
