//! The stderr logger.
//!
//! Reads: the filter chosen by `config` and whether `JOURNAL_STREAM` is set.
//! Emits: one line per event on stderr: `2026-11-25T20:56:10.123Z WARN message`, or without
//! the timestamp under systemd's journal (which stamps lines itself). No colour: a service
//! manager reads these lines. RFC 3339 formatting is done here rather than with `humantime`.
//! Dependency targets that dump wire bytes are capped whatever the filter says: ureq and
//! ureq_proto print every request byte at trace (`ureq_proto::util::log_data`), headers
//! such as `Authorization` included; their debug lines redact those headers.

use log::{Level, Log, Metadata, Record};
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// Installs the logger. `filter` uses env_logger syntax (`warn,sysotlp=info`).
pub fn init(filter: &str, journal: bool) {
    let mut builder = env_logger::Builder::new();
    builder
        .parse_filters(filter)
        .target(env_logger::Target::Stderr);
    builder.format(move |out, record| {
        if journal {
            writeln!(out, "{} {}", record.level(), record.args())
        } else {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            writeln!(
                out,
                "{} {} {}",
                rfc3339(now.as_secs(), now.subsec_millis()),
                record.level(),
                record.args()
            )
        }
    });
    let inner = builder.build();
    let max_level = inner.filter();
    // A second init (tests) keeps the first logger; nothing to do then.
    if log::set_boxed_logger(Box::new(Capped { inner })).is_ok() {
        log::set_max_level(max_level);
    }
}

/// The most a target may log: `Debug` for the HTTP client's targets, else anything.
pub fn allowed(target: &str, level: Level) -> bool {
    level <= Level::Debug || !target.starts_with("ureq")
}

/// env_logger with [`allowed`] applied before its own filter.
struct Capped {
    inner: env_logger::Logger,
}

impl Log for Capped {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        allowed(metadata.target(), metadata.level()) && self.inner.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if allowed(record.target(), record.level()) {
            self.inner.log(record);
        }
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` of a Unix time (UTC).
pub fn rfc3339(unix_seconds: u64, millis: u32) -> String {
    let days = unix_seconds / 86_400;
    let rest = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_10_http_client_targets_never_log_at_trace() {
        for target in ["ureq", "ureq::run", "ureq_proto::util"] {
            assert!(!allowed(target, Level::Trace), "{target}");
            assert!(allowed(target, Level::Debug), "{target}");
        }
        assert!(allowed("sysotlp::agent", Level::Trace));
    }

    #[test]
    fn formats_utc_timestamps() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_767_225_600, 5), "2026-01-01T00:00:00.005Z");
        assert_eq!(rfc3339(951_825_600, 999), "2000-02-29T12:00:00.999Z");
        assert_eq!(rfc3339(4_107_542_399, 0), "2100-02-28T23:59:59.000Z");
    }
}
