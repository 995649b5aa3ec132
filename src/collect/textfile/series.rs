//! From a parsed file's samples to the series the collector emits, checked.
//!
//! Reads: `Parsed` families and samples (`parse`). Emits: one series per counter, gauge and
//! untyped sample; one per histogram or summary label set, its `_bucket`, `_sum` and
//! `_count` lines merged as the OpenTelemetry specification's Prometheus compatibility rules
//! say ("Prometheus Metric points to OTLP", Histograms and Summaries): `le` gives the bounds
//! (every value but `+Inf`), cumulative bucket counts become per-bucket counts, a series
//! without `_count` is dropped, a histogram without `_sum` has none, a summary without
//! `_sum` has 0; `quantile` gives the summary's quantiles. A file whose histogram or summary
//! lines contradict each other (counts that go down, a `+Inf` bucket other than `_count`, a
//! bucket without `le`, a fractional count) is refused whole, like a syntax error.

use super::parse::{Label, ParseError, Parsed, Suffix, Text, Type, parse_value};
use std::ops::Range;

/// What one series carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    Histogram {
        count: u64,
        sum: Option<f64>,
        /// Index range into `Assembled::bounds`; the counts range is one longer.
        bounds: Range<usize>,
        counts: Range<usize>,
    },
    Summary {
        count: u64,
        sum: f64,
        /// Index range into `Assembled::quantiles`.
        quantiles: Range<usize>,
    },
}

/// One series of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Index into `Parsed::families`.
    pub family: usize,
    /// Its identity labels (`le` and `quantile` left out), in file order: an index range into
    /// `Assembled::labels`.
    pub labels: Range<usize>,
    pub value: Value,
    /// First line of the series, for messages.
    pub line: usize,
}

/// The series of one file, kept between ticks so the vectors are reused.
#[derive(Debug, Default)]
pub struct Assembled {
    pub series: Vec<Series>,
    /// Label indices into `Parsed::labels`.
    pub labels: Vec<usize>,
    pub bounds: Vec<f64>,
    pub counts: Vec<u64>,
    pub quantiles: Vec<(f64, f64)>,
    /// The histogram or summary series of the family being assembled.
    groups: Vec<Group>,
    /// The group of each of that family's lines.
    group_of: Vec<usize>,
    /// One series' (le or quantile, value) pairs.
    points: Vec<(f64, f64)>,
}

/// A histogram or summary series being gathered.
#[derive(Debug, Clone, Copy)]
struct Group {
    /// A line of the series, whose identity labels stand for it.
    sample: usize,
    count: Option<f64>,
    sum: Option<f64>,
}

