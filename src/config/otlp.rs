//! Where and how requests go: the exporter, endpoint, headers, timeout and protocol.
//!
//! Reads: `--exporter`, `--endpoint`, `--metrics-endpoint`, `--header`, `--timeout` and their
//! `OTEL_*` variables (exporter spec §1.2, §1.3), `OTEL_SDK_DISABLED`,
//! `OTEL_METRICS_EXPORTER`, `OTEL_EXPORTER_OTLP_{,METRICS_}PROTOCOL`. Emits: `ExporterKind`,
//! `OtlpOptions` (TLS and proxy come from `tls` and `proxy`), warnings for ignored values,
//! or a `ConfigError` (a bad endpoint or header exits 2).

use super::endpoint::{Endpoint, PathRule, parse_endpoint};
use super::pairs::{is_header_name, is_header_value, parse_encoded_list, parse_literal_pair};
use super::{ConfigError, Env, proxy, tls};
use crate::cli::Cli;
use crate::units::{self, parse_duration, parse_millis};
use std::time::Duration;

pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Headers ureq or we set ourselves; a user value would corrupt the request.
const RESERVED_HEADERS: &[&str] = &[
    "content-type",
    "content-encoding",
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
];

/// Where requests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExporterKind {
    /// OTLP/HTTP protobuf.
    Otlp,
    /// OTLP/JSON lines on stdout.
    Stdout,
    /// Lines for people on stdout (format unstable).
    Text,
    /// Nothing: no collection; idle until a signal (`OTEL_SDK_DISABLED`).
    None,
}

impl ExporterKind {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "otlp" => Some(ExporterKind::Otlp),
            "stdout" | "otlp/stdout" => Some(ExporterKind::Stdout),
            "text" => Some(ExporterKind::Text),
            "none" => Some(ExporterKind::None),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ExporterKind::Otlp => "otlp",
            ExporterKind::Stdout => "stdout",
            ExporterKind::Text => "text",
            ExporterKind::None => "none",
        }
    }
}

/// The OTLP/HTTP exporter's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpOptions {
    pub endpoint: Endpoint,
    /// User headers, names as given, later duplicates already merged.
    pub headers: Vec<(String, String)>,
    /// `User-Agent`: a user-given value followed by ours.
    pub user_agent: String,
    /// Limit of one request; `None` (a 0 timeout) means "until the next tick is due".
    pub timeout: Option<Duration>,
    /// CA, client certificate, verification (https only).
    pub tls: tls::TlsOptions,
    /// `None`: connect directly.
    pub proxy: Option<proxy::ProxyChoice>,
    /// Bodies are OTLP/JSON (`http/json`), not protobuf.
    pub json: bool,
}

impl OtlpOptions {
    /// Settings of the OTLP exporter: validated, then the TLS and proxy choices.
    pub fn from_cli(
        cli: &Cli,
        env: &Env,
        exporter: ExporterKind,
        warnings: &mut Vec<String>,
    ) -> Result<OtlpOptions, ConfigError> {
        let endpoint = endpoint(cli, env, exporter)?;
        // TLS files and proxy variables only matter to the OTLP exporter.
        let (tls, proxy) = if exporter == ExporterKind::Otlp {
            (
                tls::options(cli, env, &endpoint, warnings)?,
                proxy::choose(cli.proxy.as_deref(), env, &endpoint, warnings)?,
            )
        } else {
            (tls::TlsOptions::default(), None)
        };
        let otlp = OtlpOptions {
            endpoint,
            headers: Vec::new(),
            user_agent: String::new(),
            timeout: timeout(cli, env, warnings)?,
            tls,
            proxy,
            json: false,
        };
        let mut otlp = headers(cli, env, warnings, otlp)?;
        if exporter == ExporterKind::Otlp {
            otlp.json = protocol(cli, env, warnings)?;
        }
        Ok(otlp)
    }

