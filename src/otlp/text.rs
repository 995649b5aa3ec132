//! `--exporter text`: one tick as lines a person reads on an 80-column console (exporter spec
//! §4; the format is for people and may change: scripts want `stdout`).
//!
//! Reads: a `Builder` after `finish`. Emits: per resource a header line (the tick's time in
//! UTC, the host's name and architecture; for a process or container resource its own
//! attributes); per metric a line `name [unit]`, then one indented line per point with its
//! attributes (`key=value`, wrapped onto further lines when wider than the label column) and
//! the value right-aligned in a common column, bytes also in KiB/MiB/GiB; a metric of one
//! point without attributes takes one line. Points of another
//! scope (a textfile's) follow a `[scope]` line; a blank line ends the tick. Written into a
//! reused `String` with `fmt::Write`: no allocation once it has grown to a tick's size.

use super::{Builder, KeyValue, Metric, any_value, metric, number_data_point::Value};
use crate::semconv;
use std::fmt::Write;

/// Widest label the value column moves right for; a longer one pushes its value out.
const LABEL_COLUMN: usize = 46;
/// Width of the right-aligned value.
const VALUE_COLUMN: usize = 14;
/// Host attributes the header line shows, when present.
const HEADER_KEYS: [&str; 2] = [semconv::HOST_NAME, semconv::HOST_ARCH];
/// Indentation of a point under its metric's line, and of its attributes' next lines.
const INDENT: usize = 2;
const WRAPPED: usize = 6;

/// Replaces `out` with the text of the builder's request, ending with a blank line.
pub fn write(builder: &Builder, out: &mut String) {
    out.clear();
    let column = label_column(builder);
    let host = builder.host_attributes();
    for resource in builder.resources() {
        let attributes = resource.attributes(host);
        if attributes.clone().eq(host.iter()) {
            let _ = write!(out, "{}", Utc(builder.now_unix_nano()));
            for kv in attributes.filter(|kv| HEADER_KEYS.contains(&&*kv.key)) {
                out.push_str("  ");
                write_attribute(out, kv);
            }
        } else {
            out.push_str("--");
            for kv in attributes.filter(|kv| !host.contains(kv)) {
                out.push(' ');
                write_attribute(out, kv);
            }
        }
        out.push('\n');
        for scope in resource.scopes() {
            if scope.scope().name != semconv::SCOPE_NAME {
                let _ = writeln!(out, "[{}]", scope.scope().name);
            }
            for metric in scope.metrics() {
                write_metric(out, metric, column);
            }
        }
    }
    out.push('\n');
}

/// One point as shown: a number, or a histogram's or summary's count and sum.
#[derive(Clone, Copy)]
enum Shown {
    Number(Option<Value>),
    Distribution(u64, Option<f64>),
}

/// Calls `each` with the attributes and value of every point of `metric`.
fn for_points<'m>(metric: &'m Metric, mut each: impl FnMut(&'m [KeyValue], Shown)) {
    match &metric.data {
        Some(metric::Data::Gauge(g)) => g
            .data_points
            .iter()
            .for_each(|p| each(&p.attributes, Shown::Number(p.value))),
        Some(metric::Data::Sum(s)) => s
            .data_points
            .iter()
            .for_each(|p| each(&p.attributes, Shown::Number(p.value))),
        Some(metric::Data::Histogram(h)) => h
            .data_points
            .iter()
            .for_each(|p| each(&p.attributes, Shown::Distribution(p.count, p.sum))),
        Some(metric::Data::Summary(s)) => s
            .data_points
            .iter()
            .for_each(|p| each(&p.attributes, Shown::Distribution(p.count, Some(p.sum)))),
        None => {}
    }
}

/// The one point of a metric shown on its own line, if it has exactly one and no attributes.
fn single(metric: &Metric) -> Option<Shown> {
    let (mut count, mut only) = (0, None);
    for_points(metric, |attributes, shown| {
        count += 1;
        if attributes.is_empty() {
            only = Some(shown);
        }
    });
    only.filter(|_| count == 1)
}

/// The value column: after the widest label of the tick (at most LABEL_COLUMN).
fn label_column(builder: &Builder) -> usize {
    let mut widest = 0;
    for resource in builder.resources() {
        for scope in resource.scopes() {
            for metric in scope.metrics() {
                if single(metric).is_some() {
                    widest = widest.max(heading_width(metric));
                } else {
                    for_points(metric, |attributes, _| {
                        widest = widest.max(INDENT + label_width(attributes));
                    });
                }
            }
        }
    }
    widest.min(LABEL_COLUMN)
}

/// `name [unit]`.
fn heading_width(metric: &Metric) -> usize {
    let unit = shown_unit(metric);
    metric.name.chars().count()
        + if unit.is_empty() {
            0
        } else {
            unit.chars().count() + 3
        }
}

/// The unit as shown: none for the dimensionless `1`.
fn shown_unit(metric: &Metric) -> &str {
    match metric.unit.as_str() {
        "1" => "",
        unit => unit,
    }
}

