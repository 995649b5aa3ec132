//! sysotlp: a tiny Linux host-metrics agent that reads `/proc` and `/sys` under a root and
//! pushes OpenTelemetry metrics over OTLP/HTTP.
//!
//! One synchronous loop, front to back:
//! `schedule` wakes on the tick deadline (or a signal) and stamps the tick with the wall
//! clock → `cycle` fixes the tick's start times (`boot`) and runs each collector of the
//! `collect` registry, which reads its files through `source` and appends points to an
//! `otlp::Builder` using names from `semconv` → `otlp::split` cuts the request into parts
//! of at most `--max-request-size` and `otlp::encode` (or `otlp::json`) turns each into
//! bytes → an `export` backend sends them and returns an `Outcome`; a watchdog thread of
//! `schedule` bounds the shutdown whatever the loop is blocked on. `report` turns every
//! failure, a collector's, a mount's or an export's, into rate-limited log lines;
//! `telemetry` counts outcomes for the `agent` collector. `config` (from `cli` and `OTEL_*`)
//! and `resource` are built once at start. Dependencies point one way, `cli` →
//! `config` → `collect` → `otlp`, with leaf types (`filter`, `units`, `semconv`) below:
//! collectors never see prost types, the configuration or the network; exporters never see
//! a metric.

#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod agent;
pub mod boot;
pub mod cli;
pub mod collect;
pub mod config;
pub mod cycle;
pub mod export;
pub mod filter;
pub mod json;
pub mod logging;
pub mod otlp;
pub mod report;
pub mod resource;
pub mod schedule;
pub mod semconv;
pub mod source;
pub mod telemetry;
pub mod units;
