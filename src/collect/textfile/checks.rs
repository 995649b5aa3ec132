//! Whether a file's series may be used this tick, given the files before it.
//!
//! Reads: the parsed and assembled file, and the series state kept between ticks. Emits: the
//! file's claim on its series (each series comes from one file per tick), or why the file is
//! refused: a TYPE or HELP other than an earlier file's for the same family, a series that
//! appears twice, or more series than `--textfile-max-series` leaves. A refused file's claims
//! are undone, so nothing of it stays.

use super::files::FileFailure;
use super::{SeriesState, Textfile};
use crate::schedule::Tick;

impl Textfile {
    /// Parses and checks the file in `text` against this tick's earlier files; claims its
    /// series. On `Err` nothing of the file is kept.
    pub(super) fn check(&mut self, file: usize, tick: &Tick) -> Result<(), FileFailure> {
        self.parsed.parse(&self.text).map_err(FileFailure::Parse)?;
        self.assembled
            .assemble(&self.parsed, &self.text)
            .map_err(FileFailure::Parse)?;
        let count = self.assembled.series.len();
        if self.series_this_tick + count > self.options.max_series {
            return Err(FileFailure::OverSeriesCap(self.options.max_series));
        }
        for family in &self.parsed.families {
            let name = self.parsed.text(&self.text, family.name);
            let help = family.help.map_or("", |h| self.parsed.text(&self.text, h));
            let Some(slot) = self.families[..self.families_used]
                .iter()
                .find(|f| f.name == name)
            else {
                continue;
            };
            if slot.kind != Some(family.kind) || slot.help != help {
                let line = family
                    .samples
                    .clone()
                    .next()
                    .and_then(|s| self.parsed.samples.get(s))
                    .map_or(1, |s| s.line);
                return Err(FileFailure::Conflict(
                    line,
                    format!("{name} has another TYPE or HELP in an earlier file"),
                ));
            }
        }
        for index in 0..count {
            self.series_key(index);
            let line = self.assembled.series.get(index).map_or(1, |s| s.line);
            match self.series.get_mut(self.key.as_str()) {
                Some(state) if state.tick == tick.cycle => {
                    let why = if state.file == file {
                        "a series appears twice".to_string()
                    } else {
                        "a series an earlier file already gave".to_string()
                    };
                    self.release(file, index, tick);
                    return Err(FileFailure::Conflict(line, why));
                }
                Some(state) => {
                    state.previous_tick = state.tick;
                    state.tick = tick.cycle;
                    state.file = file;
                }
                None => {
                    self.series.insert(
                        self.key.clone(),
                        SeriesState {
                            start: 0,
                            last: 0.0,
                            tick: tick.cycle,
                            file,
                            previous_tick: 0,
                        },
                    );
                }
            }
        }
        self.series_this_tick += count;
        Ok(())
    }

    /// Undoes the claims of series `..upto` of a refused file.
    fn release(&mut self, file: usize, upto: usize, tick: &Tick) {
        for index in 0..upto {
            self.series_key(index);
            if let Some(state) = self.series.get_mut(self.key.as_str()) {
                if state.tick == tick.cycle && state.file == file {
                    state.tick = state.previous_tick;
                }
            }
        }
    }

    /// The identity of series `index` into `key`: family name and labels sorted by key,
    /// each value length-prefixed (values may hold any character).
    pub(super) fn series_key(&mut self, index: usize) {
        use std::fmt::Write;
        self.key.clear();
        let Some(series) = self.assembled.series.get(index) else {
            return;
        };
        let parsed = &self.parsed;
        let text = self.text.as_str();
        if let Some(family) = parsed.families.get(series.family) {
            self.key.push_str(parsed.text(text, family.name));
        }
        let labels = self
            .assembled
            .labels
            .get(series.labels.clone())
            .unwrap_or_default();
        // Few labels: find the next key in order each time (no sort buffer to keep).
        let mut previous: Option<&str> = None;
        for _ in 0..labels.len() {
            let next = labels
                .iter()
                .filter_map(|&l| parsed.labels.get(l))
                .map(|l| (parsed.text(text, l.key), parsed.text(text, l.value)))
                .filter(|(k, _)| previous.is_none_or(|p| *k > p))
                .min_by(|a, b| a.0.cmp(b.0));
            let Some((key, value)) = next else {
                break;
            };
            let _ = write!(self.key, "\u{0}{key}={}:{value}", value.len());
            previous = Some(key);
        }
    }
}
