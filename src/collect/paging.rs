//! Skeleton of the `paging` collector (issue 4 work in progress on a branch; never released).

use super::{Collect, CollectError};
use crate::config::PagingOptions;
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::source::Source;

/// The `paging` collector.
#[derive(Debug)]
pub struct Paging;

impl Paging {
    pub fn new(src: &Source, options: &PagingOptions) -> Self {
        let _ = (src, options);
        Paging
    }
}

impl Collect for Paging {
    fn name(&self) -> &'static str {
        "paging"
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
