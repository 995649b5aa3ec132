//! Command-line flags as typed; `config` validates them.
//!
//! Reads: the process arguments. Emits: `Cli` (raw strings; each field's doc is its --help
//! line), or the text and exit code argh wants for `--help` and usage errors.
//! Values stay strings here so that `config` can reject them with one line naming the flag,
//! the value and what was expected (exit 2), and merge them with `OTEL_*` variables.
//! `--help` ends with the collectors of the registry.

use crate::collect::REGISTRY;
use argh::FromArgs;

/// sysotlp: Linux host metrics (/proc, /sys) pushed as OpenTelemetry metrics over OTLP/HTTP.
#[derive(FromArgs, Debug, Default, PartialEq)]
pub struct Cli {
    /// where to send metrics: otlp (default), stdout (OTLP/JSON lines) or none
    #[argh(option)]
    pub exporter: Option<String>,

    /// OTLP/HTTP base URL; /v1/metrics is appended (default http://localhost:4318)
    #[argh(option)]
    pub endpoint: Option<String>,

    /// full OTLP/HTTP metrics URL, used as given (conflicts with --endpoint)
    #[argh(option)]
    pub metrics_endpoint: Option<String>,

    /// HTTP header NAME=VALUE sent with every request (repeatable; visible in ps, so prefer
    /// OTEL_EXPORTER_OTLP_HEADERS for secrets)
    #[argh(option)]
    pub header: Vec<String>,

    /// time limit of one HTTP request, e.g. 10s (default 10s)
    #[argh(option)]
    pub timeout: Option<String>,

    /// time between collections, 100ms..24h, e.g. 60s (default 60s)
    #[argh(option)]
    pub interval: Option<String>,

    /// request body compression: gzip or none (default none)
    #[argh(option)]
    pub compression: Option<String>,

    /// time budget of one tick's sending, including backlog replay, e.g. 30s (default 30s)
    #[argh(option)]
    pub export_timeout: Option<String>,

    /// largest request sent, before compression, e.g. 1MiB (default 1MiB)
    #[argh(option)]
    pub max_request_size: Option<String>,

    /// memory for undelivered requests, e.g. 1MiB (default 1MiB); when full the oldest go
    #[argh(option)]
    pub queue_size: Option<String>,

    /// drop undelivered requests older than this, e.g. 6h (default 6h)
    #[argh(option)]
    pub max_age: Option<String>,

    /// keep undelivered requests in this directory, so restarts and kill -9 lose nothing
    #[argh(option)]
    pub spool_dir: Option<String>,

    /// largest size of the spool directory, e.g. 64MiB (default 64MiB)
    #[argh(option)]
    pub spool_size: Option<String>,

    /// time to deliver the backlog after SIGTERM before exiting, e.g. 5s (default 5s)
    #[argh(option)]
    pub shutdown_timeout: Option<String>,

    /// resource attribute KEY=VALUE added to every request (repeatable; an empty VALUE
    /// removes a detected attribute)
    #[argh(option)]
    pub resource: Vec<String>,

    /// read /proc, /sys and /etc under this directory instead of / (default /)
    #[argh(option)]
    pub root_path: Option<String>,

    /// comma-separated collectors to run (default: those marked on in the list below)
    #[argh(option)]
    pub collectors: Vec<String>,

    /// turn on collectors or optional metrics, e.g. system.filesystem.utilization
    /// (comma-separated, repeatable)
    #[argh(option)]
    pub enable: Vec<String>,

    /// turn off collectors or metrics by name (comma-separated, repeatable)
    #[argh(option)]
    pub disable: Vec<String>,

    /// keep only disks matching: a name or re:REGEX (repeatable; env SYSOTLP_DISK_INCLUDE)
    #[argh(option)]
    pub disk_include: Vec<String>,

    /// drop disks matching (default re:^(z?ram|loop|fd)\d+$; none to keep all)
    #[argh(option)]
    pub disk_exclude: Vec<String>,

    /// keep only interfaces matching: a name or re:REGEX (repeatable)
    #[argh(option)]
    pub network_include: Vec<String>,

