//! Parsers of the cgroup v2 interface files the `container` collector reads.
//!
//! Reads: text of `cpu.max`, `memory.max`, `pids.max` and friends (one value), and one line
//! of `io.stat` (Documentation/admin-guide/cgroup-v2.rst, "Interface Files"); the flat-keyed
//! files (`cpu.stat`, `memory.stat`, `memory.events`) go through `text::keyed_counters`.
//! Emits: numbers, with the literal `max` ("no limit") as `None`, gathered per tick in
//! [`Values`].
//! Input:
//! ```text
//! 150000 100000                                          (cpu.max: quota period, or max period)
//! 536870912                                              (memory.max, pids.max: bytes or max)
//! 254:0 rbytes=15138816 wbytes=4218880 rios=412 wios=38 dbytes=0 dios=0   (io.stat)
//! ```

use super::super::text::{keyed_counter, keyed_counters, parse_counter};

/// The cgroup files read each tick, in reading order; `io.stat` last, read on its own.
pub const FILES: [&str; 9] = [
    "cpu.stat",
    "cpu.max",
    "memory.current",
    "memory.max",
    "memory.stat",
    "memory.events",
    "pids.current",
    "pids.max",
    "io.stat",
];

/// One tick's values; `None` when a file or key is absent or damaged, or a limit is `max`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Values {
    pub user_usec: Option<u64>,
    pub system_usec: Option<u64>,
    pub throttled_usec: Option<u64>,
    /// CPUs (quota ÷ period).
    pub cpu_limit: Option<f64>,
    pub memory_current: Option<u64>,
    pub memory_max: Option<u64>,
    pub anon: Option<u64>,
    pub inactive_file: Option<u64>,
    pub pgfault: Option<u64>,
    pub pgmajfault: Option<u64>,
    pub oom_kill: Option<u64>,
    pub pids_current: Option<u64>,
    pub pids_max: Option<u64>,
}

impl Values {
    /// Takes what the collector uses from `text`, the content of `file` (one of [`FILES`]
    /// but `io.stat`); `Some((line, what))` when it is malformed (that value stays `None`).
    pub fn take(&mut self, file: &str, text: &str) -> Option<(usize, String)> {
        let first_line = |what: String| (1, what);
        match file {
            "cpu.stat" => {
                let (values, bad) =
                    keyed_counters(text, ["user_usec", "system_usec", "throttled_usec"]);
                [self.user_usec, self.system_usec, self.throttled_usec] = values;
                bad
            }
            "memory.stat" => {
                let (values, bad) =
                    keyed_counters(text, ["anon", "inactive_file", "pgfault", "pgmajfault"]);
                [self.anon, self.inactive_file, self.pgfault, self.pgmajfault] = values;
                bad
            }
            "memory.events" => keyed_counter(text, "oom_kill")
                .map(|value| self.oom_kill = value)
                .err(),
            "cpu.max" => parse_cpu_max(text)
                .map(|limit| self.cpu_limit = limit)
                .err()
                .map(first_line),
            "memory.max" => parse_limit(text)
                .map(|limit| self.memory_max = limit)
                .err()
                .map(first_line),
            "pids.max" => parse_limit(text)
                .map(|limit| self.pids_max = limit)
                .err()
                .map(first_line),
            "memory.current" => parse_value(text)
                .map(|n| self.memory_current = Some(n))
                .err()
                .map(first_line),
            "pids.current" => parse_value(text)
                .map(|n| self.pids_current = Some(n))
                .err()
                .map(first_line),
            _ => None,
        }
    }
}

/// A single-value limit file (`memory.max`, `pids.max`): `Some(n)`, or `None` for `max`.
pub fn parse_limit(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim_end();
    if text == "max" {
        return Ok(None);
    }
    parse_counter(text)
        .map(Some)
        .ok_or_else(|| format!("expected a number or \"max\", found \"{text}\""))
}

/// A single-value count file (`memory.current`, `pids.current`).
pub fn parse_value(text: &str) -> Result<u64, String> {
    let text = text.trim_end();
    parse_counter(text).ok_or_else(|| format!("expected a number, found \"{text}\""))
}

/// `cpu.max` as CPUs (quota ÷ period); `None` for a quota of `max`.
pub fn parse_cpu_max(text: &str) -> Result<Option<f64>, String> {
    let text = text.trim_end();
    let mut fields = text.split_ascii_whitespace();
    let (quota, period) = match (fields.next(), fields.next(), fields.next()) {
        (Some(quota), Some(period), None) => (quota, parse_counter(period).filter(|p| *p > 0)),
        _ => (text, None),
    };
    match (quota, period) {
        ("max", Some(_)) => Ok(None),
        (quota, Some(period)) => match parse_counter(quota) {
            Some(quota) => Ok(Some(quota as f64 / period as f64)),
            None => Err(format!(
                "expected \"<quota>|max <period>\", found \"{text}\""
            )),
        },
        _ => Err(format!(
            "expected \"<quota>|max <period>\", found \"{text}\""
        )),
    }
}

