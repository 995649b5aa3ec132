//! Metric names of sysotlp's own health, the `agent` collector (exporter spec §5.1), and
//! their attribute keys.

use super::{Kind, Metric};

// agent: sysotlp's own health (exporter spec §5.1); names mirror otelcol_exporter_*,
// otelcol_scraper_*, otelcol_process_* under our prefix.
pub const SYSOTLP_EXPORTER_SENT_METRIC_POINTS: Metric<i64> = Metric::new(
    "sysotlp.exporter.sent_metric_points",
    "{datapoints}",
    Kind::Counter,
    "Data points the receiver accepted (sent minus rejected).",
);
pub const SYSOTLP_EXPORTER_SEND_FAILED_METRIC_POINTS: Metric<i64> = Metric::new(
    "sysotlp.exporter.send_failed_metric_points",
    "{datapoints}",
    Kind::Counter,
    "Data points in failed attempts, retried or not.",
);
pub const SYSOTLP_EXPORTER_REQUESTS: Metric<i64> = Metric::new(
    "sysotlp.exporter.requests",
    "{requests}",
    Kind::Counter,
    "Export attempts by outcome.",
);
pub const SYSOTLP_EXPORTER_DROPPED_METRIC_POINTS: Metric<i64> = Metric::new(
    "sysotlp.exporter.dropped_metric_points",
    "{datapoints}",
    Kind::Counter,
    "Data points that will never be delivered, by reason.",
);
pub const SYSOTLP_EXPORTER_QUEUE_SIZE: Metric<i64> = Metric::new(
    "sysotlp.exporter.queue_size",
    "{batches}",
    Kind::Gauge,
    "Requests waiting to be delivered.",
);
pub const SYSOTLP_EXPORTER_QUEUE_SIZE_BYTES: Metric<i64> = Metric::new(
    "sysotlp.exporter.queue_size_bytes",
    "By",
    Kind::Gauge,
    "Bytes of waiting requests, by storage.",
);
pub const SYSOTLP_EXPORTER_QUEUE_CAPACITY_BYTES: Metric<i64> = Metric::new(
    "sysotlp.exporter.queue_capacity_bytes",
    "By",
    Kind::Gauge,
    "Limit of waiting requests, by storage.",
);
pub const SYSOTLP_EXPORTER_OLDEST_BATCH_AGE: Metric<f64> = Metric::new(
    "sysotlp.exporter.oldest_batch_age",
    "s",
    Kind::Gauge,
    "Age of the oldest waiting request; 0 when none waits.",
);
pub const SYSOTLP_EXPORTER_SEND_DURATION: Metric<f64> = Metric::new(
    "sysotlp.exporter.send_duration",
    "s",
    Kind::Gauge,
    "Duration of the last export attempt.",
);
pub const SYSOTLP_SCRAPER_SCRAPED_METRIC_POINTS: Metric<i64> = Metric::new(
    "sysotlp.scraper.scraped_metric_points",
    "{datapoints}",
    Kind::Counter,
    "Data points produced, by collector.",
);
pub const SYSOTLP_SCRAPER_ERRORS: Metric<i64> = Metric::new(
    "sysotlp.scraper.errors",
    "{errors}",
    Kind::Counter,
    "Failed collector runs, by collector.",
);
pub const SYSOTLP_SCRAPER_DURATION: Metric<f64> = Metric::new(
    "sysotlp.scraper.duration",
    "s",
    Kind::Gauge,
    "Duration of the last run, by collector.",
);
pub const SYSOTLP_PROCESS_MEMORY_RSS: Metric<i64> = Metric::new(
    "sysotlp.process.memory.rss",
    "By",
    Kind::Gauge,
    "Resident memory of sysotlp (VmRSS).",
);
pub const SYSOTLP_PROCESS_MEMORY_PEAK: Metric<i64> = Metric::new(
    "sysotlp.process.memory.peak",
    "By",
    Kind::Gauge,
    "Peak resident memory of sysotlp (VmHWM).",
);
pub const SYSOTLP_PROCESS_CPU_TIME: Metric<f64> = Metric::new(
    "sysotlp.process.cpu.time",
    "s",
    Kind::Counter,
    "CPU time used by sysotlp, user plus system.",
);
pub const SYSOTLP_PROCESS_UPTIME: Metric<f64> = Metric::new(
    "sysotlp.process.uptime",
    "s",
    Kind::Counter,
    "Time since sysotlp started (a heartbeat).",
);

pub const ERROR_TYPE: &str = "error.type";
pub const OUTCOME: &str = "outcome";
pub const REASON: &str = "reason";
pub const STORAGE: &str = "storage";
pub const SCRAPER: &str = "scraper";
pub const STORAGE_MEMORY: &str = "memory";
pub const STORAGE_SPOOL: &str = "spool";