    /// For `--check` and the start line: header names only, never their values.
    pub fn describe(&self, text: &mut String) {
        let timeout = self
            .timeout
            .map_or("until next tick".to_string(), units::display);
        text.push_str(&format!(
            " endpoint={} (port {}) timeout={timeout}",
            self.endpoint.url, self.endpoint.port
        ));
        if self.json {
            text.push_str(" protocol=http/json");
        }
        if !self.headers.is_empty() {
            let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
            text.push_str(&format!(" headers={} (values hidden)", names.join(",")));
        }
        text.push_str(&self.tls.describe());
        if let Some(proxy) = &self.proxy {
            text.push_str(&format!(" proxy={}", proxy.address()));
        }
    }
}

pub fn exporter(
    cli: &Cli,
    env: &Env,
    warnings: &mut Vec<String>,
) -> Result<ExporterKind, ConfigError> {
    if let Some(text) = &cli.exporter {
        return ExporterKind::parse(text)
            .ok_or_else(|| ConfigError::invalid("--exporter", text, "otlp, stdout, text or none"));
    }
    if let Some(disabled) = env.get("OTEL_SDK_DISABLED") {
        match disabled.trim().to_ascii_lowercase().as_str() {
            "true" => {
                warnings.push("OTEL_SDK_DISABLED=true: not collecting; idle until stopped".into());
                return Ok(ExporterKind::None);
            }
            "false" => {}
            _ => warnings.push(format!(
                "ignoring OTEL_SDK_DISABLED=\"{disabled}\": expected true or false"
            )),
        }
    }
    if let Some(list) = env.get("OTEL_METRICS_EXPORTER") {
        let mut chosen = None;
        for member in list.split(',').map(str::trim).filter(|m| !m.is_empty()) {
            match (ExporterKind::parse(member), chosen) {
                (Some(kind), None) => chosen = Some(kind),
                (Some(_), Some(_)) => warnings.push(format!("OTEL_METRICS_EXPORTER: only one exporter runs; ignoring \"{member}\"")),
                (None, _) => warnings.push(format!("OTEL_METRICS_EXPORTER: unknown exporter \"{member}\" ignored (known: otlp, otlp/stdout, none)")),
            }
        }
        if let Some(kind) = chosen {
            return Ok(kind);
        }
    }
    Ok(ExporterKind::Otlp)
}

fn endpoint(cli: &Cli, env: &Env, exporter: ExporterKind) -> Result<Endpoint, ConfigError> {
    let (source, text, rule) = match (&cli.endpoint, &cli.metrics_endpoint) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::Conflict("--endpoint", "--metrics-endpoint"));
        }
        (Some(text), None) => ("--endpoint", text.clone(), PathRule::Base),
        (None, Some(text)) => ("--metrics-endpoint", text.clone(), PathRule::Verbatim),
        (None, None) => match env.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") {
            Some(text) => (
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                text,
                PathRule::Verbatim,
            ),
            None => match env.get("OTEL_EXPORTER_OTLP_ENDPOINT") {
                Some(text) => ("OTEL_EXPORTER_OTLP_ENDPOINT", text, PathRule::Base),
                None => ("default", DEFAULT_ENDPOINT.to_string(), PathRule::Base),
            },
        },
    };
    let parsed = parse_endpoint(&text, rule)
        .map_err(|expected| ConfigError::invalid(source, &text, expected))?;
    if parsed.https && exporter == ExporterKind::Otlp && !cfg!(feature = "tls") {
        return Err(ConfigError::invalid(
            source,
            &text,
            "an http:// URL (this build has no TLS support: cargo feature tls)",
        ));
    }
    Ok(parsed)
}

fn timeout(
    cli: &Cli,
    env: &Env,
    warnings: &mut Vec<String>,
) -> Result<Option<Duration>, ConfigError> {
    let timeout = if let Some(text) = &cli.timeout {
        parse_duration(text).ok_or_else(|| {
            ConfigError::invalid(
                "--timeout",
                text,
                format!("a duration such as 10s, {}", units::DURATION_RANGE),
            )
        })?
    } else {
        let mut chosen = DEFAULT_TIMEOUT;
        for name in [
            "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
            "OTEL_EXPORTER_OTLP_TIMEOUT",
        ] {
            let Some(text) = env.get(name) else { continue };
            match parse_millis(&text) {
                Some(d) => {
                    chosen = d;
                    break;
                }
                None => warnings.push(format!(
                    "ignoring {name}=\"{text}\": expected milliseconds such as 10000"
                )),
            }
        }
        chosen
    };
    Ok(Some(timeout).filter(|t| !t.is_zero()))
}

