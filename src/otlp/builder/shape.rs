//! What a metric slot holds: the value type of its points (`PointValue`), the OTLP shape of
//! its data (`Shape`), and the description of a metric named at run time (`Named`).
//!
//! Reads: nothing. Emits: the types `Builder` opens metrics with; `Shape::apply` turns a
//! reused slot into the shape asked for, keeping its points' memory when it already is.

use crate::otlp::{
    AggregationTemporality, Gauge, Histogram, Sum, Summary, metric, number_data_point,
};
use crate::semconv;

/// `i64` → `asInt`, `f64` → `asDouble` (spec/metrics.md §1.1: one type per metric).
pub trait PointValue: Copy + semconv::Value + sealed::Sealed + 'static {
    #[doc(hidden)]
    fn to_value(self) -> number_data_point::Value;
}

impl PointValue for i64 {
    fn to_value(self) -> number_data_point::Value {
        number_data_point::Value::AsInt(self)
    }
}

impl PointValue for f64 {
    fn to_value(self) -> number_data_point::Value {
        number_data_point::Value::AsDouble(self)
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for i64 {}
    impl Sealed for f64 {}
}

/// The metadata key of a metric read from a Prometheus text file (OpenTelemetry's
/// Prometheus compatibility spec, "Metric Metadata").
pub(super) const PROMETHEUS_TYPE: &str = "prometheus.type";

/// A metric known only at run time: what a Prometheus text file says of a family.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub unit: &'a str,
    /// The family's `# TYPE` (`counter`, `unknown`, …) for `Metric.metadata`; empty: none.
    pub prometheus_type: &'a str,
}

/// The OTLP shape of a metric slot.
#[derive(Debug, Clone, Copy)]
pub(super) enum Shape {
    Gauge,
    Sum { monotonic: bool },
    Histogram,
    Summary,
}

impl Shape {
    /// Makes `data` this shape, keeping its points' memory when it already is.
    pub(super) fn apply(self, data: &mut Option<metric::Data>) {
        let cumulative = AggregationTemporality::Cumulative as i32;
        match (data.as_mut(), self) {
            (Some(metric::Data::Gauge(_)), Shape::Gauge)
            | (Some(metric::Data::Histogram(_)), Shape::Histogram)
            | (Some(metric::Data::Summary(_)), Shape::Summary) => {}
            (Some(metric::Data::Sum(sum)), Shape::Sum { monotonic }) => {
                sum.is_monotonic = monotonic;
                sum.aggregation_temporality = cumulative;
            }
            (_, Shape::Gauge) => *data = Some(metric::Data::Gauge(Gauge::default())),
            (_, Shape::Sum { monotonic }) => {
                *data = Some(metric::Data::Sum(Sum {
                    data_points: Vec::new(),
                    aggregation_temporality: cumulative,
                    is_monotonic: monotonic,
                }))
            }
            (_, Shape::Histogram) => {
                *data = Some(metric::Data::Histogram(Histogram {
                    data_points: Vec::new(),
                    aggregation_temporality: cumulative,
                }))
            }
            (_, Shape::Summary) => *data = Some(metric::Data::Summary(Summary::default())),
        }
    }
}
