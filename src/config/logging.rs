//! The log filter: `--log-level` > `RUST_LOG` > `OTEL_LOG_LEVEL` > info (exporter spec §5.2).
//!
//! Reads: those three. Emits: an `env_logger` filter string; a plain level applies to
//! sysotlp only, dependencies stay at warn.

use super::{ConfigError, Env};
use crate::cli::Cli;

const DEFAULT_LOG_FILTER: &str = "warn,sysotlp=info";

/// A plain level word as `env_logger` takes it, for `--log-level`, `RUST_LOG` and
/// `OTEL_LOG_LEVEL` (which says `none` and `verbose`).
fn level_word(text: &str) -> Option<&'static str> {
    match text.trim().to_ascii_lowercase().as_str() {
        "off" | "none" => Some("off"),
        "error" => Some("error"),
        "warn" | "warning" => Some("warn"),
        "info" => Some("info"),
        "debug" => Some("debug"),
        "trace" | "verbose" => Some("trace"),
        _ => None,
    }
}

/// A plain level applies to sysotlp; dependencies stay at warn.
fn filter_for(level: &str) -> String {
    if level == "off" {
        "off".to_string()
    } else {
        format!("warn,sysotlp={level}")
    }
}

pub fn log_filter(cli: &Cli, env: &Env, warnings: &mut Vec<String>) -> Result<String, ConfigError> {
    if let Some(text) = &cli.log_level {
        let level = level_word(text).ok_or_else(|| {
            ConfigError::invalid(
                "--log-level",
                text,
                "off, error, warn, info, debug or trace",
            )
        })?;
        return Ok(filter_for(level));
    }
    if let Some(text) = env.get("RUST_LOG") {
        return Ok(level_word(&text).map_or(text, filter_for));
    }
    if let Some(text) = env.get("OTEL_LOG_LEVEL") {
        match level_word(&text) {
            Some(level) => return Ok(filter_for(level)),
            None => warnings.push(format!("ignoring OTEL_LOG_LEVEL=\"{text}\": expected none, error, warn, info, debug or verbose")),
        }
    }
    Ok(DEFAULT_LOG_FILTER.to_string())
}
