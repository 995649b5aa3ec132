//! Flag and `OTEL_*` merging, with the environment passed in.

use super::*;
use crate::collect::metric;
use crate::config::otlp::DEFAULT_TIMEOUT;
use std::collections::HashMap;

fn config(args: &[&str], vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let argv: Vec<String> = std::iter::once("sysotlp")
        .chain(args.iter().copied())
        .map(String::from)
        .collect();
    let cli = crate::cli::parse(&argv).expect("flags parse");
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_cli(cli, &|name| vars.get(name).cloned())
}

#[test]
fn defaults() {
    let c = config(&[], &[]).unwrap();
    assert_eq!(c.exporter, ExporterKind::Otlp);
    assert_eq!(c.otlp.endpoint.url, "http://localhost:4318/v1/metrics");
    assert_eq!(c.interval, Duration::from_secs(60));
    assert_eq!(c.otlp.timeout, Some(Duration::from_secs(10)));
    assert_eq!(
        c.otlp.user_agent,
        concat!("sysotlp/", env!("CARGO_PKG_VERSION"))
    );
    let on_by_default: Vec<&str> = crate::collect::REGISTRY
        .iter()
        .filter(|r| r.on_by_default)
        .map(|r| r.name)
        .collect();
    assert_eq!(c.collect.collectors, on_by_default);
    assert!(c.collect.collectors.starts_with(&["cpu", "memory", "load"]));
    assert_eq!(c.collect.options, crate::collect::Options::default());
    assert_eq!(c.root, PathBuf::from("/"));
    assert_eq!(c.log_filter, "warn,sysotlp=info");
    assert!(c.warnings.is_empty());
}

#[test]
fn bad_flags_name_flag_and_value() {
    let e = config(&["--interval", "banana"], &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid value \"banana\" for --interval: expected a duration from 100ms to 24h such as 10s"
    );
    for (flag, value) in [
        ("--interval", "5"),
        ("--interval", "50ms"),
        ("--interval", "25h"),
        ("--timeout", "x"),
        ("--exporter", "kafka"),
        ("--log-level", "loud"),
        ("--collectors", "cpu,gpu"),
    ] {
        let e = config(&[flag, value], &[]).unwrap_err().to_string();
        assert!(e.contains(flag), "{e}");
    }
    assert_eq!(
        config(
            &["--endpoint", "http://a", "--metrics-endpoint", "http://b/x"],
            &[]
        )
        .unwrap_err(),
        ConfigError::Conflict("--endpoint", "--metrics-endpoint")
    );
}

#[test]
fn endpoint_precedence() {
    let signal = ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:1/custom");
    let base = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://b:2/otlp/");
    assert_eq!(
        config(&[], &[base]).unwrap().otlp.endpoint.url,
        "http://b:2/otlp/v1/metrics"
    );
    assert_eq!(
        config(&[], &[base, signal]).unwrap().otlp.endpoint.url,
        "http://m:1/custom"
    );
    let flag = config(&["--endpoint", "http://f:3"], &[base, signal]).unwrap();
    assert_eq!(flag.otlp.endpoint.url, "http://f:3/v1/metrics");
    let e = config(&[], &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://u:p@h")])
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("invalid value \"http://u:p@h\" for OTEL_EXPORTER_OTLP_ENDPOINT"),
        "{e}"
    );
}

#[test]
fn invalid_otel_durations_warn_and_fall_back() {
    let c = config(
        &["--exporter", "stdout"],
        &[
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "abc"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "1"),
        ],
    )
    .unwrap();
    assert_eq!(c.otlp.timeout, Some(DEFAULT_TIMEOUT));
    assert_eq!(c.interval, DEFAULT_INTERVAL);
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    assert!(c.warnings[0].contains("OTEL_EXPORTER_OTLP_TIMEOUT=\"abc\""));
    // The metrics-level variable wins; an invalid one counts as unset.
    let c = config(
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "-1"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ],
    )
    .unwrap();
    assert_eq!(c.otlp.timeout, Some(Duration::from_millis(2500)));
    let c = config(
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "0"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "15000"),
        ],
    )
    .unwrap();
    assert_eq!(c.otlp.timeout, None, "0 = no own limit");
    assert_eq!(c.interval, Duration::from_secs(15));
    assert_eq!(
        config(
            &["--interval", "1m"],
            &[("OTEL_METRIC_EXPORT_INTERVAL", "15000")]
        )
        .unwrap()
        .interval,
        Duration::from_secs(60)
    );
}

