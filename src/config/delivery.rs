//! How requests are delivered: compression, budgets, queue, spool and shutdown.
//!
//! Reads: `--compression`, `--export-timeout`, `--max-request-size`, `--queue-size`,
//! `--max-age`, `--spool-dir`, `--spool-size`, `--shutdown-timeout`,
//! `OTEL_EXPORTER_OTLP_{,METRICS_}COMPRESSION` and `OTEL_METRIC_EXPORT_TIMEOUT` (exporter
//! spec §1.2, §3). Emits: `DeliveryConfig`, warnings for ignored variables, or a
//! `ConfigError` for a bad flag. The spool directory is checked here, so that `--check` and
//! the start refuse what could never hold a batch (a regular file, a read-only file
//! system, procfs or sysfs, a directory we may not write, a world-writable one that is not
//! sticky and ours) instead of failing at the first outage.

use super::{ConfigError, Env};
use crate::cli::Cli;
use crate::units::{self, parse_duration, parse_millis, parse_size};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// File systems that are views of the kernel, never storage (statfs(2) `f_type`).
const KERNEL_FILE_SYSTEMS: [(i64, &str); 4] = [
    (0x9fa0, "procfs"),
    (0x6265_6572, "sysfs"),
    (0x6367_7270, "cgroup2"),
    (0x0027_e0eb, "cgroup"),
];

const DEFAULT_EXPORT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_MAX_REQUEST_SIZE: u64 = 1 << 20;
const DEFAULT_QUEUE_SIZE: u64 = 1 << 20;
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(6 * 3600);
const DEFAULT_SPOOL_SIZE: u64 = 64 << 20;
const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

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

impl DeliveryConfig {
    /// For `--check` and the start line.
    pub fn describe(&self, text: &mut String) {
        text.push_str(&format!(
            " compression={} queue-size={} max-age={}",
            if self.gzip { "gzip" } else { "none" },
            self.queue_size,
            units::display(self.max_age)
        ));
        if let Some(dir) = &self.spool_dir {
            text.push_str(&format!(
                " spool-dir={} spool-size={}",
                dir.display(),
                self.spool_size
            ));
        }
    }
}

pub fn from_cli(
    cli: &Cli,
    env: &Env,
    warnings: &mut Vec<String>,
) -> Result<DeliveryConfig, ConfigError> {
    let flag_duration = |flag: &str, value: &Option<String>, default: Duration| match value {
        Some(text) => parse_duration(text).ok_or_else(|| {
            ConfigError::invalid(
                flag,
                text,
                format!("a duration such as 10s, {}", units::DURATION_RANGE),
            )
        }),
        None => Ok(default),
    };
    let flag_size = |flag: &str, value: &Option<String>, default: u64| match value {
        Some(text) => parse_size(text)
            .filter(|n| *n > 0)
            .ok_or_else(|| ConfigError::invalid(flag, text, "a size such as 1MiB, at most 1TiB")),
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
        spool_dir: match &cli.spool_dir {
            Some(text) => Some(spool_dir(text, warnings)?),
            None => None,
        },
        spool_size,
        shutdown_timeout: flag_duration(
            "--shutdown-timeout",
            &cli.shutdown_timeout,
            DEFAULT_SHUTDOWN_TIMEOUT,
        )?,
    })
}

/// `--spool-dir` as it can be used: the directory, or its nearest existing ancestor when it
/// is still to be created (`Spool::open` creates it, 0700, and says so).
fn spool_dir(text: &str, warnings: &mut Vec<String>) -> Result<PathBuf, ConfigError> {
    let dir = PathBuf::from(text);
    let unusable = |problem: String| ConfigError::File {
        source: "--spool-dir".into(),
        path: text.to_string(),
        problem,
    };
    let mut existing: &Path = &dir;
    let meta = loop {
        match std::fs::metadata(existing) {
            Ok(meta) => break meta,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                existing = match existing.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => parent,
                    _ => Path::new("."),
                };
            }
            Err(e) => return Err(unusable(format!("cannot use it: {e}"))),
        }
    };
    let shown = existing.display();
    if !meta.is_dir() {
        return Err(unusable(if existing == dir {
            "not a directory".into()
        } else {
            format!("{shown} is not a directory")
        }));
    }
    if let Ok(fs) = rustix::fs::statfs(existing) {
        // `f_type` is i64, c_long or u32 by architecture.
        #[allow(clippy::useless_conversion)]
        let kind = i64::from(fs.f_type);
        if let Some((_, name)) = KERNEL_FILE_SYSTEMS.iter().find(|(magic, _)| *magic == kind) {
            return Err(unusable(format!(
                "{shown} is on {name}, which holds no files"
            )));
        }
    }
    if let Ok(vfs) = rustix::fs::statvfs(existing) {
        if vfs.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY) {
            return Err(unusable(format!("{shown} is on a read-only file system")));
        }
    }
    let access = rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK;
    if let Err(e) = rustix::fs::access(existing, access) {
        return Err(unusable(format!("{shown} is not writable: {e}")));
    }
    let mode = meta.permissions().mode();
    if existing == dir && mode & 0o002 != 0 {
        // Anyone could plant batches (sent with our credentials) or FIFOs in it.
        let ours = meta.uid() == rustix::process::geteuid().as_raw();
        if mode & 0o1000 == 0 || !ours {
            return Err(unusable(
                "world-writable: give a directory only sysotlp can write (chmod 700)".into(),
            ));
        }
        warnings.push(format!(
            "--spool-dir \"{text}\" is world-writable (sticky, ours); other users can add files to it"
        ));
    }
    Ok(dir)
}
