//! The user's resource attributes, in precedence order.
//!
//! Reads: `OTEL_RESOURCE_ATTRIBUTES` (percent-decoded `k=v,…`; an invalid one is ignored
//! whole, with a warning), `OTEL_SERVICE_NAME`, `--resource KEY=VALUE` (exporter spec §1.4,
//! §1.5). Emits: (key, value) pairs, later ones winning; `resource` merges them with the
//! detected attributes.

use super::pairs::{parse_encoded_list, parse_literal_pair};
use super::{ConfigError, Env};
use crate::cli::Cli;

pub fn resource(
    cli: &Cli,
    env: &Env,
    warnings: &mut Vec<String>,
) -> Result<Vec<(String, String)>, ConfigError> {
    let mut attributes = Vec::new();
    if let Some(text) = env.get("OTEL_RESOURCE_ATTRIBUTES") {
        match parse_encoded_list(&text) {
            Ok(pairs) => attributes.extend(pairs),
            Err(e) => warnings.push(format!(
                "ignoring OTEL_RESOURCE_ATTRIBUTES=\"{text}\": member {}: {}",
                e.index, e.reason
            )),
        }
    }
    if let Some(name) = env.get("OTEL_SERVICE_NAME") {
        attributes.push((
            crate::semconv::SERVICE_NAME.to_string(),
            name.trim().to_string(),
        ));
    }
    for text in &cli.resource {
        let pair = parse_literal_pair(text).map_err(|why| {
            ConfigError::invalid("--resource", text, format!("KEY=VALUE ({why})"))
        })?;
        attributes.push(pair);
    }
    Ok(attributes)
}
