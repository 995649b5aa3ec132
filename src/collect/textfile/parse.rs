//! The Prometheus text exposition format 0.0.4, as node_exporter's textfile collector takes it.
//!
//! Reads: the text of one `*.prom` file (prometheus/docs `exposition_formats.md`, "Text-based
//! format"):
//! ```text
//! # HELP backup_last_success_timestamp_seconds When the last backup succeeded.
//! # TYPE backup_last_success_timestamp_seconds gauge
//! backup_last_success_timestamp_seconds{host="nas",path="C:\\DC\\data"} 1.7672256e+09
//! job_duration_seconds_bucket{le="+Inf"} 7
//! ```
//! Emits: the file's metric families (name, HELP, TYPE) and their samples (name, suffix,
//! labels, value), as spans into the text or into one buffer of unescaped strings, or the
//! first line that breaks the format and why. Nothing of a bad file is kept (the collector
//! then uses none of it).
//!
//! Rules, those of the format and of Prometheus' own `expfmt` parser that node_exporter uses:
//! `# HELP name text` (escapes `\\` and `\n`) and `# TYPE name counter|gauge|histogram|summary|
//! untyped` come before the family's first sample, at most once each; other `#` lines are
//! comments. A family's lines come as one group; histogram and summary samples may carry the
//! `_bucket` (histogram), `_sum` and `_count` suffixes of their family; a sample of an unknown
//! name starts an untyped family. Label values escape `\\`, `\"` and `\n`; label names match
//! `[a-zA-Z_][a-zA-Z0-9_]*` and may not start with `__` or repeat in a sample. Values are
//! floats with `NaN`, `+Inf`, `-Inf`. A sample with a timestamp is refused: node_exporter's
//! textfile collector refuses such files too (a timestamp would be the script's clock, not
//! the tick's). Blanks are spaces and tabs; a CR is not a blank.
//!
//! Own parser, not a crate: the crates that parse this format (`prometheus-parse`,
//! `openmetrics-parser`) build a `String` per name and label per line and a `HashMap` per
//! family on every read; this one keeps spans into the file's text in reused vectors, so a
//! tick over unchanged files allocates nothing, and every error names its line.

mod lexical;

pub use self::lexical::parse_value;

use self::lexical::{
    closing_quote, first_word, is_blank, is_label_name, is_metric_name, span, split_token, unescape,
};
use std::ops::Range;

/// A family's `# TYPE`; `Untyped` also when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Untyped,
}

impl Type {
    fn parse(word: &str) -> Option<Type> {
        match word {
            "counter" => Some(Type::Counter),
            "gauge" => Some(Type::Gauge),
            "histogram" => Some(Type::Histogram),
            "summary" => Some(Type::Summary),
            "untyped" => Some(Type::Untyped),
            _ => None,
        }
    }

    /// The `prometheus.type` metadata value (the OpenTelemetry spec calls untyped `unknown`).
    pub fn name(self) -> &'static str {
        match self {
            Type::Counter => "counter",
            Type::Gauge => "gauge",
            Type::Histogram => "histogram",
            Type::Summary => "summary",
            Type::Untyped => "unknown",
        }
    }
}

/// Text in the file (`File`) or in the unescaped-strings buffer (`Unescaped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    File(u32, u32),
    Unescaped(u32, u32),
}

/// Which line of a family a sample is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suffix {
    None,
    Bucket,
    Sum,
    Count,
}

/// One metric family of the file.
#[derive(Debug, Clone)]
pub struct Family {
    /// Span of the name in the file.
    pub name: Text,
    pub help: Option<Text>,
    pub kind: Type,
    /// Its samples, an index range into `Parsed::samples`.
    pub samples: Range<usize>,
}

/// One sample line.
#[derive(Debug, Clone)]
pub struct Sample {
    pub suffix: Suffix,
    /// Index range into `Parsed::labels`.
    pub labels: Range<usize>,
    pub value: f64,
    /// 1-based line number, for messages.
    pub line: usize,
}

/// One label of a sample.
#[derive(Debug, Clone, Copy)]
pub struct Label {
    pub key: Text,
    pub value: Text,
}

/// Why a file was refused: its line (1-based) and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub reason: String,
}

