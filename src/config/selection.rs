//! What runs: collectors, metric switches, filters and every collector's options.
//!
//! Reads: `--collectors`, `--enable`, `--disable` (names from the registry, metric names from
//! its rows), the filter flags and their `SYSOTLP_<FLAG>` variables (spec/metrics.md §6),
//! `--per-cpu`, `--load-cpu-average`, `--hostmetrics-quirks`, `--statfs-timeout`,
//! `--max-processes`, `--process-top-by`, the `container` variable (a container marker,
//! spec/metrics.md §5.8). Emits: a `collect::Selection`, or a `ConfigError` naming the flag
//! and value (unknown names and bad patterns exit 2).

use super::{ConfigError, Env};
use crate::cli::Cli;
use crate::collect::{self, REGISTRY, Selection, disk, filesystem, network, process, textfile};
use crate::filter::{Filter, Pattern};
use crate::semconv::Switches;
use crate::units::{parse_duration, parse_size};
use std::time::Duration;

/// The members of comma-separated, repeatable list flags.
fn members(lists: &[String]) -> impl Iterator<Item = &str> {
    lists
        .iter()
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
}

/// The registry's names, for messages.
fn known() -> String {
    let names: Vec<&str> = REGISTRY.iter().map(|r| r.name).collect();
    names.join(", ")
}

/// `--collectors` sets the collectors (default: those on by default), then `--enable` /
/// `--disable` add and remove collectors or metrics by name (a metric name never starts a
/// collector); the options of every collector come from their flags.
pub fn from_cli(cli: &Cli, env: &Env, interval: Duration) -> Result<Selection, ConfigError> {
    let mut selection = Selection::default();
    if !cli.collectors.is_empty() {
        selection.collectors.clear();
        for name in members(&cli.collectors) {
            let row = collect::row(name).ok_or_else(|| {
                ConfigError::invalid("--collectors", name, format!("a list of {}", known()))
            })?;
            if !selection.collectors.contains(&row.name) {
                selection.collectors.push(row.name);
                selection.named.push(row.name);
            }
        }
        if selection.collectors.is_empty() {
            return Err(ConfigError::invalid(
                "--collectors",
                &cli.collectors.join(","),
                format!("a list of {}", known()),
            ));
        }
    }
    for (flag, list, on) in [
        ("--enable", &cli.enable, true),
        ("--disable", &cli.disable, false),
    ] {
        for name in members(list) {
            if let Some(row) = collect::row(name) {
                selection.collectors.retain(|c| *c != row.name);
                if on {
                    selection.collectors.push(row.name);
                    selection.named.push(row.name);
                }
            } else if let Some(metric) = collect::metric(name) {
                switch(&mut selection.metrics, metric.name, on);
            } else {
                return Err(ConfigError::invalid(
                    flag,
                    name,
                    format!("a collector ({}) or a metric name", known()),
                ));
            }
        }
    }
    // Run order is registry order, whatever the order of the flags.
    selection
        .collectors
        .sort_by_key(|c| REGISTRY.iter().position(|r| r.name == *c));
    selection.options = options(cli, env, interval)?;
    Ok(selection)
}

/// Turns `metric` on or off; a later flag wins over an earlier one.
fn switch(switches: &mut Switches, metric: &'static str, on: bool) {
    let (add, remove) = if on {
        (&mut switches.on, &mut switches.off)
    } else {
        (&mut switches.off, &mut switches.on)
    };
    remove.retain(|m| *m != metric);
    if !add.contains(&metric) {
        add.push(metric);
    }
}

/// Every collector's options from its flags; defaults live in the collector modules.
fn options(cli: &Cli, env: &Env, interval: Duration) -> Result<collect::Options, ConfigError> {
    let statfs_timeout = match &cli.statfs_timeout {
        Some(text) => parse_duration(text)
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                ConfigError::invalid("--statfs-timeout", text, "a duration such as 5s")
            })?,
        None => filesystem::DEFAULT_STATFS_TIMEOUT,
    };
    // Series caps (collect::cap): a positive count; memory per tick follows them.
    let cap = |flag: &str, value: &Option<String>, default: usize| match value {
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1 << 20).contains(n))
            .ok_or_else(|| ConfigError::invalid(flag, text, "a count from 1 to 1048576")),
        None => Ok(default),
    };
    Ok(collect::Options {
        cpu: collect::cpu::Options {
            per_cpu: cli.per_cpu,
        },
        load: collect::load::Options {
            per_cpu_average: cli.load_cpu_average,
        },
        disk: disk::Options {
            filter: filter(
                env,
                ("--disk-include", &cli.disk_include),
                ("--disk-exclude", &cli.disk_exclude),
                &[],
                &[disk::DEFAULT_EXCLUDE],
            )?,
            max_disks: cap("--max-disks", &cli.max_disks, disk::DEFAULT_MAX_DISKS)?,
        },
        filesystem: filesystem::Options {
            types: filter(
                env,
                ("--filesystem-include-type", &cli.filesystem_include_type),
                ("--filesystem-exclude-type", &cli.filesystem_exclude_type),
                &[filesystem::PHYSICAL],
                &filesystem::DEFAULT_TYPE_EXCLUDE,
            )?,
            mountpoints: filter(
                env,
                (
                    "--filesystem-include-mountpoint",
                    &cli.filesystem_include_mountpoint,
                ),
                (
                    "--filesystem-exclude-mountpoint",
                    &cli.filesystem_exclude_mountpoint,
                ),
                &[],
                &filesystem::DEFAULT_MOUNTPOINT_EXCLUDE,
            )?,
            statfs_timeout: statfs_timeout.min(interval / 2),
            max_mounts: cap(
                "--max-mounts",
                &cli.max_mounts,
                filesystem::DEFAULT_MAX_MOUNTS,
            )?,
        },
        textfile: textfile(cli, env)?,
        hostmetrics_quirks: cli.hostmetrics_quirks,
        network: network::Options {
            filter: filter(
                env,
                ("--network-include", &cli.network_include),
                ("--network-exclude", &cli.network_exclude),
                &[],
                &[network::DEFAULT_EXCLUDE],
            )?,
            max_interfaces: cap(
                "--max-interfaces",
                &cli.max_interfaces,
                network::DEFAULT_MAX_INTERFACES,
            )?,
        },
        container: collect::container::Options {
            env_marker: env.get("container").is_some(),
        },
        process: process_options(cli, env)?,
    })
}

