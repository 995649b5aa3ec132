//! Exporters: bytes to the wire (or stdout). They never see a metric.
//!
//! Reads: an encoded request from the agent. Emits: an `Outcome` per request.

pub mod http;
pub mod stdout;
#[cfg(feature = "tls")]
pub mod tls;

/// What happened to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered (a 2xx, partial success included; or the line is written).
    Sent,
    /// Not delivered; the text says why (status and body excerpt, or the network error).
    Failed(String),
    /// The output is gone for good (stdout closed by the reader): stop quietly, exit 0.
    Closed,
}