/// A parsed file, kept between ticks so its vectors are reused.
#[derive(Debug, Default)]
pub struct Parsed {
    pub families: Vec<Family>,
    pub samples: Vec<Sample>,
    pub labels: Vec<Label>,
    /// Label values and HELP texts that had escapes, unescaped.
    pub unescaped: String,
}

impl Parsed {
    /// `text` of a span; `file` is the text that was parsed.
    pub fn text<'a>(&'a self, file: &'a str, span: Text) -> &'a str {
        let (source, start, end) = match span {
            Text::File(start, end) => (file, start, end),
            Text::Unescaped(start, end) => (self.unescaped.as_str(), start, end),
        };
        source.get(start as usize..end as usize).unwrap_or_default()
    }

    /// Parses `file` into `self` (cleared first).
    pub fn parse(&mut self, file: &str) -> Result<(), ParseError> {
        self.families.clear();
        self.samples.clear();
        self.labels.clear();
        self.unescaped.clear();
        if u32::try_from(file.len()).is_err() {
            return Err(ParseError {
                line: 1,
                reason: "larger than 4 GiB".into(),
            });
        }
        let mut offset = 0usize;
        for (index, line) in file.split('\n').enumerate() {
            let start = offset;
            offset += line.len() + 1;
            let result = if line.trim_matches(is_blank).is_empty() {
                Ok(())
            } else if let Some(comment) = line.trim_start_matches(is_blank).strip_prefix('#') {
                let at = start + (line.len() - comment.len());
                self.comment(file, comment, at)
            } else {
                self.sample(file, line, start, index + 1)
            };
            result.map_err(|reason| ParseError {
                line: index + 1,
                reason,
            })?;
        }
        self.close_family();
        Ok(())
    }

    /// `# HELP`, `# TYPE` or another comment; `at` is where `rest` starts in `file`.
    fn comment(&mut self, file: &str, rest: &str, at: usize) -> Result<(), String> {
        let trimmed = rest.trim_start_matches(is_blank);
        let (word, after) = split_token(trimmed);
        if word != "HELP" && word != "TYPE" {
            return Ok(());
        }
        let (name, after_name) = split_token(after.trim_start_matches(is_blank));
        if !is_metric_name(name) {
            return Err(format!(
                "expected a metric name after # {word}, found \"{name}\""
            ));
        }
        let name_at = at + (rest.len() - after.trim_start_matches(is_blank).len());
        let family = self.family_for_metadata(file, name, name_at, word)?;
        if word == "TYPE" {
            let kind_word = after_name.trim_matches(is_blank);
            let kind = Type::parse(kind_word).ok_or_else(|| {
                format!(
                    "expected counter, gauge, histogram, summary or untyped after # TYPE {name}, found \"{kind_word}\""
                )
            })?;
            family.kind = kind;
        } else {
            let text = after_name.strip_prefix(is_blank).unwrap_or(after_name);
            let help_at = at + (rest.len() - text.len());
            let help = unescape(text, help_at, false, &mut self.unescaped)
                .map_err(|e| format!("HELP of {name}: {e}"))?;
            if let Some(family) = self.families.last_mut() {
                family.help = Some(help);
            }
        }
        Ok(())
    }

    /// The open family for a `# HELP` / `# TYPE` line of `name`: the current one if it is
    /// `name` and has neither that line nor samples yet, else a new one.
    fn family_for_metadata(
        &mut self,
        file: &str,
        name: &str,
        name_at: usize,
        word: &str,
    ) -> Result<&mut Family, String> {
        let current = self
            .families
            .last()
            .filter(|f| self.text(file, f.name) == name && f.samples.end == f.samples.start);
        let seen = |f: &Family| match word {
            "TYPE" => f.kind != Type::Untyped,
            _ => f.help.is_some(),
        };
        match current {
            Some(f) if seen(f) => return Err(format!("a second # {word} line for {name}")),
            Some(_) => {}
            None => {
                if self.has_family(file, name) {
                    return Err(format!(
                        "# {word} {name} after its samples, or its lines are not together"
                    ));
                }
                self.close_family();
                self.families.push(Family {
                    name: span(name_at, name.len()),
                    help: None,
                    kind: Type::Untyped,
                    samples: self.samples.len()..self.samples.len(),
                });
            }
        }
        self.families
            .last_mut()
            .ok_or_else(|| "no family".to_string())
    }