#[test]
fn empty_variables_are_unset() {
    let c = config(
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
            ("OTEL_METRICS_EXPORTER", " "),
        ],
    )
    .unwrap();
    assert_eq!(c.otlp.endpoint.url, "http://localhost:4318/v1/metrics");
    assert_eq!(c.exporter, ExporterKind::Otlp);
}

#[test]
fn headers_replace_whole_and_decode() {
    let generic = (
        "OTEL_EXPORTER_OTLP_HEADERS",
        "api-key=a%2Cb, Authorization=Basic dXNlcjpw==",
    );
    let c = config(&[], &[generic]).unwrap();
    assert_eq!(
        c.otlp.headers,
        vec![
            ("api-key".into(), "a,b".into()),
            ("Authorization".into(), "Basic dXNlcjpw==".into())
        ]
    );
    let c = config(
        &[],
        &[generic, ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "x=1")],
    )
    .unwrap();
    assert_eq!(c.otlp.headers, vec![("x".into(), "1".into())]);
    let c = config(&["--header", "y=a%20b", "--header", "Y=2"], &[generic]).unwrap();
    assert_eq!(
        c.otlp.headers,
        vec![("Y".into(), "2".into())],
        "flags are literal; later duplicates win"
    );
}

#[test]
fn header_errors_exit_without_quoting_the_secret() {
    let e = config(&[], &[("OTEL_EXPORTER_OTLP_HEADERS", "token=s3cret%zz")])
        .unwrap_err()
        .to_string();
    assert!(!e.contains("s3cret"), "{e}");
    assert!(
        e.contains("OTEL_EXPORTER_OTLP_HEADERS") && e.contains("member 1"),
        "{e}"
    );
    let e = config(&["--header", "bad name=s3cret"], &[])
        .unwrap_err()
        .to_string();
    assert!(!e.contains("s3cret"), "{e}");
}

#[test]
fn issue_10_a_colon_instead_of_equals_names_the_key_only() {
    let e = config(
        &[],
        &[("OTEL_EXPORTER_OTLP_HEADERS", "Authorization: Basic abc=")],
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "invalid value \"Authorization…\" for OTEL_EXPORTER_OTLP_HEADERS: expected NAME=VALUE with a header name made of letters, digits and !#$%&'*+-.^_`|~ (a ':' is no separator)"
    );
    for args in [
        ["--header", "Authorization: Basic abc="],
        ["--header", "Authorization: Basic abc"],
    ] {
        let e = config(&args, &[]).unwrap_err().to_string();
        assert!(!e.contains("abc") && !e.contains("Basic"), "{e}");
        assert!(e.contains("\"Authorization…\" for --header"), "{e}");
    }
}

