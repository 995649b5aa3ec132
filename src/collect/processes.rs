//! Skeleton of the `processes` collector (issue 4 work in progress on a branch; never released).

use super::{Collect, CollectError};

use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::source::Source;

/// The `processes` collector.
#[derive(Debug)]
pub struct Processes;

impl Processes {
    pub fn new(src: &Source) -> Self {
        let _ = src;
        Processes
    }
}

impl Collect for Processes {
    fn name(&self) -> &'static str {
        "processes"
    }

    fn collect(
        &mut self,
        _src: &Source,
        _tick: &Tick,
        _out: &mut Builder,
    ) -> Result<(), CollectError> {
        Ok(())
    }
}
