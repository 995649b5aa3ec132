//! The validated configuration: flags merged with `OTEL_*` variables.
//!
//! Reads: `Cli` and an environment lookup (passed in, never `std::env` here, so tests set
//! their own). Emits: `Config` with one options struct per collector, start-up warnings to
//! log once the logger exists, or a `ConfigError` for `main` to print before exiting 2.
//! Precedence: flag > `OTEL_EXPORTER_OTLP_METRICS_*` > `OTEL_EXPORTER_OTLP_*` > default.
//! Error policy (exporter spec §1.1): a bad flag, endpoint or header exits 2; other invalid
//! `OTEL_*` values (durations, enums, booleans, resource attributes) warn and count as unset.

pub mod endpoint;
pub mod pairs;
pub mod proxy;
pub mod tls;

use crate::cli::Cli;
use crate::filter::{Filter, Pattern};
use crate::semconv;
use crate::units::{self, parse_duration, parse_millis, parse_size};
use endpoint::{Endpoint, PathRule, parse_endpoint};
use pairs::{is_header_name, is_header_value, parse_encoded_list, parse_literal_pair};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318";
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const MIN_INTERVAL: Duration = Duration::from_millis(100);
const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);
const DEFAULT_LOG_FILTER: &str = "warn,sysotlp=info";
pub const DEFAULT_STATFS_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_EXPORT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_MAX_REQUEST_SIZE: u64 = 1 << 20;
const DEFAULT_QUEUE_SIZE: u64 = 1 << 20;
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(6 * 3600);
const DEFAULT_SPOOL_SIZE: u64 = 64 << 20;
const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);
/// Default filters (spec/metrics.md §6.2).
const DEFAULT_DISK_EXCLUDE: &str = r"re:^(z?ram|loop|fd)\d+$";
const DEFAULT_NETWORK_EXCLUDE: &str = "re:^veth";
/// `physical`: types of `/proc/filesystems` without `nodev`, plus zfs (hostmetrics' rule).
pub const PHYSICAL: &str = "physical";
const DEFAULT_FS_TYPE_EXCLUDE: [&str; 4] = ["squashfs", "iso9660", "erofs", "udf"];
const DEFAULT_MOUNTPOINT_EXCLUDE: &str = "re:^/(var/lib/docker|var/lib/containers/storage|var/lib/kubelet/pods|run/containerd|run/credentials)/";
/// Headers ureq or we set ourselves; a user value would corrupt the request.
const RESERVED_HEADERS: &[&str] = &[
    "content-type",
    "content-encoding",
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
];

/// A configuration problem that stops start-up (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// `source` (a flag or variable) has an unusable value. `value` is `None` where
    /// quoting it could leak a secret (headers).
    Invalid {
        source: String,
        value: Option<String>,
        expected: String,
    },
    /// Two flags that cannot be given together.
    Conflict(&'static str, &'static str),
    /// A file named by `source` (a flag or variable) cannot be used.
    File {
        source: String,
        path: String,
        problem: String,
    },
}

impl ConfigError {
    fn invalid(source: &str, value: &str, expected: impl Into<String>) -> Self {
        ConfigError::Invalid {
            source: source.to_string(),
            value: Some(value.to_string()),
            expected: expected.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Invalid {
                source,
                value: Some(value),
                expected,
            } => {
                write!(
                    f,
                    "invalid value \"{value}\" for {source}: expected {expected}"
                )
            }
            ConfigError::Invalid {
                source,
                value: None,
                expected,
            } => {
                write!(f, "invalid value for {source}: expected {expected}")
            }
            ConfigError::Conflict(a, b) => {
                write!(f, "{a} and {b} cannot be used together: give one")
            }
            ConfigError::File {
                source,
                path,
                problem,
            } => write!(f, "{source} \"{path}\": {problem}"),
        }
    }
}

/// Where requests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExporterKind {
    /// OTLP/HTTP protobuf.
    Otlp,
    /// OTLP/JSON lines on stdout.
    Stdout,
    /// Nothing: no collection; idle until a signal (`OTEL_SDK_DISABLED`).
    None,
}