/// One `io.stat` line: the device's `MAJ:MIN`, `rbytes` and `wbytes` (absent keys are 0:
/// the kernel prints every key of a device it lists, but older kernels lack the `d*` ones).
pub fn parse_io_stat_line(line: &str) -> Result<(&str, u64, u64), String> {
    let mut fields = line.split_ascii_whitespace();
    let device = fields
        .next()
        .filter(|d| {
            d.split_once(':').is_some_and(|(major, minor)| {
                major.parse::<u32>().is_ok() && minor.parse::<u32>().is_ok()
            })
        })
        .ok_or_else(|| {
            format!("expected \"<major>:<minor> rbytes=… wbytes=…\", found \"{line}\"")
        })?;
    let (mut read, mut written) = (None, None);
    for field in fields {
        let Some((key, value)) = field.split_once('=') else {
            return Err(format!(
                "expected key=value fields, found \"{field}\" in \"{line}\""
            ));
        };
        let slot = match key {
            "rbytes" => &mut read,
            "wbytes" => &mut written,
            _ => continue,
        };
        *slot = Some(
            parse_counter(value)
                .ok_or_else(|| format!("expected a number for {key}, found \"{value}\""))?,
        );
    }
    match (read, written) {
        (Some(read), Some(written)) => Ok((device, read, written)),
        _ => Err(format!("expected rbytes= and wbytes= in \"{line}\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_from_their_files_and_a_bad_one_names_its_line() {
        // fixtures/container-v2 (cgroup-v2.rst formats).
        let mut v = Values::default();
        let cpu_stat = "usage_usec 887700\nuser_usec 325470\nsystem_usec 562230\nnice_usec 0\n\
                        nr_periods 412\nnr_throttled 37\nthrottled_usec 1843217\n";
        assert_eq!(v.take("cpu.stat", cpu_stat), None);
        assert_eq!(v.take("memory.max", "max\n"), None);
        assert_eq!(v.take("pids.max", "100\n"), None);
        assert_eq!(
            v.take("memory.events", "low 0\nmax 3\noom 1\noom_kill 1\n"),
            None
        );
        assert_eq!(
            (v.user_usec, v.system_usec, v.throttled_usec),
            (Some(325_470), Some(562_230), Some(1_843_217))
        );
        assert_eq!(
            (v.memory_max, v.pids_max, v.oom_kill),
            (None, Some(100), Some(1))
        );
        // Without the cpu controller cpu.stat has no throttled_usec: no value, no error.
        let mut core = Values::default();
        assert_eq!(
            core.take("cpu.stat", "usage_usec 5\nuser_usec 3\nsystem_usec 2\n"),
            None
        );
        assert_eq!(core.throttled_usec, None);
        let bad = v.take("memory.stat", "anon 1\ninactive_file x\npgfault 5\n");
        assert_eq!(bad.map(|(line, _)| line), Some(2));
        assert_eq!(
            (v.anon, v.inactive_file, v.pgfault),
            (Some(1), None, Some(5))
        );
        assert_eq!(
            v.take("memory.current", "lots").map(|(line, _)| line),
            Some(1)
        );
        assert_eq!(v.memory_current, None);
    }

    #[test]
    fn limits_are_numbers_or_max() {
        assert_eq!(parse_limit("536870912\n"), Ok(Some(536_870_912)));
        assert_eq!(parse_limit("max\n"), Ok(None));
        for bad in ["", "-1", "unlimited", "1 2", "18446744073709551615"] {
            assert!(parse_limit(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_value("31457280\n"), Ok(31_457_280));
        assert!(parse_value("max").is_err());
    }

    #[test]
    fn cpu_max_is_quota_over_period() {
        // `docker run --cpus 1.5`: 150000 µs per 100000 µs.
        assert_eq!(parse_cpu_max("150000 100000\n"), Ok(Some(1.5)));
        assert_eq!(parse_cpu_max("50000 100000"), Ok(Some(0.5)));
        // The default: no quota.
        assert_eq!(parse_cpu_max("max 100000\n"), Ok(None));
        for bad in [
            "",
            "max",
            "150000",
            "150000 0",
            "x 100000",
            "1 2 3",
            "-1 100000",
        ] {
            assert!(parse_cpu_max(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn io_stat_lines_give_device_and_bytes() {
        // cgroup-v2.rst's example line, and a 5.x line without dbytes/dios.
        assert_eq!(
            parse_io_stat_line(
                "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0"
            ),
            Ok(("8:16", 1_459_200, 314_773_504))
        );
        assert_eq!(
            parse_io_stat_line("254:0 rbytes=15138816 wbytes=4218880 rios=412 wios=38"),
            Ok(("254:0", 15_138_816, 4_218_880))
        );
        for bad in [
            "",
            "sda rbytes=1 wbytes=2",
            "8:x rbytes=1 wbytes=2",
            "8:16 rbytes=1",
            "8:16 rbytes=x wbytes=2",
            "8:16 rbytes 1 wbytes 2",
        ] {
            assert!(parse_io_stat_line(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        crate::collect::garbage::for_each_variant(
            "254:0 rbytes=15138816 wbytes=4218880 rios=412 wios=38 dbytes=0 dios=0\n",
            |text| {
                for line in text.lines() {
                    let _ = parse_io_stat_line(line);
                }
                let _ = parse_cpu_max(text);
                let _ = parse_limit(text);
            },
        );
    }
}