    /// One sample line.
    fn sample(
        &mut self,
        file: &str,
        line: &str,
        start: usize,
        number: usize,
    ) -> Result<(), String> {
        let body = line.trim_start_matches(is_blank);
        let body_at = start + (line.len() - body.len());
        let name_len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(body.len());
        let name = &body[..name_len];
        if !is_metric_name(name) {
            return Err(format!(
                "expected a metric name, found \"{}\"",
                first_word(body)
            ));
        }
        let suffix = self.attach(file, name, body_at)?;
        let mut rest = body[name_len..].trim_start_matches(is_blank);
        let labels_start = self.labels.len();
        if let Some(inner) = rest.strip_prefix('{') {
            let inner_at = body_at + (body.len() - inner.len());
            rest = self.labels(file, inner, inner_at)?;
        }
        let labels = labels_start..self.labels.len();
        let (value_text, after) = split_token(rest.trim_start_matches(is_blank));
        let value = parse_value(value_text)
            .ok_or_else(|| format!("expected a value for {name}, found \"{value_text}\""))?;
        let after = after.trim_matches(is_blank);
        if !after.is_empty() {
            return Err(if after.parse::<i64>().is_ok() {
                format!(
                    "{name} has a timestamp ({after}): refused, as node_exporter refuses it; the tick's time is the sample's"
                )
            } else {
                format!("unexpected \"{after}\" after the value of {name}")
            });
        }
        self.samples.push(Sample {
            suffix,
            labels,
            value,
            line: number,
        });
        if let Some(family) = self.families.last_mut() {
            family.samples.end = self.samples.len();
        }
        Ok(())
    }

    /// Puts a sample named `name` into the current family, or starts an untyped one;
    /// returns the sample's suffix.
    fn attach(&mut self, file: &str, name: &str, name_at: usize) -> Result<Suffix, String> {
        if let Some(family) = self.families.last() {
            let base = self.text(file, family.name);
            if let Some(suffix) = suffix_of(name, base, family.kind) {
                return Ok(suffix);
            }
        }
        if self.has_family(file, name) {
            return Err(format!("the lines of {name} are not together"));
        }
        self.close_family();
        self.families.push(Family {
            name: span(name_at, name.len()),
            help: None,
            kind: Type::Untyped,
            samples: self.samples.len()..self.samples.len(),
        });
        Ok(Suffix::None)
    }

    /// The `{…}` label list from just after `{`; returns the text after `}`.
    fn labels<'t>(
        &mut self,
        file: &str,
        mut rest: &'t str,
        mut at: usize,
    ) -> Result<&'t str, String> {
        let first = self.labels.len();
        loop {
            let trimmed = rest.trim_start_matches(is_blank);
            at += rest.len() - trimmed.len();
            rest = trimmed;
            if let Some(after) = rest.strip_prefix('}') {
                return Ok(after);
            }
            let key_len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let key = &rest[..key_len];
            if !is_label_name(key) {
                return Err(format!(
                    "expected a label name, found \"{}\"",
                    first_word(rest)
                ));
            }
            if key.starts_with("__") {
                return Err(format!("label name {key} is reserved (starts with __)"));
            }
            let key_span = span(at, key.len());
            let after_key = rest[key_len..].trim_start_matches(is_blank);
            let Some(after_eq) = after_key.strip_prefix('=') else {
                return Err(format!("expected = after label {key}"));
            };
            let value_part = after_eq.trim_start_matches(is_blank);
            let Some(quoted) = value_part.strip_prefix('"') else {
                return Err(format!("expected a quoted value for label {key}"));
            };
            let quoted_at = at + (rest.len() - quoted.len());
            let end = closing_quote(quoted)
                .ok_or_else(|| format!("the value of label {key} has no closing quote"))?;
            let value = unescape(&quoted[..end], quoted_at, true, &mut self.unescaped)
                .map_err(|e| format!("label {key}: {e}"))?;
            let duplicate = self
                .labels
                .get(first..)
                .unwrap_or_default()
                .iter()
                .any(|l| {
                    let Text::File(s, e) = l.key else {
                        return false;
                    };
                    file.get(s as usize..e as usize) == Some(key)
                });
            if duplicate {
                return Err(format!("label {key} appears twice"));
            }
            self.labels.push(Label {
                key: key_span,
                value,
            });
            let after_value = &quoted[end + 1..];
            let trimmed = after_value.trim_start_matches(is_blank);
            at = quoted_at + end + 1 + (after_value.len() - trimmed.len());
            rest = match trimmed.strip_prefix(',') {
                Some(after_comma) => {
                    at += 1;
                    after_comma
                }
                None if trimmed.starts_with('}') => trimmed,
                None => return Err(format!("expected , or }} after label {key}")),
            };
        }
    }

    /// Ends the current family (nothing to do but keep `samples.end` right).
    fn close_family(&mut self) {
        if let Some(family) = self.families.last_mut() {
            family.samples.end = self.samples.len().max(family.samples.start);
        }
    }

    fn has_family(&self, file: &str, name: &str) -> bool {
        self.families
            .iter()
            .any(|f| self.text(file, f.name) == name)
    }
}

