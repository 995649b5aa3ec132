//! Histogram and summary points: the two shapes only Prometheus text files bring.
//!
//! Reads: a family opened with `Builder::open_histogram` or `open_summary`, and per series
//! its count, sum and buckets (explicit bounds with per-bucket counts) or quantiles.
//! Emits: `HistogramDataPoint`s and `SummaryDataPoint`s into the builder's reused slots
//! (cumulative, as Prometheus keeps them), with the attributes given.

use super::{Builder, Named, Shape, set_string_attributes, slot};
use crate::otlp::{HistogramDataPoint, SummaryDataPoint, metric, summary_data_point};

/// An open histogram of this tick (see `Open`).
#[derive(Debug, Clone, Copy)]
pub struct OpenHistogram {
    slot: Option<(usize, usize, usize)>,
}

/// An open summary of this tick (see `Open`).
#[derive(Debug, Clone, Copy)]
pub struct OpenSummary {
    slot: Option<(usize, usize, usize)>,
}

/// One histogram series' values: `counts` has one more element than `bounds` (the last
/// bucket is everything above the last bound); counts are per bucket, not cumulative.
#[derive(Debug, Clone, Copy)]
pub struct HistogramValues<'v> {
    pub count: u64,
    /// `None` when the file had no `_sum` line (the spec leaves it unset then).
    pub sum: Option<f64>,
    pub bounds: &'v [f64],
    pub counts: &'v [u64],
}

impl Builder {
    /// Opens a cumulative histogram with explicit bounds (always on).
    pub fn open_histogram(&mut self, named: &Named<'_>) -> OpenHistogram {
        OpenHistogram {
            slot: self.open_slot(named, Shape::Histogram),
        }
    }

    /// Opens a summary (always on).
    pub fn open_summary(&mut self, named: &Named<'_>) -> OpenSummary {
        OpenSummary {
            slot: self.open_slot(named, Shape::Summary),
        }
    }

    /// One histogram point whose series started at `start_unix_nano`.
    pub fn histogram_point<'a>(
        &mut self,
        histogram: OpenHistogram,
        start_unix_nano: u64,
        attributes: impl IntoIterator<Item = (&'a str, &'a str)>,
        values: HistogramValues<'_>,
    ) {
        let now = self.now_unix_nano;
        let Some(point) = self.next_point(histogram.slot, |data| match data {
            Some(metric::Data::Histogram(h)) => Some(&mut h.data_points),
            _ => None,
        }) else {
            return;
        };
        let point: &mut HistogramDataPoint = point;
        point.start_time_unix_nano = start_unix_nano;
        point.time_unix_nano = now;
        point.count = values.count;
        point.sum = values.sum;
        point.bucket_counts.clear();
        point.bucket_counts.extend_from_slice(values.counts);
        point.explicit_bounds.clear();
        point.explicit_bounds.extend_from_slice(values.bounds);
        point.flags = 0;
        point.min = None;
        point.max = None;
        set_string_attributes(&mut point.attributes, attributes);
    }

    /// One summary point whose series started at `start_unix_nano`; `quantiles` are
    /// (quantile, value) pairs in increasing quantile order.
    pub fn summary_point<'a>(
        &mut self,
        summary: OpenSummary,
        start_unix_nano: u64,
        attributes: impl IntoIterator<Item = (&'a str, &'a str)>,
        (count, sum): (u64, f64),
        quantiles: impl IntoIterator<Item = (f64, f64)>,
    ) {
        let now = self.now_unix_nano;
        let Some(point) = self.next_point(summary.slot, |data| match data {
            Some(metric::Data::Summary(s)) => Some(&mut s.data_points),
            _ => None,
        }) else {
            return;
        };
        let point: &mut SummaryDataPoint = point;
        point.start_time_unix_nano = start_unix_nano;
        point.time_unix_nano = now;
        point.count = count;
        point.sum = sum;
        let mut used = 0;
        for (quantile, value) in quantiles {
            *slot(&mut point.quantile_values, used) =
                summary_data_point::ValueAtQuantile { quantile, value };
            used += 1;
        }
        point.quantile_values.truncate(used);
        point.flags = 0;
        set_string_attributes(&mut point.attributes, attributes);
    }

    /// The next point slot of the metric at `at`, counted; `None` when the metric is closed
    /// or not of the shape `points` picks.
    fn next_point<T: Default>(
        &mut self,
        at: Option<(usize, usize, usize)>,
        points: impl FnOnce(&mut Option<metric::Data>) -> Option<&mut Vec<T>>,
    ) -> Option<&mut T> {
        let (r, s, m) = at?;
        let scope = self.resources.get_mut(r)?.scopes.get_mut(s)?;
        let len = scope.lens.get_mut(m)?;
        let list = points(&mut scope.metrics.get_mut(m)?.data)?;
        let index = *len;
        *len += 1;
        self.points += 1;
        Some(slot(list, index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::Builder;

    #[test]
    fn histograms_and_summaries_take_points_and_reuse_them() {
        let mut b = Builder::new(&[]);
        for tick in 1..=2 {
            b.begin(tick, 0);
            b.scope("textfile", "1");
            let named = Named {
                name: "job_duration_seconds",
                description: "How long the job ran.",
                unit: "",
                prometheus_type: "histogram",
            };
            let h = b.open_histogram(&named);
            b.histogram_point(
                h,
                7,
                [("job", "backup")],
                HistogramValues {
                    count: 5,
                    sum: Some(12.5),
                    bounds: &[1.0, 10.0],
                    counts: &[1, 3, 1],
                },
            );
            let s = b.open_summary(&Named {
                prometheus_type: "summary",
                ..named
            });
            b.summary_point(s, 7, [], (5, 12.5), [(0.5, 2.0), (0.9, 9.0)]);
            b.finish();
            assert_eq!(b.point_count(), 2);
            let scope = &b.resources()[0].scopes()[0];
            assert_eq!(scope.scope().name, "textfile");
            match &scope.metrics()[0].data {
                Some(metric::Data::Histogram(h)) => {
                    let p = &h.data_points[0];
                    assert_eq!((p.count, p.sum), (5, Some(12.5)));
                    assert_eq!(p.bucket_counts, [1, 3, 1]);
                    assert_eq!(p.explicit_bounds, [1.0, 10.0]);
                    assert_eq!((p.start_time_unix_nano, p.time_unix_nano), (7, tick));
                    assert_eq!(p.attributes[0].key, "job");
                }
                other => panic!("a histogram, got {other:?}"),
            }
            assert_eq!(scope.metrics()[0].metadata[0].key, "prometheus.type");
            match &scope.metrics()[1].data {
                Some(metric::Data::Summary(s)) => {
                    assert_eq!(s.data_points[0].quantile_values.len(), 2);
                    assert_eq!(s.data_points[0].quantile_values[1].value, 9.0);
                }
                other => panic!("a summary, got {other:?}"),
            }
        }
    }
}