    /// drop interfaces matching (default re:^veth; none to keep all)
    #[argh(option)]
    pub network_exclude: Vec<String>,

    /// keep only these file system types (default physical: types without nodev, plus zfs)
    #[argh(option)]
    pub filesystem_include_type: Vec<String>,

    /// drop these file system types (default squashfs, iso9660, erofs, udf)
    #[argh(option)]
    pub filesystem_exclude_type: Vec<String>,

    /// keep only mount points matching: a path or re:REGEX (repeatable)
    #[argh(option)]
    pub filesystem_include_mountpoint: Vec<String>,

    /// drop mount points matching (default: container and kubelet volume paths, /etc/hosts,
    /// /etc/hostname and /etc/resolv.conf)
    #[argh(option)]
    pub filesystem_exclude_mountpoint: Vec<String>,

    /// keep only processes whose executable name matches: a name or re:REGEX (repeatable;
    /// env SYSOTLP_PROCESS_INCLUDE)
    #[argh(option)]
    pub process_include: Vec<String>,

    /// drop processes whose executable name matches (repeatable; env SYSOTLP_PROCESS_EXCLUDE)
    #[argh(option)]
    pub process_exclude: Vec<String>,

    /// process collector: report at most N processes, the largest (default 256)
    #[argh(option)]
    pub max_processes: Option<String>,

    /// process collector: what "largest" means, memory (RSS) or cpu (CPU time since the
    /// previous collection) (default memory)
    #[argh(option)]
    pub process_top_by: Option<String>,

    /// longest wait for one statfs before the mount counts as hung (default 5s, at most half
    /// the interval)
    #[argh(option)]
    pub statfs_timeout: Option<String>,

    /// directory of Prometheus text files (*.prom) written by scripts, forwarded each tick
    /// (a host path, not under --root-path; env SYSOTLP_TEXTFILE_DIR)
    #[argh(option)]
    pub textfile_dir: Option<String>,

    /// largest --textfile-dir file read, e.g. 1MiB (default 1MiB)
    #[argh(option)]
    pub textfile_max_file_size: Option<String>,

    /// most --textfile-dir files read per tick, the first by name (default 100)
    #[argh(option)]
    pub textfile_max_files: Option<String>,

    /// most --textfile-dir series per tick, all files together (default 2000)
    #[argh(option)]
    pub textfile_max_series: Option<String>,

    /// most interfaces reported per tick, the first after the filters (default 1024)
    #[argh(option)]
    pub max_interfaces: Option<String>,

    /// most disks reported per tick, the first after the filters (default 1024)
    #[argh(option)]
    pub max_disks: Option<String>,

    /// most mounts reported per tick, the first after the filters (default 1024)
    #[argh(option)]
    pub max_mounts: Option<String>,

    /// report system.cpu.time per CPU (cpu attribute) instead of the all-CPU total
    #[argh(switch)]
    pub per_cpu: bool,

    /// divide load averages by the number of online CPUs
    #[argh(switch)]
    pub load_cpu_average: bool,

    /// emit the hostmetrics receiver's values where they differ from ours (x4096 paging,
    /// cached + slab memory states, thread-based process counts, FIN_WAIT1/FIN_WAIT2), to
    /// compare the two side by side
    #[argh(switch)]
    pub hostmetrics_quirks: bool,

    /// collect and export once, then exit: 0 if delivered, 1 if not
    #[argh(switch)]
    pub once: bool,

    /// validate the configuration, print it (secrets redacted) and exit: 0 valid, 2 not
    #[argh(switch)]
    pub check: bool,

    /// log level: off, error, warn, info (default), debug or trace
    #[argh(option)]
    pub log_level: Option<String>,

    /// http/protobuf (default) or http/json: the body of OTLP/HTTP requests
    #[argh(option)]
    pub protocol: Option<String>,

    /// counters as cumulative (default), delta (increase since the previous collection;
    /// a series' first collection sends nothing) or lowmemory (= cumulative here)
    #[argh(option)]
    pub temporality: Option<String>,