#[test]
fn reserved_headers_are_skipped_and_user_agent_is_prepended() {
    let c = config(
        &[
            "--header",
            "Content-Type=text/plain",
            "--header",
            "User-Agent=edge/1",
        ],
        &[],
    )
    .unwrap();
    assert!(c.otlp.headers.is_empty());
    assert_eq!(
        c.otlp.user_agent,
        concat!("edge/1 sysotlp/", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(c.warnings.len(), 1);
}

#[test]
fn protocol_policy() {
    let e = config(&[], &[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("grpc") && e.contains("4318"), "{e}");
    let c = config(&[], &[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]).unwrap();
    assert!(c.otlp.json && c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(
        c.describe().contains(" protocol=http/json"),
        "{}",
        c.describe()
    );
    let c = config(&[], &[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/xml")]).unwrap();
    assert!(!c.otlp.json);
    assert_eq!(c.warnings.len(), 1);
    let c = config(
        &["--protocol", "http/protobuf"],
        &[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")],
    )
    .unwrap();
    assert!(!c.otlp.json, "the flag wins");
    let e = config(&["--protocol", "http/xml"], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("--protocol") && e.contains("http/json"), "{e}");
    let c = config(
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ],
    )
    .unwrap();
    assert!(
        c.warnings.is_empty(),
        "the metrics-level value is the effective one"
    );
}

#[test]
fn exporter_selection() {
    assert_eq!(
        config(&[], &[("OTEL_METRICS_EXPORTER", "otlp/stdout")])
            .unwrap()
            .exporter,
        ExporterKind::Stdout
    );
    let c = config(&[], &[("OTEL_METRICS_EXPORTER", "prometheus,none,otlp")]).unwrap();
    assert_eq!(c.exporter, ExporterKind::None);
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    assert_eq!(
        config(&[], &[("OTEL_SDK_DISABLED", "TRUE")])
            .unwrap()
            .exporter,
        ExporterKind::None
    );
    assert_eq!(
        config(&["--exporter", "stdout"], &[("OTEL_SDK_DISABLED", "true")])
            .unwrap()
            .exporter,
        ExporterKind::Stdout
    );
    let c = config(&[], &[("OTEL_SDK_DISABLED", "yes")]).unwrap();
    assert_eq!((c.exporter, c.warnings.len()), (ExporterKind::Otlp, 1));
}

#[cfg(not(feature = "tls"))]
#[test]
fn https_is_refused_without_the_tls_feature() {
    let e = config(&["--endpoint", "https://collector"], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("no TLS"), "{e}");
    assert!(
        config(
            &["--endpoint", "https://collector", "--exporter", "stdout"],
            &[]
        )
        .is_ok()
    );
}

#[test]
fn resource_precedence_is_kept_in_order() {
    let c = config(
        &["--resource", "deployment.environment=prod"],
        &[
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.name=a,team=x%2Fy,host.id=",
            ),
            ("OTEL_SERVICE_NAME", "b"),
        ],
    )
    .unwrap();
    assert_eq!(
        c.resource,
        vec![
            ("service.name".into(), "a".into()),
            ("team".into(), "x/y".into()),
            ("host.id".into(), String::new()),
            ("service.name".into(), "b".into()),
            ("deployment.environment".into(), "prod".into()),
        ]
    );
    let c = config(&[], &[("OTEL_RESOURCE_ATTRIBUTES", "ok=1,broken")]).unwrap();
    assert!(c.resource.is_empty(), "a bad variable is discarded whole");
    assert_eq!(c.warnings.len(), 1);
    assert!(config(&["--resource", "novalue"], &[]).is_err());
}

#[test]
fn log_level_precedence() {
    assert_eq!(
        config(&["--log-level", "debug"], &[("RUST_LOG", "trace")])
            .unwrap()
            .log_filter,
        "warn,sysotlp=debug"
    );
    assert_eq!(
        config(&[], &[("RUST_LOG", "ureq=debug,sysotlp=trace")])
            .unwrap()
            .log_filter,
        "ureq=debug,sysotlp=trace"
    );
    assert_eq!(
        config(&[], &[("RUST_LOG", "debug")]).unwrap().log_filter,
        "warn,sysotlp=debug"
    );
    assert_eq!(
        config(&[], &[("OTEL_LOG_LEVEL", "none")])
            .unwrap()
            .log_filter,
        "off"
    );
    assert_eq!(
        config(&[], &[("OTEL_LOG_LEVEL", "verbose")])
            .unwrap()
            .log_filter,
        "warn,sysotlp=trace"
    );
    assert_eq!(
        config(&[], &[("OTEL_LOG_LEVEL", "chatty")])
            .unwrap()
            .warnings
            .len(),
        1
    );
}

#[test]
fn collectors_run_in_table_order_whatever_the_flag_order() {
    let c = config(&["--collectors", "memory,cpu", "--collectors", "cpu"], &[]).unwrap();
    assert_eq!(c.collect.collectors, ["cpu", "memory"]);
}

#[test]
fn describe_hides_header_values() {
    let c = config(&["--header", "authorization=Bearer s3cret"], &[]).unwrap();
    let text = c.describe();
    assert!(
        text.contains("headers=authorization (values hidden)"),
        "{text}"
    );
    assert!(!text.contains("s3cret"));
}

#[test]
fn enable_and_disable_take_collectors_and_metric_names() {
    let c = config(
        &[
            "--collectors",
            "cpu",
            "--enable",
            "memory,system.filesystem.utilization",
            "--disable",
            "system.cpu.logical.count",
        ],
        &[],
    )
    .unwrap();
    assert_eq!(
        c.collect.collectors,
        ["cpu", "memory"],
        "a metric name starts no collector"
    );
    let is_on = |c: &Config, name: &str| c.collect.metrics.is_on(metric(name).unwrap());
    assert!(is_on(&c, "system.filesystem.utilization"));
    assert!(!is_on(&c, "system.cpu.logical.count"));
    assert_eq!(c.collect.metrics.off, vec!["system.cpu.logical.count"]);
    let c = config(&["--disable", "disk,network"], &[]).unwrap();
    assert!(!c.collect.collectors.contains(&"disk") && !c.collect.collectors.contains(&"network"));
    for optional in [
        "system.network.conntrack.count",
        "system.paging.utilization",
        "system.filesystem.utilization",
    ] {
        assert!(!is_on(&c, optional), "{optional} is off by default");
    }
    let c = config(
        &[
            "--enable",
            "system.network.conntrack.count",
            "--disable",
            "system.network.conntrack.count",
        ],
        &[],
    )
    .unwrap();
    assert!(
        !is_on(&c, "system.network.conntrack.count"),
        "the later flag wins"
    );
    assert!(is_on(
        &config(&["--enable", "system.network.conntrack.count"], &[]).unwrap(),
        "system.network.conntrack.count"
    ));
    let e = config(&["--enable", "system.cpu.magic"], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"system.cpu.magic\" for --enable"), "{e}");
}

#[test]
fn filters_have_spec_defaults_replaced_by_flag_or_variable() {
    let c = config(&[], &[]).unwrap();
    assert!(
        !c.collect.options.disk.filter.allows("loop0")
            && c.collect.options.disk.filter.allows("sda")
    );
    assert!(
        !c.collect.options.network.filter.allows("veth12ab")
            && c.collect.options.network.filter.allows("eth0")
    );
    assert!(!c.collect.options.filesystem.types.allows("squashfs"));
    assert!(c.collect.options.filesystem.types.include[0].is_keyword("physical"));
    assert!(
        !c.collect
            .options
            .filesystem
            .mountpoints
            .allows("/var/lib/docker/overlay2/x/merged")
    );
    assert!(
        c.collect
            .options
            .filesystem
            .mountpoints
            .allows("/var/lib/dockerd")
    );
    let c = config(
        &["--disk-exclude", "none"],
        &[("SYSOTLP_DISK_EXCLUDE", "sda")],
    )
    .unwrap();
    assert!(
        c.collect.options.disk.filter.allows("loop0")
            && c.collect.options.disk.filter.allows("sda"),
        "none empties the list; a flag beats the variable"
    );
    let c = config(&[], &[("SYSOTLP_DISK_EXCLUDE", "sda")]).unwrap();
    assert!(
        c.collect.options.disk.filter.allows("loop0")
            && !c.collect.options.disk.filter.allows("sda"),
        "the variable replaces the default"
    );
    let c = config(
        &["--network-include", "re:^eth", "--network-include", "wlan0"],
        &[],
    )
    .unwrap();
    assert!(
        c.collect.options.network.filter.allows("eth1")
            && c.collect.options.network.filter.allows("wlan0")
            && !c.collect.options.network.filter.allows("lo")
    );
    let e = config(&[], &[("SYSOTLP_NETWORK_EXCLUDE", "re:(")])
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("invalid value \"re:(\" for SYSOTLP_NETWORK_EXCLUDE"),
        "{e}"
    );
}

#[test]
fn statfs_timeout_is_capped_at_half_the_interval() {
    assert_eq!(
        config(&[], &[])
            .unwrap()
            .collect
            .options
            .filesystem
            .statfs_timeout,
        Duration::from_secs(5)
    );
    let c = config(&["--interval", "1s"], &[]).unwrap();
    assert_eq!(
        c.collect.options.filesystem.statfs_timeout,
        Duration::from_millis(500)
    );
    let c = config(&["--statfs-timeout", "50ms"], &[]).unwrap();
    assert_eq!(
        c.collect.options.filesystem.statfs_timeout,
        Duration::from_millis(50)
    );
    assert!(config(&["--statfs-timeout", "0s"], &[]).is_err());
}

#[test]
fn delivery_limits_are_checked() {
    assert!(
        config(&["--collectors", ","], &[]).is_err(),
        "no collector at all"
    );
    assert!(config(&["--max-age", "0s"], &[]).is_err());
    assert!(config(&["--max-request-size", "2GiB", "--queue-size", "4GiB"], &[]).is_err());
    let e = config(&["--max-request-size", "2MiB"], &[])
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "invalid value \"1048576 (default)\" for --queue-size: expected at least --max-request-size"
    );
    assert!(config(&["--spool-dir", "/tmp/x", "--spool-size", "1KiB"], &[]).is_err());
    assert!(
        config(&["--export-timeout", "5124095576030431h"], &[]).is_err(),
        "no Instant overflow later"
    );
    let c = config(
        &[
            "--compression",
            "gzip",
            "--spool-dir",
            "/var/lib/sysotlp",
            "--queue-size",
            "2MiB",
        ],
        &[],
    )
    .unwrap();
    assert!(c.delivery.gzip);
    assert_eq!(c.delivery.queue_size, 2 << 20);
    assert_eq!(
        c.delivery.spool_dir.as_deref(),
        Some(std::path::Path::new("/var/lib/sysotlp"))
    );
    let c = config(
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
            ("OTEL_METRIC_EXPORT_TIMEOUT", "0"),
        ],
    )
    .unwrap();
    assert!(!c.delivery.gzip);
    assert_eq!(c.delivery.export_timeout, None, "0 = until the next tick");
    assert_eq!(c.warnings.len(), 1);
}

/// `from_os_env` with `vars`, values given as bytes.
fn config_os(args: &[&str], vars: &[(&str, &[u8])]) -> Result<Config, ConfigError> {
    use std::os::unix::ffi::OsStringExt;
    let argv: Vec<String> = std::iter::once("sysotlp")
        .chain(args.iter().copied())
        .map(String::from)
        .collect();
    let cli = crate::cli::parse(&argv).expect("flags parse");
    let vars: HashMap<String, Vec<u8>> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_vec()))
        .collect();
    Config::from_os_env(cli, &|name| {
        vars.get(name)
            .map(|v| std::ffi::OsString::from_vec(v.clone()))
    })
}

