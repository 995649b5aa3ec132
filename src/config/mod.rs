//! The validated configuration: flags merged with `OTEL_*` variables.
//!
//! Reads: `Cli` and an environment lookup (passed in, never `std::env` here, so tests set
//! their own). Emits: `Config`, start-up warnings to log once the logger exists, or a
//! `ConfigError` for `main` to print before exiting 2. One file per concern: `otlp`
//! (exporter, endpoint, headers, protocol), `tls`, `proxy`, `delivery` (sizes, budgets,
//! spool), `selection` (collectors, metrics, filters, collector options), `output`
//! (temporality, names), `resource`,
//! `logging`; each describes itself for `--check`.
//! Precedence: flag > `OTEL_EXPORTER_OTLP_METRICS_*` > `OTEL_EXPORTER_OTLP_*` > default.
//! Error policy (exporter spec §1.1): a bad flag, endpoint or header exits 2; other invalid
//! `OTEL_*` values (durations, enums, booleans, resource attributes) warn and count as unset.

pub mod delivery;
pub mod endpoint;
pub mod error;
pub mod logging;
pub mod otlp;
pub mod output;
pub mod pairs;
pub mod proxy;
pub mod resource;
pub mod selection;
pub mod tls;

pub use delivery::DeliveryConfig;
pub use error::ConfigError;
pub use otlp::{ExporterKind, OtlpOptions};

use crate::cli::Cli;
use crate::collect::Selection;
use crate::units::{self, parse_duration, parse_millis};
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
const MIN_INTERVAL: Duration = Duration::from_millis(100);
const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// Everything the agent runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub root: PathBuf,
    pub exporter: ExporterKind,
    pub interval: Duration,
    pub once: bool,
    pub check: bool,
    pub otlp: OtlpOptions,
    pub delivery: DeliveryConfig,
    /// User resource attributes in precedence order (later wins; empty value removes).
    pub resource: Vec<(String, String)>,
    /// Collectors, metric switches and collector options.
    pub collect: Selection,
    /// Counter temporality and metric names.
    pub output: crate::otlp::Output,
    /// An env_logger filter.
    pub log_filter: String,
    /// Invalid `OTEL_*` values that were ignored, to log once the logger runs.
    pub warnings: Vec<String>,
}

/// Environment lookup; empty values count as unset.
pub struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Env<'_> {
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    /// The first set variable of `names` with its name.
    pub fn first(&self, names: &[&'static str]) -> Option<(&'static str, String)> {
        names
            .iter()
            .find_map(|name| self.get(name).map(|v| (*name, v)))
    }
}

impl Config {
    /// Validates `cli` against the environment `lookup`.
    pub fn from_cli(
        cli: Cli,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let env = Env { lookup };
        let mut warnings = Vec::new();
        let exporter = otlp::exporter(&cli, &env, &mut warnings)?;
        let otlp = OtlpOptions::from_cli(&cli, &env, exporter, &mut warnings)?;
        if env.get("OTEL_CONFIG_FILE").is_some() {
            warnings.push(
                "OTEL_CONFIG_FILE is not supported (it would override every other variable); ignoring it".into(),
            );
        }
        let interval = interval(&cli, &env, &mut warnings)?;
        Ok(Config {
            root: PathBuf::from(cli.root_path.as_deref().unwrap_or("/")),
            exporter,
            interval,
            once: cli.once,
            check: cli.check,
            otlp,
            delivery: delivery::from_cli(&cli, &env, &mut warnings)?,
            resource: resource::resource(&cli, &env, &mut warnings)?,
            collect: selection::from_cli(&cli, &env, interval)?,
            output: output::from_cli(&cli, &env, &mut warnings)?,
            log_filter: logging::log_filter(&cli, &env, &mut warnings)?,
            warnings,
        })
    }

    /// The effective configuration, header values redacted: the start line and `--check`.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "exporter={} interval={} root={}",
            self.exporter.name(),
            units::display(self.interval),
            self.root.display(),
        );
        selection::describe(&self.collect, &mut text);
        output::describe(&self.output, &mut text);
        if self.exporter == ExporterKind::Otlp {
            self.otlp.describe(&mut text);
            self.delivery.describe(&mut text);
        }
        text
    }
}

fn interval(cli: &Cli, env: &Env, warnings: &mut Vec<String>) -> Result<Duration, ConfigError> {
    let in_range = |d: &Duration| (MIN_INTERVAL..=MAX_INTERVAL).contains(d);
    if let Some(text) = &cli.interval {
        return parse_duration(text).filter(in_range).ok_or_else(|| {
            ConfigError::invalid(
                "--interval",
                text,
                "a duration from 100ms to 24h such as 10s",
            )
        });
    }
    if let Some(text) = env.get("OTEL_METRIC_EXPORT_INTERVAL") {
        match parse_millis(&text).filter(in_range) {
            Some(d) => return Ok(d),
            None => warnings.push(format!(
                "ignoring OTEL_METRIC_EXPORT_INTERVAL=\"{text}\": expected milliseconds from 100 to 86400000; using 60s"
            )),
        }
    }
    Ok(DEFAULT_INTERVAL)
}

#[cfg(test)]
mod tests;