    /// metric names and attributes of hostmetrics (default) or semconv (semantic
    /// conventions v1.44.0)
    #[argh(option)]
    pub names: Option<String>,

    /// print the version and exit
    #[argh(switch)]
    pub version: bool,

    /// PEM file of the CA certificates to trust instead of the bundled Mozilla roots (https;
    /// env OTEL_EXPORTER_OTLP_CERTIFICATE)
    #[argh(option)]
    pub tls_ca: Option<String>,

    /// PEM client certificate (chain) for mTLS, with --tls-key (env
    /// OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE)
    #[argh(option)]
    pub tls_cert: Option<String>,

    /// PEM private key of --tls-cert, unencrypted PKCS#8, PKCS#1 or SEC1 (env
    /// OTEL_EXPORTER_OTLP_CLIENT_KEY)
    #[argh(option)]
    pub tls_key: Option<String>,

    /// do not verify the server certificate (https only; labs, never production)
    #[argh(switch)]
    pub tls_insecure_skip_verify: bool,

    /// proxy URL such as http://proxy:3128, or none (default: HTTPS_PROXY or HTTP_PROXY by
    /// endpoint scheme, else ALL_PROXY; NO_PROXY honoured)
    #[argh(option)]
    pub proxy: Option<String>,
}

/// What argh wants printed instead of running: `--help` (exit 0) or a usage error (exit 2).
#[derive(Debug, PartialEq, Eq)]
pub struct EarlyExit {
    pub text: String,
    pub code: u8,
}

/// Parses `args` (program name first). `--name=value` is split at the first `=` because
/// argh only takes `--name value` (google/argh#205).
pub fn parse(args: &[String]) -> Result<Cli, EarlyExit> {
    let command = args.first().map_or("sysotlp", String::as_str);
    let mut split: Vec<&str> = Vec::with_capacity(args.len());
    let mut options_ended = false;
    for arg in args.iter().skip(1) {
        if arg == "--" {
            options_ended = true;
        }
        match arg.split_once('=') {
            Some((name, value)) if !options_ended && name.starts_with("--") => {
                split.push(name);
                split.push(value);
            }
            _ => split.push(arg),
        }
    }
    Cli::from_args(&[command], &split).map_err(|exit| match exit.status {
        Ok(()) => EarlyExit {
            text: exit.output + &collectors_help(),
            code: 0,
        },
        Err(()) => EarlyExit {
            text: exit.output,
            code: 2,
        },
    })
}

/// The registry as `--help` lists it: name, default, what it emits.
fn collectors_help() -> String {
    let mut text = String::from("\nCollectors (--collectors, --enable, --disable):\n");
    for row in REGISTRY {
        let default = if row.on_by_default { "on " } else { "off" };
        text.push_str(&format!("  {:<12} {default}  {}\n", row.name, row.about));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        std::iter::once("sysotlp")
            .chain(list.iter().copied())
            .map(String::from)
            .collect()
    }

    #[test]
    fn equals_form_is_split() {
        let cli = parse(&args(&[
            "--interval=10s",
            "--header",
            "a=b=c",
            "--header=x=y",
            "--once",
        ]))
        .unwrap();
        assert_eq!(cli.interval.as_deref(), Some("10s"));
        assert_eq!(cli.header, vec!["a=b=c".to_string(), "x=y".to_string()]);
        assert!(cli.once);
    }

    #[test]
    fn unknown_flags_exit_2() {
        let exit = parse(&args(&["--bogus"])).unwrap_err();
        assert_eq!(exit.code, 2);
        assert!(exit.text.contains("--bogus"), "{}", exit.text);
    }

    #[test]
    fn help_exits_0() {
        let exit = parse(&args(&["--help"])).unwrap_err();
        assert_eq!(exit.code, 0);
        assert!(exit.text.contains("--root-path"));
        for row in REGISTRY {
            assert!(
                exit.text.contains(&format!("\n  {:<12} ", row.name)),
                "{} missing from --help:\n{}",
                row.name,
                exit.text
            );
        }
    }
}