#[test]
fn issue_10_non_utf8_endpoint_headers_tls_and_proxy_values_exit_2() {
    for name in [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CLIENT_KEY",
        "HTTP_PROXY",
    ] {
        let e = config_os(&[], &[(name, b"http://\xffh")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "invalid value for {name}: expected UTF-8 text (the value has bytes that are not)"
            ),
        );
    }
    // A flag wins over the variable, which is then never read.
    let c = config_os(
        &["--endpoint", "http://127.0.0.1:9"],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", b"http://\xffh")],
    )
    .unwrap();
    assert_eq!(c.otlp.endpoint.url, "http://127.0.0.1:9/v1/metrics");
}

#[test]
fn issue_10_other_non_utf8_values_warn_and_count_as_unset() {
    let c = config_os(
        &[],
        &[
            ("OTEL_METRIC_EXPORT_INTERVAL", b"1\xff"),
            ("OTEL_SERVICE_NAME", b"\xfe"),
        ],
    )
    .unwrap();
    assert_eq!(c.interval, DEFAULT_INTERVAL);
    assert_eq!(
        c.warnings,
        [
            "ignoring OTEL_METRIC_EXPORT_INTERVAL: its value is not UTF-8 text",
            "ignoring OTEL_SERVICE_NAME: its value is not UTF-8 text"
        ]
    );
}

