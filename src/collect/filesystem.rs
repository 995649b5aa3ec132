//! Skeleton of the `filesystem` collector (issue 4 work in progress on a branch; never released).

use super::{Collect, CollectError};
use crate::config::FilesystemOptions;
use crate::otlp::Builder;
use crate::schedule::Tick;
use crate::source::Source;

/// The `filesystem` collector.
#[derive(Debug)]
pub struct Filesystem;

impl Filesystem {
    pub fn new(src: &Source, options: &FilesystemOptions) -> Self {
        let _ = (src, options);
        Filesystem
    }
}

impl Collect for Filesystem {
    fn name(&self) -> &'static str {
        "filesystem"
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