impl ExporterKind {
    fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "otlp" => Some(ExporterKind::Otlp),
            "stdout" | "otlp/stdout" => Some(ExporterKind::Stdout),
            "none" => Some(ExporterKind::None),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ExporterKind::Otlp => "otlp",
            ExporterKind::Stdout => "stdout",
            ExporterKind::None => "none",
        }
    }
}

/// A collector `--collectors` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectorName {
    Cpu,
    Memory,
    Load,
    Disk,
    Filesystem,
    Network,
    Paging,
    Processes,
    System,
    /// sysotlp's own health (exporter spec §5.1).
    Agent,
}

impl CollectorName {
    /// Every collector, in the order they run and emit (spec/metrics.md table order).
    pub const ALL: [CollectorName; 10] = [
        CollectorName::Cpu,
        CollectorName::Memory,
        CollectorName::Load,
        CollectorName::Disk,
        CollectorName::Filesystem,
        CollectorName::Network,
        CollectorName::Paging,
        CollectorName::Processes,
        CollectorName::System,
        CollectorName::Agent,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CollectorName::Cpu => "cpu",
            CollectorName::Memory => "memory",
            CollectorName::Load => "load",
            CollectorName::Disk => "disk",
            CollectorName::Filesystem => "filesystem",
            CollectorName::Network => "network",
            CollectorName::Paging => "paging",
            CollectorName::Processes => "processes",
            CollectorName::System => "system",
            CollectorName::Agent => "agent",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == text)
    }
}

/// Options of the `cpu` collector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuOptions {
    /// `--per-cpu`: one series per `cpuN` line.
    pub per_cpu: bool,
}

/// Options of the `load` collector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// `--load-cpu-average`: divide by the online CPU count.
    pub per_cpu_average: bool,
}

/// Options of the `disk` collector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskOptions {
    /// On the kernel device name (`sda`, `nvme0n1p1`).
    pub filter: Filter,
}

/// Options of the `filesystem` collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesystemOptions {
    /// On the file system type; the include keyword `physical` is resolved by the collector.
    pub types: Filter,
    /// On the mount point (host path).
    pub mountpoints: Filter,
    /// Longest wait for one statfs, already capped at half the interval.
    pub statfs_timeout: Duration,
    /// `system.filesystem.utilization` is on.
    pub utilization: bool,
}

/// Options of the `network` collector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkOptions {
    /// On the interface name.
    pub filter: Filter,
    /// `system.network.conntrack.count` / `.max` are on.
    pub conntrack: bool,
}

/// Options of the `paging` collector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PagingOptions {
    /// `system.paging.utilization` is on.
    pub utilization: bool,
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
}

/// How requests are delivered (exporter spec §2.1, §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryConfig {
    pub gzip: bool,
    /// Time budget of one tick's sending (`--export-timeout`); 0 = until the next tick.
    pub export_timeout: Option<Duration>,
    pub max_request_size: u64,
    pub queue_size: u64,
    pub max_age: Duration,
    pub spool_dir: Option<PathBuf>,
    pub spool_size: u64,
    pub shutdown_timeout: Duration,
}

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
    pub collectors: Vec<CollectorName>,
    /// `agent` was named in `--collectors` or `--enable`: it then runs in fixture mode too.
    pub agent_named: bool,
    pub cpu: CpuOptions,
    pub load: LoadOptions,
    pub disk: DiskOptions,
    pub filesystem: FilesystemOptions,
    pub network: NetworkOptions,
    pub paging: PagingOptions,
    /// Metrics dropped by `--disable` (names from semconv); optional metrics not enabled
    /// are simply not computed.
    pub disabled_metrics: Vec<&'static str>,
    /// An env_logger filter.
    pub log_filter: String,
    /// Invalid `OTEL_*` values that were ignored, to log once the logger runs.
    pub warnings: Vec<String>,
}