/// `--max-processes` (1 or more), `--process-top-by`, the executable name filter.
fn process_options(cli: &Cli, env: &Env) -> Result<process::Options, ConfigError> {
    let max_processes = match &cli.max_processes {
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ConfigError::invalid("--max-processes", text, "a number from 1"))?,
        None => process::DEFAULT_MAX_PROCESSES,
    };
    let top_by = match cli.process_top_by.as_deref() {
        None | Some("memory") => process::TopBy::Memory,
        Some("cpu") => process::TopBy::Cpu,
        Some(other) => {
            return Err(ConfigError::invalid(
                "--process-top-by",
                other,
                "memory or cpu",
            ));
        }
    };
    Ok(process::Options {
        max_processes,
        top_by,
        filter: filter(
            env,
            ("--process-include", &cli.process_include),
            ("--process-exclude", &cli.process_exclude),
            &[],
            &[],
        )?,
    })
}

/// `--textfile-dir` (else `SYSOTLP_TEXTFILE_DIR`) and its caps. A directory that does not
/// exist or is not one is a start-up error naming it (exporter spec §1.1: an unusable flag or
/// required file exits 2); one that goes away later is a collector failure.
fn textfile(cli: &Cli, env: &Env) -> Result<textfile::Options, ConfigError> {
    let defaults = textfile::Options::default();
    let (source, dir) = match (&cli.textfile_dir, env.get("SYSOTLP_TEXTFILE_DIR")) {
        (Some(dir), _) => ("--textfile-dir", Some(dir.clone())),
        (None, Some(dir)) => ("SYSOTLP_TEXTFILE_DIR", Some(dir)),
        (None, None) => ("--textfile-dir", None),
    };
    if let Some(dir) = &dir {
        if !std::path::Path::new(dir).is_dir() {
            return Err(ConfigError::File {
                source: source.into(),
                path: dir.clone(),
                problem: "not a directory".into(),
            });
        }
    }
    let count = |flag: &str, text: &Option<String>, default: usize| match text {
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ConfigError::invalid(flag, text, "a positive number")),
        None => Ok(default),
    };
    let max_file_bytes = match &cli.textfile_max_file_size {
        Some(text) => parse_size(text).filter(|n| *n > 0).ok_or_else(|| {
            ConfigError::invalid("--textfile-max-file-size", text, "a size such as 1MiB")
        })?,
        None => defaults.max_file_bytes,
    };
    Ok(textfile::Options {
        dir: dir.map(std::path::PathBuf::from),
        max_file_bytes,
        max_files: count(
            "--textfile-max-files",
            &cli.textfile_max_files,
            defaults.max_files,
        )?,
        max_series: count(
            "--textfile-max-series",
            &cli.textfile_max_series,
            defaults.max_series,
        )?,
    })
}

/// For `--check` and the start line: collectors, the options that differ from the
/// defaults, and switched metrics.
pub fn describe(selection: &Selection, text: &mut String) {
    text.push_str(&format!(" collectors={}", selection.collectors.join(",")));
    if selection.options.cpu.per_cpu {
        text.push_str(" per-cpu");
    }
    if selection.options.load.per_cpu_average {
        text.push_str(" load-cpu-average");
    }
    if selection.options.hostmetrics_quirks {
        text.push_str(" hostmetrics-quirks");
    }
    let process = &selection.options.process;
    if process.max_processes != process::DEFAULT_MAX_PROCESSES {
        text.push_str(&format!(" max-processes={}", process.max_processes));
    }
    if process.top_by == process::TopBy::Cpu {
        text.push_str(" process-top-by=cpu");
    }
    if !selection.metrics.on.is_empty() {
        text.push_str(&format!(" enabled={}", selection.metrics.on.join(",")));
    }
    if !selection.metrics.off.is_empty() {
        text.push_str(&format!(" disabled={}", selection.metrics.off.join(",")));
    }
    if let Some(dir) = &selection.options.textfile.dir {
        text.push_str(&format!(" textfile-dir={}", dir.display()));
    }
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
