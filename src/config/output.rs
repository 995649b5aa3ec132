//! How points are written: `--temporality` (and `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`)
//! and `--names` (exporter spec §1.2).
//!
//! Reads: those flags and the variable. Emits: `otlp::Output`; a bad flag is an error (exit
//! 2), a bad variable a warning and the default (cumulative), as the OTel SDK does.

use super::{ConfigError, Env};
use crate::cli::Cli;
use crate::otlp::{Output, Temporality};
use crate::semconv::Naming;

const TEMPORALITY_VARIABLE: &str = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";

pub fn from_cli(cli: &Cli, env: &Env, warnings: &mut Vec<String>) -> Result<Output, ConfigError> {
    let temporality = match (&cli.temporality, env.get(TEMPORALITY_VARIABLE)) {
        (Some(text), _) => Temporality::parse(text).ok_or_else(|| {
            ConfigError::invalid("--temporality", text, "cumulative, delta or lowmemory")
        })?,
        (None, Some(text)) => Temporality::parse(&text).unwrap_or_else(|| {
            warnings.push(format!(
                "ignoring {TEMPORALITY_VARIABLE}=\"{text}\": expected cumulative, delta or lowmemory; using cumulative"
            ));
            Temporality::Cumulative
        }),
        (None, None) => Temporality::Cumulative,
    };
    let naming = match &cli.names {
        Some(text) => Naming::parse(text)
            .ok_or_else(|| ConfigError::invalid("--names", text, "hostmetrics or semconv"))?,
        None => Naming::Hostmetrics,
    };
    Ok(Output {
        temporality,
        naming,
    })
}

/// For `--check` and the start line; the defaults are not mentioned.
pub fn describe(output: &Output, text: &mut String) {
    if output.temporality != Temporality::Cumulative {
        text.push_str(&format!(" temporality={}", output.temporality.name()));
    }
    if output.naming != Naming::Hostmetrics {
        text.push_str(&format!(" names={}", output.naming.name()));
    }
}