/// Environment lookup; empty values count as unset.
struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Env<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    /// The first set variable of `names` with its name.
    fn first(&self, names: &[&'static str]) -> Option<(&'static str, String)> {
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

        let exporter = exporter(&cli, &env, &mut warnings)?;
        let endpoint = endpoint(&cli, &env, exporter)?;
        // TLS files and proxy variables only matter to the OTLP exporter.
        let (tls, proxy) = if exporter == ExporterKind::Otlp {
            (
                tls::options(&cli, &env, &endpoint, &mut warnings)?,
                proxy::choose(cli.proxy.as_deref(), &env, &endpoint, &mut warnings)?,
            )
        } else {
            (tls::TlsOptions::default(), None)
        };
        let otlp = OtlpOptions {
            endpoint,
            headers: Vec::new(),
            user_agent: String::new(),
            timeout: timeout(&cli, &env, &mut warnings)?,
            tls,
            proxy,
        };
        let otlp = headers(&cli, &env, &mut warnings, otlp)?;
        if exporter == ExporterKind::Otlp {
            protocol(&env, &mut warnings)?;
        }
        if env.get("OTEL_CONFIG_FILE").is_some() {
            warnings.push(
                "OTEL_CONFIG_FILE is not supported (it would override every other variable); ignoring it".into(),
            );
        }

        let interval = interval(&cli, &env, &mut warnings)?;
        let delivery = delivery(&cli, &env, &mut warnings)?;
        let selection = selection(&cli)?;
        let enabled = |name: &str| selection.enabled_metrics.contains(&name);
        let statfs_timeout = match &cli.statfs_timeout {
            Some(text) => parse_duration(text)
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    ConfigError::invalid("--statfs-timeout", text, "a duration such as 5s")
                })?,
            None => DEFAULT_STATFS_TIMEOUT,
        };
        Ok(Config {
            root: PathBuf::from(cli.root_path.as_deref().unwrap_or("/")),
            exporter,
            interval,
            once: cli.once,
            check: cli.check,
            otlp,
            delivery,
            resource: resource(&cli, &env, &mut warnings)?,
            cpu: CpuOptions {
                per_cpu: cli.per_cpu,
            },
            load: LoadOptions {
                per_cpu_average: cli.load_cpu_average,
            },
            disk: DiskOptions {
                filter: filter(
                    &env,
                    ("--disk-include", &cli.disk_include),
                    ("--disk-exclude", &cli.disk_exclude),
                    &[],
                    &[DEFAULT_DISK_EXCLUDE],
                )?,
            },
            filesystem: FilesystemOptions {
                types: filter(
                    &env,
                    ("--filesystem-include-type", &cli.filesystem_include_type),
                    ("--filesystem-exclude-type", &cli.filesystem_exclude_type),
                    &[PHYSICAL],
                    &DEFAULT_FS_TYPE_EXCLUDE,
                )?,
                mountpoints: filter(
                    &env,
                    (
                        "--filesystem-include-mountpoint",
                        &cli.filesystem_include_mountpoint,
                    ),
                    (
                        "--filesystem-exclude-mountpoint",
                        &cli.filesystem_exclude_mountpoint,
                    ),
                    &[],
                    &[DEFAULT_MOUNTPOINT_EXCLUDE],
                )?,
                statfs_timeout: statfs_timeout.min(interval / 2),
                utilization: enabled(semconv::SYSTEM_FILESYSTEM_UTILIZATION.name),
            },
            network: NetworkOptions {
                filter: filter(
                    &env,
                    ("--network-include", &cli.network_include),
                    ("--network-exclude", &cli.network_exclude),
                    &[],
                    &[DEFAULT_NETWORK_EXCLUDE],
                )?,
                conntrack: enabled(semconv::SYSTEM_NETWORK_CONNTRACK_COUNT.name)
                    || enabled(semconv::SYSTEM_NETWORK_CONNTRACK_MAX.name),
            },
            paging: PagingOptions {
                utilization: enabled(semconv::SYSTEM_PAGING_UTILIZATION.name),
            },
            agent_named: selection.agent_named,
            collectors: selection.collectors,
            disabled_metrics: selection.disabled_metrics,
            log_filter: log_filter(&cli, &env, &mut warnings)?,
            warnings,
        })
    }

    /// The effective configuration, header values redacted: the start line and `--check`.
    pub fn describe(&self) -> String {
        let collectors: Vec<&str> = self.collectors.iter().map(|c| c.name()).collect();
        let mut text = format!(
            "exporter={} interval={} root={} collectors={}",
            self.exporter.name(),
            units::display(self.interval),
            self.root.display(),
            collectors.join(",")
        );
        if self.exporter == ExporterKind::Otlp {
            let timeout = self
                .otlp
                .timeout
                .map_or("until next tick".to_string(), units::display);
            text.push_str(&format!(
                " endpoint={} (port {}) timeout={timeout}",
                self.otlp.endpoint.url, self.otlp.endpoint.port
            ));
            let d = &self.delivery;
            text.push_str(&format!(
                " compression={} queue-size={} max-age={}",
                if d.gzip { "gzip" } else { "none" },
                d.queue_size,
                units::display(d.max_age)
            ));
            if let Some(dir) = &d.spool_dir {
                text.push_str(&format!(
                    " spool-dir={} spool-size={}",
                    dir.display(),
                    d.spool_size
                ));
            }
            if !self.otlp.headers.is_empty() {
                let names: Vec<&str> = self.otlp.headers.iter().map(|(k, _)| k.as_str()).collect();
                text.push_str(&format!(" headers={} (values hidden)", names.join(",")));
            }
            text.push_str(&self.otlp.tls.describe());
            if let Some(proxy) = &self.otlp.proxy {
                text.push_str(&format!(" proxy={}", proxy.address()));
            }
        }
        if self.cpu.per_cpu {
            text.push_str(" per-cpu");
        }
        if self.load.per_cpu_average {
            text.push_str(" load-cpu-average");
        }
        if !self.disabled_metrics.is_empty() {
            text.push_str(&format!(" disabled={}", self.disabled_metrics.join(",")));
        }
        text
    }
}