fn write_heading(out: &mut String, metric: &Metric) {
    out.push_str(&metric.name);
    let unit = shown_unit(metric);
    if !unit.is_empty() {
        let _ = write!(out, " [{unit}]");
    }
}

fn write_metric(out: &mut String, metric: &Metric, column: usize) {
    let bytes = metric.unit == "By";
    if let Some(shown) = single(metric) {
        write_heading(out, metric);
        pad(out, heading_width(metric), column);
        write_value(out, shown, bytes);
        return;
    }
    write_heading(out, metric);
    out.push('\n');
    for_points(metric, |attributes, shown| {
        pad(out, 0, INDENT);
        let mut width = INDENT;
        for (i, kv) in attributes.iter().enumerate() {
            let next = attribute_width(kv);
            if i > 0 && width + 1 + next > column {
                out.push('\n');
                pad(out, 0, WRAPPED);
                width = WRAPPED;
            } else if i > 0 {
                out.push(' ');
                width += 1;
            }
            write_attribute(out, kv);
            width += next;
        }
        pad(out, width, column);
        write_value(out, shown, bytes);
    });
}

/// Spaces from column `from` to `to`; past it, the value goes on a line of its own.
fn pad(out: &mut String, from: usize, to: usize) {
    let from = if from > to {
        out.push('\n');
        0
    } else {
        from
    };
    for _ in from..to {
        out.push(' ');
    }
}

/// The value right-aligned, a byte count also in binary units, and the end of the line.
fn write_value(out: &mut String, shown: Shown, bytes: bool) {
    let _ = match shown {
        Shown::Number(Some(Value::AsInt(n))) if bytes && n.unsigned_abs() >= 1024 => {
            writeln!(out, " {n:>VALUE_COLUMN$}  {}", Bytes(n))
        }
        Shown::Number(Some(Value::AsInt(n))) => writeln!(out, " {n:>VALUE_COLUMN$}"),
        Shown::Number(Some(Value::AsDouble(x))) => writeln!(out, " {:>VALUE_COLUMN$}", Double(x)),
        Shown::Number(None) => writeln!(out),
        Shown::Distribution(count, Some(sum)) => {
            writeln!(out, " count={count} sum={}", Double(sum))
        }
        Shown::Distribution(count, None) => writeln!(out, " count={count}"),
    };
}

/// Characters of the labels `k=v k2=v2` on one line.
fn label_width(attributes: &[KeyValue]) -> usize {
    let spaces = attributes.len().saturating_sub(1);
    spaces + attributes.iter().map(attribute_width).sum::<usize>()
}

/// Characters of `k=v` as `write_attribute` prints it.
fn attribute_width(kv: &KeyValue) -> usize {
    kv.key.chars().count()
        + 1
        + match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
            Some(any_value::Value::StringValue(s)) if needs_quotes(s) => {
                s.chars()
                    .map(|c| if escaped(c) { 2 } else { 1 })
                    .sum::<usize>()
                    + 2
            }
            Some(any_value::Value::StringValue(s)) => s.chars().count(),
            Some(any_value::Value::IntValue(i)) => Int(*i).width(),
            _ => 1,
        }
}

/// Values are bare unless empty or holding a space, quote, `=` or control character.
fn needs_quotes(value: &str) -> bool {
    value.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '=' | '\\'))
}

fn escaped(c: char) -> bool {
    matches!(c, '"' | '\\' | '\n')
}

/// `key=value`, `key="a value"` (quotes, backslashes and newlines escaped), ints bare.
fn write_attribute(out: &mut String, kv: &KeyValue) {
    out.push_str(&kv.key);
    out.push('=');
    match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) if needs_quotes(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Some(any_value::Value::StringValue(s)) => out.push_str(s),
        Some(any_value::Value::IntValue(i)) => {
            let _ = write!(out, "{i}");
        }
        _ => out.push('?'),
    }
}

/// Digits (and sign) of an int, without formatting it.
struct Int(i64);

impl Int {
    fn width(&self) -> usize {
        let mut n = self.0.unsigned_abs();
        let mut width = usize::from(self.0 < 0) + 1;
        while n >= 10 {
            n /= 10;
            width += 1;
        }
        width
    }
}

/// A double for people: integral values without decimals, others with at most four,
/// trailing zeros dropped (so 160/100 − 1 prints 0.6, not 0.6000000000000001).
struct Double(f64);

impl std::fmt::Display for Double {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        let mut text = [0u8; 64];
        let mut cursor = std::io::Cursor::new(&mut text[..]);
        let fits = if !x.is_finite() || x.abs() >= 1e15 {
            std::io::Write::write_fmt(&mut cursor, format_args!("{x:e}"))
        } else {
            std::io::Write::write_fmt(&mut cursor, format_args!("{x:.4}"))
        };
        let len = usize::try_from(cursor.position()).unwrap_or(0);
        let written = text.get(..len).unwrap_or_default();
        let mut shown = std::str::from_utf8(written).unwrap_or("?");
        if fits.is_err() {
            shown = "?";
        } else if shown.contains('.') && x.is_finite() && x.abs() < 1e15 {
            shown = shown.trim_end_matches('0').trim_end_matches('.');
        }
        if shown == "-0" {
            shown = "0";
        }
        f.pad(shown)
    }
}

