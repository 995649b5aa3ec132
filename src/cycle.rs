//! One collection cycle: the tick's time, every collector, one request's worth of points.
//!
//! Reads: the `Source` (its shared files refreshed per cycle; `btime` for the host start
//! time) and the wall time the caller passes in. Emits: the filled `otlp::Builder`, then,
//! once the caller sent it, the tick's further batches of a collector of many resources
//! (`run_more`: the processes past the first `process::BATCH`) in the same builder, and
//! collector failures to `report` (rate-limited log lines). The agent runs one per tick;
//! two-tick tests and the bench run the very same code with chosen times.

use crate::boot::{self, BootClock};
use crate::collect::{self, Collect, CollectError};
use crate::config::Config;
use crate::otlp::Builder;
use crate::report::Report;
use crate::resource;
use crate::schedule::Tick;
use crate::source::Source;
use crate::telemetry::Telemetry;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

/// The collectors and everything they keep between cycles.
pub struct Collection {
    src: Source,
    collectors: Vec<(&'static str, Box<dyn Collect>)>,
    builder: Builder,
    boot: BootClock,
    report: Report<CollectError>,
    cycle: u64,
    previous_unix_nano: u64,
    /// The tick `run` began, while `run_more` may have batches of it.
    tick: Option<Tick>,
    telemetry: Rc<RefCell<Telemetry>>,
}

impl Collection {
    /// Detects the resource and builds the collectors `config` asks for; collector results
    /// are recorded in `telemetry` (the `agent` collector reports them).
    pub fn new(config: &Config, src: Source, telemetry: Rc<RefCell<Telemetry>>) -> Collection {
        let attributes = resource::merge(resource::detect(&src), &config.resource);
        Collection {
            collectors: collect::build(&config.collect, &src, &telemetry),
            telemetry,
            builder: Builder::with_switches(&attributes, config.collect.metrics.clone())
                .with_output(config.output),
            src,
            boot: BootClock::default(),
            report: Report::new(""),
            cycle: 0,
            previous_unix_nano: 0,
            tick: None,
        }
    }

    pub fn source(&self) -> &Source {
        &self.src
    }

    /// Runs every collector once at wall time `now_unix_nano`; returns the request built.
    pub fn run(&mut self, now_unix_nano: u64) -> &Builder {
        self.cycle += 1;
        let started = Instant::now();
        self.src.begin_cycle();
        let btime = self
            .src
            .stat()
            .ok()
            .and_then(|stat| boot::parse_btime(&stat));
        let tick = Tick {
            now_unix_nano,
            boot_unix_nano: self.boot.update(btime, now_unix_nano),
            cycle: self.cycle,
            previous_unix_nano: self.previous_unix_nano,
        };
        self.previous_unix_nano = now_unix_nano;
        self.builder.begin(tick.now_unix_nano, tick.boot_unix_nano);
        for (name, collector) in &mut self.collectors {
            self.builder.host();
            let (before, run_started) = (self.builder.point_count(), Instant::now());
            let result = collector.collect(&self.src, &tick, &mut self.builder);
            let points = self.builder.point_count().saturating_sub(before) as u64;
            let duration = run_started.elapsed().as_secs_f64();
            self.telemetry
                .borrow_mut()
                .scraped(name, points, result.is_err(), duration);
            match result {
                Ok(()) => {
                    self.report.succeeded(name, started, "");
                }
                Err(e) => {
                    self.report.failed(log::Level::Warn, name, e, started);
                }
            }
        }
        self.builder.finish();
        self.tick = Some(tick);
        &self.builder
    }

    /// The next batch of the tick `run` began, in the same builder (so the caller must
    /// have sent the last one), or `None` once the tick is complete. Only what the
    /// collectors read in `run` is written: no file is read here, nothing can fail.
    pub fn run_more(&mut self) -> Option<&Builder> {
        let tick = self.tick?;
        self.builder.begin_more();
        let mut more = false;
        for (name, collector) in &mut self.collectors {
            self.builder.host();
            let before = self.builder.point_count();
            if collector.collect_more(&tick, &mut self.builder) {
                more = true;
                let points = self.builder.point_count().saturating_sub(before) as u64;
                self.telemetry.borrow_mut().scraped_more(name, points);
            }
        }
        // An empty batch ends the tick (the builder is then an empty request).
        self.builder.finish_more();
        if !more {
            self.tick = None;
            return None;
        }
        Some(&self.builder)
    }
}