/// How `name` belongs to the family `base` of type `kind`, if it does.
fn suffix_of(name: &str, base: &str, kind: Type) -> Option<Suffix> {
    if name == base {
        return Some(Suffix::None);
    }
    let rest = name.strip_prefix(base)?;
    match (kind, rest) {
        (Type::Histogram, "_bucket") => Some(Suffix::Bucket),
        (Type::Histogram | Type::Summary, "_sum") => Some(Suffix::Sum),
        (Type::Histogram | Type::Summary, "_count") => Some(Suffix::Count),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (suffix, labels "k=v,…", value) of a sample.
    type Line = (Suffix, String, f64);

    /// (family name, type, help, samples) of `text`.
    fn families(text: &str) -> Vec<(String, Type, Option<String>, Vec<Line>)> {
        let mut parsed = Parsed::default();
        parsed.parse(text).unwrap();
        parsed
            .families
            .iter()
            .map(|f| {
                let samples = parsed.samples[f.samples.clone()]
                    .iter()
                    .map(|s| {
                        let labels: Vec<String> = parsed.labels[s.labels.clone()]
                            .iter()
                            .map(|l| {
                                format!(
                                    "{}={}",
                                    parsed.text(text, l.key),
                                    parsed.text(text, l.value)
                                )
                            })
                            .collect();
                        (s.suffix, labels.join(","), s.value)
                    })
                    .collect();
                (
                    parsed.text(text, f.name).to_string(),
                    f.kind,
                    f.help.map(|h| parsed.text(text, h).to_string()),
                    samples,
                )
            })
            .collect()
    }

    fn error(text: &str) -> ParseError {
        Parsed::default().parse(text).unwrap_err()
    }

    #[test]
    fn every_type_with_help_and_labels() {
        // The exposition_formats.md example, shortened.
        let text = "# HELP http_requests_total The total number of HTTP requests.\n\
# TYPE http_requests_total counter\n\
http_requests_total{method=\"post\",code=\"200\"} 1027\n\
http_requests_total{method=\"post\",code=\"400\"}    3\n\
\n\
# A comment.\n\
metric_without_timestamp_and_labels 12.47\n\
# TYPE http_request_duration_seconds histogram\n\
http_request_duration_seconds_bucket{le=\"0.05\"} 24054\n\
http_request_duration_seconds_bucket{le=\"+Inf\"} 144320\n\
http_request_duration_seconds_sum 53423\n\
http_request_duration_seconds_count 144320\n\
# TYPE rpc_duration_seconds summary\n\
rpc_duration_seconds{quantile=\"0.5\"} 4773\n\
rpc_duration_seconds_sum 1.7560473e+07\n\
rpc_duration_seconds_count 2693\n";
        let f = families(text);
        assert_eq!(f.len(), 4);
        assert_eq!(f[0].0, "http_requests_total");
        assert_eq!(f[0].1, Type::Counter);
        assert_eq!(
            f[0].2.as_deref(),
            Some("The total number of HTTP requests.")
        );
        assert_eq!(
            f[0].3,
            [
                (Suffix::None, "method=post,code=200".into(), 1027.0),
                (Suffix::None, "method=post,code=400".into(), 3.0)
            ]
        );
        assert_eq!((f[1].1, f[1].3[0].2), (Type::Untyped, 12.47));
        assert_eq!(f[2].1, Type::Histogram);
        let suffixes: Vec<Suffix> = f[2].3.iter().map(|s| s.0).collect();
        assert_eq!(
            suffixes,
            [Suffix::Bucket, Suffix::Bucket, Suffix::Sum, Suffix::Count]
        );
        assert_eq!(f[3].1, Type::Summary);
        assert_eq!(f[3].3[1].2, 17_560_473.0);
    }

    #[test]
    fn escapes_in_label_values_and_help() {
        let text = "# HELP x A \\\\ backslash,\\nnewline, \\\"quote\\\".\n\
x{path=\"C:\\\\DC\",msg=\"say \\\"hi\\\"\\nbye\",a=\"\"} 1\n";
        let f = families(text);
        assert_eq!(
            f[0].2.as_deref(),
            Some("A \\ backslash,\nnewline, \\\"quote\\\".")
        );
        assert_eq!(f[0].3[0].1, "path=C:\\DC,msg=say \"hi\"\nbye,a=");
    }

    #[test]
    fn blanks_and_a_trailing_comma_are_allowed() {
        let f = families("  x { a = \"1\" , b=\"2\", } \t 3\t\n");
        assert_eq!(f[0].3[0], (Suffix::None, "a=1,b=2".into(), 3.0));
    }

    #[test]
    fn special_values() {
        let f = families("a NaN\nb +Inf\nc -Inf\nd 1e-3\ne -0\n");
        let values: Vec<f64> = f.iter().map(|f| f.3[0].2).collect();
        assert!(values[0].is_nan());
        assert_eq!(
            &values[1..],
            [f64::INFINITY, f64::NEG_INFINITY, 0.001, -0.0]
        );
    }

    #[test]
    fn a_sample_with_a_timestamp_is_refused() {
        let e = error("# TYPE x gauge\nx 1\nx{a=\"b\"} 2 1767225600000\n");
        assert_eq!(e.line, 3);
        assert!(e.reason.contains("timestamp"), "{e:?}");
    }

    #[test]
    fn format_errors_name_their_line() {
        for (text, line, needle) in [
            (
                "# TYPE x counter\n# TYPE x counter\nx 1\n",
                2,
                "second # TYPE",
            ),
            ("# HELP x a\n# HELP x b\n", 2, "second # HELP"),
            ("x 1\n# TYPE x counter\n", 2, "after its samples"),
            ("x 1\ny 2\nx 3\n", 3, "not together"),
            ("# TYPE x bucket\n", 1, "expected counter"),
            ("x{__name__=\"y\"} 1\n", 1, "reserved"),
            ("x{a=\"1\",a=\"2\"} 1\n", 1, "appears twice"),
            ("x{a=\"\\t\"} 1\n", 1, "invalid escape"),
            ("x{a=\"1} 1\n", 1, "no closing quote"),
            ("x{a=1} 1\n", 1, "quoted value"),
            ("x{a=\"1\" b=\"2\"} 1\n", 1, "expected , or }"),
            ("x 1 2 3\n", 1, "unexpected"),
            ("x one\n", 1, "expected a value"),
            ("x\n", 1, "expected a value"),
            ("1x 1\n", 1, "expected a metric name"),
            ("x 1\r\n", 1, "expected a value"),
        ] {
            let e = error(text);
            assert_eq!(e.line, line, "{text:?}: {e:?}");
            assert!(e.reason.contains(needle), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn a_cut_file_is_an_error_or_fewer_samples_never_a_panic() {
        let text = "# HELP b_seconds When.\n# TYPE b_seconds gauge\nb_seconds{job=\"x\",p=\"a\\\\b\"} 1.7e9\n\
# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 3\nh_sum 4.5\nh_count 3\n";
        crate::collect::garbage::for_each_variant(text, |cut| {
            let mut parsed = Parsed::default();
            if parsed.parse(cut).is_ok() {
                for label in &parsed.labels {
                    let _ = parsed.text(cut, label.value);
                }
            }
        });
    }
}