#[test]
fn issue_10_spool_dirs_that_can_hold_nothing_exit_2() {
    use std::os::unix::fs::PermissionsExt;
    let base = std::env::temp_dir().join(format!("sysotlp-spoolcheck-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let file = base.join("plain");
    std::fs::write(&file, "x").unwrap();
    let open = base.join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let path = |p: &std::path::Path| p.to_str().unwrap().to_string();
    for (dir, problem) in [
        (path(&file), "not a directory".to_string()),
        (
            path(&file.join("spool")),
            format!("{} is not a directory", file.display()),
        ),
        (
            "/proc/sys/kernel/sysotlp".into(),
            "/proc/sys/kernel is on procfs, which holds no files".into(),
        ),
        (
            "/sys/sysotlp/spool".into(),
            "/sys is on sysfs, which holds no files".into(),
        ),
        (
            path(&open),
            "world-writable: give a directory only sysotlp can write (chmod 700)".into(),
        ),
    ] {
        let e = config(&["--spool-dir", &dir], &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("--spool-dir \"{dir}\": {problem}"),
            "{dir}"
        );
    }
    // Sticky and ours, as /tmp-style directories are: a warning.
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let c = config(&["--spool-dir", &path(&open)], &[]).unwrap();
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    // Not there yet: created at start.
    let new = base.join("a/b/spool");
    let c = config(&["--spool-dir", &path(&new)], &[]).unwrap();
    assert_eq!(c.delivery.spool_dir, Some(new.clone()));
    assert!(!new.exists(), "validation creates nothing");
}

#[test]
fn issue_10_duration_and_size_errors_name_the_limit() {
    let e = config(&["--max-age", "10000h"], &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid value \"10000h\" for --max-age: expected a duration such as 10s, at most 8784h (366 days)"
    );
    let e = config(&["--queue-size", "99999999GiB"], &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid value \"99999999GiB\" for --queue-size: expected a size such as 1MiB, at most 1TiB"
    );
    let e = config(&["--endpoint", "localhost:4318"], &[]).unwrap_err();
    assert!(!e.to_string().contains("expected expected"), "{e}");
    let e = config(&["--header", "novalue"], &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid value \"novalue…\" for --header: expected NAME=VALUE (no '=' after the key)"
    );
}

#[test]
fn temporality_and_names() {
    use crate::otlp::Temporality;
    use crate::semconv::Naming;
    let c = config(&[], &[]).unwrap();
    assert_eq!(
        (c.output.temporality, c.output.naming),
        (Temporality::Cumulative, Naming::Hostmetrics)
    );
    const VAR: &str = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
    let c = config(&[], &[(VAR, "Delta")]).unwrap();
    assert_eq!(c.output.temporality, Temporality::Delta);
    assert!(
        c.describe().contains(" temporality=delta"),
        "{}",
        c.describe()
    );
    let c = config(&[], &[(VAR, "deltas")]).unwrap();
    assert_eq!(c.output.temporality, Temporality::Cumulative);
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].contains("deltas") && c.warnings[0].contains(VAR));
    let c = config(&["--temporality", "lowmemory"], &[(VAR, "delta")]).unwrap();
    assert_eq!(
        c.output.temporality,
        Temporality::LowMemory,
        "the flag wins"
    );
    let e = config(&["--temporality", "deltas"], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("--temporality") && e.contains("deltas"), "{e}");
    let c = config(&["--names", "semconv"], &[]).unwrap();
    assert_eq!(c.output.naming, Naming::Semconv);
    let e = config(&["--names", "otel"], &[]).unwrap_err().to_string();
    assert!(e.contains("--names") && e.contains("otel"), "{e}");
    // Switches take either name of a metric.
    let c = config(&["--disable", "system.network.connection.count"], &[]).unwrap();
    assert_eq!(c.collect.metrics.off, ["system.network.connections"]);
}

#[test]
fn text_exporter_is_chosen_by_flag() {
    let c = config(&["--exporter", "text"], &[]).unwrap();
    assert_eq!(c.exporter, ExporterKind::Text);
    assert!(
        c.describe().starts_with("exporter=text "),
        "{}",
        c.describe()
    );
    let e = config(&["--exporter", "txt"], &[]).unwrap_err().to_string();
    assert!(e.contains("otlp, stdout, text or none"), "{e}");
}
