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
use std::cell::RefCell;
use std::ffi::OsString;
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

/// Variables whose value decides where data goes and who may read it: set but not UTF-8,
/// they stop start-up like any other unusable value of theirs (exporter spec §1.1); any other
/// variable that is not UTF-8 is warned about and counts as unset.
const STRICT_VARIABLES: &[&str] = &[
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    "OTEL_EXPORTER_OTLP_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_CLIENT_KEY",
    "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Environment lookup; empty values count as unset. A value that is not UTF-8 also reads as
/// unset here, and is remembered so that `Config::from_os_env` can refuse or warn about it
/// (`std::env::var(..).ok()` used to drop such values without a word).
pub struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<OsString>,
    not_text: RefCell<Vec<String>>,
}

impl<'a> Env<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<OsString>) -> Self {
        Env {
            lookup,
            not_text: RefCell::new(Vec::new()),
        }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        match (self.lookup)(name)?.into_string() {
            Ok(text) => Some(text).filter(|v| !v.trim().is_empty()),
            Err(_) => {
                let mut not_text = self.not_text.borrow_mut();
                if !not_text.iter().any(|n| n == name) {
                    not_text.push(name.to_string());
                }
                None
            }
        }
    }

    /// The variables read so far that were set but not UTF-8: an error for the first strict
    /// one, a warning for each other.
    fn check_text(&self, warnings: &mut Vec<String>) -> Result<(), ConfigError> {
        for name in self.not_text.borrow().iter() {
            if STRICT_VARIABLES.contains(&name.as_str()) {
                return Err(ConfigError::Invalid {
                    source: name.clone(),
                    value: None,
                    expected: "UTF-8 text (the value has bytes that are not)".into(),
                });
            }
            warnings.push(format!("ignoring {name}: its value is not UTF-8 text"));
        }
        Ok(())
    }

    /// The first set variable of `names` with its name.
    pub fn first(&self, names: &[&'static str]) -> Option<(&'static str, String)> {
        names
            .iter()
            .find_map(|name| self.get(name).map(|v| (*name, v)))
    }
}

impl Config {
    /// Validates `cli` against the environment `lookup` (text values: tests, the bench).
    pub fn from_cli(
        cli: Cli,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        Self::from_os_env(cli, &|name| lookup(name).map(OsString::from))
    }

    /// Validates `cli` against the process environment as the OS gives it (`var_os`): a
    /// variable that is set but not UTF-8 is never mistaken for an unset one.
    pub fn from_os_env(
        cli: Cli,
        lookup: &dyn Fn(&str) -> Option<OsString>,
    ) -> Result<Config, ConfigError> {
        let env = Env::new(lookup);
        let mut warnings = Vec::new();
        let config = Self::validate(cli, &env, &mut warnings);
        // A strict variable that is not text is the cause of whatever else went wrong.
        env.check_text(&mut warnings)?;
        let mut config = config?;
        config.warnings = warnings;
        Ok(config)
    }

    fn validate(cli: Cli, env: &Env, warnings: &mut Vec<String>) -> Result<Config, ConfigError> {
        let exporter = otlp::exporter(&cli, env, warnings)?;
        let otlp = OtlpOptions::from_cli(&cli, env, exporter, warnings)?;
        if env.get("OTEL_CONFIG_FILE").is_some() {
            warnings.push(
                "OTEL_CONFIG_FILE is not supported (it would override every other variable); ignoring it".into(),
            );
        }
        let interval = interval(&cli, env, warnings)?;
        Ok(Config {
            root: PathBuf::from(cli.root_path.as_deref().unwrap_or("/")),
            exporter,
            interval,
            once: cli.once,
            check: cli.check,
            otlp,
            delivery: delivery::from_cli(&cli, env, warnings)?,
            resource: resource::resource(&cli, env, warnings)?,
            collect: selection::from_cli(&cli, env, interval)?,
            output: output::from_cli(&cli, env, warnings)?,
            log_filter: logging::log_filter(&cli, env, warnings)?,
            warnings: Vec::new(),
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
