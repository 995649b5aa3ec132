//! Skeleton of the `network` collector (issue 4 work in progress on a branch; never released).

use super::{Collect, CollectError};
use crate::config::NetworkOptions;
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::source::Source;

/// The `network` collector.
#[derive(Debug)]
pub struct Network;

impl Network {
    pub fn new(src: &Source, options: &NetworkOptions) -> Self {
        let _ = (src, options);
        Network
    }
}

impl Collect for Network {
    fn name(&self) -> &'static str {
        "network"
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
