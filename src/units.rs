//! Durations and sizes as flags and variables write them.
//!
//! Reads: flag text such as `500ms`, `10s`, `1m`, `2h` (an integer and one unit; a bare
//! number is refused, because "1" meaning 1 ms is a known trap), `OTEL_*` millisecond
//! integers, and sizes (`65536`, `512KiB`, `1MiB`, `2GiB`). Emits: `Duration`s and byte counts.

use std::time::Duration;

/// Longest duration any flag takes: a year. Deadlines are `Instant::now() + duration`,
/// which must never overflow.
const MAX_DURATION: Duration = Duration::from_secs(366 * 86_400);

/// `<integer><ms|s|m|h>`, at most a year; `None` if malformed or out of range.
pub fn parse_duration(text: &str) -> Option<Duration> {
    parse_unbounded(text).filter(|d| *d <= MAX_DURATION)
}

fn parse_unbounded(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => n.checked_mul(60).map(Duration::from_secs),
        "h" => n.checked_mul(3600).map(Duration::from_secs),
        _ => None,
    }
}

/// An `OTEL_*` duration: a non-negative integer of milliseconds, at most a year.
pub fn parse_millis(text: &str) -> Option<Duration> {
    text.trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_millis)
        .filter(|d| *d <= MAX_DURATION)
}

/// What a duration flag takes, for error messages: the range as well as the form.
pub const DURATION_RANGE: &str = "at most 8784h (366 days)";

/// Largest size any flag takes.
const MAX_SIZE: u64 = 1 << 40;

/// Bytes, or an integer with `KiB`, `MiB`, `GiB` or `TiB`, at most 1 TiB; `None` if
/// malformed or larger.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let factor: u64 = match unit {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(factor).filter(|size| *size <= MAX_SIZE)
}

/// `1m30s`-free display for messages: the largest exact unit.
pub fn display(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 3_600_000 == 0 && ms > 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms % 60_000 == 0 && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_an_integer_and_a_unit() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("1m"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("24h"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
    }

    #[test]
    fn refuses_bare_numbers_fractions_and_junk() {
        for text in [
            "1",
            "banana",
            "",
            "s",
            "1.5s",
            "-1s",
            "10 s",
            "10sec",
            "1d",
            "99999999999999999999s",
            "18446744073709551615h",
            "5124095576030431h",
            "8785h",
        ] {
            assert_eq!(parse_duration(text), None, "{text:?}");
        }
    }

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("65536"), Some(65536));
        assert_eq!(parse_size("512KiB"), Some(512 * 1024));
        assert_eq!(parse_size("1MiB"), Some(1 << 20));
        assert_eq!(parse_size("2GiB"), Some(2 << 30));
        for bad in [
            "",
            "1MB",
            "1 MiB",
            "-1",
            "1.5MiB",
            "99999999999999999999GiB",
        ] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn issue_10_one_limit_for_every_unit() {
        // 99999999GiB used to pass while 1TiB was refused.
        assert_eq!(parse_size("1TiB"), Some(1 << 40));
        assert_eq!(parse_size("1024GiB"), Some(1 << 40));
        assert_eq!(parse_size("99999999GiB"), None);
        assert_eq!(parse_size("1025GiB"), None);
        assert_eq!(parse_size("2TiB"), None);
    }

    #[test]
    fn a_year_is_the_longest_duration() {
        assert_eq!(
            parse_duration("8784h"),
            Some(Duration::from_secs(8784 * 3600))
        );
        assert_eq!(parse_millis("31622400001"), None);
    }

    #[test]
    fn otel_values_are_milliseconds() {
        assert_eq!(parse_millis("10000"), Some(Duration::from_secs(10)));
        assert_eq!(parse_millis("abc"), None);
        assert_eq!(parse_millis("-5"), None);
    }

    #[test]
    fn displays_the_largest_exact_unit() {
        assert_eq!(display(Duration::from_secs(60)), "1m");
        assert_eq!(display(Duration::from_millis(1500)), "1500ms");
        assert_eq!(display(Duration::from_secs(10)), "10s");
        assert_eq!(display(Duration::from_secs(7200)), "2h");
    }
}