impl Assembled {
    /// The series of `parsed` (the text of `file`), or the first contradiction.
    pub fn assemble(&mut self, parsed: &Parsed, file: &str) -> Result<(), ParseError> {
        self.series.clear();
        self.labels.clear();
        self.bounds.clear();
        self.counts.clear();
        self.quantiles.clear();
        for (index, family) in parsed.families.iter().enumerate() {
            match family.kind {
                Type::Histogram | Type::Summary => {
                    self.distributions(parsed, file, index)?;
                }
                Type::Counter | Type::Gauge | Type::Untyped => {
                    for sample in family.samples.clone() {
                        let Some(s) = parsed.samples.get(sample) else {
                            continue;
                        };
                        let labels = self.identity(parsed, file, sample, "");
                        self.series.push(Series {
                            family: index,
                            labels,
                            value: Value::Number(s.value),
                            line: s.line,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The histogram or summary series of family `index`.
    fn distributions(
        &mut self,
        parsed: &Parsed,
        file: &str,
        index: usize,
    ) -> Result<(), ParseError> {
        let Some(family) = parsed.families.get(index) else {
            return Ok(());
        };
        let histogram = family.kind == Type::Histogram;
        let special = if histogram { "le" } else { "quantile" };
        let name = parsed.text(file, family.name);
        // Pass 1: which series each line belongs to. A series' lines are usually next to
        // each other, so the latest series is tried first.
        self.groups.clear();
        self.group_of.clear();
        for sample in family.samples.clone() {
            let Some(s) = parsed.samples.get(sample) else {
                continue;
            };
            let error = |reason: String| ParseError {
                line: s.line,
                reason,
            };
            if histogram && s.suffix == Suffix::None {
                return Err(error(format!(
                    "{name} is a histogram: its lines are {name}_bucket, _sum and _count"
                )));
            }
            let group = match self
                .groups
                .iter()
                .rposition(|g| same_series(parsed, file, g.sample, sample, special))
            {
                Some(found) => found,
                None => {
                    self.groups.push(Group {
                        sample,
                        count: None,
                        sum: None,
                    });
                    self.groups.len() - 1
                }
            };
            self.group_of.push(group);
            let Some(g) = self.groups.get_mut(group) else {
                continue;
            };
            let slot = match s.suffix {
                Suffix::Count => &mut g.count,
                Suffix::Sum => &mut g.sum,
                Suffix::Bucket | Suffix::None => continue,
            };
            if slot.replace(s.value).is_some() {
                let which = if s.suffix == Suffix::Count {
                    "_count"
                } else {
                    "_sum"
                };
                return Err(error(format!("{name}{which} appears twice for one series")));
            }
        }
        // Pass 2: each series' buckets or quantiles, checked and converted.
        for group in 0..self.groups.len() {
            let Some(&Group { sample, count, sum }) = self.groups.get(group) else {
                continue;
            };
            let line = parsed.samples.get(sample).map_or(0, |s| s.line);
            let error = |reason: String| ParseError { line, reason };
            // The spec: a series without _count is dropped (not an error of the file).
            let Some(count) = count else {
                continue;
            };
            let count = whole(count)
                .ok_or_else(|| error(format!("{name}_count {count} is not a whole number")))?;
            self.points.clear();
            for (k, member) in family.samples.clone().enumerate() {
                let Some(s) = parsed.samples.get(member) else {
                    continue;
                };
                if self.group_of.get(k) != Some(&group)
                    || matches!(s.suffix, Suffix::Sum | Suffix::Count)
                {
                    continue;
                }
                let bound = label(parsed, file, member, special)
                    .and_then(parse_value)
                    .filter(|b| !b.is_nan())
                    .ok_or_else(|| ParseError {
                        line: s.line,
                        reason: format!("{name}: expected a numeric {special} label"),
                    })?;
                if !histogram && !(0.0..=1.0).contains(&bound) {
                    return Err(ParseError {
                        line: s.line,
                        reason: format!("{name}: quantile {bound} is not in 0..1"),
                    });
                }
                self.points.push((bound, s.value));
            }
            self.points.sort_by(|a, b| a.0.total_cmp(&b.0));
            if self.points.windows(2).any(|w| w[0].0 == w[1].0) {
                return Err(error(format!("{name}: a {special} value appears twice")));
            }
            let labels = self.identity(parsed, file, sample, special);
            let value = if histogram {
                self.histogram(name, count, sum).map_err(error)?
            } else {
                let start = self.quantiles.len();
                self.quantiles.extend_from_slice(&self.points);
                Value::Summary {
                    count,
                    sum: sum.unwrap_or(0.0),
                    quantiles: start..self.quantiles.len(),
                }
            };
            self.series.push(Series {
                family: index,
                labels,
                value,
                line,
            });
        }
        Ok(())
    }

    /// Per-bucket counts of one histogram series from its sorted cumulative `le` points.
    fn histogram(&mut self, name: &str, count: u64, sum: Option<f64>) -> Result<Value, String> {
        let bounds_start = self.bounds.len();
        let counts_start = self.counts.len();
        let mut below = 0u64;
        for &(le, cumulative) in &self.points {
            let cumulative = whole(cumulative).ok_or_else(|| {
                format!("{name}_bucket{{le=\"{le}\"}} {cumulative} is not a whole number")
            })?;
            if cumulative < below {
                return Err(format!(
                    "{name}_bucket counts go down at le=\"{le}\" ({cumulative} < {below})"
                ));
            }
            if le == f64::INFINITY {
                if cumulative != count {
                    return Err(format!(
                        "{name}_bucket{{le=\"+Inf\"}} is {cumulative}, _count is {count}"
                    ));
                }
                continue;
            }
            self.bounds.push(le);
            self.counts.push(cumulative - below);
            below = cumulative;
        }
        if count < below {
            return Err(format!(
                "{name}_count {count} is below its buckets' {below}"
            ));
        }
        self.counts.push(count - below);
        Ok(Value::Histogram {
            count,
            sum,
            bounds: bounds_start..self.bounds.len(),
            counts: counts_start..self.counts.len(),
        })
    }

    /// Pushes the labels of `sample` but `special` into `labels`; returns their range.
    fn identity(
        &mut self,
        parsed: &Parsed,
        file: &str,
        sample: usize,
        special: &str,
    ) -> Range<usize> {
        let start = self.labels.len();
        if let Some(s) = parsed.samples.get(sample) {
            for index in s.labels.clone() {
                let is_special = parsed
                    .labels
                    .get(index)
                    .is_some_and(|l| parsed.text(file, l.key) == special);
                if !is_special {
                    self.labels.push(index);
                }
            }
        }
        start..self.labels.len()
    }
}

/// A count: finite, not negative, whole, at most 2^53 (exact in an f64).
fn whole(value: f64) -> Option<u64> {
    (value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= 9_007_199_254_740_992.0)
        .then_some(value as u64)
}

/// The value of label `key` of `sample`.
fn label<'a>(parsed: &'a Parsed, file: &'a str, sample: usize, key: &str) -> Option<&'a str> {
    let s = parsed.samples.get(sample)?;
    parsed
        .labels
        .get(s.labels.clone())?
        .iter()
        .find(|l| parsed.text(file, l.key) == key)
        .map(|l| parsed.text(file, l.value))
}

/// Whether samples `a` and `b` have the same labels, `special` aside, in any order.
fn same_series(parsed: &Parsed, file: &str, a: usize, b: usize, special: &str) -> bool {
    let (Some(sa), Some(sb)) = (parsed.samples.get(a), parsed.samples.get(b)) else {
        return false;
    };
    let of = |range: Range<usize>| -> &[Label] { parsed.labels.get(range).unwrap_or_default() };
    let (la, lb) = (of(sa.labels.clone()), of(sb.labels.clone()));
    let text = |t: Text| parsed.text(file, t);
    let own = |l: &&Label| text(l.key) != special;
    la.iter().filter(own).count() == lb.iter().filter(own).count()
        && la.iter().filter(own).all(|x| {
            lb.iter()
                .any(|y| text(y.key) == text(x.key) && text(y.value) == text(x.value))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assemble(text: &str) -> Result<(Parsed, Assembled), ParseError> {
        let mut parsed = Parsed::default();
        parsed.parse(text)?;
        let mut assembled = Assembled::default();
        assembled.assemble(&parsed, text)?;
        Ok((parsed, assembled))
    }

    fn labels(p: &Parsed, a: &Assembled, text: &str, s: &Series) -> String {
        a.labels[s.labels.clone()]
            .iter()
            .map(|&l| {
                let l = &p.labels[l];
                format!("{}={}", p.text(text, l.key), p.text(text, l.value))
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn cumulative_buckets_become_per_bucket_counts() {
        // exposition_formats.md's histogram: 24054 ≤ 0.05, 33444 ≤ 0.1, … 144320 in all.
        let text = "# TYPE d histogram\n\
d_bucket{le=\"0.05\"} 24054\nd_bucket{le=\"0.1\"} 33444\nd_bucket{le=\"0.2\"} 100392\n\
d_bucket{le=\"0.5\"} 129389\nd_bucket{le=\"1\"} 133988\nd_bucket{le=\"+Inf\"} 144320\n\
d_sum 53423\nd_count 144320\n";
        let (_, a) = assemble(text).unwrap();
        assert_eq!(a.series.len(), 1);
        let Value::Histogram {
            count,
            sum,
            bounds,
            counts,
        } = a.series[0].value.clone()
        else {
            panic!("{:?}", a.series[0]);
        };
        assert_eq!((count, sum), (144_320, Some(53423.0)));
        assert_eq!(a.bounds[bounds], [0.05, 0.1, 0.2, 0.5, 1.0]);
        // 24054, 33444−24054, 100392−33444, 129389−100392, 133988−129389, 144320−133988
        assert_eq!(a.counts[counts], [24054, 9390, 66948, 28997, 4599, 10332]);
    }

    #[test]
    fn histogram_series_split_by_labels_and_interleaved_lines_merge() {
        let text = "# TYPE d histogram\n\
d_bucket{job=\"a\",le=\"1\"} 1\nd_bucket{le=\"1\",job=\"b\"} 5\n\
d_bucket{job=\"a\",le=\"+Inf\"} 2\nd_count{job=\"a\"} 2\nd_sum{job=\"a\"} 1.5\n\
d_bucket{job=\"b\",le=\"+Inf\"} 5\nd_count{job=\"b\"} 5\n";
        let (p, a) = assemble(text).unwrap();
        assert_eq!(a.series.len(), 2);
        assert_eq!(labels(&p, &a, text, &a.series[0]), "job=a");
        assert_eq!(labels(&p, &a, text, &a.series[1]), "job=b");
        match &a.series[1].value {
            Value::Histogram {
                count, sum, counts, ..
            } => {
                assert_eq!((*count, *sum), (5, None), "no _sum: unset");
                assert_eq!(a.counts[counts.clone()], [5, 0]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_series_without_count_is_dropped_not_the_file() {
        let text = "# TYPE d histogram\nd_bucket{le=\"1\"} 1\nd_sum 3\nx 1\n";
        let (_, a) = assemble(text).unwrap();
        assert_eq!(a.series.len(), 1, "only x: {:?}", a.series);
    }

    #[test]
    fn contradicting_histograms_refuse_the_file() {
        for (text, needle) in [
            (
                "# TYPE d histogram\nd_bucket{le=\"1\"} 5\nd_bucket{le=\"2\"} 3\nd_count 5\n",
                "go down",
            ),
            (
                "# TYPE d histogram\nd_bucket{le=\"+Inf\"} 4\nd_count 5\n",
                "+Inf",
            ),
            ("# TYPE d histogram\nd_bucket 4\nd_count 5\n", "numeric le"),
            (
                "# TYPE d histogram\nd_bucket{le=\"1\"} 0.5\nd_count 1\n",
                "whole number",
            ),
            ("# TYPE d histogram\nd_count 1.5\n", "whole number"),
            ("# TYPE d histogram\nd 1\n", "its lines are"),
            (
                "# TYPE d histogram\nd_count 1\nd_count 2\n",
                "_count appears twice",
            ),
            (
                "# TYPE d histogram\nd_bucket{le=\"1\"} 1\nd_bucket{le=\"1.0\"} 1\nd_count 1\n",
                "appears twice",
            ),
            (
                "# TYPE s summary\ns{quantile=\"1.5\"} 1\ns_count 1\n",
                "not in 0..1",
            ),
            ("# TYPE s summary\ns 1\ns_count 1\n", "numeric quantile"),
        ] {
            let e = assemble(text).unwrap_err();
            assert!(e.reason.contains(needle), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn summaries_keep_sorted_quantiles_and_sum_zero_without_sum() {
        let text = "# TYPE s summary\ns{quantile=\"0.9\",op=\"r\"} 9\ns{op=\"r\",quantile=\"0.5\"} 2\n\
s_count{op=\"r\"} 10\n";
        let (p, a) = assemble(text).unwrap();
        assert_eq!(labels(&p, &a, text, &a.series[0]), "op=r");
        match &a.series[0].value {
            Value::Summary {
                count,
                sum,
                quantiles,
            } => {
                assert_eq!((*count, *sum), (10, 0.0));
                assert_eq!(a.quantiles[quantiles.clone()], [(0.5, 2.0), (0.9, 9.0)]);
            }
            other => panic!("{other:?}"),
        }
    }
}
