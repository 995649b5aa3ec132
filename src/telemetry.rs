//! The agent's own health counters (exporter spec §5.1), shared by the loop that updates
//! them and the `agent` collector that reports them.
//!
//! Reads: outcomes of sends (`ErrorType` names why an attempt failed), queue sizes, each collector's result and duration.
//! Emits: nothing itself; `collect::agent` turns a snapshot into `sysotlp.*` metrics.
//! Single-threaded: shared through `Rc<RefCell<…>>`.

use std::cell::RefCell;
use std::rc::Rc;

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

/// Why data points were dropped: the `reason` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    QueueFull,
    MaxAge,
    NonRetryable,
    Rejected,
    TooLarge,
    Corrupt,
    Shutdown,
}

impl DropReason {
    pub const ALL: [DropReason; 7] = [
        DropReason::QueueFull,
        DropReason::MaxAge,
        DropReason::NonRetryable,
        DropReason::Rejected,
        DropReason::TooLarge,
        DropReason::Corrupt,
        DropReason::Shutdown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue_full",
            DropReason::MaxAge => "max_age",
            DropReason::NonRetryable => "non_retryable",
            DropReason::Rejected => "rejected",
            DropReason::TooLarge => "too_large",
            DropReason::Corrupt => "corrupt",
            DropReason::Shutdown => "shutdown",
        }
    }
}

/// Request outcomes: the `outcome` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    Sent,
    Retried,
    Failed,
}

impl RequestOutcome {
    pub const ALL: [RequestOutcome; 3] = [
        RequestOutcome::Sent,
        RequestOutcome::Retried,
        RequestOutcome::Failed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RequestOutcome::Sent => "sent",
            RequestOutcome::Retried => "retried",
            RequestOutcome::Failed => "failed",
        }
    }
}

/// The exporter's counters and gauges.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ExporterStats {
    /// Accepted minus rejected points.
    pub sent_points: u64,
    /// Points of failed attempts, by error type (retried or not).
    pub failed_points: Vec<(ErrorType, u64)>,
    /// Requests by outcome, indexed like `RequestOutcome::ALL`.
    pub requests: [u64; 3],
    /// Dropped points, indexed like `DropReason::ALL`.
    pub dropped: [u64; 7],
    pub queue_batches: u64,
    pub memory_bytes: u64,
    pub memory_capacity: u64,
    /// Spool bytes and capacity, when a spool is configured.
    pub spool: Option<(u64, u64)>,
    /// Seconds since the oldest queued batch was created; 0 when empty.
    pub oldest_batch_age: f64,
    /// Duration of the last attempt, in seconds.
    pub send_duration: f64,
    /// True once at least one tick has been exported (values cover earlier ticks only).
    pub reported: bool,
}

impl ExporterStats {
    pub fn count_request(&mut self, outcome: RequestOutcome) {
        self.requests[outcome as usize] += 1;
    }

    pub fn drop_points(&mut self, reason: DropReason, points: u64) {
        self.dropped[reason as usize] += points;
    }

    pub fn fail_points(&mut self, error: ErrorType, points: u64) {
        match self.failed_points.iter_mut().find(|(e, _)| *e == error) {
            Some((_, total)) => *total += points,
            None => self.failed_points.push((error, points)),
        }
    }
}

/// One collector's results.
#[derive(Debug, Clone, PartialEq)]
pub struct ScraperStats {
    pub name: &'static str,
    pub points: u64,
    pub errors: u64,
    /// Duration of the last run, in seconds.
    pub duration: f64,
}

/// Everything the `agent` collector reports.
#[derive(Debug, Default)]
pub struct Telemetry {
    pub exporter: ExporterStats,
    pub scrapers: Vec<ScraperStats>,
    /// Wall time the process started: the start of the `sysotlp.*` sums.
    pub start_unix_nano: u64,
}

impl Telemetry {
    pub fn shared(start_unix_nano: u64) -> Rc<RefCell<Telemetry>> {
        Rc::new(RefCell::new(Telemetry {
            start_unix_nano,
            ..Telemetry::default()
        }))
    }

    /// Records one collector run.
    pub fn scraped(&mut self, name: &'static str, points: u64, failed: bool, duration: f64) {
        let stats = match self.scrapers.iter().position(|s| s.name == name) {
            Some(index) => &mut self.scrapers[index],
            None => {
                self.scrapers.push(ScraperStats {
                    name,
                    points: 0,
                    errors: 0,
                    duration: 0.0,
                });
                let last = self.scrapers.len() - 1;
                &mut self.scrapers[last]
            }
        };
        stats.points += points;
        stats.errors += u64::from(failed);
        stats.duration = duration;
    }

    /// Counts the points of a further batch of collector `name` this tick
    /// (`Collect::collect_more`).
    pub fn scraped_more(&mut self, name: &'static str, points: u64) {
        if let Some(stats) = self.scrapers.iter_mut().find(|s| s.name == name) {
            stats.points += points;
        }
    }
}