/// A byte count in binary units: `1.5 GiB`.
struct Bytes(i64);

impl std::fmt::Display for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        let mut value = self.0 as f64;
        let mut unit = 0;
        while value.abs() >= 1024.0 && unit + 1 < UNITS.len() {
            value /= 1024.0;
            unit += 1;
        }
        write!(f, "{value:.1} {}", UNITS.get(unit).unwrap_or(&"B"))
    }
}

/// A Unix time in nanoseconds as `2026-12-06 05:40:00 UTC` (civil-from-days, Howard Hinnant's
/// algorithm; no time zone database needed).
struct Utc(u64);

impl std::fmt::Display for Utc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seconds = self.0 / 1_000_000_000;
        let (days, rest) = (seconds / 86_400, seconds % 86_400);
        let z = days as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        write!(
            f,
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
            rest / 3600,
            rest / 60 % 60,
            rest % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::AttrValue;
    use crate::semconv::{
        SYSTEM_CPU_TIME, SYSTEM_MEMORY_LIMIT, SYSTEM_MEMORY_USAGE, SYSTEM_UPTIME,
    };

    #[test]
    fn dates_doubles_and_bytes_read_as_people_write_them() {
        let utc = |seconds: u64| Utc(seconds * 1_000_000_000).to_string();
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_767_225_600), "2026-01-01 00:00:00 UTC");
        assert_eq!(utc(1_709_164_800 + 3661), "2024-02-29 01:01:01 UTC");
        assert_eq!(utc(951_868_799), "2000-02-29 23:59:59 UTC");
        let double = |x: f64| Double(x).to_string();
        assert_eq!(double(1.6 - 1.0), "0.6");
        assert_eq!(double(2.0), "2");
        assert_eq!(double(0.00001), "0");
        assert_eq!(double(-0.0), "0");
        assert_eq!(double(12345.678912), "12345.6789");
        assert_eq!(double(f64::NAN), "NaN");
        assert_eq!(double(1e300), "1e300");
        assert_eq!(double(-2.5e15), "-2.5e15");
        assert_eq!(format!("{:>6}", Double(1.5)), "   1.5");
        assert_eq!(Bytes(1536).to_string(), "1.5 KiB");
        assert_eq!(Bytes(25_276_194_816).to_string(), "23.5 GiB");
        assert_eq!(Int(-120).width(), 4);
        assert_eq!(Int(0).width(), 1);
    }

    #[test]
    fn a_tick_as_text() {
        let mut b = Builder::new(&[
            ("host.name".into(), "pi".into()),
            ("host.arch".into(), "arm64".into()),
            ("os.type".into(), "linux".into()),
        ]);
        b.begin(1_767_225_600_000_000_000, 1);
        b.metric(&SYSTEM_CPU_TIME).point(&[("state", "user")], 1.25);
        b.metric(&SYSTEM_MEMORY_LIMIT).point(&[], 4096);
        b.metric(&SYSTEM_MEMORY_USAGE)
            .point(&[("state", "a \"quoted\" state")], 100);
        b.resource(&[("process.pid", AttrValue::Int(42))]);
        b.metric(&SYSTEM_UPTIME).point(&[], 3.5);
        b.host();
        b.scope("textfile", "");
        b.metric(&SYSTEM_UPTIME).point(&[], 7.0);
        b.finish();
        let mut out = String::new();
        write(&b, &mut out);
        // The label column is the widest label: `  state="a \"quoted\" state"`, 28.
        let expected = [
            "2026-01-01 00:00:00 UTC  host.name=pi  host.arch=arm64",
            "system.cpu.time [s]",
            "  state=user                           1.25",
            "system.memory.limit [By]               4096  4.0 KiB",
            "system.memory.usage [By]",
            "  state=\"a \\\"quoted\\\" state\"            100",
            "[textfile]",
            "system.uptime [s]                         7",
            "-- process.pid=42",
            "system.uptime [s]                       3.5",
            "",
        ];
        assert_eq!(out.lines().collect::<Vec<_>>(), expected, "{out}");
        assert!(out.ends_with("\n\n"), "a blank line ends the tick");
    }

    #[test]
    fn long_attributes_wrap_and_the_value_stays_in_its_column() {
        let mut b = Builder::new(&[]);
        b.begin(0, 0);
        let long = "x".repeat(30);
        b.metric(&SYSTEM_UPTIME)
            .point(&[("a.key", &long), ("b.key", &long), ("c", "d")], 1.0);
        b.metric(&SYSTEM_UPTIME).point(&[("k", "v")], 2.0);
        b.finish();
        let mut out = String::new();
        write(&b, &mut out);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[2], format!("  a.key={long}"));
        assert_eq!(
            lines[3].trim_end_matches(|c: char| c != ' ').trim(),
            format!("b.key={long} c=d")
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 80), "{out}");
        let ends: Vec<usize> = [3, 5].iter().map(|&i| lines[i].len()).collect();
        assert_eq!(ends[0], ends[1], "values end in one column:\n{out}");
    }
}
