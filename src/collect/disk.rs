//! Skeleton of the `disk` collector (issue 4 work in progress on a branch; never released).

use super::{Collect, CollectError};
use crate::config::DiskOptions;
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::source::Source;

/// The `disk` collector.
#[derive(Debug)]
pub struct Disk;

impl Disk {
    pub fn new(src: &Source, options: &DiskOptions) -> Self {
        let _ = (src, options);
        Disk
    }
}

impl Collect for Disk {
    fn name(&self) -> &'static str {
        "disk"
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