fn exporter(cli: &Cli, env: &Env, warnings: &mut Vec<String>) -> Result<ExporterKind, ConfigError> {
    if let Some(text) = &cli.exporter {
        return ExporterKind::parse(text)
            .ok_or_else(|| ConfigError::invalid("--exporter", text, "otlp, stdout or none"));
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
        parse_duration(text)
            .ok_or_else(|| ConfigError::invalid("--timeout", text, "a duration such as 10s"))?
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

fn delivery(
    cli: &Cli,
    env: &Env,
    warnings: &mut Vec<String>,
) -> Result<DeliveryConfig, ConfigError> {
    let flag_duration = |flag: &str, value: &Option<String>, default: Duration| match value {
        Some(text) => parse_duration(text)
            .ok_or_else(|| ConfigError::invalid(flag, text, "a duration such as 10s")),
        None => Ok(default),
    };
    let flag_size = |flag: &str, value: &Option<String>, default: u64| match value {
        Some(text) => parse_size(text)
            .filter(|n| *n > 0)
            .ok_or_else(|| ConfigError::invalid(flag, text, "a size such as 1MiB")),
        None => Ok(default),
    };
    let gzip = match &cli.compression {
        Some(text) => match text.to_ascii_lowercase().as_str() {
            "gzip" => true,
            "none" => false,
            _ => return Err(ConfigError::invalid("--compression", text, "gzip or none")),
        },
        None => {
            let mut gzip = false;
            for name in [
                "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
                "OTEL_EXPORTER_OTLP_COMPRESSION",
            ] {
                let Some(text) = env.get(name) else { continue };
                match text.trim().to_ascii_lowercase().as_str() {
                    "gzip" => gzip = true,
                    "none" => gzip = false,
                    _ => {
                        warnings.push(format!("ignoring {name}=\"{text}\": expected gzip or none"));
                        continue;
                    }
                }
                break;
            }
            gzip
        }
    };
    let export_timeout = match &cli.export_timeout {
        Some(_) => flag_duration("--export-timeout", &cli.export_timeout, DEFAULT_EXPORT_TIMEOUT)?,
        None => match env.get("OTEL_METRIC_EXPORT_TIMEOUT") {
            Some(text) => parse_millis(&text).unwrap_or_else(|| {
                warnings.push(format!("ignoring OTEL_METRIC_EXPORT_TIMEOUT=\"{text}\": expected milliseconds such as 30000"));
                DEFAULT_EXPORT_TIMEOUT
            }),
            None => DEFAULT_EXPORT_TIMEOUT,
        },
    };
    let max_request_size = flag_size(
        "--max-request-size",
        &cli.max_request_size,
        DEFAULT_MAX_REQUEST_SIZE,
    )?;
    // Sizes are stored as u32 in spool headers: a request may not exceed 1 GiB.
    if max_request_size > 1 << 30 {
        let text = cli.max_request_size.clone().unwrap_or_default();
        return Err(ConfigError::invalid(
            "--max-request-size",
            &text,
            "a size up to 1GiB",
        ));
    }
    let queue_size = flag_size("--queue-size", &cli.queue_size, DEFAULT_QUEUE_SIZE)?;
    if queue_size < max_request_size {
        let text = cli
            .queue_size
            .clone()
            .unwrap_or_else(|| format!("{queue_size} (default)"));
        return Err(ConfigError::invalid(
            "--queue-size",
            &text,
            "at least --max-request-size",
        ));
    }
    let spool_size = flag_size("--spool-size", &cli.spool_size, DEFAULT_SPOOL_SIZE)?;
    if cli.spool_dir.is_some() && spool_size < max_request_size {
        let text = cli
            .spool_size
            .clone()
            .unwrap_or_else(|| format!("{spool_size} (default)"));
        return Err(ConfigError::invalid(
            "--spool-size",
            &text,
            "at least --max-request-size",
        ));
    }
    let max_age = flag_duration("--max-age", &cli.max_age, DEFAULT_MAX_AGE)?;
    if max_age.is_zero() {
        return Err(ConfigError::invalid(
            "--max-age",
            cli.max_age.as_deref().unwrap_or(""),
            "a positive duration such as 6h",
        ));
    }
    Ok(DeliveryConfig {
        gzip,
        export_timeout: Some(export_timeout).filter(|t| !t.is_zero()),
        max_request_size,
        queue_size,
        max_age,
        spool_dir: cli.spool_dir.as_ref().map(PathBuf::from),
        spool_size,
        shutdown_timeout: flag_duration(
            "--shutdown-timeout",
            &cli.shutdown_timeout,
            DEFAULT_SHUTDOWN_TIMEOUT,
        )?,
    })
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
                value: text.split_once('=').map(|(name, _)| format!("{name}=…")),
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
            return Err(ConfigError::invalid(
                source,
                &name,
                "a header name made of letters, digits and !#$%&'*+-.^_`|~",
            ));
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

fn protocol(env: &Env, warnings: &mut Vec<String>) -> Result<(), ConfigError> {
    let Some((name, value)) = env.first(&[
        "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ]) else {
        return Ok(());
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "http/protobuf" => {}
        "http/json" => warnings.push(format!(
            "{name}=http/json: sending http/protobuf (receivers accept both on one port)"
        )),
        "grpc" => {
            return Err(ConfigError::invalid(
                name,
                &value,
                "http/protobuf: sysotlp speaks OTLP/HTTP (port 4318), not gRPC",
            ));
        }
        _ => warnings.push(format!(
            "ignoring {name}=\"{value}\": expected http/protobuf"
        )),
    }
    Ok(())
}

fn resource(
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

/// What `--collectors`, `--enable` and `--disable` choose.
struct Selection {
    collectors: Vec<CollectorName>,
    agent_named: bool,
    enabled_metrics: Vec<&'static str>,
    disabled_metrics: Vec<&'static str>,
}

/// The members of comma-separated, repeatable list flags.
fn members(lists: &[String]) -> impl Iterator<Item = &str> {
    lists
        .iter()
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
}

/// `--collectors` sets the collectors (default all), then `--enable` / `--disable` add and
/// remove collectors or metrics by name (a metric name never starts a collector).
fn selection(cli: &Cli) -> Result<Selection, ConfigError> {
    let known = || {
        let names: Vec<&str> = CollectorName::ALL.iter().map(|c| c.name()).collect();
        names.join(", ")
    };
    let mut collectors = Vec::new();
    for name in members(&cli.collectors) {
        let collector = CollectorName::parse(name).ok_or_else(|| {
            ConfigError::invalid("--collectors", name, format!("a list of {}", known()))
        })?;
        if !collectors.contains(&collector) {
            collectors.push(collector);
        }
    }
    if cli.collectors.is_empty() {
        collectors = CollectorName::ALL.to_vec();
    } else if collectors.is_empty() {
        return Err(ConfigError::invalid(
            "--collectors",
            &cli.collectors.join(","),
            format!("a list of {}", known()),
        ));
    }
    let agent_named = members(&cli.collectors)
        .chain(members(&cli.enable))
        .any(|n| n == CollectorName::Agent.name());
    let mut selection = Selection {
        collectors,
        agent_named,
        enabled_metrics: Vec::new(),
        disabled_metrics: Vec::new(),
    };
    for (flag, list, on) in [
        ("--enable", &cli.enable, true),
        ("--disable", &cli.disable, false),
    ] {
        for name in members(list) {
            if let Some(collector) = CollectorName::parse(name) {
                selection.collectors.retain(|c| *c != collector);
                if on {
                    selection.collectors.push(collector);
                }
            } else if let Some(metric) = semconv::ALL_METRICS.iter().find(|m| **m == name) {
                let (add, remove) = if on {
                    (
                        &mut selection.enabled_metrics,
                        &mut selection.disabled_metrics,
                    )
                } else {
                    (
                        &mut selection.disabled_metrics,
                        &mut selection.enabled_metrics,
                    )
                };
                remove.retain(|m| m != metric);
                add.push(metric);
            } else {
                return Err(ConfigError::invalid(
                    flag,
                    name,
                    format!("a collector ({}) or a metric name", known()),
                ));
            }
        }
    }
    // Run order is table order, whatever the order of the flags.
    selection
        .collectors
        .sort_by_key(|c| CollectorName::ALL.iter().position(|a| a == c));
    Ok(selection)
}

/// One filter dimension: a flag replaces its default (`none` empties it); without the flag,
/// `SYSOTLP_<FLAG>` (one pattern) replaces it.
fn filter(
    env: &Env,
    include: (&'static str, &[String]),
    exclude: (&'static str, &[String]),
    default_include: &[&str],
    default_exclude: &[&str],
) -> Result<Filter, ConfigError> {
    Ok(Filter {
        include: patterns(env, include.0, include.1, default_include)?,
        exclude: patterns(env, exclude.0, exclude.1, default_exclude)?,
    })
}

fn patterns(
    env: &Env,
    flag: &'static str,
    given: &[String],
    default: &[&str],
) -> Result<Vec<Pattern>, ConfigError> {
    let variable = format!(
        "SYSOTLP_{}",
        flag.trim_start_matches("--")
            .replace('-', "_")
            .to_ascii_uppercase()
    );
    let (source, texts): (&str, Vec<String>) = if !given.is_empty() {
        (flag, given.to_vec())
    } else if let Some(value) = env.get(&variable) {
        (variable.as_str(), vec![value])
    } else {
        (flag, default.iter().map(|d| d.to_string()).collect())
    };
    if texts.iter().any(|t| t == "none") {
        return Ok(Vec::new());
    }
    texts
        .iter()
        .map(|text| {
            Pattern::parse(text).map_err(|why| {
                ConfigError::invalid(source, text, format!("a name or re:REGEX ({why})"))
            })
        })
        .collect()
}

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

fn log_filter(cli: &Cli, env: &Env, warnings: &mut Vec<String>) -> Result<String, ConfigError> {
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

#[cfg(test)]
mod tests;
