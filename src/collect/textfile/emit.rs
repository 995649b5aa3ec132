//! A checked file's series into the builder, with their start times.
//!
//! Reads: the assembled series of the file, the families opened by earlier files this tick,
//! and each series' state. Emits: points in the `textfile` scope: one metric per family (an
//! earlier file's, when it had the family), numbers, histograms and summaries; counters,
//! histograms and summaries start when first seen and restart at the previous tick after a
//! decrease; gauges start at boot.

use super::parse::{Text, Type};
use super::series::Value;
use super::{FamilySlot, Handle, SCOPE, Textfile, set};
use crate::otlp::{Builder, HistogramValues, Named};
use crate::schedule::Tick;

impl Textfile {
    /// Emits the checked file in `text`.
    pub(super) fn emit(&mut self, tick: &Tick, out: &mut Builder) {
        out.scope(SCOPE, env!("CARGO_PKG_VERSION"));
        for index in 0..self.assembled.series.len() {
            let Some(series) = self.assembled.series.get(index).cloned() else {
                continue;
            };
            let handle = self.family_handle(series.family, out);
            self.series_key(index);
            let last = match &series.value {
                Value::Number(v) => *v,
                Value::Histogram { count, .. } | Value::Summary { count, .. } => *count as f64,
            };
            let counted = !matches!(handle, Handle::Number(_))
                || self
                    .parsed
                    .families
                    .get(series.family)
                    .is_some_and(|f| f.kind == Type::Counter);
            let start = match self.series.get_mut(self.key.as_str()) {
                Some(state) if counted => {
                    if state.start == 0 {
                        state.start = tick.now_unix_nano;
                    } else if last < state.last {
                        state.start = tick.previous_unix_nano;
                    }
                    state.last = last;
                    state.start
                }
                _ => tick.boot_unix_nano,
            };
            let (parsed, text, assembled) = (&self.parsed, self.text.as_str(), &self.assembled);
            let attributes = assembled
                .labels
                .get(series.labels.clone())
                .unwrap_or_default()
                .iter()
                .filter_map(|&l| parsed.labels.get(l))
                .map(|l| (parsed.text(text, l.key), parsed.text(text, l.value)));
            match (handle, &series.value) {
                (Handle::Number(open), Value::Number(v)) => {
                    out.point_with(open, start, attributes, *v);
                }
                (
                    Handle::Histogram(open),
                    Value::Histogram {
                        count,
                        sum,
                        bounds,
                        counts,
                    },
                ) => {
                    let values = HistogramValues {
                        count: *count,
                        sum: *sum,
                        bounds: assembled.bounds.get(bounds.clone()).unwrap_or_default(),
                        counts: assembled.counts.get(counts.clone()).unwrap_or_default(),
                    };
                    out.histogram_point(open, start, attributes, values);
                }
                (
                    Handle::Summary(open),
                    Value::Summary {
                        count,
                        sum,
                        quantiles,
                    },
                ) => {
                    let quantiles = assembled
                        .quantiles
                        .get(quantiles.clone())
                        .unwrap_or_default()
                        .iter()
                        .copied();
                    out.summary_point(open, start, attributes, (*count, *sum), quantiles);
                }
                _ => {}
            }
        }
    }

    /// The metric of family `index` of the current file: opened by an earlier file this
    /// tick, or now.
    fn family_handle(&mut self, index: usize, out: &mut Builder) -> Handle {
        let Some(family) = self.parsed.families.get(index) else {
            return Handle::None;
        };
        let name = self.parsed.text(&self.text, family.name);
        if let Some(slot) = self.families[..self.families_used]
            .iter()
            .find(|f| f.name == name)
        {
            return slot.handle;
        }
        let help = family
            .help
            .map_or("", |h: Text| self.parsed.text(&self.text, h));
        let named = Named {
            name,
            description: help,
            unit: "",
            prometheus_type: family.kind.name(),
        };
        let handle = match family.kind {
            Type::Counter => Handle::Number(out.open_named(&named, true)),
            Type::Gauge | Type::Untyped => Handle::Number(out.open_named(&named, false)),
            Type::Histogram => Handle::Histogram(out.open_histogram(&named)),
            Type::Summary => Handle::Summary(out.open_summary(&named)),
        };
        if self.families.len() <= self.families_used {
            self.families.push(FamilySlot::default());
        }
        if let Some(slot) = self.families.get_mut(self.families_used) {
            set(&mut slot.name, name);
            set(&mut slot.help, help);
            slot.kind = Some(family.kind);
            slot.handle = handle;
            self.families_used += 1;
        }
        handle
    }
}