fn headers(
    cli: &Cli,
    env: &Env,
    warnings: &mut Vec<String>,
    mut otlp: OtlpOptions,
) -> Result<OtlpOptions, ConfigError> {
    let (source, raw) = if !cli.header.is_empty() {
        let mut raw = Vec::new();
        for text in &cli.header {
            let pair = parse_literal_pair(text).map_err(|why| ConfigError::Invalid {
                source: "--header".into(),
                value: Some(format!("{}…", name_prefix(text))),
                expected: format!("NAME=VALUE ({why})"),
            })?;
            raw.push(pair);
        }
        ("--header", raw)
    } else if let Some((name, text)) = env.first(&[
        "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
        "OTEL_EXPORTER_OTLP_HEADERS",
    ]) {
        let raw = parse_encoded_list(&text).map_err(|e| ConfigError::Invalid {
            source: name.into(),
            value: None,
            expected: format!("NAME=VALUE,… (member {}: {})", e.index, e.reason),
        })?;
        (name, raw)
    } else {
        ("", Vec::new())
    };

    let ours = concat!("sysotlp/", env!("CARGO_PKG_VERSION"));
    otlp.user_agent = ours.to_string();
    for (name, value) in raw {
        if !is_header_name(&name) {
            // Only the part that is a name: `Authorization: Basic abc=` puts the secret
            // before the `=`.
            return Err(ConfigError::Invalid {
                source: source.into(),
                value: Some(format!("{}…", name_prefix(&name))),
                expected: "NAME=VALUE with a header name made of letters, digits and !#$%&'*+-.^_`|~ (a ':' is no separator)".into(),
            });
        }
        if !is_header_value(&value) {
            return Err(ConfigError::Invalid {
                source: source.into(),
                value: Some(format!("{name}=…")),
                expected: "a header value without CR, LF or NUL".into(),
            });
        }
        let lower = name.to_ascii_lowercase();
        if RESERVED_HEADERS.contains(&lower.as_str()) {
            warnings.push(format!(
                "{source}: header {name} is set by sysotlp itself; ignoring it"
            ));
            continue;
        }
        if lower == "user-agent" {
            otlp.user_agent = format!("{value} {ours}");
            continue;
        }
        otlp.headers
            .retain(|(existing, _)| !existing.eq_ignore_ascii_case(&name));
        otlp.headers.push((name, value));
    }
    Ok(otlp)
}

/// The leading characters of `text` that may be in a header name: what an error about a
/// malformed header may quote without quoting a secret.
fn name_prefix(text: &str) -> &str {
    let end = text
        .find(|c: char| !is_header_name(c.encode_utf8(&mut [0; 4])))
        .unwrap_or(text.len());
    &text[..end]
}

/// True for OTLP/JSON (`http/json`): `--protocol`, else the metrics variable, else the
/// generic one; `grpc` exits 2 (we speak OTLP/HTTP), another value warns and is protobuf.
fn protocol(cli: &Cli, env: &Env, warnings: &mut Vec<String>) -> Result<bool, ConfigError> {
    const EXPECTED: &str = "http/protobuf or http/json";
    let (name, value) = match &cli.protocol {
        Some(value) => ("--protocol", value.clone()),
        None => match env.first(&[
            "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ]) {
            Some(found) => found,
            None => return Ok(false),
        },
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "http/protobuf" => Ok(false),
        "http/json" => Ok(true),
        "grpc" => Err(ConfigError::invalid(
            name,
            &value,
            "http/protobuf or http/json: sysotlp speaks OTLP/HTTP (port 4318), not gRPC",
        )),
        _ if name == "--protocol" => Err(ConfigError::invalid(name, &value, EXPECTED)),
        _ => {
            warnings.push(format!(
                "ignoring {name}=\"{value}\": expected {EXPECTED}; using http/protobuf"
            ));
            Ok(false)
        }
    }
}
